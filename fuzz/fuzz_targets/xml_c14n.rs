//! XML parsing and exclusive canonicalization: any bytes either fail to parse with a typed error or give a tree
//! whose every element canonicalizes without panicking to bytes that parse again; canonicalizing the root is
//! idempotent.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fedcheck_fuzz::check_c14n(data);
});
