#!/usr/bin/env python3
"""Writes testdata/adfs/rp-*.json: AD FS relying-party trusts as Windows PowerShell 5.1 writes
`Get-AdfsRelyingPartyTrust -Name "Microsoft Office 365 Identity Platform" | ConvertTo-Json | Out-File -Encoding utf8`.

The property list and order are those of Microsoft.IdentityServer.Management.Resources.RelyingPartyTrust (the order
`Get-AdfsRelyingPartyTrust | Format-List *` prints, the order ConvertTo-Json walks). The values are rendered the way
Windows PowerShell 5.1's ConvertTo-Json (JavaScriptSerializer) renders them:

* enums as their numbers: RevocationSetting CheckChainExcludeRoot = 5, AllowedClientTypes Public|Confidential = 6,
  RefreshTokenIssuanceDeviceTypes AllDevices = 2;
* DateTime as "\\/Date(milliseconds)\\/"; Uri as its string; collections as arrays; an empty dictionary as {};
* ResultantPolicy (a PolicyMetadata) as an object with IsParameterized, Serialized (the policy XML) and Summary;
* strings with <, >, &, ' escaped as \\u003c, \\u003e, \\u0026, \\u0027, and CR LF as \\r\\n;
* pretty-printed with PowerShell 5.1's own layout: `"Name":  value` (two spaces), nested members aligned under the
  column after the key, empty arrays as `[` blank line `]`, CRLF line ends, UTF-8 with BOM (Out-File -Encoding utf8).

Run from the repository root: python3 testdata/gen/adfs_rp.py
"""

import os

OUT = os.path.join(os.path.dirname(__file__), "..", "adfs")

# The issuance transform rules of the trust: Azure AD Connect's rules, from adfs/aadconnect-multidomain.txt.
with open(os.path.join(OUT, "aadconnect-multidomain.txt"), encoding="utf-8") as f:
    AADCONNECT_RULES = f.read().replace("\n", "\r\n")

# Access control policies (PolicyMetadata XML, as AD FS stores and returns them).
PERMIT_EVERYONE = (
    '<PolicyMetadata xmlns:i="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns="http://schemas.datacontract.org/2012/04/ADFS">\r\n'
    "  <RequireFreshAuthentication>false</RequireFreshAuthentication>\r\n"
    "  <IssuanceAuthorizationRules>\r\n"
    "    <Rule>\r\n"
    "      <Conditions>\r\n"
    '        <Condition i:type="AlwaysCondition">\r\n'
    "          <Operator>IsPresent</Operator>\r\n"
    "        </Condition>\r\n"
    "      </Conditions>\r\n"
    "    </Rule>\r\n"
    "  </IssuanceAuthorizationRules>\r\n"
    "</PolicyMetadata>"
)
PERMIT_EVERYONE_MFA = (
    '<PolicyMetadata xmlns:i="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns="http://schemas.datacontract.org/2012/04/ADFS">\r\n'
    "  <RequireFreshAuthentication>false</RequireFreshAuthentication>\r\n"
    "  <IssuanceAuthorizationRules>\r\n"
    "    <Rule>\r\n"
    "      <Conditions>\r\n"
    '        <Condition i:type="MultiFactorAuthenticationCondition">\r\n'
    "          <Operator>IsPresent</Operator>\r\n"
    "          <Values />\r\n"
    "        </Condition>\r\n"
    "      </Conditions>\r\n"
    "    </Rule>\r\n"
    "  </IssuanceAuthorizationRules>\r\n"
    "</PolicyMetadata>"
)
SUMMARY_EVERYONE = "RequireFreshAuthentication:False\r\nIssuanceAuthorizationRules:\r\n{\r\n  Permit everyone\r\n}"
SUMMARY_EVERYONE_MFA = (
    "RequireFreshAuthentication:False\r\nIssuanceAuthorizationRules:\r\n{\r\n"
    "  Permit everyone\r\n  and require multi-factor authentication\r\n}"
)

# The MFA trigger of AD FS 2012 R2 style trusts: MFA for requests from outside the corporate network.
EXTRANET_MFA = (
    'c:[Type == "http://schemas.microsoft.com/ws/2012/01/insidecorporatenetwork", Value == "false"]\r\n'
    ' => issue(Type = "http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod", '
    'Value = "http://schemas.microsoft.com/claims/multipleauthn");'
)
PERMIT_ALL_RULE = (
    '@RuleTemplate = "AllowAllAuthzRule"\r\n'
    ' => issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "true");'
)


def o365_trust(**over):
    """The trust Azure AD Connect creates on AD FS 2019, with overrides."""
    t = [
        ("AllowedAuthenticationClassReferences", []),
        ("EncryptionCertificateRevocationCheck", 5),
        ("PublishedThroughProxy", False),
        ("SigningCertificateRevocationCheck", 5),
        ("WSFedEndpoint", "https://login.microsoftonline.com/login.srf"),
        ("AdditionalWSFedEndpoint", []),
        ("ClaimsProviderName", []),
        ("ClaimsAccepted", []),
        ("EncryptClaims", True),
        ("Enabled", True),
        ("EncryptionCertificate", None),
        (
            "Identifier",
            ["https://login.microsoftonline.com/extSTS.srf", "https://login.windows.net/", "urn:federation:MicrosoftOnline"],
        ),
        ("NotBeforeSkew", 0),
        ("EnableJWT", False),
        ("AlwaysRequireAuthentication", False),
        ("Notes", None),
        ("OrganizationInfo", None),
        ("ObjectIdentifier", "3b0c1f48-7a2e-ee11-b8f0-000d3a1c2b4e"),
        ("ProxyEndpointMappings", {}),
        ("ProxyTrustedEndpoints", []),
        ("ProtocolProfile", "WsFed-SAML"),
        ("RequestSigningCertificate", []),
        ("EncryptedNameIdRequired", False),
        ("SignedSamlRequestsRequired", False),
        ("SamlEndpoints", []),
        ("SamlResponseSignature", "AssertionOnly"),
        ("SignatureAlgorithm", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"),
        ("TokenLifetime", 0),
        ("AllowedClientTypes", 6),
        ("IssueOAuthRefreshTokensTo", 2),
        ("RefreshTokenProtectionEnabled", True),
        ("RequestMFAFromClaimsProviders", False),
        ("ScopeGroupId", None),
        ("ScopeGroupIdentifier", None),
        ("DeviceAuthenticationMethod", None),
        ("Name", "Microsoft Office 365 Identity Platform"),
        ("AutoUpdateEnabled", True),
        ("MonitoringEnabled", True),
        ("MetadataUrl", "https://nexus.microsoftonline-p.com/federationmetadata/2007-06/federationmetadata.xml"),
        ("ConflictWithPublishedPolicy", False),
        ("IssuanceAuthorizationRules", None),
        ("IssuanceTransformRules", AADCONNECT_RULES),
        ("DelegationAuthorizationRules", None),
        ("LastPublishedPolicyCheckSuccessful", True),
        ("LastUpdateTime", "/Date(1767258000000)/"),
        ("LastMonitoredTime", "/Date(1768470000000)/"),
        ("ImpersonationAuthorizationRules", None),
        ("AdditionalAuthenticationRules", None),
        ("AccessControlPolicyName", "Permit everyone and require MFA"),
        ("AccessControlPolicyParameters", None),
        (
            "ResultantPolicy",
            [("IsParameterized", False), ("Serialized", PERMIT_EVERYONE_MFA), ("Summary", SUMMARY_EVERYONE_MFA)],
        ),
    ]
    keys = [k for k, _ in t]
    for k, v in over.items():
        assert k in keys, k
        t[keys.index(k)] = (k, v)
    return t


def drs_trust():
    """The Device Registration Service trust AD FS creates itself (to show selection among several trusts)."""
    return o365_trust(
        Name="Device Registration Service",
        Identifier=["urn:ms-drs:sts.contoso.test"],
        WSFedEndpoint=None,
        MetadataUrl=None,
        AutoUpdateEnabled=False,
        MonitoringEnabled=False,
        ObjectIdentifier="47c8e6a1-7a2e-ee11-b8f0-000d3a1c2b4e",
        IssuanceTransformRules='@RuleName = "Pass All Claims"\r\nc:[]\r\n => issue(claim = c);',
        AccessControlPolicyName="Permit everyone",
        ResultantPolicy=[("IsParameterized", False), ("Serialized", PERMIT_EVERYONE), ("Summary", SUMMARY_EVERYONE)],
    )


# --- Windows PowerShell 5.1 ConvertTo-Json rendering ------------------------------------------------------------

def js_string(s):
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch in "<>&'" or ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    text = "".join(out)
    # JavaScriptSerializer writes DateTime as "\/Date(ms)\/".
    if s.startswith("/Date(") and s.endswith(")/"):
        text = '"\\/' + s[1:-1] + '\\/"'
    return text


def scalar(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    return js_string(v)


def is_object(v):
    return isinstance(v, dict) or (isinstance(v, list) and v and all(isinstance(x, tuple) for x in v))


def members(v):
    return list(v.items()) if isinstance(v, dict) else v


def render(v, col):
    """`v` whose opening bracket sits at column `col`."""
    if is_object(v) or isinstance(v, dict):
        items = members(v)
        if not items:
            return "{\r\n\r\n" + " " * col + "}"
        pad = " " * (col + 4)
        parts = []
        for k, x in items:
            head = pad + js_string(k) + ":  "
            parts.append(head + render(x, len(head)))
        return "{\r\n" + ",\r\n".join(parts) + "\r\n" + " " * col + "}"
    if isinstance(v, list):
        if not v:
            return "[\r\n\r\n" + " " * col + "]"
        pad = " " * (col + 4)
        return "[\r\n" + ",\r\n".join(pad + render(x, col + 4) for x in v) + "\r\n" + " " * col + "]"
    return scalar(v)


def write(name, value):
    text = render(value, 0)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(b"\xef\xbb\xbf" + text.encode("utf-8") + b"\r\n")


write("rp-mfa-policy.json", o365_trust())
write("rp-message-only.json", o365_trust(SamlResponseSignature="MessageOnly"))
write(
    "rp-no-mfa.json",
    o365_trust(
        AccessControlPolicyName="Permit everyone",
        ResultantPolicy=[("IsParameterized", False), ("Serialized", PERMIT_EVERYONE), ("Summary", SUMMARY_EVERYONE)],
    ),
)
write(
    "rp-extranet-mfa.json",
    o365_trust(
        IssuanceAuthorizationRules=PERMIT_ALL_RULE,
        AdditionalAuthenticationRules=EXTRANET_MFA,
        AccessControlPolicyName=None,
        ResultantPolicy=None,
    ),
)
write("rp-all-trusts.json", [drs_trust(), o365_trust()])
