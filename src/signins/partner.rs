//! Partner Center's MFA report: the partner users who reached Partner Center without MFA, with their last such visit.
//!
//! The API (`GET /v1/nonMfaCompliantPartnerPrincipals`) documents `objectId`, `tenantId`, `upn` and
//! `lastNonMfaCompliantRequestDateTime` in `{"totalCount", "items": [...]}` (the resources page calls the time
//! `LastNonMfaCompliantLoginDateTime`); the time has no offset and is read as UTC. The portal's download is not
//! documented: its columns are found by header (a UPN or e-mail column, a date column), falling back to the values
//! (the column whose values hold `@`), and the report says which columns were used.

use super::csvstream::{CsvError, Rows};
use super::jsonstream::Scanner;
use super::record;
use super::{Limits, SigninsError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};

/// One listed user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartnerUser {
    /// The user principal name, lower-case.
    pub user: String,
    /// The last visit without MFA, when the report has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_visit_without_mfa: Option<String>,
    /// Parsed [`Self::last_visit_without_mfa`].
    #[serde(skip)]
    pub last_visit: Option<DateTime<Utc>>,
    /// `objectId`, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    /// `tenantId`, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
}

/// The report read.
#[derive(Debug, Clone, Serialize)]
pub struct PartnerReport {
    /// The file.
    pub file: String,
    /// `json` (the API's shape) or `csv`.
    pub format: &'static str,
    /// Which columns or members gave the user and the time, and how they were found.
    pub columns: ColumnsUsed,
    /// The users, in file order, one entry per user (the latest visit kept).
    pub users: Vec<PartnerUser>,
}

/// Which columns were used.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnsUsed {
    /// The UPN column or member.
    pub user: String,
    /// The time column or member, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_visit: Option<String>,
    /// `documented API member`, `header`, or `values`.
    pub found_by: &'static str,
}

const UPN_MEMBERS: [&str; 2] = ["upn", "userPrincipalName"];
const TIME_MEMBERS: [&str; 2] = ["lastNonMfaCompliantRequestDateTime", "lastNonMfaCompliantLoginDateTime"];

fn norm(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn upn_header(h: &str) -> bool {
    matches!(
        norm(h).as_str(),
        "upn"
            | "userprincipalname"
            | "principalname"
            | "username"
            | "signinname"
            | "email"
            | "emailaddress"
            | "mail"
            | "user"
            | "useremail"
    )
}

fn time_header(h: &str) -> bool {
    let n = norm(h);
    n.contains("date") || n.contains("time") || n.contains("lastvisit") || n.contains("lastseen")
}

fn push(users: &mut Vec<PartnerUser>, u: PartnerUser) {
    if let Some(e) = users.iter_mut().find(|x| x.user == u.user) {
        if u.last_visit > e.last_visit {
            *e = u;
        }
    } else {
        users.push(u);
    }
}

/// Reads the report (JSON or CSV, detected).
pub fn read(file: &str, input: impl Read, limits: &Limits) -> Result<PartnerReport, SigninsError> {
    let mut r = BufReader::with_capacity(64 * 1024, input);
    let head = r
        .fill_buf()
        .map_err(|e| SigninsError::Io {
            file: file.into(),
            source: e,
        })?
        .to_vec();
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(SigninsError::NotSignins {
            file: file.into(),
            why: "the Partner Center report is empty".into(),
        });
    }
    if super::read::sniff(&head).json {
        read_json(file, r, limits)
    } else {
        read_csv(file, r, limits)
    }
}

fn read_json(file: &str, r: impl BufRead, limits: &Limits) -> Result<PartnerReport, SigninsError> {
    let mut users = Vec::new();
    let mut n = 0u64;
    let mut time_member: Option<String> = None;
    Scanner::new(r, limits.max_record_bytes)
        .records(|v, _| {
            n += 1;
            let Value::Object(o) = v else {
                return Err(SigninsError::NotSignins {
                    file: file.into(),
                    why: format!("entry {n} of the Partner Center report is not an object"),
                });
            };
            let Some(upn) = record::text(&o, &UPN_MEMBERS) else {
                return Err(SigninsError::MissingField {
                    file: file.into(),
                    record: n,
                    field: "upn",
                    why: "the Partner Center report lists users by upn",
                });
            };
            let when = record::text(&o, &TIME_MEMBERS);
            if when.is_some() && time_member.is_none() {
                time_member = o
                    .keys()
                    .find(|k| TIME_MEMBERS.iter().any(|t| k.eq_ignore_ascii_case(t)))
                    .cloned();
            }
            if users.len() >= limits.max_users {
                return Err(SigninsError::TooMany {
                    file: file.into(),
                    what: format!("more than {} users", limits.max_users),
                });
            }
            push(
                &mut users,
                PartnerUser {
                    user: upn.trim().to_lowercase(),
                    last_visit: when.as_deref().and_then(super::time::parse),
                    last_visit_without_mfa: when,
                    object_id: record::text(&o, &["objectId"]),
                    tenant_id: record::text(&o, &["tenantId"]),
                },
            );
            Ok(())
        })
        .map_err(|e| super::read::scan_error(file, e, n, limits.max_record_bytes))?;
    Ok(PartnerReport {
        file: file.into(),
        format: "json",
        columns: ColumnsUsed {
            user: "upn".into(),
            last_visit: time_member,
            found_by: "documented API member",
        },
        users,
    })
}

fn read_csv(file: &str, r: impl BufRead, limits: &Limits) -> Result<PartnerReport, SigninsError> {
    let mut rows = Rows::new(r, limits.max_record_bytes);
    let err = |e: CsvError, row: u64| super::read::csv_error(file, limits, e, row, "not UTF-8");
    let headers = rows.next_row().map_err(|e| err(e, 1))?.unwrap_or_default();
    // Keep the first rows to decide by values when the headers do not tell.
    let mut buffered: Vec<Vec<String>> = Vec::new();
    while buffered.len() < 50 {
        match rows.next_row().map_err(|e| err(e, rows.row + 1))? {
            Some(r) => buffered.push(r),
            None => break,
        }
    }
    let (user_col, found_by) = user_column(file, &headers, &buffered)?;
    let time_col = time_column(&headers, &buffered, user_col);
    let mut users = Vec::new();
    let mut take = |row: &[String]| -> Result<(), SigninsError> {
        let Some(user) = csv_user(row, user_col, time_col) else {
            return Ok(());
        };
        if users.len() >= limits.max_users {
            return Err(SigninsError::TooMany {
                file: file.into(),
                what: format!("more than {} users", limits.max_users),
            });
        }
        push(&mut users, user);
        Ok(())
    };
    for r in &buffered {
        take(r)?;
    }
    while let Some(r) = rows.next_row().map_err(|e| err(e, rows.row + 1))? {
        take(&r)?;
    }
    Ok(PartnerReport {
        file: file.into(),
        format: "csv",
        columns: ColumnsUsed {
            user: headers.get(user_col).map(|h| h.trim().to_string()).unwrap_or_default(),
            last_visit: time_col.and_then(|i| headers.get(i)).map(|h| h.trim().to_string()),
            found_by,
        },
        users,
    })
}

/// The user column: the one whose header names a UPN or e-mail, else the one whose values are all `user@domain`;
/// with how it was found (`header` or `values`).
fn user_column(file: &str, headers: &[String], rows: &[Vec<String>]) -> Result<(usize, &'static str), SigninsError> {
    if let Some(i) = headers.iter().position(|h| upn_header(h)) {
        return Ok((i, "header"));
    }
    let by_values = column_where_all(headers, rows, None, |v| v.contains('@') && !v.contains(' '));
    let i = by_values.ok_or_else(|| SigninsError::NotSignins {
        file: file.into(),
        why: format!(
            "no user column in the Partner Center report: no header names a UPN or e-mail ({}) and no column \
             holds user@domain values",
            headers.iter().take(8).map(|h| h.trim()).collect::<Vec<_>>().join(", ")
        ),
    })?;
    Ok((i, "values"))
}

/// The last-visit column other than the user's: the one named for non-MFA visits, else one whose header names a
/// time, else the column whose values all read as times.
fn time_column(headers: &[String], rows: &[Vec<String>], user_col: usize) -> Option<usize> {
    let named = |pred: &dyn Fn(&String) -> bool| {
        headers
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != user_col)
            .find(|(_, h)| pred(h))
            .map(|(i, _)| i)
    };
    named(&|h| norm(h).contains("nonmfa"))
        .or_else(|| named(&|h| time_header(h)))
        .or_else(|| column_where_all(headers, rows, Some(user_col), |v| super::time::parse(v).is_some()))
}

/// The first column (other than `skip`) with a value in some row whose every non-empty value satisfies `pred`.
fn column_where_all(
    headers: &[String],
    rows: &[Vec<String>],
    skip: Option<usize>,
    pred: impl Fn(&str) -> bool,
) -> Option<usize> {
    (0..headers.len()).filter(|&i| Some(i) != skip).find(|&i| {
        let vals: Vec<&String> = rows.iter().filter_map(|r| r.get(i)).filter(|v| !v.is_empty()).collect();
        !vals.is_empty() && vals.iter().all(|v| pred(v))
    })
}

/// One CSV row's user and last non-MFA visit; `None` for a row without a user.
fn csv_user(row: &[String], user_col: usize, time_col: Option<usize>) -> Option<PartnerUser> {
    let user = row.get(user_col).map(|s| s.trim()).filter(|s| !s.is_empty())?;
    let when = time_col
        .and_then(|i| row.get(i))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    Some(PartnerUser {
        user: user.to_lowercase(),
        last_visit: when.as_deref().and_then(super::time::parse),
        last_visit_without_mfa: when,
        object_id: None,
        tenant_id: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_json_and_csv_by_header_and_by_values() {
        let api = r#"{"totalCount":1,"items":[{"objectId":"o","tenantId":"t","upn":"Portal@X.test","lastNonMfaCompliantRequestDateTime":"2020-04-21T22:09:53.051"}],"attributes":{"objectType":"Collection"}}"#;
        let r = read("a.json", api.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(r.users[0].user, "portal@x.test");
        assert!(r.users[0].last_visit.is_some());
        assert_eq!(
            r.columns.last_visit.as_deref(),
            Some("lastNonMfaCompliantRequestDateTime")
        );
        let csv = "Name,User Principal Name,Last Non-MFA Login (UTC)\nAlice,alice@x.test,2026-01-10T08:00:00Z\n";
        let r = read("a.csv", csv.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(r.columns.user, "User Principal Name");
        assert_eq!(r.columns.last_visit.as_deref(), Some("Last Non-MFA Login (UTC)"));
        assert_eq!(r.columns.found_by, "header");
        let csv = "Who,When\nalice@x.test,2026-01-10T08:00:00Z\n";
        let r = read("b.csv", csv.as_bytes(), &Limits::default()).unwrap();
        assert_eq!((r.columns.user.as_str(), r.columns.found_by), ("Who", "values"));
        assert_eq!(r.columns.last_visit.as_deref(), Some("When"));
        assert!(read("c.csv", "a,b\n1,2\n".as_bytes(), &Limits::default()).is_err());
    }
}
