//! The certificate the claims rest on: is it a trust anchor (`certificate.trusted`), is it valid at the evaluation
//! time (`certificate.validity`), and is its key large enough (`certificate.key-size`).
//!
//! The expiry window ([`EXPIRY_WARN_DAYS`], [`expiry`]) and the rollover advice for the domain's protocol
//! ([`rollover_fix`]) live here once; Entra's own certificate checks (`entra.signing-certificate`) use them too.

use super::time::rfc;
use super::{check, ids, Check, Context, Status};
use crate::saml::{Protocol, SignatureReport};
use crate::trust::{CertInfo, TrustAnchor};
use chrono::{DateTime, Duration, Utc};

/// Days before expiry from which Entra looks for a new signing certificate in a WS-Fed IdP's metadata (the
/// certificate-renewal page; the Graph page says 30): certificate checks warn from here on.
pub const EXPIRY_WARN_DAYS: i64 = 35;

/// The fix for a certificate close to expiry, for the domain's protocol.
pub fn rollover_fix(protocol: Option<Protocol>) -> String {
    let wsfed = "for a WS-Fed domain with automatic certificate update, Entra fetches the new certificate from the IdP's federation metadata from 35 days before expiry (see signingCertificateUpdateStatus): publish the next certificate in the metadata now";
    let saml = "for a SAML-P domain Entra does not read the IdP's metadata: set the new certificate by hand (Update-MgDomainFederationConfiguration -NextSigningCertificate, then -SigningCertificate) before the old one expires";
    match protocol {
        Some(Protocol::WsfedSaml11) => format!("{wsfed}; without automatic update, set it by hand (Update-MgDomainFederationConfiguration -NextSigningCertificate)"),
        Some(Protocol::Saml2) => saml.to_string(),
        None => format!("{wsfed}; {saml}"),
    }
}

/// Where a certificate stands against its expiry at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// `notAfter` has passed.
    Expired,
    /// It expires within [`EXPIRY_WARN_DAYS`].
    Soon,
    /// Further away.
    Later,
}

/// A certificate's `notAfter`, when it can be read.
pub fn not_after(info: &CertInfo) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(&info.not_after)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Where `not_after` stands at `at`: expired, within the warning window, or later.
pub fn expiry(not_after: DateTime<Utc>, at: DateTime<Utc>) -> Expiry {
    if not_after < at {
        Expiry::Expired
    } else if not_after - at < Duration::days(EXPIRY_WARN_DAYS) {
        Expiry::Soon
    } else {
        Expiry::Later
    }
}

/// `certificate.trusted`, `certificate.validity`, `certificate.key-size`, from the signature the claims rest on.
pub(super) fn certificate_checks(primary: &SignatureReport, ctx: &Context, out: &mut Vec<Check>) {
    if ctx.anchors.is_empty() {
        out.push(check(
            ids::CERTIFICATE_TRUSTED,
            Status::Fail,
            "no trusted certificate was given, so the claims below are UNVERIFIED",
            Some("pass the IdP's token-signing certificate (--idp-cert), its metadata (--metadata), or Entra's federation settings (--federation-config)"),
        ));
        return;
    }
    if let Some(a) = primary
        .anchor
        .and_then(|i| ctx.anchors.get(i))
        .filter(|_| primary.valid)
    {
        out.push(check(
            ids::CERTIFICATE_TRUSTED,
            Status::Pass,
            format!(
                "signed by {} (SHA-1 {}, from {})",
                a.info.subject, a.info.sha1_thumbprint, a.origin
            ),
            None,
        ));
        out.push(validity_check(a, ctx));
        out.push(key_size_check(a));
        return;
    }
    out.push(untrusted_check(primary, ctx));
}

/// `certificate.trusted` when no trust anchor verified the signature the claims rest on.
fn untrusted_check(primary: &SignatureReport, ctx: &Context) -> Check {
    // KeyInfo naming a trust anchor while the signature failed: the failure is the signature's, not trust's.
    let named_anchor = primary.check.declared.keyinfo_certificates.iter().find_map(|k| {
        ctx.anchors
            .iter()
            .find(|a| a.info.sha256_thumbprint == k.sha256_thumbprint)
    });
    if let Some(a) = named_anchor {
        return check(
            ids::CERTIFICATE_TRUSTED,
            Status::Info,
            format!(
                "KeyInfo names the trusted certificate {} (SHA-1 {}, from {}), but the signature itself did not verify (see signature.valid)",
                a.info.subject, a.info.sha1_thumbprint, a.origin
            ),
            None,
        );
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
    check(
        ids::CERTIFICATE_TRUSTED,
        Status::Fail,
        msg,
        Some("compare the IdP's current token-signing certificate with the one Entra holds (Get-MgDomainFederationConfiguration signingCertificate) and the one given to fedcheck"),
    )
}

/// `certificate.key-size`: one rule whatever engine verified. Microsoft states no minimum RSA key size for
/// federation signing keys (its error list has only AADSTS50032 WeakRsaKey), so 1024-2047 bits is a warning; below
/// 1024 bits the key can be factored and the signature proves nothing about who made it.
fn key_size_check(a: &TrustAnchor) -> Check {
    let (kind, bits) = (a.info.key_type.as_str(), a.info.key_bits);
    match kind {
        "RSA" if bits < 1024 => check(
            ids::CERTIFICATE_KEY_SIZE,
            Status::Fail,
            format!("RSA-{bits}: a key this small can be factored, so the signature does not show the IdP made it; Entra names an error for weak RSA keys (AADSTS50032 WeakRsaKey)"),
            Some("issue a token-signing certificate with an RSA key of 2048 bits or more and roll it over in Entra"),
        ),
        "RSA" if bits < 2048 => check(
            ids::CERTIFICATE_KEY_SIZE,
            Status::Warn,
            format!("RSA-{bits}: under 2048 bits; Microsoft documents no minimum key size for federation signing keys (its error list has only AADSTS50032 WeakRsaKey), so Entra's acceptance is undocumented"),
            Some("issue a token-signing certificate with an RSA key of 2048 bits or more and roll it over in Entra (NIST SP 800-131A disallows RSA under 2048 bits for signing)"),
        ),
        _ => check(ids::CERTIFICATE_KEY_SIZE, Status::Pass, format!("{kind}-{bits}"), None),
    }
}

/// `certificate.validity`: the trusted signing certificate at the evaluation time.
fn validity_check(a: &TrustAnchor, ctx: &Context) -> Check {
    let nb = DateTime::parse_from_rfc3339(&a.info.not_before).map(|d| d.with_timezone(&Utc));
    let (Ok(nb), Some(na)) = (nb, not_after(&a.info)) else {
        return check(
            ids::CERTIFICATE_VALIDITY,
            Status::Warn,
            "the certificate's validity dates could not be read",
            None,
        );
    };
    if ctx.at < nb {
        return check(
            ids::CERTIFICATE_VALIDITY,
            Status::Fail,
            format!(
                "the signing certificate is not valid until {} (evaluated at {})",
                a.info.not_before,
                rfc(ctx.at)
            ),
            Some("check the IdP clock and the certificate's validity period"),
        );
    }
    match expiry(na, ctx.at) {
        Expiry::Expired => check(
            ids::CERTIFICATE_VALIDITY,
            Status::Fail,
            format!(
                "the signing certificate expired on {} (evaluated at {}); Entra rejects it (AADSTS50008)",
                a.info.not_after,
                rfc(ctx.at)
            ),
            Some(&format!(
                "roll over the token-signing certificate and update the domain's signingCertificate; {}",
                rollover_fix(None)
            )),
        ),
        Expiry::Soon => check(
            ids::CERTIFICATE_VALIDITY,
            Status::Warn,
            format!(
                "the signing certificate expires on {}, within {EXPIRY_WARN_DAYS} days",
                a.info.not_after,
            ),
            Some(&rollover_fix(None)),
        ),
        Expiry::Later => check(
            ids::CERTIFICATE_VALIDITY,
            Status::Pass,
            format!("valid {} to {}", a.info.not_before, a.info.not_after),
            None,
        ),
    }
}
