//! Verifying every signature of a token: fedcheck's strict profile (openssl) and, when asked, libxmlsec1 as a
//! second opinion, combined into one verdict per signature ([`SignatureReport`]). A disagreement on the
//! cryptography is never resolved silently; a signature outside fedcheck's profile is never handed to libxmlsec1.

use super::{Engines, TokenError};
use crate::dsig::xmlsec;
use crate::dsig::{self, Profile, SignatureCheck, SignatureError};
use crate::trust::TrustAnchor;
use crate::xml::{Document, Limits};
use serde::Serialize;

/// One engine's verdict on one signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EngineResult {
    /// `fedcheck` or `libxmlsec1`.
    pub name: String,
    /// Whether it verified.
    pub valid: bool,
    /// Why, in the engine's words.
    pub detail: String,
}

/// One signature and what the engines said.
#[derive(Debug, Clone)]
pub struct SignatureReport {
    /// fedcheck's structural and cryptographic check.
    pub check: SignatureCheck,
    /// Element kind signed (`Response`, `Assertion`).
    pub signed_element: String,
    /// The signed element's ID.
    pub reference_id: Option<String>,
    /// Engine results.
    pub engines: Vec<EngineResult>,
    /// The combined verdict: valid only if every engine run says valid.
    pub valid: bool,
    /// The engines disagree in a way that must not be resolved silently.
    pub disagreement: Option<String>,
    /// fedcheck refused a signature libxmlsec1 accepted, for a rule of its stricter profile.
    pub stricter: Option<String>,
    /// The anchor that verified it.
    pub anchor: Option<usize>,
    /// libxmlsec1 was asked for a second opinion but not run on this signature (outside fedcheck's profile, or
    /// impossible to isolate); the reason is its engine `detail`.
    pub second_opinion_skipped: bool,
}

/// Verifies every signature of the document with fedcheck's engine and, when asked, libxmlsec1 (one libxml2 parse
/// for all the signatures handed to it).
pub(super) fn verify_all(
    doc: &Document,
    xml: &[u8],
    anchors: &[TrustAnchor],
    engines: Engines,
    limits: &Limits,
) -> Result<Vec<SignatureReport>, TokenError> {
    let mut profile = Profile::tokens();
    profile.verify_crypto = engines.fedcheck;
    profile.max_canonical_bytes = limits.canonical_budget(xml.len());
    profile.deadline = limits.deadline;
    let signature_nodes = dsig::find_signatures(doc);
    if signature_nodes.len() > limits.max_signatures {
        return Err(TokenError::Budget(format!(
            "the document holds {} ds:Signature elements, more than the {} allowed (--max-signatures)",
            signature_nodes.len(),
            limits.max_signatures
        )));
    }
    let checks: Vec<SignatureCheck> = signature_nodes
        .iter()
        .map(|&sig| dsig::verify(doc, sig, anchors, &profile))
        .collect();
    if checks.iter().any(|c| {
        matches!(
            c.outcome,
            Err(SignatureError::Canonicalize(crate::xml::c14n::C14nError::Deadline))
        )
    }) || crate::xml::past(limits.deadline)
    {
        return Err(TokenError::Budget("the deadline for judging this token passed".into()));
    }
    if let Some(limit) = checks.iter().find_map(|c| match &c.outcome {
        Err(SignatureError::Canonicalize(crate::xml::c14n::C14nError::TooLarge { limit })) => Some(*limit),
        _ => None,
    }) {
        return Err(TokenError::Budget(format!(
            "a signature's canonical form would exceed {limit} bytes, {} times the document's size (--max-c14n-factor)",
            limits.c14n_factor
        )));
    }
    let mut opinions: Vec<Option<xmlsec::Opinion>> = checks.iter().map(|_| None).collect();
    if engines.xmlsec {
        let mut withheld: Vec<Option<xmlsec::Opinion>> = checks.iter().map(withheld_from_xmlsec).collect();
        let handed = withheld.iter().filter(|w| w.is_none()).count();
        if let Some(over) = (handed > 0).then(|| xmlsec_over_budget(doc, limits, handed)).flatten() {
            for w in withheld.iter_mut().filter(|w| w.is_none()) {
                *w = Some(over.clone());
            }
        }
        let wanted: Vec<bool> = withheld.iter().map(Option::is_none).collect();
        let judged = xmlsec::verify_document(xml, Some(checks.len()), &wanted, anchors);
        opinions = withheld.into_iter().zip(judged).map(|(w, j)| w.or(j)).collect();
    }
    Ok(checks
        .into_iter()
        .zip(opinions)
        .map(|(check, opinion)| {
            let parent = check.parent.and_then(|p| doc.element(p));
            let signed_element = parent.map(|e| e.local.clone()).unwrap_or_default();
            let reference_id = parent.and_then(|e| e.attr("ID").or_else(|| e.attr("AssertionID")).map(str::to_string));
            combine(check, signed_element, reference_id, engines, opinion, anchors)
        })
        .collect())
}

/// libxml2's canonicalization searches the ancestor chain for every namespace it renders: a document with
/// thousands of declarations in scope, or a long `InclusiveNamespaces` list over many elements, would keep it busy
/// for seconds. And it canonicalizes the whole document once per signature (its node-set filter visits every node),
/// so the work is counted once per signature handed to it. Such a document gets no second opinion (and so no valid
/// signature under the default engines): the opinion says why.
fn xmlsec_over_budget(doc: &Document, limits: &Limits, signatures: usize) -> Option<xmlsec::Opinion> {
    let inclusive = doc
        .find_all(doc.root(), crate::xml::c14n::EXC_C14N, "InclusiveNamespaces")
        .into_iter()
        .filter_map(|n| doc.element(n).and_then(|e| e.attr("PrefixList")))
        .map(|l| l.split_ascii_whitespace().count())
        .max()
        .unwrap_or(0);
    let work = doc.namespace_work(inclusive).saturating_mul(signatures.max(1) as u64);
    let per = if signatures > 1 {
        format!(" for its {signatures} signatures")
    } else {
        String::new()
    };
    (work > limits.max_namespace_work).then(|| xmlsec::Opinion {
        valid: false,
        anchor: None,
        checked: false,
        unavailable: false,
        detail: format!(
            "not run: canonicalizing this document{per} would take libxmlsec1 about {work} namespace lookups, more than the {} allowed (--max-namespace-work)",
            limits.max_namespace_work
        ),
    })
}

/// Why a signature is not handed to libxmlsec1, as its opinion; `None` when it is.
fn withheld_from_xmlsec(check: &SignatureCheck) -> Option<xmlsec::Opinion> {
    // A signature outside fedcheck's profile (XSLT or XPath transforms, external references, ds:Object, ...) is
    // never handed to libxmlsec1, which would execute those transforms.
    if let Err(e) = &check.outcome {
        if structure_refused(e) {
            return Some(xmlsec::Opinion {
                valid: false,
                anchor: None,
                checked: false,
                unavailable: false,
                detail: "not run: the signature is outside fedcheck's SAML signature profile, so it is not handed to libxmlsec1 (which would process it)".into(),
            });
        }
    }
    // An algorithm libxmlsec1 does not implement: it cannot give an opinion, and says so.
    let d = &check.declared;
    let algorithms = d
        .signature_method
        .iter()
        .chain(d.digest_method.iter())
        .chain(d.canonicalization.iter())
        .chain(d.transforms.iter());
    for uri in algorithms.filter(|_| xmlsec::linked()) {
        if !xmlsec::implements(uri) {
            return Some(xmlsec::Opinion {
                valid: false,
                anchor: None,
                checked: false,
                unavailable: true,
                detail: format!("not run: libxmlsec1 {} does not implement {uri}", xmlsec::version()),
            });
        }
    }
    None
}

/// Errors found from the signature's structure alone, before any digest or key is involved.
fn structure_refused(e: &SignatureError) -> bool {
    !matches!(
        e,
        SignatureError::DigestMismatch { .. }
            | SignatureError::BadSignature { .. }
            | SignatureError::UntrustedKey { .. }
            | SignatureError::NoTrustAnchors
            | SignatureError::KeyMismatch { .. }
            | SignatureError::Budget { .. }
    )
}

/// Rules whose failure is fedcheck's stricter profile rather than a cryptographic fact.
fn is_policy(e: &SignatureError) -> bool {
    !matches!(
        e,
        SignatureError::DigestMismatch { .. }
            | SignatureError::BadSignature { .. }
            | SignatureError::UntrustedKey { .. }
    )
}

/// One signature's report: each engine's result and the combined verdict.
fn combine(
    check: SignatureCheck,
    signed_element: String,
    reference_id: Option<String>,
    engines: Engines,
    opinion: Option<xmlsec::Opinion>,
    anchors: &[TrustAnchor],
) -> SignatureReport {
    let mut results = Vec::new();
    if engines.fedcheck {
        results.push(fedcheck_result(&check, anchors));
    }
    let verdict = match &opinion {
        Some(op) => {
            results.push(EngineResult {
                name: "libxmlsec1".into(),
                valid: op.valid,
                detail: op.detail.clone(),
            });
            with_second_opinion(&check, op, engines)
        }
        None => Verdict {
            valid: check.outcome.is_ok(),
            disagreement: None,
            stricter: None,
            anchor: check.outcome.as_ref().ok().and_then(|v| v.anchor),
        },
    };
    SignatureReport {
        second_opinion_skipped: opinion.as_ref().is_some_and(|o| !o.checked),
        check,
        signed_element,
        reference_id,
        engines: results,
        valid: verdict.valid,
        disagreement: verdict.disagreement,
        stricter: verdict.stricter,
        anchor: verdict.anchor,
    }
}

/// fedcheck's own verdict on a signature, in words.
fn fedcheck_result(check: &SignatureCheck, anchors: &[TrustAnchor]) -> EngineResult {
    EngineResult {
        name: "fedcheck".into(),
        valid: check.outcome.is_ok(),
        detail: match &check.outcome {
            Ok(v) => match v.anchor.and_then(|i| anchors.get(i)) {
                Some(a) => format!("signature valid with {} ({})", a.info.subject, a.origin),
                None => "signature valid".into(),
            },
            Err(e) => e.to_string(),
        },
    }
}

/// The combined verdict on one signature.
struct Verdict {
    valid: bool,
    disagreement: Option<String>,
    stricter: Option<String>,
    anchor: Option<usize>,
}

/// fedcheck's check combined with libxmlsec1's opinion `op`: valid only if every engine that ran says valid; a
/// disagreement on the cryptography is recorded, a refusal by fedcheck's stricter profile is only noted.
fn with_second_opinion(check: &SignatureCheck, op: &xmlsec::Opinion, engines: Engines) -> Verdict {
    let fed_ok = check.outcome.is_ok();
    let mut verdict = Verdict {
        valid: false,
        disagreement: None,
        stricter: None,
        anchor: check.outcome.as_ref().ok().and_then(|v| v.anchor),
    };
    if op.unavailable {
        // libxmlsec1 lacks the algorithm: fedcheck's own verification stands alone (and only when it ran the
        // cryptography itself).
        verdict.valid = fed_ok && engines.fedcheck;
    } else if !op.checked {
        // Withheld, or the document could not be isolated for it: no second opinion, so not valid.
        verdict.valid = false;
    } else if engines.fedcheck {
        match (&check.outcome, op.valid) {
            (Ok(_), false) => {
                verdict.disagreement = Some(format!(
                    "fedcheck verified this signature but libxmlsec1 did not: {}",
                    op.detail
                ))
            }
            (Err(e), true) if !is_policy(e) => {
                verdict.disagreement = Some(format!("libxmlsec1 verified this signature but fedcheck did not: {e}"))
            }
            (Err(e), true) => verdict.stricter = Some(e.to_string()),
            (Ok(v), true) if v.anchor != op.anchor => {
                verdict.disagreement = Some("the engines verified with different certificates".into())
            }
            _ => {}
        }
        verdict.valid = fed_ok && op.valid && verdict.disagreement.is_none();
    } else {
        // xmlsec alone decides the cryptography; fedcheck's profile and digest still apply.
        if let (Err(e), true) = (&check.outcome, op.valid) {
            verdict.stricter = Some(e.to_string());
        }
        verdict.anchor = op.anchor;
        verdict.valid = fed_ok && op.valid;
    }
    verdict
}
