//! The cross-checks of a token against the domain's federation settings (`entra.*`), each a small function, and
//! the `entra.outcome` check that states Entra's predicted outcome ([`super::predict`]).

use super::{
    json_date, predict, Blockers, CertificateUpdateStatus, ConfigFlavor, FederationConfig, FederationSettings,
    MfaBehavior, Outcome, Prediction, PromptLogin, Selection, Setting,
};
use crate::rules::certificate::{expiry, not_after, Expiry};
use crate::rules::{check, ids, rollover_fix, Check, Status, EXPIRY_WARN_DAYS};
use crate::saml::Protocol;
use crate::trust::{CertInfo, TrustAnchor};
use chrono::{DateTime, Utc};

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
    /// The signature is intact but was made with a key that is not trusted (its KeyInfo certificate verifies it).
    pub untrusted_key: bool,
    /// The signed MFA claim is present.
    pub mfa: bool,
    /// Evaluation time.
    pub at: DateTime<Utc>,
    /// The certificate the token's `KeyInfo` names (trusted or not), for explaining a failed signature.
    pub keyinfo_cert: Option<&'a CertInfo>,
    /// The `issuer` check already compared the issuer with the configured issuerUri values (no second check).
    pub issuer_checked: bool,
}

/// The protocol as Entra's documentation names it.
fn proto_name(p: Protocol) -> &'static str {
    match p {
        Protocol::WsfedSaml11 => "WS-Federation",
        Protocol::Saml2 => "SAML-P",
    }
}
const KEY_MISMATCH: &str = "\"the signing key identifier does not match any valid registered keys\": Entra rejects the token (AADSTS50008 / AADSTS5000811)";
const KEY_FIX: &str = "update the domain's signingCertificate / nextSigningCertificate to the IdP's current token-signing certificate (Update-MgDomainFederationConfiguration), or fix the automatic update from metadata (WS-Fed)";

/// The check naming the configuration used, and why (several domains) or which export it is.
pub fn selection_check(set: &FederationSettings, sel: &Selection) -> Check {
    let cfg = sel.config;
    let mut msg = format!(
        "judged against the settings of {} ({})",
        cfg.label(),
        cfg.flavor.describe()
    );
    if set.configs.len() > 1 {
        msg.push_str(&format!(
            ", one of {} configurations in {}: {}",
            set.configs.len(),
            set.source,
            sel.why
        ));
    }
    check(ids::ENTRA_DOMAIN, Status::Info, msg, None)
}

/// Cross-checks a token against one domain's settings, and predicts Entra's outcome.
pub fn checks(set: &FederationSettings, sel: &Selection, t: &TokenFacts) -> (Vec<Check>, Prediction) {
    let cfg = sel.config;
    let domain_protocol = cfg.preferred_protocol.as_ref().and_then(Setting::known);
    let mut blockers = Blockers {
        bad_signature: !t.signed && !t.untrusted_key,
        ..Blockers::default()
    };
    let mut out = vec![selection_check(set, sel)];
    out.extend(issuer_check(cfg, t, &mut blockers));
    out.push(signing_certificate_check(cfg, t, domain_protocol, &mut blockers));
    out.extend(expiring_certificate_checks(cfg, t, domain_protocol));
    // Automatic certificate update (WS-Fed domains: Entra reads the IdP's metadata).
    out.push(certificate_update_check(cfg, domain_protocol));
    out.push(protocol_check(cfg, t, &mut blockers));
    // Prompt behaviour with legacy SupportsMfa (KB 4037806: users sign in twice).
    out.extend(prompt_login_check(cfg));
    let (outcome, prediction) = outcome_check(cfg, t, &blockers);
    out.push(outcome);
    (out, prediction)
}

/// `entra.issuer`: the token's issuer is the domain's `issuerUri`; shown only when the `issuer` check did not
/// already compare them.
fn issuer_check(cfg: &FederationConfig, t: &TokenFacts, blockers: &mut Blockers) -> Option<Check> {
    match (&cfg.issuer_uri, t.issuer) {
        (Some(want), Some(got)) if want == got => (!t.issuer_checked).then(|| {
            check(
                ids::ENTRA_ISSUER,
                Status::Pass,
                format!("{got} equals the issuerUri of {}", cfg.label()),
                None,
            )
        }),
        (Some(_), Some(_)) if t.issuer_checked => {
            blockers.issuer_mismatch = true;
            None
        }
        (Some(want), Some(got)) => {
            blockers.issuer_mismatch = true;
            Some(check(
                ids::ENTRA_ISSUER,
                Status::Fail,
                format!(
                    "the token's issuer {got:?} is not the issuerUri {want:?} of {}: Entra answers AADSTS50107",
                    cfg.label()
                ),
                Some("make the IdP's issuer / entity ID equal issuerUri exactly, or update the domain (Update-MgDomainFederationConfiguration -IssuerUri)"),
            ))
        }
        (None, _) => Some(check(
            ids::ENTRA_ISSUER,
            Status::Info,
            "the settings carry no issuerUri",
            None,
        )),
        (Some(_), None) => None,
    }
}

/// `entra.signing-certificate`: the key that signed the token is one of the domain's certificates.
fn signing_certificate_check(
    cfg: &FederationConfig,
    t: &TokenFacts,
    domain_protocol: Option<Protocol>,
    blockers: &mut Blockers,
) -> Check {
    let has_certs = cfg.signing_certificate.is_some() || cfg.next_signing_certificate.is_some();
    match t.signing_anchor {
        _ if !has_certs => check(
            ids::ENTRA_SIGNING_CERTIFICATE,
            Status::Info,
            "the settings carry no signingCertificate, so the token's certificate cannot be compared with the domain's",
            None,
        ),
        Some(a) if cfg.holds_der(&a.der) => domain_certificate_check(cfg, a, t.at, domain_protocol, blockers),
        Some(a) => {
            blockers.unknown_key = true;
            check(
                ids::ENTRA_SIGNING_CERTIFICATE,
                Status::Fail,
                format!(
                    "signed with {} (SHA-1 {}), which is neither the signingCertificate nor the nextSigningCertificate of {}: {KEY_MISMATCH}",
                    a.info.subject,
                    a.info.sha1_thumbprint,
                    cfg.label()
                ),
                Some(KEY_FIX),
            )
        }
        None => keyinfo_certificate_check(cfg, t, blockers),
    }
}

/// `entra.signing-certificate` for a token signed with one of the domain's certificates: its expiry.
fn domain_certificate_check(
    cfg: &FederationConfig,
    a: &TrustAnchor,
    at: DateTime<Utc>,
    domain_protocol: Option<Protocol>,
    blockers: &mut Blockers,
) -> Check {
    let which = if cfg.signing_certificate.as_ref().is_some_and(|c| c.der == a.der) {
        "signingCertificate"
    } else {
        "nextSigningCertificate"
    };
    match not_after(&a.info).map(|e| expiry(e, at)) {
        Some(Expiry::Expired) => {
            blockers.cert_expired = true;
            check(
                ids::ENTRA_SIGNING_CERTIFICATE,
                Status::Fail,
                format!(
                    "signed with the domain's {which} ({}), which expired on {}",
                    a.info.sha1_thumbprint, a.info.not_after
                ),
                Some(&format!(
                    "roll over the token-signing certificate; {}",
                    rollover_fix(domain_protocol)
                )),
            )
        }
        Some(Expiry::Soon) => check(
            ids::ENTRA_SIGNING_CERTIFICATE,
            Status::Warn,
            format!(
                "signed with the domain's {which} ({}), which expires on {}: within {EXPIRY_WARN_DAYS} days",
                a.info.sha1_thumbprint, a.info.not_after
            ),
            Some(&rollover_fix(domain_protocol)),
        ),
        _ => check(
            ids::ENTRA_SIGNING_CERTIFICATE,
            Status::Pass,
            format!(
                "signed with the domain's {which} ({}, valid to {})",
                a.info.sha1_thumbprint, a.info.not_after
            ),
            None,
        ),
    }
}

/// `entra.signing-certificate` when no trusted key verified the token: the certificate its `KeyInfo` names.
fn keyinfo_certificate_check(cfg: &FederationConfig, t: &TokenFacts, blockers: &mut Blockers) -> Check {
    match t.keyinfo_cert {
        Some(k) if !cfg.holds_sha256(&k.sha256_thumbprint) => {
            if t.untrusted_key {
                blockers.unknown_key = true;
            }
            check(
                ids::ENTRA_SIGNING_CERTIFICATE,
                Status::Fail,
                format!(
                    "the token names {} (SHA-1 {}) in KeyInfo, which is neither the signingCertificate nor the nextSigningCertificate of {}{}",
                    k.subject,
                    k.sha1_thumbprint,
                    cfg.label(),
                    if t.untrusted_key {
                        format!(", and the signature verifies with it: {KEY_MISMATCH}")
                    } else {
                        ", and the signature does not verify (AADSTS50006)".to_string()
                    }
                ),
                Some(KEY_FIX),
            )
        }
        _ => check(
            ids::ENTRA_SIGNING_CERTIFICATE,
            Status::Info,
            "the token's signature did not verify, so its certificate cannot be compared with the domain's",
            None,
        ),
    }
}

/// `entra.signing-certificate` (warn) for each of the domain's certificates that expires soon and did not sign the
/// token.
fn expiring_certificate_checks(
    cfg: &FederationConfig,
    t: &TokenFacts,
    domain_protocol: Option<Protocol>,
) -> Vec<Check> {
    cfg.certificates()
        .filter(|(_, c)| not_after(&c.info).is_some_and(|e| expiry(e, t.at) == Expiry::Soon))
        .filter(|(_, c)| t.signing_anchor.is_none_or(|a| a.der != c.der))
        .map(|(label, c)| {
            check(
                ids::ENTRA_SIGNING_CERTIFICATE,
                Status::Warn,
                format!(
                    "the {label} of {} ({}) expires on {}: within {EXPIRY_WARN_DAYS} days",
                    cfg.label(),
                    c.info.sha1_thumbprint,
                    c.info.not_after
                ),
                Some(&rollover_fix(domain_protocol)),
            )
        })
        .collect()
}

/// `entra.protocol`: the token's protocol is the domain's `preferredAuthenticationProtocol`.
fn protocol_check(cfg: &FederationConfig, t: &TokenFacts, blockers: &mut Blockers) -> Check {
    match &cfg.preferred_protocol {
        Some(Setting::Known { value, .. }) if *value == t.protocol => check(
            ids::ENTRA_PROTOCOL,
            Status::Pass,
            format!("the domain expects {}", proto_name(*value)),
            None,
        ),
        Some(Setting::Known { value, raw }) => {
            blockers.protocol_mismatch = true;
            check(
                ids::ENTRA_PROTOCOL,
                Status::Fail,
                format!(
                    "the domain's preferredAuthenticationProtocol is {raw} ({}), but this token is {}",
                    proto_name(*value),
                    proto_name(t.protocol)
                ),
                Some("test with the protocol the domain uses, or change preferredAuthenticationProtocol"),
            )
        }
        Some(Setting::Indeterminate { raw, reason }) => check(
            ids::ENTRA_PROTOCOL,
            Status::Warn,
            format!(
                "preferredAuthenticationProtocol {raw} cannot be interpreted ({reason}), so whether the domain expects {} cannot be checked",
                proto_name(t.protocol)
            ),
            Some("give the settings as Graph returns them (fedcheck fetch-config, or Get-MgDomainFederationConfiguration | ConvertTo-Json)"),
        ),
        None => check(
            ids::ENTRA_PROTOCOL,
            Status::Info,
            "the settings carry no preferredAuthenticationProtocol",
            None,
        ),
    }
}

/// `entra.outcome`: Entra's predicted outcome for the token, and the prediction itself for the report.
fn outcome_check(cfg: &FederationConfig, t: &TokenFacts, blockers: &Blockers) -> (Check, Prediction) {
    let behavior = cfg.effective_behavior();
    let mut prediction = predict(&behavior, t.mfa && t.signed, t.protocol, blockers);
    prediction.domain = cfg.domain.clone();
    prediction.configuration = cfg.label();
    prediction.settings_kind = cfg.flavor;
    let status = match prediction.outcome {
        Outcome::Honoured => Status::Pass,
        Outcome::Indeterminate => Status::Warn,
        Outcome::EntraMfa | Outcome::RedirectToIdp | Outcome::Rejected => Status::Fail,
    };
    let fix = match prediction.outcome {
        Outcome::Honoured => None,
        Outcome::Indeterminate => Some(
            "read the domain's settings with Graph (fedcheck fetch-config, or Get-MgDomainFederationConfiguration | ConvertTo-Json) and set federatedIdpMfaBehavior explicitly (Update-MgDomainFederationConfiguration -FederatedIdpMfaBehavior); the switch from the legacy SupportsMfa is one-way: once federatedIdpMfaBehavior is set, Entra ignores SupportsMfa and switching back is not supported",
        ),
        Outcome::EntraMfa if behavior.behavior == MfaBehavior::RejectMfaByFederatedIdp => Some(
            "to honour the IdP's MFA, set federatedIdpMfaBehavior to acceptIfMfaDoneByFederatedIdp or enforceMfaByFederatedIdp (Update-MgDomainFederationConfiguration); Microsoft advises rejectMfaByFederatedIdp when the tenant relies on Entra's own MFA, because honouring the IdP's claim lets a compromised or misconfigured IdP satisfy Entra's MFA: change it only if the IdP's MFA is the control you rely on",
        ),
        Outcome::EntraMfa | Outcome::RedirectToIdp => {
            Some("make the IdP put the MFA claim in the signed token (see mfa.signal)")
        }
        Outcome::Rejected => Some("fix the failing entra.* check first"),
    };
    let mut msg = format!("{} [{}]", prediction.description, behavior.source);
    if let Some(code) = &prediction.aadsts {
        msg.push_str(&format!(" (users see {code})"));
    }
    (check(ids::ENTRA_OUTCOME, status, msg, fix), prediction)
}

/// `entra.certificate-update`: `signingCertificateUpdateStatus`, the last automatic certificate update from the
/// IdP's metadata.
fn certificate_update_check(cfg: &FederationConfig, protocol: Option<Protocol>) -> Check {
    let saml_note = if protocol == Some(Protocol::Saml2) {
        " (a SAML-P domain: Entra does not read the IdP's metadata, so its certificates are updated by hand)"
    } else {
        ""
    };
    let s = match (&cfg.certificate_update, &cfg.certificate_update_note) {
        (Some(s), _) => s,
        (None, Some(note)) => return check(ids::ENTRA_CERTIFICATE_UPDATE, Status::Info, note.clone(), None),
        (None, None) => {
            return check(
                ids::ENTRA_CERTIFICATE_UPDATE,
                Status::Info,
                format!("the settings carry no signingCertificateUpdateStatus: no automatic certificate update is recorded{saml_note}"),
                None,
            )
        }
    };
    let last = last_run(s);
    match s.result.as_deref() {
        Some(r) if r.eq_ignore_ascii_case("success") && protocol == Some(Protocol::Saml2) => check(
            ids::ENTRA_CERTIFICATE_UPDATE,
            Status::Info,
            format!("signingCertificateUpdateStatus reports {r} ({last}){saml_note}"),
            None,
        ),
        Some(r) if r.eq_ignore_ascii_case("success") => check(
            ids::ENTRA_CERTIFICATE_UPDATE,
            Status::Pass,
            format!("the last automatic certificate update from metadata succeeded ({last})"),
            None,
        ),
        result => {
            let r = result.unwrap_or("(none)");
            check(
                ids::ENTRA_CERTIFICATE_UPDATE,
                Status::Warn,
                format!(
                    "signingCertificateUpdateStatus.certificateUpdateResult is {r}{} ({last}){saml_note}",
                    update_result_meaning(r)
                ),
                Some(&format!(
                    "make the IdP's federation metadata reachable by Entra, or set the next certificate by hand (Update-MgDomainFederationConfiguration -NextSigningCertificate); {}",
                    rollover_fix(protocol)
                )),
            )
        }
    }
}

/// When the last automatic certificate update ran, in words.
fn last_run(s: &CertificateUpdateStatus) -> String {
    s.last_run
        .as_deref()
        .map(|r| match json_date(r) {
            Some(d) => format!("last run {}", d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            None => format!("last run {r}"),
        })
        .unwrap_or_else(|| "no lastRunDateTime".into())
}

/// What a `certificateUpdateResult` other than `success` means, as a clause to append (empty when unknown).
fn update_result_meaning(r: &str) -> &'static str {
    match r.to_ascii_lowercase().as_str() {
        "couldnotaccessremotehost" => ": Entra could not reach the IdP's federation metadata",
        "nonewcertificatefound" => {
            ": the metadata holds no newer certificate (normal while no rollover is due; a problem close to expiry)"
        }
        "xmlparsingerror" => ": Entra could not parse the IdP's federation metadata",
        "unauthorized" => ": the metadata endpoint refused Entra",
        "notfound" => ": the metadata endpoint answered not found",
        _ if r.chars().all(|c| c.is_ascii_digit() || c == '-') => {
            ": written as a number, whose meaning Microsoft does not document"
        }
        _ => "",
    }
}

/// `entra.prompt-login`: `promptLoginBehavior` with the legacy `SupportsMfa` makes users sign in twice.
fn prompt_login_check(cfg: &FederationConfig) -> Option<Check> {
    const FIX: &str = "set promptLoginBehavior to nativeSupport (Update-MgDomainFederationConfiguration -PromptLoginBehavior nativeSupport), or move from SupportsMfa to federatedIdpMfaBehavior (one-way)";
    match (&cfg.prompt_login_behavior, cfg.supports_mfa, cfg.flavor) {
        (Some(Setting::Known { value: PromptLogin::TranslateToFreshPassword, raw }), Some(true), _)
            if cfg.federated_idp_mfa_behavior.is_none() =>
        {
            Some(check(
                ids::ENTRA_PROMPT_LOGIN,
                Status::Warn,
                format!("promptLoginBehavior {raw} with legacy SupportsMfa = true: users sign in twice (KB 4037806)"),
                Some(FIX),
            ))
        }
        (Some(Setting::Indeterminate { raw, reason }), Some(true), _) => Some(check(
            ids::ENTRA_PROMPT_LOGIN,
            Status::Warn,
            format!(
                "legacy SupportsMfa = true, and promptLoginBehavior {raw} cannot be interpreted ({reason}): if it is TranslateToFreshPasswordAuth, users sign in twice (KB 4037806)"
            ),
            Some(FIX),
        )),
        (
            Some(Setting::Known { value: PromptLogin::TranslateToFreshPassword, raw }),
            None,
            ConfigFlavor::Graph | ConfigFlavor::GraphPowershell | ConfigFlavor::EntraPowershell,
        ) if cfg.federated_idp_mfa_behavior.is_none() => Some(check(
            ids::ENTRA_PROMPT_LOGIN,
            Status::Warn,
            format!(
                "promptLoginBehavior {raw} with federatedIdpMfaBehavior unset: if the legacy SupportsMfa is true (this export cannot show it), users sign in twice (KB 4037806)"
            ),
            Some(FIX),
        )),
        _ => None,
    }
}
