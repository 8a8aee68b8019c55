//! The syntax tree of a claim rule file ([`RuleSet`]: rules understood, and [`Unparsed`] ones with the reason),
//! and how the lint and listings read it: the claim types a rule produces, the tests a tag stands for, and a rule
//! in words.

use serde::Serialize;

/// A claim property a condition tests or an expression reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Property {
    /// `Type`
    Type,
    /// `Value`
    Value,
    /// `Issuer`
    Issuer,
    /// `OriginalIssuer`
    OriginalIssuer,
    /// `ValueType`
    ValueType,
}

impl Property {
    pub(super) fn parse(s: &str) -> Option<Property> {
        Some(match s.to_ascii_lowercase().as_str() {
            "type" => Property::Type,
            "value" => Property::Value,
            "issuer" => Property::Issuer,
            "originalissuer" => Property::OriginalIssuer,
            "valuetype" => Property::ValueType,
            _ => return None,
        })
    }
    pub(super) fn name(self) -> &'static str {
        match self {
            Property::Type => "Type",
            Property::Value => "Value",
            Property::Issuer => "Issuer",
            Property::OriginalIssuer => "OriginalIssuer",
            Property::ValueType => "ValueType",
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Op {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `=~` (regular expression matches)
    Match,
    /// `!~` (regular expression does not match)
    NotMatch,
}

impl Op {
    pub(super) fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Match => "=~",
            Op::NotMatch => "!~",
        }
    }
    pub(super) fn positive(self) -> bool {
        matches!(self, Op::Eq | Op::Match)
    }
}

/// One test inside `[...]`, e.g. `Type == "..."`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Test {
    /// The property tested.
    pub property: Property,
    /// The operator.
    pub op: Op,
    /// The string compared with (a regular expression for `=~` / `!~`).
    pub value: String,
}

/// One condition of a rule (conditions are joined by `&&`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Condition {
    /// `tag:[tests]`: some incoming claim matches every test; the tag names it for the action.
    Select {
        /// The tag (`c`, `c1`, ...), when given.
        tag: Option<String>,
        /// The tests.
        tests: Vec<Test>,
    },
    /// `exists([tests])` or `NOT EXISTS([tests])`.
    Exists {
        /// `NOT EXISTS`.
        negated: bool,
        /// The tests.
        tests: Vec<Test>,
    },
}

/// A value in an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Expr {
    /// A string literal.
    Str(String),
    /// `tag.Property`
    Ref {
        /// The condition tag.
        tag: String,
        /// The property read.
        property: Property,
    },
    /// A function call, e.g. `RegExReplace(c.Value, "...", "...")`.
    Call {
        /// Function name as written.
        name: String,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// `a + b + ...`
    Concat(Vec<Expr>),
}

/// `issue` (into the token) or `add` (into the working claim set only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verb {
    /// `issue(...)`
    Issue,
    /// `add(...)`
    Add,
}

/// What an action produces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Body {
    /// `claim = tag`: the matched incoming claim, unchanged.
    Copy {
        /// The condition tag copied.
        tag: String,
    },
    /// A new claim from named parameters.
    New {
        /// `Type = ...`
        claim_type: Option<Expr>,
        /// `Value = ...`
        value: Option<Expr>,
        /// Other parameters (ValueType, Issuer, OriginalIssuer), as written.
        other: Vec<(String, Expr)>,
        /// `Properties["..."] = ...`
        properties: Vec<(String, Expr)>,
    },
    /// An attribute store query.
    Store {
        /// `store = "..."`
        store: String,
        /// `types = ("...", ...)`
        types: Vec<String>,
        /// `query = "..."`
        query: String,
        /// `param = ...` (repeatable)
        params: Vec<Expr>,
    },
}

/// The action after `=>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    /// issue or add.
    pub verb: Verb,
    /// What is produced.
    pub body: Body,
}

/// One parsed rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// `@RuleName`, when given.
    pub name: Option<String>,
    /// `@RuleTemplate`, when given.
    pub template: Option<String>,
    /// The conditions (empty: always).
    pub conditions: Vec<Condition>,
    /// The action.
    pub action: Action,
    /// Line where the rule (its first annotation) starts, from 1.
    pub line: usize,
}

/// A rule that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unparsed {
    /// Its `@RuleName`, when that much could be read.
    pub name: Option<String>,
    /// Line where it starts.
    pub line: usize,
    /// Its text (up to 300 characters).
    pub text: String,
    /// What was not understood, and where.
    pub reason: String,
}

/// A parsed rule file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RuleSet {
    /// Rules understood, in order.
    pub rules: Vec<Rule>,
    /// Rules not understood, in order.
    pub unparsed: Vec<Unparsed>,
}

/// The tests of the condition a tag names (`c:[...]`), if one does.
pub(super) fn tag_tests<'r>(rule: &'r Rule, tag: &str) -> Option<&'r [Test]> {
    rule.conditions.iter().find_map(|c| match c {
        Condition::Select { tag: Some(t), tests } if t == tag => Some(tests.as_slice()),
        _ => None,
    })
}

/// The claim type a selector tests with `Type ==`, if it does.
pub(super) fn type_eq(tests: &[Test]) -> Option<&str> {
    tests
        .iter()
        .find(|t| t.property == Property::Type && t.op == Op::Eq)
        .map(|t| t.value.as_str())
}

/// The claim types an action produces, when they can be read without guessing.
pub(super) fn produced_types(rule: &Rule) -> Vec<String> {
    match &rule.action.body {
        Body::Copy { tag } => tag_tests(rule, tag)
            .and_then(type_eq)
            .map(str::to_string)
            .into_iter()
            .collect(),
        Body::New {
            claim_type: Some(Expr::Str(t)),
            ..
        } => vec![t.clone()],
        Body::New {
            claim_type: Some(Expr::Ref {
                tag,
                property: Property::Type,
            }),
            ..
        } => tag_tests(rule, tag)
            .and_then(type_eq)
            .map(str::to_string)
            .into_iter()
            .collect(),
        Body::New { .. } => Vec::new(),
        Body::Store { types, .. } => types.clone(),
    }
}

/// True when the rule issues (not only adds) a claim of type `uri`.
pub(super) fn issues_type(rule: &Rule, uri: &str) -> bool {
    rule.action.verb == Verb::Issue && produced_types(rule).iter().any(|t| t.eq_ignore_ascii_case(uri))
}

/// A value as the rule language writes it.
fn expr_text(e: &Expr) -> String {
    match e {
        Expr::Str(s) => format!("\"{s}\""),
        Expr::Ref { tag, property } => format!("{tag}.{}", property.name()),
        Expr::Call { name, args } => format!("{name}({})", args.iter().map(expr_text).collect::<Vec<_>>().join(", ")),
        Expr::Concat(p) => p.iter().map(expr_text).collect::<Vec<_>>().join(" + "),
    }
}

/// A selector's tests as the rule language writes them.
pub(super) fn tests_text(tests: &[Test]) -> String {
    tests
        .iter()
        .map(|t| format!("{} {} \"{}\"", t.property.name(), t.op.symbol(), t.value))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A condition as the rule language writes it.
pub(super) fn condition_text(c: &Condition) -> String {
    match c {
        Condition::Select { tag, tests } => {
            format!(
                "{}[{}]",
                tag.as_deref().map(|t| format!("{t}:")).unwrap_or_default(),
                tests_text(tests)
            )
        }
        Condition::Exists { negated, tests } => {
            format!(
                "{}([{}])",
                if *negated { "NOT EXISTS" } else { "exists" },
                tests_text(tests)
            )
        }
    }
}

/// A one-line description of a rule, for listings.
pub fn summary(rule: &Rule) -> String {
    let when = if rule.conditions.is_empty() {
        "always".to_string()
    } else {
        format!(
            "when {}",
            rule.conditions
                .iter()
                .map(condition_text)
                .collect::<Vec<_>>()
                .join(" && ")
        )
    };
    let verb = verb_name(rule.action.verb);
    let what = match &rule.action.body {
        Body::Copy { tag } => match tag_tests(rule, tag).and_then(type_eq) {
            Some(t) => format!("{verb} claim {tag} (pass through {t})"),
            None => format!("{verb} claim {tag}"),
        },
        Body::New { claim_type, value, .. } => format!(
            "{verb} Type = {}{}",
            claim_type.as_ref().map(expr_text).unwrap_or_default(),
            value
                .as_ref()
                .map(|v| format!(", Value = {}", expr_text(v)))
                .unwrap_or_default()
        ),
        Body::Store { store, types, .. } => format!("{verb} {} from store \"{store}\"", types.join(", ")),
    };
    format!("{what}, {when}")
}

/// How findings name a rule: its `@RuleName`, else its line.
pub(super) fn rule_label(rule: &Rule) -> String {
    match &rule.name {
        Some(n) => format!("rule \"{n}\" (line {})", rule.line),
        None => format!("the rule at line {}", rule.line),
    }
}

/// `issue` or `add`.
pub(super) fn verb_name(v: Verb) -> &'static str {
    match v {
        Verb::Issue => "issue",
        Verb::Add => "add",
    }
}
