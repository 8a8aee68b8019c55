//! verify-bundle's archive reading: any bytes read as a zip, a tar and a tar.gz give a verification or a typed
//! error within small limits, never a panic, and a verification accounts for every listed file exactly once.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fedcheck_fuzz::check_bundle(data);
});
