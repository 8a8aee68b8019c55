//! The tenant-wide section of the document (bundles made with `--signins`): how each user of the Entra sign-in
//! logs satisfied MFA, the exports read, and Partner Center's MFA report joined with the logs.

use super::document::{code, t, Block, Inline, Row};
use crate::signins::aggregate::{PartnerJoin, PartnerJoined, SigninsReport, UserReport};

/// One sentence on the sign-in logs, for the reports and request.md.
pub fn signins_sentence(si: &SigninsReport) -> String {
    let sm = &si.summary;
    let period = match (&sm.first_signin, &sm.last_signin) {
        (Some(a), Some(b)) => format!(" between {a} and {b}"),
        _ => String::new(),
    };
    format!(
        "{} of {} user(s) with a successful sign-in{period} were satisfied by the federated IdP's MFA claim on every \
         sign-in; {} user(s) signed in at least once without MFA; {} sign-in(s) counted ({} mfa_claim, {} mfa_entra, \
         {} single_factor, {} failed) from {} export(s), {} user(s) in all.",
        sm.users_mfa_claim_only,
        sm.users_with_successful_signins,
        sm.users_without_mfa,
        sm.signins,
        sm.mfa_claim,
        sm.mfa_entra,
        sm.single_factor,
        sm.failed,
        si.inputs.len(),
        sm.users
    )
}

/// Appends the sign-in logs' section.
pub(super) fn section(d: &mut Vec<Block>, si: &SigninsReport) {
    d.push(Block::Para(vec![
        Inline::Strong("Sign-ins: ".into()),
        if si.summary.users_without_mfa == 0 {
            Inline::Badge("PASS".into(), "pass")
        } else {
            Inline::Badge("FAIL".into(), "fail")
        },
        t(" "),
        t(signins_sentence(si)),
    ]));
    d.push(Block::Para(vec![t(
        "Each sign-in is classified by the result strings of its succeeded authentication steps and \
         status.additionalDetails: mfa_claim is \"MFA requirement satisfied by claim provided by external provider\" \
         (the federated IdP's claim), mfa_entra is Entra's own MFA, single_factor is a success without either, failed \
         is an error code other than 0. authenticationRequirement is not used.",
    )]));
    d.push(Block::Table(vec!["Export", "Shape", "Sign-ins"], export_rows(si)));
    d.push(Block::Table(
        vec![
            "User",
            "Sign-ins",
            "mfa_claim",
            "mfa_entra",
            "single_factor",
            "failed",
            "MFA",
            "Apps",
        ],
        si.users.iter().map(user_row).collect(),
    ));
    if !si.unlisted_mfa_results.is_empty() {
        d.push(Block::List(
            si.unlisted_mfa_results
                .iter()
                .map(|u| {
                    vec![
                        t("Result not in the rule's lists (counted as single_factor): "),
                        code(&u.result),
                        t(format!(" on {} sign-in(s)", u.signins)),
                    ]
                })
                .collect(),
        ));
    }
    if !si.notes.is_empty() {
        d.push(Block::List(si.notes.iter().map(|n| vec![t("Note: "), t(n)]).collect()));
    }
    if let Some(p) = &si.partner_report {
        partner_section(d, p);
    }
}

/// One row per export read, then the filters applied and the sign-ins that passed them.
fn export_rows(si: &SigninsReport) -> Vec<Row> {
    let f = &si.filters;
    let mut filters = Vec::new();
    if let Some(x) = &f.since {
        filters.push(format!("since {x}"));
    }
    if let Some(x) = &f.until {
        filters.push(format!("until {x}"));
    }
    if let Some(x) = &f.app {
        filters.push(format!("app {x}"));
    }
    if f.federated_only {
        filters.push("federated sign-ins only".into());
    }
    let mut rows: Vec<Row> = si
        .inputs
        .iter()
        .map(|i| {
            vec![
                vec![code(&i.file)],
                vec![t(i.shape.describe())],
                vec![t(format!("{}", i.records))],
            ]
        })
        .collect();
    if !filters.is_empty() {
        rows.push(vec![
            vec![t("Filters")],
            vec![t(filters.join(", "))],
            vec![t(format!("{}", si.matched))],
        ]);
    }
    rows
}

/// A user's counts, how they satisfied MFA, and the apps (those reached single-factor, when any were).
fn user_row(u: &UserReport) -> Row {
    let badge = if u.without_mfa {
        Inline::Badge("NO MFA".into(), "fail")
    } else if u.mfa_claim + u.mfa_entra == 0 {
        Inline::Badge("NO SIGN-IN".into(), "warn")
    } else if u.mfa_entra == 0 {
        Inline::Badge("IdP CLAIM".into(), "pass")
    } else if u.mfa_claim == 0 {
        Inline::Badge("ENTRA MFA".into(), "info")
    } else {
        Inline::Badge("CLAIM + ENTRA".into(), "pass")
    };
    let apps = if !u.without_mfa {
        u.apps.join(", ")
    } else {
        format!(
            "single-factor to {}; last {}",
            if u.single_factor_apps.is_empty() {
                "(app not named)".to_string()
            } else {
                u.single_factor_apps.join(", ")
            },
            u.last_single_factor.as_deref().unwrap_or("(time not given)")
        )
    };
    vec![
        vec![code(&u.user)],
        vec![t(format!("{}", u.signins))],
        vec![t(format!("{}", u.mfa_claim))],
        vec![t(format!("{}", u.mfa_entra))],
        vec![t(format!("{}", u.single_factor))],
        vec![t(format!("{}", u.failed))],
        vec![badge],
        vec![t(apps)],
    ]
}

/// Partner Center's MFA report: the columns used, and what Entra saw of each user it lists.
fn partner_section(d: &mut Vec<Block>, p: &PartnerJoin) {
    d.push(Block::Heading(3, "Partner Center MFA report".into()));
    d.push(Block::Para(vec![
        t(format!(
            "{} user(s) reached Partner Center without MFA. Columns used: ",
            p.listed
        )),
        code(&p.columns.user),
        t(" (user)"),
        match &p.columns.last_visit {
            Some(c) => t(format!(", {c} (last visit)")),
            None => t(", no time column"),
        },
        t(format!(", found by {}.", p.columns.found_by)),
    ]));
    d.push(Block::Table(
        vec!["User", "Last visit without MFA", "Entra saw", "Basis"],
        p.users.iter().map(partner_row).collect(),
    ));
}

fn partner_row(u: &PartnerJoined) -> Row {
    let (label, class) = match u.entra_saw {
        "mfa_claim" => ("IdP CLAIM", "pass"),
        "mfa_entra" => ("ENTRA MFA", "info"),
        "single_factor" => ("NO MFA", "fail"),
        _ => ("NOT IN LOGS", "warn"),
    };
    vec![
        vec![code(&u.user)],
        vec![t(u.last_visit_without_mfa.as_deref().unwrap_or("-"))],
        vec![Inline::Badge(label.into(), class)],
        vec![t(match (&u.nearest_signin, u.basis) {
            (Some(n), "last_signin_before_visit") => format!(
                "last sign-in before the visit: {} {}",
                n.time,
                n.app.as_deref().unwrap_or("")
            ),
            (_, "all_signins") => "all the user's sign-ins (none before the visit)".to_string(),
            _ => "-".to_string(),
        })],
    ]
}
