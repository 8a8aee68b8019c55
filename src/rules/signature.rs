//! The document's structure and its XML signatures: what Entra would read, whether every signature verifies, which
//! engines agree, and whether the algorithms and the signature's shape are what Entra documents.
//!
//! Cryptographic truth (`signature.valid`, the same verdict as the JSON field `tokens[].signature.valid`) is kept
//! apart from Entra's acceptance rules (`signature.algorithm`, `signature.reference`,
//! `signature.assertion-signed`).

use super::{certificate, check, ids, Check, Context, Status};
use crate::saml::{SignatureReport, SignatureVerdict, SignedBy, Token};

/// The algorithms Microsoft documents for domain federation: "This signature can be based on SHA1 or SHA256"
/// (Use a SAML 2.0 IdP for single sign-on), enveloped, with exclusive canonicalization.
const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const DIGEST_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
const DIGEST_SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";

/// The structure and signature checks, then the certificate checks of the signature the claims rest on.
pub(super) fn signature_checks(token: &Token, ctx: &Context, out: &mut Vec<Check>) {
    out.extend(protocol_mix_check(token));
    out.extend(encrypted_check(token));
    out.push(present_check(token));
    let verdict = token.signature_verdict();
    let Some(primary) = verdict.primary.map(|i| &token.signatures[i]) else {
        return;
    };
    out.push(signature_valid_check(token, &verdict));
    out.extend(engines_check(token));
    out.extend(algorithm_check(primary));
    out.extend(reference_check(token));
    out.extend(assertion_signed_check(token));
    certificate::certificate_checks(primary, ctx, out);
}

/// `token.protocol`: assertions of the other SAML version than the envelope's.
fn protocol_mix_check(token: &Token) -> Option<Check> {
    let mix = token.protocol_mix.as_ref()?;
    Some(check(
        ids::TOKEN_PROTOCOL,
        Status::Fail,
        format!("{mix}: Entra reads a SAML 2.0 assertion from a SAML-P Response and a SAML 1.1 assertion from a WS-Federation response, never the other version, so those assertions are ignored"),
        Some("configure the IdP to issue the token type of the domain's protocol (Get-MgDomainFederationConfiguration preferredAuthenticationProtocol: saml -> SAML 2.0, wsFed -> SAML 1.1)"),
    ))
}

/// `assertion.encrypted`: encrypted assertions fedcheck cannot read.
fn encrypted_check(token: &Token) -> Option<Check> {
    (token.encrypted_assertions > 0).then(|| check(
        ids::ASSERTION_ENCRYPTED,
        Status::Fail,
        format!(
            "the Response carries {} EncryptedAssertion(s): fedcheck cannot decrypt them (that needs the service provider's private key) so their signature and claims cannot be checked, and none of their claims count; Microsoft documents no assertion encryption for federated domains",
            token.encrypted_assertions
        ),
        Some("turn off assertion encryption for the Entra relying party (Entra's federation settings hold no token-decryption certificate), then capture a new token"),
    ))
}

/// `signature.present`: the signatures found, by signed element and ID.
fn present_check(token: &Token) -> Check {
    if token.signatures.is_empty() {
        return check(
            ids::SIGNATURE_PRESENT,
            Status::Fail,
            "the token carries no XML signature",
            Some("configure the IdP to sign the assertion (Entra requires a signed assertion)"),
        );
    }
    let listed = token
        .signatures
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s.signed_element,
                s.reference_id.as_deref().unwrap_or("(no ID)")
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    check(
        ids::SIGNATURE_PRESENT,
        Status::Pass,
        format!("{} signature(s): {listed}", token.signatures.len()),
        None,
    )
}

/// `signature.valid`: every signature present verified, and the claims rest on one of them. The same verdict is
/// the JSON field `tokens[].signature.valid` ([`Token::signature_verdict`]).
fn signature_valid_check(token: &Token, verdict: &SignatureVerdict) -> Check {
    let Some(primary) = verdict.primary.map(|i| &token.signatures[i]) else {
        return check(ids::SIGNATURE_VALID, Status::Fail, "no signature", None);
    };
    if verdict.valid {
        return check(
            ids::SIGNATURE_VALID,
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
            ids::SIGNATURE_VALID,
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
            ids::SIGNATURE_VALID,
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
        ids::SIGNATURE_VALID,
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
            ids::SIGNATURE_ENGINES_AGREE,
            Status::Fail,
            format!("the verification engines disagree: {d}"),
            Some("do not rely on this token; report it to the fedcheck maintainers with the input (the verdict is an error, never a pass)"),
        ));
    }
    if let Some(s) = token.signatures.iter().find_map(|s| s.stricter.clone()) {
        return Some(check(
            ids::SIGNATURE_ENGINES_AGREE,
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
            ids::SIGNATURE_ENGINES_AGREE,
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
            ids::SIGNATURE_ENGINES_AGREE,
            Status::Pass,
            "fedcheck and libxmlsec1 agree",
            None,
        )
    })
}

/// `signature.algorithm`: the signature's algorithms against what Entra documents. Anything fedcheck verified
/// but Microsoft does not document is a warning that says so, never a pass and never a failure.
fn algorithm_check(primary: &SignatureReport) -> Option<Check> {
    let d = &primary.check.declared;
    let sm = d.signature_method.clone().unwrap_or_default();
    let dm = d.digest_method.clone().unwrap_or_default();
    if sm.is_empty() {
        return None;
    }
    if sm.starts_with("https://") || dm.starts_with("https://") {
        return Some(check(
            ids::SIGNATURE_ALGORITHM,
            Status::Fail,
            format!("algorithm URIs use https:// ({sm}, {dm}); the identifiers are http://www.w3.org/..."),
            Some("copy the algorithm URIs from the XML Signature specification, not from documentation pages that print them with https://"),
        ));
    }
    let notes = undocumented_algorithms(primary, &sm, &dm);
    if !notes.is_empty() {
        return Some(check(
            ids::SIGNATURE_ALGORITHM,
            Status::Warn,
            notes.join("; "),
            Some("sign with RSA-SHA256, digest SHA-256 and exclusive c14n (http://www.w3.org/2001/04/xmldsig-more#rsa-sha256, http://www.w3.org/2001/04/xmlenc#sha256, http://www.w3.org/2001/10/xml-exc-c14n#), the algorithms Entra documents"),
        ));
    }
    if sm == RSA_SHA1 || dm == DIGEST_SHA1 {
        return Some(check(
            ids::SIGNATURE_ALGORITHM,
            Status::Warn,
            format!("SHA-1 is used ({sm}, digest {dm}); Entra still accepts it but it is deprecated"),
            Some("switch the relying party trust to SHA-256 (AD FS: Set-AdfsRelyingPartyTrust -SignatureAlgorithm http://www.w3.org/2001/04/xmldsig-more#rsa-sha256)"),
        ));
    }
    Some(check(
        ids::SIGNATURE_ALGORITHM,
        Status::Pass,
        format!("{sm}, digest {dm}"),
        None,
    ))
}

/// The signature method `sm`, digest method `dm` and canonicalizations that verified but that Microsoft does not
/// document for federation (or that are not registered identifiers at all), one note each.
fn undocumented_algorithms(primary: &SignatureReport, sm: &str, dm: &str) -> Vec<String> {
    let d = &primary.check.declared;
    let mut notes = Vec::new();
    if !crate::dsig::is_registered(sm) {
        notes.push(format!("signature method {sm} is not a registered XML Signature identifier (fedcheck reads it as the algorithm it names; other verifiers may refuse it)"));
    } else if !matches!(sm, RSA_SHA1 | RSA_SHA256) {
        notes.push(format!("signature method {sm} verifies, but Microsoft documents only RSA-SHA1 and RSA-SHA256 for federation signing (\"This signature can be based on SHA1 or SHA256\"), so whether Entra accepts it is undocumented"));
    }
    if !dm.is_empty() && !crate::dsig::is_registered(dm) {
        notes.push(format!("digest method {dm} is not a registered XML Signature identifier (fedcheck reads it as the hash it names; other verifiers may refuse it)"));
    } else if !matches!(dm, DIGEST_SHA1 | DIGEST_SHA256 | "") {
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
    notes
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
            ids::SIGNATURE_REFERENCE,
            Status::Warn,
            format!("{}; the signature verifies and covers the signed element, but strict SAML consumers refuse this shape and Entra's handling of it is undocumented", notes.join("; ")),
            Some("configure the IdP to sign with a Reference to the element's ID and to place ds:Signature where the SAML schema puts it (right after Issuer in SAML 2.0)"),
        )
    })
}

/// `signature.assertion-signed`: was the assertion itself signed (Entra requires it)?
fn assertion_signed_check(token: &Token) -> Option<Check> {
    match token.signed_by? {
        SignedBy::AssertionSignature => Some(check(
            ids::SIGNATURE_ASSERTION_SIGNED,
            Status::Pass,
            "the assertion carries its own valid signature",
            None,
        )),
        SignedBy::ResponseSignature => Some(check(
            ids::SIGNATURE_ASSERTION_SIGNED,
            Status::Fail,
            "only the Response is signed; Entra requires the Assertion itself to be signed",
            Some("configure the IdP to sign the assertion (Okta/Ping: 'Assertion Signature'; Keycloak: 'Sign assertions' ON)"),
        )),
    }
}

/// Why a signature did not verify, and what to do about it.
fn failure(sig: &SignatureReport) -> (String, &'static str) {
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
        Err(E::NoTrustAnchors) => "give the IdP's token-signing certificate with --idp-cert, its metadata with --metadata, or Entra's federation settings with --federation-config",
        Err(E::AlgorithmUriTypo { .. }) => "use the exact algorithm identifiers http://www.w3.org/2001/04/xmldsig-more#rsa-sha256 and http://www.w3.org/2001/04/xmlenc#sha256",
        _ => "sign the assertion with an enveloped, exclusive-c14n RSA-SHA256 signature over its ID, with the trusted signing key",
    };
    (reason, fix)
}

/// Each engine's verdict on a signature, in words.
fn engines_line(s: &SignatureReport) -> String {
    s.engines
        .iter()
        .map(|e| format!("{}: {}", e.name, if e.valid { "valid" } else { "invalid" }))
        .collect::<Vec<_>>()
        .join(", ")
}
