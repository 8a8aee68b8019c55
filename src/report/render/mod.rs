//! Renderers of a [`Report`] for people and CI: Markdown, self-contained HTML, and JUnit XML.
//!
//! Markdown and HTML are rendered from one small document model (blocks of inlines), so both say exactly the same
//! things in the same order: the summary verdict first, then the evidence card a reviewer reads first (tenant domain,
//! IdP product, issuer, signing certificate and Entra's copy of it, the signed MFA claim, Entra's MFA behaviour and
//! predicted outcome, the period covered, the sign-ins per user), then the details, each a collapsible section in the
//! HTML: for each token its signature and engines, the MFA evidence, every check with its fix, the signed claims and
//! the signing certificate; then the trust anchors and what was redacted. Token content is attacker-controlled: every
//! value is escaped for the target format by [`crate::report::escape`], and the HTML needs no network and no script.
//!
//! Nothing here reads the clock: the output depends only on the report and the options, so bundles made with
//! `--at` and a fixed redaction key are byte-identical.
//!
//! The model is built in code rather than with a template engine (askama, minijinja): one model feeds two
//! languages, and their escaping (Markdown code spans, control characters, numeric references) is ours anyway.

mod card;
mod document;
mod html;
mod junit;
mod markdown;
mod signins;
mod token;

pub use html::html;
pub use junit::junit;
pub use markdown::markdown;
pub use signins::signins_sentence;

use super::redact::RedactionNote;
use super::{Report, TokenReport, Verdict};
use crate::saml::Protocol;

/// Options for the human-readable renderers.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// Redaction applied to the report, shown in its own section.
    pub redaction: Option<RedactionNote>,
    /// The command that produced the report, shown under the summary.
    pub command: Option<String>,
    /// Tenant-wide evidence from sign-in logs (bundles with `--signins`), shown in its own section.
    pub signins: Option<crate::signins::aggregate::SigninsReport>,
    /// What the bundle knows besides the report (tenant domain, IdP product), shown on the evidence card.
    pub card: Option<CardFacts>,
}

/// What a bundle knows besides the report, for the evidence card; request.md says the same.
#[derive(Debug, Clone, Default)]
pub struct CardFacts {
    /// The tenant's federated domain and where it was read, when known.
    pub tenant_domain: Option<Sourced>,
    /// The IdP product, with the evidence it was named from (or why it is unknown).
    pub idp_product: IdpProduct,
}

/// A value and where it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced {
    /// The value.
    pub value: String,
    /// Where it came from, in words (`--tenant-domain`, `the attached federation settings`, ...).
    pub source: String,
}

/// The IdP product: named only from evidence (or `--idp-product`), with the reason either way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdpProduct {
    /// The product, when the evidence shows it; `None`: unknown.
    pub name: Option<String>,
    /// Why: the evidence it was named from, or what was seen and why that does not tell.
    pub reason: String,
}

impl IdpProduct {
    /// One line: `Microsoft AD FS (from the metadata: ...)`, or `unknown (give --idp-product): ...`.
    pub fn line(&self) -> String {
        match &self.name {
            Some(n) => format!("{n} ({})", self.reason),
            None => format!("unknown (give --idp-product): {}", self.reason),
        }
    }
}

/// The protocol as people name it.
pub fn protocol_name(p: Option<Protocol>) -> &'static str {
    match p {
        Some(Protocol::Saml2) => "SAML-P (SAML 2.0)",
        Some(Protocol::WsfedSaml11) => "WS-Federation (SAML 1.1)",
        None => "unknown",
    }
}

/// One sentence explaining a token's verdict.
pub fn token_verdict_reason(tk: &TokenReport) -> String {
    if let Some(e) = &tk.error {
        return format!("the token could not be analyzed: {e}");
    }
    match tk.verdict {
        Verdict::Pass => "signed by a trusted key, Entra will see MFA".to_string(),
        Verdict::Error => "the verification engines disagree; do not rely on this token".to_string(),
        Verdict::Fail => {
            let failed = tk.failed_checks();
            if failed.is_empty() {
                "the MFA signal is missing from the signed claims".to_string()
            } else {
                format!("{} check(s) failed: {}", failed.len(), failed.join(", "))
            }
        }
    }
}

/// One sentence for the whole run.
pub fn summary_sentence(r: &Report) -> String {
    let what = match r.verdict {
        Verdict::Pass => "every token is signed by a trusted key and carries the MFA signal where Entra reads it",
        Verdict::Fail => "at least one token does not meet Entra's requirements (see the failed checks)",
        Verdict::Error => "at least one token could not be judged (unusable input, or the signature engines disagree)",
    };
    format!("{}; {what}.", r.summary.counts())
}
