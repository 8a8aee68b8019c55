#!/usr/bin/env python3
"""Writes testdata/entra/: Entra domain federation settings exports for the fixtures' IdP, in every shape users have.

* graph-*.json: Graph REST `GET /v1.0/domains/contoso.test/federationConfiguration` (camelCase, {"value":[...]}),
  one per federatedIdpMfaBehavior value (and unset) and protocol; graph-entity.json: the single-object answer of
  `GET .../federationConfiguration/{id}` (`@odata.context` ending in `/$entity`).
* graph-powershell-*.json: Microsoft Graph PowerShell `Get-MgDomainFederationConfiguration -DomainId contoso.test
  -InternalDomainFederationId <id> | ConvertTo-Json` (PascalCase, `AdditionalProperties` holding `@odata.context`),
  as PowerShell 7 writes it (2-space layout, UTF-8) and as Windows PowerShell 5.1 writes it (`Out-File`: UTF-16LE
  with BOM, CRLF, its 4-space/aligned layout, dates as `\/Date(ms)\/`); an array of two domains.
* entra-powershell.json: Microsoft Entra PowerShell `Get-EntraDomainFederationSettings -DomainName contoso.test |
  ConvertTo-Json` (MSOnline's property names filled from Graph: no federatedIdpMfaBehavior, no SupportsMfa).
* msol-*.json: MSOnline `Get-MsolDomainFederationSettings -DomainName contoso.test`: with the enum names MSOnline
  uses (`WsFed`, `TranslateToFreshPasswordAuth`; the DomainFederationSettings JSON Microsoft documents, and what
  `ConvertTo-Json -EnumsAsStrings` writes) and as Windows PowerShell 5.1's `ConvertTo-Json | Out-File` writes it
  (enums as numbers, whose numbering Microsoft does not document).
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


def msol(protocol, prompt):
    """Get-MsolDomainFederationSettings: Microsoft.Online.Administration.DomainFederationSettings, its properties
    in the order Microsoft's DomainFederationSettings JSON lists them (PasswordChangeUri / PasswordResetUri are
    MSOnline properties too, empty unless set)."""
    return {
        "ActiveLogOnUri": "https://sts.contoso.test/adfs/services/trust/2005/usernamemixed",
        "DefaultInteractiveAuthenticationMethod": None,
        "FederationBrandName": "Contoso",
        "IssuerUri": ISSUER,
        "LogOffUri": "https://sts.contoso.test/adfs/ls/",
        "MetadataExchangeUri": "https://sts.contoso.test/adfs/services/trust/mex",
        "NextSigningCertificate": nxt,
        "OpenIdConnectDiscoveryEndpoint": None,
        "PassiveLogOnUri": "https://sts.contoso.test/adfs/ls/",
        "PasswordChangeUri": None,
        "PasswordResetUri": None,
        "PreferredAuthenticationProtocol": protocol,
        "PromptLoginBehavior": prompt,
        "SigningCertificate": cur,
        "SigningCertificateUpdateStatus": None,
        "SupportsMfa": True,
    }


# MSOnline's own enum names (Set-MsolDomainFederationSettings: WsFed|Samlp, TranslateToFreshPasswordAuth|NativeSupport|Disabled).
write("msol-supportsmfa.json", msol("WsFed", "TranslateToFreshPasswordAuth"))

LAST_RUN_MS = 1767225600000  # 2026-01-01T00:00:00Z


def graph_ps(behavior, protocol="wsFed", domain="contoso.test", issuer=ISSUER, signing=cur, next_=nxt,
             update=("success", "2026-01-01T00:00:00Z"), ident="6a1b2c3d-0000-4000-8000-000000000001",
             name="Contoso AD FS"):
    """Get-MgDomainFederationConfiguration -DomainId <domain> -InternalDomainFederationId <id>: the
    MicrosoftGraphInternalDomainFederation object, properties in the order Microsoft's Format-List example shows."""
    result, last_run = update
    return {
        "ActiveSignInUri": "https://sts.%s/adfs/services/trust/2005/usernamemixed" % domain,
        "DisplayName": name,
        "FederatedIdpMfaBehavior": behavior,
        "Id": ident,
        "IsSignedAuthenticationRequestRequired": False,
        "IssuerUri": issuer,
        "MetadataExchangeUri": "https://sts.%s/adfs/services/trust/mex" % domain,
        "NextSigningCertificate": next_,
        "PassiveSignInUri": "https://sts.%s/adfs/ls/" % domain,
        "PasswordResetUri": None,
        "PreferredAuthenticationProtocol": protocol,
        "PromptLoginBehavior": "nativeSupport",
        "SignOutUri": "https://sts.%s/adfs/ls/" % domain,
        "SigningCertificate": signing,
        "SigningCertificateUpdateStatus": {
            "CertificateUpdateResult": result,
            "LastRunDateTime": last_run,
            "AdditionalProperties": {},
        },
        "AdditionalProperties": {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#domains('%s')/federationConfiguration/$entity" % domain,
        },
    }


def ps7(name, obj):
    """PowerShell 7 ConvertTo-Json (2-space indent) saved with Out-File on Windows: UTF-8 without BOM, CRLF."""
    text = json.dumps(obj, indent=2)
    (out / name).write_bytes((text + "\n").replace("\n", "\r\n").encode("utf-8"))


def ps51_json(v, col=0):
    """Windows PowerShell 5.1 ConvertTo-Json layout: '"Key":  value', members 4 columns right of the brace."""
    if isinstance(v, dict):
        if not v:
            return "{\n\n" + " " * col + "}"
        inner = col + 4
        items = []
        for k, x in v.items():
            head = " " * inner + json.dumps(k) + ":  "
            items.append(head + ps51_json(x, len(head)))
        return "{\n" + ",\n".join(items) + "\n" + " " * col + "}"
    if isinstance(v, str) and v.startswith("/Date("):
        return '"\\/' + v[1:-1] + '\\/"'
    if isinstance(v, str):
        # JavaScriptSerializer (which 5.1's ConvertTo-Json uses) escapes these as \uXXXX.
        return "".join("\\u%04x" % ord(c) if c in "'<>&" else c for c in json.dumps(v))
    return json.dumps(v)


def ps51(name, obj):
    """Windows PowerShell 5.1: ConvertTo-Json | Out-File (UTF-16LE with BOM, CRLF)."""
    text = ps51_json(obj) + "\n"
    (out / name).write_bytes(b"\xff\xfe" + text.replace("\n", "\r\n").encode("utf-16-le"))


# The headline case: Graph PowerShell's PascalCase export holding rejectMfaByFederatedIdp.
ps7("graph-powershell-reject.json", graph_ps("rejectMfaByFederatedIdp"))
# Windows PowerShell 5.1 export: UTF-16LE, /Date()/ dates, automatic certificate update failing.
ps51("graph-powershell-ps51.json",
     graph_ps("acceptIfMfaDoneByFederatedIdp", update=("couldNotAccessRemoteHost", "/Date(%d)/" % LAST_RUN_MS)))
# Two domains (ForEach-Object over the federated domains, then one ConvertTo-Json: an array).
ec = (td / "keys" / "idp-ec.b64").read_text().strip()
ps7("graph-powershell-two-domains.json", [
    graph_ps("rejectMfaByFederatedIdp", protocol="saml", domain="fabrikam.test",
             issuer="http://sts.fabrikam.test/adfs/services/trust", signing=ec, next_=None,
             ident="6a1b2c3d-0000-4000-8000-000000000002", name="Fabrikam IdP"),
    graph_ps("acceptIfMfaDoneByFederatedIdp"),
])
# Get-EntraDomainFederationSettings: a PSCustomObject with MSOnline's names, values from Graph (via ConvertFrom-Json).
ps7("entra-powershell.json", {
    "ActiveLogOnUri": "https://sts.contoso.test/adfs/services/trust/2005/usernamemixed",
    "FederationBrandName": "Contoso AD FS",
    "IssuerUri": ISSUER,
    "LogOffUri": "https://sts.contoso.test/adfs/ls/",
    "MetadataExchangeUri": "https://sts.contoso.test/adfs/services/trust/mex",
    "NextSigningCertificate": nxt,
    "PassiveLogOnUri": "https://sts.contoso.test/adfs/ls/",
    "PreferredAuthenticationProtocol": "wsFed",
    "PromptLoginBehavior": "nativeSupport",
    "SigningCertificate": cur,
    "SigningCertificateUpdateStatus": {
        "AdditionalProperties": {},
        "CertificateUpdateResult": "success",
        "LastRunDateTime": "2026-01-01T00:00:00Z",
    },
})
# MSOnline in Windows PowerShell 5.1: ConvertTo-Json writes the enums as numbers. Microsoft documents no numbering
# for MSOnline's AuthenticationProtocol / PromptLoginBehavior, so the values here stand for "some number": fedcheck
# must report them as indeterminate whatever they are.
ps51("msol-ps51.json", msol(0, 0))
# Graph REST GET by id: one object, its own @odata.context.
entity = graph("enforceMfaByFederatedIdp")["value"][0]
entity = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#domains('contoso.test')/federationConfiguration/$entity", **entity}
write("graph-entity.json", entity)
print(f"entra.py: wrote {len(list(out.glob('*.json')))} files in {out}")
