//! `fedcheck discover` and `fedcheck fetch-config` against wiremock stand-ins for getuserrealm.srf, an AD FS metadata
//! endpoint and Microsoft Graph: success, 401/403/404, 429 then 200, 503 until the retries run out, timeout,
//! oversized bodies, and the Graph token never showing up in any output.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const USER: &str = "alice@contoso.test";
const FED_PATH: &str = "/FederationMetadata/2007-06/FederationMetadata.xml";
const GRAPH_PATH: &str = "/v1.0/domains/contoso.test/federationConfiguration";
/// A distinctive token: it must never appear in stdout, stderr or a written file.
const TOKEN: &str = "eyJ0eXAiOiJKV1Qi.SECRET-fedcheck-test-token-7f3a9c.sig";

struct Out {
    args: Vec<String>,
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Out {
    fn describe(&self) -> String {
        format!(
            "`fedcheck {}` exited {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        )
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.describe()))
    }
    fn assert_no_token(&self) {
        assert!(
            !self.stdout.contains(TOKEN) && !self.stderr.contains(TOKEN) && !self.stderr.contains("SECRET-fedcheck"),
            "the token leaked: {}",
            self.describe()
        );
    }
}

fn metadata_bytes() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/metadata/wsfed-federationmetadata.xml")).unwrap()
}

/// Runs the binary off the async runtime; `token_env` sets FEDCHECK_GRAPH_TOKEN (always removed otherwise).
async fn run(args: &[&str], token_env: Option<&str>) -> Out {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let token_env = token_env.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_fedcheck"));
        cmd.args(&args)
            .env("FEDCHECK_RETRY_BASE_MS", "20")
            .env_remove("FEDCHECK_GRAPH_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(t) = token_env {
            cmd.env("FEDCHECK_GRAPH_TOKEN", t);
        }
        let start = Instant::now();
        let o = cmd.output().expect("run fedcheck");
        Out {
            args,
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            elapsed: start.elapsed(),
        }
    })
    .await
    .expect("join")
}

fn federated_realm(base: &str) -> Value {
    json!({
        "State": 3,
        "UserState": 2,
        "Login": USER,
        "NameSpaceType": "Federated",
        "DomainName": "contoso.test",
        "FederationGlobalVersion": -1,
        "AuthURL": format!("{base}/adfs/ls/?username=alice%40contoso.test&wa=wsignin1.0&wtrealm=urn%3afederation%3aMicrosoftOnline&wctx="),
        "FederationBrandName": "Contoso",
        "AuthNForwardType": 1,
        "CloudInstanceName": "microsoftonline.com",
        "CloudInstanceIssuerUri": "urn:federation:MicrosoftOnline",
        "federation_protocol": "WSTrust",
        "MEXURL": format!("{base}/adfs/services/trust/mex"),
        "federation_active_auth_url": format!("{base}/adfs/services/trust/2005/usernamemixed")
    })
}

fn realm_path() -> wiremock::matchers::PathExactMatcher {
    path("/getuserrealm.srf")
}

async fn mount_realm(server: &MockServer, body: Value) {
    Mock::given(method("GET"))
        .and(realm_path())
        .and(query_param("login", USER))
        .and(query_param("json", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

async fn mount_metadata(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(FED_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/samlmetadata+xml")
                .set_body_bytes(metadata_bytes()),
        )
        .mount(server)
        .await;
}

async fn federated_server() -> MockServer {
    let server = MockServer::start().await;
    mount_realm(&server, federated_realm(&server.uri())).await;
    mount_metadata(&server).await;
    server
}

async fn requests_to(server: &MockServer, p: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == p)
        .count()
}

// ---------------------------------------------------------------------------------------------------- discover

#[tokio::test(flavor = "multi_thread")]
async fn discover_federated_writes_files_ready_for_metadata() {
    let server = federated_server().await;
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("contoso");
    let o = run(
        &[
            "discover",
            USER,
            "--login-base-url",
            &server.uri(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        None,
    )
    .await;
    assert_eq!(o.code, 0, "{}", o.describe());
    assert!(o.stdout.contains("Federated"), "{}", o.describe());
    assert!(o.stdout.contains("WSTrust"), "{}", o.describe());
    assert!(
        o.stdout.contains("http://sts.contoso.test/adfs/services/trust"),
        "{}",
        o.describe()
    );
    assert!(
        o.stdout.contains(&format!("{}{FED_PATH}", server.uri())),
        "{}",
        o.describe()
    );
    // Verbatim files.
    let md = std::fs::read(out_dir.join("metadata.xml")).unwrap();
    assert_eq!(md, metadata_bytes());
    let realm: Value = serde_json::from_slice(&std::fs::read(out_dir.join("userrealm.json")).unwrap()).unwrap();
    assert_eq!(realm, federated_realm(&server.uri()));
    assert_eq!(requests_to(&server, "/getuserrealm.srf").await, 1);
    assert_eq!(requests_to(&server, FED_PATH).await, 1);
    // Ready for --metadata: the file is accepted by `check`.
    let token = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/wsfed/mfa-authmethod-sha256.xml");
    let c = run(
        &[
            "check",
            token.to_str().unwrap(),
            "--metadata",
            out_dir.join("metadata.xml").to_str().unwrap(),
            "--at",
            "2026-01-15T10:05:00Z",
            "--engines",
            "fedcheck",
        ],
        None,
    )
    .await;
    assert_eq!(c.code, 0, "{}", c.describe());
}

#[tokio::test(flavor = "multi_thread")]
async fn discover_federated_json_snapshot() {
    let server = federated_server().await;
    let o = run(
        &["discover", USER, "--login-base-url", &server.uri(), "--format", "json"],
        None,
    )
    .await;
    assert_eq!(o.code, 0, "{}", o.describe());
    let v = o.json();
    assert_eq!(v["namespace_type"], "Federated");
    assert_eq!(v["federated"], true);
    assert_eq!(
        v["metadata"]["entity_id"],
        "http://sts.contoso.test/adfs/services/trust"
    );
    assert_eq!(v["metadata"]["signing_certificates"].as_array().unwrap().len(), 2);
    let redacted = o.stdout.replace(&server.uri(), "http://[mock-server]");
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!("discovery__federated-json", redacted);
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn discover_metadata_url_override_and_no_metadata() {
    let server = MockServer::start().await;
    // AuthURL on a host that does not exist: the override must be used instead.
    let mut realm = federated_realm("https://sts.invalid");
    realm["AuthURL"] = json!("https://sts.invalid/adfs/ls/");
    mount_realm(&server, realm).await;
    Mock::given(method("GET"))
        .and(path("/custom/md.xml"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(metadata_bytes()))
        .expect(1)
        .mount(&server)
        .await;
    let md_url = format!("{}/custom/md.xml", server.uri());
    let o = run(
        &[
            "discover",
            USER,
            "--login-base-url",
            &server.uri(),
            "--metadata-url",
            &md_url,
            "--format",
            "json",
        ],
        None,
    )
    .await;
    assert_eq!(o.code, 0, "{}", o.describe());
    assert_eq!(o.json()["metadata_url"], md_url.as_str());

    let o = run(
        &[
            "discover",
            USER,
            "--login-base-url",
            &server.uri(),
            "--no-metadata",
            "--format",
            "json",
        ],
        None,
    )
    .await;
    assert_eq!(o.code, 0, "{}", o.describe());
    let v = o.json();
    assert_eq!(
        v["metadata_url"],
        "https://sts.invalid/FederationMetadata/2007-06/FederationMetadata.xml"
    );
    assert!(v["metadata"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn discover_managed_exits_1() {
    let server = MockServer::start().await;
    mount_realm(
        &server,
        json!({"State":4,"UserState":1,"Login":USER,"NameSpaceType":"Managed","DomainName":"contoso.test",
               "FederationBrandName":"Contoso","CloudInstanceName":"microsoftonline.com"}),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        &[
            "discover",
            USER,
            "--login-base-url",
            &server.uri(),
            "--out",
            dir.path().to_str().unwrap(),
        ],
        None,
    )
    .await;
    assert_eq!(o.code, 1, "{}", o.describe());
    assert!(
        o.stdout
            .contains("not federated: Entra authenticates this domain itself"),
        "{}",
        o.describe()
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "no metadata fetch");
    assert!(dir.path().join("userrealm.json").exists());
    assert!(!dir.path().join("metadata.xml").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn discover_unknown_exits_1() {
    let server = MockServer::start().await;
    mount_realm(
        &server,
        json!({"State":4,"UserState":1,"Login":USER,"NameSpaceType":"Unknown"}),
    )
    .await;
    let o = run(
        &["discover", USER, "--login-base-url", &server.uri(), "--format", "json"],
        None,
    )
    .await;
    assert_eq!(o.code, 1, "{}", o.describe());
    assert_eq!(o.json()["namespace_type"], "Unknown");
    assert!(o.stderr.contains("not known to Entra ID"), "{}", o.describe());
}

#[tokio::test(flavor = "multi_thread")]
async fn discover_404_is_a_clear_error() {
    let server = MockServer::start().await;
    let o = run(&["discover", USER, "--login-base-url", &server.uri()], None).await;
    assert_eq!(o.code, 2, "{}", o.describe());
    assert!(
        o.stderr.contains("/getuserrealm.srf"),
        "names the URL: {}",
        o.describe()
    );
    assert!(
        o.stderr.contains("404") && o.stderr.contains("not found"),
        "{}",
        o.describe()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn discover_429_then_200_retries_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(realm_path())
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_realm(&server, federated_realm(&server.uri())).await;
    let o = run(
        &["discover", USER, "--login-base-url", &server.uri(), "--no-metadata"],
        None,
    )
    .await;
    assert_eq!(o.code, 0, "{}", o.describe());
    assert_eq!(requests_to(&server, "/getuserrealm.srf").await, 2);
    assert!(
        o.stderr.contains("429") && o.stderr.contains("retry 1/3"),
        "{}",
        o.describe()
    );
    assert!(
        o.elapsed >= Duration::from_millis(900),
        "Retry-After: 1 honoured ({:?})",
        o.elapsed
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn discover_503_gives_up_after_3_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(realm_path())
        .respond_with(ResponseTemplate::new(503))
        .expect(4)
        .mount(&server)
        .await;
    let o = run(&["discover", USER, "--login-base-url", &server.uri()], None).await;
    assert_eq!(o.code, 2, "{}", o.describe());
    assert!(
        o.stderr.contains("503") && o.stderr.contains("after 3 retries"),
        "{}",
        o.describe()
    );
    assert_eq!(requests_to(&server, "/getuserrealm.srf").await, 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn discover_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(realm_path())
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(federated_realm(&server.uri()))
                .set_delay(Duration::from_secs(4)),
        )
        .mount(&server)
        .await;
    let o = run(
        &["discover", USER, "--login-base-url", &server.uri(), "--timeout", "1"],
        None,
    )
    .await;
    assert_eq!(o.code, 2, "{}", o.describe());
    assert!(o.stderr.contains("timed out after 1s"), "{}", o.describe());
    assert!(
        o.elapsed < Duration::from_secs(4),
        "no retry on timeout ({:?})",
        o.elapsed
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn discover_oversized_bodies_are_refused() {
    let big = vec![b' '; 6 * 1024 * 1024];
    // getuserrealm answer too large.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(realm_path())
        .respond_with(ResponseTemplate::new(200).set_body_bytes(big.clone()))
        .mount(&server)
        .await;
    let o = run(&["discover", USER, "--login-base-url", &server.uri()], None).await;
    assert_eq!(o.code, 2, "{}", o.describe());
    assert!(
        o.stderr.contains("larger than the 5242880-byte limit"),
        "{}",
        o.describe()
    );
    // Metadata too large.
    let server = MockServer::start().await;
    mount_realm(&server, federated_realm(&server.uri())).await;
    Mock::given(method("GET"))
        .and(path(FED_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(big))
        .mount(&server)
        .await;
    let o = run(&["discover", USER, "--login-base-url", &server.uri()], None).await;
    assert_eq!(o.code, 2, "{}", o.describe());
    assert!(
        o.stderr.contains(FED_PATH) && o.stderr.contains("larger than"),
        "{}",
        o.describe()
    );
}

/// A raw HTTP/1.1 server sending `total` bytes chunked (no Content-Length): the cap must hold while reading.
fn chunked_server(total: usize) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else { return };
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
            line.clear();
        }
        let mut w = stream;
        let _ = w.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
        let chunk = vec![b' '; 64 * 1024];
        let mut sent = 0;
        while sent < total {
            if w.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).is_err()
                || w.write_all(&chunk).is_err()
                || w.write_all(b"\r\n").is_err()
            {
                return;
            }
            sent += chunk.len();
        }
        let _ = w.write_all(b"0\r\n\r\n");
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread")]
async fn discover_oversized_chunked_body_is_refused() {
    let base = chunked_server(6 * 1024 * 1024);
    let o = run(&["discover", USER, "--login-base-url", &base], None).await;
    assert_eq!(o.code, 2, "{}", o.describe());
    assert!(
        o.stderr.contains("larger than the 5242880-byte limit"),
        "{}",
        o.describe()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn discover_bad_arguments_exit_2() {
    for user in [
        "alice",
        "@contoso.test",
        "alice@",
        "alice@contoso",
        "alice@contoso.test/x",
    ] {
        let o = run(&["discover", user, "--login-base-url", "http://127.0.0.1:9"], None).await;
        assert_eq!(o.code, 2, "{}", o.describe());
        assert!(o.stderr.contains(&format!("USER \"{user}\"")), "{}", o.describe());
        assert!(o.stderr.contains("e.g. someone@contoso.com"), "{}", o.describe());
    }
    let o = run(
        &["discover", USER, "--login-base-url", "http://login.example.com"],
        None,
    )
    .await;
    assert_eq!(o.code, 2, "{}", o.describe());
    assert!(o.stderr.contains("https://"), "{}", o.describe());
}

// ---------------------------------------------------------------------------------------------------- fetch-config

fn graph_body() -> Value {
    let md = String::from_utf8(metadata_bytes()).unwrap();
    let start = md.find("<X509Certificate>").unwrap() + "<X509Certificate>".len();
    let end = start + md[start..].find("</X509Certificate>").unwrap();
    json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#domains('contoso.test')/federationConfiguration",
        "value": [{
            "@odata.type": "#microsoft.graph.internalDomainFederation",
            "id": "6a1b2c3d-0000-4000-8000-000000000001",
            "displayName": "Contoso AD FS",
            "issuerUri": "http://sts.contoso.test/adfs/services/trust",
            "metadataExchangeUri": "https://sts.contoso.test/adfs/services/trust/mex",
            "signingCertificate": md[start..end].trim(),
            "passiveSignInUri": "https://sts.contoso.test/adfs/ls/",
            "preferredAuthenticationProtocol": "wsFed",
            "activeSignInUri": "https://sts.contoso.test/adfs/services/trust/2005/usernamemixed",
            "signOutUri": "https://sts.contoso.test/adfs/ls/",
            "promptLoginBehavior": "nativeSupport",
            "isSignedAuthenticationRequestRequired": false,
            "nextSigningCertificate": null,
            "signingCertificateUpdateStatus": {"certificateUpdateResult": "success", "lastRunDateTime": null},
            "federatedIdpMfaBehavior": "acceptIfMfaDoneByFederatedIdp"
        }]
    })
}

/// Graph stand-in: answers `template` only to the right bearer token.
async fn graph(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(GRAPH_PATH))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

fn token_file(dir: &Path) -> PathBuf {
    let p = dir.join("graph.token");
    std::fs::write(&p, format!("  {TOKEN}\n")).unwrap();
    p
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_config_200_writes_the_file_verbatim() {
    // Pretty-printed with a trailing newline: the file must keep these exact bytes.
    let body = serde_json::to_vec_pretty(&graph_body()).unwrap();
    let server = graph(ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json")).await;
    let dir = tempfile::tempdir().unwrap();
    let tf = token_file(dir.path());
    let out = dir.path().join("domain-fed.json");
    let o = run(
        &[
            "fetch-config",
            "--domain",
            "contoso.test",
            "--token-file",
            tf.to_str().unwrap(),
            "--graph-base-url",
            &server.uri(),
            "--out",
            out.to_str().unwrap(),
        ],
        None,
    )
    .await;
    assert_eq!(o.code, 0, "{}", o.describe());
    let written = std::fs::read(&out).unwrap();
    assert_eq!(written, body, "verbatim");
    assert!(!String::from_utf8_lossy(&written).contains(TOKEN));
    o.assert_no_token();
    for s in [
        "issuerUri http://sts.contoso.test/adfs/services/trust",
        "preferredAuthenticationProtocol wsFed",
        "federatedIdpMfaBehavior acceptIfMfaDoneByFederatedIdp",
        "signingCertificate expires 2035-01-01T00:00:00Z",
    ] {
        assert!(o.stderr.contains(s), "summary has {s:?}: {}", o.describe());
    }
    assert!(o.stdout.is_empty(), "{}", o.describe());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_config_token_from_env_to_stdout() {
    let body = serde_json::to_vec(&graph_body()).unwrap();
    let server = graph(ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json")).await;
    let o = run(
        &[
            "fetch-config",
            "--domain",
            "contoso.test",
            "--graph-base-url",
            &server.uri(),
        ],
        Some(TOKEN),
    )
    .await;
    assert_eq!(o.code, 0, "{}", o.describe());
    assert_eq!(o.stdout.as_bytes(), &body[..]);
    o.assert_no_token();
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_config_http_errors_are_clear_and_never_show_the_token() {
    // The error bodies echo the token, as a careless server might: it must be scrubbed.
    let echo = |code: &str| json!({"error": {"code": code, "message": format!("token {TOKEN} refused")}});
    for (status, code, want) in [
        (
            401,
            "InvalidAuthenticationToken",
            "token rejected (expired or wrong audience: needs Domain.Read.All)",
        ),
        (
            403,
            "Authorization_RequestDenied",
            "forbidden: the token lacks Domain.Read.All",
        ),
        (404, "Request_ResourceNotFound", "domain not found in this tenant"),
    ] {
        let server = graph(ResponseTemplate::new(status).set_body_json(echo(code))).await;
        let dir = tempfile::tempdir().unwrap();
        let tf = token_file(dir.path());
        let out = dir.path().join("out.json");
        let o = run(
            &[
                "fetch-config",
                "--domain",
                "contoso.test",
                "--token-file",
                tf.to_str().unwrap(),
                "--graph-base-url",
                &server.uri(),
                "--out",
                out.to_str().unwrap(),
            ],
            None,
        )
        .await;
        assert_eq!(o.code, 2, "{}", o.describe());
        assert!(o.stderr.contains(want), "{status}: {}", o.describe());
        assert!(o.stderr.contains(GRAPH_PATH), "names the URL: {}", o.describe());
        assert!(o.stderr.contains(code), "{}", o.describe());
        o.assert_no_token();
        assert!(!out.exists(), "nothing written on error");
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            1,
            "no retry on {status}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_config_429_then_200() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(GRAPH_PATH))
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(GRAPH_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(graph_body()))
        .mount(&server)
        .await;
    let o = run(
        &[
            "fetch-config",
            "--domain",
            "contoso.test",
            "--graph-base-url",
            &server.uri(),
        ],
        Some(TOKEN),
    )
    .await;
    assert_eq!(o.code, 0, "{}", o.describe());
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(
            r.headers.get("authorization").unwrap().to_str().unwrap(),
            format!("Bearer {TOKEN}")
        );
    }
    o.assert_no_token();
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_config_timeout_and_oversized() {
    let server = graph(
        ResponseTemplate::new(200)
            .set_body_json(graph_body())
            .set_delay(Duration::from_secs(4)),
    )
    .await;
    let o = run(
        &[
            "fetch-config",
            "--domain",
            "contoso.test",
            "--graph-base-url",
            &server.uri(),
            "--timeout",
            "1",
        ],
        Some(TOKEN),
    )
    .await;
    assert_eq!(o.code, 2, "{}", o.describe());
    assert!(o.stderr.contains("timed out after 1s"), "{}", o.describe());
    o.assert_no_token();

    let server = graph(ResponseTemplate::new(200).set_body_bytes(vec![b' '; 6 * 1024 * 1024])).await;
    let o = run(
        &[
            "fetch-config",
            "--domain",
            "contoso.test",
            "--graph-base-url",
            &server.uri(),
        ],
        Some(TOKEN),
    )
    .await;
    assert_eq!(o.code, 2, "{}", o.describe());
    assert!(o.stderr.contains("larger than"), "{}", o.describe());
    assert!(o.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_config_managed_domain_exits_1() {
    let server = graph(ResponseTemplate::new(200).set_body_json(json!({"value": []}))).await;
    let o = run(
        &[
            "fetch-config",
            "--domain",
            "contoso.test",
            "--graph-base-url",
            &server.uri(),
        ],
        Some(TOKEN),
    )
    .await;
    assert_eq!(o.code, 1, "{}", o.describe());
    assert!(o.stderr.contains("no federation configuration"), "{}", o.describe());
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_config_token_required_and_never_from_argv() {
    let o = run(
        &[
            "fetch-config",
            "--domain",
            "contoso.test",
            "--graph-base-url",
            "http://127.0.0.1:9",
        ],
        None,
    )
    .await;
    assert_eq!(o.code, 2, "{}", o.describe());
    assert!(
        o.stderr.contains("--token-file") && o.stderr.contains("FEDCHECK_GRAPH_TOKEN"),
        "{}",
        o.describe()
    );
    // There is no option that takes the token itself.
    let o = run(
        &[
            "fetch-config",
            "--domain",
            "contoso.test",
            "--token",
            TOKEN,
            "--graph-base-url",
            "http://127.0.0.1:9",
        ],
        None,
    )
    .await;
    assert_eq!(o.code, 2, "{}", o.describe());
    o.assert_no_token();
    // An empty token file.
    let dir = tempfile::tempdir().unwrap();
    let tf = dir.path().join("empty.token");
    std::fs::write(&tf, "\n").unwrap();
    let o = run(
        &[
            "fetch-config",
            "--domain",
            "contoso.test",
            "--token-file",
            tf.to_str().unwrap(),
        ],
        None,
    )
    .await;
    assert_eq!(o.code, 2, "{}", o.describe());
    assert!(o.stderr.contains("empty"), "{}", o.describe());
    // A domain that would change the Graph path.
    let o = run(
        &[
            "fetch-config",
            "--domain",
            "contoso.test/../x",
            "--graph-base-url",
            "http://127.0.0.1:9",
        ],
        Some(TOKEN),
    )
    .await;
    assert_eq!(o.code, 2, "{}", o.describe());
    assert!(o.stderr.contains("not a domain name"), "{}", o.describe());
    o.assert_no_token();
}
