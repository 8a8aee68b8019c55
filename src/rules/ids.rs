//! Every check id fedcheck reports, one constant each: the stable contract scripts, test plans (`checks = {...}`),
//! `--fail-on` and the JSON reports match on. Producers build their [`super::Check`]s with these constants and
//! consumers compare with them, so an id is spelled in exactly one place.
//!
//! Grouped by producer: the token rules ([`super::evaluate`]), the capture correlation, Entra's federation settings
//! (`entra::checks`), Entra's own token (`entra::jwt`), the local stand-in (`harness::serve`), and `lint-config` per
//! product (AD FS claim rules, AD FS relying-party trust, Keycloak, Shibboleth, Okta).

// The token: structure and signature.
/// The document's assertions are of its envelope's protocol.
pub const TOKEN_PROTOCOL: &str = "token.protocol";
/// An `EncryptedAssertion` fedcheck cannot read.
pub const ASSERTION_ENCRYPTED: &str = "assertion.encrypted";
/// The token carries an XML signature.
pub const SIGNATURE_PRESENT: &str = "signature.present";
/// Every signature verifies and the claims rest on one of them (cryptographic truth).
pub const SIGNATURE_VALID: &str = "signature.valid";
/// fedcheck and libxmlsec1 reach the same verdict.
pub const SIGNATURE_ENGINES_AGREE: &str = "signature.engines-agree";
/// The signature's algorithms against what Entra documents.
pub const SIGNATURE_ALGORITHM: &str = "signature.algorithm";
/// A verified signature whose reference or place is outside SAML's signature profile.
pub const SIGNATURE_REFERENCE: &str = "signature.reference";
/// The assertion itself is signed.
pub const SIGNATURE_ASSERTION_SIGNED: &str = "signature.assertion-signed";

// The token: the signing certificate.
/// The key that verified is a trust anchor.
pub const CERTIFICATE_TRUSTED: &str = "certificate.trusted";
/// The signing certificate is valid at the evaluation time.
pub const CERTIFICATE_VALIDITY: &str = "certificate.validity";
/// The signing key's size.
pub const CERTIFICATE_KEY_SIZE: &str = "certificate.key-size";

// The token: MFA and claims.
/// The protocol-correct MFA signal in the signed claims.
pub const MFA_SIGNAL: &str = "mfa.signal";
/// The authentication instant Entra's sign-in frequency counts from.
pub const MFA_INSTANT: &str = "mfa.instant";
/// No claims could be read from signed bytes.
pub const CLAIMS_SIGNED: &str = "claims.signed";
/// The audience is Entra's.
pub const AUDIENCE: &str = "audience";
/// The issuer is the one expected.
pub const ISSUER: &str = "issuer";
/// The NameID / NameIdentifier.
pub const SUBJECT_NAMEID: &str = "subject.nameid";
/// The user's UPN (`IDPEmail`, `UPN`).
pub const SUBJECT_UPN: &str = "subject.upn";
/// The WS-Fed `ImmutableID` attribute.
pub const SUBJECT_IMMUTABLEID: &str = "subject.immutableid";
/// The bearer subject confirmation.
pub const SUBJECT_CONFIRMATION: &str = "subject.confirmation";
/// `NotBefore` / `NotOnOrAfter` against the evaluation time.
pub const CONDITIONS_TIME: &str = "conditions.time";

// The token: the message around the assertion.
/// SAML 2.0 `Response/@Destination`.
pub const RESPONSE_DESTINATION: &str = "response.destination";
/// SAML 2.0 `Response/Status`.
pub const RESPONSE_STATUS: &str = "response.status";
/// WS-Trust `AppliesTo`.
pub const WSFED_APPLIES_TO: &str = "wsfed.applies-to";
/// What was read from signed bytes and what was ignored.
pub const CONTENT_UNSIGNED: &str = "content.unsigned";

// A token taken from a capture.
/// The token answers the sign-in request captured with it.
pub const CAPTURE_CORRELATION: &str = "capture.correlation";

// Entra's federation settings for the domain.
/// Which configuration (domain) the token was judged against.
pub const ENTRA_DOMAIN: &str = "entra.domain";
/// The token's issuer is the domain's `issuerUri`.
pub const ENTRA_ISSUER: &str = "entra.issuer";
/// The signing key is the domain's `signingCertificate` or `nextSigningCertificate`.
pub const ENTRA_SIGNING_CERTIFICATE: &str = "entra.signing-certificate";
/// `signingCertificateUpdateStatus`.
pub const ENTRA_CERTIFICATE_UPDATE: &str = "entra.certificate-update";
/// The token's protocol is the domain's `preferredAuthenticationProtocol`.
pub const ENTRA_PROTOCOL: &str = "entra.protocol";
/// `promptLoginBehavior` with the legacy `SupportsMfa`.
pub const ENTRA_PROMPT_LOGIN: &str = "entra.prompt-login";
/// What Entra does with the token.
pub const ENTRA_OUTCOME: &str = "entra.outcome";

// Entra's own token (`check-token`, `--entra-token`).
/// The JWT's signature against Entra's keys.
pub const JWT_SIGNATURE: &str = "jwt.signature";
/// The JWT's header.
pub const JWT_HEADER: &str = "jwt.header";
/// The JWT's user.
pub const JWT_UPN: &str = "jwt.upn";
/// The JWT's client application.
pub const JWT_APPID: &str = "jwt.appid";
/// The JWT's scopes.
pub const JWT_SCP: &str = "jwt.scp";
/// The JWT's validity period.
pub const JWT_TIME: &str = "jwt.time";
/// The JWT's `amr` (MFA as Entra saw it).
pub const JWT_AMR: &str = "jwt.amr";
/// The JWT's audience.
pub const JWT_AUDIENCE: &str = "jwt.audience";
/// The JWT's tenant.
pub const JWT_TENANT: &str = "jwt.tenant";

// The local stand-in (`serve`).
/// A token posted twice.
pub const SERVE_REPLAY: &str = "serve.replay";
/// The token answers a request the stand-in sent.
pub const SERVE_CORRELATION: &str = "serve.correlation";

// lint-config: AD FS claim rules.
/// A rule passes the incoming `authnmethodsreferences` through.
pub const ADFS_AMR_PASSTHROUGH: &str = "adfs.amr-passthrough";
/// A rule issues the MFA value without testing for an MFA method.
pub const ADFS_MFA_UNCONDITIONAL: &str = "adfs.mfa-unconditional";
/// A rule fedcheck did not understand.
pub const ADFS_UNPARSED: &str = "adfs.unparsed";
/// Which rules issue `issuerid`.
pub const ADFS_ISSUER_ID: &str = "adfs.issuer-id";
/// Which rules issue `ImmutableID`.
pub const ADFS_IMMUTABLEID: &str = "adfs.immutableid";
/// Which rules issue `UPN`.
pub const ADFS_UPN: &str = "adfs.upn";
/// Where `nameidentifier` comes from.
pub const ADFS_NAMEIDENTIFIER: &str = "adfs.nameidentifier";
/// `insidecorporatenetwork`: passed through or made up.
pub const ADFS_INSIDE_CORPORATE_NETWORK: &str = "adfs.inside-corporate-network";
/// `multifactorauthenticationinstant`: passed through or made up.
pub const ADFS_MFA_INSTANT: &str = "adfs.mfa-instant";
/// Which `issuerid` each UPN suffix gets.
pub const ADFS_ISSUER_ID_DOMAINS: &str = "adfs.issuer-id-domains";

// lint-config: an AD FS relying-party trust.
/// The trust with Entra's identifier.
pub const ADFS_RP_TRUST: &str = "adfs-rp.trust";
/// `Enabled`.
pub const ADFS_RP_ENABLED: &str = "adfs-rp.enabled";
/// `SamlResponseSignature`.
pub const ADFS_RP_RESPONSE_SIGNATURE: &str = "adfs-rp.response-signature";
/// `SignatureAlgorithm`.
pub const ADFS_RP_SIGNATURE_ALGORITHM: &str = "adfs-rp.signature-algorithm";
/// The access control policy and additional authentication rules require MFA.
pub const ADFS_RP_MFA_REQUIRED: &str = "adfs-rp.mfa-required";
/// An `AdditionalAuthenticationRules` rule not understood.
pub const ADFS_RP_UNPARSED: &str = "adfs-rp.unparsed";
/// `IssuanceTransformRules` present.
pub const ADFS_RP_ISSUANCE_RULES: &str = "adfs-rp.issuance-rules";

// lint-config: Keycloak.
/// The SAML client for Entra.
pub const KEYCLOAK_CLIENT: &str = "keycloak.client";
/// Entra's ACS URL among the client's redirect URIs.
pub const KEYCLOAK_ACS: &str = "keycloak.acs";
/// "Sign assertions".
pub const KEYCLOAK_ASSERTION_SIGNATURE: &str = "keycloak.assertion-signature";
/// `saml.signature.algorithm`.
pub const KEYCLOAK_SIGNATURE_ALGORITHM: &str = "keycloak.signature-algorithm";
/// `saml.encrypt`.
pub const KEYCLOAK_ENCRYPTION: &str = "keycloak.encryption";
/// "Include AuthnStatement".
pub const KEYCLOAK_AUTHN_STATEMENT: &str = "keycloak.authn-statement";
/// The NameID format and mapper.
pub const KEYCLOAK_NAMEID: &str = "keycloak.nameid";
/// The `IDPEmail` mapper.
pub const KEYCLOAK_IDPEMAIL: &str = "keycloak.idpemail";
/// The AuthnContextClassRef Keycloak writes.
pub const KEYCLOAK_AUTHN_CONTEXT: &str = "keycloak.authn-context";
/// Every way through the browser flow has a second factor.
pub const KEYCLOAK_SECOND_FACTOR: &str = "keycloak.second-factor";

// lint-config: Shibboleth IdP.
/// The relying-party override for Entra.
pub const SHIBBOLETH_RELYING_PARTY: &str = "shibboleth.relying-party";
/// `SAML2.SSO` among the profile configurations.
pub const SHIBBOLETH_SSO_PROFILE: &str = "shibboleth.sso-profile";
/// `signAssertions`.
pub const SHIBBOLETH_ASSERTION_SIGNATURE: &str = "shibboleth.assertion-signature";
/// `encryptAssertions`.
pub const SHIBBOLETH_ENCRYPTION: &str = "shibboleth.encryption";
/// `defaultAuthenticationMethods`.
pub const SHIBBOLETH_MFA_CONTEXT: &str = "shibboleth.mfa-context";
/// The persistent NameID generator.
pub const SHIBBOLETH_NAMEID: &str = "shibboleth.nameid";
/// The attribute sent as `IDPEmail`.
pub const SHIBBOLETH_IDPEMAIL: &str = "shibboleth.idpemail";
/// Which login flows may produce the MFA context.
pub const SHIBBOLETH_MFA_FLOW: &str = "shibboleth.mfa-flow";
/// One file given: which checks were left out.
pub const SHIBBOLETH_FILES: &str = "shibboleth.files";

// lint-config: Okta.
/// The Office 365 app.
pub const OKTA_APP: &str = "okta.app";
/// A custom SAML 2.0 app for Entra.
pub const OKTA_SAML_APP: &str = "okta.saml-app";
/// Where "Use Okta MFA to satisfy Entra ID MFA" is switched on.
pub const OKTA_USE_OKTA_MFA: &str = "okta.use-okta-mfa";
/// The rules belong to the app's access policy.
pub const OKTA_POLICY_LINK: &str = "okta.policy-link";
/// A rule that grants access with one factor.
pub const OKTA_MFA_EXEMPTION: &str = "okta.mfa-exemption";
