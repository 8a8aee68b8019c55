//! The AD FS claim rule language: the issuance transform rules of the "Microsoft Office 365 Identity Platform"
//! relying party trust, parsed and linted for what Entra needs.
//!
//! There is no maintained Rust crate for the AD FS claim rule language, so this module carries a small hand-written
//! lexer and recursive-descent parser. It understands:
//!
//! - annotations before a rule: `@RuleTemplate = "..."`, `@RuleName = "..."` (any `@Name = "..."` is kept);
//! - `//` line comments and `/* */` block comments; strings in double quotes with `\"` and `\\` escapes;
//! - conditions joined by `&&`: claim selectors `tag:[Type == "...", Value =~ "..."]` (the tag is optional),
//!   `exists([...])` and `NOT EXISTS([...])`, with the properties Type, Value, Issuer, OriginalIssuer, ValueType and
//!   the operators `==`, `!=`, `=~`, `!~`; no condition at all (`=> issue(...)`) means "always";
//! - `=>` then one action, `issue(...)` or `add(...)`: a copy (`claim = c`), a new claim (`Type = ..., Value = ...,
//!   ValueType, Issuer, OriginalIssuer, Properties["..."] = ...`), or an attribute store query (`store = "...",
//!   types = ("...", ...), query = "...", param = ...`); values are strings, `tag.Property`, function calls such as
//!   `RegExReplace(c.Value, "...", "...")`, joined by `+`;
//! - `;` ends a rule.
//!
//! What it does not understand is reported, never guessed: a rule that does not parse becomes an [`Unparsed`]
//! (line, text, reason) and parsing resumes after the next `;`. Known gaps: aggregate functions other than
//! `exists` / `NOT EXISTS` (e.g. `count`), and strings spanning lines.
//!
//! Keywords and property names are case-insensitive (the claim rule language accepts `type` and `Type`); claim
//! types are compared case-insensitively.
//!
//! One file per step: `lexer` (tokens), `parser` (the [`RuleSet`] and why a rule was not understood,
//! [`SyntaxError`]), `syntax` (the tree and how it reads), `lint` (the findings, [`LintCheck`], from [`lint()`]). This
//! module reads no files and writes no reports: `lint-config` (the `lint` module) does, for claim rules on their own
//! and for the rules inside a relying-party trust export.

mod lexer;
mod lint;
mod parser;
mod syntax;

pub use lexer::is_blank;
pub use lint::{
    lint, LintCheck, IMMUTABLEID_URI, INSIDE_CORPNET_URI, ISSUERID_URI, NAMEIDENTIFIER_URI, PASSTHROUGH_RULE_NAME,
    UPN_URI,
};
pub use parser::{parse, SyntaxError};
pub use syntax::{summary, Action, Body, Condition, Expr, Op, Property, Rule, RuleSet, Test, Unparsed, Verb};

#[cfg(test)]
mod tests {
    use super::lint::{mfa_gate, MfaGate};
    use super::syntax::produced_types;
    use super::*;
    use crate::rules::{AMR_URI, AUTHMETHOD_URI, MULTIPLEAUTHN};

    fn one(src: &str) -> Rule {
        let set = parse(src);
        assert!(set.unparsed.is_empty(), "{:?}", set.unparsed);
        assert_eq!(set.rules.len(), 1);
        set.rules.into_iter().next().unwrap()
    }

    #[test]
    fn passthrough_with_annotations_and_comments() {
        let r = one(
            "// a comment\n@RuleTemplate = \"PassThroughClaims\"\n/* block\ncomment */ @RuleName = \"Pass through claim - authnmethodsreferences\"\nc:[Type == \"http://schemas.microsoft.com/claims/authnmethodsreferences\"]\n => issue(claim = c); // trailing",
        );
        assert_eq!(r.name.as_deref(), Some(PASSTHROUGH_RULE_NAME));
        assert_eq!(r.template.as_deref(), Some("PassThroughClaims"));
        assert_eq!(r.line, 2);
        assert_eq!(
            r.action,
            Action {
                verb: Verb::Issue,
                body: Body::Copy { tag: "c".into() }
            }
        );
        assert_eq!(
            r.conditions,
            vec![Condition::Select {
                tag: Some("c".into()),
                tests: vec![Test {
                    property: Property::Type,
                    op: Op::Eq,
                    value: AMR_URI.into()
                }]
            }]
        );
    }

    #[test]
    fn escapes_in_strings() {
        let r = one(r#"c:[Type == "t", Value =~ "^a\\b\"c$"] => issue(Type = "x", Value = "say \"hi\"");"#);
        let Condition::Select { tests, .. } = &r.conditions[0] else {
            panic!()
        };
        assert_eq!(tests[1].value, r#"^a\b"c$"#);
        assert_eq!(tests[1].op, Op::Match);
        let Body::New { value, .. } = &r.action.body else {
            panic!()
        };
        assert_eq!(value, &Some(Expr::Str("say \"hi\"".into())));
        // Other backslashes stay as written (regular expressions).
        let r = one(r#"c:[Type == "t", Value =~ "^\d+$"] => issue(claim = c);"#);
        let Condition::Select { tests, .. } = &r.conditions[0] else {
            panic!()
        };
        assert_eq!(tests[1].value, r"^\d+$");
    }

    #[test]
    fn exists_and_not_exists() {
        let r = one("exists([Type == \"a\"]) && NOT EXISTS([Type == \"b\", Value != \"x\"]) => add(Type = \"c\", Value = \"1\");");
        assert_eq!(r.action.verb, Verb::Add);
        assert!(matches!(&r.conditions[0], Condition::Exists { negated: false, tests } if tests.len() == 1));
        assert!(matches!(&r.conditions[1], Condition::Exists { negated: true, tests } if tests[1].op == Op::Ne));
        let r = one("not exists([type == \"a\"]) => issue(type = \"b\", value = \"c\");");
        assert!(matches!(&r.conditions[0], Condition::Exists { negated: true, .. }));
    }

    #[test]
    fn store_query_and_functions() {
        let r = one(
            r#"c:[Type == "http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname", Issuer == "AD AUTHORITY"]
 => issue(store = "Active Directory", types = ("http://schemas.xmlsoap.org/claims/UPN", "http://x/y"), query = "samAccountName={0};userPrincipalName;{1}", param = regexreplace(c.Value, "(?<domain>[^\\]+)\\(?<user>.+)", "${user}"), param = c.Value);"#,
        );
        let Body::Store {
            store,
            types,
            query,
            params,
        } = &r.action.body
        else {
            panic!("{r:?}")
        };
        assert_eq!(store, "Active Directory");
        assert_eq!(types.len(), 2);
        assert_eq!(query, "samAccountName={0};userPrincipalName;{1}");
        assert_eq!(params.len(), 2);
        assert!(matches!(&params[0], Expr::Call { name, args } if name == "regexreplace" && args.len() == 3));
        assert_eq!(
            params[1],
            Expr::Ref {
                tag: "c".into(),
                property: Property::Value
            }
        );
        assert_eq!(produced_types(&r)[0], UPN_URI);
    }

    #[test]
    fn new_claim_with_properties_and_concat() {
        let r = one(
            r#"c1:[Type == "a"] && c2:[Type == "b"] => issue(Type = "n", Value = "pre-" + c1.Value, ValueType = c1.ValueType, Issuer = c1.Issuer, OriginalIssuer = c1.OriginalIssuer, Properties["http://schemas.xmlsoap.org/ws/2005/05/identity/claimproperties/format"] = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent");"#,
        );
        let Body::New {
            value,
            other,
            properties,
            ..
        } = &r.action.body
        else {
            panic!()
        };
        assert!(matches!(value, Some(Expr::Concat(p)) if p.len() == 2));
        assert_eq!(other.len(), 3);
        assert_eq!(properties.len(), 1);
        assert_eq!(r.conditions.len(), 2);
    }

    #[test]
    fn unconditional_rule() {
        let r = one(&format!("=> issue(Type = \"{AMR_URI}\", Value = \"{MULTIPLEAUTHN}\");"));
        assert!(r.conditions.is_empty());
        assert!(matches!(mfa_gate(&r), MfaGate::NotMfa(_)));
    }

    #[test]
    fn errors_recover_at_semicolon() {
        let set = parse(
            "c:[Type == \"a\"] => issue(claim = c);\nc:[Type = \"b\"] => issue(claim = c);\n=> issue(Type = \"x\", Value = \"y\");\n",
        );
        assert_eq!(set.rules.len(), 2);
        assert_eq!(set.unparsed.len(), 1);
        assert_eq!(set.unparsed[0].line, 2);
        assert!(
            set.unparsed[0].reason.contains("expected ==, !=, =~ or !~"),
            "{}",
            set.unparsed[0].reason
        );
        assert_eq!(set.unparsed[0].text, "c:[Type = \"b\"] => issue(claim = c);");
    }

    #[test]
    fn not_understood_is_reported() {
        for (src, want) in [
            (
                "count([Type == \"a\"]) > 1 => issue(Type = \"b\", Value = \"c\");",
                "aggregate function 'count'",
            ),
            ("c:[Type == \"a\"] => issue(claim = c)", "does not end with ';'"),
            ("c:[Type == \"a] => issue(claim = c);", "unterminated string"),
            (
                "c:[Colour == \"a\"] => issue(claim = c);",
                "unknown claim property 'Colour'",
            ),
            ("c:[Type == \"a\"] => issue(Type = \"b\", store = \"AD\");", "mixes"),
            (
                "c:[Type == \"a\"] => emit(claim = c);",
                "expected issue(...) or add(...)",
            ),
        ] {
            let set = parse(src);
            assert!(set.rules.is_empty(), "{src}");
            assert!(
                set.unparsed[0].reason.contains(want),
                "{src}: {}",
                set.unparsed[0].reason
            );
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_a_crash() {
        let src = format!(
            "c:[Type == \"a\"] => issue(Type = \"b\", Value = {}c.Value{});",
            "f(".repeat(100_000),
            ")".repeat(100_000)
        );
        let set = parse(&src);
        assert!(set.rules.is_empty());
        assert!(
            set.unparsed[0].reason.contains("nested deeper"),
            "{}",
            set.unparsed[0].reason
        );
        // Garbage never panics and always ends.
        let junk: String = (0..5000u32)
            .map(|i| char::from_u32(32 + (i * 7919) % 95).unwrap())
            .collect();
        let _ = parse(&junk);
    }

    #[test]
    fn mfa_gate_reads_the_method() {
        let ok = one(&format!(
            "c:[Type == \"{AMR_URI}\", Value =~ \"^http://schemas\\.microsoft\\.com/ws/2012/12/authmethod/otp$\"] => issue(Type = \"{AMR_URI}\", Value = \"{MULTIPLEAUTHN}\");"
        ));
        assert!(matches!(mfa_gate(&ok), MfaGate::Mfa(_)));
        let upn = one(&format!(
            "c:[Type == \"{UPN_URI}\"] => issue(Type = \"{AMR_URI}\", Value = \"{MULTIPLEAUTHN}\");"
        ));
        assert!(matches!(mfa_gate(&upn), MfaGate::NotMfa(_)));
        let pw = one(&format!(
            "c:[Type == \"{AUTHMETHOD_URI}\", Value == \"urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport\"] => issue(Type = \"{AMR_URI}\", Value = \"{MULTIPLEAUTHN}\");"
        ));
        assert!(matches!(mfa_gate(&pw), MfaGate::NotMfa(_)));
    }
}
