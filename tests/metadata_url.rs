//! `--metadata <URL>`: fetching IdP metadata over HTTP from a local wiremock server. Plain http is accepted only
//! for loopback hosts (these tests); anywhere else fedcheck requires https, and redirects may not leave https.

mod common;

use common::*;
use std::io::{Read, Write};
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const FED_PATH: &str = "/FederationMetadata/2007-06/FederationMetadata.xml";

fn metadata_bytes(name: &str) -> Vec<u8> {
    std::fs::read(testdata().join("metadata").join(name)).unwrap()
}

/// Runs `check <token> --metadata <url> --at AT --format json <extra>` off the async runtime.
async fn check_with_metadata(token: &str, url: String, extra: &[&str]) -> (Out, Duration) {
    let mut args: Vec<String> = ["check", token, "--metadata", &url, "--at", AT, "--format", "json"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    run_blocking(args).await
}

async fn serve(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(FED_PATH))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn metadata_url_passes() {
    let server = serve(
        ResponseTemplate::new(200)
            .insert_header("content-type", "application/samlmetadata+xml")
            .set_body_bytes(metadata_bytes("wsfed-federationmetadata.xml")),
    )
    .await;
    let url = format!("{}{FED_PATH}", server.uri());
    let (out, _) = check_with_metadata("wsfed/mfa-authmethod-sha256.xml", url.clone(), &[]).await;
    assert_eq!(out.code, 0, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["verdict"], "pass");
    assert_eq!(r["trust"]["metadata"]["source"], url.as_str());
    assert_eq!(r["trust"]["metadata"]["entity_id"], ISSUER);
    assert_eq!(
        r["trust"]["anchors"].as_array().unwrap().len(),
        2,
        "current + next signing certificate"
    );
    let issuer = find_check(&r["tokens"][0], "issuer").expect("issuer check");
    assert_eq!(issuer["status"], "pass");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "metadata fetched exactly once");
    let ua = requests[0]
        .headers
        .get("user-agent")
        .map(|v| v.to_str().unwrap().to_string());
    assert!(
        ua.as_deref().is_some_and(|u| u.starts_with("fedcheck/")),
        "user-agent {ua:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_metadata_url_verified() {
    let server =
        serve(ResponseTemplate::new(200).set_body_bytes(metadata_bytes("saml2-idp-metadata-signed.xml"))).await;
    let url = format!("{}{FED_PATH}", server.uri());
    let (out, _) = check_with_metadata(
        "saml2/mfa-sha256.xml",
        url.clone(),
        &["--metadata-cert", "keys/idp-next.crt"],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.describe());
    assert_eq!(out.json()["trust"]["metadata"]["signature_verified"], true);

    let (out, _) = check_with_metadata(
        "saml2/mfa-sha256.xml",
        url.clone(),
        &["--metadata-cert", "keys/attacker.crt"],
    )
    .await;
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stderr.contains("metadata signature"), "{}", out.describe());
    assert!(out.stderr.contains(&url), "{}", out.describe());
}

#[tokio::test(flavor = "multi_thread")]
async fn metadata_url_404() {
    let server = serve(ResponseTemplate::new(404)).await;
    let url = format!("{}/nope/FederationMetadata.xml", server.uri());
    let (out, _) = check_with_metadata("wsfed/mfa-authmethod-sha256.xml", url.clone(), &[]).await;
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stdout.is_empty(), "{}", out.describe());
    assert!(out.stderr.contains(&url), "error must name the URL: {}", out.describe());
    assert!(out.stderr.contains("404"), "{}", out.describe());
    assert_eq!(out.stderr.trim_end().lines().count(), 1, "{}", out.describe());
}

#[tokio::test(flavor = "multi_thread")]
async fn metadata_url_not_metadata() {
    let server = serve(ResponseTemplate::new(200).set_body_string("<html><body>sign in</body></html>")).await;
    let url = format!("{}{FED_PATH}", server.uri());
    let (out, _) = check_with_metadata("wsfed/mfa-authmethod-sha256.xml", url.clone(), &[]).await;
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stderr.contains(&url), "{}", out.describe());
}

#[tokio::test(flavor = "multi_thread")]
async fn metadata_url_too_large() {
    let body = vec![b' '; 6 * 1024 * 1024];
    let server = serve(ResponseTemplate::new(200).set_body_bytes(body)).await;
    let url = format!("{}{FED_PATH}", server.uri());
    let (out, _) = check_with_metadata("wsfed/mfa-authmethod-sha256.xml", url.clone(), &[]).await;
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stderr.contains(&url), "{}", out.describe());
    assert!(
        out.stderr.contains("larger than") && out.stderr.contains("5242880"),
        "error must mention the size limit: {}",
        out.describe()
    );
}

/// A body without Content-Length (chunked) is capped while reading. wiremock always sends Content-Length, so this
/// uses a bare TCP server.
#[test]
fn metadata_url_too_large_chunked() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf);
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        );
        let chunk = vec![b' '; 64 * 1024];
        for _ in 0..(6 * 16) {
            let head = format!("{:x}\r\n", chunk.len());
            if s.write_all(head.as_bytes())
                .and_then(|_| s.write_all(&chunk))
                .and_then(|_| s.write_all(b"\r\n"))
                .is_err()
            {
                return; // the client hung up, as it should
            }
        }
        let _ = s.write_all(b"0\r\n\r\n");
    });
    let url = format!("http://127.0.0.1:{port}{FED_PATH}");
    let out = run(&[
        "check",
        "wsfed/mfa-authmethod-sha256.xml",
        "--metadata",
        &url,
        "--at",
        AT,
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stderr.contains(&url), "{}", out.describe());
    assert!(out.stderr.contains("larger than"), "{}", out.describe());
    server.join().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn metadata_url_slow_times_out() {
    let test_start = Instant::now();
    let server = serve(
        ResponseTemplate::new(200)
            .set_body_bytes(metadata_bytes("wsfed-federationmetadata.xml"))
            .set_delay(Duration::from_secs(3)),
    )
    .await;
    let url = format!("{}{FED_PATH}", server.uri());
    let (out, took) = check_with_metadata(
        "wsfed/mfa-authmethod-sha256.xml",
        url.clone(),
        &["--fetch-timeout", "1"],
    )
    .await;
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stderr.contains(&url), "{}", out.describe());
    assert!(
        out.stderr.to_lowercase().contains("timed out"),
        "error must mention the timeout: {}",
        out.describe()
    );
    assert!(
        took < Duration::from_millis(2900),
        "fedcheck waited {took:?} although --fetch-timeout is 1 s"
    );
    drop(server);
    assert!(
        test_start.elapsed() < Duration::from_secs(10),
        "test took {:?}",
        test_start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn metadata_url_unreachable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}{FED_PATH}");
    let (out, took) = check_with_metadata(
        "wsfed/mfa-authmethod-sha256.xml",
        url.clone(),
        &["--fetch-timeout", "5"],
    )
    .await;
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stdout.is_empty(), "{}", out.describe());
    assert!(out.stderr.contains(&url), "{}", out.describe());
    assert!(out.stderr.contains("could not be fetched"), "{}", out.describe());
    assert!(took < Duration::from_secs(5), "refused connection took {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn metadata_url_redirect_followed() {
    // A redirect within loopback http is followed; the source reported is the URL the user gave.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/old"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", FED_PATH))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(FED_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(metadata_bytes("wsfed-federationmetadata.xml")))
        .mount(&server)
        .await;
    let url = format!("{}/old", server.uri());
    let (out, _) = check_with_metadata("wsfed/mfa-authmethod-sha256.xml", url.clone(), &[]).await;
    assert_eq!(out.code, 0, "{}", out.describe());
    assert_eq!(out.json()["trust"]["metadata"]["source"], url.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_metadata_off_loopback_is_refused() {
    // Nothing listens there; the refusal must come before any connection attempt.
    let url = "http://sts.contoso.test/FederationMetadata/2007-06/FederationMetadata.xml".to_string();
    let (out, took) = check_with_metadata("wsfed/mfa-authmethod-sha256.xml", url.clone(), &[]).await;
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stdout.is_empty(), "{}", out.describe());
    assert!(
        out.stderr.contains("plain http:// metadata is refused"),
        "{}",
        out.describe()
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
}
