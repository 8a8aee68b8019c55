//! The evidence card: the first screen of `report.html` and the top of `report.md`, one row per fact a reviewer
//! checks first. Every value is read from the report, where each rule was computed once (the `entra.*` checks, the
//! MFA evidence, the signing certificate), or from what the bundle was told and found ([`super::CardFacts`]: the
//! tenant domain and the IdP product, each with its source); nothing here judges anything anew.

use super::document::{code, status_badge, t, Block, CardRow, Cell, Inline};
use super::token::also_seen;
use super::RenderOptions;
use crate::report::{Report, TokenReport};
use crate::rules::{ids, Status};
use crate::saml::SignedBy;
use crate::signins::aggregate::SigninsReport;
use crate::trust::CertInfo;

/// Users listed by name on the card; the rest are counted, and every user is in the sign-in section.
const CARD_USERS: usize = 8;

/// The card.
pub(super) fn card(r: &Report, opts: &RenderOptions) -> Block {
    let facts = opts.card.clone().unwrap_or_default();
    let mut rows = vec![
        CardRow {
            id: "tenant-domain",
            label: "Tenant domain",
            value: match &facts.tenant_domain {
                Some(d) => vec![code(&d.value), t(format!(" ({})", d.source))],
                None => vec![t("not known (give --tenant-domain)")],
            },
        },
        CardRow {
            id: "idp",
            label: "Identity provider",
            value: match &facts.idp_product.name {
                Some(n) => vec![Inline::Strong(n.clone()), t(format!(" ({})", facts.idp_product.reason))],
                None => vec![
                    Inline::Strong("unknown".into()),
                    t(format!(
                        " (give --idp-product): {}",
                        if facts.idp_product.reason.is_empty() {
                            "the product was not named"
                        } else {
                            &facts.idp_product.reason
                        }
                    )),
                ],
            },
        },
        CardRow {
            id: "issuer",
            label: "Issuer",
            value: issuer(r),
        },
        CardRow {
            id: "signing-certificate",
            label: "Signing certificate",
            value: certificates(r),
        },
        CardRow {
            id: "entra-certificate",
            label: "Entra's signingCertificate",
            value: per_token_check(
                r,
                ids::ENTRA_SIGNING_CERTIFICATE,
                "not compared (give --federation-config)",
            ),
        },
        CardRow {
            id: "mfa-claim",
            label: "Signed MFA claim",
            value: mfa_claims(r),
        },
        CardRow {
            id: "mfa-behavior",
            label: "federatedIdpMfaBehavior",
            value: behavior(r),
        },
        CardRow {
            id: "outcome",
            label: "Predicted outcome",
            value: per_token_check(r, ids::ENTRA_OUTCOME, "not predicted (give --federation-config)"),
        },
        CardRow {
            id: "period",
            label: "Period covered",
            value: period(r, opts.signins.as_ref()),
        },
    ];
    if let Some(si) = &opts.signins {
        rows.push(CardRow {
            id: "signins",
            label: "Sign-ins per user",
            value: signins(si),
        });
    }
    Block::Card(rows)
}

/// "Token N: " before a per-token line when there are several tokens.
fn token_prefix(r: &Report, n: usize) -> Option<Inline> {
    (r.tokens.len() > 1).then(|| Inline::Strong(format!("Token {n}: ")))
}

/// Inline lines joined with line breaks.
fn lines(ls: Vec<Cell>) -> Cell {
    let mut out = Vec::new();
    for (i, l) in ls.into_iter().enumerate() {
        if i > 0 {
            out.push(Inline::Break);
        }
        out.extend(l);
    }
    out
}

/// The tokens' issuers: the signed one, else the unverified one marked so; one line per distinct value.
fn issuer(r: &Report) -> Cell {
    let mut seen: Vec<(String, bool, Vec<usize>)> = Vec::new();
    for (i, tk) in r.tokens.iter().enumerate() {
        let (value, signed) = match (&tk.claims, &tk.unverified_claims) {
            (Some(c), _) => (c.issuer.clone(), true),
            (None, Some(c)) => (c.issuer.clone(), false),
            (None, None) => (None, false),
        };
        let Some(v) = value else { continue };
        match seen.iter_mut().find(|(x, s, _)| *x == v && *s == signed) {
            Some(e) => e.2.push(i + 1),
            None => seen.push((v, signed, vec![i + 1])),
        }
    }
    if seen.is_empty() {
        return vec![t("none read")];
    }
    let all = seen.len() == 1 && seen[0].2.len() == r.tokens.len();
    lines(
        seen.into_iter()
            .map(|(v, signed, ns)| {
                let mut l = vec![code(v)];
                l.push(t(if signed { " (signed" } else { " (UNVERIFIED" }));
                if !all {
                    l.push(t(format!("; {}", tokens(&ns))));
                }
                l.push(t(")"));
                l
            })
            .collect(),
    )
}

/// `token 3`, `tokens 1, 2`.
fn tokens(ns: &[usize]) -> String {
    let list = ns.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ");
    if ns.len() == 1 {
        format!("token {list}")
    } else {
        format!("tokens {list}")
    }
}

/// `Token 3: `, `Tokens 1, 2: ` at the start of a line.
fn tokens_prefix(ns: &[usize]) -> Inline {
    let s = tokens(ns);
    Inline::Strong(format!("{}{}: ", s[..1].to_ascii_uppercase(), &s[1..]))
}

/// The certificates that verified the tokens (distinct by SHA-256), then, for a token no trusted certificate
/// verified, the certificate its KeyInfo names (not trusted by itself); token numbers when not every token shares one.
fn certificates(r: &Report) -> Cell {
    let mut groups: Vec<(&CertInfo, bool, Vec<usize>)> = Vec::new();
    let mut none: Vec<usize> = Vec::new();
    for (i, tk) in r.tokens.iter().enumerate() {
        let keyinfo = || {
            tk.signature
                .signatures
                .iter()
                .find_map(|s| s.declared.keyinfo_certificates.first())
        };
        let Some((c, trusted)) = tk
            .signature
            .certificate
            .as_ref()
            .map(|c| (c, true))
            .or_else(|| keyinfo().map(|c| (c, false)))
        else {
            none.push(i + 1);
            continue;
        };
        match groups
            .iter_mut()
            .find(|(x, t, _)| x.sha256_thumbprint == c.sha256_thumbprint && *t == trusted)
        {
            Some(g) => g.2.push(i + 1),
            None => groups.push((c, trusted, vec![i + 1])),
        }
    }
    let all = groups.len() == 1 && none.is_empty();
    let mut ls: Vec<Cell> = Vec::new();
    for (c, trusted, ns) in groups {
        let mut l = Vec::new();
        if !all {
            l.push(tokens_prefix(&ns));
        }
        if !trusted {
            l.push(Inline::Strong(
                "no trusted certificate verified it; its KeyInfo names (not trusted by itself) ".into(),
            ));
        }
        l.extend([
            t("subject "),
            code(&c.subject),
            Inline::Break,
            t("SHA-1 "),
            code(&c.sha1_thumbprint),
            Inline::Break,
            t("SHA-256 "),
            code(&c.sha256_thumbprint),
        ]);
        ls.push(l);
    }
    if !none.is_empty() {
        let mut l = Vec::new();
        if !ls.is_empty() {
            l.push(tokens_prefix(&none));
        }
        l.push(Inline::Strong("no certificate: no signature verified".into()));
        ls.push(l);
    }
    lines(ls)
}

/// A check's status and finding per token (once when every token has the same), or `absent` when no token has it.
fn per_token_check(r: &Report, id: &str, absent: &str) -> Cell {
    let found: Vec<(usize, Status, &str)> = r
        .tokens
        .iter()
        .enumerate()
        .filter_map(|(i, tk)| {
            tk.checks
                .iter()
                .find(|c| c.id == id)
                .map(|c| (i + 1, c.status, c.message.as_str()))
        })
        .collect();
    if found.is_empty() {
        return vec![t(absent)];
    }
    let same = found.len() == r.tokens.len() && found.iter().all(|(_, s, m)| (*s, *m) == (found[0].1, found[0].2));
    if same {
        return vec![status_badge(found[0].1), t(" "), t(found[0].2)];
    }
    lines(
        found
            .into_iter()
            .map(|(n, s, m)| {
                let mut l: Cell = token_prefix(r, n).into_iter().collect();
                l.extend([status_badge(s), t(" "), t(m)]);
                l
            })
            .collect(),
    )
}

/// Per token: the signed MFA claim as `name = value`, where it sits and which signature covers it, and the other
/// methods the token names; or why there is none.
fn mfa_claims(r: &Report) -> Cell {
    lines(
        r.tokens
            .iter()
            .enumerate()
            .map(|(i, tk)| {
                let mut l: Cell = token_prefix(r, i + 1).into_iter().collect();
                l.extend(mfa_claim(tk));
                l
            })
            .collect(),
    )
}

fn mfa_claim(tk: &TokenReport) -> Cell {
    if tk.error.is_some() {
        return vec![t("the token could not be analyzed")];
    }
    if tk.mfa.evidence.is_empty() {
        let why = tk
            .checks
            .iter()
            .find(|c| c.id == ids::MFA_SIGNAL)
            .map(|c| c.message.clone())
            .unwrap_or_else(|| "no signed MFA signal".into());
        return vec![status_badge(Status::Fail), t(" "), t(why)];
    }
    let signer = match tk.signature.claims_signed_by {
        Some(SignedBy::AssertionSignature) => "signed by the assertion's own signature",
        Some(SignedBy::ResponseSignature) => "signed by the Response signature",
        None => "signed",
    };
    let mut l = Vec::new();
    for (j, e) in tk.mfa.evidence.iter().enumerate() {
        if j > 0 {
            l.push(Inline::Break);
        }
        let (name, value, place) = split_evidence(e);
        l.extend([code(name), t(" = "), code(value), t(format!(" in {place}, {signer}"))]);
    }
    let seen = also_seen(tk);
    if !seen.is_empty() {
        l.push(Inline::Break);
        l.push(t(format!(
            "also seen: {}",
            seen.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    l
}

/// `Assertion/AuthnStatement/AuthnContext/AuthnContextClassRef = V` as (claim name, value, where it sits):
/// `AuthnContextClassRef`, `@AuthenticationMethod` as `AuthenticationMethod`, `Attribute[URI]` as the URI.
fn split_evidence(e: &str) -> (&str, &str, &str) {
    let (path, value) = e.split_once(" = ").unwrap_or((e, ""));
    if let Some(i) = path.find("/Attribute[") {
        let name = &path[i + "/Attribute[".len()..];
        return (name.strip_suffix(']').unwrap_or(name), value, &path[..i]);
    }
    let (place, last) = path.rsplit_once('/').unwrap_or(("the assertion", path));
    (last.strip_prefix('@').unwrap_or(last), value, place)
}

/// Entra's federatedIdpMfaBehavior as the predictions used it, with where it was read (once per distinct value).
fn behavior(r: &Report) -> Cell {
    let mut seen: Vec<(&str, String)> = Vec::new();
    for p in r.tokens.iter().filter_map(|tk| tk.entra.as_ref()) {
        let source = if p.behavior_source == "federatedIdpMfaBehavior" {
            format!(" (set on {})", p.configuration)
        } else {
            format!(" ({}; domain {})", p.behavior_source, p.configuration)
        };
        let v = (p.behavior.as_str(), source);
        if !seen.contains(&v) {
            seen.push(v);
        }
    }
    if seen.is_empty() {
        return vec![t("not known (give --federation-config)")];
    }
    lines(seen.into_iter().map(|(b, source)| vec![code(b), t(source)]).collect())
}

/// When the tokens were issued (signed IssueInstant; unverified ones marked), when they were judged, and the
/// sign-in logs' first and last sign-in.
fn period(r: &Report, signins: Option<&SigninsReport>) -> Cell {
    let mut signed: Vec<&str> = Vec::new();
    let mut unverified: Vec<&str> = Vec::new();
    for tk in &r.tokens {
        match (&tk.claims, &tk.unverified_claims) {
            (Some(c), _) => signed.extend(c.issue_instant.as_deref()),
            (None, Some(c)) => unverified.extend(c.issue_instant.as_deref()),
            _ => {}
        }
    }
    let range = |v: &mut Vec<&str>| -> Option<String> {
        v.sort_unstable();
        match (v.first(), v.last()) {
            (Some(a), Some(b)) if a == b => Some((*a).to_string()),
            (Some(a), Some(b)) => Some(format!("{a} to {b}")),
            _ => None,
        }
    };
    let mut ls: Vec<Cell> = Vec::new();
    if let Some(x) = range(&mut signed) {
        ls.push(vec![t("tokens issued "), code(x), t(" (signed IssueInstant)")]);
    }
    if let Some(x) = range(&mut unverified) {
        ls.push(vec![t("tokens issued "), code(x), t(" (UNVERIFIED IssueInstant)")]);
    }
    if r.tokens.iter().any(|tk| tk.evaluated_at.is_some()) {
        ls.push(vec![t("judged each at its own IssueInstant (--at issue-instant)")]);
    } else {
        ls.push(vec![t("judged at "), code(&r.evaluated_at)]);
    }
    if let Some(si) = signins {
        match (&si.summary.first_signin, &si.summary.last_signin) {
            (Some(a), Some(b)) => ls.push(vec![t("sign-in logs "), code(a), t(" to "), code(b)]),
            _ => ls.push(vec![t("sign-in logs: no sign-in counted")]),
        }
    }
    lines(ls)
}

/// The sign-in counts: totals, then the first users (those without MFA come first), then how many more.
fn signins(si: &SigninsReport) -> Cell {
    let sm = &si.summary;
    let mut ls: Vec<Cell> = vec![vec![
        if sm.users_without_mfa == 0 {
            status_badge(Status::Pass)
        } else {
            status_badge(Status::Fail)
        },
        t(format!(
            " {} user(s), {} without MFA; {} sign-in(s): {} IdP MFA claim, {} Entra MFA, {} single-factor, {} failed",
            sm.users, sm.users_without_mfa, sm.signins, sm.mfa_claim, sm.mfa_entra, sm.single_factor, sm.failed
        )),
    ]];
    for u in si.users.iter().take(CARD_USERS) {
        ls.push(vec![
            code(&u.user),
            t(format!(
                ": {} sign-in(s), {} IdP claim, {} Entra MFA, {} single-factor, {} failed",
                u.signins, u.mfa_claim, u.mfa_entra, u.single_factor, u.failed
            )),
        ]);
    }
    if si.users.len() > CARD_USERS {
        ls.push(vec![t(format!(
            "and {} more user(s): see the sign-in logs section",
            si.users.len() - CARD_USERS
        ))]);
    }
    lines(ls)
}

#[cfg(test)]
mod tests {
    use super::split_evidence;

    #[test]
    fn evidence_splits_into_name_value_and_place() {
        assert_eq!(
            split_evidence("Assertion/AuthnStatement/AuthnContext/AuthnContextClassRef = http://x/multipleauthn"),
            (
                "AuthnContextClassRef",
                "http://x/multipleauthn",
                "Assertion/AuthnStatement/AuthnContext"
            )
        );
        assert_eq!(
            split_evidence("Assertion/AuthenticationStatement/@AuthenticationMethod = v"),
            ("AuthenticationMethod", "v", "Assertion/AuthenticationStatement")
        );
        assert_eq!(
            split_evidence("Assertion/AttributeStatement/Attribute[http://schemas.microsoft.com/claims/authnmethodsreferences] = v"),
            (
                "http://schemas.microsoft.com/claims/authnmethodsreferences",
                "v",
                "Assertion/AttributeStatement"
            )
        );
    }
}
