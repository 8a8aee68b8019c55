//! Input decoding: every format `load_bytes` accepts (auto-detection, XML, base64, form, HAR, SAML-tracer, HTML
//! auto-post page, lines) returns tokens or a typed error for any bytes, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fedcheck_fuzz::check_input(data);
});
