//! The decoders added after `input_decode`: HTML auto-post pages, `lines` (and its line reader), base64 of raw
//! DEFLATE, and UTF-16 text and documents, each driven directly (the first byte picks which; see
//! `fedcheck_fuzz::check_decoders`), with a property each beyond "never panics".
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fedcheck_fuzz::check_decoders(data);
});
