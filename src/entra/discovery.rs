//! Live discovery: ask Entra how it signs in a domain (`getuserrealm.srf`, unauthenticated), fetch the IdP's
//! metadata, and read the domain's federation settings from Microsoft Graph (`federationConfiguration`, with a
//! bearer token). The files written are the inputs `--metadata` and `--federation-config` take.
//!
//! Every request goes through [`crate::http::get`] (https only, a whole-request timeout, a size cap, redirects that
//! stay on https) with [`RETRIES`] retries on 429 and 5xx; [`get`] words its failures as one line naming the URL and
//! explains 401, 403 and 404 per [`Service`]. The Graph token is sent as a sensitive header and scrubbed from every
//! error; it is never printed or written. Nothing here reads the environment: the command line passes the token
//! ([`TOKEN_ENV`]) and the retry delay ([`RETRY_BASE_ENV`]) in.

use crate::http::{self, CappedReadError, HttpError};
use crate::saml::metadata;
use crate::trust::{self, CertInfo};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use crate::http::{HttpPolicy, Secret};

/// Where `getuserrealm.srf` lives unless `--login-base-url` says otherwise.
pub const DEFAULT_LOGIN_BASE: &str = "https://login.microsoftonline.com";
/// Microsoft Graph, unless `--graph-base-url` says otherwise.
pub const DEFAULT_GRAPH_BASE: &str = "https://graph.microsoft.com";
/// The environment variable holding the Graph bearer token when `--token-file` is not given (read by the CLI).
pub const TOKEN_ENV: &str = "FEDCHECK_GRAPH_TOKEN";
/// The environment variable that sets the first retry delay in milliseconds (read by the CLI; tests set it low).
pub const RETRY_BASE_ENV: &str = "FEDCHECK_RETRY_BASE_MS";
/// Where AD FS publishes its federation metadata.
pub const METADATA_PATH: &str = "/FederationMetadata/2007-06/FederationMetadata.xml";
/// Retries after a 429 or 5xx answer: getuserrealm and Graph throttle.
pub const RETRIES: u32 = 3;
/// The largest `--token-file` read.
pub const MAX_TOKEN_FILE: u64 = 64 * 1024;

/// The policy for discovery requests: this timeout in seconds (at least 1), [`RETRIES`] retries, and the first retry
/// delay `retry_base` when given (default 500 ms).
pub fn policy(timeout_seconds: u64, retry_base: Option<Duration>) -> HttpPolicy {
    let mut p = HttpPolicy::with_timeout(timeout_seconds);
    p.retries = RETRIES;
    if let Some(base) = retry_base {
        p.base_delay = base;
    }
    p
}

/// Which service a URL belongs to; decides how 401, 403 and 404 are explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// `getuserrealm.srf`.
    UserRealm,
    /// The IdP's metadata.
    Metadata,
    /// Microsoft Graph.
    Graph,
}

/// Why discovery or a fetch failed. Every variant is an exit-2 error for the command line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// The sign-in name is not `local@domain`.
    #[error("USER \"{user}\": {problem}; give a sign-in name of the domain, e.g. someone@contoso.com")]
    BadUser {
        /// As given.
        user: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// `--domain` is not a DNS name.
    #[error("--domain \"{domain}\": not a domain name (e.g. contoso.com)")]
    BadDomain {
        /// As given.
        domain: String,
    },
    /// A base URL option does not parse.
    #[error("{option} \"{url}\": not a URL ({error})")]
    BadBaseUrl {
        /// `--login-base-url`, `--metadata-url` or `--graph-base-url`.
        option: &'static str,
        /// As given.
        url: String,
        /// The parser's complaint.
        error: url::ParseError,
    },
    /// A base URL option is plain http to a host that is not loopback.
    #[error("{option} \"{url}\": must be https:// (http:// only for a loopback test server)")]
    InsecureBaseUrl {
        /// The option.
        option: &'static str,
        /// As given.
        url: String,
    },
    /// A base URL parses but no request URL can be built on it.
    #[error("{option}: {}", .error.map_or("cannot be a base URL".to_string(), |e| e.to_string()))]
    UnusableBaseUrl {
        /// The option.
        option: &'static str,
        /// The parser's complaint, when there is one.
        error: Option<url::ParseError>,
    },
    /// `--out` names something that is not a folder.
    #[error("--out {}: exists and is not a folder", .0.display())]
    OutNotFolder(PathBuf),
    /// `--token-file` cannot be used.
    #[error("--token-file {}: {problem}", .path.display())]
    TokenFile {
        /// The file.
        path: PathBuf,
        /// Why.
        problem: TokenFileProblem,
    },
    /// Neither `--token-file` nor [`TOKEN_ENV`].
    #[error(
        "no Graph token: put the bearer token in a file and pass --token-file FILE, or set {TOKEN_ENV} (a token for \
https://graph.microsoft.com with Domain.Read.All, e.g. from \
`az account get-access-token --resource-type ms-graph --query accessToken -o tsv`)"
    )]
    NoToken,
    /// The token is empty.
    #[error("{origin}: the token is empty")]
    EmptyToken {
        /// `--token-file FILE` or the variable's name.
        origin: String,
    },
    /// The token holds whitespace.
    #[error("{origin}: the token holds spaces or line breaks; put only the token in it")]
    TokenHasSpaces {
        /// `--token-file FILE` or the variable's name.
        origin: String,
    },
    /// The token cannot be an HTTP header value.
    #[error("the Graph token holds characters an HTTP header cannot carry")]
    TokenNotAHeader,
    /// A request failed: network, timeout, HTTP status, size, or an answer that is not what the service returns.
    #[error("{url}: {detail}")]
    Http {
        /// The URL requested.
        url: String,
        /// The HTTP status, when an answer came.
        status: Option<u16>,
        /// What went wrong, one line (the token scrubbed out).
        detail: String,
    },
    /// A file could not be written.
    #[error("{path}: cannot write: {error}")]
    Write {
        /// The file.
        path: String,
        /// The I/O error.
        error: std::io::Error,
    },
}

/// Why `--token-file` cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenFileProblem {
    /// It does not open.
    #[error("cannot read: {0}")]
    Open(std::io::Error),
    /// It does not read, or is over [`MAX_TOKEN_FILE`].
    #[error("cannot read: {} (limit 64 KiB)", match .0 {
        CappedReadError::TooLarge { .. } => "too large".to_string(),
        CappedReadError::Io(e) => e.to_string(),
    })]
    Read(CappedReadError),
    /// Not UTF-8.
    #[error("not UTF-8 text")]
    NotText,
}

impl DiscoveryError {
    /// An answer that came (HTTP 200) but is not what `url` should return.
    fn unexpected(url: &str, detail: String) -> Self {
        DiscoveryError::Http {
            url: url.to_string(),
            status: Some(200),
            detail,
        }
    }
}

/// GETs `url` under `policy`, with `bearer` as the Authorization when given; returns the body.
pub fn get(
    url: &str,
    bearer: Option<&Secret>,
    service: Service,
    policy: &HttpPolicy,
) -> Result<Vec<u8>, DiscoveryError> {
    http::get(url, bearer, policy).map_err(|e| {
        if let HttpError::BadBearer = e {
            return DiscoveryError::TokenNotAHeader;
        }
        let detail = match &e {
            HttpError::Status { status, .. } if http::is_retriable(*status) => {
                format!("HTTP {status}, still after {} retries; try again later", policy.retries)
            }
            HttpError::Status { status, body } => status_message(service, *status, body),
            other => other.to_string(),
        };
        DiscoveryError::Http {
            url: url.to_string(),
            status: e.status().map(|s| s.as_u16()),
            detail: match bearer {
                Some(token) => token.scrub(detail),
                None => detail,
            },
        }
    })
}

fn status_message(service: Service, status: reqwest::StatusCode, body: &[u8]) -> String {
    let what = match (service, status.as_u16()) {
        (Service::Graph, 401) => "token rejected (expired or wrong audience: needs Domain.Read.All)",
        (Service::Graph, 403) => "forbidden: the token lacks Domain.Read.All",
        (Service::Graph, 404) => "domain not found in this tenant",
        (Service::UserRealm, 404) => "not found (is --login-base-url right?)",
        (Service::Metadata, 404) => "not found: no metadata published there (give its location with --metadata-url)",
        (_, 401 | 403) => "access denied",
        _ => "",
    };
    let mut s = format!("HTTP {status}");
    if !what.is_empty() {
        s.push_str(": ");
        s.push_str(what);
    }
    // Graph explains itself in {"error":{"code":..,"message":..}}.
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Some(code) = v["error"]["code"].as_str() {
            let msg: String = v["error"]["message"].as_str().unwrap_or("").chars().take(200).collect();
            s.push_str(&format!(" [{code}{}{msg}]", if msg.is_empty() { "" } else { ": " }));
        }
    }
    s
}

/// Whether `d` looks like a DNS domain name (labels of letters, digits and hyphens, at least two).
pub fn valid_domain(d: &str) -> bool {
    !d.is_empty()
        && d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// Splits `local@domain`, with a clear error otherwise.
pub fn split_user(user: &str) -> Result<(&str, &str), DiscoveryError> {
    let bad = |problem| DiscoveryError::BadUser {
        user: user.to_string(),
        problem,
    };
    let (local, domain) = user.split_once('@').ok_or_else(|| bad("not local@domain"))?;
    if local.is_empty() || local.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("the part before @ is empty or holds spaces"));
    }
    if !valid_domain(domain) {
        return Err(bad("the part after @ is not a domain name"));
    }
    Ok((local, domain))
}

/// A base URL option, checked (https, or http to loopback) and without a trailing `/`.
fn base(s: &str, option: &'static str) -> Result<String, DiscoveryError> {
    let u = url::Url::parse(s).map_err(|error| DiscoveryError::BadBaseUrl {
        option,
        url: s.to_string(),
        error,
    })?;
    if !http::secure_or_loopback(&u) {
        return Err(DiscoveryError::InsecureBaseUrl {
            option,
            url: s.to_string(),
        });
    }
    Ok(s.trim_end_matches('/').to_string())
}

/// What `fedcheck discover` does.
#[derive(Debug, Clone)]
pub struct DiscoverOptions {
    /// The sign-in name, `local@domain`.
    pub user: String,
    /// Base URL of `getuserrealm.srf`.
    pub login_base: String,
    /// The metadata location instead of the one derived from the sign-in URL.
    pub metadata_url: Option<String>,
    /// Fetch the metadata (not with `--no-metadata`).
    pub fetch_metadata: bool,
    /// Folder for `userrealm.json` and `metadata.xml` (created when missing).
    pub out: Option<PathBuf>,
    /// Timeouts, caps and retries.
    pub policy: HttpPolicy,
}

/// What discovery found.
#[derive(Debug, Clone, Serialize)]
pub struct Discovery {
    /// The sign-in name asked about.
    pub user: String,
    /// Its domain.
    pub domain: String,
    /// The getuserrealm URL asked.
    pub userrealm_url: String,
    /// `NameSpaceType`: Federated, Managed or Unknown.
    pub namespace_type: String,
    /// Whether the domain is federated (sign-in happens at the IdP).
    pub federated: bool,
    /// `federation_protocol` (WSTrust for WS-Federation, SAML20 for SAML-P).
    pub federation_protocol: Option<String>,
    /// `AuthURL`: the IdP's sign-in URL Entra sends the browser to.
    pub sign_in_url: Option<String>,
    /// `DomainName` as Entra knows it.
    pub domain_name: Option<String>,
    /// `FederationBrandName`.
    pub federation_brand_name: Option<String>,
    /// `CloudInstanceName`.
    pub cloud_instance: Option<String>,
    /// `MEXURL`: WS-Trust metadata exchange.
    pub mex_url: Option<String>,
    /// `federation_active_auth_url`.
    pub active_auth_url: Option<String>,
    /// Where the metadata is (derived from the sign-in URL, or `--metadata-url`).
    pub metadata_url: Option<String>,
    /// What the metadata says, when fetched.
    pub metadata: Option<DiscoveredMetadata>,
    /// Files written.
    pub files: Vec<String>,
    /// Remarks for the reader.
    pub notes: Vec<String>,
}

/// The parts of the IdP metadata a reader checks first.
#[derive(Debug, Clone, Serialize)]
pub struct DiscoveredMetadata {
    /// `entityID`: what the domain's issuerUri must be.
    pub entity_id: Option<String>,
    /// Passive sign-in (WS-Fed) or SAML SSO URL in the metadata.
    pub sign_in_url: Option<String>,
    /// The signing certificates.
    pub signing_certificates: Vec<CertSummary>,
}

/// One signing certificate.
#[derive(Debug, Clone, Serialize)]
pub struct CertSummary {
    /// Subject, one line.
    pub subject: String,
    /// SHA-1 thumbprint (as AD FS and Entra show it).
    pub sha1_thumbprint: String,
    /// SHA-256 thumbprint.
    pub sha256_thumbprint: String,
    /// Start of validity.
    pub not_before: String,
    /// End of validity.
    pub not_after: String,
    /// Whether it has expired now.
    pub expired: bool,
}

impl CertSummary {
    fn from_info(i: &CertInfo) -> Self {
        let expired = chrono::DateTime::parse_from_rfc3339(&i.not_after)
            .map(|t| t < chrono::Utc::now())
            .unwrap_or(false);
        CertSummary {
            subject: i.subject.clone(),
            sha1_thumbprint: i.sha1_thumbprint.clone(),
            sha256_thumbprint: i.sha256_thumbprint.clone(),
            not_before: i.not_before.clone(),
            not_after: i.not_after.clone(),
            expired,
        }
    }
}

fn prepare_out(dir: &Path) -> Result<(), DiscoveryError> {
    if dir.exists() && !dir.is_dir() {
        return Err(DiscoveryError::OutNotFolder(dir.to_path_buf()));
    }
    std::fs::create_dir_all(dir).map_err(|error| DiscoveryError::Write {
        path: dir.display().to_string(),
        error,
    })
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<String, DiscoveryError> {
    std::fs::write(path, bytes).map_err(|error| DiscoveryError::Write {
        path: path.display().to_string(),
        error,
    })?;
    Ok(path.display().to_string())
}

/// The metadata URL AD FS publishes beside a sign-in URL: same scheme, host and port.
pub fn metadata_url_for(sign_in_url: &str) -> Option<String> {
    let u = url::Url::parse(sign_in_url).ok()?;
    let host = u.host_str()?;
    let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    Some(format!("{}://{host}{port}{METADATA_PATH}", u.scheme()))
}

/// Asks getuserrealm about the user's domain and, when federated, fetches the IdP's metadata.
pub fn discover(o: &DiscoverOptions) -> Result<Discovery, DiscoveryError> {
    let (_, domain) = split_user(&o.user)?;
    let login_base = base(&o.login_base, "--login-base-url")?;
    if let Some(m) = &o.metadata_url {
        base(m, "--metadata-url")?;
    }
    if let Some(dir) = &o.out {
        prepare_out(dir)?;
    }
    let userrealm_url = userrealm_url(&login_base, &o.user)?;
    let raw = get(&userrealm_url, None, Service::UserRealm, &o.policy)?;
    let mut d = read_userrealm(&o.user, domain, userrealm_url, &raw)?;
    if let Some(dir) = &o.out {
        d.files.push(write_file(&dir.join("userrealm.json"), &raw)?);
    }
    if !d.federated {
        d.notes.push(not_federated_note(domain, &d.namespace_type));
        return Ok(d);
    }
    d.metadata_url = o
        .metadata_url
        .clone()
        .or_else(|| d.sign_in_url.as_deref().and_then(metadata_url_for));
    if !o.fetch_metadata {
        return Ok(d);
    }
    let Some(murl) = d.metadata_url.clone() else {
        d.notes
            .push("no sign-in URL to derive the metadata location from; give it with --metadata-url".into());
        return Ok(d);
    };
    let raw_md = get(&murl, None, Service::Metadata, &o.policy)?;
    d.metadata = Some(summarize_metadata(&raw_md, &murl)?);
    if let Some(dir) = &o.out {
        let p = dir.join("metadata.xml");
        d.files.push(write_file(&p, &raw_md)?);
        d.notes.push(format!(
            "Next: fedcheck check <TOKEN> --metadata {} (fetched over the network: compare its signing \
thumbprints with the domain's signingCertificate from `fedcheck fetch-config`)",
            p.display()
        ));
    }
    Ok(d)
}

/// `{login_base}/getuserrealm.srf?login={user}&json=1`.
fn userrealm_url(login_base: &str, user: &str) -> Result<String, DiscoveryError> {
    let mut u =
        url::Url::parse(&format!("{login_base}/getuserrealm.srf")).map_err(|e| DiscoveryError::UnusableBaseUrl {
            option: "--login-base-url",
            error: Some(e),
        })?;
    u.query_pairs_mut().append_pair("login", user).append_pair("json", "1");
    Ok(u.to_string())
}

/// The discovery as far as getuserrealm's JSON answer tells it.
fn read_userrealm(user: &str, domain: &str, userrealm_url: String, raw: &[u8]) -> Result<Discovery, DiscoveryError> {
    let v: serde_json::Value = serde_json::from_slice(raw).map_err(|e| {
        DiscoveryError::unexpected(&userrealm_url, format!("the answer is not getuserrealm JSON ({e})"))
    })?;
    let field = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let namespace_type = field("NameSpaceType")
        .ok_or_else(|| DiscoveryError::unexpected(&userrealm_url, "the answer has no NameSpaceType".into()))?;
    Ok(Discovery {
        user: user.to_string(),
        domain: domain.to_string(),
        userrealm_url,
        federated: namespace_type.eq_ignore_ascii_case("Federated"),
        namespace_type,
        federation_protocol: field("federation_protocol"),
        sign_in_url: field("AuthURL"),
        domain_name: field("DomainName"),
        federation_brand_name: field("FederationBrandName"),
        cloud_instance: field("CloudInstanceName"),
        mex_url: field("MEXURL"),
        active_auth_url: field("federation_active_auth_url"),
        metadata_url: None,
        metadata: None,
        files: Vec::new(),
        notes: Vec::new(),
    })
}

fn not_federated_note(domain: &str, namespace_type: &str) -> String {
    if namespace_type.eq_ignore_ascii_case("Managed") {
        format!("{domain} is not federated: Entra authenticates this domain itself (NameSpaceType Managed)")
    } else {
        format!("{domain} is not known to Entra ID as a verified domain (NameSpaceType {namespace_type})")
    }
}

/// Reads fetched metadata (its signature is not checked: discovery has no anchor for it).
fn summarize_metadata(raw: &[u8], url: &str) -> Result<DiscoveredMetadata, DiscoveryError> {
    let md = metadata::parse_metadata(raw, url, &[])
        .map_err(|e| DiscoveryError::unexpected(url, format!("not usable as metadata: {e}")))?;
    Ok(DiscoveredMetadata {
        entity_id: md.entity_id,
        sign_in_url: md.sign_in_url,
        signing_certificates: md.anchors.iter().map(|a| CertSummary::from_info(&a.info)).collect(),
    })
}

/// The discovery as terminal text.
pub fn render_text(d: &Discovery) -> String {
    let mut s = String::new();
    let mut line = |k: &str, v: &str| s.push_str(&format!("{k:<22}{v}\n"));
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    line("User:", &d.user);
    line("Namespace type:", &d.namespace_type);
    if d.federated {
        line("Federation protocol:", &opt(&d.federation_protocol));
        line("IdP sign-in URL:", &opt(&d.sign_in_url));
        if let Some(b) = &d.federation_brand_name {
            line("Brand name:", b);
        }
        if let Some(m) = &d.mex_url {
            line("MEX URL:", m);
        }
        line("Metadata URL:", &opt(&d.metadata_url));
    }
    if let Some(m) = &d.metadata {
        line("Metadata entityID:", &opt(&m.entity_id));
        for c in &m.signing_certificates {
            line(
                "Signing certificate:",
                &format!(
                    "SHA-1 {}, valid until {}{} ({})",
                    c.sha1_thumbprint,
                    c.not_after,
                    if c.expired { " EXPIRED" } else { "" },
                    c.subject
                ),
            );
        }
    }
    for f in &d.files {
        line("Wrote:", f);
    }
    for n in &d.notes {
        s.push_str(n);
        s.push('\n');
    }
    s
}

/// Reads the Graph token: from `token_file` (trimmed; a leading `Bearer ` is dropped), else `from_env` (the value
/// of [`TOKEN_ENV`], which the command line reads).
pub fn resolve_token(token_file: Option<&Path>, from_env: Option<String>) -> Result<Secret, DiscoveryError> {
    let (raw, origin) = match (token_file, from_env) {
        (Some(p), _) => (read_token_file(p)?, format!("--token-file {}", p.display())),
        (None, Some(s)) if !s.trim().is_empty() => (s, TOKEN_ENV.to_string()),
        (None, _) => return Err(DiscoveryError::NoToken),
    };
    let t = raw.trim();
    let t = t.strip_prefix("Bearer ").map(str::trim).unwrap_or(t);
    if t.is_empty() {
        return Err(DiscoveryError::EmptyToken { origin });
    }
    if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(DiscoveryError::TokenHasSpaces { origin });
    }
    Ok(Secret::new(t))
}

fn read_token_file(p: &Path) -> Result<String, DiscoveryError> {
    let problem = |problem| DiscoveryError::TokenFile {
        path: p.to_path_buf(),
        problem,
    };
    let f = std::fs::File::open(p).map_err(|e| problem(TokenFileProblem::Open(e)))?;
    let bytes = http::read_capped(f, MAX_TOKEN_FILE).map_err(|e| problem(TokenFileProblem::Read(e)))?;
    String::from_utf8(bytes).map_err(|_| problem(TokenFileProblem::NotText))
}

/// The federation settings fetched from Graph.
#[derive(Debug, Clone)]
pub struct GraphFederationConfig {
    /// The URL requested.
    pub url: String,
    /// The answer, verbatim: the `--federation-config` input.
    pub raw: Vec<u8>,
    /// The parsed answer.
    pub json: serde_json::Value,
}

impl GraphFederationConfig {
    /// The entries of `value` (empty for a managed domain).
    pub fn entries(&self) -> &[serde_json::Value] {
        self.json["value"].as_array().map(Vec::as_slice).unwrap_or(&[])
    }

    /// One line per entry: issuerUri, protocol, MFA behaviour, certificate expiry.
    pub fn summary(&self, domain: &str) -> String {
        if self.entries().is_empty() {
            return format!(
                "{domain}: no federation configuration (the domain is managed: Entra authenticates it itself)"
            );
        }
        let mut out = Vec::new();
        for e in self.entries() {
            let s = |k: &str| e[k].as_str().unwrap_or("-").to_string();
            let mfa = match e["federatedIdpMfaBehavior"].as_str() {
                Some(m) => m.to_string(),
                None => "unset (legacy SupportsMfa applies if it was ever set)".into(),
            };
            let mut l = format!(
                "{domain}: issuerUri {}, preferredAuthenticationProtocol {}, federatedIdpMfaBehavior {mfa}",
                s("issuerUri"),
                s("preferredAuthenticationProtocol")
            );
            for (k, label) in [
                ("signingCertificate", "signingCertificate"),
                ("nextSigningCertificate", "next"),
            ] {
                if let Some(b64) = e[k].as_str().filter(|x| !x.is_empty()) {
                    match trust::parse_cert(b64.as_bytes(), k) {
                        Ok(a) => l.push_str(&format!(", {label} expires {}", a.info.not_after)),
                        Err(_) => l.push_str(&format!(", {label} not parseable")),
                    }
                }
            }
            out.push(l);
        }
        out.join("\n")
    }
}

/// GETs `{graph_base}/v1.0/domains/{domain}/federationConfiguration` with the bearer token.
pub fn fetch_federation_config(
    domain: &str,
    token: &Secret,
    graph_base: &str,
    policy: &HttpPolicy,
) -> Result<GraphFederationConfig, DiscoveryError> {
    if !valid_domain(domain) {
        return Err(DiscoveryError::BadDomain {
            domain: domain.to_string(),
        });
    }
    let graph_base = base(graph_base, "--graph-base-url")?;
    let unusable = |error| DiscoveryError::UnusableBaseUrl {
        option: "--graph-base-url",
        error,
    };
    let mut u = url::Url::parse(&graph_base).map_err(|e| unusable(Some(e)))?;
    u.path_segments_mut()
        .map_err(|_| unusable(None))?
        .pop_if_empty()
        .extend(["v1.0", "domains", domain, "federationConfiguration"]);
    let url = u.to_string();
    let raw = get(&url, Some(token), Service::Graph, policy)?;
    let json: serde_json::Value = serde_json::from_slice(&raw)
        .map_err(|e| DiscoveryError::unexpected(&url, format!("the answer is not JSON ({e})")))?;
    if !json["value"].is_array() {
        return Err(DiscoveryError::unexpected(
            &url,
            "the answer has no \"value\" array; not a federationConfiguration list".into(),
        ));
    }
    Ok(GraphFederationConfig { url, raw, json })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_and_domains() {
        assert!(split_user("a@contoso.com").is_ok());
        assert!(split_user("contoso.com").is_err());
        assert!(split_user("@contoso.com").is_err());
        assert!(split_user("a@contoso").is_err());
        assert!(split_user("a@con/toso.com").is_err());
        assert!(!valid_domain("contoso.com/../x"));
    }

    #[test]
    fn metadata_url_keeps_port() {
        assert_eq!(
            metadata_url_for("http://127.0.0.1:4321/adfs/ls/?username=a").as_deref(),
            Some("http://127.0.0.1:4321/FederationMetadata/2007-06/FederationMetadata.xml")
        );
        assert_eq!(
            metadata_url_for("https://sts.contoso.com/adfs/ls/").as_deref(),
            Some("https://sts.contoso.com/FederationMetadata/2007-06/FederationMetadata.xml")
        );
    }

    #[test]
    fn discovery_policy_retries() {
        let p = policy(0, Some(Duration::from_millis(20)));
        assert_eq!(
            (p.timeout, p.retries, p.base_delay),
            (Duration::from_secs(1), RETRIES, Duration::from_millis(20))
        );
        assert_eq!(policy(15, None).base_delay, HttpPolicy::default().base_delay);
    }

    #[test]
    fn token_from_env_value() {
        assert_eq!(
            resolve_token(None, Some(" Bearer abc \n".into())).unwrap().expose(),
            "abc"
        );
        let e = resolve_token(None, Some("  ".into())).unwrap_err().to_string();
        assert!(e.contains("--token-file") && e.contains(TOKEN_ENV), "{e}");
        assert!(resolve_token(None, Some("a b".into())).is_err());
    }
}
