//! The end-to-end evidence chain: IdP token -> domain setting -> Entra access token.
//!
//! Partner Center only looks at the `amr` claim of the access token Entra issues; the IdP's SAML token and the
//! domain's MFA behaviour are what put `mfa` there. [`link`] pairs each signed SAML token with the Entra token of the
//! same user (UPN, case-insensitive) issued in the same time window, and judges each link. It reads each judged IdP
//! token through a small view ([`IdpToken`]) that the report builds, so the chain knows nothing of the report. No
//! personal value is copied into the chain (it is redaction-safe): links name tokens by index and source.

use crate::entra::{jwt, Outcome, Prediction};
use crate::rules::{Status, Verdict};
use crate::saml::{Claims, Protocol};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::Value;

/// How long after the IdP token was issued an Entra token may be to belong to the same sign-in.
pub const WINDOW: Duration = Duration::hours(1);

/// What the chain reads of one judged IdP token that has signed claims.
#[derive(Debug, Clone)]
pub struct IdpToken<'a> {
    /// 1-based index of the token in the report's `tokens`.
    pub index: usize,
    /// The token's protocol: it decides which claim names the user.
    pub protocol: Option<Protocol>,
    /// The signed claims.
    pub claims: &'a Claims,
    /// The token's verdict.
    pub verdict: Verdict,
    /// Ids of the token's failing checks.
    pub failed_checks: Vec<&'static str>,
    /// Entra's predicted outcome for the token's domain, when the settings were given.
    pub prediction: Option<&'a Prediction>,
}

/// One link of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// `idp-token`, `domain-setting` or `entra-token`.
    pub name: &'static str,
    /// Outcome of this link.
    pub status: Status,
    /// Why.
    pub detail: String,
}

/// One IdP token and the Entra token linked to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// 1-based index of the SAML token in `tokens`.
    pub idp_token: usize,
    /// Where the linked Entra token was found (input, HAR entry), if one was.
    pub entra_token: Option<String>,
    /// What linked them.
    pub matched_by: Option<&'static str>,
    /// The three links.
    pub steps: Vec<Step>,
    /// The worst of the links.
    pub status: Status,
}

/// The chain for a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chain {
    /// `pass` when every entry passes.
    pub verdict: Verdict,
    /// One entry per signed SAML token.
    pub entries: Vec<Entry>,
    /// Entra tokens that belong to no IdP token of this run.
    pub unlinked_entra_tokens: Vec<String>,
}

/// Links the judged IdP tokens to the Entra tokens judged by `check-token`'s engine.
pub fn link(tokens: &[IdpToken<'_>], entra: &jwt::CheckTokenReport, skew: Duration) -> Chain {
    let mut used = vec![false; entra.tokens.len()];
    let entries: Vec<Entry> = tokens.iter().map(|tk| entry(tk, entra, &mut used, skew)).collect();
    let unlinked = entra
        .tokens
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(et, _)| jwt_source(&et.source))
        .collect();
    let verdict = if !entries.is_empty() && entries.iter().all(|e| e.status != Status::Fail) {
        Verdict::Pass
    } else {
        Verdict::Fail
    };
    Chain {
        verdict,
        entries,
        unlinked_entra_tokens: unlinked,
    }
}

/// Judges the three links of one IdP token; the Entra token it links is marked used.
fn entry(tk: &IdpToken<'_>, entra: &jwt::CheckTokenReport, used: &mut [bool], skew: Duration) -> Entry {
    let (entra_step, entra_source, matched_by) = match same_sign_in(tk, entra, used, skew) {
        Some(j) => {
            used[j] = true;
            let et = &entra.tokens[j];
            (entra_token_step(et), Some(jwt_source(&et.source)), Some("upn"))
        }
        None => (no_entra_token_step(), None, None),
    };
    let steps = vec![idp_token_step(tk), domain_setting_step(tk.prediction), entra_step];
    let status = steps.iter().map(|s| s.status).max().unwrap_or(Status::Pass);
    Entry {
        idp_token: tk.index,
        entra_token: entra_source,
        matched_by,
        steps,
        status,
    }
}

/// Link 1: the IdP token itself.
fn idp_token_step(tk: &IdpToken<'_>) -> Step {
    if tk.verdict == Verdict::Pass {
        step(
            "idp-token",
            Status::Pass,
            "signed by a trusted key, MFA signal where Entra reads it",
        )
    } else {
        step(
            "idp-token",
            Status::Fail,
            format!("failing checks: {}", tk.failed_checks.join(", ")),
        )
    }
}

/// Link 2: the domain setting.
fn domain_setting_step(prediction: Option<&Prediction>) -> Step {
    match prediction {
        Some(p) if p.outcome == Outcome::Honoured => step(
            "domain-setting",
            Status::Pass,
            format!("{}: the claim is honoured", p.behavior.as_str()),
        ),
        // The export cannot tell what the domain does with the claim: the Entra token's amr is the proof.
        Some(p) if p.outcome == Outcome::Indeterminate => step(
            "domain-setting",
            Status::Info,
            format!("{} (the Entra token's amr shows what happened)", p.description),
        ),
        Some(p) => step("domain-setting", Status::Fail, p.description.clone()),
        None => step(
            "domain-setting",
            Status::Info,
            "not checked: give the domain's settings with --federation-config",
        ),
    }
}

/// Link 3, found: the Entra token of the same user and sign-in, judged by its own checks.
fn entra_token_step(et: &jwt::AccessTokenReport) -> Step {
    let failed: Vec<&str> = et
        .checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .map(|c| c.id)
        .collect();
    if failed.is_empty() {
        step("entra-token", Status::Pass, "signed by Entra, valid, amr contains mfa")
    } else {
        step(
            "entra-token",
            Status::Fail,
            format!("failing checks: {}", failed.join(", ")),
        )
    }
}

/// Link 3, missing.
fn no_entra_token_step() -> Step {
    step(
        "entra-token",
        Status::Fail,
        format!(
            "no Entra token for the same user issued within {} minutes after this IdP token",
            WINDOW.num_minutes()
        ),
    )
}

/// The first unused Entra token of the same user (UPN, case-insensitive) issued from `skew` before the IdP token to
/// [`WINDOW`] after it.
fn same_sign_in(tk: &IdpToken<'_>, entra: &jwt::CheckTokenReport, used: &[bool], skew: Duration) -> Option<usize> {
    let upn = signed_upn(tk);
    let issued = tk
        .claims
        .issue_instant
        .as_deref()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc));
    entra.tokens.iter().enumerate().position(|(j, et)| {
        if used[j] {
            return false;
        }
        let user = json_str(&et.claims.upn).or_else(|| json_str(&et.claims.unique_name));
        let same_user = matches!((&upn, &user), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b));
        let in_window = match (issued, json_time(&et.claims.iat)) {
            (Some(s), Some(iat)) => iat >= s - skew && iat <= s + WINDOW,
            _ => false,
        };
        same_user && in_window
    })
}

/// The UPN Entra reads from the signed claims: `IDPEmail` (SAML 2.0) or the `UPN` claim (WS-Fed).
fn signed_upn(tk: &IdpToken<'_>) -> Option<String> {
    let values = match tk.protocol {
        Some(Protocol::Saml2) => tk.claims.attribute("IDPEmail", None),
        Some(Protocol::WsfedSaml11) => tk.claims.attribute("UPN", Some(crate::rules::UPN_NS)),
        None => return None,
    };
    values.first().map(|s| s.to_string())
}

fn jwt_source(s: &jwt::AccessTokenSource) -> String {
    let mut out = s.input.clone();
    if let Some(i) = s.har_entry {
        out.push_str(&format!(" entry #{i}"));
    }
    if let Some(u) = &s.url {
        out.push_str(&format!(" {u}"));
    }
    out
}

fn json_str(v: &Option<Value>) -> Option<String> {
    v.as_ref().and_then(Value::as_str).map(str::to_string)
}

fn json_time(v: &Option<Value>) -> Option<DateTime<Utc>> {
    v.as_ref()
        .and_then(Value::as_i64)
        .and_then(|s| DateTime::from_timestamp(s, 0))
}

fn step(name: &'static str, status: Status, detail: impl Into<String>) -> Step {
    Step {
        name,
        status,
        detail: detail.into(),
    }
}
