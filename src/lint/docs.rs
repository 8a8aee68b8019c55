//! Where each product documents the settings `lint-config` reads: one constant per page, cited by the findings'
//! `docs` field, so a reader can check every verdict against its source.

// Microsoft Entra ID
/// Satisfy Microsoft Entra ID MFA controls with MFA claims from a federated IdP.
pub const ENTRA_MFA_CLAIMS: &str =
    "https://learn.microsoft.com/entra/identity/authentication/how-to-mfa-expected-inbound-assertions";
/// Use a SAML 2.0 Identity Provider (IdP) for single sign-on (NameID, IDPEmail, signed assertion).
pub const ENTRA_SAML_IDP: &str =
    "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-fed-saml-idp";
/// Change signature hash algorithm for the Microsoft 365 relying party trust.
pub const ENTRA_SHA256: &str =
    "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-fed-sha256-guidance";
/// The internalDomainFederation resource (federatedIdpMfaBehavior).
pub const GRAPH_FEDERATION: &str = "https://learn.microsoft.com/graph/api/resources/internaldomainfederation";
/// Securing cloud resources with Microsoft Entra MFA and AD FS.
pub const ENTRA_MFA_ADFS: &str = "https://learn.microsoft.com/entra/identity/authentication/howto-mfa-adfs";

// AD FS
/// The rules Azure AD Connect writes on the Microsoft 365 relying party trust.
pub const ADFS_AADCONNECT_RULES: &str =
    "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-fed-management";
/// `issuerid` for several federated domains (and subdomains).
pub const ADFS_MULTIPLE_DOMAINS: &str =
    "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-install-multiple-domains";
/// "Skip MFA for requests from federated users on my intranet" (trusted IPs).
pub const ENTRA_TRUSTED_IPS: &str =
    "https://learn.microsoft.com/entra/identity/authentication/howto-mfa-mfasettings#trusted-ips";
/// The role of the claim rule language.
pub const ADFS_RULE_LANGUAGE: &str =
    "https://learn.microsoft.com/windows-server/identity/ad-fs/technical-reference/the-role-of-the-claim-rule-language";
/// Set-AdfsRelyingPartyTrust (SamlResponseSignature, SignatureAlgorithm, AdditionalAuthenticationRules, ...).
pub const ADFS_SET_RP: &str = "https://learn.microsoft.com/powershell/module/adfs/set-adfsrelyingpartytrust";
/// Access control policies in AD FS (the built-in policies and their MFA conditions).
pub const ADFS_ACP: &str =
    "https://learn.microsoft.com/windows-server/identity/ad-fs/operations/access-control-policies-in-ad-fs";
/// Configure authentication policies (global and per-trust additional authentication rules).
pub const ADFS_AUTHN_POLICIES: &str =
    "https://learn.microsoft.com/windows-server/identity/ad-fs/operations/configure-authentication-policies";

// Keycloak
/// Server administration guide: creating and configuring a SAML client (signatures, NameID format).
pub const KC_SAML_CLIENT: &str =
    "https://www.keycloak.org/docs/latest/server_admin/index.html#_client-saml-configuration";
/// Server administration guide: protocol mappers (attributes, NameID mapper).
pub const KC_MAPPERS: &str = "https://www.keycloak.org/docs/latest/server_admin/index.html#_protocol-mappers";
/// Server administration guide: authentication flows, requirements and conditions.
pub const KC_FLOWS: &str = "https://www.keycloak.org/docs/latest/server_admin/index.html#_authentication-flows";
/// Server administration guide: what Required, Alternative, Conditional and Disabled mean in a flow.
pub const KC_REQUIREMENTS: &str =
    "https://www.keycloak.org/docs/latest/server_admin/index.html#_execution-requirements";
/// Server administration guide: step-up authentication (levels of authentication).
pub const KC_STEP_UP: &str = "https://www.keycloak.org/docs/latest/server_admin/index.html#_step-up-flow";
/// Keycloak issue 11721: the SAML response always carries AuthnContextClassRef `unspecified`.
pub const KC_ISSUE_11721: &str = "https://github.com/keycloak/keycloak/issues/11721";
/// Keycloak issue 10155: step-up authentication for SAML clients (preview feature, Keycloak 26.6).
pub const KC_ISSUE_10155: &str = "https://github.com/keycloak/keycloak/issues/10155";

// Shibboleth IdP
/// SAML2SSOConfiguration: signResponses (default true), signAssertions, encryptAssertions, defaultAuthenticationMethods.
pub const SHIB_SAML2_SSO: &str = "https://shibboleth.atlassian.net/wiki/spaces/IDP4/pages/1265631694";
/// ProfileConfiguration-SAMLAssertion: signAssertions defaults to false; WantAssertionsSigned in metadata.
pub const SHIB_SAML_ASSERTION: &str =
    "https://shibboleth.atlassian.net/wiki/spaces/IDP4/pages/3169288205/ProfileConfiguration-SAMLAssertion";
/// ProfileConfiguration-SAML2SSO: encryptAssertions defaults to true.
pub const SHIB_SAML2_SSO_OPTIONS: &str =
    "https://shibboleth.atlassian.net/wiki/spaces/IDP4/pages/1265631686/ProfileConfiguration-SAML2SSO";
/// MultiFactorAuthnConfiguration: the MFA login flow, its transition rules and supportedPrincipals, idp.authn.flows.
pub const SHIB_MFA: &str = "https://shibboleth.atlassian.net/wiki/spaces/IDP5/pages/3199505534";
/// NameIDGenerationConfiguration: persistent and attribute-sourced NameID generators.
pub const SHIB_NAMEID: &str = "https://shibboleth.atlassian.net/wiki/spaces/IDP5/pages/3199507810";
/// AttributeFilterPolicyConfiguration: which attributes are released to which relying party (Requester rules).
pub const SHIB_FILTER: &str = "https://shibboleth.atlassian.net/wiki/spaces/IDP5/pages/3199501835";
/// RelyingPartyConfiguration: overrides per relying party (relying-party.xml).
pub const SHIB_RELYING_PARTY: &str =
    "https://shibboleth.atlassian.net/wiki/spaces/IDP30/pages/2494726167/RelyingPartyConfiguration";

// Okta
/// Use Okta MFA for Azure Active Directory (Classic Engine documentation, with the known issues).
pub const OKTA_O365_MFA: &str =
    "https://help.okta.com/en-us/content/topics/apps/office365/use_okta_mfa_azure_ad_mfa.htm";
/// Use Okta MFA for Azure Active Directory (Identity Engine documentation).
pub const OKTA_O365_MFA_OIE: &str =
    "https://help.okta.com/oie/en-us/content/topics/apps/office365/use_okta_mfa_azure_ad_mfa.htm";
/// Known issues of "Use Okta MFA for Azure AD" in Classic Engine (fixed in Identity Engine by step-up).
pub const OKTA_KB_CLASSIC: &str =
    "https://support.okta.com/help/s/article/known-issues-when-using-use-okta-mfa-for-azure-ad-feature-in-classic";
/// OFFICE365_PASS_CLAIM_FOR_MFA: in Identity Engine every rule that grants access must require MFA for the claim.
pub const OKTA_KB_PASS_CLAIM: &str = "https://support.okta.com/help/s/article/Org-Summary-OFFICE365PASSCLAIMFORMFA";
/// Okta Management API: Policies (ACCESS_POLICY rules, verificationMethod, factorMode).
pub const OKTA_POLICY_API: &str = "https://developer.okta.com/docs/api/openapi/okta-management/management/tag/Policy/";
/// Okta Management API: Applications (the Microsoft Office 365 app, `office365`).
pub const OKTA_APPS_API: &str =
    "https://developer.okta.com/docs/api/openapi/okta-management/management/tag/Application/";

/// Where the product or Microsoft documents what a claim-rule check (`adfs.*`) looks at.
pub fn adfs_rules(id: &str) -> &'static [&'static str] {
    use crate::rules::ids;
    match id {
        ids::ADFS_AMR_PASSTHROUGH | ids::ADFS_MFA_UNCONDITIONAL => &[ADFS_AADCONNECT_RULES, ENTRA_MFA_CLAIMS],
        ids::ADFS_ISSUER_ID | ids::ADFS_ISSUER_ID_DOMAINS => &[ADFS_MULTIPLE_DOMAINS, ADFS_AADCONNECT_RULES],
        ids::ADFS_INSIDE_CORPORATE_NETWORK => &[ADFS_AADCONNECT_RULES, ENTRA_TRUSTED_IPS],
        ids::ADFS_UNPARSED => &[ADFS_RULE_LANGUAGE],
        _ => &[ADFS_AADCONNECT_RULES],
    }
}
