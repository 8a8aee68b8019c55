//! request.md: a draft text for a support form (Microsoft's, when a tenant asks to have a third-party MFA
//! solution recognised), stating the tenant domain, the IdP, the integration method, what was tested and the
//! result per token, the tenant-wide evidence when given, and the documents attached. The tenant domain and the IdP
//! product are the evidence card's ([`CardFacts`]), each with its source.

use super::contents::{self, Files};
use super::BundleOptions;
use crate::report::redact::{attribute_kind, RedactionNote};
use crate::report::render::{
    protocol_name, signins_sentence, summary_sentence, token_verdict_reason, CardFacts, Sourced,
};
use crate::report::{Report, Settings};
use crate::saml::Protocol;
use crate::signins::aggregate::SigninsReport;
use serde_json::Value;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Facts from the federation configuration JSON (Graph or MSOnline), for request.md only.
#[derive(Debug, Default, Clone)]
pub(super) struct FedFacts {
    domain: Option<String>,
    issuer_uri: Option<String>,
    protocol: Option<String>,
    mfa_behavior: Option<String>,
    supports_mfa: Option<String>,
}

impl FedFacts {
    /// Reads the facts wherever they are in the export (any nesting, keys compared case-insensitively).
    pub(super) fn of(v: &Value) -> FedFacts {
        let mut f = FedFacts {
            domain: find(v, &["domainName", "domain"]),
            issuer_uri: find(v, &["issuerUri"]),
            protocol: find(v, &["preferredAuthenticationProtocol"]),
            mfa_behavior: find(v, &["federatedIdpMfaBehavior"]),
            supports_mfa: find(v, &["SupportsMfa"]),
        };
        if f.domain.is_none() {
            // Graph: "@odata.context": ".../$metadata#domains('contoso.com')/federationConfiguration"
            if let Some(ctx) = find(v, &["@odata.context"]) {
                if let Some(i) = ctx.find("domains('") {
                    let rest = &ctx[i + 9..];
                    if let Some(j) = rest.find('\'') {
                        f.domain = Some(rest[..j].to_string());
                    }
                }
            }
        }
        f
    }
}

/// The first non-empty string (or boolean) under one of `keys`, depth first.
fn find(v: &Value, keys: &[&str]) -> Option<String> {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if keys.iter().any(|w| k.eq_ignore_ascii_case(w)) {
                    match x {
                        Value::String(s) if !s.is_empty() => return Some(s.clone()),
                        Value::Bool(b) => return Some(b.to_string()),
                        _ => {}
                    }
                }
            }
            m.values().find_map(|x| find(x, keys))
        }
        Value::Array(a) => a.iter().find_map(|x| find(x, keys)),
        _ => None,
    }
}

/// The domain of the first UPN in the signed claims.
fn upn_domain(r: &Report) -> Option<String> {
    r.tokens
        .iter()
        .filter_map(|tk| tk.claims.as_ref())
        .flat_map(|c| c.attributes.iter())
        .filter(|a| matches!(attribute_kind(&a.name, a.namespace.as_deref(), &[]), Some(("upn", _))))
        .flat_map(|a| a.values.iter())
        .find_map(|v| v.rsplit_once('@').map(|(_, d)| d.to_string()))
}

/// The tenant's federated domain and where it was read: `--tenant-domain`, the federation settings, else the UPN
/// suffix in the signed tokens (of the original report: a domain is not personal).
pub(super) fn tenant_domain(opts: &BundleOptions, fed: &FedFacts, original: &Report) -> Option<Sourced> {
    let sourced = |value: String, source: &str| Sourced {
        value,
        source: source.to_string(),
    };
    opts.tenant_domain
        .clone()
        .map(|d| sourced(d, "--tenant-domain"))
        .or_else(|| {
            fed.domain
                .clone()
                .map(|d| sourced(d, "the attached federation settings"))
        })
        .or_else(|| upn_domain(original).map(|d| sourced(d, "the UPN suffix in the signed tokens")))
}

/// What request.md is written from.
pub(super) struct Request<'a> {
    /// The report as shown (redacted).
    pub shown: &'a Report,
    /// The run's settings (the metadata's entityID).
    pub settings: &'a Settings,
    /// The tenant domain and the IdP product, as the evidence card shows them.
    pub card: &'a CardFacts,
    /// What the federation settings say.
    pub fed: &'a FedFacts,
    /// The redaction applied.
    pub note: &'a RedactionNote,
    /// The sign-in logs, as shown.
    pub signins: Option<&'a SigninsReport>,
}

impl Request<'_> {
    /// The text of request.md; `files` are the bundle's other files, listed as attachments.
    pub(super) fn text(&self, files: &Files) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Request draft: third-party MFA for a federated Microsoft Entra ID domain"
        );
        let _ = writeln!(
            s,
            "(generated by fedcheck {}; edit before pasting into the support form)",
            self.shown.tool.version
        );
        let _ = writeln!(s);
        self.setup(&mut s);
        let _ = writeln!(s);
        self.tested(&mut s);
        if let Some(si) = self.signins {
            let _ = writeln!(s);
            tenant_wide(&mut s, si);
        }
        let _ = writeln!(s);
        attached(&mut s, files, self.note);
        if self.note.enabled {
            let _ = writeln!(s);
            let _ = writeln!(
                s,
                "Personal values (user names, identifiers) are replaced by keyed hashes in the report and token copies; \
                 the signature results were computed on the original tokens."
            );
        }
        s
    }

    /// The tenant domain, the IdP product and issuer, the integration method, and the domain's settings.
    fn setup(&self, s: &mut String) {
        let fed = self.fed;
        let domain = match &self.card.tenant_domain {
            Some(d) => format!("{} ({})", d.value, d.source),
            None => "(not known: give --tenant-domain)".into(),
        };
        let entity = self
            .settings
            .metadata
            .as_ref()
            .and_then(|m| m.entity_id.clone())
            .or_else(|| fed.issuer_uri.clone())
            .or_else(|| self.shown.trust.expected_issuer.clone());
        let _ = writeln!(s, "Tenant domain: {domain}");
        let _ = writeln!(s, "Identity provider: {}", self.card.idp_product.line());
        if let Some(e) = &entity {
            let _ = writeln!(s, "IdP issuer (entityID): {e}");
        }
        let _ = writeln!(s, "Integration method: {}", integration_method(self.shown));
        let settings = [
            ("Entra domain setting preferredAuthenticationProtocol", &fed.protocol),
            ("Entra domain setting federatedIdpMfaBehavior", &fed.mfa_behavior),
            ("Legacy MSOnline setting SupportsMfa", &fed.supports_mfa),
        ];
        for (name, value) in settings {
            if let Some(v) = value {
                let _ = writeln!(s, "{name}: {v} (from the attached federation settings)");
            }
        }
    }

    /// What was tested, the result, and each token's verdict with its MFA evidence and signer.
    fn tested(&self, s: &mut String) {
        let shown = self.shown;
        let _ = writeln!(s, "What was tested:");
        let _ = writeln!(
            s,
            "We captured {} sign-in token(s) that our identity provider posted to https://login.microsoftonline.com/login.srf \
             for an account enrolled in MFA, and checked them with fedcheck {} at {}: the XML signature against the IdP's \
             trusted signing certificate ({} certificate(s), engines: {}), the MFA signal in the place Entra reads it for \
             the protocol, and every Entra federation requirement (issuer, audience, subject, confirmation, validity).",
            shown.summary.tokens,
            shown.tool.version,
            shown.evaluated_at,
            shown.trust.anchors.len(),
            shown.engines.join(" + ")
        );
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Result: {}. {}",
            shown.verdict.as_str().to_ascii_uppercase(),
            summary_sentence(shown)
        );
        for (i, tk) in shown.tokens.iter().enumerate() {
            let _ = writeln!(
                s,
                "- Token {} ({}): {}: {}",
                i + 1,
                protocol_name(tk.protocol),
                tk.verdict.as_str().to_ascii_uppercase(),
                token_verdict_reason(tk)
            );
            for e in &tk.mfa.evidence {
                let _ = writeln!(s, "  MFA evidence (signed): {e}");
            }
            if let Some(c) = &tk.signature.certificate {
                let _ = writeln!(s, "  Signed by: {} (SHA-1 thumbprint {})", c.subject, c.sha1_thumbprint);
            }
        }
    }
}

/// The protocols the tokens used, in words.
fn integration_method(shown: &Report) -> String {
    let protos: BTreeSet<&str> = shown
        .tokens
        .iter()
        .filter_map(|tk| match tk.protocol {
            Some(Protocol::WsfedSaml11) => {
                Some("WS-Federation (SAML 1.1 token in a WS-Trust RequestSecurityTokenResponse)")
            }
            Some(Protocol::Saml2) => Some("SAML-P (SAML 2.0 Response)"),
            None => None,
        })
        .collect();
    if protos.is_empty() {
        "identity federation (protocol not determined)".to_string()
    } else {
        format!(
            "identity federation over {}",
            protos.into_iter().collect::<Vec<_>>().join(" and ")
        )
    }
}

/// The sign-in logs in one sentence, and what Entra saw of the users Partner Center lists.
fn tenant_wide(s: &mut String, si: &SigninsReport) {
    let _ = writeln!(s, "Tenant-wide evidence (Entra sign-in logs):");
    let _ = writeln!(s, "{}", signins_sentence(si));
    if let Some(p) = &si.partner_report {
        let saw = |w: &str| p.users.iter().filter(|u| u.entra_saw == w).count();
        let _ = writeln!(
            s,
            "Partner Center's MFA report lists {} user(s) who reached Partner Center without MFA; in the sign-in \
             logs Entra saw the IdP's MFA claim for {}, Entra's own MFA for {}, no MFA for {}, and {} are not in \
             the logs.",
            p.listed,
            saw("mfa_claim"),
            saw("mfa_entra"),
            saw("single_factor"),
            saw("not_in_signins") + saw("no_signin_logs")
        );
    }
}

/// The documents in the bundle, each with what it is.
fn attached(s: &mut String, files: &Files, note: &RedactionNote) {
    let _ = writeln!(
        s,
        "Attached documents (in the evidence bundle; manifest.json lists the SHA-256 of each):"
    );
    let _ = writeln!(
        s,
        "- report.html / report.md: the full test report; report.json and junit.xml: the same, machine-readable"
    );
    for p in files.keys() {
        if let Some(d) = contents::kind(p).and_then(|k| k.describe(note.enabled).request) {
            let _ = writeln!(s, "- {p}: {d}");
        }
    }
}
