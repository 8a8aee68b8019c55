//! What Entra does with a token: the domain's effective MFA behaviour ([`FederationConfig::effective_behavior`],
//! from `federatedIdpMfaBehavior` or the legacy `SupportsMfa`), and the outcome [`predict`] derives from it, the
//! token's MFA claim and what would make Entra reject the token first ([`Blockers`]), in words and with the
//! AADSTS code users see.

use super::{ConfigFlavor, FederationConfig, MfaBehavior, Setting};
use crate::saml::Protocol;
use serde::Serialize;

/// What the effective behaviour rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// `federatedIdpMfaBehavior` is set to a documented value.
    Setting,
    /// `federatedIdpMfaBehavior` holds a value that cannot be interpreted.
    UnknownValue,
    /// A Graph export with `federatedIdpMfaBehavior` unset: the legacy `SupportsMfa` (not shown) decides.
    GraphUnset,
    /// An MSOnline export: `SupportsMfa` is shown, `federatedIdpMfaBehavior` (which overrides it) is not.
    Legacy,
    /// An Entra PowerShell export: neither `federatedIdpMfaBehavior` nor `SupportsMfa` is exported.
    NotExported,
}

/// The behaviour and why it applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EffectiveBehavior {
    /// The behaviour.
    pub behavior: MfaBehavior,
    /// What it rests on.
    pub basis: Basis,
    /// Why: which setting decided it.
    pub source: String,
}

impl FederationConfig {
    /// Computes the effective MFA behaviour per Microsoft's rules: `federatedIdpMfaBehavior` when set (it then
    /// overrides the legacy `SupportsMfa`); else `SupportsMfa` (true behaves as enforce, false or unset as accept).
    /// Graph exports cannot show `SupportsMfa`, MSOnline exports cannot show `federatedIdpMfaBehavior`, Entra
    /// PowerShell exports show neither: each says so instead of guessing.
    pub fn effective_behavior(&self) -> EffectiveBehavior {
        let b = |behavior, basis, source: String| EffectiveBehavior {
            behavior,
            basis,
            source,
        };
        match &self.federated_idp_mfa_behavior {
            Some(Setting::Known { value, .. }) => b(*value, Basis::Setting, "federatedIdpMfaBehavior".into()),
            Some(Setting::Indeterminate { raw, reason }) => b(
                MfaBehavior::Indeterminate,
                Basis::UnknownValue,
                format!("federatedIdpMfaBehavior is {raw:?}: {reason}"),
            ),
            None => match self.flavor {
                ConfigFlavor::Msol => {
                    let hidden = "unless federatedIdpMfaBehavior was set, which overrides it and which MSOnline does not show";
                    match self.supports_mfa {
                        Some(true) => b(
                            MfaBehavior::EnforceMfaByFederatedIdp,
                            Basis::Legacy,
                            format!("legacy SupportsMfa = true, which behaves like enforceMfaByFederatedIdp {hidden}"),
                        ),
                        Some(false) => b(
                            MfaBehavior::AcceptIfMfaDoneByFederatedIdp,
                            Basis::Legacy,
                            format!("legacy SupportsMfa = false, which behaves like acceptIfMfaDoneByFederatedIdp {hidden}"),
                        ),
                        None => b(
                            MfaBehavior::AcceptIfMfaDoneByFederatedIdp,
                            Basis::Legacy,
                            format!("SupportsMfa is not set: Entra's default, acceptIfMfaDoneByFederatedIdp, {hidden}"),
                        ),
                    }
                }
                ConfigFlavor::EntraPowershell => b(
                    MfaBehavior::Indeterminate,
                    Basis::NotExported,
                    "Get-EntraDomainFederationSettings exports neither federatedIdpMfaBehavior nor the legacy SupportsMfa; read them with Get-MgDomainFederationConfiguration".into(),
                ),
                ConfigFlavor::Graph | ConfigFlavor::GraphPowershell => b(
                    MfaBehavior::Indeterminate,
                    Basis::GraphUnset,
                    "federatedIdpMfaBehavior is unset and Graph does not show the legacy SupportsMfa: if SupportsMfa was ever set to true Entra enforces MFA at the IdP, otherwise it accepts the IdP's MFA".into(),
                ),
            },
        }
    }
}

/// What Entra does with the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The IdP's MFA claim is honoured: no second prompt, Entra's token carries `amr: mfa`.
    Honoured,
    /// When something requires MFA, Entra prompts its own MFA (the IdP's MFA, if any, does not count).
    EntraMfa,
    /// When something requires MFA, Entra sends the user back to the IdP to do MFA; without the claim, a loop.
    RedirectToIdp,
    /// Entra rejects the token.
    Rejected,
    /// Depends on a setting fedcheck cannot see.
    Indeterminate,
}

/// Entra's predicted outcome for one token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prediction {
    /// The outcome.
    pub outcome: Outcome,
    /// The behaviour that applied.
    pub behavior: MfaBehavior,
    /// Why that behaviour applies.
    pub behavior_source: String,
    /// The signed MFA claim is present where Entra reads it for this protocol.
    pub claim_present: bool,
    /// The protocol.
    pub protocol: Protocol,
    /// In words.
    pub description: String,
    /// The AADSTS error users will see, if any.
    pub aadsts: Option<String>,
    /// The domain whose settings were used, when the export names it.
    pub domain: Option<String>,
    /// The configuration used, as reports name it (the domain, else its position and issuer).
    pub configuration: String,
    /// The kind of export the settings came from.
    pub settings_kind: ConfigFlavor,
}

/// Facts about the token that decide a rejection before MFA is considered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blockers {
    /// The signature does not verify (AADSTS50006).
    pub bad_signature: bool,
    /// The signature verifies, but with a key that is not the domain's (AADSTS50008 / AADSTS5000811).
    pub unknown_key: bool,
    /// The issuer is not the domain's issuerUri.
    pub issuer_mismatch: bool,
    /// The signing certificate has expired.
    pub cert_expired: bool,
    /// The token's protocol is not the domain's preferred protocol.
    pub protocol_mismatch: bool,
}

/// What the outcome depends on: Entra acts on MFA only when something requires it for the sign-in.
const WHEN_REQUIRED: &str = "When Conditional Access, per-user MFA or security defaults require MFA for the sign-in";
/// And what happens otherwise.
const OTHERWISE: &str = "when nothing requires MFA, Entra issues its token without mfa in amr and Partner Center refuses it (401 MFA required)";

fn back_to_idp(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::WsfedSaml11 => {
            "Entra sends the user back to the IdP with wauth=http://schemas.microsoft.com/claims/multipleauthn"
        }
        Protocol::Saml2 => {
            "Entra sends the user back to the IdP with a new AuthnRequest (Microsoft does not document how a SAML-P request asks for MFA)"
        }
    }
}

/// Predicts Entra's outcome for a token.
pub fn predict(
    behavior: &EffectiveBehavior,
    claim_present: bool,
    protocol: Protocol,
    blockers: &Blockers,
) -> Prediction {
    let (outcome, description, aadsts) = match rejection(blockers) {
        Some((description, aadsts)) => (Outcome::Rejected, description.to_string(), aadsts),
        None => mfa_outcome(behavior, claim_present, protocol),
    };
    Prediction {
        outcome,
        behavior: behavior.behavior,
        behavior_source: behavior.source.clone(),
        claim_present,
        protocol,
        description,
        aadsts: aadsts.map(str::to_string),
        domain: None,
        configuration: String::new(),
        settings_kind: ConfigFlavor::Graph,
    }
}

/// Why Entra rejects the token before MFA is considered (the first blocker, in the order Entra meets them), and the
/// AADSTS code.
fn rejection(blockers: &Blockers) -> Option<(&'static str, Option<&'static str>)> {
    [
        (
            blockers.bad_signature,
            "Entra rejects the token: its signature does not verify",
            Some("AADSTS50006"),
        ),
        (
            blockers.unknown_key,
            "Entra rejects the token: it is signed with a key that is neither the domain's signingCertificate nor its nextSigningCertificate (\"the signing key identifier does not match any valid registered keys\")",
            Some("AADSTS50008 / AADSTS5000811"),
        ),
        (
            blockers.cert_expired,
            "Entra rejects the token: the signing certificate has expired",
            Some("AADSTS50008"),
        ),
        (
            blockers.issuer_mismatch,
            "Entra rejects the token: its issuer is not the domain's issuerUri",
            Some("AADSTS50107"),
        ),
        (
            blockers.protocol_mismatch,
            "Entra rejects the token: the domain is configured for the other federation protocol",
            None,
        ),
    ]
    .into_iter()
    .find(|(blocked, _, _)| *blocked)
    .map(|(_, description, aadsts)| (description, aadsts))
}

/// The outcome of a token Entra accepts: the behaviour, what it rests on, and whether the signed MFA claim is there.
fn mfa_outcome(
    behavior: &EffectiveBehavior,
    claim_present: bool,
    protocol: Protocol,
) -> (Outcome, String, Option<&'static str>) {
    let honoured = "Entra honours the IdP's MFA claim: no second prompt, and Entra's own token carries amr = mfa";
    let own_mfa = format!(
        "{WHEN_REQUIRED}, Entra does not see MFA from the IdP and prompts its own MFA (users not registered for Entra MFA are asked to register); {OTHERWISE}"
    );
    let redirect = format!(
        "{WHEN_REQUIRED}, {}; if the IdP answers again without the claim, the user loops between Entra and the IdP; {OTHERWISE}",
        back_to_idp(protocol)
    );
    match (behavior.basis, behavior.behavior, claim_present) {
        (Basis::UnknownValue, _, _) => (
            Outcome::Indeterminate,
            "fedcheck cannot tell what Entra does: federatedIdpMfaBehavior holds a value it cannot interpret".into(),
            None,
        ),
        (Basis::NotExported, _, true) | (Basis::Legacy, _, true) => (
            Outcome::Indeterminate,
            "Entra honours the IdP's MFA claim unless federatedIdpMfaBehavior is rejectMfaByFederatedIdp, which this export cannot show".into(),
            None,
        ),
        (Basis::NotExported, _, false) => (
            Outcome::Indeterminate,
            format!(
                "depends on federatedIdpMfaBehavior, which this export does not show: {WHEN_REQUIRED}, Entra prompts its own MFA (accept, reject) or {} (enforce); {OTHERWISE}",
                back_to_idp(protocol).trim_start_matches("Entra ")
            ),
            None,
        ),
        (_, MfaBehavior::AcceptIfMfaDoneByFederatedIdp | MfaBehavior::EnforceMfaByFederatedIdp, true) => {
            (Outcome::Honoured, honoured.into(), None)
        }
        (_, MfaBehavior::AcceptIfMfaDoneByFederatedIdp, false) => {
            (Outcome::EntraMfa, own_mfa, Some("AADSTS50076 / AADSTS50079"))
        }
        (_, MfaBehavior::EnforceMfaByFederatedIdp, false) => {
            (Outcome::RedirectToIdp, redirect, Some("AADSTS50079 (after the loop)"))
        }
        (_, MfaBehavior::RejectMfaByFederatedIdp, true) => (
            Outcome::EntraMfa,
            format!(
                "Entra ignores the IdP's MFA claim (rejectMfaByFederatedIdp). {WHEN_REQUIRED}, Entra prompts its own MFA and users do MFA twice; {OTHERWISE}"
            ),
            Some("AADSTS50076"),
        ),
        (_, MfaBehavior::RejectMfaByFederatedIdp, false) => (
            Outcome::EntraMfa,
            format!(
                "Entra does its own MFA for this domain (rejectMfaByFederatedIdp). {WHEN_REQUIRED}, Entra prompts its own MFA; {OTHERWISE}"
            ),
            Some("AADSTS50076"),
        ),
        (_, MfaBehavior::Indeterminate, true) => (
            Outcome::Honoured,
            "Entra honours the claim under either legacy setting (SupportsMfa true or unset); set federatedIdpMfaBehavior to make it explicit".into(),
            None,
        ),
        (_, MfaBehavior::Indeterminate, false) => (
            Outcome::Indeterminate,
            format!(
                "depends on the legacy SupportsMfa, which Graph does not show. {WHEN_REQUIRED}: if SupportsMfa is true, {} (a loop if the IdP never adds the claim); otherwise Entra prompts its own MFA; {OTHERWISE}",
                back_to_idp(protocol)
            ),
            None,
        ),
    }
}
