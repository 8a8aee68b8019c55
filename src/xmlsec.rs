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
use std::os::raw::{c_char, c_int, c_void};
use std::sync::Mutex;

/// What libxmlsec1 said about one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opinion {
    /// The signature verified with one of the trust anchors.
    pub valid: bool,
    /// The anchor that verified it.
    pub anchor: Option<usize>,
    /// libxmlsec1 was actually run on the signature (false when fedcheck withheld it or it could not be isolated).
    pub checked: bool,
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
            detail: "no trusted certificate to verify with".into(),
        };
    }
    // samael initializes libxmlsec1 lazily, and initialization installs xmlsec's default (stderr) error
    // callback. Trigger it once with a document that has no signature (no error is logged), then redirect.
    INIT.call_once(|| {
        let _ = XmlSec::verify_signed_xml(b"<fedcheck/>", &CertificateDer::from(anchors[0].der.clone()), None);
    });
    install_handlers();
    take_messages();
    let isolated = match isolate(xml, sig_index, signatures) {
        Ok(x) => x,
        Err(detail) => {
            take_messages();
            return Opinion {
                valid: false,
                anchor: None,
                checked: false,
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
        detail,
    }
}

/// Returns a document in which the wanted signature is the first one: earlier signatures are renamed.
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
    let mut sigs = Vec::new();
    let mut stack = vec![root];
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
    // Rename (not remove) the signatures before the wanted one, so libxmlsec1's first-Signature search skips
    // them. Renaming keeps every subtree in place: an assertion nested inside an earlier signature (a wrapping
    // attack) keeps its bytes, and no namespace declaration moves, so the wanted signature's digest is unchanged.
    for mut s in sigs.into_iter().take(sig_index) {
        s.set_name("fedcheck-skipped-Signature")
            .map_err(|e| format!("libxml2 could not rename a signature: {e}"))?;
    }
    let opts = libxml::tree::SaveOptions {
        no_declaration: true,
        ..Default::default()
    };
    Ok(doc.to_string_with_options(opts).into_bytes())
}

/// Fills the `ds:Signature` template of `xml` with libxmlsec1 (through samael), signing with `key_der` (a DER
/// private key); `cert_der` is any certificate, used only to initialize libxmlsec1 quietly. `ID` attributes are
/// registered as IDs. Used by `serve` to sign its AuthnRequest as Entra does when the domain requires it.
pub fn sign_template(xml: &str, key_der: &[u8], cert_der: &[u8]) -> Result<String, String> {
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    INIT.call_once(|| {
        let _ = XmlSec::verify_signed_xml(b"<fedcheck/>", &CertificateDer::from(cert_der.to_vec()), None);
    });
    install_handlers();
    take_messages();
    let signed = XmlSec::sign_xml(xml.as_bytes(), key_der).map_err(|e| {
        let mut msgs = take_messages();
        msgs.truncate(4);
        format!("libxmlsec1 could not sign: {e} ({})", msgs.join("; "))
    });
    take_messages();
    signed
}
