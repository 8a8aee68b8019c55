//! The checks: each requirement Entra places on a federated token, as data (id, status, message, fix).
//!
//! [`evaluate`] turns an analyzed [`Token`] into [`Check`]s and an [`Mfa`] finding. Check ids are a stable
//! contract (scripts match on them), spelled once in [`ids`]; every failing check carries the fix an IdP engineer
//! would apply. One file per concern, each check a small function named after what it checks:
//!
//! - `signature`: the document's structure and its XML signatures (`signature.*`, `token.protocol`,
//!   `assertion.encrypted`), then [`certificate`]: the certificate the claims rest on (`certificate.*`) and the
//!   expiry window and rollover advice Entra's own certificate checks share;
//! - [`mfa`](mod@mfa): the MFA rule per protocol (`mfa.signal`, `mfa.instant`). SAML 2.0 counts only
//!   `AuthnContextClassRef` = `multipleauthn`; WS-Federation (SAML 1.1) counts `multipleauthn` or `wiaormultiauthn`
//!   in `AuthenticationMethod` or in the `authnmethodsreferences` / `authenticationmethod` attributes. Near misses
//!   are named and explained;
//! - `claims` (`audience`, `issuer`, `conditions.time`) and `subject` (`subject.*`): the signed claims;
//! - `envelope`: the message around the assertion (`response.*`, `wsfed.applies-to`, `content.unsigned`);
//! - [`correlation`]: a token taken from a capture against the sign-in requests captured with it.

mod verdict;
pub use verdict::Verdict;

pub mod certificate;
mod claims;
pub mod correlation;
mod envelope;
pub mod ids;
pub mod mfa;
mod signature;
mod subject;
mod time;
mod uris;

pub use certificate::{rollover_fix, EXPIRY_WARN_DAYS};
pub use correlation::correlation_check;
pub use mfa::mfa;
pub use uris::*;

use crate::saml::Token;
use crate::trust::TrustAnchor;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// A check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Requirement met.
    Pass,
    /// For information.
    Info,
    /// Accepted by Entra but should be fixed.
    Warn,
    /// Entra would reject the token or not see MFA.
    Fail,
}

impl Status {
    /// The word used in the JSON contract (`pass`, `info`, `warn`, `fail`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Info => "info",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable identifier, one of [`ids`], e.g. `mfa.signal`.
    pub id: &'static str,
    /// Outcome.
    pub status: Status,
    /// What was found.
    pub message: String,
    /// What to change, when something should change.
    pub fix: Option<String>,
}

/// The MFA finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mfa {
    /// Entra would see MFA in the signed token.
    pub satisfied: bool,
    /// Where the signal was found (XPath-like locations and values), signed content only.
    pub evidence: Vec<String>,
    /// Explanations of values that look like MFA but do not count.
    pub near_misses: Vec<String>,
}

/// A local stand-in for Entra's sign-in endpoint (`fedcheck serve`): a test IdP posts to the stand-in's own ACS URL
/// and may use a test realm, so those values are accepted with an `info` check saying what Entra requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandIn {
    /// The stand-in's assertion consumer URL.
    pub acs: String,
    /// The realm it sends (`wtrealm`, AuthnRequest Issuer).
    pub realm: String,
}

/// Why a stand-in's URL or realm cannot be used; the caller names the flag or setting it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StandInProblem {
    /// The ACS URL is not http(s).
    #[error("\"{0}\" is not an http(s) URL (the ACS URL serve printed)")]
    NotHttp(String),
    /// The realm is empty.
    #[error("the realm is empty")]
    EmptyRealm,
}

impl StandIn {
    /// A stand-in at `acs` (an http(s) URL, what `fedcheck serve` printed), sending `realm` (default Entra's,
    /// `urn:federation:MicrosoftOnline`).
    pub fn at(acs: &str, realm: Option<&str>) -> Result<StandIn, StandInProblem> {
        let acs = acs.trim();
        let realm = realm.map(str::trim).unwrap_or(ENTRA_AUDIENCE);
        let http = acs.starts_with("http://") || acs.starts_with("https://");
        if !http || acs.len() <= "https://".len() {
            return Err(StandInProblem::NotHttp(acs.to_string()));
        }
        if realm.is_empty() {
            return Err(StandInProblem::EmptyRealm);
        }
        Ok(StandIn {
            acs: acs.to_string(),
            realm: realm.to_string(),
        })
    }
}

/// What the checks need besides the token.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// Trust anchors in use.
    pub anchors: &'a [TrustAnchor],
    /// The issuers a token may carry, each with where it came from (`--expect-issuer`; else every configured
    /// domain's `issuerUri`; else the metadata entityID). Empty: the issuer is only reported.
    pub expected_issuers: Vec<ExpectedIssuer>,
    /// The federated domain the token's user must belong to (the domain of the federation settings used for this
    /// token, else `--tenant-domain`), and where it came from.
    pub federated_domain: Option<FederatedDomain>,
    /// Evaluation time.
    pub at: DateTime<Utc>,
    /// Allowed clock skew.
    pub skew: Duration,
    /// Judging for a local stand-in (`serve`) rather than for Entra itself.
    pub stand_in: Option<&'a StandIn>,
}

impl<'a> Context<'a> {
    /// The stand-in's ACS URL, when judging for `serve` at an address other than Entra's.
    fn stand_in_acs(&self) -> Option<&'a str> {
        self.stand_in.map(|s| s.acs.as_str()).filter(|a| *a != ENTRA_ACS)
    }
}

/// An issuer a token may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedIssuer {
    /// The issuer URI.
    pub value: String,
    /// Where it came from, in words (`--expect-issuer`, `the issuerUri of contoso.com`, ...).
    pub source: String,
}

/// The domain a token's UPN must be in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedDomain {
    /// The domain, e.g. `contoso.com`.
    pub name: String,
    /// Where it came from, in words.
    pub source: String,
}

/// Builds a check (the one constructor every module uses).
pub(crate) fn check(id: &'static str, status: Status, message: impl Into<String>, fix: Option<&str>) -> Check {
    Check {
        id,
        status,
        message: message.into(),
        fix: fix.map(str::to_string),
    }
}

/// Evaluates every rule for one token, in the order reports list them: signature and certificate, MFA, claims,
/// envelope.
pub fn evaluate(token: &Token, ctx: &Context) -> (Vec<Check>, Mfa) {
    let mut out = Vec::new();
    signature::signature_checks(token, ctx, &mut out);
    let mfa = mfa::mfa(token);
    out.push(mfa::mfa_check(token, &mfa, ctx));
    match &token.claims {
        Some(c) => {
            out.push(mfa::instant_check(token.protocol, c, ctx));
            claims::claim_checks(token, c, ctx, &mut out)
        }
        None => out.push(check(
            ids::CLAIMS_SIGNED,
            Status::Fail,
            "no claims could be read from signed content, so none of the token's claims count",
            Some("make the IdP sign the assertion with its trusted signing certificate, and give fedcheck that certificate (--idp-cert, --metadata or --federation-config)"),
        )),
    }
    envelope::envelope_checks(token, ctx, &mut out);
    (out, mfa)
}

/// The worst status among checks.
pub fn worst(checks: &[Check]) -> Status {
    checks.iter().map(|c| c.status).max().unwrap_or(Status::Pass)
}
