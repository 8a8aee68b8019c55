//! The values Entra requires in a federated token: its MFA claim values, claim types and namespaces, its audience
//! and sign-in endpoint, and the SAML identifiers the checks compare with. The lint of IdP configurations and the
//! local stand-in use the same constants.

/// Entra's MFA claim value.
pub const MULTIPLEAUTHN: &str = "http://schemas.microsoft.com/claims/multipleauthn";
/// "Windows integrated or multiple authentication", also honoured for WS-Fed.
pub const WIAORMULTIAUTHN: &str = "http://schemas.microsoft.com/claims/wiaormultiauthn";
/// AD FS pass-through claim type (namespace + name).
pub const AMR_NS: &str = "http://schemas.microsoft.com/claims";
/// The `authnmethodsreferences` claim type as a full URI.
pub const AMR_URI: &str = "http://schemas.microsoft.com/claims/authnmethodsreferences";
/// The `authenticationmethod` claim namespace.
pub const AUTHMETHOD_NS: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims";
/// The `authenticationmethod` claim type as a full URI.
pub const AUTHMETHOD_URI: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod";
/// Entra's audience for federated domains.
pub const ENTRA_AUDIENCE: &str = "urn:federation:MicrosoftOnline";
/// Entra's sign-in endpoint.
pub const ENTRA_ACS: &str = "https://login.microsoftonline.com/login.srf";
/// SAML 2.0 persistent NameID format.
pub const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
/// SAML 2.0 bearer confirmation.
pub const BEARER2: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
/// SAML 1.x bearer confirmation.
pub const BEARER1: &str = "urn:oasis:names:tc:SAML:1.0:cm:bearer";
/// SAML 2.0 success status.
pub const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
/// SAML 1.1 UPN claim namespace.
pub const UPN_NS: &str = "http://schemas.xmlsoap.org/claims";
/// SAML 1.1 ImmutableID claim namespace.
pub const IMMUTABLEID_NS: &str = "http://schemas.microsoft.com/LiveID/Federation/2008/05";
/// The `authenticationinstant` claim type (WS-Fed), the instant of the first factor.
pub const AUTHN_INSTANT_URI: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationinstant";
/// AD FS's claim with the instant of the last multi-factor authentication.
pub const MFA_INSTANT_URI: &str =
    "http://schemas.microsoft.com/ws/2017/04/identity/claims/multifactorauthenticationinstant";
