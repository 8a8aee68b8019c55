//! Generates fedcheck's own narrow bindings to libxmlsec1 (the second-opinion engine, `src/xmlsec.rs`).
//!
//! samael links libxmlsec1 and exposes a verifier that takes the first signature of a freshly parsed document and
//! loads the key from DER every time. fedcheck needs to verify a chosen `ds:Signature` node of a document parsed once,
//! with a key loaded once per run and only same-document references enabled, which takes `xmlSecDSigCtx`'s fields:
//! bindgen gives their exact layout for the installed libxmlsec1 version.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    #[cfg(feature = "xmlsec")]
    xmlsec_bindings();
}

/// bindgen over src/dsig/xmlsec_bindings.h, only with the `xmlsec` feature (libxmlsec1 installed).
#[cfg(feature = "xmlsec")]
fn xmlsec_bindings() {
    use std::env;
    use std::path::PathBuf;
    use std::process::Command;
    println!("cargo:rerun-if-changed=src/dsig/xmlsec_bindings.h");
    let flags = |arg: &str| -> Vec<String> {
        let out = Command::new("xmlsec1-config")
            .arg(arg)
            .output()
            .expect("xmlsec1-config (package libxmlsec1-dev) is needed to build fedcheck");
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    let cflags = flags("--cflags");
    let bindings = bindgen::Builder::default()
        .header("src/dsig/xmlsec_bindings.h")
        .clang_args(&cflags)
        .allowlist_function("xmlSecDSigCtxCreate")
        .allowlist_function("xmlSecDSigCtxDestroy")
        .allowlist_function("xmlSecDSigCtxVerify")
        .allowlist_function("xmlSecKeyDestroy")
        .allowlist_function("xmlSecOpenSSLAppKeyLoadMemory")
        .allowlist_function("xmlSecTransformIdsGet")
        .allowlist_function("xmlSecTransformIdListFindByHref")
        .allowlist_type("xmlSecDSigCtx")
        .allowlist_var("xmlSecTransformUriType.*")
        .allowlist_var("xmlSecTransformUsageAny")
        .allowlist_var("xmlSecKeyDataFormat.*")
        .allowlist_var("xmlSecDSigStatus.*")
        .layout_tests(false)
        .generate()
        .expect("bindgen could not generate the libxmlsec1 bindings");
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join("xmlsec_bindings.rs");
    bindings.write_to_file(out).expect("write the libxmlsec1 bindings");
}
