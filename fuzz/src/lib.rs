//! Support for fedcheck's cargo-fuzz targets: the properties live in `props.rs`, which `tests/mutation.rs` also
//! includes so `cargo test` checks the very same properties on a bounded number of mutants.

mod props;

pub use props::{check_bundle, check_c14n, check_decoders, check_input, Oracle, BUNDLE_LIMITS, DECODER_MODES, FORMATS};

use std::path::Path;
use std::sync::OnceLock;

/// The oracle for the `verify` target, built once per process from the repository's `testdata/`.
pub fn oracle() -> &'static Oracle {
    static ORACLE: OnceLock<Oracle> = OnceLock::new();
    ORACLE.get_or_init(|| Oracle::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata")))
}

/// Full verification of any input and the signed-content property.
pub fn check_verify(data: &[u8]) {
    oracle().check_verify(data);
}
