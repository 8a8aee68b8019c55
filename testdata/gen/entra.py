#!/usr/bin/env python3
"""Writes testdata/entra/: Entra domain federation settings exports for the fixtures' IdP.

Graph `GET /v1.0/domains/contoso.test/federationConfiguration` responses (one per federatedIdpMfaBehavior value, and
unset) and an MSOnline `Get-MsolDomainFederationSettings | ConvertTo-Json` export with the legacy SupportsMfa.
The certificates are the committed test keys (keys/idp-signing.b64 current, keys/idp-next.b64 next).
Deterministic: rerunning gives identical bytes.
"""
import json
import pathlib
import sys

td = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
out = td / "entra"
out.mkdir(exist_ok=True)
cur = (td / "keys" / "idp-signing.b64").read_text().strip()
nxt = (td / "keys" / "idp-next.b64").read_text().strip()
ISSUER = "http://sts.contoso.test/adfs/services/trust"


def graph(behavior, protocol="wsFed", issuer=ISSUER, signing=cur, next_=nxt):
    item = {
        "@odata.type": "#microsoft.graph.internalDomainFederation",
        "id": "6a1b2c3d-0000-4000-8000-000000000001",
        "displayName": "Contoso AD FS",
        "issuerUri": issuer,
        "metadataExchangeUri": "https://sts.contoso.test/adfs/services/trust/mex",
        "signingCertificate": signing,
        "nextSigningCertificate": next_,
        "passiveSignInUri": "https://sts.contoso.test/adfs/ls/",
        "preferredAuthenticationProtocol": protocol,
        "activeSignInUri": "https://sts.contoso.test/adfs/services/trust/2005/usernamemixed",
        "signOutUri": "https://sts.contoso.test/adfs/ls/",
        "promptLoginBehavior": "nativeSupport",
        "isSignedAuthenticationRequestRequired": False,
        "signingCertificateUpdateStatus": {"certificateUpdateResult": "success", "lastRunDateTime": "2026-01-01T00:00:00Z"},
    }
    if behavior is not None:
        item["federatedIdpMfaBehavior"] = behavior
    return {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#domains('contoso.test')/federationConfiguration",
        "value": [item],
    }


def write(name, obj):
    (out / name).write_text(json.dumps(obj, indent=2) + "\n")


for behavior, tag in [("acceptIfMfaDoneByFederatedIdp", "accept"), ("enforceMfaByFederatedIdp", "enforce"),
                      ("rejectMfaByFederatedIdp", "reject"), (None, "unset")]:
    write(f"graph-{tag}-wsfed.json", graph(behavior))
    write(f"graph-{tag}-saml.json", graph(behavior, protocol="saml"))
write("graph-wrong-issuer.json", graph("acceptIfMfaDoneByFederatedIdp", issuer="https://sts.contoso.test/adfs/services/trust/"))
write("graph-rolled-cert.json", graph("acceptIfMfaDoneByFederatedIdp", signing=nxt, next_=""))
write("msol-supportsmfa.json", {
    "ActiveLogOnUri": "https://sts.contoso.test/adfs/services/trust/2005/usernamemixed",
    "DefaultInteractiveAuthenticationMethod": None,
    "FederationBrandName": "Contoso",
    "IssuerUri": ISSUER,
    "LogOffUri": "https://sts.contoso.test/adfs/ls/",
    "MetadataExchangeUri": "https://sts.contoso.test/adfs/services/trust/mex",
    "NextSigningCertificate": nxt,
    "OpenIdConnectDiscoveryEndpoint": None,
    "PassiveLogOnUri": "https://sts.contoso.test/adfs/ls/",
    "PreferredAuthenticationProtocol": "WsFed",
    "PromptLoginBehavior": "TranslateToFreshPasswordAuthentication",
    "SigningCertificate": cur,
    "SigningCertificateUpdateStatus": None,
    "SupportsMfa": True,
})
print(f"entra.py: wrote {len(list(out.glob('*.json')))} files in {out}")
