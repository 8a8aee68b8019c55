//! Instants as the checks read and write them: xs:dateTime in, RFC 3339 to the second out, and ages in words.

use chrono::{DateTime, Duration, Utc};

/// An instant as messages show it (`2026-01-15T10:05:00Z`).
pub(super) fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// An xs:dateTime with its zone, as SAML writes instants; `None` when it is not one.
pub(super) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// "5 min", "3 h", ... for an age.
pub(super) fn human_age(d: Duration) -> String {
    let s = d.num_seconds().abs();
    match s {
        0..120 => format!("{s} s"),
        120..7200 => format!("{} min", s / 60),
        7200..172_800 => format!("{} h", s / 3600),
        _ => format!("{} days", s / 86_400),
    }
}
