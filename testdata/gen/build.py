#!/usr/bin/env python3
"""Builds every fedcheck fixture under testdata/ (called by testdata/generate.sh).

usage: build.py TESTDATA_DIR
env:   SIGNXML_PY  python interpreter that has signxml+lxml (a throwaway venv)
       NPM_SAML_NODE_PATH  node_modules dir that has saml@4 (throwaway)

Producers: xmlsec1 (most fixtures), python signxml, npm saml (xml-crypto).  Each signed
fixture is checked with `xmlsec1 --verify`; the pre-digest bytes xmlsec1 hashed are
written to c14n/ and their digests compared with the DigestValue in the fixture.
"""
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import templates as T  # noqa: E402

TD = os.path.abspath(sys.argv[1])
GEN = os.path.join(TD, "gen")
KEYS = os.path.join(TD, "keys")
SIGNXML_PY = os.environ.get("SIGNXML_PY", "")
NPM_NODE_PATH = os.environ.get("NPM_SAML_NODE_PATH", "")
TMP = tempfile.mkdtemp(prefix="fedcheck-gen-")

ID_ATTRS = {
    "saml2": ["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
              "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response"],
    "wsfed-saml11": ["--id-attr:AssertionID", "urn:oasis:names:tc:SAML:1.0:assertion:Assertion"],
    "metadata": ["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor"],
}
XP_ASSERTION_SIG = "//*[local-name()='Assertion']/*[local-name()='Signature']"
XP_RESPONSE_SIG = "/*[local-name()='Response']/*[local-name()='Signature']"
XP_ROOT_SIG = "/*/*[local-name()='Signature']"

FIXTURES = []  # dicts, see add()


def key(name):
    return os.path.join(KEYS, name + ".key")


def crt(name):
    return os.path.join(KEYS, name + ".crt")


def run(cmd, check=True, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if check and p.returncode != 0:
        sys.exit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
    return p


def tmpfile(name, content):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(content)
    return path


_n = 0


def xmlsec_sign(xml, signer, idattrs, node_xpath=None):
    """Fill the (first, or node_xpath-selected) ds:Signature template in xml with xmlsec1."""
    global _n
    _n += 1
    src = tmpfile(f"in{_n}.xml", xml)
    out = os.path.join(TMP, f"out{_n}.xml")
    cmd = ["xmlsec1", "--sign", "--privkey-pem", f"{key(signer)},{crt(signer)}", *ID_ATTRS[idattrs]]
    if node_xpath:
        cmd += ["--node-xpath", node_xpath]
    run(cmd + ["--output", out, src])
    return strip_decl(open(out).read())


def strip_decl(s):
    """xmlsec1 writes '<?xml version="1.0"?>\\n'; drop it so pieces can be embedded."""
    return re.sub(r'^<\?xml[^>]*\?>\s*', "", s).rstrip("\n")


def signxml_sign(xml, signer, id_attr):
    global _n
    _n += 1
    src = tmpfile(f"sx{_n}.xml", xml)
    out = os.path.join(TMP, f"sxo{_n}.xml")
    run([SIGNXML_PY, os.path.join(GEN, "sign_signxml.py"), src, out, key(signer), crt(signer), id_attr, "sha256"])
    return open(out).read()


def npm_sign(kind, signer):
    global _n
    _n += 1
    out = os.path.join(TMP, f"npm{_n}.xml")
    env = dict(os.environ, NODE_PATH=NPM_NODE_PATH)
    run(["node", os.path.join(GEN, "sign_npm.js"), kind, key(signer), crt(signer), out], env=env)
    return open(out).read()


def write(rel, content, mode="w"):
    path = os.path.join(TD, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(content)
    return rel


def xml_doc(body):
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def add(path, content, protocol, producer, intent, verdict, sig_valid, mfa, trust,
        signer=None, sigs=(), idattrs=None):
    """Register a fixture.  signer = key name used (for the crypto check with its own cert);
    sigs = [(node_xpath, expect_crypto_ok)] signatures to check with xmlsec1."""
    write(path, content)
    FIXTURES.append(dict(path=path, protocol=protocol, producer=producer, intent=intent,
                         expect_verdict=verdict, expect_signature_valid=sig_valid, expect_mfa=mfa,
                         trust=[f"keys/{t}.crt" for t in trust],
                         _signer=signer, _sigs=list(sigs), _idattrs=idattrs or protocol))


def tamper_sigvalue(xml):
    m = re.search(r"<ds:SignatureValue>([^<]*)</ds:SignatureValue>", xml)
    v = m.group(1)
    i = 20
    c = "B" if v[i] != "B" else "C"
    return xml[:m.start(1)] + v[:i] + c + v[i + 1:] + xml[m.end(1):]


# =========================================================== SAML 2.0
def build_saml2():
    A = T.saml2_assertion
    R = T.saml2_response
    S = T.sig_template
    TRUST = ["idp-signing"]

    def signed_assertion(aid, signer="idp-signing", alg="sha256", **kw):
        return xmlsec_sign(A(aid, sig=S(aid, alg), **kw), signer, "saml2")

    def resp(rid, assertions, **kw):
        return xml_doc(R(rid, assertions, **kw))

    P = "saml2/"
    std = dict(protocol="saml2", producer="xmlsec1")
    ok_a = [(XP_ASSERTION_SIG, True)]

    add(P + "mfa-sha256.xml", resp("_r0001", [signed_assertion("_a0001")]), **std,
        intent="Baseline: AuthnContextClassRef multipleauthn, assertion signed RSA-SHA256/SHA-256 with idp-signing",
        verdict="pass", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=ok_a)
    add(P + "mfa-sha1.xml", resp("_r0002", [signed_assertion("_a0002", alg="sha1")]), **std,
        intent="multipleauthn, assertion signed RSA-SHA1/SHA-1: accepted by Entra, expect pass WITH a weak-algorithm warning",
        verdict="pass", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=ok_a)
    add(P + "password-sha256.xml", resp("_r0003", [signed_assertion("_a0003", classref=T.PPT)]), **std,
        intent="ClassRef PasswordProtectedTransport: no MFA signal",
        verdict="fail", sig_valid=True, mfa=False, trust=TRUST, signer="idp-signing", sigs=ok_a)
    add(P + "unspecified.xml", resp("_r0004", [signed_assertion("_a0004", classref=T.UNSPECIFIED)]), **std,
        intent="ClassRef ac:classes:unspecified (Keycloak default; causes redirect loop): no MFA signal",
        verdict="fail", sig_valid=True, mfa=False, trust=TRUST, signer="idp-signing", sigs=ok_a)
    add(P + "refeds-mfa.xml", resp("_r0005", [signed_assertion("_a0005", classref=T.REFEDS_MFA)]), **std,
        intent="ClassRef https://refeds.org/profile/mfa: real MFA but Entra does not honour it (near miss)",
        verdict="fail", sig_valid=True, mfa=False, trust=TRUST, signer="idp-signing", sigs=ok_a)
    amr = T.saml2_attr("http://schemas.microsoft.com/claims/authnmethodsreferences", T.MULTIPLEAUTHN)
    add(P + "attr-authnmethodsreferences.xml",
        resp("_r0006", [signed_assertion("_a0006", classref=T.PPT, extra_attrs=amr)]), **std,
        intent="ClassRef PasswordProtectedTransport + Attribute authnmethodsreferences=multipleauthn: the attribute does not count in SAML 2.0 (near miss)",
        verdict="fail", sig_valid=True, mfa=False, trust=TRUST, signer="idp-signing", sigs=ok_a)

    # assertion signed, then response signed (response signature selected by --node-xpath)
    a = signed_assertion("_a0007")
    both = xmlsec_sign(R("_r0007", [a], sig=S("_r0007")), "idp-signing", "saml2", node_xpath=XP_RESPONSE_SIG)
    add(P + "mfa-response-signed.xml", xml_doc(both), **std,
        intent="multipleauthn; assertion signed AND Response signed (both idp-signing, both valid)",
        verdict="pass", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing",
        sigs=[(XP_RESPONSE_SIG, True), (XP_ASSERTION_SIG, True)])
    only = xmlsec_sign(R("_r0008", [A("_a0008")], sig=S("_r0008")), "idp-signing", "saml2")
    add(P + "mfa-response-only-signed.xml", xml_doc(only), **std,
        intent="multipleauthn; only the Response is signed (valid), the Assertion is not: Entra requires a signed assertion",
        verdict="fail", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=[(XP_RESPONSE_SIG, True)])

    # other producers
    sx = signxml_sign(A("_a0009", sig=T.SIGNXML_PLACEHOLDER), "idp-signing", "ID")
    add(P + "mfa-signxml.xml", resp("_r0009", [sx]), protocol="saml2", producer="signxml",
        intent="multipleauthn, assertion signed by python signxml (exc-c14n, RSA-SHA256; certificate base64 wrapped at 64 cols)",
        verdict="pass", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=ok_a)
    sx = signxml_sign(A("_a0010", classref=T.PPT, sig=T.SIGNXML_PLACEHOLDER), "idp-signing", "ID")
    add(P + "password-signxml.xml", resp("_r0010", [sx]), protocol="saml2", producer="signxml",
        intent="PasswordProtectedTransport, assertion signed by python signxml: no MFA signal",
        verdict="fail", sig_valid=True, mfa=False, trust=TRUST, signer="idp-signing", sigs=ok_a)
    npm = npm_sign("saml20", "idp-signing")
    add(P + "mfa-npm-saml.xml", resp("_r0011", [npm]), protocol="saml2", producer="npm-saml",
        intent="multipleauthn, assertion from npm saml@4 Saml20.create (xml-crypto 2.x); differs from the profile: "
               "millisecond timestamps, NotBefore=IssueInstant (no skew), AuthnStatement before AttributeStatement, "
               "IDPEmail has NameFormat basic + xsi:type xs:string; Response wrapper is unsigned",
        verdict="pass", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=ok_a)

    # keys
    ec = xmlsec_sign(A("_a0012", sig=S("_a0012", "ec256")), "idp-ec", "saml2")
    add(P + "mfa-ec.xml", resp("_r0012", [ec]), **std,
        intent="multipleauthn, assertion signed ECDSA P-256 SHA-256 (idp-ec); signature is randomized, bytes change on regenerate",
        verdict="pass", sig_valid=True, mfa=True, trust=["idp-ec"], signer="idp-ec", sigs=ok_a)
    add(P + "mfa-next-cert.xml", resp("_r0013", [signed_assertion("_a0013", signer="idp-next")]), **std,
        intent="multipleauthn signed with the roll-over key idp-next; pass when trust includes nextSigningCertificate",
        verdict="pass", sig_valid=True, mfa=True, trust=["idp-signing", "idp-next"], signer="idp-next", sigs=ok_a)
    add(P + "mfa-untrusted.xml", resp("_r0014", [signed_assertion("_a0014", signer="attacker")]), **std,
        intent="multipleauthn, validly signed by attacker key whose cert has the SAME subject CN=sts.contoso.test; not trusted",
        verdict="fail", sig_valid=True, mfa=True, trust=TRUST, signer="attacker", sigs=ok_a)
    add(P + "mfa-expired-cert.xml", resp("_r0015", [signed_assertion("_a0015", signer="idp-expired")]), **std,
        intent="multipleauthn signed with idp-expired (valid 2023-01-01..2024-01-01), trusted, but expired at --at time",
        verdict="fail", sig_valid=True, mfa=True, trust=["idp-expired"], signer="idp-expired", sigs=ok_a)
    add(P + "weak-rsa1024.xml", resp("_r0016", [signed_assertion("_a0016", signer="idp-weak1024")]), **std,
        intent="multipleauthn signed with a trusted RSA-1024 key: verifies; Microsoft documents no minimum key size, so "
               "certificate.key-size warns (it does not fail)",
        verdict="pass", sig_valid=True, mfa=True, trust=["idp-weak1024"], signer="idp-weak1024", sigs=ok_a)

    # requirement failures
    add(P + "wrong-audience.xml", resp("_r0017", [signed_assertion("_a0017", audience="https://wrong.example")]), **std,
        intent="multipleauthn but Audience https://wrong.example (not urn:federation:MicrosoftOnline)",
        verdict="fail", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=ok_a)
    add(P + "wrong-recipient.xml",
        resp("_r0018", [signed_assertion("_a0018", recipient="https://evil.example/acs")], destination="https://evil.example/acs"),
        **std, intent="multipleauthn but SubjectConfirmationData/@Recipient and Response/@Destination are https://evil.example/acs",
        verdict="fail", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=ok_a)
    add(P + "transient-nameid.xml", resp("_r0019", [signed_assertion("_a0019", nameid_format=T.TRANSIENT)]), **std,
        intent="multipleauthn but NameID Format transient (Entra needs persistent ImmutableID)",
        verdict="fail", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=ok_a)
    add(P + "no-idpemail.xml", resp("_r0020", [signed_assertion("_a0020", idpemail=False)]), **std,
        intent="multipleauthn but no IDPEmail attribute (no AttributeStatement at all)",
        verdict="fail", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=ok_a)
    add(P + "status-failure.xml",
        resp("_r0021", [signed_assertion("_a0021")], status_code="urn:oasis:names:tc:SAML:2.0:status:Responder",
             sub_status="urn:oasis:names:tc:SAML:2.0:status:AuthnFailed", status_message="MFA provider unavailable"),
        **std, intent="Status Responder/AuthnFailed although a valid signed multipleauthn assertion is present",
        verdict="fail", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=ok_a)

    # tampering
    t = signed_assertion("_a0022", classref=T.PPT).replace(T.PPT, T.MULTIPLEAUTHN)
    add(P + "tampered-classref.xml", resp("_r0022", [t]), **std,
        intent="signed with ClassRef PasswordProtectedTransport, text replaced by multipleauthn after signing: digest mismatch",
        verdict="fail", sig_valid=False, mfa=True, trust=TRUST, signer="idp-signing", sigs=[(XP_ASSERTION_SIG, False)])
    t = tamper_sigvalue(signed_assertion("_a0023"))
    add(P + "tampered-signaturevalue.xml", resp("_r0023", [t]), **std,
        intent="mfa-sha256 with one base64 character of SignatureValue changed (char 21): signature check fails, digest still OK",
        verdict="fail", sig_valid=False, mfa=True, trust=TRUST, signer="idp-signing", sigs=[(XP_ASSERTION_SIG, False)])
    add(P + "unsigned.xml", resp("_r0024", [A("_a0024")]), protocol="saml2", producer="none",
        intent="multipleauthn, no Signature anywhere",
        verdict="fail", sig_valid=None, mfa=True, trust=TRUST)
    evil = A("_evil0025")
    good = signed_assertion("_a0025", classref=T.PPT)
    add(P + "wrapped-evil-assertion.xml", resp("_r0025", [evil, good]), **std,
        intent="XSW: unsigned multipleauthn assertion _evil0025 inserted BEFORE the validly signed PasswordProtectedTransport assertion _a0025",
        verdict="fail", sig_valid=True, mfa=False, trust=TRUST, signer="idp-signing", sigs=ok_a)
    t = signed_assertion("_a0026")
    for u in T.ALGS["sha256"]:
        t = t.replace(u, u.replace("http://", "https://"))
    add(P + "https-algorithm-typo.xml", resp("_r0026", [t]), **std,
        intent="SignatureMethod/DigestMethod URIs changed to https://www.w3.org/... after signing (doc copy-paste trap): unknown algorithms, SignedInfo no longer matches",
        verdict="fail", sig_valid=False, mfa=True, trust=TRUST, signer="idp-signing", sigs=[(XP_ASSERTION_SIG, False)])
    # extensions beyond the brief
    dn = A("_a0028", sig=S("_a0028"))
    dn = dn.replace("<saml:", "<").replace("</saml:", "</").replace(f'xmlns:saml="{T.NS_SAML2}"', f'xmlns="{T.NS_SAML2}"')
    add(P + "mfa-adfs-default-ns.xml", resp("_r0028", [xmlsec_sign(dn, "idp-signing", "saml2")]), **std,
        intent="AD FS layout: Assertion uses the DEFAULT namespace (no saml: prefix) inside a samlp/saml-prefixed Response; multipleauthn",
        verdict="pass", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=ok_a)
    t = signed_assertion("_a0029", classref=T.MULTIPLEAUTHN + ".not").replace(
        T.MULTIPLEAUTHN + ".not", T.MULTIPLEAUTHN + "<!---->.not")
    add(P + "comment-injection-classref.xml", resp("_r0029", [t]), **std,
        intent="CVE-2017-11427 style: signed ClassRef '...claims/multipleauthn.not', '<!---->' inserted after signing; "
               "signature stays valid (c14n drops comments) but the full text is not multipleauthn; first-text-node readers are fooled",
        verdict="fail", sig_valid=True, mfa=False, trust=TRUST, signer="idp-signing", sigs=ok_a)
    add(P + "bare-assertion-mfa.xml", xml_doc(signed_assertion("_a0027")), **std,
        intent="Just the signed multipleauthn Assertion as document root (no Response)",
        verdict="pass", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=[(XP_ROOT_SIG, True)])


# =========================================================== WS-Fed / SAML 1.1
def build_wsfed():
    A = T.saml11_assertion
    S = T.sig_template
    TRUST = ["idp-signing"]
    P = "wsfed/"
    std = dict(protocol="wsfed-saml11", producer="xmlsec1")
    ok = [(XP_ASSERTION_SIG, True)]
    AMR_NS = "http://schemas.microsoft.com/claims"
    AM_NS = "http://schemas.microsoft.com/ws/2008/06/identity/claims"

    def signed(aid, signer="idp-signing", alg="sha256", **kw):
        return xmlsec_sign(A(aid, sig=S(aid, alg), **kw), signer, "wsfed-saml11")

    def rstr(tokens, v13=False):
        return xml_doc((T.rstr_13 if v13 else T.rstr_2005)(tokens))

    add(P + "mfa-authmethod-sha256.xml", rstr([signed("_b0001")]), **std,
        intent="RSTR (WS-Trust 2005/02) with SAML 1.1 AuthenticationMethod multipleauthn, RSA-SHA256",
        verdict="pass", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=ok)
    add(P + "mfa-authmethod-sha1.xml", rstr([signed("_b0002", alg="sha1")]), **std,
        intent="AuthenticationMethod multipleauthn, RSA-SHA1/SHA-1: expect pass WITH a weak-algorithm warning",
        verdict="pass", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=ok)
    add(P + "wiaormultiauthn.xml", rstr([signed("_b0003", authn_method=T.WIAORMULTIAUTHN)]), **std,
        intent="AuthenticationMethod http://schemas.microsoft.com/claims/wiaormultiauthn",
        verdict="pass", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=ok)
    add(P + "attr-authnmethodsreferences.xml",
        rstr([signed("_b0004", authn_method=T.SAML11_PASSWORD,
                     extra_attrs=T.saml11_attr("authnmethodsreferences", AMR_NS, T.MULTIPLEAUTHN))]), **std,
        intent="AuthenticationMethod password, Attribute authnmethodsreferences (ns http://schemas.microsoft.com/claims) = multipleauthn (AD FS pass-through rule)",
        verdict="pass", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=ok)
    add(P + "attr-authenticationmethod.xml",
        rstr([signed("_b0005", authn_method=T.SAML11_PASSWORD,
                     extra_attrs=T.saml11_attr("authenticationmethod", AM_NS, T.MULTIPLEAUTHN))]), **std,
        intent="AuthenticationMethod password, Attribute authenticationmethod (ns .../ws/2008/06/identity/claims) = multipleauthn",
        verdict="pass", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=ok)
    add(P + "password.xml", rstr([signed("_b0006", authn_method=T.SAML11_PASSWORD)]), **std,
        intent="AuthenticationMethod urn:oasis:names:tc:SAML:1.0:am:password and no MFA attribute",
        verdict="fail", sig_valid=True, mfa=False, trust=TRUST, signer="idp-signing", sigs=ok)
    add(P + "otp-nearmiss.xml",
        rstr([signed("_b0007", authn_method=T.SAML11_PASSWORD,
                     extra_attrs=T.saml11_attr("authnmethodsreferences", AMR_NS, T.ADFS_OTP))]), **std,
        intent="authnmethodsreferences = http://schemas.microsoft.com/ws/2012/12/authmethod/otp (AD FS adapter URI, not multipleauthn): near miss",
        verdict="fail", sig_valid=True, mfa=False, trust=TRUST, signer="idp-signing", sigs=ok)
    add(P + "mfa-trust13.xml", rstr([signed("_b0008")], v13=True), **std,
        intent="WS-Trust 1.3 (200512) RequestSecurityTokenResponseCollection/RSTR, AuthenticationMethod multipleauthn",
        verdict="pass", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=ok)
    sx = signxml_sign(A("_b0009", sig=T.SIGNXML_PLACEHOLDER), "idp-signing", "AssertionID")
    add(P + "mfa-signxml.xml", rstr([sx]), protocol="wsfed-saml11", producer="signxml",
        intent="AuthenticationMethod multipleauthn, SAML 1.1 assertion signed by python signxml (signature last child)",
        verdict="pass", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=ok)
    npm = npm_sign("saml11", "idp-signing")
    add(P + "mfa-npm-saml11.xml", rstr([npm]), protocol="wsfed-saml11", producer="npm-saml",
        intent="npm saml@4 Saml11.create: its template hard-codes AuthenticationMethod=password, so MFA is carried by "
               "Attribute authnmethodsreferences=multipleauthn; millisecond timestamps, NotBefore=IssueInstant; "
               "RSTR wrapper added by the generator",
        verdict="pass", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=ok)
    add(P + "untrusted.xml", rstr([signed("_b0011", signer="attacker")]), **std,
        intent="multipleauthn, validly signed by the attacker key (same subject CN as idp-signing), untrusted",
        verdict="fail", sig_valid=True, mfa=True, trust=TRUST, signer="attacker", sigs=ok)
    add(P + "expired-cert.xml", rstr([signed("_b0012", signer="idp-expired")]), **std,
        intent="multipleauthn signed with trusted but expired idp-expired certificate",
        verdict="fail", sig_valid=True, mfa=True, trust=["idp-expired"], signer="idp-expired", sigs=ok)
    add(P + "wrong-audience.xml", rstr([signed("_b0013", audience="https://wrong.example")]), **std,
        intent="multipleauthn but Audience https://wrong.example (AppliesTo still urn:federation:MicrosoftOnline)",
        verdict="fail", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=ok)
    add(P + "no-upn.xml", rstr([signed("_b0014", upn=False)]), **std,
        intent="multipleauthn but no UPN attribute",
        verdict="fail", sig_valid=True, mfa=True, trust=TRUST, signer="idp-signing", sigs=ok)
    t = signed("_b0015", authn_method=T.SAML11_PASSWORD).replace(
        f'AuthenticationMethod="{T.SAML11_PASSWORD}"', f'AuthenticationMethod="{T.MULTIPLEAUTHN}"')
    add(P + "tampered-authmethod.xml", rstr([t]), **std,
        intent="signed with AuthenticationMethod password, changed to multipleauthn after signing: digest mismatch",
        verdict="fail", sig_valid=False, mfa=True, trust=TRUST, signer="idp-signing", sigs=[(XP_ASSERTION_SIG, False)])
    t = signed("_b0016", authn_method=T.SAML11_PASSWORD,
               extra_attrs=T.saml11_attr("authnmethodsreferences", AMR_NS, T.ADFS_OTP)).replace(T.ADFS_OTP, T.MULTIPLEAUTHN)
    add(P + "tampered-attr.xml", rstr([t]), **std,
        intent="signed with authnmethodsreferences=.../authmethod/otp, value changed to multipleauthn after signing",
        verdict="fail", sig_valid=False, mfa=True, trust=TRUST, signer="idp-signing", sigs=[(XP_ASSERTION_SIG, False)])
    add(P + "unsigned.xml", rstr([A("_b0017")]), protocol="wsfed-saml11", producer="none",
        intent="multipleauthn SAML 1.1 assertion without Signature",
        verdict="fail", sig_valid=None, mfa=True, trust=TRUST)
    add(P + "wrapped-evil-assertion.xml",
        rstr([A("_evil0018"), signed("_b0018", authn_method=T.SAML11_PASSWORD)]), **std,
        intent="XSW: unsigned multipleauthn assertion _evil0018 before the validly signed password assertion _b0018 in RequestedSecurityToken",
        verdict="fail", sig_valid=True, mfa=False, trust=TRUST, signer="idp-signing", sigs=ok)


# =========================================================== encoded / captures
def body_of(rel):
    return open(os.path.join(TD, rel), "rb").read()


def build_encoded():
    P = "encoded/"
    saml_xml = body_of("saml2/mfa-sha256.xml")
    ws_xml = body_of("wsfed/mfa-authmethod-sha256.xml")
    saml_b64 = base64.b64encode(saml_xml).decode()
    ws_b64 = base64.b64encode(ws_xml).decode()
    ws_text = ws_xml.decode()
    TRUST = ["idp-signing"]
    common = dict(producer="xmlsec1", sig_valid=True, mfa=True, trust=TRUST)

    add(P + "mfa-sha256.b64", saml_b64 + "\n", protocol="saml2",
        intent="base64 (one line) of saml2/mfa-sha256.xml, as in the SAMLResponse form field", verdict="pass", **common)
    add(P + "wsfed-mfa.b64", ws_b64 + "\n", protocol="wsfed-saml11",
        intent="base64 (one line) of wsfed/mfa-authmethod-sha256.xml", verdict="pass", **common)
    saml_form = "SAMLResponse=" + urllib.parse.quote_plus(saml_b64) + "&RelayState=x"
    add(P + "saml2-form.txt", saml_form + "\n", protocol="saml2",
        intent="application/x-www-form-urlencoded POST body: SAMLResponse=<urlencoded base64 of saml2/mfa-sha256.xml>&RelayState=x",
        verdict="pass", **common)
    wctx = "LoginOptions=3&estsredirect=2&estsrequest=rQQIARAA"
    ws_form = ("wa=wsignin1.0&wresult=" + urllib.parse.quote_plus(ws_text) + "&wctx=" + urllib.parse.quote_plus(wctx))
    add(P + "wsfed-form.txt", ws_form + "\n", protocol="wsfed-saml11",
        intent="form POST body: wa=wsignin1.0&wresult=<urlencoded XML of wsfed/mfa-authmethod-sha256.xml>&wctx=...",
        verdict="pass", **common)

    def entry(method, url, t, status=200, post=None, mime="text/html", req_headers=(), resp_text=""):
        e = {
            "startedDateTime": t, "time": 42,
            "request": {"method": method, "url": url, "httpVersion": "HTTP/1.1", "cookies": [],
                        "headers": [{"name": "Host", "value": urllib.parse.urlsplit(url).hostname}] + list(req_headers),
                        "queryString": [{"name": k, "value": v} for k, v in urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)],
                        "headersSize": -1, "bodySize": 0},
            "response": {"status": status, "statusText": "OK" if status == 200 else "Found", "httpVersion": "HTTP/1.1",
                         "cookies": [], "headers": [{"name": "Content-Type", "value": mime}],
                         "content": {"size": len(resp_text), "mimeType": mime, "text": resp_text},
                         "redirectURL": "", "headersSize": -1, "bodySize": len(resp_text)},
            "cache": {}, "timings": {"blocked": 0, "dns": 0, "connect": 0, "send": 1, "wait": 40, "receive": 1, "ssl": 0},
        }
        if post is not None:
            ctype, params, text = post
            e["request"]["headers"].append({"name": "Content-Type", "value": ctype})
            pd = {"mimeType": ctype, "text": text}
            if params is not None:
                # like Chrome's HAR export: param values stay percent-encoded exactly as in the body
                pd["params"] = [{"name": k, "value": v} for k, v in params]
            e["request"]["postData"] = pd
            e["request"]["bodySize"] = len(text)
        return e

    def split_form(body):
        return [tuple(kv.split("=", 1)) for kv in body.split("&")]

    # The IdP echoes wctx unchanged, so the sign-in request carries exactly the wctx posted back with wresult.
    idp_get = entry("GET", "https://sts.contoso.test/adfs/ls/?wa=wsignin1.0&wtrealm=urn%3afederation%3aMicrosoftOnline"
                           "&wctx=" + urllib.parse.quote(wctx, safe="") + "&username=alice%40contoso.test",
                    "2026-01-15T09:59:50.000Z")
    unrelated = entry("POST", "https://login.microsoftonline.com/common/GetCredentialType?mkt=en-US",
                      "2026-01-15T09:59:45.000Z", mime="application/json",
                      post=("application/json; charset=UTF-8", None, json.dumps({"username": "alice@contoso.test",
                                                                                 "isOtherIdpSupported": True})),
                      resp_text=json.dumps({"Username": "alice@contoso.test", "IfExistsResult": 0,
                                            "Credentials": {"FederationRedirectUrl": "https://sts.contoso.test/adfs/ls/"}}))
    ws_post = entry("POST", "https://login.microsoftonline.com/login.srf", "2026-01-15T10:00:01.000Z",
                    post=("application/x-www-form-urlencoded", split_form(ws_form), ws_form))
    saml_post = entry("POST", "https://login.microsoftonline.com/login.srf", "2026-01-15T10:00:30.000Z",
                      post=("application/x-www-form-urlencoded", split_form(saml_form), saml_form))
    har = {"log": {"version": "1.2", "creator": {"name": "fedcheck-testdata", "version": "1.0"},
                   "pages": [], "entries": [unrelated, idp_get, ws_post, saml_post]}}
    add(P + "capture.har", json.dumps(har, indent=2) + "\n", protocol=None,
        intent="HAR 1.2: unrelated JSON POST, GET to the IdP, POST login.srf with wresult (wsfed/mfa-authmethod-sha256), "
               "POST login.srf with SAMLResponse (saml2/mfa-sha256); postData.params values percent-encoded as Chrome exports them",
        verdict="pass", **common)
    empty = {"log": {"version": "1.2", "creator": {"name": "fedcheck-testdata", "version": "1.0"},
                     "pages": [], "entries": [unrelated, idp_get]}}
    add(P + "empty.har", json.dumps(empty, indent=2) + "\n", protocol=None, producer="none",
        intent="HAR 1.2 with a GET to the IdP and an unrelated POST but no SAMLResponse/wresult: nothing to verify",
        verdict="error", sig_valid=None, mfa=False, trust=TRUST)

    hdr = [{"name": "Content-Type", "value": "application/x-www-form-urlencoded"},
           {"name": "Origin", "value": "https://sts.contoso.test"}]
    tracer = {"requests": [
        {"method": "GET", "url": idp_get["request"]["url"], "requestId": "request-101-GET-0001",
         "requestHeaders": [{"name": "Host", "value": "sts.contoso.test"}],
         "get": [[k, v] for k, v in urllib.parse.parse_qsl(urllib.parse.urlsplit(idp_get["request"]["url"]).query)],
         "protocol": "WS-Fed",
         "responseStatus": 200, "responseStatusText": "HTTP/1.1 200 OK", "responseHeaders": []},
        {"method": "POST", "url": "https://login.microsoftonline.com/login.srf", "requestId": "request-102-POST-0002",
         "requestHeaders": hdr,
         "postData": {"SAMLResponse": [saml_b64], "RelayState": ["x"]},
         "post": [["SAMLResponse", saml_b64], ["RelayState", "x"]],
         "protocol": "SAML-P", "saml": saml_xml.decode(),
         "responseStatus": 200, "responseStatusText": "HTTP/1.1 200 OK", "responseHeaders": []},
    ], "timestamp": "2026-01-15T10:01:00.000Z"}
    add(P + "saml-tracer.json", json.dumps(tracer, indent=2) + "\n", protocol="saml2",
        intent="SAML-tracer export (requests[] with method/url/post [[name,value]] decoded/protocol SAML-P/saml decoded XML) "
               "carrying saml2/mfa-sha256; plus a WS-Fed GET without token",
        verdict="pass", **common)
    add(P + "not-base64.txt", "SAMLResponse is: this is %%% not base64 !!! <xml?>\n", protocol=None, producer="none",
        intent="Neither XML nor base64 nor form data", verdict="error", sig_valid=None, mfa=False, trust=TRUST)
    txt = saml_xml.decode()
    add(P + "truncated.xml", txt[: len(txt) * 2 // 3], protocol="saml2", producer="xmlsec1",
        intent="saml2/mfa-sha256.xml cut at 2/3 of its length: not well-formed XML",
        verdict="error", sig_valid=None, mfa=False, trust=TRUST)


# =========================================================== metadata (not in manifest.json)
METADATA = []


def build_metadata():
    b64 = lambda n: open(os.path.join(KEYS, n + ".b64")).read().strip()  # noqa: E731
    md = T.saml2_idp_metadata("_m0001", b64("idp-signing"), b64("attacker"))
    write("metadata/saml2-idp-metadata.xml", xml_doc(md))
    METADATA.append({"path": "metadata/saml2-idp-metadata.xml", "signed": False,
                     "signing_certs": ["keys/idp-signing.crt"], "encryption_certs": ["keys/attacker.crt"],
                     "intent": "SAML 2.0 IdP metadata, unsigned; KeyDescriptor use=signing idp-signing, use=encryption attacker cert (must NOT be used to verify tokens)"})
    md = T.saml2_idp_metadata("_m0002", b64("idp-signing"), b64("attacker"), sig=T.sig_template("_m0002"))
    signed = xmlsec_sign(md, "idp-next", "metadata")
    write("metadata/saml2-idp-metadata-signed.xml", xml_doc(signed))
    METADATA.append({"path": "metadata/saml2-idp-metadata-signed.xml", "signed": True, "metadata_signer": "keys/idp-next.crt",
                     "signing_certs": ["keys/idp-signing.crt"], "encryption_certs": ["keys/attacker.crt"],
                     "intent": "same content, EntityDescriptor ID=_m0002 signed (enveloped, exc-c14n, RSA-SHA256) with idp-next"})
    FIXTURES_META_SIGS.append(("metadata/saml2-idp-metadata-signed.xml", "idp-next", XP_ROOT_SIG))
    fm = T.wsfed_federation_metadata("_m0003", [b64("idp-signing"), b64("idp-next")])
    write("metadata/wsfed-federationmetadata.xml", xml_doc(fm))
    METADATA.append({"path": "metadata/wsfed-federationmetadata.xml", "signed": False,
                     "signing_certs": ["keys/idp-signing.crt", "keys/idp-next.crt"],
                     "intent": "AD FS-style FederationMetadata: RoleDescriptor xsi:type fed:SecurityTokenServiceType, two signing KeyDescriptors (current + next), default namespace md"})
    write("metadata/index.json", json.dumps(METADATA, indent=2) + "\n")


FIXTURES_META_SIGS = []


# =========================================================== verification + c14n
def xmlsec_verify(path, idattrs, xpath, trust=None, pubkey=None, debug=False):
    cmd = ["xmlsec1", "--verify", *ID_ATTRS[idattrs]]
    for t in trust or []:
        cmd += ["--trusted-pem", os.path.join(TD, t)]
    if pubkey:
        cmd += ["--pubkey-cert-pem", pubkey]
    if xpath:
        cmd += ["--node-xpath", xpath]
    if debug:
        cmd += ["--store-references", "--store-signatures", "--print-debug"]
    p = subprocess.run(cmd + [os.path.join(TD, path)], capture_output=True)
    return p.returncode == 0, p.stdout


def buffers(out, label):
    start = f"== {label} data - start buffer:\n".encode()
    end = f"\n== {label} data - end buffer".encode()
    res, pos = [], 0
    while True:
        i = out.find(start, pos)
        if i < 0:
            return res
        j = out.find(end, i + len(start))
        res.append(out[i + len(start):j])
        pos = j + len(end)


def digest_info(xml_text, xpath_sig_index):
    """(DigestMethod, DigestValue) of the n-th Signature in document order."""
    sigs = re.findall(r"<ds:Signature\b.*?</ds:Signature>", xml_text, re.S)
    s = sigs[xpath_sig_index]
    dm = re.search(r'DigestMethod Algorithm="([^"]+)"', s).group(1)
    dv = re.sub(r"\s", "", re.search(r"<ds:DigestValue>([^<]*)</ds:DigestValue>", s).group(1))
    return dm, dv


HASHES = {"http://www.w3.org/2001/04/xmlenc#sha256": "sha256", "http://www.w3.org/2000/09/xmldsig#sha1": "sha1"}


def sig_index(xml_text, xpath):
    """Document-order index of the Signature that xpath selects (for our three xpaths)."""
    sigs = [m.start() for m in re.finditer(r"<ds:Signature\b", xml_text)]
    if xpath == XP_ASSERTION_SIG:
        # the signature inside a (the signed) Assertion
        for k, st in enumerate(sigs):
            before = xml_text[:st]
            la = max(before.rfind("<saml:Assertion "), before.rfind("<saml:Assertion>"))
            if la >= 0 and before.rfind("</saml:Assertion>") < la:
                return k
    return 0


def verify_all():
    failures = []
    rows = []
    c14n_index = {}
    os.makedirs(os.path.join(TD, "c14n"), exist_ok=True)
    jobs = [(f["path"], f["_idattrs"], f["_signer"], x, ok, f) for f in FIXTURES
            if f["_signer"] and f["path"].endswith(".xml") and f["expect_verdict"] != "error" for x, ok in f["_sigs"]]
    jobs += [(p, "metadata", s, x, True, {"trust": [f"keys/{s}.crt"], "expect_verdict": "pass"})
             for p, s, x in FIXTURES_META_SIGS]
    for path, idattrs, signer, xpath, expect_ok, f in jobs:
        crypto_ok, _ = xmlsec_verify(path, idattrs, xpath, pubkey=crt(signer))
        # One --trusted-pem per run: with several same-subject certificates xmlsec1/OpenSSL picks
        # the first one whose subject matches and fails (order-dependent), see README.
        trust_ok = any(xmlsec_verify(path, idattrs, xpath, trust=[t])[0] for t in f["trust"])
        status = "ok"
        if crypto_ok != expect_ok:
            status = "MISMATCH(crypto)"
        if f["expect_verdict"] == "pass" and not trust_ok:
            status = "MISMATCH(trust)"
        if status != "ok":
            failures.append(f"{path} {xpath}: {status}")
        rows.append((path, "assertion" if xpath == XP_ASSERTION_SIG else ("response" if xpath == XP_RESPONSE_SIG else "root"),
                     signer, expect_ok, crypto_ok, ",".join(os.path.basename(t)[:-4] for t in f["trust"]), trust_ok,
                     f["expect_verdict"], status))
        if crypto_ok:
            _, out = xmlsec_verify(path, idattrs, xpath, pubkey=crt(signer), debug=True)
            pre = buffers(out, "PreDigest")
            presigned = buffers(out, "PreSigned")
            text = open(os.path.join(TD, path)).read()
            dm, dv = digest_info(text, sig_index(text, xpath))
            if len(pre) != 1:
                failures.append(f"{path}: expected 1 pre-digest buffer, got {len(pre)}")
                continue
            h = base64.b64encode(hashlib.new(HASHES[dm], pre[0]).digest()).decode()
            if h != dv:
                failures.append(f"{path}: c14n digest {h} != DigestValue {dv}")
            stem = path[:-4].replace("/", "__")
            entries = c14n_index.setdefault(path, [])
            n = len(entries) + 1
            rel = f"c14n/{stem}.{n}.bin"
            write(rel, pre[0], "wb")
            ref = re.findall(r'<ds:Reference URI="([^"]*)"', text)[sig_index(text, xpath)]
            ent = {"file": rel, "signature": xpath, "reference_uri": ref, "signer": f"keys/{signer}.crt",
                   "digest_alg": dm, "digest_value": dv}
            if len(presigned) == 1:
                srel = f"c14n/{stem}.{n}.signedinfo.bin"
                write(srel, presigned[0], "wb")
                ent["signedinfo_file"] = srel
            entries.append(ent)
    write("c14n/index.json", json.dumps(c14n_index, indent=2, sort_keys=True) + "\n")
    return rows, failures


def main():
    build_saml2()
    build_wsfed()
    build_encoded()
    build_metadata()
    manifest = [{k: v for k, v in f.items() if not k.startswith("_")} for f in FIXTURES]
    write("manifest.json", json.dumps(manifest, indent=2) + "\n")
    rows, failures = verify_all()
    hdr = ("fixture", "sig", "signer", "exp-crypto", "crypto", "trust", "trusted", "verdict", "check")
    table = [hdr] + [tuple(str(c) for c in r) for r in rows]
    w = [max(len(r[i]) for r in table) for i in range(len(hdr))]
    lines = ["  ".join(c.ljust(w[i]) for i, c in enumerate(r)) for r in table]
    write("verify-table.txt", "\n".join(l.rstrip() for l in lines) + "\n")
    print("\n".join(lines))
    if failures:
        print("\nFAILURES:\n  " + "\n  ".join(failures), file=sys.stderr)
        sys.exit(1)
    print(f"\n{len(FIXTURES)} manifest fixtures, {len(rows)} signature checks: all as expected")


if __name__ == "__main__":
    main()
