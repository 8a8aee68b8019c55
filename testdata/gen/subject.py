#!/usr/bin/env python3
"""Writes testdata/subject/: signed SAML 2.0 tokens whose subject (NameID, IDPEmail) or authentication instant tests
fedcheck's subject.nameid, subject.upn and mfa.instant rules against Microsoft's SAML 2.0 IdP guide.

usage: subject.py TESTDATA_DIR   (called by testdata/generate.sh; python3 stdlib + the xmlsec1 CLI)

Each token is the gen/templates.py SAML 2.0 Response (multipleauthn, persistent NameID, the fixed times and issuer
of every fixture) with one subject value changed before signing; the assertion is signed by xmlsec1 with the
committed idp-signing key (RSA-SHA256, exc-c14n) and verified again with xmlsec1 before it is written.

| file | changed value | expected |
|---|---|---|
| nameid-plus.xml | NameID `AbC+dEf/GhI=` (a raw '+') | subject.nameid warn |
| nameid-encoded.xml | NameID `AbC.2BdEf/GhI=` (the '+' encoded as the guide shows) | subject.nameid pass |
| nameid-long.xml | NameID of 70 alphanumeric characters | subject.nameid warn |
| upn-not-email.xml | IDPEmail `alice` | subject.upn warn |
| upn-other-domain.xml | IDPEmail `bob@fabrikam.test` | subject.upn warn against contoso.test |
| upn-subdomain.xml | IDPEmail `carol@eu.contoso.test` | subject.upn pass (a subdomain) |
| mfa-instant-attribute.xml | adds the multifactorauthenticationinstant attribute | mfa.instant says Entra ignores it |

Deterministic: RSA PKCS#1 v1.5 signatures over fixed content.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import templates as T  # noqa: E402

TD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
OUT = os.path.join(TD, "subject")
KEYS = os.path.join(TD, "keys")
TMP = tempfile.mkdtemp(prefix="fedcheck-subject-")
ID_ATTRS = ["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
            "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response"]
XP_ASSERTION_SIG = "//*[local-name()='Assertion']/*[local-name()='Signature']"
MFA_INSTANT = "http://schemas.microsoft.com/ws/2017/04/identity/claims/multifactorauthenticationinstant"


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"subject.py: failed: {' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
    return p


def once(s, old, new):
    assert s.count(old) == 1, (old, s.count(old))
    return s.replace(old, new)


def build(name, n, nameid=None, upn=None, extra_attrs=""):
    aid, rid = f"_a70{n:02d}", f"_r70{n:02d}"
    assertion = T.saml2_assertion(aid, extra_attrs=extra_attrs, sig=T.sig_template(aid))
    if nameid is not None:
        assertion = once(assertion, f">{T.IMMUTABLE_ID}</saml:NameID>", f">{nameid}</saml:NameID>")
    if upn is not None:
        assertion = once(assertion, f"<saml:AttributeValue>{T.UPN}</saml:AttributeValue>",
                         f"<saml:AttributeValue>{upn}</saml:AttributeValue>")
    doc = '<?xml version="1.0" encoding="UTF-8"?>\n' + T.saml2_response(rid, [assertion]) + "\n"
    src, out = os.path.join(TMP, name + ".in"), os.path.join(OUT, name)
    with open(src, "w", encoding="utf-8") as f:
        f.write(doc)
    run(["xmlsec1", "--sign", "--privkey-pem", f"{KEYS}/idp-signing.key,{KEYS}/idp-signing.crt", *ID_ATTRS,
         "--node-xpath", XP_ASSERTION_SIG, "--output", out, src])
    run(["xmlsec1", "--verify", "--trusted-pem", f"{KEYS}/idp-signing.crt", *ID_ATTRS,
         "--node-xpath", XP_ASSERTION_SIG, out])


os.makedirs(OUT, exist_ok=True)
build("nameid-plus.xml", 1, nameid="AbC+dEf/GhI=")
build("nameid-encoded.xml", 2, nameid="AbC.2BdEf/GhI=")
build("nameid-long.xml", 3, nameid="A1b2C3d4" * 8 + "E5f6G7")
build("upn-not-email.xml", 4, upn="alice")
build("upn-other-domain.xml", 5, upn="bob@fabrikam.test")
build("upn-subdomain.xml", 6, upn="carol@eu.contoso.test")
build("mfa-instant-attribute.xml", 7, extra_attrs=T.saml2_attr(MFA_INSTANT, T.ISSUE))
print(f"subject.py: wrote {len(os.listdir(OUT))} files in {OUT}")
