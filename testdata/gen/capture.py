#!/usr/bin/env python3
"""Writes testdata/capture/: HAR 1.2 captures of whole sign-ins, request and answer, for capture.correlation.

The tokens are the committed fixtures (saml2/mfa-sha256.xml answers InResponseTo _5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f;
wsfed/mfa-authmethod-sha256.xml); the AuthnRequest is the one Microsoft documents Entra sending ("Use a SAML 2.0
Identity Provider for single sign-on": ID, IssueInstant, Version, AssertionConsumerServiceIndex="0", Issuer
urn:federation:MicrosoftOnline, NameIDPolicy persistent), by HTTP-POST (what Entra uses) or HTTP-Redirect (raw
DEFLATE + base64 in the query). Like Chrome's HAR export, postData.params values stay percent-encoded.

* samlp-answered.har: POST of the AuthnRequest to the IdP, then the SAMLResponse answering it (InResponseTo = ID).
* unanswered.har: an AuthnRequest (HTTP-Redirect) with another ID and a wsignin1.0 request with another wctx, then
  both tokens: neither answers a captured request.

Run: python3 testdata/gen/capture.py [testdata]. Deterministic: rerunning gives identical bytes.
"""
import base64
import json
import pathlib
import sys
import urllib.parse
import zlib

td = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
out = td / "capture"
out.mkdir(exist_ok=True)

IDP = "https://sts.contoso.test/adfs/ls/"
ANSWERED_ID = "_5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f"
OTHER_ID = "_0b1c2d3e-0000-4000-8000-00000000aaaa"
WCTX = "LoginOptions=3&estsredirect=2&estsrequest=rQQIARAA"
OTHER_WCTX = "LoginOptions=3&estsredirect=2&estsrequest=rQQIARBB"


def authn_request(ident):
    return ('<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
            'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="%s" IssueInstant="2026-01-15T09:59:55Z" '
            'Version="2.0" AssertionConsumerServiceIndex="0"><saml:Issuer>urn:federation:MicrosoftOnline</saml:Issuer>'
            '<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"/></samlp:AuthnRequest>'
            % ident)


def deflate(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def entry(method, url, t, form=None):
    e = {
        "startedDateTime": t, "time": 42,
        "request": {"method": method, "url": url, "httpVersion": "HTTP/1.1", "cookies": [],
                    "headers": [{"name": "Host", "value": urllib.parse.urlsplit(url).hostname}],
                    "queryString": [{"name": k, "value": v}
                                    for k, v in urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)],
                    "headersSize": -1, "bodySize": 0},
        "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "cookies": [],
                     "headers": [{"name": "Content-Type", "value": "text/html"}],
                     "content": {"size": 0, "mimeType": "text/html", "text": ""},
                     "redirectURL": "", "headersSize": -1, "bodySize": 0},
        "cache": {}, "timings": {"blocked": 0, "dns": 0, "connect": 0, "send": 1, "wait": 40, "receive": 1, "ssl": 0},
    }
    if form is not None:
        text = "&".join(k + "=" + urllib.parse.quote_plus(v) for k, v in form)
        ctype = "application/x-www-form-urlencoded"
        e["request"]["headers"].append({"name": "Content-Type", "value": ctype})
        e["request"]["postData"] = {"mimeType": ctype, "text": text,
                                    "params": [{"name": k, "value": urllib.parse.quote_plus(v)} for k, v in form]}
        e["request"]["bodySize"] = len(text)
    return e


def har(entries):
    return {"log": {"version": "1.2", "creator": {"name": "fedcheck-testdata", "version": "1.0"},
                    "pages": [], "entries": entries}}


def write(name, obj):
    (out / name).write_text(json.dumps(obj, indent=2) + "\n")


saml_b64 = base64.b64encode((td / "saml2" / "mfa-sha256.xml").read_bytes()).decode()
ws_xml = (td / "wsfed" / "mfa-authmethod-sha256.xml").read_text()
acs = "https://login.microsoftonline.com/login.srf"

write("samlp-answered.har", har([
    entry("POST", IDP, "2026-01-15T09:59:55.000Z",
          form=[("SAMLRequest", base64.b64encode(authn_request(ANSWERED_ID).encode()).decode())]),
    entry("POST", acs, "2026-01-15T10:00:30.000Z", form=[("SAMLResponse", saml_b64), ("RelayState", "x")]),
]))

redirect_q = urllib.parse.urlencode({"SAMLRequest": base64.b64encode(deflate(authn_request(OTHER_ID).encode())).decode()})
wsignin_q = urllib.parse.urlencode({"wa": "wsignin1.0", "wtrealm": "urn:federation:MicrosoftOnline", "wctx": OTHER_WCTX})
write("unanswered.har", har([
    entry("GET", IDP + "?" + redirect_q, "2026-01-15T09:59:40.000Z"),
    entry("GET", IDP + "?" + wsignin_q, "2026-01-15T09:59:50.000Z"),
    entry("POST", acs, "2026-01-15T10:00:01.000Z", form=[("wa", "wsignin1.0"), ("wresult", ws_xml), ("wctx", WCTX)]),
    entry("POST", acs, "2026-01-15T10:00:30.000Z", form=[("SAMLResponse", saml_b64), ("RelayState", "x")]),
]))
print(f"capture.py: wrote {len(list(out.glob('*.har')))} files in {out}")
