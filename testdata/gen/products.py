#!/usr/bin/env python3
"""Builds testdata/products/: IdP metadata and a token whose shape tells (or does not tell) which IdP product made
them, for the IdP product that request.md and the report's evidence card name (called by testdata/generate.sh).

usage: products.py TESTDATA_DIR
env:   WSFED_NODE_PATH  a node_modules folder holding auth0's npm `wsfed` (a throwaway install, see generate.sh)

* adfs-federationmetadata.xml: the FederationMetadata.xml AD FS publishes at
  /FederationMetadata/2007-06/FederationMetadata.xml, in AD FS's shape (learnt from real AD FS metadata published by
  its operators; every value here is ours): EntityDescriptor ID "_" + GUID, entityID http://HOST/adfs/services/trust,
  an enveloped signature by the token-signing key (made here by the xmlsec1 CLI), a fed:ApplicationServiceType
  RoleDescriptor, a fed:SecurityTokenServiceType RoleDescriptor (token-signing KeyDescriptor, offered token and claim
  types, the WS-Trust endpoint with its MEX reference, the passive endpoint /adfs/ls/), an SPSSODescriptor and an
  IDPSSODescriptor (SingleSignOnService /adfs/ls/), and a support ContactPerson.
* auth0-wsfed-federationmetadata.xml: what auth0's npm `wsfed` serves (its own metadata middleware and template),
  configured to imitate AD FS: the same entityID, the endpoint mounted at /adfs/ls/ and a MEX endpoint (wsfed's
  template then writes an address under /adfs/services/trust/ of its own). Not AD FS: one WS-Fed role only.
* adfs-wsfed-guid.xml: a WS-Fed token in AD FS's shape: SAML 1.1 AssertionID "_" + GUID (AD FS writes every ID so),
  AuthenticationMethod password with the MFA signal in the authnmethodsreferences attribute (AD FS's pass-through
  rule), signed with idp-signing by the xmlsec1 CLI.
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import templates as T  # noqa: E402

TD = os.path.abspath(sys.argv[1])
GEN = os.path.join(TD, "gen")
OUT = os.path.join(TD, "products")
KEYS = os.path.join(TD, "keys")
TMP = tempfile.mkdtemp(prefix="fedcheck-products-")
HOST = "sts.contoso.test"
FED = "http://docs.oasis-open.org/wsfed/federation/200706"
AUTH = "http://docs.oasis-open.org/wsfed/authorization/200706"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
MEX = "http://schemas.xmlsoap.org/ws/2004/09/mex"
BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:"
METADATA_ID = "_6c3f2a1e-9b4d-4e8a-a2f7-3d5c8b1e0f94"
ASSERTION_ID = "_0d7e4c2b-51a8-4f3e-9c6d-8b2a1f7e5c30"


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, **kw)
    if p.returncode != 0:
        sys.exit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout.decode()}\n{p.stderr.decode()}")
    return p


def b64(name):
    return open(os.path.join(KEYS, name + ".b64")).read().strip()


def xmlsec_sign(xml, idattr):
    """Fills the ds:Signature template with xmlsec1 (idp-signing) and verifies the result with xmlsec1."""
    src = os.path.join(TMP, "in.xml")
    out = os.path.join(TMP, "out.xml")
    with open(src, "w") as f:
        f.write(xml)
    key, crt = os.path.join(KEYS, "idp-signing.key"), os.path.join(KEYS, "idp-signing.crt")
    run(["xmlsec1", "--sign", "--privkey-pem", f"{key},{crt}", *idattr, "--output", out, src])
    run(["xmlsec1", "--verify", "--pubkey-cert-pem", crt, *idattr, out])
    return re.sub(r'^<\?xml[^>]*\?>\s*', "", open(out).read()).rstrip("\n")


def write(name, text):
    with open(os.path.join(OUT, name), "w") as f:
        f.write(text)


def key_descriptor(use, cert):
    return (f'<KeyDescriptor use="{use}"><KeyInfo xmlns="{T.NS_DS}"><X509Data><X509Certificate>{cert}'
            "</X509Certificate></X509Data></KeyInfo></KeyDescriptor>")


def endpoint(element, address, mex=None):
    meta = ""
    if mex:
        meta = (f'<Metadata><Metadata xmlns="{MEX}" xmlns:wsx="{MEX}"><wsx:MetadataSection Dialect="{MEX}" xmlns="">'
                f'<wsx:MetadataReference><Address xmlns="{T.WSA}">{mex}</Address></wsx:MetadataReference>'
                "</wsx:MetadataSection></Metadata></Metadata>")
    return f'<fed:{element}><EndpointReference xmlns="{T.WSA}"><Address>{address}</Address>{meta}</EndpointReference></fed:{element}>'


def claim_types(element):
    claims = [
        ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", "UPN", "The user principal name (UPN) of the user"),
        ("http://schemas.xmlsoap.org/claims/UPN", "AD FS 1.x UPN",
         "The UPN of the user when interoperating with AD FS 1.1 or AD FS 1.0"),
        ("http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod", "Authentication method",
         "The method used to authenticate the user"),
        ("http://schemas.microsoft.com/claims/authnmethodsreferences", "Authentication Methods References",
         "Used to indicate all authentication methods used to authenticate the user"),
    ]
    inner = "".join(
        f'<auth:ClaimType Uri="{uri}" Optional="true" xmlns:auth="{AUTH}"><auth:DisplayName>{name}</auth:DisplayName>'
        f"<auth:Description>{desc}</auth:Description></auth:ClaimType>" for uri, name, desc in claims)
    return f"<fed:{element}>{inner}</fed:{element}>"


def adfs_metadata():
    sign, enc = b64("idp-signing"), b64("idp-next")
    ls = f"https://{HOST}/adfs/ls/"
    trust = f"https://{HOST}/adfs/services/trust"
    protocols = f"http://docs.oasis-open.org/ws-sx/ws-trust/200512 http://schemas.xmlsoap.org/ws/2005/02/trust {FED}"
    role = (f'protocolSupportEnumeration="{protocols}" ServiceDisplayName="Contoso Federation Service" '
            f'xmlns:xsi="{XSI}" xmlns:fed="{FED}"')
    saml_proto = 'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"'
    logout = "".join(f'<SingleLogoutService Binding="{BINDING}{b}" Location="{ls}"/>' for b in ("HTTP-Redirect", "HTTP-POST"))
    formats = "".join(f"<NameIDFormat>{f}</NameIDFormat>" for f in (
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", T.PERSISTENT, T.TRANSIENT))
    attributes = "".join(
        f'<Attribute Name="{uri}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri" FriendlyName="{name}" '
        f'xmlns="{T.NS_SAML2}"/>' for uri, name in (
            ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", "UPN"),
            ("http://schemas.microsoft.com/claims/authnmethodsreferences", "Authentication Methods References")))
    body = (
        f'<EntityDescriptor ID="{METADATA_ID}" entityID="http://{HOST}/adfs/services/trust" xmlns="{T.MD}">'
        + T.sig_template(METADATA_ID)
        + f'<RoleDescriptor xsi:type="fed:ApplicationServiceType" {role}>'
        + key_descriptor("encryption", enc)
        + claim_types("ClaimTypesRequested")
        + f'<fed:TargetScopes><EndpointReference xmlns="{T.WSA}"><Address>https://{HOST}/adfs/services/trust/2005/issuedtokenmixedasymmetricbasic256</Address></EndpointReference></fed:TargetScopes>'
        + endpoint("ApplicationServiceEndpoint", f"{trust}/2005/issuedtokenmixedasymmetricbasic256")
        + endpoint("PassiveRequestorEndpoint", ls)
        + "</RoleDescriptor>"
        + f'<RoleDescriptor xsi:type="fed:SecurityTokenServiceType" {role}>'
        + key_descriptor("signing", sign)
        + '<fed:TokenTypesOffered><fed:TokenType Uri="urn:oasis:names:tc:SAML:2.0:assertion"/>'
          '<fed:TokenType Uri="urn:oasis:names:tc:SAML:1.0:assertion"/></fed:TokenTypesOffered>'
        + claim_types("ClaimTypesOffered")
        + endpoint("SecurityTokenServiceEndpoint", f"{trust}/2005/certificatemixed", mex=f"{trust}/mex")
        + endpoint("PassiveRequestorEndpoint", ls)
        + "</RoleDescriptor>"
        + f'<SPSSODescriptor WantAssertionsSigned="true" {saml_proto}>'
        + key_descriptor("encryption", enc) + key_descriptor("signing", sign)
        + logout + formats
        + "".join(f'<AssertionConsumerService Binding="{BINDING}{b}" Location="{ls}" index="{i}"{d}/>'
                  for i, (b, d) in enumerate((("HTTP-POST", ' isDefault="true"'), ("HTTP-Artifact", ""),
                                              ("HTTP-Redirect", ""))))
        + "</SPSSODescriptor>"
        + f"<IDPSSODescriptor {saml_proto}>"
        + key_descriptor("encryption", enc) + key_descriptor("signing", sign)
        + logout + formats
        + "".join(f'<SingleSignOnService Binding="{BINDING}{b}" Location="{ls}"/>' for b in ("HTTP-Redirect", "HTTP-POST"))
        + attributes
        + '</IDPSSODescriptor><ContactPerson contactType="support"/></EntityDescriptor>'
    )
    signed = xmlsec_sign(body, ["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor"])
    write("adfs-federationmetadata.xml", '<?xml version="1.0" encoding="utf-8"?>' + signed)


def auth0_metadata():
    node_path = os.environ.get("WSFED_NODE_PATH", "")
    out = os.path.join(OUT, "auth0-wsfed-federationmetadata.xml")
    run(["node", os.path.join(GEN, "wsfed_metadata.js"), os.path.join(KEYS, "idp-signing.crt"),
         f"http://{HOST}/adfs/services/trust", HOST, "/adfs/ls/", "/adfs/services/trust/mex", out],
        env=dict(os.environ, NODE_PATH=node_path))


def adfs_token():
    amr = T.saml11_attr("authnmethodsreferences", "http://schemas.microsoft.com/claims", T.MULTIPLEAUTHN)
    assertion = T.saml11_assertion(ASSERTION_ID, authn_method=T.SAML11_PASSWORD, extra_attrs=amr,
                                   sig=T.sig_template(ASSERTION_ID))
    signed = xmlsec_sign(T.rstr_2005([assertion]),
                         ["--id-attr:AssertionID", "urn:oasis:names:tc:SAML:1.0:assertion:Assertion"])
    write("adfs-wsfed-guid.xml", '<?xml version="1.0" encoding="UTF-8"?>\n' + signed + "\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    adfs_metadata()
    auth0_metadata()
    adfs_token()
    print("products: 3 files")


main()
