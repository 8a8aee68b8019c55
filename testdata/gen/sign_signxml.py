"""Sign an XML document (root = the element to sign) with python signxml.

usage: sign_signxml.py IN OUT KEY CERT ID_ATTR ALG(sha256|sha1)
IN must contain a <ds:Signature Id="placeholder"/> where the signature goes.
"""
import sys

from lxml import etree
from signxml import XMLSigner, SignatureConstructionMethod

src, out, key, cert, id_attr, alg = sys.argv[1:7]
root = etree.fromstring(open(src, "rb").read())
ref = "#" + root.get(id_attr)
signer = XMLSigner(
    method=SignatureConstructionMethod.enveloped,
    signature_algorithm="rsa-" + alg,
    digest_algorithm=alg,
    c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#",
)
signed = signer.sign(root, key=open(key, "rb").read(), cert=open(cert).read(),
                     reference_uri=ref, id_attribute=id_attr)
open(out, "wb").write(etree.tostring(signed))
