#!/usr/bin/env python3
"""Builds testdata/shapes/: tokens in the shapes real IdPs produce beyond fedcheck's baseline fixtures (called by
testdata/generate.sh after build.py).

usage: shapes.py TESTDATA_DIR
env:   SIGNXML_PY  python interpreter that has signxml+lxml (a throwaway venv)

Every signature is made by a third-party producer: the xmlsec1 CLI (RSA-SHA384/512, inclusive Canonical XML 1.0
and 1.1, whole-document references, signatures placed where node-saml and auth0 place them, Advice, RSA-512,
encryption) or python signxml (RSA-PSS, ECDSA-SHA3). Each signed file is checked with `xmlsec1 --verify` where
xmlsec1 1.2 implements the algorithm. Encodings (ISO-8859-1, UTF-16, raw DEFLATE) are applied to signed bytes with
the Python standard library, the way browsers and test suites carry them. The manifest (shapes/manifest.json)
states for each file the verdict, exit code and check statuses fedcheck must report, and why.
"""
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import templates as T  # noqa: E402

TD = os.path.abspath(sys.argv[1])
OUT = os.path.join(TD, "shapes")
KEYS = os.path.join(TD, "keys")
SIGNXML_PY = os.environ.get("SIGNXML_PY", "")
TMP = tempfile.mkdtemp(prefix="fedcheck-shapes-")

EXC = "http://www.w3.org/2001/10/xml-exc-c14n#"
C14N10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N11 = "http://www.w3.org/2006/12/xml-c14n11"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SIG = {
    "rsa-sha256": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "rsa-sha384": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "rsa-sha512": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
}
DIGEST = {
    "sha256": "http://www.w3.org/2001/04/xmlenc#sha256",
    "sha384": "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "sha512": "http://www.w3.org/2001/04/xmlenc#sha512",
}
ID_ATTRS = ["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
            "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
            "--id-attr:AssertionID", "urn:oasis:names:tc:SAML:1.0:assertion:Assertion"]
XP_RESPONSE_SIG = "/*[local-name()='Response']/*[local-name()='Signature']"
XP_TOP_ASSERTION_SIG = "/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Signature']"

MANIFEST = []
_n = 0


def key(name):
    return os.path.join(KEYS, name + ".key")


def crt(name):
    return os.path.join(KEYS, name + ".crt")


def run(cmd):
    p = subprocess.run(cmd, capture_output=True)
    if p.returncode != 0:
        sys.exit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout.decode()}\n{p.stderr.decode()}")
    return p


def tmp(name, content):
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(content.encode() if isinstance(content, str) else content)
    return path


def strip_decl(s):
    return re.sub(r'^<\?xml[^>]*\?>\s*', "", s).rstrip("\n")


def template(ref_uri, sig="rsa-sha256", digest="sha256", c14n=EXC):
    """A ds:Signature template; ref_uri None writes a Reference without a URI attribute."""
    uri = "" if ref_uri is None else f' URI="{ref_uri}"'
    return (
        f'<ds:Signature xmlns:ds="{T.NS_DS}"><ds:SignedInfo>'
        f'<ds:CanonicalizationMethod Algorithm="{c14n}"/>'
        f'<ds:SignatureMethod Algorithm="{SIG[sig]}"/>'
        f'<ds:Reference{uri}><ds:Transforms>'
        f'<ds:Transform Algorithm="{ENVELOPED}"/><ds:Transform Algorithm="{c14n}"/>'
        f'</ds:Transforms><ds:DigestMethod Algorithm="{DIGEST[digest]}"/><ds:DigestValue></ds:DigestValue>'
        '</ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue>'
        '<ds:KeyInfo><ds:X509Data></ds:X509Data></ds:KeyInfo></ds:Signature>'
    )


def xmlsec_sign(xml, signer="idp-signing", node_xpath=None):
    """Fill the first (or node_xpath-selected) ds:Signature template with xmlsec1, then verify it with xmlsec1."""
    global _n
    _n += 1
    src = tmp(f"in{_n}.xml", xml)
    out = os.path.join(TMP, f"out{_n}.xml")
    cmd = ["xmlsec1", "--sign", "--privkey-pem", f"{key(signer)},{crt(signer)}", *ID_ATTRS]
    if node_xpath:
        cmd += ["--node-xpath", node_xpath]
    run(cmd + ["--output", out, src])
    verify = ["xmlsec1", "--verify", "--pubkey-cert-pem", crt(signer), *ID_ATTRS]
    if node_xpath:
        verify += ["--node-xpath", node_xpath]
    run(verify + [out])
    return strip_decl(open(out).read())


def signxml_sign(xml, method, digest):
    """Sign the document element (its ds:Signature placeholder) with python signxml."""
    global _n
    _n += 1
    src = tmp(f"sx{_n}.xml", xml)
    out = os.path.join(TMP, f"sxo{_n}.xml")
    code = (
        "import sys\n"
        "from lxml import etree\n"
        "from signxml import XMLSigner, SignatureConstructionMethod\n"
        "src, out, key, cert, method, digest = sys.argv[1:7]\n"
        "root = etree.fromstring(open(src, 'rb').read())\n"
        "signer = XMLSigner(method=SignatureConstructionMethod.enveloped, signature_algorithm=method,\n"
        "                   digest_algorithm=digest, c14n_algorithm='http://www.w3.org/2001/10/xml-exc-c14n#')\n"
        "signed = signer.sign(root, key=open(key, 'rb').read(), cert=open(cert).read(),\n"
        "                     reference_uri='#' + root.get('ID'), id_attribute='ID')\n"
        "open(out, 'wb').write(etree.tostring(signed))\n"
    )
    run([SIGNXML_PY, "-c", code, src, out, key("idp-signing"), crt("idp-signing"), method, digest])
    return open(out).read()


def write(name, data):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def add(name, data, producer, intent, verdict, checks, trust=("idp-signing",), exit_code=None, **extra):
    """Register a file: `checks` maps check ids to the status fedcheck must report for the (first) token."""
    write(name, data)
    codes = {"pass": 0, "fail": 1, "error": 3}
    MANIFEST.append(dict(path=f"shapes/{name}", producer=producer, intent=intent, expect_verdict=verdict,
                         expect_exit=codes[verdict] if exit_code is None else exit_code,
                         expect_checks=checks, trust=[f"keys/{t}.crt" for t in trust], **extra))


def doc(body):
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def response(rid, assertions, sig="", sig_last=False):
    r = T.saml2_response(rid, assertions, sig="" if sig_last else sig)
    return r.replace("</samlp:Response>", sig + "</samlp:Response>") if sig_last else r


A = T.saml2_assertion
OK = {"signature.valid": "pass", "certificate.trusted": "pass", "mfa.signal": "pass"}


def build_algorithms():
    for sig, dg in (("rsa-sha384", "sha384"), ("rsa-sha512", "sha512")):
        aid = f"_s{sig[-3:]}"
        a = xmlsec_sign(A(aid, sig=template(f"#{aid}", sig, dg)))
        add(f"{sig}.xml", doc(T.saml2_response(f"_r{sig[-3:]}", [a])), "xmlsec1",
            f"multipleauthn assertion signed {sig.upper()} / SHA-{dg[3:]}: verifies; Microsoft documents only RSA-SHA1 "
            "and RSA-SHA256, so signature.algorithm warns",
            "pass", {**OK, "signature.algorithm": "warn"})
    for method, name in (("sha256-rsa-MGF1", "rsa-pss-sha256"), ("ecdsa-sha3-256", None)):
        if name is None:
            continue
        a = signxml_sign(A("_spss", sig=T.SIGNXML_PLACEHOLDER), method, "sha256")
        add(f"{name}.xml", doc(T.saml2_response("_rpss", [a])), "signxml",
            "multipleauthn assertion signed RSASSA-PSS SHA-256 with MGF1 (RFC 6931 sha256-rsa-MGF1) by python signxml: "
            "fedcheck verifies it, libxmlsec1 1.2 has no RSA-PSS (no second opinion), signature.algorithm warns",
            "pass", {**OK, "signature.algorithm": "warn", "signature.engines-agree": "info"})
    a = xmlsec_sign(A("_s512", sig=template("#_s512")), signer="idp-weak512")
    add("rsa512.xml", doc(T.saml2_response("_r512", [a])), "xmlsec1",
        "multipleauthn assertion signed by a trusted RSA-512 key: the signature verifies, but a key this small can be "
        "factored, so certificate.key-size fails",
        "fail", {"signature.valid": "pass", "certificate.key-size": "fail"}, trust=("idp-weak512",))


def build_canonicalization():
    for alg, name in ((C14N10, "c14n10"), (C14N11, "c14n11")):
        aid = f"_a{name}"
        # Inclusive c14n takes the Response's namespace declarations into the digest: sign in place.
        r = T.saml2_response(f"_r{name}", [A(aid, sig=template(f"#{aid}", c14n=alg))])
        signed = xmlsec_sign(r, node_xpath=XP_TOP_ASSERTION_SIG)
        add(f"{name}.xml", doc(signed), "xmlsec1",
            f"multipleauthn assertion signed with inclusive canonicalization ({alg}) for SignedInfo and the reference, "
            "in place inside the Response (the Response's xmlns:samlp is part of the digest): verifies; "
            "signature.algorithm warns that Entra documents exclusive c14n",
            "pass", {**OK, "signature.algorithm": "warn"})


def build_references():
    # Whole-document references: a Response signed with URI="" (gosaml2 / xml-crypto shape).
    r = T.saml2_response("_ruri", [A("_auri")], sig=template(""))
    add("uri-empty-response.xml", doc(xmlsec_sign(r)), "xmlsec1",
        "Response signed with Reference URI=\"\" (the whole document), assertion unsigned: the signature verifies "
        "(signature.reference warns about the shape), but Entra requires the assertion itself to be signed",
        "fail", {"signature.valid": "pass", "signature.reference": "warn", "signature.assertion-signed": "fail"})
    a = xmlsec_sign(A("_auri2", sig=template("")))
    add("uri-empty-assertion.xml", doc(a), "xmlsec1",
        "bare multipleauthn Assertion signed with Reference URI=\"\": verifies and the claims are read from it; "
        "signature.reference warns",
        "pass", {**OK, "signature.reference": "warn"})
    a = xmlsec_sign(T.saml11_assertion("_bnouri", sig=template(None)))
    add("no-uri-saml11.xml", doc(a), "xmlsec1",
        "bare SAML 1.1 assertion whose Reference has no URI attribute (the shape of Microsoft IdentityModel's "
        "SamlToken_Valid_Spaces_Added): the whole document is signed; verifies, signature.reference warns",
        "pass", {**OK, "signature.reference": "warn"})
    uri_in_assertion = xmlsec_sign(T.saml2_response("_ruri3", [A("_auri3", sig=template(""))]),
                                   node_xpath=XP_TOP_ASSERTION_SIG)
    add("uri-empty-not-root.xml", doc(uri_in_assertion), "xmlsec1",
        "assertion signature with Reference URI=\"\" that sits in the Assertion of a Response: it signs the whole "
        "Response, not the element that holds it; outside the profile, refused (never handed to libxmlsec1)",
        "fail", {"signature.valid": "fail"})


def build_placement():
    # auth0 / node-saml: the Response signature is the Response's last child, after the Assertion.
    inner = xmlsec_sign(A("_aplace", sig=template("#_aplace")))
    r = response("_rplace", [inner], sig=template("#_rplace"), sig_last=True)
    add("response-signature-last.xml", doc(xmlsec_sign(r, node_xpath=XP_RESPONSE_SIG)), "xmlsec1",
        "assertion signed, and the Response signed with its ds:Signature as the last child (where auth0 and node-saml "
        "put it; the schema puts it right after Issuer): both verify, signature.reference warns",
        "pass", {**OK, "signature.reference": "warn"})


def build_advice():
    inner = xmlsec_sign(A("_aadvice_inner", classref=T.PPT, sig=template("#_aadvice_inner")))
    outer = A("_aadvice", sig=template("#_aadvice"))
    outer = outer.replace("</saml:Conditions>", f"</saml:Conditions><saml:Advice>{inner}</saml:Advice>")
    outer = xmlsec_sign(outer, node_xpath="/*/*[local-name()='Signature']")
    r = response("_radvice", [outer], sig=template("#_radvice"), sig_last=True)
    add("advice-signed.xml", doc(xmlsec_sign(r, node_xpath=XP_RESPONSE_SIG)), "xmlsec1",
        "node-saml's shape: a signed Response (signature last) around a signed multipleauthn assertion whose Advice "
        "holds another signed assertion (PasswordProtectedTransport). All three verify with both engines; the "
        "claims come from the top-level assertion, never from the one in Advice",
        "pass", {**OK, "signature.engines-agree": "pass", "signature.reference": "warn"},
        expect_classref=T.MULTIPLEAUTHN)
    inner = xmlsec_sign(A("_aadv2_inner", sig=template("#_aadv2_inner")))
    outer = A("_aadv2", classref=T.PPT).replace("</saml:Conditions>",
                                                f"</saml:Conditions><saml:Advice>{inner}</saml:Advice>")
    add("advice-only-signed.xml", doc(T.saml2_response("_radv2", [outer])), "xmlsec1",
        "unsigned top-level assertion whose Advice holds a validly signed multipleauthn assertion: that signature "
        "verifies but covers no assertion Entra reads, so no claim counts",
        "fail", {"signature.valid": "fail", "claims.signed": "fail"})


def build_duplicates():
    good = xmlsec_sign(A("_adup", sig=template("#_adup")))
    evil = A("_adup").replace(T.IMMUTABLE_ID, "ZXZpbEltbXV0YWJsZUlk")
    add("duplicate-id-after.xml", doc(T.saml2_response("_rdup", [good, evil])), "xmlsec1",
        "crewjam's secureworks_multiple_assertions shape: the signed assertion, then an unsigned copy with the same "
        "ID and another NameID. The signature verifies over the first element with that ID (the one an ID-resolving "
        "verifier finds); the copy is named as ignored (content.unsigned fails) and its NameID is never read",
        "fail", {"signature.valid": "pass", "content.unsigned": "fail"}, expect_name_id=T.IMMUTABLE_ID)
    add("duplicate-id-before.xml", doc(T.saml2_response("_rdup2", [evil, good])), "xmlsec1",
        "the same two assertions with the unsigned copy FIRST: an ID-resolving verifier would digest the copy, so "
        "the signature is refused (DuplicateId) and no claim counts",
        "fail", {"signature.valid": "fail", "claims.signed": "fail"})


def build_protocol_mix():
    a = xmlsec_sign(T.saml11_assertion("_bmix", sig=template("#_bmix")))
    add("saml11-in-saml2-response.xml", doc(T.saml2_response("_rmix", [a])), "xmlsec1",
        "a signed SAML 1.1 assertion inside a SAML 2.0 Response: token.protocol fails with a clear message, exit 1 "
        "(never exit 3: the engines agree on the SAML 1.1 signature)",
        "fail", {"token.protocol": "fail", "claims.signed": "fail"})


def build_encrypted():
    signed = xmlsec_sign(A("_aenc", sig=template("#_aenc")))
    tmpl = (
        '<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" '
        'Type="http://www.w3.org/2001/04/xmlenc#Element">'
        '<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"/>'
        f'<ds:KeyInfo xmlns:ds="{T.NS_DS}"><xenc:EncryptedKey>'
        '<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/>'
        '<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>'
        '<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>'
    )
    holder = f'<saml:EncryptedAssertion xmlns:saml="{T.NS_SAML2}">{signed}</saml:EncryptedAssertion>'
    src = tmp("enc-in.xml", T.saml2_response("_renc", [holder]))
    t = tmp("enc-tmpl.xml", tmpl)
    out = os.path.join(TMP, "enc-out.xml")
    run(["xmlsec1", "--encrypt", "--pubkey-cert-pem", crt("sp-encryption"), "--session-key", "aes-256",
         "--xml-data", src, "--node-xpath", "//*[local-name()='EncryptedAssertion']/*[local-name()='Assertion']",
         "--output", out, t])
    add("encrypted-assertion.xml", doc(strip_decl(open(out).read())), "xmlsec1",
        "a Response whose assertion xmlsec1 encrypted (AES-256-CBC, key wrapped with RSA-OAEP for sp-encryption): "
        "assertion.encrypted fails with a clear message, no claim counts, no crash",
        "fail", {"assertion.encrypted": "fail", "claims.signed": "fail"})


def build_encodings():
    name = "Jean-S\u00e9bastien"
    a = xmlsec_sign(A("_alatin", sig=template("#_alatin"),
                      extra_attrs=T.saml2_attr("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", name)))
    text = T.saml2_response("_rlatin", [a])
    latin1 = ('<?xml version="1.0" encoding="ISO-8859-1"?>\n' + text + "\n").encode("latin-1")
    add("latin1.xml", latin1, "xmlsec1 + ISO-8859-1 re-encoding",
        "a signed token with a non-ASCII attribute value, re-encoded as ISO-8859-1 with a declaration saying so "
        "(passport-wsfed-saml2's bec_iso8859_1 shape): canonical XML is UTF-8, so the signature still verifies; "
        "the report names the encoding",
        "pass", OK, expect_encoding="ISO-8859-1")
    add("latin1.b64", base64.b64encode(latin1).decode() + "\n", "xmlsec1 + ISO-8859-1 + base64",
        "latin1.xml as a base64 SAMLResponse value", "pass", OK, expect_encoding="ISO-8859-1")
    utf16 = b"\xff\xfe" + ('<?xml version="1.0" encoding="UTF-16"?>\n' + text + "\n").encode("utf-16-le")
    add("utf16le-bom.xml", utf16, "xmlsec1 + UTF-16LE re-encoding",
        "the same token in UTF-16LE with a byte order mark (how Windows tools save XML)", "pass", OK,
        expect_encoding="UTF-16LE")
    add("utf16le-bom.b64", base64.b64encode(utf16).decode() + "\n", "xmlsec1 + UTF-16LE + base64",
        "utf16le-bom.xml as base64", "pass", OK, expect_encoding="UTF-16LE")
    utf16be = b"\xfe\xff" + (text + "\n").encode("utf-16-be")
    add("utf16be-bom.xml", utf16be, "xmlsec1 + UTF-16BE re-encoding",
        "the same token in UTF-16BE with a byte order mark and no declaration", "pass", OK, expect_encoding="UTF-16BE")
    raw = ('<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n").encode()
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = deflater.compress(raw) + deflater.flush()
    add("deflate.b64", base64.b64encode(deflated).decode() + "\n", "xmlsec1 + raw DEFLATE + base64",
        "base64 of raw DEFLATE (RFC 1951, the HTTP-Redirect binding's encoding; gosaml2's oktadev_response_16 "
        "shape): inflated, then checked; the source records compression deflate",
        "pass", OK, expect_compression="deflate")
    spaced = re.sub(r'(\s[A-Za-z:]+)="', r'\1 = "', text, count=40)
    add("spaces-around-equals.xml", doc(spaced), "xmlsec1 + whitespace edit",
        "the signed token with spaces around '=' in attributes (XML 1.0 Eq allows them; Microsoft IdentityModel's "
        "Spaces_Added tests): canonical form is unchanged, so the signature still verifies",
        "pass", OK)


def build_autopost():
    # The page an IdP returns to the browser, which posts the token to Entra: AD FS's "Working..." page shape
    # (hidden form fields, a noscript submit button, a script that submits the form).
    import html
    ws = strip_decl(open(os.path.join(TD, "wsfed/mfa-authmethod-sha256.xml")).read())
    saml = base64.b64encode(open(os.path.join(TD, "saml2/mfa-sha256.xml"), "rb").read()).decode()

    def page(fields):
        inputs = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v, quote=True)}" />' for k, v in fields)
        return ("<html><head><title>Working...</title></head><body>"
                f'<form method="POST" name="hiddenform" action="{T.ACS}">{inputs}'
                "<noscript><p>Script is disabled. Click Submit to continue.</p>"
                '<input type="submit" value="Submit" /></noscript></form>'
                "<script language=\"javascript\">window.setTimeout('document.forms[0].submit()', 0);</script>"
                "</body></html>\n")
    add("autopost-wsfed.html", page([("wa", "wsignin1.0"), ("wresult", ws), ("wctx", "rm=0&id=passive")]),
        "xmlsec1 + AD FS auto-post page shape",
        "the IdP's auto-post page (what view-source or curl shows) carrying wresult: read as an html-form carrier",
        "pass", OK, expect_carrier="html-form")
    add("autopost-saml.html", page([("SAMLResponse", saml), ("RelayState", "x")]),
        "xmlsec1 + AD FS auto-post page shape",
        "the same page carrying a base64 SAMLResponse", "pass", OK, expect_carrier="html-form")


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    build_algorithms()
    build_canonicalization()
    build_references()
    build_placement()
    build_advice()
    build_duplicates()
    build_protocol_mix()
    build_encrypted()
    build_encodings()
    build_autopost()
    man = {"about": "Tokens in shapes real IdPs produce, made by third-party signers (testdata/gen/shapes.py); each "
                    "entry: the verdict, exit code and check statuses fedcheck must report at --at " + T.ISSUE,
           "at": "2026-01-15T10:05:00Z", "files": MANIFEST}
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(man, f, indent=1)
        f.write("\n")
    print(f"shapes: {len(MANIFEST)} files")


main()
