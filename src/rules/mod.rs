//! The checks: each requirement Entra places on a federated token, as data (id, status, message, fix).
//!
//! [`evaluate`] turns an analyzed [`Token`] into [`Check`]s and an [`Mfa`] finding. Check ids are a stable
//! contract (scripts match on them); every failing check carries the fix an IdP engineer would apply. The MFA
//! rule is protocol-specific: SAML 2.0 counts only `AuthnContextClassRef` = `multipleauthn`; WS-Federation
//! (SAML 1.1) counts `multipleauthn` or `wiaormultiauthn` in `AuthenticationMethod` or in the
//! `authnmethodsreferences` / `authenticationmethod` attributes. Near misses are named and explained.

mod verdict;
pub use verdict::Verdict;

use crate::saml::{Claims, Protocol, SignedBy, Token};
use crate::trust::TrustAnchor;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// Entra's MFA claim value.
pub const MULTIPLEAUTHN: &str = "http://schemas.microsoft.com/claims/multipleauthn";
/// "Windows integrated or multiple authentication", also honoured for WS-Fed.
pub const WIAORMULTIAUTHN: &str = "http://schemas.microsoft.com/claims/wiaormultiauthn";
/// AD FS pass-through claim type (namespace + name).
pub const AMR_NS: &str = "http://schemas.microsoft.com/claims";
/// The `authnmethodsreferences` claim type as a full URI.
pub const AMR_URI: &str = "http://schemas.microsoft.com/claims/authnmethodsreferences";
/// The `authenticationmethod` claim namespace.
pub const AUTHMETHOD_NS: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims";
/// The `authenticationmethod` claim type as a full URI.
pub const AUTHMETHOD_URI: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod";
/// Entra's audience for federated domains.
pub const ENTRA_AUDIENCE: &str = "urn:federation:MicrosoftOnline";
/// Entra's sign-in endpoint.
pub const ENTRA_ACS: &str = "https://login.microsoftonline.com/login.srf";
/// SAML 2.0 persistent NameID format.
pub const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
/// SAML 2.0 bearer confirmation.
pub const BEARER2: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
/// SAML 1.x bearer confirmation.
pub const BEARER1: &str = "urn:oasis:names:tc:SAML:1.0:cm:bearer";
/// SAML 2.0 success status.
pub const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
/// SAML 1.1 UPN claim namespace.
pub const UPN_NS: &str = "http://schemas.xmlsoap.org/claims";
/// SAML 1.1 ImmutableID claim namespace.
pub const IMMUTABLEID_NS: &str = "http://schemas.microsoft.com/LiveID/Federation/2008/05";

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
    /// Stable identifier, e.g. `mfa.signal`.
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

/// Evaluates every rule for one token.
pub fn evaluate(token: &Token, ctx: &Context) -> (Vec<Check>, Mfa) {
    let mut out = Vec::new();
    signature_checks(token, ctx, &mut out);
    let mfa = mfa(token);
    out.push(mfa_check(token, &mfa));
    match &token.claims {
        Some(c) => {
            out.push(instant_check(token.protocol, c, ctx));
            claim_checks(token, c, ctx, &mut out)
        }
        None => out.push(check(
            "claims.signed",
            Status::Fail,
            "no claims could be read from signed content, so none of the token's claims count",
            Some("make the IdP sign the assertion with its trusted signing certificate, and give fedcheck that certificate (--idp-cert or --metadata)"),
        )),
    }
    envelope_checks(token, ctx, &mut out);
    (out, mfa)
}

fn signature_checks(token: &Token, ctx: &Context, out: &mut Vec<Check>) {
    structure_checks(token, out);
    if token.signatures.is_empty() {
        out.push(check(
            "signature.present",
            Status::Fail,
            "the token carries no XML signature",
            Some("configure the IdP to sign the assertion (Entra requires a signed assertion)"),
        ));
        return;
    }
    out.push(check(
        "signature.present",
        Status::Pass,
        format!(
            "{} signature(s): {}",
            token.signatures.len(),
            token
                .signatures
                .iter()
                .map(|s| format!(
                    "{} {}",
                    s.signed_element,
                    s.reference_id.as_deref().unwrap_or("(no ID)")
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None,
    ));
    let verdict = token.signature_verdict();
    let Some(primary) = verdict.primary.map(|i| &token.signatures[i]) else {
        return;
    };
    out.push(signature_valid_check(token, &verdict));
    if let Some(c) = engines_check(token) {
        out.push(c);
    }
    if let Some(c) = algorithm_check(primary) {
        out.push(c);
    }
    if let Some(c) = reference_check(token) {
        out.push(c);
    }
    // Was the assertion itself signed (Entra requires it)?
    if token.signed_by == Some(SignedBy::AssertionSignature) {
        out.push(check(
            "signature.assertion-signed",
            Status::Pass,
            "the assertion carries its own valid signature",
            None,
        ));
    } else if token.signed_by == Some(SignedBy::ResponseSignature) {
        out.push(check(
            "signature.assertion-signed",
            Status::Fail,
            "only the Response is signed; Entra requires the Assertion itself to be signed",
            Some("configure the IdP to sign the assertion (Okta/Ping: 'Assertion Signature'; Keycloak: 'Sign assertions' ON)"),
        ));
    }
    certificate_checks(primary, ctx, out);
}

/// What the document holds besides one assertion of its own protocol: assertions of the other SAML version, and
/// encrypted assertions fedcheck cannot read.
fn structure_checks(token: &Token, out: &mut Vec<Check>) {
    if let Some(mix) = &token.protocol_mix {
        out.push(check(
            "token.protocol",
            Status::Fail,
            format!("{mix}: Entra reads a SAML 2.0 assertion from a SAML-P Response and a SAML 1.1 assertion from a WS-Federation response, never the other version, so those assertions are ignored"),
            Some("configure the IdP to issue the token type of the domain's protocol (Get-MgDomainFederationConfiguration preferredAuthenticationProtocol: saml -> SAML 2.0, wsFed -> SAML 1.1)"),
        ));
    }
    if token.encrypted_assertions > 0 {
        out.push(check(
            "assertion.encrypted",
            Status::Fail,
            format!(
                "the Response carries {} EncryptedAssertion(s): fedcheck cannot decrypt them (that needs the service provider's private key) so their signature and claims cannot be checked, and none of their claims count; Microsoft documents no assertion encryption for federated domains",
                token.encrypted_assertions
            ),
            Some("turn off assertion encryption for the Entra relying party (Entra's federation settings hold no token-decryption certificate), then capture a new token"),
        ));
    }
}

/// `signature.valid`: every signature present verified, and the claims rest on one of them. The same verdict is
/// the JSON field `tokens[].signature.valid` ([`Token::signature_verdict`]).
fn signature_valid_check(token: &Token, verdict: &crate::saml::SignatureVerdict) -> Check {
    let Some(primary) = verdict.primary.map(|i| &token.signatures[i]) else {
        return check("signature.valid", Status::Fail, "no signature", None);
    };
    if verdict.valid {
        return check(
            "signature.valid",
            Status::Pass,
            format!(
                "the {} signature verifies ({})",
                primary.signed_element,
                engines_line(primary)
            ),
            None,
        );
    }
    if !primary.valid {
        let (reason, fix) = failure(primary);
        return check(
            "signature.valid",
            Status::Fail,
            format!("the {} signature does not verify: {reason}", primary.signed_element),
            Some(fix),
        );
    }
    if let Some(broken) = verdict.broken.map(|i| &token.signatures[i]) {
        // Every signature present must verify: a broken Response signature next to a valid Assertion signature
        // means the message was altered (or mis-signed), and Entra rejects it.
        let (reason, fix) = failure(broken);
        return check(
            "signature.valid",
            Status::Fail,
            format!(
                "the {} signature verifies, but the {} signature ({}) does not: {reason}",
                primary.signed_element,
                broken.signed_element,
                broken.reference_id.as_deref().unwrap_or("no ID")
            ),
            Some(fix),
        );
    }
    check(
        "signature.valid",
        Status::Fail,
        format!(
            "the {} signature verifies, but it covers no assertion Entra would read (an assertion nested in Advice, outside the document element, or one of several), so no claims rest on it",
            primary.signed_element
        ),
        Some("sign the assertion itself (or the Response holding exactly one assertion) with the trusted key"),
    )
}

/// `signature.engines-agree`.
fn engines_check(token: &Token) -> Option<Check> {
    if let Some(d) = token.signatures.iter().find_map(|s| s.disagreement.clone()) {
        return Some(check(
            "signature.engines-agree",
            Status::Fail,
            format!("the verification engines disagree: {d}"),
            Some("do not rely on this token; report it to the fedcheck maintainers with the input (the verdict is an error, never a pass)"),
        ));
    }
    if let Some(s) = token.signatures.iter().find_map(|s| s.stricter.clone()) {
        return Some(check(
            "signature.engines-agree",
            Status::Info,
            format!("libxmlsec1 accepts the signature but fedcheck's stricter SAML profile refuses it: {s}"),
            None,
        ));
    }
    if let Some(s) = token.signatures.iter().find(|s| s.second_opinion_skipped) {
        let why = s
            .engines
            .iter()
            .find(|e| e.name == "libxmlsec1")
            .map(|e| e.detail.clone())
            .unwrap_or_default();
        return Some(check(
            "signature.engines-agree",
            Status::Info,
            format!(
                "libxmlsec1 gave no opinion on the {} signature: {why}",
                s.signed_element
            ),
            None,
        ));
    }
    token.signatures.iter().any(|s| s.engines.len() > 1).then(|| {
        check(
            "signature.engines-agree",
            Status::Pass,
            "fedcheck and libxmlsec1 agree",
            None,
        )
    })
}

/// The algorithms Microsoft documents for domain federation: "This signature can be based on SHA1 or SHA256"
/// (Use a SAML 2.0 IdP for single sign-on), enveloped, with exclusive canonicalization.
const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const DIGEST_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
const DIGEST_SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";

/// `signature.algorithm`: the signature's algorithms against what Entra documents. Anything fedcheck verified
/// but Microsoft does not document is a warning that says so, never a pass and never a failure.
fn algorithm_check(primary: &crate::saml::SignatureReport) -> Option<Check> {
    let d = &primary.check.declared;
    let sm = d.signature_method.clone().unwrap_or_default();
    let dm = d.digest_method.clone().unwrap_or_default();
    if sm.is_empty() {
        return None;
    }
    if sm.starts_with("https://") || dm.starts_with("https://") {
        return Some(check(
            "signature.algorithm",
            Status::Fail,
            format!("algorithm URIs use https:// ({sm}, {dm}); the identifiers are http://www.w3.org/..."),
            Some("copy the algorithm URIs from the XML Signature specification, not from documentation pages that print them with https://"),
        ));
    }
    let mut notes = Vec::new();
    if !crate::dsig::is_registered(&sm) {
        notes.push(format!("signature method {sm} is not a registered XML Signature identifier (fedcheck reads it as the algorithm it names; other verifiers may refuse it)"));
    } else if !matches!(sm.as_str(), RSA_SHA1 | RSA_SHA256) {
        notes.push(format!("signature method {sm} verifies, but Microsoft documents only RSA-SHA1 and RSA-SHA256 for federation signing (\"This signature can be based on SHA1 or SHA256\"), so whether Entra accepts it is undocumented"));
    }
    if !dm.is_empty() && !crate::dsig::is_registered(&dm) {
        notes.push(format!("digest method {dm} is not a registered XML Signature identifier (fedcheck reads it as the hash it names; other verifiers may refuse it)"));
    } else if !matches!(dm.as_str(), DIGEST_SHA1 | DIGEST_SHA256 | "") {
        notes.push(format!(
            "digest method {dm} is undocumented for Entra (SHA-1 or SHA-256 are)"
        ));
    }
    let c14n = d
        .canonicalization
        .iter()
        .chain(d.transforms.iter().filter(|t| t.as_str() != crate::dsig::ENVELOPED));
    if let Some(inclusive) = c14n
        .into_iter()
        .find(|a| matches!(crate::xml::c14n::algorithm(a), Some((m, _)) if m != crate::xml::c14n::Mode::Exclusive))
    {
        notes.push(format!("canonicalization {inclusive} is inclusive; Entra's documentation and the SAML profiles use exclusive c14n, so Entra's handling is undocumented"));
    }
    if !notes.is_empty() {
        return Some(check(
            "signature.algorithm",
            Status::Warn,
            notes.join("; "),
            Some("sign with RSA-SHA256, digest SHA-256 and exclusive c14n (http://www.w3.org/2001/04/xmldsig-more#rsa-sha256, http://www.w3.org/2001/04/xmlenc#sha256, http://www.w3.org/2001/10/xml-exc-c14n#), the algorithms Entra documents"),
        ));
    }
    if sm == RSA_SHA1 || dm == DIGEST_SHA1 {
        return Some(check(
            "signature.algorithm",
            Status::Warn,
            format!("SHA-1 is used ({sm}, digest {dm}); Entra still accepts it but it is deprecated"),
            Some("switch the relying party trust to SHA-256 (AD FS: Set-AdfsRelyingPartyTrust -SignatureAlgorithm http://www.w3.org/2001/04/xmldsig-more#rsa-sha256)"),
        ));
    }
    Some(check(
        "signature.algorithm",
        Status::Pass,
        format!("{sm}, digest {dm}"),
        None,
    ))
}

/// `signature.reference`: verified signatures whose shape is outside SAML's signature profile but whose coverage
/// is unambiguous: a whole-document reference (`URI=""` or no URI; SAML core 5.4.2 asks for the ID), or a
/// signature not where the schema puts it. Strict consumers refuse them; Entra's handling is undocumented.
fn reference_check(token: &Token) -> Option<Check> {
    let mut notes = Vec::new();
    for s in token.signatures.iter().filter(|s| s.valid) {
        let id = s.reference_id.as_deref().unwrap_or("no ID");
        if s.check.outcome.as_ref().is_ok_and(|v| v.whole_document) {
            let how = match s.check.declared.reference_uri.as_deref() {
                Some(_) => "Reference URI=\"\"",
                None => "a Reference without URI",
            };
            notes.push(format!("the {} signature ({id}) covers the whole document through {how} instead of the element's ID (SAML core 5.4.2)", s.signed_element));
        }
        if let Some(expected) = s.check.misplaced {
            notes.push(format!("the {} signature ({id}) is not where the SAML schema puts it ({expected}), so the message is not schema-valid", s.signed_element));
        }
    }
    (!notes.is_empty()).then(|| {
        check(
            "signature.reference",
            Status::Warn,
            format!("{}; the signature verifies and covers the signed element, but strict SAML consumers refuse this shape and Entra's handling of it is undocumented", notes.join("; ")),
            Some("configure the IdP to sign with a Reference to the element's ID and to place ds:Signature where the SAML schema puts it (right after Issuer in SAML 2.0)"),
        )
    })
}

/// `certificate.trusted`, `certificate.validity`, `certificate.key-size`, from the signature the claims rest on.
fn certificate_checks(primary: &crate::saml::SignatureReport, ctx: &Context, out: &mut Vec<Check>) {
    if ctx.anchors.is_empty() {
        out.push(check(
            "certificate.trusted",
            Status::Fail,
            "no trusted certificate was given, so the claims below are UNVERIFIED",
            Some("pass the IdP's token-signing certificate (--idp-cert) or its metadata (--metadata)"),
        ));
        return;
    }
    if let Some(a) = primary
        .anchor
        .and_then(|i| ctx.anchors.get(i))
        .filter(|_| primary.valid)
    {
        out.push(check(
            "certificate.trusted",
            Status::Pass,
            format!(
                "signed by {} (SHA-1 {}, from {})",
                a.info.subject, a.info.sha1_thumbprint, a.origin
            ),
            None,
        ));
        validity_check(a, ctx, out);
        out.push(key_size_check(a));
        return;
    }
    // KeyInfo naming a trust anchor while the signature failed: the failure is the signature's, not trust's.
    let named_anchor = primary.check.declared.keyinfo_certificates.iter().find_map(|k| {
        ctx.anchors
            .iter()
            .find(|a| a.info.sha256_thumbprint == k.sha256_thumbprint)
    });
    if let Some(a) = named_anchor {
        out.push(check(
            "certificate.trusted",
            Status::Info,
            format!(
                "KeyInfo names the trusted certificate {} (SHA-1 {}, from {}), but the signature itself did not verify (see signature.valid)",
                a.info.subject, a.info.sha1_thumbprint, a.origin
            ),
            None,
        ));
        return;
    }
    let mut msg = "no trusted certificate verified the token's signature".to_string();
    if let Some(k) = primary.check.declared.keyinfo_certificates.first() {
        msg.push_str(&format!(
            "; KeyInfo names {} (SHA-1 {}), which is not among the {} trusted certificate(s)",
            k.subject,
            k.sha1_thumbprint,
            ctx.anchors.len()
        ));
    }
    out.push(check(
        "certificate.trusted",
        Status::Fail,
        msg,
        Some("compare the IdP's current token-signing certificate with the one Entra holds (Get-MgDomainFederationConfiguration signingCertificate) and the one given to fedcheck"),
    ));
}

/// `certificate.key-size`: one rule whatever engine verified. Microsoft states no minimum RSA key size for
/// federation signing keys (its error list has only AADSTS50032 WeakRsaKey), so 1024-2047 bits is a warning; below
/// 1024 bits the key can be factored and the signature proves nothing about who made it.
fn key_size_check(a: &TrustAnchor) -> Check {
    let (kind, bits) = (a.info.key_type.as_str(), a.info.key_bits);
    match kind {
        "RSA" if bits < 1024 => check(
            "certificate.key-size",
            Status::Fail,
            format!("RSA-{bits}: a key this small can be factored, so the signature does not show the IdP made it; Entra names an error for weak RSA keys (AADSTS50032 WeakRsaKey)"),
            Some("issue a token-signing certificate with an RSA key of 2048 bits or more and roll it over in Entra"),
        ),
        "RSA" if bits < 2048 => check(
            "certificate.key-size",
            Status::Warn,
            format!("RSA-{bits}: under 2048 bits; Microsoft documents no minimum key size for federation signing keys (its error list has only AADSTS50032 WeakRsaKey), so Entra's acceptance is undocumented"),
            Some("issue a token-signing certificate with an RSA key of 2048 bits or more and roll it over in Entra (NIST SP 800-131A disallows RSA under 2048 bits for signing)"),
        ),
        _ => check("certificate.key-size", Status::Pass, format!("{kind}-{bits}"), None),
    }
}

/// Why a signature did not verify, and what to do about it.
fn failure(sig: &crate::saml::SignatureReport) -> (String, &'static str) {
    use crate::dsig::SignatureError as E;
    let reason = match &sig.check.outcome {
        Err(e) => e.to_string(),
        Ok(_) => sig
            .engines
            .iter()
            .find(|e| !e.valid)
            .map(|e| format!("{}: {}", e.name, e.detail))
            .unwrap_or_else(|| "not verified".into()),
    };
    let fix = match &sig.check.outcome {
        Err(E::DigestMismatch { .. }) => "the signed content was altered after signing; capture the token exactly as the IdP posted it (no reformatting, no edits)",
        Err(E::UntrustedKey { .. }) => "the token was signed by a different key than the trusted one: check the IdP's current token-signing certificate and the one Entra has (signingCertificate), or pass the right --idp-cert",
        Err(E::NoTrustAnchors) => "give the IdP's token-signing certificate with --idp-cert, or its metadata with --metadata",
        Err(E::AlgorithmUriTypo { .. }) => "use the exact algorithm identifiers http://www.w3.org/2001/04/xmldsig-more#rsa-sha256 and http://www.w3.org/2001/04/xmlenc#sha256",
        _ => "sign the assertion with an enveloped, exclusive-c14n RSA-SHA256 signature over its ID, with the trusted signing key",
    };
    (reason, fix)
}

fn validity_check(a: &TrustAnchor, ctx: &Context, out: &mut Vec<Check>) {
    let nb = DateTime::parse_from_rfc3339(&a.info.not_before).map(|d| d.with_timezone(&Utc));
    let na = DateTime::parse_from_rfc3339(&a.info.not_after).map(|d| d.with_timezone(&Utc));
    match (nb, na) {
        (Ok(nb), Ok(_)) if ctx.at < nb => out.push(check(
            "certificate.validity",
            Status::Fail,
            format!(
                "the signing certificate is not valid until {} (evaluated at {})",
                a.info.not_before,
                rfc(ctx.at)
            ),
            Some("check the IdP clock and the certificate's validity period"),
        )),
        (Ok(_), Ok(na)) if ctx.at > na => out.push(check(
            "certificate.validity",
            Status::Fail,
            format!(
                "the signing certificate expired on {} (evaluated at {}); Entra rejects it (AADSTS50008)",
                a.info.not_after,
                rfc(ctx.at)
            ),
            Some(&format!(
                "roll over the token-signing certificate and update the domain's signingCertificate; {}",
                crate::entra::rollover_fix(None)
            )),
        )),
        (Ok(_), Ok(na)) if na - ctx.at < Duration::days(crate::entra::EXPIRY_WARN_DAYS) => out.push(check(
            "certificate.validity",
            Status::Warn,
            format!(
                "the signing certificate expires on {}, within {} days",
                a.info.not_after,
                crate::entra::EXPIRY_WARN_DAYS
            ),
            Some(&crate::entra::rollover_fix(None)),
        )),
        (Ok(_), Ok(_)) => out.push(check(
            "certificate.validity",
            Status::Pass,
            format!("valid {} to {}", a.info.not_before, a.info.not_after),
            None,
        )),
        _ => out.push(check(
            "certificate.validity",
            Status::Warn,
            "the certificate's validity dates could not be read",
            None,
        )),
    }
}

fn engines_line(s: &crate::saml::SignatureReport) -> String {
    s.engines
        .iter()
        .map(|e| format!("{}: {}", e.name, if e.valid { "valid" } else { "invalid" }))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Finds the MFA signal in the signed claims.
pub fn mfa(token: &Token) -> Mfa {
    let mut evidence = Vec::new();
    let mut near = Vec::new();
    let Some(c) = &token.claims else {
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
            evidence,
            near_misses: near,
        };
    };
    let (e, n) = locate(token.protocol, c);
    evidence.extend(e);
    near.extend(n);
    Mfa {
        satisfied: !evidence.is_empty(),
        evidence,
        near_misses: near,
    }
}

/// Where a claims set carries the MFA signal for its protocol, and the near misses.
fn locate(protocol: Protocol, c: &Claims) -> (Vec<String>, Vec<String>) {
    let mut evidence = Vec::new();
    let mut near = Vec::new();
    let amr_values: Vec<(String, &str)> = c
        .attributes
        .iter()
        .filter_map(|a| {
            let full = match &a.namespace {
                // Exactly namespace + "/" + name, as AD FS forms claim types; a look-alike namespace does not count.
                Some(ns) if protocol == Protocol::WsfedSaml11 => format!("{ns}/{}", a.name),
                _ => a.name.clone(),
            };
            (full == AMR_URI || full == AUTHMETHOD_URI).then_some((full, a))
        })
        .flat_map(|(full, a)| a.values.iter().map(move |v| (full.clone(), v.as_str())))
        .collect();
    match protocol {
        Protocol::Saml2 => {
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
                if v == MULTIPLEAUTHN || v == WIAORMULTIAUTHN {
                    near.push(format!(
                        "attribute {name} = {v} is present, but in a SAML 2.0 token Entra reads MFA only from AuthnContextClassRef; the attribute does not count"
                    ));
                }
            }
        }
        Protocol::WsfedSaml11 => {
            for v in &c.authn_methods {
                if v == MULTIPLEAUTHN || v == WIAORMULTIAUTHN {
                    evidence.push(format!("Assertion/AuthenticationStatement/@AuthenticationMethod = {v}"));
                } else {
                    near.push(explain_value(v, false));
                }
            }
            for (name, v) in amr_values {
                if v == MULTIPLEAUTHN || v == WIAORMULTIAUTHN {
                    evidence.push(format!("Assertion/AttributeStatement/Attribute[{name}] = {v}"));
                } else {
                    near.push(format!("attribute {name} = {v}: {}", explain_value(v, false)));
                }
            }
        }
    }
    if !evidence.is_empty() {
        near.retain(|n| !n.starts_with("the assertion has no"));
    }
    (evidence, near)
}

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

fn mfa_check(token: &Token, mfa: &Mfa) -> Check {
    if mfa.satisfied {
        return check(
            "mfa.signal",
            Status::Pass,
            format!("signed MFA signal: {}", mfa.evidence.join("; ")),
            None,
        );
    }
    let mut msg = if token.claims.is_none() {
        "no signed MFA signal (no verified claims)".to_string()
    } else {
        "the signed token does not carry Entra's MFA signal".to_string()
    };
    if !mfa.near_misses.is_empty() {
        msg.push_str(": ");
        msg.push_str(&mfa.near_misses.join("; "));
    }
    let fix = match token.protocol {
        Protocol::Saml2 => "emit exactly one AuthnContextClassRef, http://schemas.microsoft.com/claims/multipleauthn, when the user completed MFA (PingOne: the Microsoft 365 authentication claim; Keycloak: map the ACR to that URI)",
        Protocol::WsfedSaml11 => "issue http://schemas.microsoft.com/claims/authnmethodsreferences = http://schemas.microsoft.com/claims/multipleauthn when MFA was done (AD FS: add the pass-through rule c:[Type == \"http://schemas.microsoft.com/claims/authnmethodsreferences\"] => issue(claim = c); Okta: 'Use Okta MFA to satisfy Entra ID MFA')",
    };
    check("mfa.signal", Status::Fail, msg, Some(fix))
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The stand-in's ACS URL, when judging for `serve` at an address other than Entra's.
fn stand_in_acs<'a>(ctx: &Context<'a>) -> Option<&'a str> {
    ctx.stand_in.map(|s| s.acs.as_str()).filter(|a| *a != ENTRA_ACS)
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

fn claim_checks(token: &Token, c: &Claims, ctx: &Context, out: &mut Vec<Check>) {
    // Audience.
    let test_realm = ctx.stand_in.map(|s| s.realm.as_str()).filter(|r| *r != ENTRA_AUDIENCE);
    if c.audiences.iter().any(|a| a == ENTRA_AUDIENCE) {
        out.push(check("audience", Status::Pass, ENTRA_AUDIENCE, None));
    } else if let Some(realm) = test_realm.filter(|r| c.audiences.iter().any(|a| a == r)) {
        out.push(check(
            "audience",
            Status::Info,
            format!("audience {realm}: the test relying party (--realm); for Entra it must be {ENTRA_AUDIENCE}"),
            None,
        ));
    } else {
        out.push(check(
            "audience",
            Status::Fail,
            format!("audience is [{}], not {ENTRA_AUDIENCE}", c.audiences.join(", ")),
            Some("set the relying party identifier / audience to urn:federation:MicrosoftOnline"),
        ));
    }
    // Issuer.
    let issuer = c.issuer.clone().unwrap_or_default();
    const ISSUER_FIX: &str = "make the IdP's issuer / entity ID equal the domain's issuerUri exactly (case, scheme and trailing slash matter)";
    match (ctx.expected_issuers.as_slice(), ctx.expected_issuers.iter().find(|e| e.value == issuer)) {
        ([], _) => out.push(check("issuer", Status::Info, format!("{issuer} (no expected issuer given: use --expect-issuer, --metadata or --federation-config to check it)"), None)),
        (_, Some(m)) => out.push(check("issuer", Status::Pass, format!("{issuer} (matches {})", m.source), None)),
        ([exp], None) => out.push(check(
            "issuer",
            Status::Fail,
            format!("issuer is \"{issuer}\", expected \"{}\" ({}); Entra rejects it with AADSTS50107", exp.value, exp.source),
            Some(ISSUER_FIX),
        )),
        (all, None) => out.push(check(
            "issuer",
            Status::Fail,
            format!(
                "issuer is \"{issuer}\", which matches none of the {} configured issuers: {}; Entra rejects it with AADSTS50107",
                all.len(),
                all.iter().map(|e| format!("\"{}\" ({})", e.value, e.source)).collect::<Vec<_>>().join(", ")
            ),
            Some(ISSUER_FIX),
        )),
    }
    // NameID.
    match (&c.name_id, token.protocol) {
        (None, _) => out.push(check(
            "subject.nameid",
            Status::Fail,
            "the assertion has no NameID / NameIdentifier",
            Some("issue the user's ImmutableID (onPremisesImmutableId) as the NameID"),
        )),
        (Some(n), _) if n.value.is_empty() => out.push(check(
            "subject.nameid",
            Status::Fail,
            "the NameID is empty",
            Some("issue the user's ImmutableID as the NameID"),
        )),
        (Some(n), Protocol::Saml2) if n.format.as_deref() != Some(PERSISTENT) => out.push(check(
            "subject.nameid",
            Status::Fail,
            format!(
                "NameID format is {}, Entra requires {PERSISTENT}",
                n.format.as_deref().unwrap_or("(none)")
            ),
            Some("issue the ImmutableID with Format urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"),
        )),
        (Some(n), Protocol::Saml2) => out.push(nameid_form_check(n)),
        (Some(n), _) => out.push(check(
            "subject.nameid",
            Status::Pass,
            format!("{} ({})", n.value, n.format.as_deref().unwrap_or("no format")),
            None,
        )),
    }
    // UPN and ImmutableID.
    match token.protocol {
        Protocol::Saml2 => {
            let v = c.attribute("IDPEmail", None);
            match v.first() {
                Some(u) if !u.is_empty() => out.push(upn_check("IDPEmail", u, ctx)),
                _ => out.push(check(
                    "subject.upn",
                    Status::Fail,
                    "no IDPEmail attribute (the user's UPN)",
                    Some("add an attribute named IDPEmail carrying the user's userPrincipalName"),
                )),
            }
        }
        Protocol::WsfedSaml11 => {
            let v = c.attribute("UPN", Some(UPN_NS));
            match v.first() {
                Some(u) if !u.is_empty() => out.push(upn_check("UPN", u, ctx)),
                _ => out.push(check(
                    "subject.upn",
                    Status::Fail,
                    "no UPN attribute (namespace http://schemas.xmlsoap.org/claims)",
                    Some("issue the claim http://schemas.xmlsoap.org/claims/UPN with the user's userPrincipalName"),
                )),
            }
            let im = c.attribute("ImmutableID", Some(IMMUTABLEID_NS));
            let nameid = c.name_id.as_ref().map(|n| n.value.as_str());
            match im.first() {
                Some(i) if Some(*i) == nameid => out.push(check(
                    "subject.immutableid",
                    Status::Pass,
                    format!("ImmutableID = {i} (equals NameIdentifier)"),
                    None,
                )),
                Some(i) => out.push(check(
                    "subject.immutableid",
                    Status::Warn,
                    format!(
                        "ImmutableID {i} differs from the NameIdentifier {}",
                        nameid.unwrap_or("(none)")
                    ),
                    Some("issue the same ImmutableID value as NameIdentifier and as the ImmutableID attribute"),
                )),
                None => out.push(check(
                    "subject.immutableid",
                    Status::Fail,
                    "no ImmutableID attribute (namespace http://schemas.microsoft.com/LiveID/Federation/2008/05)",
                    Some("issue the claim http://schemas.microsoft.com/LiveID/Federation/2008/05/ImmutableID"),
                )),
            }
        }
    }
    // Subject confirmation.
    match token.protocol {
        Protocol::Saml2 => {
            let bearer: Vec<_> = c.subject_confirmations.iter().filter(|s| s.method == BEARER2).collect();
            if bearer.is_empty() {
                out.push(check("subject.confirmation", Status::Fail, "no bearer SubjectConfirmation", Some("add SubjectConfirmation Method urn:oasis:names:tc:SAML:2.0:cm:bearer with Recipient https://login.microsoftonline.com/login.srf")));
            } else if let Some(b) = bearer.iter().find(|b| {
                b.recipient.as_deref() == Some(ENTRA_ACS)
                    || stand_in_acs(ctx).is_some_and(|a| b.recipient.as_deref() == Some(a))
            }) {
                let recipient = b.recipient.as_deref().unwrap_or_default();
                let late = b
                    .not_on_or_after
                    .as_deref()
                    .and_then(parse_time)
                    .is_some_and(|t| ctx.at >= t + ctx.skew);
                if late {
                    out.push(check(
                        "subject.confirmation",
                        Status::Fail,
                        format!(
                            "bearer confirmation expired at {}",
                            b.not_on_or_after.as_deref().unwrap_or("")
                        ),
                        Some("post the token promptly; check the IdP clock"),
                    ));
                } else if recipient == ENTRA_ACS {
                    out.push(check(
                        "subject.confirmation",
                        Status::Pass,
                        format!("bearer, Recipient {ENTRA_ACS}"),
                        None,
                    ));
                } else {
                    out.push(check(
                        "subject.confirmation",
                        Status::Info,
                        format!("bearer, Recipient {recipient}: this stand-in's ACS; for Entra it must be {ENTRA_ACS}"),
                        None,
                    ));
                }
            } else {
                out.push(check(
                    "subject.confirmation",
                    Status::Fail,
                    format!(
                        "bearer Recipient is {}, not {ENTRA_ACS}",
                        bearer[0].recipient.as_deref().unwrap_or("(none)")
                    ),
                    Some("set the ACS URL / Recipient to https://login.microsoftonline.com/login.srf"),
                ));
            }
        }
        Protocol::WsfedSaml11 => {
            if c.subject_confirmations.iter().any(|s| s.method == BEARER1) {
                out.push(check("subject.confirmation", Status::Pass, "bearer", None));
            } else {
                out.push(check(
                    "subject.confirmation",
                    Status::Warn,
                    "no bearer ConfirmationMethod",
                    Some("AD FS issues urn:oasis:names:tc:SAML:1.0:cm:bearer; check the IdP's WS-Fed profile"),
                ));
            }
        }
    }
    // Time.
    let nb = c.not_before.as_deref().map(|s| (s, parse_time(s)));
    let na = c.not_on_or_after.as_deref().map(|s| (s, parse_time(s)));
    let mut problems = Vec::new();
    for (label, v) in [("NotBefore", nb), ("NotOnOrAfter", na)] {
        if let Some((raw, None)) = v {
            problems.push(format!("{label} \"{raw}\" is not a valid xs:dateTime"));
        }
    }
    if let Some((raw, Some(t))) = nb {
        if ctx.at + ctx.skew < t {
            problems.push(format!(
                "not yet valid: NotBefore {raw} is after {} (+{} s skew)",
                rfc(ctx.at),
                ctx.skew.num_seconds()
            ));
        }
    }
    if let Some((raw, Some(t))) = na {
        if ctx.at >= t + ctx.skew {
            problems.push(format!(
                "expired: NotOnOrAfter {raw} is before {} (-{} s skew)",
                rfc(ctx.at),
                ctx.skew.num_seconds()
            ));
        }
    }
    if na.is_none() {
        out.push(check(
            "conditions.time",
            Status::Warn,
            "the assertion has no Conditions/@NotOnOrAfter",
            Some("issue Conditions with NotBefore and NotOnOrAfter"),
        ));
    } else if problems.is_empty() {
        out.push(check(
            "conditions.time",
            Status::Pass,
            format!(
                "valid at {} ({} to {})",
                rfc(ctx.at),
                c.not_before.as_deref().unwrap_or("-"),
                c.not_on_or_after.as_deref().unwrap_or("-")
            ),
            None,
        ));
    } else {
        out.push(check(
            "conditions.time",
            Status::Fail,
            problems.join("; "),
            Some("use --at with the time the token was issued, or check the IdP's clock"),
        ));
    }
}

/// The longest NameID Microsoft's SAML 2.0 IdP guide allows ("up to 64 alpha numeric characters").
const NAMEID_MAX: usize = 64;

/// Characters Microsoft's SAML 2.0 IdP guide wants encoded in the NameID ("Any non-html safe characters must be
/// encoded, for example a '+' character is shown as '.2B'"): '+' (its example), characters with a meaning in HTML
/// or URLs, spaces and controls, and anything outside ASCII. Base64's '/' and '=' are not flagged: the guide names
/// no rule for them and ImmutableIDs carry them.
fn needs_encoding(c: char) -> bool {
    matches!(c, '+' | '<' | '>' | '&' | '"' | '\'' | '%' | '#' | '?')
        || c.is_whitespace()
        || c.is_control()
        || !c.is_ascii()
}

/// SAML 2.0 NameID: persistent already checked; its length and characters against Microsoft's guide.
fn nameid_form_check(n: &crate::saml::NameId) -> Check {
    let v = &n.value;
    let mut problems = Vec::new();
    let len = v.chars().count();
    if len > NAMEID_MAX {
        problems.push(format!(
            "it is {len} characters long; Microsoft's SAML 2.0 guide allows up to {NAMEID_MAX} (the ImmutableID)"
        ));
    }
    let mut bad: Vec<char> = v.chars().filter(|c| needs_encoding(*c)).collect();
    bad.dedup();
    if !bad.is_empty() {
        let shown: Vec<String> = bad.iter().take(8).map(|c| format!("{c:?}")).collect();
        problems.push(format!(
            "it contains {} raw; Microsoft's SAML 2.0 guide wants characters that are not HTML-safe encoded ('+' as '.2B'), and tokens with a raw '+' are seen accepted, so this is a warning",
            shown.join(", ")
        ));
    }
    if problems.is_empty() {
        check(
            "subject.nameid",
            Status::Pass,
            format!("{v} ({})", n.format.as_deref().unwrap_or("no format")),
            None,
        )
    } else {
        check(
            "subject.nameid",
            Status::Warn,
            format!("NameID {v}: {}", problems.join("; ")),
            Some("issue the user's ImmutableID as the NameID, at most 64 characters, with characters that are not HTML-safe encoded as Microsoft's guide shows ('+' as '.2B')"),
        )
    }
}

/// The UPN is in e-mail form: one '@', a local part, and a dotted domain, no spaces.
fn email_form(u: &str) -> Option<&str> {
    let (local, domain) = u.split_once('@')?;
    let ok = !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && domain.split('.').all(|l| !l.is_empty())
        && !u.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(domain)
}

/// `subject.upn` once a value is present: e-mail form, and in the federated domain (or one of its subdomains,
/// which use the federated root domain's settings).
fn upn_check(name: &str, u: &str, ctx: &Context) -> Check {
    let Some(domain) = email_form(u) else {
        return check(
            "subject.upn",
            Status::Warn,
            format!("{name} = {u} is not in e-mail form (user@domain), the form of an Entra userPrincipalName"),
            Some("issue the user's userPrincipalName as it is in Entra ID (user@domain)"),
        );
    };
    match &ctx.federated_domain {
        None => check("subject.upn", Status::Pass, format!("{name} = {u}"), None),
        Some(f) => {
            let d = domain.to_ascii_lowercase();
            let want = f.name.to_ascii_lowercase();
            if d == want {
                check(
                    "subject.upn",
                    Status::Pass,
                    format!("{name} = {u} (in {}, {})", f.name, f.source),
                    None,
                )
            } else if d.ends_with(&format!(".{want}")) {
                check(
                    "subject.upn",
                    Status::Pass,
                    format!(
                        "{name} = {u} (a subdomain of {}, {}; a subdomain uses its root domain's federation settings)",
                        f.name, f.source
                    ),
                    None,
                )
            } else {
                check(
                    "subject.upn",
                    Status::Warn,
                    format!(
                        "{name} = {u} is not in {} ({}): Entra signs the user in with the federation settings of the UPN's domain, {domain}",
                        f.name, f.source
                    ),
                    Some("check that the IdP issues the user's Entra userPrincipalName, and that the token was judged against the settings of the user's domain (--federation-config, --tenant-domain)"),
                )
            }
        }
    }
}

/// "5 min", "3 h", ... for an age.
fn human_age(d: Duration) -> String {
    let s = d.num_seconds().abs();
    match s {
        0..120 => format!("{s} s"),
        120..7200 => format!("{} min", s / 60),
        7200..172_800 => format!("{} h", s / 3600),
        _ => format!("{} days", s / 86_400),
    }
}

/// The sign-in frequency claim: `mfa.instant` (info). WS-Fed: the `authenticationinstant` claim (AD FS carries it
/// as `AuthenticationStatement/@AuthenticationInstant`); SAML 2.0: `AuthnStatement/@AuthnInstant`.
fn instant_check(protocol: Protocol, c: &Claims, ctx: &Context) -> Check {
    const AUTHN_INSTANT_URI: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationinstant";
    const MFA_INSTANT_URI: &str =
        "http://schemas.microsoft.com/ws/2017/04/identity/claims/multifactorauthenticationinstant";
    let full_name = |a: &crate::saml::AttributeClaim| match &a.namespace {
        Some(ns) if protocol == Protocol::WsfedSaml11 => format!("{ns}/{}", a.name),
        _ => a.name.clone(),
    };
    let attr = |uri: &str| -> Option<String> {
        c.attributes
            .iter()
            .find(|a| full_name(a) == uri)
            .and_then(|a| a.values.first().cloned())
    };
    let (value, location, meaning) = match protocol {
        Protocol::Saml2 => (
            c.authn_instant.clone(),
            "AuthnStatement/@AuthnInstant".to_string(),
            "Entra's sign-in frequency counts from it (the instant of MFA or of the first factor)",
        ),
        Protocol::WsfedSaml11 => match (c.authn_instant.clone(), attr(AUTHN_INSTANT_URI)) {
            (Some(v), _) => (
                Some(v),
                "AuthenticationStatement/@AuthenticationInstant, the authenticationinstant claim".to_string(),
                "Entra's sign-in frequency counts from it (for WS-Fed, the instant of the first factor)",
            ),
            (None, Some(v)) => (
                Some(v),
                format!("attribute {AUTHN_INSTANT_URI}"),
                "Entra's sign-in frequency counts from it (for WS-Fed, the instant of the first factor)",
            ),
            (None, None) => (None, String::new(), ""),
        },
    };
    let mut note = String::new();
    if protocol == Protocol::Saml2 && attr(MFA_INSTANT_URI).is_some() {
        note = format!("; the {MFA_INSTANT_URI} attribute is ignored by Entra for SAML 2.0");
    }
    let Some(raw) = value else {
        return check(
            "mfa.instant",
            Status::Info,
            format!("the token carries no authentication instant, so sign-in frequency policies have none to count from{note}"),
            None,
        );
    };
    match parse_time(&raw) {
        None => check(
            "mfa.instant",
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
                "mfa.instant",
                Status::Info,
                format!("authenticated at {raw} ({location}), {when}: {meaning}{note}"),
                None,
            )
        }
    }
}

fn envelope_checks(token: &Token, ctx: &Context, out: &mut Vec<Check>) {
    let f = &token.envelope_fields;
    let signed_note = if f.signed { "" } else { " (from the unsigned envelope)" };
    if token.protocol == Protocol::Saml2 && token.envelope == crate::saml::Envelope::Saml2Response {
        match f.destination.as_deref() {
            Some(ENTRA_ACS) => out.push(check(
                "response.destination",
                Status::Pass,
                format!("{ENTRA_ACS}{signed_note}"),
                None,
            )),
            Some(d) if stand_in_acs(ctx) == Some(d) => out.push(check(
                "response.destination",
                Status::Info,
                format!("Destination {d}: this stand-in's ACS; for Entra it must be {ENTRA_ACS}"),
                None,
            )),
            Some(d) => out.push(check(
                "response.destination",
                Status::Fail,
                format!("Destination is {d}, not {ENTRA_ACS}{signed_note}"),
                Some("set the ACS URL to https://login.microsoftonline.com/login.srf"),
            )),
            None => out.push(check(
                "response.destination",
                Status::Warn,
                format!("the Response has no Destination{signed_note}"),
                Some("send Destination=\"https://login.microsoftonline.com/login.srf\""),
            )),
        }
        match f.status.as_deref() {
            Some(s) if s == SUCCESS => out.push(check(
                "response.status",
                Status::Pass,
                format!("Success{signed_note}"),
                None,
            )),
            Some(s) => out.push(check(
                "response.status",
                Status::Fail,
                format!(
                    "status {s}{}{signed_note}",
                    f.status_message
                        .as_deref()
                        .map(|m| format!(" ({m})"))
                        .unwrap_or_default()
                ),
                Some("the IdP reported a failed sign-in; look at the IdP's logs for this request"),
            )),
            None => out.push(check(
                "response.status",
                Status::Fail,
                "the Response has no Status",
                Some("the IdP must send samlp:Status with StatusCode Success"),
            )),
        }
    }
    if let Some(a) = &f.applies_to {
        if a != ENTRA_AUDIENCE {
            out.push(check(
                "wsfed.applies-to",
                Status::Warn,
                format!("AppliesTo is {a}, not {ENTRA_AUDIENCE} (unsigned envelope)"),
                Some("check the relying party trust identifier"),
            ));
        }
    }
    // Assertions and content outside the signed bytes.
    if token.assertion_count > 1 {
        let unsigned: Vec<String> = token
            .assertions
            .iter()
            .filter(|a| !a.read)
            .map(|a| a.id.clone().unwrap_or_else(|| "(no ID)".into()))
            .collect();
        out.push(check(
            "content.unsigned",
            Status::Fail,
            if token.claims.is_some() {
                format!(
                    "the document holds {} assertions; only the signed one was read and {} ignored: {} (a signature-wrapping pattern, or an IdP bug)",
                    token.assertion_count,
                    unsigned.len(),
                    unsigned.join(", ")
                )
            } else {
                format!(
                    "the document holds {} assertions and none is covered by a verified signature; none was read: {} (a signature-wrapping pattern, or an IdP bug)",
                    token.assertion_count,
                    unsigned.join(", ")
                )
            },
            Some("an IdP must post exactly one assertion; if this was not edited by hand, report it to the IdP vendor"),
        ));
    } else if token.claims.is_some() {
        let note = match (token.signed_by, token.envelope) {
            (Some(SignedBy::AssertionSignature), crate::saml::Envelope::Saml2Response | crate::saml::Envelope::Rstr | crate::saml::Envelope::Rstrc) if !f.signed => {
                "claims were read only from the signed assertion's canonical bytes; the unsigned envelope around it was not read for claims"
            }
            _ => "claims were read only from the signed bytes",
        };
        out.push(check("content.unsigned", Status::Info, note, None));
    }
}

/// The worst status among checks.
pub fn worst(checks: &[Check]) -> Status {
    checks.iter().map(|c| c.status).max().unwrap_or(Status::Pass)
}
