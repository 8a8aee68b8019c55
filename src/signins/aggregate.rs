//! Per-user counts across every input, the filters (`--since`, `--until`, `--app`, `--federated-only`), the join with
//! Partner Center's report, and the `signins --format json` contract and text output.
//!
//! State grows with the number of users (each keeps counts, at most [`MAX_APPS`] application names and three times),
//! never with the number of sign-ins.

use super::partner::{ColumnsUsed, PartnerReport};
use super::read::InputSummary;
use super::{classify, is_unlisted_mfa_result, Class, Limits, SignIn, SigninsError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

/// Application names kept per user (the rest are counted as "+N more").
pub const MAX_APPS: usize = 32;

/// Which sign-ins count.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// `--since` (inclusive).
    pub since: Option<DateTime<Utc>>,
    /// `--until` (inclusive).
    pub until: Option<DateTime<Utc>>,
    /// `--app NAME|ID`: `appDisplayName` or `appId`, case-insensitive.
    pub app: Option<String>,
    /// `--federated-only`.
    pub federated_only: bool,
}

/// The filters as applied, for the report.
#[derive(Debug, Clone, Serialize, Default)]
pub struct FiltersUsed {
    /// `--since`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// `--until`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// `--app`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// `--federated-only`.
    pub federated_only: bool,
}

#[derive(Debug, Default, Clone)]
struct Acc {
    signins: u64,
    mfa_claim: u64,
    mfa_entra: u64,
    single_factor: u64,
    failed: u64,
    apps: BTreeSet<String>,
    more_apps: u64,
    sf_apps: BTreeSet<String>,
    last_sf: Option<DateTime<Utc>>,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
}

fn add_app(set: &mut BTreeSet<String>, more: &mut u64, app: &str) {
    if set.contains(app) {
        return;
    }
    if set.len() < MAX_APPS {
        set.insert(app.to_string());
    } else {
        *more += 1;
    }
}

/// One user in the contract.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UserReport {
    /// `userPrincipalName`, lower-case.
    pub user: String,
    /// Sign-ins counted (after the filters).
    pub signins: u64,
    /// Satisfied by the federated IdP's claim.
    pub mfa_claim: u64,
    /// Satisfied by Entra's MFA.
    pub mfa_entra: u64,
    /// Succeeded without MFA.
    pub single_factor: u64,
    /// Failed or interrupted.
    pub failed: u64,
    /// At least one `single_factor` sign-in.
    pub without_mfa: bool,
    /// Applications signed in to (at most 32 names).
    pub apps: Vec<String>,
    /// Applications of the single-factor sign-ins.
    pub single_factor_apps: Vec<String>,
    /// The last single-factor sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_single_factor: Option<String>,
    /// The first sign-in counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_signin: Option<String>,
    /// The last sign-in counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_signin: Option<String>,
}

/// The `summary` member.
#[derive(Debug, Clone, Serialize, Default, PartialEq, Eq)]
pub struct Summary {
    /// Users in the inputs.
    pub users: u64,
    /// Users with at least one `single_factor` sign-in.
    pub users_without_mfa: u64,
    /// Users whose every successful sign-in was satisfied by the IdP's claim (and who had one).
    pub users_mfa_claim_only: u64,
    /// Users with at least one successful sign-in.
    pub users_with_successful_signins: u64,
    /// Users with no sign-in left after the filters, or only failed ones.
    pub users_without_successful_signins: u64,
    /// Sign-ins counted (after the filters).
    pub signins: u64,
    /// Of which `mfa_claim`.
    pub mfa_claim: u64,
    /// Of which `mfa_entra`.
    pub mfa_entra: u64,
    /// Of which `single_factor`.
    pub single_factor: u64,
    /// Of which `failed`.
    pub failed: u64,
    /// The earliest sign-in counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_signin: Option<String>,
    /// The latest sign-in counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_signin: Option<String>,
}

/// A result string that mentions MFA but is not in the rule's lists (counted as `single_factor`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UnlistedResult {
    /// The string.
    pub result: String,
    /// Sign-ins that carried it.
    pub signins: u64,
}

/// The sign-in nearest before a Partner Center visit.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NearestSignin {
    /// When.
    pub time: String,
    /// The application.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// Its class.
    pub class: Class,
}

/// One Partner Center user joined with the sign-in logs.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PartnerJoined {
    /// The UPN, lower-case.
    pub user: String,
    /// As written in the report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_visit_without_mfa: Option<String>,
    /// How Entra saw MFA for this user: `mfa_claim`, `mfa_entra`, `single_factor`, `not_in_signins`, or
    /// `no_signin_logs` (no sign-in log was given to join with).
    pub entra_saw: &'static str,
    /// What `entra_saw` rests on: `last_signin_before_visit`, `all_signins`, or `none`.
    pub basis: &'static str,
    /// The successful sign-in nearest before the visit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nearest_signin: Option<NearestSignin>,
    /// The user's counts in the sign-in logs (after the filters).
    pub signins: u64,
    /// Of which `mfa_claim`.
    pub mfa_claim: u64,
    /// Of which `mfa_entra`.
    pub mfa_entra: u64,
    /// Of which `single_factor`.
    pub single_factor: u64,
    /// Of which `failed`.
    pub failed: u64,
}

/// The `partner_report` member.
#[derive(Debug, Clone, Serialize)]
pub struct PartnerJoin {
    /// The report file.
    pub file: String,
    /// `json` or `csv`.
    pub format: &'static str,
    /// The columns used.
    pub columns: ColumnsUsed,
    /// Users listed.
    pub listed: u64,
    /// Whether sign-in logs were given to join with.
    pub joined_with_signins: bool,
    /// Each listed user.
    pub users: Vec<PartnerJoined>,
}

/// The whole result: the `signins --format json` contract.
#[derive(Debug, Clone, Serialize)]
pub struct SigninsReport {
    /// Sign-in records read, over every input.
    pub signins: u64,
    /// Every user in the inputs, the ones without MFA first.
    pub users: Vec<UserReport>,
    /// Totals.
    pub summary: Summary,
    /// Records that passed the filters and name a user.
    pub matched: u64,
    /// Records without a user principal name (not attributed to anyone).
    pub unattributed: u64,
    /// The inputs and their shapes.
    pub inputs: Vec<InputSummary>,
    /// The filters.
    pub filters: FiltersUsed,
    /// Result strings that mention MFA but are not in the rule's lists.
    pub unlisted_mfa_results: Vec<UnlistedResult>,
    /// Partner Center's report, joined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_report: Option<PartnerJoin>,
    /// Things a reviewer should know.
    pub notes: Vec<String>,
}

impl SigninsReport {
    /// The exit code: 0 no user signed in without MFA, 1 some did.
    pub fn exit_code(&self) -> u8 {
        if self.summary.users_without_mfa > 0 {
            1
        } else {
            0
        }
    }
}

#[derive(Debug, Clone)]
struct Nearest {
    time: DateTime<Utc>,
    app: Option<String>,
    class: Class,
}

/// Accumulates sign-ins from every input.
pub struct Aggregator {
    filters: Filters,
    limits: Limits,
    users: HashMap<String, Acc>,
    records: u64,
    matched: u64,
    unattributed: u64,
    unparsed_time: u64,
    unlisted: BTreeMap<String, u64>,
    inputs: Vec<InputSummary>,
    partner: Option<PartnerReport>,
    partner_index: HashMap<String, usize>,
    nearest: Vec<Option<Nearest>>,
    joined: bool,
}

impl Aggregator {
    /// A new aggregator; `partner` is Partner Center's report when given.
    pub fn new(filters: Filters, limits: Limits, partner: Option<PartnerReport>) -> Self {
        let mut partner_index = HashMap::new();
        let mut nearest = Vec::new();
        if let Some(p) = &partner {
            for (i, u) in p.users.iter().enumerate() {
                partner_index.insert(u.user.clone(), i);
                nearest.push(None);
            }
        }
        Aggregator {
            filters,
            limits,
            users: HashMap::new(),
            records: 0,
            matched: 0,
            unattributed: 0,
            unparsed_time: 0,
            unlisted: BTreeMap::new(),
            inputs: Vec::new(),
            partner,
            partner_index,
            nearest,
            joined: false,
        }
    }

    /// Records an input's summary (after its records were added).
    pub fn input_done(&mut self, s: InputSummary) {
        self.joined = true;
        self.inputs.push(s);
    }

    fn passes(&self, s: &SignIn) -> bool {
        if let Some(app) = &self.filters.app {
            let a = app.trim();
            let hit = s.app_name.as_deref().is_some_and(|n| n.trim().eq_ignore_ascii_case(a))
                || s.app_id.as_deref().is_some_and(|n| n.trim().eq_ignore_ascii_case(a));
            if !hit {
                return false;
            }
        }
        if self.filters.federated_only && !s.is_federated() {
            return false;
        }
        if let (Some(since), Some(t)) = (self.filters.since, s.time) {
            if t < since {
                return false;
            }
        }
        if let (Some(until), Some(t)) = (self.filters.until, s.time) {
            if t > until {
                return false;
            }
        }
        true
    }

    /// Adds one sign-in read from `file` (its `record`-th).
    pub fn add(&mut self, file: &str, record: u64, s: &SignIn) -> Result<(), SigninsError> {
        self.records += 1;
        if s.time.is_none() {
            if self.filters.since.is_some() || self.filters.until.is_some() {
                return Err(SigninsError::MissingField {
                    file: file.into(),
                    record,
                    field: "readable time (createdDateTime / Date (UTC) / TimeGenerated)",
                    why: match &s.time_text {
                        Some(_) => "its time is in no known form, and --since / --until need it",
                        None => "--since / --until need it",
                    },
                });
            }
            if s.time_text.is_some() {
                self.unparsed_time += 1;
            }
        }
        let Some(upn) = s
            .user
            .as_deref()
            .map(|u| u.trim().to_lowercase())
            .filter(|u| !u.is_empty())
        else {
            self.unattributed += 1;
            return Ok(());
        };
        if !self.users.contains_key(&upn) && self.users.len() >= self.limits.max_users {
            return Err(SigninsError::TooMany {
                file: file.into(),
                what: format!("more than {} distinct users", self.limits.max_users),
            });
        }
        let passes = self.passes(s);
        let acc = self.users.entry(upn.clone()).or_default();
        if !passes {
            return Ok(());
        }
        self.matched += 1;
        let class = classify(s);
        acc.signins += 1;
        match class {
            Class::Failed => acc.failed += 1,
            Class::MfaClaim => acc.mfa_claim += 1,
            Class::MfaEntra => acc.mfa_entra += 1,
            Class::SingleFactor => acc.single_factor += 1,
        }
        let app = s.app_name.as_deref().or(s.app_id.as_deref()).map(str::trim);
        if let Some(a) = app {
            add_app(&mut acc.apps, &mut acc.more_apps, a);
        }
        if let Some(t) = s.time {
            acc.first = Some(acc.first.map_or(t, |f| f.min(t)));
            acc.last = Some(acc.last.map_or(t, |l| l.max(t)));
        }
        if class == Class::SingleFactor {
            if let Some(a) = app {
                let mut dummy = 0;
                add_app(&mut acc.sf_apps, &mut dummy, a);
            }
            if let Some(t) = s.time {
                acc.last_sf = Some(acc.last_sf.map_or(t, |l| l.max(t)));
            }
        }
        if class != Class::Failed {
            for r in &s.results {
                if is_unlisted_mfa_result(r) {
                    if let Some(c) = self.unlisted.get_mut(r.trim()) {
                        *c += 1;
                    } else if self.unlisted.len() < 100 {
                        self.unlisted.insert(r.trim().to_string(), 1);
                    }
                }
            }
        }
        if let (Some(&i), Some(t)) = (self.partner_index.get(&upn), s.time) {
            if class != Class::Failed {
                let visit = self.partner.as_ref().and_then(|p| p.users[i].last_visit);
                let before = visit.is_none_or(|v| t <= v);
                let better = self.nearest[i].as_ref().is_none_or(|n| t > n.time);
                if before && better {
                    self.nearest[i] = Some(Nearest {
                        time: t,
                        app: app.map(str::to_string),
                        class,
                    });
                }
            }
        }
        Ok(())
    }

    /// The report.
    pub fn finish(self) -> SigninsReport {
        let users = self.user_reports();
        let summary = summarize(&users);
        let unlisted: Vec<UnlistedResult> = self
            .unlisted
            .iter()
            .map(|(result, signins)| UnlistedResult {
                result: result.clone(),
                signins: *signins,
            })
            .collect();
        let notes = self.notes(!unlisted.is_empty());
        let partner_report = self.partner_join();
        SigninsReport {
            signins: self.records,
            users,
            summary,
            matched: self.matched,
            unattributed: self.unattributed,
            inputs: self.inputs,
            filters: FiltersUsed {
                since: self.filters.since.map(|t| super::time::format(&t)),
                until: self.filters.until.map(|t| super::time::format(&t)),
                app: self.filters.app.clone(),
                federated_only: self.filters.federated_only,
            },
            unlisted_mfa_results: unlisted,
            partner_report,
            notes,
        }
    }

    /// One row per user, the ones without MFA first.
    fn user_reports(&self) -> Vec<UserReport> {
        let fmt = |t: Option<DateTime<Utc>>| t.map(|t| super::time::format(&t));
        let mut users: Vec<UserReport> = self
            .users
            .iter()
            .map(|(u, a)| {
                let mut apps: Vec<String> = a.apps.iter().cloned().collect();
                if a.more_apps > 0 {
                    apps.push(format!("+{} more", a.more_apps));
                }
                UserReport {
                    user: u.clone(),
                    signins: a.signins,
                    mfa_claim: a.mfa_claim,
                    mfa_entra: a.mfa_entra,
                    single_factor: a.single_factor,
                    failed: a.failed,
                    without_mfa: a.single_factor > 0,
                    apps,
                    single_factor_apps: a.sf_apps.iter().cloned().collect(),
                    last_single_factor: fmt(a.last_sf),
                    first_signin: fmt(a.first),
                    last_signin: fmt(a.last),
                }
            })
            .collect();
        users.sort_by(|a, b| b.without_mfa.cmp(&a.without_mfa).then_with(|| a.user.cmp(&b.user)));
        users
    }

    /// What the reader should know about the inputs: missing Graph pages, unattributed or undated sign-ins, MFA
    /// result strings outside the rule's lists.
    fn notes(&self, has_unlisted: bool) -> Vec<String> {
        let mut notes = Vec::new();
        let last_page_given = self
            .inputs
            .iter()
            .any(|i| i.shape == super::Shape::GraphPage && !i.more_pages);
        for i in self.inputs.iter().filter(|_| !last_page_given) {
            if i.more_pages {
                notes.push(format!(
                    "{}: the page carries @odata.nextLink and no page without it (the last one) was given: Graph has \
                     more sign-ins than these files hold; fetch every page and give them all",
                    i.file
                ));
            }
        }
        if self.unattributed > 0 {
            notes.push(format!(
                "{} sign-in(s) name no user principal name and are not attributed to any user",
                self.unattributed
            ));
        }
        if self.unparsed_time > 0 {
            notes.push(format!(
                "{} sign-in(s) have a time in no known form",
                self.unparsed_time
            ));
        }
        if has_unlisted {
            notes.push(
                "some successful sign-ins carry MFA result strings that are not in the rule's lists (see \
                 unlisted_mfa_results); by the rule they count as single_factor: check them by hand"
                    .into(),
            );
        }
        notes
    }

    /// Partner Center's listed users, each with how Entra saw MFA for them.
    fn partner_join(&self) -> Option<PartnerJoin> {
        let p = self.partner.as_ref()?;
        let rows = p
            .users
            .iter()
            .enumerate()
            .map(|(i, pu)| self.partner_row(i, pu))
            .collect::<Vec<_>>();
        Some(PartnerJoin {
            file: p.file.clone(),
            format: p.format,
            columns: p.columns.clone(),
            listed: rows.len() as u64,
            joined_with_signins: self.joined,
            users: rows,
        })
    }

    fn partner_row(&self, i: usize, pu: &super::partner::PartnerUser) -> PartnerJoined {
        let acc = self.users.get(&pu.user);
        let near = self.nearest[i].clone();
        let (entra_saw, basis) = match (&near, acc) {
            _ if !self.joined => ("no_signin_logs", "none"),
            (Some(n), _) if pu.last_visit.is_some() => (n.class.as_str(), "last_signin_before_visit"),
            (_, Some(a)) if a.mfa_claim + a.mfa_entra + a.single_factor > 0 => (
                if a.single_factor > 0 {
                    "single_factor"
                } else if a.mfa_claim > 0 {
                    "mfa_claim"
                } else {
                    "mfa_entra"
                },
                "all_signins",
            ),
            _ => ("not_in_signins", "none"),
        };
        let a = acc.cloned().unwrap_or_default();
        PartnerJoined {
            user: pu.user.clone(),
            last_visit_without_mfa: pu.last_visit_without_mfa.clone(),
            entra_saw,
            basis,
            nearest_signin: near.map(|n| NearestSignin {
                time: super::time::format(&n.time),
                app: n.app,
                class: n.class,
            }),
            signins: a.signins,
            mfa_claim: a.mfa_claim,
            mfa_entra: a.mfa_entra,
            single_factor: a.single_factor,
            failed: a.failed,
        }
    }
}

/// The run's totals from the user rows.
fn summarize(users: &[UserReport]) -> Summary {
    let mut summary = Summary {
        users: users.len() as u64,
        ..Summary::default()
    };
    for u in users {
        summary.signins += u.signins;
        summary.mfa_claim += u.mfa_claim;
        summary.mfa_entra += u.mfa_entra;
        summary.single_factor += u.single_factor;
        summary.failed += u.failed;
        if let Some(f) = &u.first_signin {
            if summary.first_signin.as_ref().is_none_or(|x| f < x) {
                summary.first_signin = Some(f.clone());
            }
        }
        if let Some(l) = &u.last_signin {
            if summary.last_signin.as_ref().is_none_or(|x| l > x) {
                summary.last_signin = Some(l.clone());
            }
        }
        let ok = u.mfa_claim + u.mfa_entra + u.single_factor;
        if u.without_mfa {
            summary.users_without_mfa += 1;
        }
        if ok > 0 {
            summary.users_with_successful_signins += 1;
            if ok == u.mfa_claim {
                summary.users_mfa_claim_only += 1;
            }
        } else {
            summary.users_without_successful_signins += 1;
        }
    }
    summary
}

fn counts(u: &UserReport) -> String {
    format!(
        "{} sign-in(s): {} mfa_claim, {} mfa_entra, {} single_factor, {} failed",
        u.signins, u.mfa_claim, u.mfa_entra, u.single_factor, u.failed
    )
}

/// The text output: one line per user, the ones without MFA first, with their apps and last single-factor time.
pub fn to_text(r: &SigninsReport) -> String {
    let mut s = String::new();
    if r.inputs.is_empty() {
        return partner_text(r);
    }
    inputs_text(&mut s, r);
    users_text(&mut s, r);
    s.push_str(&partner_text(r));
    if !r.unlisted_mfa_results.is_empty() {
        let _ = writeln!(
            s,
            "\nMFA result strings not in the rule's lists (counted as single_factor):"
        );
        for u in &r.unlisted_mfa_results {
            let _ = writeln!(s, "  \"{}\": {} sign-in(s)", u.result, u.signins);
        }
    }
    for n in &r.notes {
        let _ = writeln!(s, "Note: {n}");
    }
    let _ = writeln!(
        s,
        "\nVerdict: {} of {} user(s) signed in without MFA; {} of {} user(s) with a successful sign-in were satisfied by \
         the IdP's claim on every one.",
        r.summary.users_without_mfa,
        r.summary.users,
        r.summary.users_mfa_claim_only,
        r.summary.users_with_successful_signins
    );
    s
}

/// The first lines: what was read, from which inputs, through which filters.
fn inputs_text(s: &mut String, r: &SigninsReport) {
    let _ = writeln!(
        s,
        "fedcheck signins: {} input(s), {} sign-in(s) read, {} counted, {} user(s), {} without MFA",
        r.inputs.len(),
        r.signins,
        r.matched,
        r.summary.users,
        r.summary.users_without_mfa
    );
    for i in &r.inputs {
        let _ = writeln!(s, "  {}: {}, {} record(s)", i.file, i.shape.describe(), i.records);
    }
    let f = &r.filters;
    let mut parts = Vec::new();
    if let Some(x) = &f.since {
        parts.push(format!("since {x}"));
    }
    if let Some(x) = &f.until {
        parts.push(format!("until {x}"));
    }
    if let Some(x) = &f.app {
        parts.push(format!("app {x}"));
    }
    if f.federated_only {
        parts.push("federated sign-ins only".into());
    }
    if !parts.is_empty() {
        let _ = writeln!(s, "Filters: {}", parts.join(", "));
    }
}

/// The users in three groups: without MFA, with MFA on every successful sign-in, and with no successful sign-in.
fn users_text(s: &mut String, r: &SigninsReport) {
    let counted = |u: &&UserReport| u.mfa_claim + u.mfa_entra > 0;
    let without: Vec<&UserReport> = r.users.iter().filter(|u| u.without_mfa).collect();
    let with: Vec<&UserReport> = r.users.iter().filter(|u| !u.without_mfa && counted(u)).collect();
    let none: Vec<&UserReport> = r.users.iter().filter(|u| !u.without_mfa && !counted(u)).collect();
    if !without.is_empty() {
        let _ = writeln!(s, "\nWithout MFA (at least one single-factor sign-in):");
        for u in without {
            let _ = writeln!(
                s,
                "  NO MFA  {}  {}; single-factor apps: {}; last single-factor {}",
                u.user,
                counts(u),
                if u.single_factor_apps.is_empty() {
                    "(not named)".to_string()
                } else {
                    u.single_factor_apps.join(", ")
                },
                u.last_single_factor.as_deref().unwrap_or("(time not given)")
            );
        }
    }
    if !with.is_empty() {
        let _ = writeln!(s, "\nMFA on every successful sign-in:");
        for u in with {
            let how = if u.mfa_entra == 0 {
                "the IdP's claim"
            } else if u.mfa_claim == 0 {
                "Entra's MFA"
            } else {
                "the IdP's claim and Entra's MFA"
            };
            let _ = writeln!(
                s,
                "  MFA     {}  {}; by {how}; apps: {}",
                u.user,
                counts(u),
                u.apps.join(", ")
            );
        }
    }
    if !none.is_empty() {
        let _ = writeln!(s, "\nNo successful sign-in counted:");
        for u in none {
            let _ = writeln!(s, "  -       {}  {}", u.user, counts(u));
        }
    }
}

/// The Partner Center section of the text output.
fn partner_text(r: &SigninsReport) -> String {
    let mut s = String::new();
    if let Some(p) = &r.partner_report {
        let _ = writeln!(
            s,
            "{}Partner Center MFA report {}: {} user(s) reached Partner Center without MFA; columns used: {} (user){} ({})",
            if r.inputs.is_empty() { "" } else { "\n" },
            p.file,
            p.listed,
            p.columns.user,
            p.columns
                .last_visit
                .as_deref()
                .map(|c| format!(", {c} (last visit)"))
                .unwrap_or_default(),
            p.columns.found_by
        );
        for u in &p.users {
            let saw = match u.entra_saw {
                "mfa_claim" => "Entra saw MFA from the IdP's claim",
                "mfa_entra" => "Entra saw MFA from Entra itself",
                "single_factor" => "Entra saw no MFA",
                "no_signin_logs" => "no sign-in logs given to join with",
                _ => "not in the sign-in logs",
            };
            let basis = match (&u.nearest_signin, u.basis) {
                (Some(n), "last_signin_before_visit") => {
                    format!(
                        " (last sign-in before the visit: {} {})",
                        n.time,
                        n.app.as_deref().unwrap_or("")
                    )
                }
                (_, "all_signins") => " (over all the user's sign-ins; none before the visit)".to_string(),
                _ => String::new(),
            };
            let _ = writeln!(
                s,
                "  {}  last visit without MFA {}: {saw}{}",
                u.user,
                u.last_visit_without_mfa.as_deref().unwrap_or("(not given)"),
                basis.trim_end()
            );
        }
    }
    s
}
