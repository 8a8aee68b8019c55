//! The MFA rule, per protocol: where Entra reads the MFA signal in a signed token (`mfa.signal`), and the
//! authentication instant its sign-in frequency counts from (`mfa.instant`).
//!
//! SAML 2.0 (SAML-P) counts only exactly one `AuthnContextClassRef` = `multipleauthn`; an MFA value in an attribute
//! does not count. WS-Federation (SAML 1.1) counts `multipleauthn` or `wiaormultiauthn` in
//! `AuthenticationStatement/@AuthenticationMethod` or in the `authnmethodsreferences` / `authenticationmethod`
//! attributes (claim type = namespace + "/" + name, exactly as AD FS forms it). Values that look like MFA but do
//! not count are near misses, each explained.

use super::time::{human_age, parse_time};
use super::{check, ids, Check, Context, Mfa, Status};
use super::{AMR_URI, AUTHMETHOD_URI, AUTHN_INSTANT_URI, MFA_INSTANT_URI, MULTIPLEAUTHN, WIAORMULTIAUTHN};
use crate::saml::{AttributeClaim, Claims, Protocol, Token};
use chrono::Duration;

/// Finds the MFA signal in the signed claims; a signal in unsigned content is only a near miss.
pub fn mfa(token: &Token) -> Mfa {
    let Some(c) = &token.claims else {
        let mut near = Vec::new();
        if let Some(u) = &token.unverified_claims {
            let (e, _) = locate(token.protocol, u);
            if !e.is_empty() {
                near.push(format!(
                    "the token claims MFA ({}) but that content is not covered by a verified signature, so it does not count",
                    e.join("; ")
                ));
            }
        }
        return Mfa {
            satisfied: false,
            evidence: Vec::new(),
            near_misses: near,
        };
    };
    let (evidence, near_misses) = locate(token.protocol, c);
    Mfa {
        satisfied: !evidence.is_empty(),
        evidence,
        near_misses,
    }
}

/// A claim type as Entra reads it for the protocol: WS-Fed joins namespace and name exactly as AD FS forms claim
/// types (a look-alike namespace does not count); SAML 2.0 uses the name alone.
fn claim_type(protocol: Protocol, a: &AttributeClaim) -> String {
    match &a.namespace {
        Some(ns) if protocol == Protocol::WsfedSaml11 => format!("{ns}/{}", a.name),
        _ => a.name.clone(),
    }
}

/// Where a claims set carries the MFA signal for its protocol, and the near misses.
fn locate(protocol: Protocol, c: &Claims) -> (Vec<String>, Vec<String>) {
    let amr_values: Vec<(String, &str)> = c
        .attributes
        .iter()
        .filter_map(|a| {
            let full = claim_type(protocol, a);
            (full == AMR_URI || full == AUTHMETHOD_URI).then_some((full, a))
        })
        .flat_map(|(full, a)| a.values.iter().map(move |v| (full.clone(), v.as_str())))
        .collect();
    let (evidence, mut near) = match protocol {
        Protocol::Saml2 => saml2_signal(c, &amr_values),
        Protocol::WsfedSaml11 => wsfed_signal(c, &amr_values),
    };
    if !evidence.is_empty() {
        near.retain(|n| !n.starts_with("the assertion has no"));
    }
    (evidence, near)
}

/// SAML 2.0: exactly one `AuthnContextClassRef`, `multipleauthn`.
fn saml2_signal(c: &Claims, amr_values: &[(String, &str)]) -> (Vec<String>, Vec<String>) {
    let mut evidence = Vec::new();
    let mut near = Vec::new();
    for v in &c.authn_methods {
        if v == MULTIPLEAUTHN {
            evidence.push(format!(
                "Assertion/AuthnStatement/AuthnContext/AuthnContextClassRef = {v}"
            ));
        } else {
            near.push(explain_value(v, true));
        }
    }
    if c.authn_methods.is_empty() {
        near.push("the assertion has no AuthnStatement/AuthnContext/AuthnContextClassRef".into());
    }
    if c.authn_methods.len() > 1 && !evidence.is_empty() {
        // Entra reads one AuthnContextClassRef; with several, which one it takes is not documented, so
        // an MFA value among others is not counted (fail closed).
        evidence.clear();
        near.push(format!(
            "{} AuthnContextClassRef values (several AuthnStatements or AuthnContexts), one of them multipleauthn; Entra expects exactly one, so this does not count",
            c.authn_methods.len()
        ));
    }
    for (name, v) in amr_values {
        if *v == MULTIPLEAUTHN || *v == WIAORMULTIAUTHN {
            near.push(format!(
                "attribute {name} = {v} is present, but in a SAML 2.0 token Entra reads MFA only from AuthnContextClassRef; the attribute does not count"
            ));
        }
    }
    (evidence, near)
}

/// WS-Federation: `multipleauthn` or `wiaormultiauthn` as the authentication method or in an attribute.
fn wsfed_signal(c: &Claims, amr_values: &[(String, &str)]) -> (Vec<String>, Vec<String>) {
    let mut evidence = Vec::new();
    let mut near = Vec::new();
    for v in &c.authn_methods {
        if v == MULTIPLEAUTHN || v == WIAORMULTIAUTHN {
            evidence.push(format!("Assertion/AuthenticationStatement/@AuthenticationMethod = {v}"));
        } else {
            near.push(explain_value(v, false));
        }
    }
    for (name, v) in amr_values {
        if *v == MULTIPLEAUTHN || *v == WIAORMULTIAUTHN {
            evidence.push(format!("Assertion/AttributeStatement/Attribute[{name}] = {v}"));
        } else {
            near.push(format!("attribute {name} = {v}: {}", explain_value(v, false)));
        }
    }
    (evidence, near)
}

/// Why a value that is not Entra's MFA claim does not count.
fn explain_value(v: &str, saml2: bool) -> String {
    let what = if saml2 {
        "AuthnContextClassRef"
    } else {
        "authentication method"
    };
    if v.ends_with(":ac:classes:PasswordProtectedTransport")
        || v.ends_with(":ac:classes:Password")
        || v.ends_with(":am:password")
        || v.ends_with("/authmethod/password")
    {
        format!("{what} {v} is a password sign-in, not MFA")
    } else if v.ends_with(":ac:classes:unspecified") || v.ends_with(":am:unspecified") {
        format!("{what} {v} says nothing about MFA (Keycloak's default; leads to a redirect loop with enforceMfaByFederatedIdp)")
    } else if v == "https://refeds.org/profile/mfa" {
        format!("{what} {v} is the REFEDS MFA profile; Entra does not recognise it, only {MULTIPLEAUTHN}")
    } else if v.starts_with("http://schemas.microsoft.com/ws/2012/12/authmethod/") {
        format!("{what} {v} is an AD FS authentication-method URI, not the MFA claim; Entra needs {MULTIPLEAUTHN}")
    } else if v == WIAORMULTIAUTHN && saml2 {
        format!("{what} {v} is honoured only over WS-Federation; SAML-P needs exactly {MULTIPLEAUTHN}")
    } else {
        format!("{what} {v} is not the MFA claim {MULTIPLEAUTHN}")
    }
}

/// Why a token's claims could not be verified: the state the `mfa.signal` fix has to fit.
enum Unverified {
    /// No trust anchor was given (no `--idp-cert`, `--metadata` or `--federation-config`).
    NoAnchor,
    /// The signature verifies with the certificate in KeyInfo, which is not a trust anchor.
    UntrustedKey { subject: String, sha256: String },
    /// No signature, or one that does not verify (or covers no assertion Entra reads): see `signature.valid`.
    Broken,
}

impl Unverified {
    fn of(token: &Token, ctx: &Context) -> Self {
        use crate::dsig::SignatureError as E;
        if ctx.anchors.is_empty() {
            return Unverified::NoAnchor;
        }
        let primary = token.signature_verdict().primary.map(|i| &token.signatures[i]);
        match primary.map(|s| &s.check.outcome) {
            Some(Err(E::NoTrustAnchors)) => Unverified::NoAnchor,
            Some(Err(E::UntrustedKey { subject, sha256 })) => Unverified::UntrustedKey {
                subject: subject.clone(),
                sha256: sha256.clone(),
            },
            _ => Unverified::Broken,
        }
    }

    /// Why the claims do not count, in words.
    fn reason(&self) -> String {
        match self {
            Unverified::NoAnchor => "no trust anchor was given with --idp-cert, --metadata or --federation-config, so fedcheck cannot tell whether the IdP signed it".into(),
            Unverified::UntrustedKey { subject, sha256 } => format!(
                "the signature verifies only with the certificate the token carries itself ({subject}, SHA-256 {sha256}), which is not among the trusted certificates"
            ),
            Unverified::Broken => "no verified signature covers it (see signature.valid)".into(),
        }
    }

    /// What gives the claims a verified signature, when they carry the MFA signal.
    fn remedy(&self) -> String {
        match self {
            Unverified::NoAnchor => format!(
                "the token already carries the MFA claim (the IdP's claim rules need no change if it then verifies); to verify it, {TRUST_ANCHOR_HOW}"
            ),
            Unverified::UntrustedKey { sha256, .. } => format!(
                "the MFA claim is there, but a certificate the token carries itself proves nothing (anyone can make one with the same subject): compare its SHA-256 thumbprint {sha256} with the IdP's current token-signing certificate and with Entra's signingCertificate; if it is the IdP's, give it as the trust anchor ({TRUST_ANCHOR_OPTIONS}), else this token was not signed by your IdP"
            ),
            Unverified::Broken => "make the signature verify first (see signature.valid); a claim counts only in content covered by a signature that verifies with the trusted key; until then whether the IdP issued that MFA claim is unknown (an altered or injected claim looks the same)".into(),
        }
    }

    /// What else to do, besides emitting the claim, when the unverified claims carry no MFA signal either.
    fn and_also(&self) -> String {
        match self {
            Unverified::NoAnchor => format!("then, to verify the token, {TRUST_ANCHOR_HOW}"),
            Unverified::UntrustedKey { sha256, .. } => format!(
                "and find why the token is signed by a key that is not trusted (KeyInfo certificate SHA-256 {sha256}): compare it with the IdP's current token-signing certificate, Entra's signingCertificate and the trust anchors given ({TRUST_ANCHOR_OPTIONS})"
            ),
            Unverified::Broken => "and make the signature verify (see signature.valid)".into(),
        }
    }
}

/// The options that give fedcheck a trust anchor.
const TRUST_ANCHOR_OPTIONS: &str = "--idp-cert, --metadata or --federation-config";

/// How to give fedcheck the IdP's token-signing certificate.
const TRUST_ANCHOR_HOW: &str = "give fedcheck the IdP's token-signing certificate: --idp-cert FILE (PEM, DER, or the base64 Entra stores), --metadata FILE|URL (the IdP's federation metadata), or --federation-config FILE (Entra's federation settings, e.g. from `fedcheck fetch-config`: its signingCertificate is the one Entra trusts)";

/// `mfa.signal`: the finding, with the near misses and a fix that fits the state: a missing signal gets the
/// protocol's rule to emit it; a signal present in claims that could not be verified gets how to verify them
/// (the trust anchor, or the signature), never a rule to emit what is already there.
pub(super) fn mfa_check(token: &Token, mfa: &Mfa, ctx: &Context) -> Check {
    if mfa.satisfied {
        return check(
            ids::MFA_SIGNAL,
            Status::Pass,
            format!("signed MFA signal: {}", mfa.evidence.join("; ")),
            None,
        );
    }
    let emit = match token.protocol {
        Protocol::Saml2 => "emit exactly one AuthnContextClassRef, http://schemas.microsoft.com/claims/multipleauthn, when the user completed MFA (PingOne: the Microsoft 365 authentication claim; Keycloak: map the ACR to that URI)",
        Protocol::WsfedSaml11 => "issue http://schemas.microsoft.com/claims/authnmethodsreferences = http://schemas.microsoft.com/claims/multipleauthn when MFA was done (AD FS: add the pass-through rule c:[Type == \"http://schemas.microsoft.com/claims/authnmethodsreferences\"] => issue(claim = c); Okta: 'Use Okta MFA to satisfy Entra ID MFA')",
    };
    if token.claims.is_some() {
        let mut msg = "the signed token does not carry Entra's MFA signal".to_string();
        if !mfa.near_misses.is_empty() {
            msg.push_str(": ");
            msg.push_str(&mfa.near_misses.join("; "));
        }
        return check(ids::MFA_SIGNAL, Status::Fail, msg, Some(emit));
    }
    let state = Unverified::of(token, ctx);
    let (evidence, near) = token
        .unverified_claims
        .as_ref()
        .map(|u| locate(token.protocol, u))
        .unwrap_or_default();
    if !evidence.is_empty() {
        // The claim is there, unverified: what to do is verify it, not emit it again.
        return check(
            ids::MFA_SIGNAL,
            Status::Fail,
            format!(
                "MFA signal present but unverified: the token carries {}, but {}; it counts only once a signature that verifies with the trusted key covers it",
                evidence.join("; "),
                state.reason()
            ),
            Some(&state.remedy()),
        );
    }
    let mut msg = format!("no signed MFA signal: no claims verified, since {}", state.reason());
    if token.unverified_claims.is_some() {
        msg.push_str("; the unverified claims carry no MFA signal either");
        if !near.is_empty() {
            msg.push_str(": ");
            msg.push_str(&near.join("; "));
        }
    }
    check(
        ids::MFA_SIGNAL,
        Status::Fail,
        msg,
        Some(&format!("{emit}; {}", state.and_also())),
    )
}

/// The authentication instant a token carries: its value, where it was read, and what Entra does with it.
struct Instant {
    value: String,
    location: String,
    meaning: &'static str,
}

/// WS-Fed: the `authenticationinstant` claim (AD FS carries it as `AuthenticationStatement/@AuthenticationInstant`,
/// else an attribute); SAML 2.0: `AuthnStatement/@AuthnInstant`.
fn authentication_instant(protocol: Protocol, c: &Claims) -> Option<Instant> {
    const WSFED_MEANING: &str =
        "Entra's sign-in frequency counts from it (for WS-Fed, the instant of the first factor)";
    match protocol {
        Protocol::Saml2 => c.authn_instant.clone().map(|value| Instant {
            value,
            location: "AuthnStatement/@AuthnInstant".to_string(),
            meaning: "Entra's sign-in frequency counts from it (the instant of MFA or of the first factor)",
        }),
        Protocol::WsfedSaml11 => match (c.authn_instant.clone(), attribute(protocol, c, AUTHN_INSTANT_URI)) {
            (Some(value), _) => Some(Instant {
                value,
                location: "AuthenticationStatement/@AuthenticationInstant, the authenticationinstant claim".to_string(),
                meaning: WSFED_MEANING,
            }),
            (None, Some(value)) => Some(Instant {
                value,
                location: format!("attribute {AUTHN_INSTANT_URI}"),
                meaning: WSFED_MEANING,
            }),
            (None, None) => None,
        },
    }
}

/// The first value of the attribute whose claim type is `uri`.
fn attribute(protocol: Protocol, c: &Claims, uri: &str) -> Option<String> {
    c.attributes
        .iter()
        .find(|a| claim_type(protocol, a) == uri)
        .and_then(|a| a.values.first().cloned())
}

/// `mfa.instant` (info): the sign-in frequency claim and its age at the evaluation time.
pub(super) fn instant_check(protocol: Protocol, c: &Claims, ctx: &Context) -> Check {
    let mut note = String::new();
    if protocol == Protocol::Saml2 && attribute(protocol, c, MFA_INSTANT_URI).is_some() {
        note = format!("; the {MFA_INSTANT_URI} attribute is ignored by Entra for SAML 2.0");
    }
    let Some(Instant {
        value: raw,
        location,
        meaning,
    }) = authentication_instant(protocol, c)
    else {
        return check(
            ids::MFA_INSTANT,
            Status::Info,
            format!("the token carries no authentication instant, so sign-in frequency policies have none to count from{note}"),
            None,
        );
    };
    match parse_time(&raw) {
        None => check(
            ids::MFA_INSTANT,
            Status::Warn,
            format!("{location} \"{raw}\" is not a valid xs:dateTime{note}"),
            Some("issue the authentication instant as an xs:dateTime in UTC, e.g. 2026-01-15T10:00:00Z"),
        ),
        Some(t) => {
            let age = ctx.at - t;
            let when = if age >= Duration::zero() {
                format!("{} before the evaluation time", human_age(age))
            } else {
                format!(
                    "{} after the evaluation time (check the IdP's clock, or --at)",
                    human_age(age)
                )
            };
            check(
                ids::MFA_INSTANT,
                Status::Info,
                format!("authenticated at {raw} ({location}), {when}: {meaning}{note}"),
                None,
            )
        }
    }
}
