//! Time stamps as the exports write them: RFC 3339 with up to 7 fractional digits (Graph, the portal), no offset
//! (Partner Center's API; read as UTC), Windows PowerShell 5.1's `/Date(ms)/`, and the Log Analytics CSV export's
//! `9/19/2023, 1:45:17.287 PM` (its `[UTC]` columns).

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Parses one time stamp; `None` when it is in none of the known forms.
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    let t = s.trim();
    if t.is_empty() || t.len() > 64 {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    // "2024-05-28 03:59:27Z" / "+00:00" with a space instead of T.
    if t.len() > 10 && t.as_bytes()[10] == b' ' {
        let iso = format!("{}T{}", &t[..10], &t[11..]);
        if let Ok(d) = DateTime::parse_from_rfc3339(&iso) {
            return Some(d.with_timezone(&Utc));
        }
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, f) {
            return Some(Utc.from_utc_datetime(&n));
        }
    }
    if let Some(ms) = t
        .strip_prefix("/Date(")
        .or_else(|| t.strip_prefix("\\/Date("))
        .and_then(|r| r.strip_suffix(")/").or_else(|| r.strip_suffix(")\\/")))
    {
        // "/Date(1716868767000)/" or with an offset suffix "/Date(1716868767000+0000)/" (always UTC milliseconds).
        let digits: &str = match ms.find(['+', '-']) {
            Some(0) => ms,
            Some(i) => &ms[..i],
            None => ms,
        };
        let n: i64 = digits.parse().ok()?;
        return Utc.timestamp_millis_opt(n).single();
    }
    la_csv(t)
}

/// `M/D/YYYY, h:mm:ss[.fff] AM|PM`, the Log Analytics portal's CSV export of datetime columns (in UTC).
fn la_csv(t: &str) -> Option<DateTime<Utc>> {
    let (date, rest) = t.split_once(',')?;
    let mut dp = date.trim().split('/');
    let m: u32 = dp.next()?.parse().ok()?;
    let d: u32 = dp.next()?.parse().ok()?;
    let y: i32 = dp.next()?.parse().ok()?;
    if dp.next().is_some() {
        return None;
    }
    let rest = rest.trim();
    let (clock, ampm) = rest.rsplit_once(' ')?;
    let mut cp = clock.split(':');
    let mut h: u32 = cp.next()?.parse().ok()?;
    let min: u32 = cp.next()?.parse().ok()?;
    let sec_text = cp.next()?;
    if cp.next().is_some() {
        return None;
    }
    let (sec, frac) = match sec_text.split_once('.') {
        Some((s, f)) => (s, f),
        None => (sec_text, ""),
    };
    let sec: u32 = sec.parse().ok()?;
    let nanos: u32 = if frac.is_empty() {
        0
    } else {
        if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        format!("{frac:0<9}").parse().ok()?
    };
    match ampm.to_ascii_uppercase().as_str() {
        "AM" if h == 12 => h = 0,
        "AM" => {}
        "PM" if h < 12 => h += 12,
        "PM" => {}
        _ => return None,
    }
    let date = NaiveDate::from_ymd_opt(y, m, d)?;
    let time = NaiveTime::from_hms_nano_opt(h, min, sec, nanos)?;
    Some(Utc.from_utc_datetime(&NaiveDateTime::new(date, time)))
}

/// RFC 3339, seconds precision, `Z`.
pub fn format(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_export_form() {
        let want = Utc.with_ymd_and_hms(2023, 9, 19, 13, 45, 17).unwrap();
        assert_eq!(parse("2023-09-19T13:45:17Z"), Some(want));
        assert_eq!(
            parse("2023-09-19T13:45:17.0000000Z").map(|t| format(&t)),
            Some(format(&want))
        );
        assert_eq!(parse("2023-09-19T15:45:17+02:00"), Some(want));
        assert_eq!(parse("2023-09-19T13:45:17"), Some(want));
        assert_eq!(parse("2023-09-19 13:45:17"), Some(want));
        assert_eq!(parse("/Date(1695131117000)/"), Some(want));
        assert_eq!(parse("9/19/2023, 1:45:17 PM"), Some(want));
        assert_eq!(
            parse("9/19/2023, 1:45:17.287 PM").map(|t| t.timestamp_millis()),
            Some(want.timestamp_millis() + 287)
        );
        assert_eq!(
            parse("9/19/2023, 12:05:00 AM"),
            Some(Utc.with_ymd_and_hms(2023, 9, 19, 0, 5, 0).unwrap())
        );
        assert_eq!(parse("yesterday"), None);
        assert_eq!(parse("13/45/2023, 1:00:00 PM"), None);
        assert_eq!(parse(""), None);
    }
}
