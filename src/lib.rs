//! fedcheck: verify the SAML tokens a third-party identity provider posts to Microsoft Entra ID.
//!
//! The pipeline, one module per stage, data flowing one way:
//!
//! ```text
//! input (files, stdin, HAR, SAML-tracer, form, base64)      -> RawToken (bytes + where they came from)
//!   -> token  (protocol detection, every ds:Signature checked, claims re-read from signed bytes)
//!        uses dsig (strict XML Signature profile, openssl) + c14n (exclusive canonicalization) + xml (bounded parser)
//!        and xmlsec (libxmlsec1 second opinion through samael)
//!   -> trust  (trust anchors: --idp-cert, metadata signing keys)
//!   -> rules  (each check: id, status, message, fix; the protocol-specific MFA rule)
//!   -> report (verdict, JSON contract, terminal text)
//! ```
//!
//! Beside the pipeline, reusing it unchanged: serve (a local stand-in for Entra's sign-in endpoint, axum on tokio),
//! plan (TOML test plans with JUnit output) and snapshot (normalized verdict summaries for CI). Tenant-wide evidence
//! sits apart: signins (Entra sign-in log exports and Partner Center's MFA report, streamed and judged per user),
//! which bundle and render carry into evidence bundles. lint (with adfs_rules) reads the IdP's configuration
//! instead of a token: AD FS, Keycloak, Shibboleth, Okta.
//!
//! The invariant the whole crate serves: a claim is reported as signed only if it was parsed from the canonical
//! octets whose digest is in a `SignedInfo` that verified with a trusted key.
#![warn(missing_docs)]

pub mod adfs;
pub mod bundle;
pub mod dsig;
pub mod entra;
pub mod harness;
pub mod http;
pub mod input;
pub mod lint;
pub mod report;
pub mod rules;
pub mod saml;
pub mod signins;
pub mod trust;
pub mod xml;
