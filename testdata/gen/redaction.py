#!/usr/bin/env python3
"""Builds testdata/redaction/: signed tokens that carry a personal value in the forms a naive redaction misses
(called by testdata/generate.sh).

usage: redaction.py TESTDATA_DIR

Each token is a SAML 2.0 Response whose assertion is signed with the xmlsec1 CLI (idp-signing key) and verified
with `xmlsec1 --verify` before it is written:
  entity.xml            the UPN written with character references (alice&#64;contoso.test, alice&#x40;...)
  comment.xml           the UPN split by an XML comment (alice<!-- x -->@contoso.test; exclusive c14n without
                        comments drops it, so the signature still covers alice@contoso.test)
  second-assertion.xml  a signed assertion for alice, then an unsigned one for bob@contoso.test that fedcheck
                        ignores (Entra reads one assertion) but that is still in the token's bytes
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import templates as T  # noqa: E402

TD = os.path.abspath(sys.argv[1])
OUT = os.path.join(TD, "redaction")
KEYS = os.path.join(TD, "keys")
TMP = tempfile.mkdtemp(prefix="fedcheck-redaction-")
ID_ATTRS = ["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
            "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response"]
XP_FIRST_ASSERTION_SIG = ("/*[local-name()='Response']/*[local-name()='Assertion'][1]"
                          "/*[local-name()='Signature']")
UPN_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"


def run(cmd):
    p = subprocess.run(cmd, capture_output=True)
    if p.returncode != 0:
        sys.exit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout.decode()}\n{p.stderr.decode()}")


def sign(xml, name):
    src = os.path.join(TMP, name + ".in.xml")
    out = os.path.join(TMP, name)
    with open(src, "w") as f:
        f.write(xml)
    keypair = f"{KEYS}/idp-signing.key,{KEYS}/idp-signing.crt"
    run(["xmlsec1", "--sign", "--privkey-pem", keypair, *ID_ATTRS, "--node-xpath", XP_FIRST_ASSERTION_SIG,
         "--output", out, src])
    run(["xmlsec1", "--verify", "--pubkey-cert-pem", f"{KEYS}/idp-signing.crt", *ID_ATTRS,
         "--node-xpath", XP_FIRST_ASSERTION_SIG, out])
    return open(out).read()


def assertion(aid, upn_xml, nameid=T.IMMUTABLE_ID, sig=True):
    a = T.saml2_assertion(aid, idpemail=False, sig=T.sig_template(aid) if sig else "",
                          extra_attrs=T.saml2_attr("IDPEmail", upn_xml) + T.saml2_attr(UPN_CLAIM, upn_xml))
    return a.replace(f">{T.IMMUTABLE_ID}</saml:NameID>", f">{nameid}</saml:NameID>")


def write(name, xml):
    xml = re.sub(r'^<\?xml[^>]*\?>\s*', "", xml)
    with open(os.path.join(OUT, name), "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n' + xml.rstrip("\n") + "\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    entity = assertion("_a-entity", "alice&#64;contoso.test").replace(
        T.saml2_attr(UPN_CLAIM, "alice&#64;contoso.test"), T.saml2_attr(UPN_CLAIM, "alice&#x40;contoso.test"))
    write("entity.xml", sign(T.saml2_response("_r-entity", [entity]), "entity.xml"))
    comment = assertion("_a-comment", "alice<!-- x -->@contoso.test")
    write("comment.xml", sign(T.saml2_response("_r-comment", [comment]), "comment.xml"))
    first = assertion("_a-first", "alice@contoso.test")
    second = assertion("_a-second", "bob@contoso.test", nameid="Ym9iSW1tdXRhYmxlSWQ=", sig=False)
    write("second-assertion.xml", sign(T.saml2_response("_r-second", [first, second]), "second-assertion.xml"))


main()
