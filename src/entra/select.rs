//! Which of the domains in a settings file a token is judged against: the one whose `issuerUri` equals the token's
//! issuer (among several, the one whose certificate signed it); with no issuer match, the one whose certificate
//! signed it; else the first.

use super::FederationConfig;
use super::FederationSettings;

/// The configuration a token is judged against, and why.
#[derive(Debug, Clone)]
pub struct Selection<'a> {
    /// The configuration.
    pub config: &'a FederationConfig,
    /// Some configuration's issuerUri equals the token's issuer.
    pub issuer_matched: bool,
    /// Why this one, in words.
    pub why: String,
}

/// Picks the configuration for a token: the one whose `issuerUri` equals the token's issuer (among several, the
/// one whose certificate signed it); with no issuer match, the one whose certificate signed it; else the first.
pub fn select<'a>(
    set: &'a FederationSettings,
    issuer: Option<&str>,
    signer_der: Option<&[u8]>,
    keyinfo_sha256: Option<&str>,
) -> Selection<'a> {
    let signed_by = |c: &FederationConfig| {
        signer_der.is_some_and(|d| c.holds_der(d)) || keyinfo_sha256.is_some_and(|s| c.holds_sha256(s))
    };
    let first = &set.configs[0];
    if let [only] = set.configs.as_slice() {
        return Selection {
            config: only,
            issuer_matched: issuer.is_some() && only.issuer_uri.as_deref() == issuer,
            why: "the only configuration in the settings".into(),
        };
    }
    let by_issuer: Vec<&FederationConfig> = set
        .configs
        .iter()
        .filter(|c| issuer.is_some() && c.issuer_uri.as_deref() == issuer)
        .collect();
    match by_issuer.as_slice() {
        [one] => Selection {
            config: one,
            issuer_matched: true,
            why: "its issuerUri equals the token's issuer".into(),
        },
        several if !several.is_empty() => {
            let pick = several.iter().find(|c| signed_by(c)).copied();
            Selection {
                config: pick.unwrap_or(several[0]),
                issuer_matched: true,
                why: format!(
                    "{} configurations have the token's issuer as issuerUri; {}",
                    several.len(),
                    if pick.is_some() {
                        "this one holds the certificate that signed the token"
                    } else {
                        "none holds the signing certificate, so the first was used"
                    }
                ),
            }
        }
        _ => match set.configs.iter().find(|c| signed_by(c)) {
            Some(c) => Selection {
                config: c,
                issuer_matched: false,
                why: "no configuration's issuerUri equals the token's issuer; this one holds the certificate that signed the token".into(),
            },
            None => Selection {
                config: first,
                issuer_matched: false,
                why: "no configuration's issuerUri equals the token's issuer and none holds its signing certificate; the first was used for the other checks".into(),
            },
        },
    }
}
