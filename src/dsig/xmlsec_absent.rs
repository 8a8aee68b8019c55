//! fedcheck built without the `xmlsec` feature: libxmlsec1 is not linked, so there is no second opinion. The same
//! interface as `xmlsec.rs`, answering every request with "not run" (and the report says so); with `--engines xmlsec`
//! alone no signature can verify.

use crate::trust::TrustAnchor;

pub use super::Opinion;

const ABSENT: &str =
    "not run: this fedcheck was built without libxmlsec1 (the xmlsec feature), so there is no second opinion";

fn absent() -> Opinion {
    Opinion {
        valid: false,
        anchor: None,
        checked: false,
        unavailable: true,
        detail: ABSENT.into(),
    }
}

/// Whether libxmlsec1 is linked into this build.
pub fn linked() -> bool {
    false
}

/// Whether libxmlsec1 implements an algorithm: never, without it.
pub fn implements(_uri: &str) -> bool {
    false
}

/// The libxmlsec1 version: none.
pub fn version() -> &'static str {
    "absent"
}

/// No opinion.
pub fn verify(_xml: &[u8], _sig_index: usize, _anchors: &[TrustAnchor]) -> Opinion {
    absent()
}

/// No opinion on any wanted signature.
pub fn verify_document(
    _xml: &[u8],
    _signatures: Option<usize>,
    wanted: &[bool],
    _anchors: &[TrustAnchor],
) -> Vec<Option<Opinion>> {
    wanted.iter().map(|w| w.then(absent)).collect()
}

/// Signing needs libxmlsec1.
pub fn sign_template(_xml: &str, _key_der: &[u8], _cert_der: &[u8]) -> Result<String, String> {
    Err("this fedcheck was built without libxmlsec1 (the xmlsec feature), which signs AuthnRequests".into())
}
