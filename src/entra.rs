//! The Entra side of federation: the domain's federation settings, and what Entra will do with a given token.
//!
//! [`load_federation_config`] reads the Microsoft Graph `GET /domains/{domain}/federationConfiguration` JSON (the
//! `{"value":[...]}` collection or a bare object) or a JSON export of the legacy MSOnline
//! `Get-MsolDomainFederationSettings` (`SupportsMfa`, `IssuerUri`, `SigningCertificate`, ...). [`predict`] turns the
//! domain's MFA behaviour and a token's facts into Entra's outcome, in words and with the AADSTS code users see;
//! [`checks`] cross-checks a token against the settings (issuer, signing certificate, protocol, prompt behaviour).

use crate::rules::{check, Check, Status};
use crate::token::Protocol;
use crate::trust::{parse_cert, TrustAnchor};
use serde::Serialize;
use serde_json::Value;

/// Why a federation settings file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FederationConfigError {
    /// Unreadable.
    #[error("{path}: cannot read: {error}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        error: std::io::Error,
    },
    /// Not JSON, or not a federation configuration.
    #[error("{path}: {detail}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        detail: String,
    },
}

/// Where the settings came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfigFlavor {
    /// Microsoft Graph `internalDomainFederation`.
    Graph,
    /// MSOnline `Get-MsolDomainFederationSettings`.
    Msol,
}

/// A domain's federation settings, as Entra holds them.
#[derive(Debug, Clone, Serialize)]
pub struct FederationConfig {
    /// The file it was read from.
    pub source: String,
    /// Graph or MSOnline.
    pub flavor: ConfigFlavor,
    /// The federated domain, when the export names it.
    pub domain: Option<String>,
    /// `issuerUri` / `IssuerUri`.
    pub issuer_uri: Option<String>,
    /// `preferredAuthenticationProtocol` (`wsFed`, `saml`; MSOnline `WsFed`, `Samlp`).
    pub preferred_protocol: Option<String>,
    /// `promptLoginBehavior` / `PromptLoginBehavior`.
    pub prompt_login_behavior: Option<String>,
    /// `federatedIdpMfaBehavior` (Graph only).
    pub federated_idp_mfa_behavior: Option<String>,
    /// Legacy `SupportsMfa` (MSOnline only; Graph never shows it).
    pub supports_mfa: Option<bool>,
    /// `passiveSignInUri` / `PassiveLogOnUri`.
    pub passive_sign_in_uri: Option<String>,
    /// The signing certificate Entra trusts.
    #[serde(skip)]
    pub signing_certificate: Option<TrustAnchor>,
    /// The next signing certificate Entra trusts.
    #[serde(skip)]
    pub next_signing_certificate: Option<TrustAnchor>,
    /// Settings found more than once (a collection with several domains): only the first was used.
    pub notes: Vec<String>,
}

fn text(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match v.get(*k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(format!("(numeric enum {n})")),
        _ => None,
    })
}

/// Reads a federation settings export (Graph or MSOnline JSON).
pub fn load_federation_config(path: &str) -> Result<FederationConfig, FederationConfigError> {
    let bytes = std::fs::read(path).map_err(|error| FederationConfigError::Io {
        path: path.into(),
        error,
    })?;
    parse_federation_config(&bytes, path)
}

/// Parses a federation settings export.
pub fn parse_federation_config(bytes: &[u8], path: &str) -> Result<FederationConfig, FederationConfigError> {
    let invalid = |detail: String| FederationConfigError::Invalid {
        path: path.into(),
        detail,
    };
    if bytes.len() > 1024 * 1024 {
        return Err(invalid("larger than 1 MiB; not a federation settings export".into()));
    }
    // PowerShell's Out-File writes UTF-16LE with a BOM.
    let text_owned;
    let s: &str = if bytes.starts_with(&[0xFF, 0xFE]) {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        text_owned = String::from_utf16(&units).map_err(|_| invalid("invalid UTF-16".into()))?;
        &text_owned
    } else {
        let t = std::str::from_utf8(bytes).map_err(|_| invalid("not UTF-8 or UTF-16 text".into()))?;
        t.strip_prefix('\u{feff}').unwrap_or(t)
    };
    let json: Value = serde_json::from_str(s).map_err(|e| {
        invalid(format!(
            "not JSON ({e}); give the output of Graph GET /domains/{{domain}}/federationConfiguration or Get-MsolDomainFederationSettings | ConvertTo-Json"
        ))
    })?;
    let mut notes = Vec::new();
    let obj = match &json {
        Value::Object(m) if m.get("value").is_some_and(Value::is_array) => {
            let arr = m.get("value").and_then(Value::as_array).cloned().unwrap_or_default();
            if arr.len() > 1 {
                notes.push(format!(
                    "the collection holds {} configurations; the first was used",
                    arr.len()
                ));
            }
            arr.into_iter()
                .next()
                .ok_or_else(|| invalid("the collection is empty: the domain is not federated".into()))?
        }
        Value::Object(_) => json.clone(),
        Value::Array(a) => {
            if a.len() > 1 {
                notes.push(format!(
                    "the array holds {} configurations; the first was used",
                    a.len()
                ));
            }
            a.first().cloned().ok_or_else(|| invalid("empty array".into()))?
        }
        _ => return Err(invalid("not a JSON object".into())),
    };
    let flavor = if obj.get("IssuerUri").is_some() || obj.get("SupportsMfa").is_some() {
        ConfigFlavor::Msol
    } else if obj.get("issuerUri").is_some() || obj.get("federatedIdpMfaBehavior").is_some() {
        ConfigFlavor::Graph
    } else {
        return Err(invalid(
            "neither a Graph federationConfiguration (issuerUri) nor an MSOnline export (IssuerUri)".into(),
        ));
    };
    let cert = |keys: &[&str], label: &str| -> Result<Option<TrustAnchor>, FederationConfigError> {
        match text(&obj, keys) {
            Some(b64) => parse_cert(b64.as_bytes(), &format!("{path} ({label})"))
                .map(Some)
                .map_err(|e| invalid(format!("{label}: {e}"))),
            None => Ok(None),
        }
    };
    let domain = text(&obj, &["domainName", "DomainName"]).or_else(|| {
        json.get("@odata.context").and_then(Value::as_str).and_then(|c| {
            let start = c.find("domains('")? + "domains('".len();
            let end = c[start..].find('\'')?;
            Some(c[start..start + end].to_string())
        })
    });
    Ok(FederationConfig {
        source: path.into(),
        flavor,
        domain,
        issuer_uri: text(&obj, &["issuerUri", "IssuerUri"]),
        preferred_protocol: text(
            &obj,
            &["preferredAuthenticationProtocol", "PreferredAuthenticationProtocol"],
        ),
        prompt_login_behavior: text(&obj, &["promptLoginBehavior", "PromptLoginBehavior"]),
        federated_idp_mfa_behavior: text(&obj, &["federatedIdpMfaBehavior"]),
        supports_mfa: obj.get("SupportsMfa").and_then(Value::as_bool),
        passive_sign_in_uri: text(&obj, &["passiveSignInUri", "PassiveLogOnUri"]),
        signing_certificate: cert(&["signingCertificate", "SigningCertificate"], "signingCertificate")?,
        next_signing_certificate: cert(
            &["nextSigningCertificate", "NextSigningCertificate"],
            "nextSigningCertificate",
        )?,
        notes,
    })
}

/// Adds the domain's signing certificates to the trust anchors: they are what Entra itself trusts.
pub fn add_config_anchors(cfg: &FederationConfig, anchors: &mut Vec<TrustAnchor>) {
    for c in [&cfg.signing_certificate, &cfg.next_signing_certificate]
        .into_iter()
        .flatten()
    {
        if !anchors.iter().any(|a| a.der == c.der) {
            anchors.push(c.clone());
        }
    }
}

/// The MFA behaviour that applies to the domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MfaBehavior {
    /// Entra takes the IdP's claim; without it, Entra does MFA itself.
    AcceptIfMfaDoneByFederatedIdp,
    /// Entra takes the IdP's claim; without it, Entra sends the user back to the IdP to do MFA.
    EnforceMfaByFederatedIdp,
    /// Entra ignores the IdP's claim and always does MFA itself.
    RejectMfaByFederatedIdp,
    /// Graph leaves `federatedIdpMfaBehavior` unset: the legacy `SupportsMfa` (not shown by Graph) decides.
    Indeterminate,
}

impl MfaBehavior {
    /// The Graph spelling (`acceptIfMfaDoneByFederatedIdp`, ...; `indeterminate`).
    pub fn as_str(self) -> &'static str {
        match self {
            MfaBehavior::AcceptIfMfaDoneByFederatedIdp => "acceptIfMfaDoneByFederatedIdp",
            MfaBehavior::EnforceMfaByFederatedIdp => "enforceMfaByFederatedIdp",
            MfaBehavior::RejectMfaByFederatedIdp => "rejectMfaByFederatedIdp",
            MfaBehavior::Indeterminate => "indeterminate",
        }
    }
}

/// The behaviour and why it applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EffectiveBehavior {
    /// The behaviour.
    pub behavior: MfaBehavior,
    /// Why: which setting decided it.
    pub source: String,
}

impl FederationConfig {
    /// Computes the effective MFA behaviour per Microsoft's rules: `federatedIdpMfaBehavior` when set; else the
    /// legacy `SupportsMfa` (true behaves as enforce, false as accept); else accept. Graph exports cannot show
    /// `SupportsMfa`, so an unset Graph value is indeterminate.
    pub fn effective_behavior(&self) -> EffectiveBehavior {
        let b = |behavior, source: &str| EffectiveBehavior {
            behavior,
            source: source.into(),
        };
        match self.federated_idp_mfa_behavior.as_deref() {
            Some("acceptIfMfaDoneByFederatedIdp") => b(MfaBehavior::AcceptIfMfaDoneByFederatedIdp, "federatedIdpMfaBehavior"),
            Some("enforceMfaByFederatedIdp") => b(MfaBehavior::EnforceMfaByFederatedIdp, "federatedIdpMfaBehavior"),
            Some("rejectMfaByFederatedIdp") => b(MfaBehavior::RejectMfaByFederatedIdp, "federatedIdpMfaBehavior"),
            Some(other) => EffectiveBehavior {
                behavior: MfaBehavior::Indeterminate,
                source: format!("federatedIdpMfaBehavior has the unknown value {other:?}"),
            },
            None => match (self.flavor, self.supports_mfa) {
                (_, Some(true)) => b(
                    MfaBehavior::EnforceMfaByFederatedIdp,
                    "legacy SupportsMfa = true (federatedIdpMfaBehavior unset); it behaves like enforceMfaByFederatedIdp",
                ),
                (_, Some(false)) => b(
                    MfaBehavior::AcceptIfMfaDoneByFederatedIdp,
                    "legacy SupportsMfa = false (federatedIdpMfaBehavior unset); it behaves like acceptIfMfaDoneByFederatedIdp",
                ),
                (ConfigFlavor::Msol, None) => b(
                    MfaBehavior::AcceptIfMfaDoneByFederatedIdp,
                    "neither federatedIdpMfaBehavior nor SupportsMfa is set: Entra's default, acceptIfMfaDoneByFederatedIdp",
                ),
                (ConfigFlavor::Graph, None) => b(
                    MfaBehavior::Indeterminate,
                    "federatedIdpMfaBehavior is unset and Graph does not show the legacy SupportsMfa: if SupportsMfa was ever set to true Entra enforces MFA at the IdP, otherwise it accepts the IdP's MFA",
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
    /// Entra prompts its own MFA (the IdP's MFA, if any, does not count).
    EntraMfa,
    /// Entra sends the user back to the IdP to do MFA; if the IdP answers again without the claim, a loop.
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
}

/// Facts about the token that decide a rejection before MFA is considered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blockers {
    /// The signature did not verify with a key Entra trusts.
    pub bad_signature: bool,
    /// The issuer is not the domain's issuerUri.
    pub issuer_mismatch: bool,
    /// The signing certificate has expired.
    pub cert_expired: bool,
    /// The token's protocol is not the domain's preferred protocol.
    pub protocol_mismatch: bool,
}

fn wauth(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::WsfedSaml11 => "wauth=http://schemas.microsoft.com/claims/multipleauthn",
        Protocol::Saml2 => "a RequestedAuthnContext of http://schemas.microsoft.com/claims/multipleauthn",
    }
}

/// Predicts Entra's outcome for a token.
pub fn predict(
    behavior: &EffectiveBehavior,
    claim_present: bool,
    protocol: Protocol,
    blockers: &Blockers,
) -> Prediction {
    let p = |outcome, description: String, aadsts: Option<&str>| Prediction {
        outcome,
        behavior: behavior.behavior,
        behavior_source: behavior.source.clone(),
        claim_present,
        protocol,
        description,
        aadsts: aadsts.map(str::to_string),
    };
    if blockers.bad_signature {
        return p(
            Outcome::Rejected,
            "Entra rejects the token: its signature does not verify with the domain's signing certificate".into(),
            Some("AADSTS50006"),
        );
    }
    if blockers.cert_expired {
        return p(
            Outcome::Rejected,
            "Entra rejects the token: the signing certificate has expired".into(),
            Some("AADSTS50008"),
        );
    }
    if blockers.issuer_mismatch {
        return p(
            Outcome::Rejected,
            "Entra rejects the token: its issuer is not the domain's issuerUri".into(),
            Some("AADSTS50107"),
        );
    }
    if blockers.protocol_mismatch {
        return p(
            Outcome::Rejected,
            "Entra rejects the token: the domain is configured for the other federation protocol".into(),
            None,
        );
    }
    match (behavior.behavior, claim_present) {
        (MfaBehavior::AcceptIfMfaDoneByFederatedIdp | MfaBehavior::EnforceMfaByFederatedIdp, true) => p(
            Outcome::Honoured,
            "Entra honours the IdP's MFA claim: no second prompt, and Entra's own token carries amr = mfa".into(),
            None,
        ),
        (MfaBehavior::AcceptIfMfaDoneByFederatedIdp, false) => p(
            Outcome::EntraMfa,
            "Entra does not see MFA from the IdP and prompts its own MFA (users not registered for Entra MFA are asked to register)".into(),
            Some("AADSTS50076 / AADSTS50079"),
        ),
        (MfaBehavior::EnforceMfaByFederatedIdp, false) => p(
            Outcome::RedirectToIdp,
            format!(
                "Entra sends the user back to the IdP with {}; if the IdP answers again without the claim, the user loops between Entra and the IdP",
                wauth(protocol)
            ),
            Some("AADSTS50079 (after the loop)"),
        ),
        (MfaBehavior::RejectMfaByFederatedIdp, true) => p(
            Outcome::EntraMfa,
            "Entra ignores the IdP's MFA claim (rejectMfaByFederatedIdp) and prompts its own MFA: users do MFA twice".into(),
            Some("AADSTS50076"),
        ),
        (MfaBehavior::RejectMfaByFederatedIdp, false) => p(
            Outcome::EntraMfa,
            "Entra always does its own MFA for this domain (rejectMfaByFederatedIdp)".into(),
            Some("AADSTS50076"),
        ),
        (MfaBehavior::Indeterminate, true) => p(
            Outcome::Honoured,
            "Entra honours the claim under either legacy setting (SupportsMfa true or unset); set federatedIdpMfaBehavior to make it explicit".into(),
            None,
        ),
        (MfaBehavior::Indeterminate, false) => p(
            Outcome::Indeterminate,
            format!(
                "depends on the legacy SupportsMfa, which Graph does not show: if true, Entra sends the user back to the IdP with {} (a loop if the IdP never adds the claim); otherwise Entra prompts its own MFA",
                wauth(protocol)
            ),
            None,
        ),
    }
}

fn protocol_of(preferred: &str) -> Option<Protocol> {
    match preferred.to_ascii_lowercase().as_str() {
        "wsfed" => Some(Protocol::WsfedSaml11),
        "saml" | "samlp" => Some(Protocol::Saml2),
        _ => None,
    }
}

/// What the cross-checks need to know about a token.
#[derive(Debug, Clone)]
pub struct TokenFacts<'a> {
    /// The token's protocol.
    pub protocol: Protocol,
    /// The signed issuer, when claims verified.
    pub issuer: Option<&'a str>,
    /// The anchor that verified the claims.
    pub signing_anchor: Option<&'a TrustAnchor>,
    /// The claims verified.
    pub signed: bool,
    /// The signed MFA claim is present.
    pub mfa: bool,
    /// Evaluation time.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The certificate the token's `KeyInfo` names (trusted or not), for explaining a failed signature.
    pub keyinfo_cert: Option<&'a crate::trust::CertInfo>,
    /// The `issuer` check already compared the issuer with the domain's issuerUri (no second check needed).
    pub issuer_checked: bool,
}

/// Cross-checks a token against the domain settings, and predicts Entra's outcome.
pub fn checks(cfg: &FederationConfig, t: &TokenFacts) -> (Vec<Check>, Prediction) {
    let mut out = Vec::new();
    let mut blockers = Blockers {
        bad_signature: !t.signed,
        ..Blockers::default()
    };

    // Issuer.
    match (&cfg.issuer_uri, t.issuer) {
        (Some(want), Some(got)) if want == got => {
            if !t.issuer_checked {
                out.push(check(
                    "entra.issuer",
                    Status::Pass,
                    format!("{got} equals the domain's issuerUri"),
                    None,
                ))
            }
        }
        (Some(_), Some(_)) if t.issuer_checked => blockers.issuer_mismatch = true,
        (Some(want), Some(got)) => {
            blockers.issuer_mismatch = true;
            out.push(check(
                "entra.issuer",
                Status::Fail,
                format!("the token's issuer {got:?} is not the domain's issuerUri {want:?}: Entra answers AADSTS50107"),
                Some("make the IdP's issuer / entity ID equal issuerUri exactly, or update the domain (Update-MgDomainFederationConfiguration -IssuerUri)"),
            ))
        }
        (None, _) => out.push(check(
            "entra.issuer",
            Status::Info,
            "the settings carry no issuerUri",
            None,
        )),
        (Some(_), None) => {}
    }

    // Signing certificate.
    let in_cfg = |a: &TrustAnchor, c: &Option<TrustAnchor>| c.as_ref().is_some_and(|x| x.der == a.der);
    let has_certs = cfg.signing_certificate.is_some() || cfg.next_signing_certificate.is_some();
    match t.signing_anchor {
        _ if !has_certs => out.push(check(
            "entra.signing-certificate",
            Status::Info,
            "the settings carry no signingCertificate, so the token's certificate cannot be compared with the domain's",
            None,
        )),
        Some(a) if in_cfg(a, &cfg.signing_certificate) || in_cfg(a, &cfg.next_signing_certificate) => {
            let which = if in_cfg(a, &cfg.signing_certificate) { "signingCertificate" } else { "nextSigningCertificate" };
            let expiry = chrono::DateTime::parse_from_rfc3339(&a.info.not_after).ok().map(|d| d.with_timezone(&chrono::Utc));
            match expiry {
                Some(e) if e < t.at => {
                    blockers.cert_expired = true;
                    out.push(check(
                        "entra.signing-certificate",
                        Status::Fail,
                        format!("signed with the domain's {which} ({}), which expired on {}", a.info.sha1_thumbprint, a.info.not_after),
                        Some("roll over the token-signing certificate and update the domain"),
                    ))
                }
                Some(e) if e - t.at < chrono::Duration::days(30) => out.push(check(
                    "entra.signing-certificate",
                    Status::Warn,
                    format!("signed with the domain's {which} ({}), which expires on {}: within 30 days", a.info.sha1_thumbprint, a.info.not_after),
                    Some("publish the next certificate in metadata now; Entra picks it up from 30 days before expiry only if auto-rollover works"),
                )),
                _ => out.push(check(
                    "entra.signing-certificate",
                    Status::Pass,
                    format!("signed with the domain's {which} ({}, valid to {})", a.info.sha1_thumbprint, a.info.not_after),
                    None,
                )),
            }
        }
        Some(a) => {
            blockers.bad_signature = true;
            out.push(check(
                "entra.signing-certificate",
                Status::Fail,
                format!(
                    "signed with {} (SHA-1 {}), which is neither the domain's signingCertificate nor its nextSigningCertificate: Entra rejects the token (AADSTS50006)",
                    a.info.subject, a.info.sha1_thumbprint
                ),
                Some("update the domain's signingCertificate to the IdP's current token-signing certificate (or fix metadata auto-rollover)"),
            ))
        }
        None => match t.keyinfo_cert {
            Some(k)
                if [&cfg.signing_certificate, &cfg.next_signing_certificate]
                    .into_iter()
                    .flatten()
                    .all(|c| c.info.sha256_thumbprint != k.sha256_thumbprint) =>
            {
                out.push(check(
                    "entra.signing-certificate",
                    Status::Fail,
                    format!(
                        "the token names {} (SHA-1 {}) in KeyInfo, which is neither the domain's signingCertificate nor its nextSigningCertificate: Entra rejects the token (AADSTS50006)",
                        k.subject, k.sha1_thumbprint
                    ),
                    Some("update the domain's signingCertificate to the IdP's current token-signing certificate (or fix metadata auto-rollover)"),
                ))
            }
            _ => out.push(check(
                "entra.signing-certificate",
                Status::Info,
                "the token's signature did not verify, so its certificate cannot be compared with the domain's",
                None,
            )),
        },
    }
    for (label, c) in [
        ("signingCertificate", &cfg.signing_certificate),
        ("nextSigningCertificate", &cfg.next_signing_certificate),
    ] {
        if let Some(c) = c {
            if let Ok(e) =
                chrono::DateTime::parse_from_rfc3339(&c.info.not_after).map(|d| d.with_timezone(&chrono::Utc))
            {
                if e >= t.at && e - t.at < chrono::Duration::days(30) && t.signing_anchor.is_none_or(|a| a.der != c.der)
                {
                    out.push(check(
                        "entra.signing-certificate",
                        Status::Warn,
                        format!(
                            "the domain's {label} ({}) expires on {}",
                            c.info.sha1_thumbprint, c.info.not_after
                        ),
                        Some("make sure the next certificate is published and picked up before then"),
                    ));
                }
            }
        }
    }

    // Protocol.
    match cfg.preferred_protocol.as_deref().map(|p| (p, protocol_of(p))) {
        Some((_, Some(p))) if p == t.protocol => out.push(check(
            "entra.protocol",
            Status::Pass,
            format!("the domain expects {}", proto_name(p)),
            None,
        )),
        Some((raw, Some(p))) => {
            blockers.protocol_mismatch = true;
            out.push(check(
                "entra.protocol",
                Status::Fail,
                format!(
                    "the domain's preferredAuthenticationProtocol is {raw} ({}), but this token is {}",
                    proto_name(p),
                    proto_name(t.protocol)
                ),
                Some("test with the protocol the domain uses, or change preferredAuthenticationProtocol"),
            ))
        }
        Some((raw, None)) => out.push(check(
            "entra.protocol",
            Status::Info,
            format!("preferredAuthenticationProtocol {raw} is not understood"),
            None,
        )),
        None => out.push(check(
            "entra.protocol",
            Status::Info,
            "the settings carry no preferredAuthenticationProtocol",
            None,
        )),
    }

    // Prompt behaviour with legacy SupportsMfa.
    if cfg
        .prompt_login_behavior
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("translateToFreshPasswordAuthentication"))
        && cfg.supports_mfa == Some(true)
    {
        out.push(check(
            "entra.prompt-login",
            Status::Warn,
            "promptLoginBehavior translateToFreshPasswordAuthentication with legacy SupportsMfa = true: users sign in twice",
            Some("set promptLoginBehavior to nativeSupport, or move from SupportsMfa to federatedIdpMfaBehavior"),
        ));
    }

    let behavior = cfg.effective_behavior();
    let prediction = predict(&behavior, t.mfa && t.signed, t.protocol, &blockers);
    let status = match prediction.outcome {
        Outcome::Honoured => Status::Pass,
        Outcome::Indeterminate => Status::Warn,
        Outcome::EntraMfa | Outcome::RedirectToIdp | Outcome::Rejected => Status::Fail,
    };
    let fix = match prediction.outcome {
        Outcome::Honoured => None,
        Outcome::Indeterminate => Some("set federatedIdpMfaBehavior explicitly (Update-MgDomainFederationConfiguration -FederatedIdpMfaBehavior acceptIfMfaDoneByFederatedIdp or enforceMfaByFederatedIdp)"),
        Outcome::EntraMfa if behavior.behavior == MfaBehavior::RejectMfaByFederatedIdp => Some("to honour the IdP's MFA, set federatedIdpMfaBehavior to acceptIfMfaDoneByFederatedIdp or enforceMfaByFederatedIdp"),
        Outcome::EntraMfa | Outcome::RedirectToIdp => Some("make the IdP put the MFA claim in the signed token (see mfa.signal)"),
        Outcome::Rejected => Some("fix the failing entra.* check first"),
    };
    let mut msg = format!("{} [{}]", prediction.description, behavior.source);
    if let Some(code) = &prediction.aadsts {
        msg.push_str(&format!(" (users see {code})"));
    }
    out.push(Check {
        id: "entra.outcome",
        status,
        message: msg,
        fix: fix.map(str::to_string),
    });
    (out, prediction)
}

fn proto_name(p: Protocol) -> &'static str {
    match p {
        Protocol::WsfedSaml11 => "WS-Federation",
        Protocol::Saml2 => "SAML-P",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(behavior: Option<&str>) -> FederationConfig {
        let mut v = serde_json::json!({"value": [{"issuerUri": "http://sts.contoso.test/adfs/services/trust", "preferredAuthenticationProtocol": "wsFed"}]});
        if let Some(b) = behavior {
            v["value"][0]["federatedIdpMfaBehavior"] = Value::String(b.into());
        }
        parse_federation_config(v.to_string().as_bytes(), "t.json").expect("config")
    }

    #[test]
    fn behavior_rules() {
        assert_eq!(
            graph(Some("enforceMfaByFederatedIdp")).effective_behavior().behavior,
            MfaBehavior::EnforceMfaByFederatedIdp
        );
        assert_eq!(graph(None).effective_behavior().behavior, MfaBehavior::Indeterminate);
        let msol = parse_federation_config(br#"{"IssuerUri":"x","SupportsMfa":true}"#, "m.json").expect("msol");
        assert_eq!(msol.flavor, ConfigFlavor::Msol);
        assert_eq!(
            msol.effective_behavior().behavior,
            MfaBehavior::EnforceMfaByFederatedIdp
        );
        let msol = parse_federation_config(br#"{"IssuerUri":"x"}"#, "m.json").expect("msol");
        assert_eq!(
            msol.effective_behavior().behavior,
            MfaBehavior::AcceptIfMfaDoneByFederatedIdp
        );
        assert!(parse_federation_config(b"{}", "e.json").is_err());
        assert!(parse_federation_config(br#"{"value":[]}"#, "e.json").is_err());
    }

    #[test]
    fn utf16_export_is_read() {
        let json = r#"{"IssuerUri":"http://x/adfs/services/trust","SupportsMfa":false}"#;
        let mut bytes = vec![0xFF, 0xFE];
        for u in json.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let c = parse_federation_config(&bytes, "u.json").expect("utf-16");
        assert_eq!(c.issuer_uri.as_deref(), Some("http://x/adfs/services/trust"));
    }
}
