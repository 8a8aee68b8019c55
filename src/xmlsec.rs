//! The second opinion: the same signature verified by libxmlsec1, through samael's `xmlsec` feature.
//!
//! fedcheck's own verifier ([`crate::dsig`]) decides what is read; libxmlsec1 is an independent implementation of
//! canonicalization and XML Signature that must agree. samael verifies the *first* `ds:Signature` of a document
//! with one key and registers one ID attribute name, so for a signature that is not first (an assertion signature
//! inside a signed response) the signatures before it are renamed first (their subtrees stay where they are, so the
//! wanted signature's digest is unchanged), and SAML 1.1 passes `AssertionID` as the ID attribute.
//!
//! libxmlsec1 and libxml2 print their errors to stderr by default. Both are redirected into a buffer while a
//! verification runs, and the messages become the engine's `detail` in the report.

use crate::trust::TrustAnchor;
use samael::crypto::{CertificateDer, CryptoProvider, XmlSec};
use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_uint, c_void};
use std::sync::Mutex;

/// What libxmlsec1 said about one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opinion {
    /// The signature verified with one of the trust anchors.
    pub valid: bool,
    /// The anchor that verified it.
    pub anchor: Option<usize>,
    /// libxmlsec1 was actually run on the signature (false when fedcheck withheld it, it could not be isolated, or
    /// libxmlsec1 lacks one of its algorithms).
    pub checked: bool,
    /// Not run because libxmlsec1 does not implement one of the signature's algorithms: no second opinion exists
    /// (as opposed to one fedcheck withheld, or a document libxml2 reads differently).
    pub unavailable: bool,
    /// libxmlsec1's own words (its error messages), or what it verified with.
    pub detail: String,
}

static LOCK: Mutex<()> = Mutex::new(());
static INIT: std::sync::Once = std::sync::Once::new();
static MESSAGES: Mutex<Vec<String>> = Mutex::new(Vec::new());

type XmlSecErrorsCallback = unsafe extern "C" fn(
    file: *const c_char,
    line: c_int,
    func: *const c_char,
    error_object: *const c_char,
    error_subject: *const c_char,
    reason: c_int,
    msg: *const c_char,
);

/// The leading fields of libxml2's `xmlError`, which are stable across 2.9 - 2.13.
#[repr(C)]
struct XmlErrorHead {
    domain: c_int,
    code: c_int,
    message: *const c_char,
}

extern "C" {
    fn xmlSecTransformIdsGet() -> *mut c_void;
    fn xmlSecTransformIdListFindByHref(list: *mut c_void, href: *const u8, usage: c_uint) -> *const c_void;
    fn xmlSecCheckVersionExt(major: c_int, minor: c_int, subminor: c_int, mode: c_int) -> c_int;
    fn xmlSecErrorsSetCallback(callback: Option<XmlSecErrorsCallback>);
    fn xmlSetStructuredErrorFunc(
        ctx: *mut c_void,
        handler: Option<unsafe extern "C" fn(user: *mut c_void, error: *const XmlErrorHead)>,
    );
}

unsafe fn cstr(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        // SAFETY: libxmlsec1/libxml2 pass NUL-terminated strings valid for the duration of the callback.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().trim().to_string()
    }
}

fn record(message: String) {
    if let Ok(mut m) = MESSAGES.lock() {
        if m.len() < 32 && !message.is_empty() && !m.contains(&message) {
            m.push(message);
        }
    }
}

unsafe extern "C" fn on_xmlsec_error(
    _file: *const c_char,
    _line: c_int,
    func: *const c_char,
    _error_object: *const c_char,
    error_subject: *const c_char,
    _reason: c_int,
    msg: *const c_char,
) {
    // SAFETY: see `cstr`.
    let (func, subject, msg) = unsafe { (cstr(func), cstr(error_subject), cstr(msg)) };
    if msg.is_empty() {
        // Propagation records ("called from ...") carry no message of their own.
        return;
    }
    let mut s = msg;
    if !subject.is_empty() && subject != "unknown" {
        s = format!("{subject}: {s}");
    }
    if !func.is_empty() {
        s = format!("{func}: {s}");
    }
    record(s);
}

unsafe extern "C" fn on_libxml_error(_user: *mut c_void, error: *const XmlErrorHead) {
    if error.is_null() {
        return;
    }
    // SAFETY: libxml2 passes a valid xmlError for the duration of the call.
    let msg = unsafe { cstr((*error).message) };
    record(format!("libxml2: {msg}"));
}

fn install_handlers() {
    // SAFETY: plain setters of global callback pointers; the callbacks only copy strings.
    unsafe {
        xmlSecErrorsSetCallback(Some(on_xmlsec_error));
        xmlSetStructuredErrorFunc(std::ptr::null_mut(), Some(on_libxml_error));
    }
}

fn take_messages() -> Vec<String> {
    MESSAGES.lock().map(|mut m| std::mem::take(&mut *m)).unwrap_or_default()
}

/// libxmlsec1's `xmlSecTransformUsageAny`: a transform usable in any role.
const TRANSFORM_USAGE_ANY: c_uint = 0xFFFF;

/// Initializes libxmlsec1 (through samael, which loads the crypto engine) once, then redirects its errors.
fn ensure_init() {
    // samael initializes libxmlsec1 lazily, and initialization installs xmlsec's default (stderr) error
    // callback. Trigger it once with a document that has no signature and a throwaway key (no error is logged).
    INIT.call_once(|| {
        if let Some(der) = throwaway_certificate() {
            let _ = XmlSec::verify_signed_xml(b"<fedcheck/>", &CertificateDer::from(der), None);
        }
    });
    install_handlers();
}

/// A self-signed certificate made on the spot, only to let samael initialize libxmlsec1 without logging an error.
fn throwaway_certificate() -> Option<Vec<u8>> {
    use openssl::{asn1::Asn1Time, bn::BigNum, ec, nid::Nid, pkey::PKey, x509};
    let group = ec::EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).ok()?;
    let key = PKey::from_ec_key(ec::EcKey::generate(&group).ok()?).ok()?;
    let mut name = x509::X509NameBuilder::new().ok()?;
    name.append_entry_by_nid(Nid::COMMONNAME, "fedcheck libxmlsec1 initialization")
        .ok()?;
    let name = name.build();
    let mut b = x509::X509Builder::new().ok()?;
    b.set_version(2).ok()?;
    b.set_serial_number(&*BigNum::from_u32(1).ok()?.to_asn1_integer().ok()?)
        .ok()?;
    b.set_subject_name(&name).ok()?;
    b.set_issuer_name(&name).ok()?;
    b.set_not_before(&*Asn1Time::days_from_now(0).ok()?).ok()?;
    b.set_not_after(&*Asn1Time::days_from_now(1).ok()?).ok()?;
    b.set_pubkey(&key).ok()?;
    b.sign(&key, openssl::hash::MessageDigest::sha256()).ok()?;
    b.build().to_der().ok()
}

/// Whether libxmlsec1, with its crypto engine loaded, implements the algorithm (signature, digest,
/// canonicalization or transform) this URI names. fedcheck never hands it a signature it would have to refuse for
/// lack of an algorithm: that is no opinion, not a disagreement.
pub fn implements(uri: &str) -> bool {
    let Ok(href) = std::ffi::CString::new(uri) else {
        return false;
    };
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    ensure_init();
    // SAFETY: the transform id list is libxmlsec1's global registry, valid after initialization; the lookup only
    // reads it and compares NUL-terminated strings.
    let found =
        unsafe { xmlSecTransformIdListFindByHref(xmlSecTransformIdsGet(), href.as_ptr().cast(), TRANSFORM_USAGE_ANY) };
    take_messages();
    !found.is_null()
}

/// The libxmlsec1 version fedcheck is linked with, for reports ("1.2.x" or "1.3.x").
pub fn version() -> &'static str {
    // SAFETY: a version comparison against constants; mode 1 (ABI compatible) only reads the linked version.
    let v13 = unsafe { xmlSecCheckVersionExt(1, 3, 0, 1) } == 1;
    if v13 {
        "1.3"
    } else {
        "1.2"
    }
}

/// Verifies the `sig_index`-th `ds:Signature` (document order) of `xml` with libxmlsec1, trying each anchor.
pub fn verify(xml: &[u8], sig_index: usize, id_attr: &str, anchors: &[TrustAnchor]) -> Opinion {
    verify_expecting(xml, sig_index, None, id_attr, anchors)
}

/// Like [`verify`], but first checks that libxml2, parsing strictly, sees the document as fedcheck does: well-formed
/// and with exactly `signatures` `ds:Signature` elements. Otherwise libxmlsec1 is not asked (its parser recovers
/// from errors and could number the signatures differently), and the opinion says so.
pub fn verify_expecting(
    xml: &[u8],
    sig_index: usize,
    signatures: Option<usize>,
    id_attr: &str,
    anchors: &[TrustAnchor],
) -> Opinion {
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    if anchors.is_empty() {
        return Opinion {
            valid: false,
            anchor: None,
            checked: true,
            unavailable: false,
            detail: "no trusted certificate to verify with".into(),
        };
    }
    ensure_init();
    take_messages();
    let isolated = match isolate(xml, sig_index, signatures) {
        Ok(x) => x,
        Err(detail) => {
            take_messages();
            return Opinion {
                valid: false,
                anchor: None,
                checked: false,
                unavailable: false,
                detail,
            };
        }
    };
    let mut failures = Vec::new();
    for (i, anchor) in anchors.iter().enumerate() {
        install_handlers();
        let cert = CertificateDer::from(anchor.der.clone());
        match XmlSec::verify_signed_xml(&isolated, &cert, Some(id_attr)) {
            Ok(()) => {
                take_messages();
                return Opinion {
                    valid: true,
                    checked: true,
                    unavailable: false,
                    anchor: Some(i),
                    detail: format!("signature valid with {}", anchor.info.subject),
                };
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    let mut msgs = take_messages();
    msgs.truncate(4);
    let mut detail = failures.first().cloned().unwrap_or_else(|| "invalid signature".into());
    if !msgs.is_empty() {
        detail = format!("{detail} ({})", msgs.join("; "));
    }
    Opinion {
        valid: false,
        anchor: None,
        checked: true,
        unavailable: false,
        detail,
    }
}

/// Returns a document in which the wanted signature is the first one in document order, with the signed bytes
/// unchanged: the wanted signature becomes the first child of its parent (the enveloped-signature transform removes
/// it from the digest wherever it sits among its siblings, and its ancestors, which decide the namespaces SignedInfo
/// is canonicalized with, stay the same), so every signature inside the signed element now follows it; signatures
/// still before it lie outside the signed element and are renamed, which leaves their subtrees in place.
fn isolate(xml: &[u8], sig_index: usize, signatures: Option<usize>) -> Result<Vec<u8>, String> {
    if sig_index == 0 && signatures.is_none() {
        return Ok(xml.to_vec());
    }
    let strict = libxml::parser::ParserOptions {
        recover: false,
        no_net: true,
        ..Default::default()
    };
    let doc = libxml::parser::Parser::default()
        .parse_string_with_options(xml, strict)
        .map_err(|_| "not run: libxml2 does not accept the document as well-formed XML".to_string())?;
    let root = doc.get_root_element().ok_or("libxml2 found no root element")?;
    let mut sigs = signatures_in_order(&root);
    if signatures.is_some_and(|n| n != sigs.len()) || sig_index >= sigs.len() {
        return Err(format!(
            "not run: libxml2 sees {} signature(s) where fedcheck sees {}",
            sigs.len(),
            signatures.map_or_else(|| format!("at least {}", sig_index + 1), |n| n.to_string())
        ));
    }
    if sig_index == 0 {
        return Ok(xml.to_vec());
    }
    // Only raw pointers are kept across the edits: the libxml crate refuses to mutate a node it has handed out
    // more than once.
    let wanted_ptr = sigs[sig_index].node_ptr() as usize;
    let mut wanted = sigs.swap_remove(sig_index);
    drop(sigs);
    let parent = wanted.get_parent().ok_or("libxml2: the signature has no parent")?;
    let mut first = parent
        .get_first_child()
        .ok_or("libxml2: the signature's parent has no children")?;
    drop(parent);
    if first.node_ptr() as usize != wanted_ptr {
        wanted.unlink_node();
        first
            .add_prev_sibling(&mut wanted)
            .map_err(|e| format!("libxml2 could not move the signature: {e}"))?;
    }
    drop(first);
    drop(wanted);
    let before: Vec<libxml::tree::Node> = signatures_in_order(&root)
        .into_iter()
        .take_while(|s| s.node_ptr() as usize != wanted_ptr)
        .collect();
    for mut s in before {
        s.set_name("fedcheck-skipped-Signature")
            .map_err(|e| format!("libxml2 could not rename a signature: {e}"))?;
    }
    let opts = libxml::tree::SaveOptions {
        no_declaration: true,
        ..Default::default()
    };
    Ok(doc.to_string_with_options(opts).into_bytes())
}

/// The `ds:Signature` elements under `root`, in document order.
fn signatures_in_order(root: &libxml::tree::Node) -> Vec<libxml::tree::Node> {
    let mut sigs = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(n) = stack.pop() {
        let is_sig =
            n.get_name() == "Signature" && n.get_namespace().is_some_and(|ns| ns.get_href() == crate::dsig::DS_NS);
        if is_sig {
            sigs.push(n.clone());
        }
        let mut kids = n.get_child_elements();
        kids.reverse();
        stack.extend(kids);
    }
    sigs
}
