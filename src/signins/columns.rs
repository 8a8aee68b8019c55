//! CSV sign-in exports by their header row: the Entra admin center's download (`Date (UTC)`, `Request ID`, `User`,
//! `Username`, `User ID`, `Application`, `Application ID `, `Status`, `Sign-in error code`, `Multifactor
//! authentication result`, `Token issuer type`, `Incoming token type` (written twice), ...) and a Log Analytics
//! `SigninLogs` export (`TimeGenerated [UTC]`, `ResultType`, `AuthenticationDetails` and `Status` as JSON text,
//! `CreatedDateTime [UTC]`, `UserPrincipalName`, ...). Headers are compared trimmed, case-insensitively, with a
//! ` [UTC]` / ` (UTC)` suffix removed; a duplicated header keeps its first non-empty value.

use super::{Shape, SignIn};

/// Where each needed field is in a row.
#[derive(Debug, Clone)]
pub struct ColumnMap {
    /// The shape recognised.
    pub shape: Shape,
    user: Vec<usize>,
    time: Vec<usize>,
    app_name: Vec<usize>,
    app_id: Vec<usize>,
    error: Vec<usize>,
    status: Vec<usize>,
    mfa_result: Vec<usize>,
    auth_details: Vec<usize>,
    token_issuer_type: Vec<usize>,
    incoming_token_type: Vec<usize>,
    personal: Vec<(&'static str, usize)>,
}

fn norm(h: &str) -> String {
    let t = h.trim().trim_start_matches('\u{feff}').trim();
    let l = t.to_ascii_lowercase();
    let l = l
        .strip_suffix("[utc]")
        .or_else(|| l.strip_suffix("(utc)"))
        .unwrap_or(&l);
    l.trim().to_string()
}

fn find(headers: &[String], names: &[&str]) -> Vec<usize> {
    let mut out = Vec::new();
    for n in names {
        for (i, h) in headers.iter().enumerate() {
            if norm(h) == n.to_ascii_lowercase() && !out.contains(&i) {
                out.push(i);
            }
        }
    }
    out
}

/// Why a header row cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub enum HeaderProblem {
    /// None of the known shapes.
    Unknown {
        /// A hint for near misses.
        hint: String,
    },
    /// A known shape without a needed column: (shape, column, why).
    Missing(&'static str, &'static str, &'static str),
}

const AUTH_DETAILS_HINT: &str = "; this looks like the admin center's AuthDetails file (InteractiveSignIns_AuthDetails_*.csv): give the main sign-ins file (InteractiveSignIns_*.csv), whose Multifactor authentication result column fedcheck reads";

/// The header names of one CSV shape, each field's candidates in order of preference.
struct ShapeColumns {
    /// The shape, as messages name it.
    name: &'static str,
    user: &'static [&'static str],
    time: &'static [&'static str],
    app_name: &'static [&'static str],
    app_id: &'static [&'static str],
    error: &'static [&'static str],
    status: &'static [&'static str],
    mfa_result: &'static [&'static str],
    auth_details: &'static [&'static str],
    token_issuer_type: &'static [&'static str],
    incoming_token_type: &'static [&'static str],
    /// The personal fields (for redaction), by the key [`ColumnMap::personal`] gives them.
    personal: &'static [(&'static str, &'static [&'static str])],
}

/// The Entra admin center's sign-ins download.
const PORTAL_COLUMNS: ShapeColumns = ShapeColumns {
    name: "the admin center's sign-ins CSV",
    user: &["Username"],
    time: &["Date"],
    app_name: &["Application"],
    app_id: &["Application ID"],
    error: &["Sign-in error code"],
    status: &["Status"],
    mfa_result: &["Multifactor authentication result"],
    auth_details: &[],
    token_issuer_type: &["Token issuer type"],
    incoming_token_type: &["Incoming token type"],
    personal: &[
        ("upn", &["Username", "Sign-in identifier"]),
        ("name", &["User"]),
        ("userid", &["User ID"]),
        ("ip", &["IP address", "IP address (seen by resource)"]),
    ],
};

/// A Log Analytics `SigninLogs` export.
const LOG_ANALYTICS_COLUMNS: ShapeColumns = ShapeColumns {
    name: "a Log Analytics SigninLogs CSV",
    user: &["UserPrincipalName"],
    time: &["CreatedDateTime", "TimeGenerated"],
    app_name: &["AppDisplayName"],
    app_id: &["AppId"],
    error: &["ResultType"],
    status: &["Status"],
    mfa_result: &[],
    auth_details: &["AuthenticationDetails"],
    token_issuer_type: &["TokenIssuerType"],
    incoming_token_type: &["IncomingTokenType"],
    personal: &[
        ("upn", &["UserPrincipalName", "SignInIdentifier", "AlternateSignInName"]),
        ("name", &["UserDisplayName"]),
        ("userid", &["UserId"]),
        ("ip", &["IPAddress", "IPAddressFromResourceProvider"]),
    ],
};

/// Recognises the header row; `forced` skips recognition and maps the named shape's columns.
pub fn map_headers(headers: &[String], forced: Option<Shape>) -> Result<ColumnMap, HeaderProblem> {
    let shape = recognise(headers, forced)?;
    let columns = if shape == Shape::PortalCsv {
        &PORTAL_COLUMNS
    } else {
        &LOG_ANALYTICS_COLUMNS
    };
    let m = ColumnMap::locate(shape, columns, headers);
    m.check_needed(columns)?;
    Ok(m)
}

/// The CSV shape of a header row (or the forced one), or why it is none fedcheck reads, with a hint for near
/// misses.
fn recognise(headers: &[String], forced: Option<Shape>) -> Result<Shape, HeaderProblem> {
    let has = |n: &str| headers.iter().any(|h| norm(h) == n);
    let portal = has("date") && has("username") && (has("sign-in error code") || has("status"));
    let la = has("userprincipalname") && (has("resulttype") || has("authenticationdetails"));
    match forced {
        Some(s @ (Shape::PortalCsv | Shape::LogAnalyticsCsv)) => Ok(s),
        Some(_) | None if portal => Ok(Shape::PortalCsv),
        Some(_) | None if la => Ok(Shape::LogAnalyticsCsv),
        _ => {
            let hint = if has("request id") && has("succeeded") && !has("username") {
                AUTH_DETAILS_HINT.to_string()
            } else if has("upn") || headers.iter().any(|h| norm(h).contains("nonmfa")) {
                "; if this is Partner Center's MFA report, give it with --partner-report".to_string()
            } else {
                String::new()
            };
            Err(HeaderProblem::Unknown { hint })
        }
    }
}

impl ColumnMap {
    /// Where the shape's columns are in the header row.
    fn locate(shape: Shape, columns: &ShapeColumns, headers: &[String]) -> ColumnMap {
        ColumnMap {
            shape,
            user: find(headers, columns.user),
            time: find(headers, columns.time),
            app_name: find(headers, columns.app_name),
            app_id: find(headers, columns.app_id),
            error: find(headers, columns.error),
            status: find(headers, columns.status),
            mfa_result: find(headers, columns.mfa_result),
            auth_details: find(headers, columns.auth_details),
            token_issuer_type: find(headers, columns.token_issuer_type),
            incoming_token_type: find(headers, columns.incoming_token_type),
            personal: columns
                .personal
                .iter()
                .flat_map(|&(key, names)| find(headers, names).into_iter().map(move |i| (key, i)))
                .collect(),
        }
    }

    /// The columns without which the file cannot be judged.
    fn check_needed(&self, columns: &ShapeColumns) -> Result<(), HeaderProblem> {
        let missing = |column, why| Err(HeaderProblem::Missing(columns.name, column, why));
        if self.user.is_empty() {
            return missing(columns.user[0], "sign-ins are counted per user principal name");
        }
        if self.error.is_empty() && self.status.is_empty() {
            return missing(
                columns.error[0],
                "a failed sign-in cannot be told from a successful one",
            );
        }
        if self.shape == Shape::PortalCsv && self.mfa_result.is_empty() {
            return missing(
                "Multifactor authentication result",
                "it is the only place this file says how MFA was satisfied",
            );
        }
        if self.shape == Shape::LogAnalyticsCsv && self.auth_details.is_empty() && self.status.is_empty() {
            return missing(
                "AuthenticationDetails",
                "it (or Status) is where the log says how MFA was satisfied; export all columns",
            );
        }
        Ok(())
    }
}

fn first(row: &[String], idx: &[usize]) -> Option<String> {
    idx.iter()
        .filter_map(|&i| row.get(i))
        .find(|v| !v.trim().is_empty())
        .map(|v| v.trim().to_string())
}

/// What is wrong with a row.
#[derive(Debug, PartialEq, Eq)]
pub enum RowProblem {
    /// No error code and no status.
    NoStatus,
}

impl ColumnMap {
    /// Reads one data row.
    pub fn sign_in(&self, row: &[String], personal: bool) -> Result<SignIn, RowProblem> {
        let mut s = SignIn {
            user: first(row, &self.user),
            app_name: first(row, &self.app_name),
            app_id: first(row, &self.app_id),
            token_issuer_type: first(row, &self.token_issuer_type),
            incoming_token_type: first(row, &self.incoming_token_type),
            ..SignIn::default()
        };
        if let Some(t) = first(row, &self.time) {
            s.time = super::time::parse(&t);
            if s.time.is_none() {
                s.time_text = Some(t);
            }
        }
        s.error_code = first(row, &self.error).and_then(|e| e.parse().ok());
        match self.shape {
            Shape::PortalCsv => {
                s.status_text = first(row, &self.status);
                if let Some(r) = first(row, &self.mfa_result) {
                    s.results.push(r);
                }
            }
            _ => {
                // Log Analytics: AuthenticationDetails and Status are JSON text; read them as a record would be.
                let mut o = serde_json::Map::new();
                if let Some(a) = first(row, &self.auth_details) {
                    o.insert("AuthenticationDetails".into(), a.into());
                }
                if let Some(st) = first(row, &self.status) {
                    o.insert("Status".into(), st.into());
                }
                if let Some(code) = s.error_code {
                    o.insert("ResultType".into(), code.into());
                }
                if let Ok(r) = super::record::sign_in(&o, false) {
                    s.results = r.results;
                    s.error_code = s.error_code.or(r.error_code);
                }
            }
        }
        if s.error_code.is_none() && s.status_text.is_none() {
            return Err(RowProblem::NoStatus);
        }
        if personal {
            for (kind, i) in &self.personal {
                if let Some(v) = row.get(*i).filter(|v| !v.trim().is_empty()) {
                    s.personal.push((kind, v.trim().to_string()));
                }
            }
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signins::{classify, Class};

    fn h(s: &str) -> Vec<String> {
        s.split(',').map(str::to_string).collect()
    }

    #[test]
    fn portal_headers_with_trailing_space_and_duplicates() {
        let headers = h("Date (UTC),Request ID,User,Username,Incoming token type,Application,Application ID ,Status,Sign-in error code,Multifactor authentication result,Incoming token type");
        let m = map_headers(&headers, None).unwrap();
        assert_eq!(m.shape, Shape::PortalCsv);
        let row = h("2026-01-15T10:00:00Z,r1,Alice,alice@contoso.test,,Azure Portal,c44b4083,Success,0,MFA requirement satisfied by claim provided by external provider,saml11");
        let s = m.sign_in(&row, false).unwrap();
        assert_eq!(s.app_id.as_deref(), Some("c44b4083"));
        assert_eq!(s.incoming_token_type.as_deref(), Some("saml11"));
        assert_eq!(classify(&s), Class::MfaClaim);
        assert!(s.is_federated());
    }

    #[test]
    fn unknown_and_incomplete_header_sets() {
        assert!(matches!(
            map_headers(&h("a,b,c"), None),
            Err(HeaderProblem::Unknown { .. })
        ));
        match map_headers(&h("Request ID,Authentication method,Succeeded,Result detail"), None) {
            Err(HeaderProblem::Unknown { hint }) => assert!(hint.contains("AuthDetails"), "{hint}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            map_headers(&h("Date (UTC),Username,Status,Sign-in error code"), None),
            Err(HeaderProblem::Missing(_, "Multifactor authentication result", _))
        ));
    }
}
