//! The end-to-end evidence chain: IdP token -> domain setting -> Entra access token.
//!
//! Partner Center only looks at the `amr` claim of the access token Entra issues; the IdP's SAML token and the
//! domain's MFA behaviour are what put `mfa` there. [`link`] pairs each signed SAML token with the Entra token of the
//! same user (UPN, case-insensitive) issued in the same time window, and judges each link. No personal value is
//! copied into the chain (it is redaction-safe): links name tokens by index and source.

use crate::entra::jwt;
use crate::report::{Report, Verdict};
use crate::rules::Status;
use crate::saml::Protocol;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::Value;

/// How long after the IdP token was issued an Entra token may be to belong to the same sign-in.
pub const WINDOW: Duration = Duration::hours(1);

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

/// Links the report's tokens to the Entra tokens judged by `check-token`'s engine.
pub fn link(report: &Report, entra: &jwt::CheckTokenReport, skew: Duration) -> Chain {
    let mut used = vec![false; entra.tokens.len()];
    let mut entries = Vec::new();
    for (i, tk) in report.tokens.iter().enumerate() {
        let Some(claims) = &tk.claims else { continue };
        let upn = match tk.protocol {
            Some(Protocol::Saml2) => claims.attribute("IDPEmail", None).first().map(|s| s.to_string()),
            Some(Protocol::WsfedSaml11) => claims
                .attribute("UPN", Some(crate::rules::UPN_NS))
                .first()
                .map(|s| s.to_string()),
            None => None,
        };
        let issued = claims
            .issue_instant
            .as_deref()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&Utc));

        // Link 1: the IdP token itself.
        let idp = if tk.verdict == Verdict::Pass {
            step(
                "idp-token",
                Status::Pass,
                "signed by a trusted key, MFA signal where Entra reads it",
            )
        } else {
            let failed = tk.failed_checks();
            step(
                "idp-token",
                Status::Fail,
                format!("failing checks: {}", failed.join(", ")),
            )
        };
        // Link 2: the domain setting.
        let domain = match &tk.entra {
            Some(p) if p.outcome == crate::entra::Outcome::Honoured => step(
                "domain-setting",
                Status::Pass,
                format!("{}: the claim is honoured", p.behavior.as_str()),
            ),
            // The export cannot tell what the domain does with the claim: the Entra token's amr is the proof.
            Some(p) if p.outcome == crate::entra::Outcome::Indeterminate => step(
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
        };
        // Link 3: the Entra token of the same user and sign-in.
        let found = entra.tokens.iter().enumerate().find(|(j, et)| {
            if used[*j] {
                return false;
            }
            let user = json_str(&et.claims.upn).or_else(|| json_str(&et.claims.unique_name));
            let same_user = matches!((&upn, &user), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b));
            let in_window = match (issued, json_time(&et.claims.iat)) {
                (Some(s), Some(iat)) => iat >= s - skew && iat <= s + WINDOW,
                _ => false,
            };
            same_user && in_window
        });
        let (entra_step, entra_source, matched_by) = match found {
            Some((j, et)) => {
                used[j] = true;
                let failed: Vec<&str> = et
                    .checks
                    .iter()
                    .filter(|c| c.status == Status::Fail)
                    .map(|c| c.id)
                    .collect();
                let s = if failed.is_empty() {
                    step("entra-token", Status::Pass, "signed by Entra, valid, amr contains mfa")
                } else {
                    step(
                        "entra-token",
                        Status::Fail,
                        format!("failing checks: {}", failed.join(", ")),
                    )
                };
                (s, Some(jwt_source(&et.source)), Some("upn"))
            }
            None => (
                step(
                    "entra-token",
                    Status::Fail,
                    format!(
                        "no Entra token for the same user issued within {} minutes after this IdP token",
                        WINDOW.num_minutes()
                    ),
                ),
                None,
                None,
            ),
        };
        let steps = vec![idp, domain, entra_step];
        let status = steps.iter().map(|s| s.status).max().unwrap_or(Status::Pass);
        entries.push(Entry {
            idp_token: i + 1,
            entra_token: entra_source,
            matched_by,
            steps,
            status,
        });
    }
    let unlinked = entra
        .tokens
        .iter()
        .enumerate()
        .filter(|(j, _)| !used[*j])
        .map(|(_, et)| jwt_source(&et.source))
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
