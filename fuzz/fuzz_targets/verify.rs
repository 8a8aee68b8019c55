//! Full verification with fedcheck's engine against the fixtures' signing certificate. Never panics, and a
//! signature that verifies always covers canonical bytes some seed fixture's valid signature covered: no mutation
//! produces different signed content that verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fedcheck_fuzz::check_verify(data);
});
