#!/usr/bin/env python3
"""Writes testdata/jwt/: a throwaway RSA-2048 TEST key, its JWKS, and test access tokens shaped like Entra's.

Usage: python3 testdata/gen/jwt.py [--new-keys]

Every signature is made by the openssl CLI (`openssl dgst -sha256 -sign` for RS256, `openssl dgst -sha256 -mac HMAC`
for the HS256 key-confusion token); nothing here computes or types a signature itself. Only the Python standard
library and `openssl` are needed. RSA PKCS#1 v1.5 is deterministic, so rerunning with the same key gives the same
bytes. The key is kept unless --new-keys is given.
"""
import base64
import calendar
import hashlib
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "jwt"))
KEY = os.path.join(OUT, "test-key-1.key")
PUB = os.path.join(OUT, "test-key-1.pub.pem")
CRT = os.path.join(OUT, "test-key-1.crt")
ATTACKER_KEY = os.path.normpath(os.path.join(HERE, "..", "keys", "attacker.key"))
KID = "test-key-1"


def ts(s):
    return calendar.timegm(__import__("time").strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, check=True, capture_output=True).stdout


def seg(obj):
    return b64u(json.dumps(obj, separators=(",", ":")).encode())


def rs256(header, claims, key=KEY):
    signing_input = f"{seg(header)}.{seg(claims)}".encode()
    sig = openssl("dgst", "-sha256", "-sign", key, data=signing_input)
    return f"{signing_input.decode()}.{b64u(sig)}"


def hs256(header, claims, secret):
    signing_input = f"{seg(header)}.{seg(claims)}".encode()
    sig = openssl("dgst", "-sha256", "-mac", "HMAC", "-macopt", "hexkey:" + secret.hex(), "-binary", data=signing_input)
    return f"{signing_input.decode()}.{b64u(sig)}"


def unsigned(header, claims):
    return f"{seg(header)}.{seg(claims)}."


def keys(new):
    os.makedirs(OUT, exist_ok=True)
    if new or not os.path.exists(KEY):
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", KEY)
        for p in (PUB, CRT):
            if os.path.exists(p):
                os.remove(p)
    if not os.path.exists(PUB):
        openssl("pkey", "-in", KEY, "-pubout", "-out", PUB)
    if not os.path.exists(CRT):
        openssl("req", "-new", "-x509", "-key", KEY, "-subj", "/CN=fedcheck-test-jwt-signing", "-days", "3650",
                "-sha256", "-out", CRT)


def jwks():
    modulus = openssl("rsa", "-in", KEY, "-noout", "-modulus").decode().strip().split("=", 1)[1]
    n = bytes.fromhex(modulus)
    text = openssl("rsa", "-in", KEY, "-noout", "-text").decode()
    e_line = next(l for l in text.splitlines() if l.startswith("publicExponent"))
    e = int(e_line.split()[1])
    der = openssl("x509", "-in", CRT, "-outform", "DER")
    x5t = b64u(hashlib.sha1(der).digest())
    return {
        "keys": [
            {
                "kty": "RSA",
                "use": "sig",
                "kid": KID,
                "x5t": x5t,
                "n": b64u(n),
                "e": b64u(e.to_bytes((e.bit_length() + 7) // 8, "big")),
                "x5c": [base64.b64encode(der).decode()],
                "issuer": "https://login.microsoftonline.com/{tenantid}/v2.0",
            }
        ]
    }


TID = "0b5c8c2e-7d1a-4f6e-9a3b-2c4d6e8f0a1b"
GOOD_CLAIMS = {
    "aud": "https://api.partnercenter.microsoft.com",
    "iss": f"https://sts.windows.net/{TID}/",
    "iat": ts("2026-01-15T10:00:00Z"),
    "nbf": ts("2026-01-15T10:00:00Z"),
    "exp": ts("2026-01-15T11:00:00Z"),
    "amr": ["pwd", "mfa"],
    "appid": "4d5e6f70-8192-4a3b-bc4d-5e6f708192a3",
    "appidacr": "0",
    "idp": "http://sts.contoso.test/adfs/services/trust",
    "name": "Alice Test",
    "oid": "9a8b7c6d-5e4f-4321-8765-43210fedcba9",
    "scp": "user_impersonation",
    "tid": TID,
    "unique_name": "alice@contoso.test",
    "upn": "alice@contoso.test",
    "ver": "1.0",
}
GOOD_HEADER = {"typ": "JWT", "alg": "RS256", "kid": KID}


def with_claims(**changes):
    c = dict(GOOD_CLAIMS)
    for k, v in changes.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def main():
    keys("--new-keys" in sys.argv[1:])
    set_ = jwks()
    with open(os.path.join(OUT, "jwks.json"), "w") as f:
        json.dump(set_, f, indent=2)
        f.write("\n")
    with open(PUB, "rb") as f:
        pub_pem = f.read()

    tokens = {
        "good": rs256(GOOD_HEADER, GOOD_CLAIMS),
        "wrong-kid": rs256(dict(GOOD_HEADER, kid="test-key-unknown"), GOOD_CLAIMS),
        "expired": rs256(GOOD_HEADER, with_claims(iat=ts("2026-01-15T08:00:00Z"), nbf=ts("2026-01-15T08:00:00Z"),
                                                  exp=ts("2026-01-15T09:00:00Z"))),
        "alg-none": unsigned({"typ": "JWT", "alg": "none", "kid": KID}, GOOD_CLAIMS),
        # The classic confusion: HMAC keyed with the public key PEM exactly as the JWKS owner publishes it.
        "hs256-pubkey": hs256({"typ": "JWT", "alg": "HS256", "kid": KID}, GOOD_CLAIMS, pub_pem),
        "no-amr": rs256(GOOD_HEADER, with_claims(amr=None)),
        "amr-pwd-only": rs256(GOOD_HEADER, with_claims(amr=["pwd"])),
        # Signed by another key under the JWKS kid: the signature must not verify.
        "bad-signature": rs256(GOOD_HEADER, GOOD_CLAIMS, key=ATTACKER_KEY),
        "no-kid": rs256({"typ": "JWT", "alg": "RS256"}, GOOD_CLAIMS),
        # A jku header pointing at an attacker's key set: ignored and reported; the token is still the good one.
        "jku-header": rs256(dict(GOOD_HEADER, jku="https://attacker.example/keys"), GOOD_CLAIMS),
        "fed-mfa": rs256(GOOD_HEADER, with_claims(amr=["fed", "mfa"])),
    }
    for name, tok in tokens.items():
        with open(os.path.join(OUT, f"{name}.jwt"), "w") as f:
            f.write(tok + "\n")

    good = tokens["good"]
    with open(os.path.join(OUT, "token-response.json"), "w") as f:
        json.dump({"token_type": "Bearer", "expires_in": "3599", "resource": GOOD_CLAIMS["aud"],
                   "access_token": good, "refresh_token": "not-a-jwt-refresh"}, f, indent=2)
        f.write("\n")
    with open(os.path.join(OUT, "bearer.txt"), "w") as f:
        f.write(f"Authorization: Bearer {good}\n")
    har = {
        "log": {
            "version": "1.2",
            "creator": {"name": "fedcheck testdata", "version": "1"},
            "entries": [
                {
                    "request": {"method": "GET", "url": "https://login.microsoftonline.com/common/discovery/instance",
                                "headers": [{"name": "Accept", "value": "application/json"}]},
                    "response": {"status": 200, "headers": [],
                                 "content": {"mimeType": "application/json", "text": "{}"}},
                },
                {
                    "request": {"method": "POST", "url": f"https://login.microsoftonline.com/{TID}/oauth2/token",
                                "headers": [{"name": "Content-Type", "value": "application/x-www-form-urlencoded"}]},
                    "response": {"status": 200, "headers": [],
                                 "content": {"mimeType": "application/json; charset=utf-8",
                                             "text": json.dumps({"token_type": "Bearer", "access_token": good})}},
                },
                {
                    "request": {"method": "GET", "url": "https://api.partnercenter.microsoft.com/v1/customers",
                                "headers": [{"name": "authorization", "value": f"Bearer {good}"}]},
                    "response": {"status": 200, "headers": [],
                                 "content": {"mimeType": "application/json", "text": "{\"items\":[]}"}},
                },
                {
                    "request": {"method": "GET", "url": "https://api.partnercenter.microsoft.com/v1/profiles/mpn",
                                "headers": [{"name": "Authorization",
                                             "value": f"Bearer {tokens['amr-pwd-only']}"}]},
                    "response": {"status": 401, "headers": [],
                                 "content": {"mimeType": "application/json", "text": "MFA required"}},
                },
            ],
        }
    }
    with open(os.path.join(OUT, "capture.har"), "w") as f:
        json.dump(har, f, indent=2)
        f.write("\n")

    # Self-check with openssl: every RS256 token signed by the test key verifies against the public key.
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("good", "wrong-kid", "expired", "no-amr", "amr-pwd-only", "no-kid", "jku-header", "fed-mfa"):
            h, c, s = tokens[name].split(".")
            sig = os.path.join(tmp, "sig")
            with open(sig, "wb") as f:
                f.write(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
            openssl("dgst", "-sha256", "-verify", PUB, "-signature", sig, data=f"{h}.{c}".encode())
    print(f"wrote {len(tokens)} tokens, jwks.json, token-response.json, bearer.txt, capture.har into {OUT}")


if __name__ == "__main__":
    main()
