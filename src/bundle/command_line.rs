//! The command line as a bundle records it (manifest.json, the reports, README.md): the program named `fedcheck`,
//! secrets removed (option values named key, secret, password, token or credential; URL user information and
//! signature or token query values), `--out` reduced to the bundle's folder name; and as one shell-quoted line.

use std::path::Path;

/// An option whose value is a secret: `--redaction-key`, or one whose name has a part key, secret, password,
/// passwd, token, credential or auth.
fn secret_flag(flag: &str) -> bool {
    let f = flag.trim_start_matches('-').to_ascii_lowercase();
    f == "redaction-key"
        || ["key", "secret", "password", "passwd", "token", "credential", "auth"]
            .iter()
            .any(|w| f.split(['-', '_']).any(|p| p == *w))
}

/// A URL query parameter that usually carries a secret (signatures, tokens, codes, keys, passwords).
fn secret_query_name(n: &str) -> bool {
    let n = n.to_ascii_lowercase();
    [
        "sig",
        "signature",
        "token",
        "access_token",
        "code",
        "key",
        "secret",
        "password",
        "pwd",
        "apikey",
        "api_key",
        "sv",
        "se",
    ]
    .contains(&n.as_str())
}

/// Removes secrets from a URL: user information, and the values of query parameters that usually carry them.
pub(super) fn sanitize_url(s: &str) -> String {
    let Ok(mut u) = url::Url::parse(s) else {
        return s.to_string();
    };
    if !matches!(u.scheme(), "http" | "https") {
        return s.to_string();
    }
    let mut changed = false;
    if !u.username().is_empty() || u.password().is_some() {
        let _ = u.set_username("");
        let _ = u.set_password(None);
        changed = true;
    }
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        if pairs.iter().any(|(k, _)| secret_query_name(k)) {
            let mut q = u.query_pairs_mut();
            q.clear();
            for (k, v) in &pairs {
                q.append_pair(k, if secret_query_name(k) { "REDACTED" } else { v });
            }
            drop(q);
            changed = true;
        }
    }
    if changed {
        u.to_string()
    } else {
        s.to_string()
    }
}

/// The command line as recorded in manifest.json: the program as `fedcheck`; the values of `--redaction-key` and
/// of any option whose name says key, secret, password, token or credential replaced by `REDACTED`; URLs without
/// user information or signature/token query values; `--out` reduced to the bundle's folder name (so the same run
/// into another parent folder yields the same manifest).
pub fn sanitize_command_line(args: &[String]) -> Vec<String> {
    let mut out = vec!["fedcheck".to_string()];
    let mut i = 1;
    while i < args.len() {
        let a = &args[i];
        if let Some((flag, value)) = a.split_once('=').filter(|(f, _)| f.starts_with("--")) {
            if secret_flag(flag) {
                out.push(format!("{flag}=REDACTED"));
            } else if flag == "--out" {
                out.push(format!("{flag}={}", out_name(value)));
            } else {
                out.push(format!("{flag}={}", sanitize_url(value)));
            }
            i += 1;
            continue;
        }
        if a.starts_with("--") && secret_flag(a) {
            out.push(a.clone());
            if i + 1 < args.len() {
                out.push("REDACTED".into());
            }
            i += 2;
            continue;
        }
        if a == "--out" && i + 1 < args.len() {
            out.push(a.clone());
            out.push(out_name(&args[i + 1]));
            i += 2;
            continue;
        }
        out.push(sanitize_url(a));
        i += 1;
    }
    out
}

/// The last component of a path as given (`a/evidence/` -> `evidence`).
pub(super) fn out_name(p: &str) -> String {
    Path::new(p.trim_end_matches('/'))
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.to_string())
}

/// A command line as one shell-quoted line (for the reports and README).
pub fn shell_line(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c)) {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_secrets() {
        let args: Vec<String> = [
            "/usr/bin/fedcheck",
            "bundle",
            "x.har",
            "--redaction-key",
            "s3cret",
            "--api-token=abc",
            "--metadata",
            "https://u:p@idp.example/md?sig=XYZ&a=1",
            "--out",
            "/tmp/a/evidence/",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let s = sanitize_command_line(&args);
        assert_eq!(
            s,
            vec![
                "fedcheck",
                "bundle",
                "x.har",
                "--redaction-key",
                "REDACTED",
                "--api-token=REDACTED",
                "--metadata",
                "https://idp.example/md?sig=REDACTED&a=1",
                "--out",
                "evidence"
            ]
        );
    }
}
