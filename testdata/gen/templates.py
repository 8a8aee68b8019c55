"""XML templates for the fedcheck test fixtures (fixed values, deterministic IDs).

All tokens are compact (no indentation whitespace), like AD FS / Entra tokens on the wire.
Every Assertion declares its own namespaces, so exclusive c14n makes it safe to sign it
stand-alone and embed it afterwards.
"""

ISSUE = "2026-01-15T10:00:00Z"
NOT_BEFORE = "2026-01-15T09:55:00Z"
NOT_ON_OR_AFTER = "2026-01-15T11:00:00Z"
ISSUER = "http://sts.contoso.test/adfs/services/trust"
AUDIENCE = "urn:federation:MicrosoftOnline"
IMMUTABLE_ID = "bXlJbW11dGFibGVJZA=="
UPN = "alice@contoso.test"
ACS = "https://login.microsoftonline.com/login.srf"
REQUEST_ID = "_5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f"  # the AuthnRequest ID Entra would have sent

MULTIPLEAUTHN = "http://schemas.microsoft.com/claims/multipleauthn"
WIAORMULTIAUTHN = "http://schemas.microsoft.com/claims/wiaormultiauthn"
PPT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
UNSPECIFIED = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified"
REFEDS_MFA = "https://refeds.org/profile/mfa"
SAML11_PASSWORD = "urn:oasis:names:tc:SAML:1.0:am:password"
ADFS_OTP = "http://schemas.microsoft.com/ws/2012/12/authmethod/otp"

NS_SAML2 = "urn:oasis:names:tc:SAML:2.0:assertion"
NS_SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
NS_SAML1 = "urn:oasis:names:tc:SAML:1.0:assertion"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
SAML11_UNSPEC_FMT = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"

ALGS = {
    "sha256": ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2001/04/xmlenc#sha256"),
    "sha1": ("http://www.w3.org/2000/09/xmldsig#rsa-sha1", "http://www.w3.org/2000/09/xmldsig#sha1"),
    "ec256": ("http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", "http://www.w3.org/2001/04/xmlenc#sha256"),
}


def sig_template(ref_id, alg="sha256"):
    """Empty enveloped-signature template that `xmlsec1 --sign` fills in."""
    sm, dm = ALGS[alg]
    return (
        f'<ds:Signature xmlns:ds="{NS_DS}"><ds:SignedInfo>'
        '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
        f'<ds:SignatureMethod Algorithm="{sm}"/>'
        f'<ds:Reference URI="#{ref_id}"><ds:Transforms>'
        '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
        '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
        f'</ds:Transforms><ds:DigestMethod Algorithm="{dm}"/><ds:DigestValue></ds:DigestValue></ds:Reference>'
        '</ds:SignedInfo><ds:SignatureValue></ds:SignatureValue>'
        '<ds:KeyInfo><ds:X509Data></ds:X509Data></ds:KeyInfo></ds:Signature>'
    )


SIGNXML_PLACEHOLDER = f'<ds:Signature xmlns:ds="{NS_DS}" Id="placeholder"></ds:Signature>'


# ---------------------------------------------------------------- SAML 2.0

def saml2_attr(name, value, name_format=None):
    nf = f' NameFormat="{name_format}"' if name_format else ""
    return f'<saml:Attribute Name="{name}"{nf}><saml:AttributeValue>{value}</saml:AttributeValue></saml:Attribute>'


def saml2_assertion(aid, classref=MULTIPLEAUTHN, audience=AUDIENCE, recipient=ACS,
                    nameid_format=PERSISTENT, idpemail=True, extra_attrs="", sig=""):
    attrs = (saml2_attr("IDPEmail", UPN) if idpemail else "") + extra_attrs
    attr_stmt = f"<saml:AttributeStatement>{attrs}</saml:AttributeStatement>" if attrs else ""
    return (
        f'<saml:Assertion xmlns:saml="{NS_SAML2}" ID="{aid}" IssueInstant="{ISSUE}" Version="2.0">'
        f"<saml:Issuer>{ISSUER}</saml:Issuer>"
        f"{sig}"
        "<saml:Subject>"
        f'<saml:NameID Format="{nameid_format}">{IMMUTABLE_ID}</saml:NameID>'
        '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData InResponseTo="{REQUEST_ID}" NotOnOrAfter="{NOT_ON_OR_AFTER}" Recipient="{recipient}"/>'
        "</saml:SubjectConfirmation></saml:Subject>"
        f'<saml:Conditions NotBefore="{NOT_BEFORE}" NotOnOrAfter="{NOT_ON_OR_AFTER}">'
        f"<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>"
        "</saml:Conditions>"
        f"{attr_stmt}"
        f'<saml:AuthnStatement AuthnInstant="{ISSUE}" SessionIndex="{aid}">'
        f"<saml:AuthnContext><saml:AuthnContextClassRef>{classref}</saml:AuthnContextClassRef></saml:AuthnContext>"
        "</saml:AuthnStatement>"
        "</saml:Assertion>"
    )


def saml2_response(rid, assertions, destination=ACS, sig="",
                   status_code="urn:oasis:names:tc:SAML:2.0:status:Success", sub_status=None, status_message=None):
    sub = f'<samlp:StatusCode Value="{sub_status}"/>' if sub_status else ""
    status_code_el = (f'<samlp:StatusCode Value="{status_code}">{sub}</samlp:StatusCode>' if sub
                      else f'<samlp:StatusCode Value="{status_code}"/>')
    msg = f"<samlp:StatusMessage>{status_message}</samlp:StatusMessage>" if status_message else ""
    return (
        f'<samlp:Response xmlns:samlp="{NS_SAMLP}" xmlns:saml="{NS_SAML2}" ID="{rid}" Version="2.0" '
        f'IssueInstant="{ISSUE}" Destination="{destination}" InResponseTo="{REQUEST_ID}">'
        f"<saml:Issuer>{ISSUER}</saml:Issuer>"
        f"{sig}"
        f"<samlp:Status>{status_code_el}{msg}</samlp:Status>"
        f"{''.join(assertions)}"
        "</samlp:Response>"
    )


# ---------------------------------------------------------------- SAML 1.1 / WS-Federation

def saml11_attr(name, ns, value):
    return (f'<saml:Attribute AttributeName="{name}" AttributeNamespace="{ns}">'
            f"<saml:AttributeValue>{value}</saml:AttributeValue></saml:Attribute>")


def saml11_subject():
    return (
        "<saml:Subject>"
        f'<saml:NameIdentifier Format="{SAML11_UNSPEC_FMT}">{IMMUTABLE_ID}</saml:NameIdentifier>'
        "<saml:SubjectConfirmation><saml:ConfirmationMethod>urn:oasis:names:tc:SAML:1.0:cm:bearer</saml:ConfirmationMethod>"
        "</saml:SubjectConfirmation></saml:Subject>"
    )


def saml11_assertion(aid, authn_method=MULTIPLEAUTHN, audience=AUDIENCE, upn=True, extra_attrs="", sig=""):
    attrs = ""
    if upn:
        attrs += saml11_attr("UPN", "http://schemas.xmlsoap.org/claims", UPN)
    attrs += saml11_attr("ImmutableID", "http://schemas.microsoft.com/LiveID/Federation/2008/05", IMMUTABLE_ID)
    attrs += extra_attrs
    return (
        f'<saml:Assertion xmlns:saml="{NS_SAML1}" MajorVersion="1" MinorVersion="1" AssertionID="{aid}" '
        f'Issuer="{ISSUER}" IssueInstant="{ISSUE}">'
        f'<saml:Conditions NotBefore="{NOT_BEFORE}" NotOnOrAfter="{NOT_ON_OR_AFTER}">'
        f"<saml:AudienceRestrictionCondition><saml:Audience>{audience}</saml:Audience></saml:AudienceRestrictionCondition>"
        "</saml:Conditions>"
        f"<saml:AttributeStatement>{saml11_subject()}{attrs}</saml:AttributeStatement>"
        f'<saml:AuthenticationStatement AuthenticationMethod="{authn_method}" AuthenticationInstant="{ISSUE}">'
        f"{saml11_subject()}</saml:AuthenticationStatement>"
        f"{sig}"
        "</saml:Assertion>"
    )


WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
WSP = "http://schemas.xmlsoap.org/ws/2004/09/policy"
WSA = "http://www.w3.org/2005/08/addressing"
WST2005 = "http://schemas.xmlsoap.org/ws/2005/02/trust"
WST13 = "http://docs.oasis-open.org/ws-sx/ws-trust/200512"


def _rstr_body(prefix, tokens, applies_to, request_type, key_type):
    return (
        f'<{prefix}:Lifetime><wsu:Created xmlns:wsu="{WSU}">{ISSUE}</wsu:Created>'
        f'<wsu:Expires xmlns:wsu="{WSU}">{NOT_ON_OR_AFTER}</wsu:Expires></{prefix}:Lifetime>'
        f'<wsp:AppliesTo xmlns:wsp="{WSP}"><wsa:EndpointReference xmlns:wsa="{WSA}">'
        f"<wsa:Address>{applies_to}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>"
        f"<{prefix}:RequestedSecurityToken>{''.join(tokens)}</{prefix}:RequestedSecurityToken>"
        f"<{prefix}:TokenType>urn:oasis:names:tc:SAML:1.0:assertion</{prefix}:TokenType>"
        f"<{prefix}:RequestType>{request_type}</{prefix}:RequestType>"
        f"<{prefix}:KeyType>{key_type}</{prefix}:KeyType>"
    )


def rstr_2005(tokens, applies_to=AUDIENCE):
    return (
        f'<t:RequestSecurityTokenResponse xmlns:t="{WST2005}">'
        + _rstr_body("t", tokens, applies_to, f"{WST2005}/Issue",
                     "http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey")
        + "</t:RequestSecurityTokenResponse>"
    )


def rstr_13(tokens, applies_to=AUDIENCE):
    return (
        f'<trust:RequestSecurityTokenResponseCollection xmlns:trust="{WST13}"><trust:RequestSecurityTokenResponse>'
        + _rstr_body("trust", tokens, applies_to, f"{WST13}/Issue", f"{WST13}/Bearer")
        + "</trust:RequestSecurityTokenResponse></trust:RequestSecurityTokenResponseCollection>"
    )


# ---------------------------------------------------------------- metadata

MD = "urn:oasis:names:tc:SAML:2.0:metadata"


def _key_descriptor(use, b64, prefix="md"):
    return (f'<{prefix}:KeyDescriptor use="{use}"><ds:KeyInfo xmlns:ds="{NS_DS}"><ds:X509Data>'
            f"<ds:X509Certificate>{b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></{prefix}:KeyDescriptor>")


def saml2_idp_metadata(eid, signing_b64, encryption_b64, sig=""):
    return (
        f'<md:EntityDescriptor xmlns:md="{MD}" ID="{eid}" entityID="{ISSUER}" validUntil="2035-01-01T00:00:00Z">'
        f"{sig}"
        '<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        + _key_descriptor("signing", signing_b64)
        + _key_descriptor("encryption", encryption_b64)
        + f"<md:NameIDFormat>{PERSISTENT}</md:NameIDFormat>"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sts.contoso.test/adfs/ls/"/>'
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sts.contoso.test/adfs/ls/"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


def wsfed_federation_metadata(eid, signing_b64s):
    fed = "http://docs.oasis-open.org/wsfed/federation/200706"
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    kds = "".join(
        f'<KeyDescriptor use="signing"><KeyInfo xmlns="{NS_DS}"><X509Data><X509Certificate>{b}</X509Certificate>'
        "</X509Data></KeyInfo></KeyDescriptor>" for b in signing_b64s)
    return (
        f'<EntityDescriptor xmlns="{MD}" ID="{eid}" entityID="{ISSUER}">'
        f'<RoleDescriptor xmlns:xsi="{xsi}" xmlns:fed="{fed}" xsi:type="fed:SecurityTokenServiceType" '
        f'protocolSupportEnumeration="{fed} http://docs.oasis-open.org/wsfed/federation/200706">'
        f"{kds}"
        '<fed:TokenTypesOffered><fed:TokenType Uri="urn:oasis:names:tc:SAML:1.0:assertion"/>'
        '<fed:TokenType Uri="urn:oasis:names:tc:SAML:2.0:assertion"/></fed:TokenTypesOffered>'
        '<fed:ClaimTypesOffered>'
        '<auth:ClaimType xmlns:auth="http://docs.oasis-open.org/wsfed/authorization/200706" '
        'Uri="http://schemas.microsoft.com/claims/authnmethodsreferences" Optional="true">'
        "<auth:DisplayName>Authentication Methods References</auth:DisplayName></auth:ClaimType>"
        "</fed:ClaimTypesOffered>"
        f'<fed:PassiveRequestorEndpoint><wsa:EndpointReference xmlns:wsa="{WSA}">'
        "<wsa:Address>https://sts.contoso.test/adfs/ls/</wsa:Address></wsa:EndpointReference></fed:PassiveRequestorEndpoint>"
        f'<fed:SecurityTokenServiceEndpoint><wsa:EndpointReference xmlns:wsa="{WSA}">'
        "<wsa:Address>https://sts.contoso.test/adfs/services/trust/2005/usernamemixed</wsa:Address>"
        "</wsa:EndpointReference></fed:SecurityTokenServiceEndpoint>"
        "</RoleDescriptor></EntityDescriptor>"
    )
