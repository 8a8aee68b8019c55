//! `fedcheck lint-config`: AD FS claim rules (the issuance transform rules of the "Microsoft Office 365 Identity
//! Platform" relying party trust), parsed and linted for what Entra needs.
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
//! Beside the MFA rules, the lint reads the other rules Azure AD Connect writes on the trust: `nameidentifier`
//! (from the ImmutableID), the `insideCorporateNetwork` and `multifactorauthenticationinstant` pass-throughs, and
//! `issuerid` for several federated domains (which UPN suffixes get which issuer, and the subdomain trap).
//! [`crate::lint::adfs_rp`] reuses this module for the `IssuanceTransformRules` and `AdditionalAuthenticationRules`
//! of a whole relying-party trust export.

use crate::rules::{Check, Status, AMR_URI, AUTHMETHOD_URI, MULTIPLEAUTHN, WIAORMULTIAUTHN};
use serde::Serialize;
use std::fmt::Write as _;

/// Largest rule file accepted (bytes).
pub const MAX_INPUT: u64 = 1024 * 1024;

/// The issuer id claim type Azure AD Connect issues for multi-domain federation.
pub const ISSUERID_URI: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/issuerid";
/// The ImmutableID claim type Entra reads (SAML 1.1 / WS-Fed).
pub const IMMUTABLEID_URI: &str = "http://schemas.microsoft.com/LiveID/Federation/2008/05/ImmutableID";
/// The UPN claim type Entra reads (SAML 1.1 / WS-Fed).
pub const UPN_URI: &str = "http://schemas.xmlsoap.org/claims/UPN";
/// Azure AD Connect's name for the pass-through rule.
pub const PASSTHROUGH_RULE_NAME: &str = "Pass through claim - authnmethodsreferences";

// ---------------------------------------------------------------------------------------------------------------
// Decoding

/// How the file was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// UTF-8 (with or without BOM).
    Utf8,
    /// UTF-16 little endian with BOM (what Windows PowerShell's `Out-File` writes).
    Utf16le,
    /// UTF-16 big endian with BOM.
    Utf16be,
}

/// Decodes a rule file: UTF-8 (BOM optional), or UTF-16 LE/BE with a BOM. Anything else is refused with a reason.
pub fn decode(bytes: &[u8]) -> Result<(String, Encoding), String> {
    fn utf16(body: &[u8], le: bool) -> Result<String, String> {
        if body.len() % 2 != 0 {
            return Err("UTF-16 (by its byte order mark) but an odd number of bytes".into());
        }
        let units = body.chunks_exact(2).map(|p| {
            if le {
                u16::from_le_bytes([p[0], p[1]])
            } else {
                u16::from_be_bytes([p[0], p[1]])
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|e| format!("UTF-16 (by its byte order mark) but not valid UTF-16: {e}"))
    }
    let (text, enc) = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        (utf16(rest, true)?, Encoding::Utf16le)
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        (utf16(rest, false)?, Encoding::Utf16be)
    } else {
        let rest = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
        let s = std::str::from_utf8(rest).map_err(|e| format!("not UTF-8, nor UTF-16 with a byte order mark ({e})"))?;
        (s.to_string(), Encoding::Utf8)
    };
    if text.contains('\0') {
        return Err("contains NUL characters (binary data, or UTF-16 without a byte order mark)".into());
    }
    Ok((text, enc))
}

// ---------------------------------------------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(String),
    At,
    Assign,   // =
    Eq,       // ==
    Ne,       // !=
    Match,    // =~
    NotMatch, // !~
    Implies,  // =>
    And,      // &&
    Colon,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Comma,
    Semi,
    Dot,
    Plus,
    /// Something the lexer could not read; the reason.
    Bad(String),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
    start: usize,
    end: usize,
}

fn lex(src: &str) -> Vec<Token> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let tline = line;
        let mut push = |tok: Tok, end: usize| {
            out.push(Token {
                tok,
                line: tline,
                start,
                end,
            })
        };
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                let mut closed = false;
                while i < b.len() {
                    if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        i += 2;
                        closed = true;
                        break;
                    }
                    if b[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
                if !closed {
                    out.push(Token {
                        tok: Tok::Bad("unterminated /* comment".into()),
                        line: tline,
                        start,
                        end: i,
                    });
                }
            }
            b'"' => {
                i += 1;
                let mut s = String::new();
                let mut closed = false;
                while i < b.len() {
                    match b[i] {
                        b'"' => {
                            i += 1;
                            closed = true;
                            break;
                        }
                        b'\n' => break,
                        b'\\' if matches!(b.get(i + 1), Some(b'"') | Some(b'\\')) => {
                            s.push(b[i + 1] as char);
                            i += 2;
                        }
                        _ => {
                            // Copy one whole UTF-8 character.
                            let ch = src[i..].chars().next().unwrap_or('\u{FFFD}');
                            s.push(ch);
                            i += ch.len_utf8();
                        }
                    }
                }
                if closed {
                    push(Tok::Str(s), i);
                } else {
                    push(Tok::Bad("unterminated string (a string ends on its line)".into()), i);
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                push(Tok::Ident(src[start..i].to_string()), i);
            }
            c if c.is_ascii_digit() => {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                push(Tok::Num(src[start..i].to_string()), i);
            }
            _ => {
                let two = b.get(i + 1).copied();
                let (tok, n) = match (c, two) {
                    (b'=', Some(b'=')) => (Tok::Eq, 2),
                    (b'=', Some(b'~')) => (Tok::Match, 2),
                    (b'=', Some(b'>')) => (Tok::Implies, 2),
                    (b'!', Some(b'=')) => (Tok::Ne, 2),
                    (b'!', Some(b'~')) => (Tok::NotMatch, 2),
                    (b'&', Some(b'&')) => (Tok::And, 2),
                    (b'=', _) => (Tok::Assign, 1),
                    (b'@', _) => (Tok::At, 1),
                    (b':', _) => (Tok::Colon, 1),
                    (b'[', _) => (Tok::LBracket, 1),
                    (b']', _) => (Tok::RBracket, 1),
                    (b'(', _) => (Tok::LParen, 1),
                    (b')', _) => (Tok::RParen, 1),
                    (b',', _) => (Tok::Comma, 1),
                    (b';', _) => (Tok::Semi, 1),
                    (b'.', _) => (Tok::Dot, 1),
                    (b'+', _) => (Tok::Plus, 1),
                    _ => {
                        let ch = src[i..].chars().next().unwrap_or('\u{FFFD}');
                        (Tok::Bad(format!("unexpected character {ch:?}")), ch.len_utf8())
                    }
                };
                i += n;
                push(tok, i);
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------------------------
// Syntax tree

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
    fn parse(s: &str) -> Option<Property> {
        Some(match s.to_ascii_lowercase().as_str() {
            "type" => Property::Type,
            "value" => Property::Value,
            "issuer" => Property::Issuer,
            "originalissuer" => Property::OriginalIssuer,
            "valuetype" => Property::ValueType,
            _ => return None,
        })
    }
    fn name(self) -> &'static str {
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
    fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Match => "=~",
            Op::NotMatch => "!~",
        }
    }
    fn positive(self) -> bool {
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

// ---------------------------------------------------------------------------------------------------------------
// Parser

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    /// Nesting of function calls in values (bounded: the input is untrusted).
    depth: usize,
}

/// Deepest nesting of function calls accepted in a value.
const MAX_DEPTH: usize = 16;

type PResult<T> = Result<T, String>;

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }
    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n).map(|t| &t.tok)
    }
    fn here(&self) -> String {
        match self.toks.get(self.pos) {
            Some(t) => format!("line {}: {}", t.line, describe(&t.tok)),
            None => "end of file".into(),
        }
    }
    fn bump(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).map(|t| t.tok.clone());
        self.pos += 1;
        t
    }
    fn expect(&mut self, want: &Tok, what: &str) -> PResult<()> {
        if self.peek() == Some(want) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected {what}, found {}", self.here()))
        }
    }
    fn is_kw(&self, n: usize, kw: &str) -> bool {
        matches!(self.peek_at(n), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(kw))
    }
    fn string(&mut self, what: &str) -> PResult<String> {
        match self.peek() {
            Some(Tok::Str(s)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            _ => Err(format!(
                "expected {what} (a string in double quotes), found {}",
                self.here()
            )),
        }
    }

    fn parse_all(mut self) -> RuleSet {
        let mut set = RuleSet::default();
        while self.pos < self.toks.len() {
            let start = self.pos;
            match self.rule() {
                Ok(r) => set.rules.push(r),
                Err(reason) => {
                    // A rule cannot hold a `;` token: resume after the first one from the rule's start.
                    let mut end = start;
                    while end < self.toks.len() && self.toks[end].tok != Tok::Semi {
                        end += 1;
                    }
                    let end = (end + 1).min(self.toks.len());
                    let a = self.toks[start].start;
                    let b = self.toks[end - 1].end;
                    let mut text: String = self.src[a..b].split_whitespace().collect::<Vec<_>>().join(" ");
                    if text.chars().count() > 300 {
                        text = text.chars().take(300).collect::<String>() + "...";
                    }
                    let name = self.toks[start..end].windows(4).find_map(|w| {
                        match (&w[0].tok, &w[1].tok, &w[2].tok, &w[3].tok) {
                            (Tok::At, Tok::Ident(k), Tok::Assign, Tok::Str(v))
                                if k.eq_ignore_ascii_case("rulename") =>
                            {
                                Some(v.clone())
                            }
                            _ => None,
                        }
                    });
                    set.unparsed.push(Unparsed {
                        name,
                        line: self.toks[start].line,
                        text,
                        reason,
                    });
                    self.pos = end;
                }
            }
        }
        set
    }

    fn rule(&mut self) -> PResult<Rule> {
        self.depth = 0;
        let line = self.toks[self.pos].line;
        let (mut name, mut template) = (None, None);
        while self.peek() == Some(&Tok::At) {
            self.pos += 1;
            let key = match self.bump() {
                Some(Tok::Ident(k)) => k,
                _ => return Err(format!("expected an annotation name after '@', {}", self.prev_here())),
            };
            self.expect(&Tok::Assign, "'=' after the annotation name")?;
            let v = self.string("the annotation value")?;
            match key.to_ascii_lowercase().as_str() {
                "rulename" => name = Some(v),
                "ruletemplate" => template = Some(v),
                _ => {}
            }
        }
        let mut conditions = Vec::new();
        if self.peek() != Some(&Tok::Implies) {
            loop {
                conditions.push(self.condition()?);
                if self.peek() == Some(&Tok::And) {
                    self.pos += 1;
                } else {
                    break;
                }
            }
        }
        self.expect(&Tok::Implies, "'=>' (or '&&' and another condition)")?;
        let action = self.action()?;
        if self.peek() != Some(&Tok::Semi) {
            return Err(if self.peek().is_none() {
                "the rule does not end with ';' (AD FS requires it)".into()
            } else {
                format!("expected ';' after the action, found {}", self.here())
            });
        }
        self.pos += 1;
        let rule = Rule {
            name,
            template,
            conditions,
            action,
            line,
        };
        check_tags(&rule)?;
        Ok(rule)
    }

    fn prev_here(&self) -> String {
        match self.toks.get(self.pos.saturating_sub(1)) {
            Some(t) => format!("found line {}: {}", t.line, describe(&t.tok)),
            None => "found end of file".into(),
        }
    }

    fn condition(&mut self) -> PResult<Condition> {
        // NOT EXISTS([...]) / EXISTS([...])
        if self.is_kw(0, "not") && self.is_kw(1, "exists") {
            self.pos += 2;
            return Ok(Condition::Exists {
                negated: true,
                tests: self.aggregate_body()?,
            });
        }
        if self.is_kw(0, "exists") && self.peek_at(1) == Some(&Tok::LParen) {
            self.pos += 1;
            return Ok(Condition::Exists {
                negated: false,
                tests: self.aggregate_body()?,
            });
        }
        if let (Some(Tok::Ident(f)), Some(Tok::LParen)) = (self.peek(), self.peek_at(1)) {
            return Err(format!(
                "aggregate function '{f}' is not understood (only exists and NOT EXISTS are), line {}",
                self.toks[self.pos].line
            ));
        }
        let tag = match (self.peek(), self.peek_at(1)) {
            (Some(Tok::Ident(t)), Some(Tok::Colon)) => {
                let t = t.clone();
                self.pos += 2;
                Some(t)
            }
            _ => None,
        };
        if self.peek() != Some(&Tok::LBracket) {
            return Err(format!(
                "expected a condition ('tag:[...]', exists(...), NOT EXISTS(...)) or '=>', found {}",
                self.here()
            ));
        }
        Ok(Condition::Select {
            tag,
            tests: self.selector()?,
        })
    }

    fn aggregate_body(&mut self) -> PResult<Vec<Test>> {
        self.expect(&Tok::LParen, "'(' after exists")?;
        let tests = self.selector()?;
        self.expect(&Tok::RParen, "')' closing exists(")?;
        Ok(tests)
    }

    fn selector(&mut self) -> PResult<Vec<Test>> {
        self.expect(&Tok::LBracket, "'['")?;
        let mut tests = Vec::new();
        if self.peek() == Some(&Tok::RBracket) {
            self.pos += 1;
            return Ok(tests);
        }
        loop {
            let prop = match self.peek() {
                Some(Tok::Ident(p)) => match Property::parse(p) {
                    Some(p) => p,
                    None => {
                        return Err(format!(
                        "unknown claim property '{p}' (line {}); known: Type, Value, Issuer, OriginalIssuer, ValueType",
                        self.toks[self.pos].line
                    ))
                    }
                },
                _ => {
                    return Err(format!(
                        "expected a claim property (Type, Value, ...), found {}",
                        self.here()
                    ))
                }
            };
            self.pos += 1;
            let op = match self.peek() {
                Some(Tok::Eq) => Op::Eq,
                Some(Tok::Ne) => Op::Ne,
                Some(Tok::Match) => Op::Match,
                Some(Tok::NotMatch) => Op::NotMatch,
                _ => {
                    return Err(format!(
                        "expected ==, !=, =~ or !~ after {}, found {}",
                        prop.name(),
                        self.here()
                    ))
                }
            };
            self.pos += 1;
            let value = self.string("the value compared with")?;
            tests.push(Test {
                property: prop,
                op,
                value,
            });
            match self.bump() {
                Some(Tok::Comma) => continue,
                Some(Tok::RBracket) => break,
                _ => return Err(format!("expected ',' or ']' in the condition, {}", self.prev_here())),
            }
        }
        Ok(tests)
    }

    fn action(&mut self) -> PResult<Action> {
        let verb = match self.peek() {
            Some(Tok::Ident(v)) if v.eq_ignore_ascii_case("issue") => Verb::Issue,
            Some(Tok::Ident(v)) if v.eq_ignore_ascii_case("add") => Verb::Add,
            _ => {
                return Err(format!(
                    "expected issue(...) or add(...) after '=>', found {}",
                    self.here()
                ))
            }
        };
        self.pos += 1;
        self.expect(&Tok::LParen, "'(' after issue/add")?;
        // claim = tag
        if self.is_kw(0, "claim") && self.peek_at(1) == Some(&Tok::Assign) {
            self.pos += 2;
            let tag = match self.bump() {
                Some(Tok::Ident(t)) => t,
                _ => {
                    return Err(format!(
                        "expected a condition tag after 'claim =', {}",
                        self.prev_here()
                    ))
                }
            };
            self.expect(&Tok::RParen, "')' after 'claim = tag'")?;
            return Ok(Action {
                verb,
                body: Body::Copy { tag },
            });
        }
        let (mut claim_type, mut value, mut other, mut properties) = (None, None, Vec::new(), Vec::new());
        let (mut store, mut types, mut query, mut params) = (None, None, None, Vec::new());
        loop {
            let key = match self.peek() {
                Some(Tok::Ident(k)) => k.clone(),
                _ => {
                    return Err(format!(
                        "expected a parameter name (Type, Value, store, ...), found {}",
                        self.here()
                    ))
                }
            };
            self.pos += 1;
            let lk = key.to_ascii_lowercase();
            if lk == "properties" {
                self.expect(&Tok::LBracket, "'[' after Properties")?;
                let p = self.string("the property name")?;
                self.expect(&Tok::RBracket, "']' after the property name")?;
                self.expect(&Tok::Assign, "'='")?;
                properties.push((p, self.expr()?));
            } else {
                self.expect(&Tok::Assign, &format!("'=' after {key}"))?;
                match lk.as_str() {
                    "type" => claim_type = Some(self.expr()?),
                    "value" => value = Some(self.expr()?),
                    "valuetype" | "issuer" | "originalissuer" => other.push((key, self.expr()?)),
                    "store" => store = Some(self.string("the attribute store name")?),
                    "query" => query = Some(self.string("the query")?),
                    "param" => params.push(self.expr()?),
                    "types" => {
                        self.expect(&Tok::LParen, "'(' starting the types list")?;
                        let mut v = vec![self.string("a claim type")?];
                        while self.peek() == Some(&Tok::Comma) {
                            self.pos += 1;
                            v.push(self.string("a claim type")?);
                        }
                        self.expect(&Tok::RParen, "')' closing the types list")?;
                        types = Some(v);
                    }
                    _ => return Err(format!("unknown parameter '{key}' in {}(...)", verb_name(verb))),
                }
            }
            match self.bump() {
                Some(Tok::Comma) => continue,
                Some(Tok::RParen) => break,
                _ => {
                    return Err(format!(
                        "expected ',' or ')' in {}(...), {}",
                        verb_name(verb),
                        self.prev_here()
                    ))
                }
            }
        }
        let is_store = store.is_some() || types.is_some() || query.is_some() || !params.is_empty();
        let is_new = claim_type.is_some() || value.is_some() || !other.is_empty() || !properties.is_empty();
        if is_store && is_new {
            return Err("mixes attribute store parameters (store, types, query, param) with claim parameters (Type, Value, ...)".into());
        }
        if is_store {
            let (Some(store), Some(types), Some(query)) = (store, types, query) else {
                return Err("an attribute store query needs store, types and query".into());
            };
            return Ok(Action {
                verb,
                body: Body::Store {
                    store,
                    types,
                    query,
                    params,
                },
            });
        }
        if claim_type.is_none() {
            return Err(format!("{}(...) without Type = ...", verb_name(verb)));
        }
        Ok(Action {
            verb,
            body: Body::New {
                claim_type,
                value,
                other,
                properties,
            },
        })
    }

    fn expr(&mut self) -> PResult<Expr> {
        let mut parts = vec![self.term()?];
        while self.peek() == Some(&Tok::Plus) {
            self.pos += 1;
            parts.push(self.term()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(Expr::Str(String::new()))
        } else {
            Expr::Concat(parts)
        })
    }

    fn term(&mut self) -> PResult<Expr> {
        match self.peek().cloned() {
            Some(Tok::Str(s)) => {
                self.pos += 1;
                Ok(Expr::Str(s))
            }
            Some(Tok::Ident(id)) if self.peek_at(1) == Some(&Tok::Dot) => {
                self.pos += 2;
                match self.bump() {
                    Some(Tok::Ident(p)) => match Property::parse(&p) {
                        Some(property) => Ok(Expr::Ref { tag: id, property }),
                        None => Err(format!("unknown claim property '{id}.{p}'")),
                    },
                    _ => Err(format!("expected a property after '{id}.', {}", self.prev_here())),
                }
            }
            Some(Tok::Ident(id)) if self.peek_at(1) == Some(&Tok::LParen) => {
                self.pos += 2;
                if self.depth >= MAX_DEPTH {
                    return Err(format!("function calls nested deeper than {MAX_DEPTH}"));
                }
                self.depth += 1;
                let mut args = Vec::new();
                if self.peek() != Some(&Tok::RParen) {
                    loop {
                        args.push(self.expr()?);
                        if self.peek() == Some(&Tok::Comma) {
                            self.pos += 1;
                        } else {
                            break;
                        }
                    }
                }
                self.expect(&Tok::RParen, &format!("')' closing {id}("))?;
                self.depth -= 1;
                Ok(Expr::Call { name: id, args })
            }
            _ => Err(format!(
                "expected a value (string, tag.Property or function call), found {}",
                self.here()
            )),
        }
    }
}

/// Every `tag` an action reads must be defined by a condition; otherwise the rule is not understood.
fn check_tags(rule: &Rule) -> PResult<()> {
    fn refs<'e>(e: &'e Expr, out: &mut Vec<&'e str>) {
        match e {
            Expr::Str(_) => {}
            Expr::Ref { tag, .. } => out.push(tag),
            Expr::Call { args, .. } | Expr::Concat(args) => args.iter().for_each(|a| refs(a, out)),
        }
    }
    let mut used = Vec::new();
    match &rule.action.body {
        Body::Copy { tag } => used.push(tag.as_str()),
        Body::New {
            claim_type,
            value,
            other,
            properties,
        } => {
            claim_type.iter().chain(value.iter()).for_each(|e| refs(e, &mut used));
            other
                .iter()
                .chain(properties.iter())
                .for_each(|(_, e)| refs(e, &mut used));
        }
        Body::Store { params, .. } => params.iter().for_each(|e| refs(e, &mut used)),
    }
    for t in used {
        if tag_tests(rule, t).is_none() {
            return Err(format!(
                "the action reads '{t}', which no condition defines (no '{t}:[...]')"
            ));
        }
    }
    Ok(())
}

fn verb_name(v: Verb) -> &'static str {
    match v {
        Verb::Issue => "issue",
        Verb::Add => "add",
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("'{s}'"),
        Tok::Str(s) => format!("string \"{}\"", s.chars().take(60).collect::<String>()),
        Tok::Num(s) => format!("number {s}"),
        Tok::Bad(r) => r.clone(),
        Tok::At => "'@'".into(),
        Tok::Assign => "'='".into(),
        Tok::Eq => "'=='".into(),
        Tok::Ne => "'!='".into(),
        Tok::Match => "'=~'".into(),
        Tok::NotMatch => "'!~'".into(),
        Tok::Implies => "'=>'".into(),
        Tok::And => "'&&'".into(),
        Tok::Colon => "':'".into(),
        Tok::LBracket => "'['".into(),
        Tok::RBracket => "']'".into(),
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::Comma => "','".into(),
        Tok::Semi => "';'".into(),
        Tok::Dot => "'.'".into(),
        Tok::Plus => "'+'".into(),
    }
}

/// Parses a whole rule file. Never fails: what is not understood lands in [`RuleSet::unparsed`].
pub fn parse(src: &str) -> RuleSet {
    Parser {
        src,
        toks: lex(src),
        pos: 0,
        depth: 0,
    }
    .parse_all()
}

// ---------------------------------------------------------------------------------------------------------------
// Reading rules

fn tag_tests<'r>(rule: &'r Rule, tag: &str) -> Option<&'r [Test]> {
    rule.conditions.iter().find_map(|c| match c {
        Condition::Select { tag: Some(t), tests } if t == tag => Some(tests.as_slice()),
        _ => None,
    })
}

fn type_eq(tests: &[Test]) -> Option<&str> {
    tests
        .iter()
        .find(|t| t.property == Property::Type && t.op == Op::Eq)
        .map(|t| t.value.as_str())
}

/// The claim types an action produces, when they can be read without guessing.
fn produced_types(rule: &Rule) -> Vec<String> {
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

fn issues_type(rule: &Rule, uri: &str) -> bool {
    rule.action.verb == Verb::Issue && produced_types(rule).iter().any(|t| t.eq_ignore_ascii_case(uri))
}

fn expr_text(e: &Expr) -> String {
    match e {
        Expr::Str(s) => format!("\"{s}\""),
        Expr::Ref { tag, property } => format!("{tag}.{}", property.name()),
        Expr::Call { name, args } => format!("{name}({})", args.iter().map(expr_text).collect::<Vec<_>>().join(", ")),
        Expr::Concat(p) => p.iter().map(expr_text).collect::<Vec<_>>().join(" + "),
    }
}

fn tests_text(tests: &[Test]) -> String {
    tests
        .iter()
        .map(|t| format!("{} {} \"{}\"", t.property.name(), t.op.symbol(), t.value))
        .collect::<Vec<_>>()
        .join(", ")
}

fn condition_text(c: &Condition) -> String {
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

fn rule_label(rule: &Rule) -> String {
    match &rule.name {
        Some(n) => format!("rule \"{n}\" (line {})", rule.line),
        None => format!("the rule at line {}", rule.line),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Lint

/// One finding of the lint: a [`Check`] plus the rule it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LintCheck {
    /// The check (id, status, message, fix).
    #[serde(flatten)]
    pub check: Check,
    /// The rule's name, when it has one.
    pub rule: Option<String>,
    /// The rule's line.
    pub line: Option<usize>,
}

fn lc(id: &'static str, status: Status, message: String, fix: Option<String>, rule: Option<&Rule>) -> LintCheck {
    LintCheck {
        check: Check {
            id,
            status,
            message,
            fix,
        },
        rule: rule.and_then(|r| r.name.clone()),
        line: rule.map(|r| r.line),
    }
}

fn is_method_type(t: &str) -> bool {
    t.eq_ignore_ascii_case(AMR_URI) || t.eq_ignore_ascii_case(AUTHMETHOD_URI)
}

fn is_mfa_value(v: &str) -> bool {
    v.eq_ignore_ascii_case(MULTIPLEAUTHN) || v.eq_ignore_ascii_case(WIAORMULTIAUTHN)
}

/// Authentication method values that are one factor: a rule that turns them into multipleauthn lies.
fn is_single_factor(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    [
        "password",
        "windows",
        "kerberos",
        "unspecified",
        "tlsclient",
        "x509",
        "ntlm",
    ]
    .iter()
    .any(|k| l.contains(k))
        && !l.contains("multipleauthn")
        && !l.contains("wiaormultiauthn")
}

/// How a rule that issues the MFA value is conditioned.
enum MfaGate {
    /// Tests an authentication method value for an MFA method: the condition text.
    Mfa(String),
    /// Does not: why.
    NotMfa(String),
}

fn mfa_gate(rule: &Rule) -> MfaGate {
    if rule.conditions.is_empty() {
        return MfaGate::NotMfa("it has no condition".into());
    }
    let mut single = None;
    for c in &rule.conditions {
        let tests = match c {
            Condition::Select { tests, .. } | Condition::Exists { negated: false, tests } => tests,
            Condition::Exists { negated: true, .. } => continue,
        };
        if !type_eq(tests).is_some_and(is_method_type) {
            continue;
        }
        for t in tests
            .iter()
            .filter(|t| t.property == Property::Value && t.op.positive())
        {
            if is_single_factor(&t.value) {
                single = Some(format!(
                    "its condition {} matches a single-factor method",
                    condition_text(c)
                ));
            } else {
                return MfaGate::Mfa(condition_text(c));
            }
        }
    }
    MfaGate::NotMfa(single.unwrap_or_else(|| {
        format!(
            "its condition ({}) does not test the authentication method for an MFA method",
            rule.conditions
                .iter()
                .map(condition_text)
                .collect::<Vec<_>>()
                .join(" && ")
        )
    }))
}

const AMR_FIX_RULE: &str = "@RuleName = \"Pass through claim - authnmethodsreferences\"\n\
c:[Type == \"http://schemas.microsoft.com/claims/authnmethodsreferences\"]\n => issue(claim = c);";

/// Runs every lint check over a parsed rule set.
pub fn lint(set: &RuleSet) -> Vec<LintCheck> {
    let mut out = Vec::new();

    // adfs.amr-passthrough
    let copy = set.rules.iter().find(|r| {
        r.action.verb == Verb::Issue
            && match &r.action.body {
                Body::Copy { tag } => tag_tests(r, tag)
                    .and_then(type_eq)
                    .is_some_and(|t| t.eq_ignore_ascii_case(AMR_URI)),
                Body::New {
                    claim_type: Some(Expr::Str(t)),
                    value:
                        Some(Expr::Ref {
                            tag,
                            property: Property::Value,
                        }),
                    ..
                } => {
                    t.eq_ignore_ascii_case(AMR_URI)
                        && tag_tests(r, tag)
                            .and_then(type_eq)
                            .is_some_and(|t| t.eq_ignore_ascii_case(AMR_URI))
                }
                _ => false,
            }
    });
    let gated = set.rules.iter().find(|r| {
        issues_type(r, AMR_URI)
            && matches!(&r.action.body, Body::New { value: Some(Expr::Str(v)), .. } if is_mfa_value(v))
            && matches!(mfa_gate(r), MfaGate::Mfa(_))
    });
    if let Some(r) = copy {
        let filter = match &r.action.body {
            Body::Copy { tag } => tag_tests(r, tag)
                .map(|t| {
                    t.iter()
                        .filter(|t| t.property != Property::Type)
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let how = if matches!(r.action.body, Body::Copy { .. }) {
            "passes through"
        } else {
            "copies"
        };
        let msg = if filter.is_empty() {
            format!(
                "{} {how} the incoming authnmethodsreferences claim to Entra",
                rule_label(r)
            )
        } else {
            format!(
                "{} {how} the incoming authnmethodsreferences claim to Entra, only values with {}",
                rule_label(r),
                tests_text(&filter)
            )
        };
        out.push(lc("adfs.amr-passthrough", Status::Pass, msg, None, Some(r)));
    } else if let Some(r) = gated {
        out.push(lc(
            "adfs.amr-passthrough",
            Status::Pass,
            format!(
                "no pass-through rule, but {} issues authnmethodsreferences = multipleauthn when the incoming \
authentication method is an MFA method: equivalent for Entra",
                rule_label(r)
            ),
            None,
            Some(r),
        ));
    } else {
        out.push(lc(
            "adfs.amr-passthrough",
            Status::Fail,
            "no rule issues the incoming http://schemas.microsoft.com/claims/authnmethodsreferences claim: Entra \
never sees that MFA happened at AD FS. When MFA is required, Entra performs MFA itself \
(federatedIdpMfaBehavior = acceptIfMfaDoneByFederatedIdp) or redirects the user to AD FS to perform MFA \
(enforceMfaByFederatedIdp), which ends in a loop while the claim is missing"
                .into(),
            Some(format!(
                "Add the rule Azure AD Connect names \"{PASSTHROUGH_RULE_NAME}\" to the issuance transform rules of the \
\"Microsoft Office 365 Identity Platform\" relying party trust:\n{AMR_FIX_RULE}"
            )),
            None,
        ));
    }

    // adfs.mfa-unconditional
    let mut any_mfa = false;
    for r in &set.rules {
        let Body::New {
            claim_type: Some(Expr::Str(t)),
            value: Some(Expr::Str(v)),
            ..
        } = &r.action.body
        else {
            continue;
        };
        if !is_method_type(t) || !is_mfa_value(v) {
            continue;
        }
        any_mfa = true;
        let how = match r.action.verb {
            Verb::Issue => "issues",
            Verb::Add => "adds (for later rules to issue)",
        };
        match mfa_gate(r) {
            MfaGate::Mfa(cond) => out.push(lc(
                "adfs.mfa-unconditional",
                Status::Info,
                format!(
                    "{} {how} {v} only when {cond}: conditioned on an MFA method",
                    rule_label(r)
                ),
                None,
                Some(r),
            )),
            MfaGate::NotMfa(why) => out.push(lc(
                "adfs.mfa-unconditional",
                Status::Fail,
                format!(
                    "security: {} {how} {v} but {why}: it claims MFA for every sign-in, and Entra skips its own MFA",
                    rule_label(r)
                ),
                Some(format!(
                    "Remove this rule and pass the real authentication method through instead:\n{AMR_FIX_RULE}\n\
or condition it on your MFA method, e.g. c:[Type == \"{AMR_URI}\", Value == \"<your MFA adapter's method URI>\"] => \
issue(Type = \"{AMR_URI}\", Value = \"{MULTIPLEAUTHN}\");"
                )),
                Some(r),
            )),
        }
    }
    if !any_mfa {
        out.push(lc(
            "adfs.mfa-unconditional",
            Status::Pass,
            "no rule issues multipleauthn or wiaormultiauthn by itself".into(),
            None,
            None,
        ));
    }

    // adfs.unparsed
    if set.unparsed.is_empty() {
        out.push(lc(
            "adfs.unparsed",
            Status::Pass,
            format!("all {} rules understood", set.rules.len()),
            None,
            None,
        ));
    }
    for u in &set.unparsed {
        out.push(LintCheck {
            check: Check {
                id: "adfs.unparsed",
                status: Status::Warn,
                message: format!("line {}: not understood: {} (rule text: {})", u.line, u.reason, u.text),
                fix: Some(
                    "Check the rule in the AD FS console (Edit Claim Issuance Policy, View Rule Language); fedcheck \
did not evaluate it, so the other findings may miss what it does."
                        .into(),
                ),
            },
            rule: u.name.clone(),
            line: Some(u.line),
        });
    }

    // Info: issuerid, ImmutableID, UPN
    for (id, uri, label, note) in [
        (
            "adfs.issuer-id",
            ISSUERID_URI,
            "issuerid",
            "; Azure AD Connect adds it when several domains are federated through this AD FS",
        ),
        ("adfs.immutableid", IMMUTABLEID_URI, "ImmutableID", ""),
        ("adfs.upn", UPN_URI, "UPN", ""),
    ] {
        let found: Vec<&Rule> = set.rules.iter().filter(|r| issues_type(r, uri)).collect();
        match found.first() {
            Some(first) => out.push(lc(
                id,
                Status::Info,
                format!(
                    "{label} ({uri}) issued by {}",
                    found.iter().map(|r| rule_label(r)).collect::<Vec<_>>().join(", ")
                ),
                None,
                Some(first),
            )),
            None => out.push(lc(
                id,
                Status::Info,
                format!("no rule issues {label} ({uri}){note}"),
                None,
                None,
            )),
        }
    }
    lint_aadconnect(set, &mut out);
    out
}

// ---------------------------------------------------------------------------------------------------------------
// Azure AD Connect's other rules: nameidentifier, insideCorporateNetwork, multifactorauthenticationinstant, issuerid

/// Where Microsoft documents the rules Azure AD Connect writes on the Microsoft 365 relying party trust.
pub const DOC_AADCONNECT_RULES: &str =
    "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-fed-management";
/// Where Microsoft documents issuerid for several federated domains (and subdomains).
pub const DOC_MULTIPLE_DOMAINS: &str =
    "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-install-multiple-domains";
/// Where Microsoft documents "skip MFA for requests from federated users on my intranet" (trusted IPs).
pub const DOC_TRUSTED_IPS: &str =
    "https://learn.microsoft.com/entra/identity/authentication/howto-mfa-mfasettings#trusted-ips";

/// The name identifier claim type (the SAML 1.1 NameIdentifier AD FS writes).
pub const NAMEIDENTIFIER_URI: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier";
/// AD FS's claim that the request came from inside the corporate network.
pub const INSIDE_CORPNET_URI: &str = "http://schemas.microsoft.com/ws/2012/01/insidecorporatenetwork";
/// AD FS's claim with the instant of the last multi-factor authentication.
pub const MFA_INSTANT_URI: &str =
    "http://schemas.microsoft.com/ws/2017/04/identity/claims/multifactorauthenticationinstant";

/// The pattern Microsoft documents for issuerid when subdomains are federated too (the last two labels).
const SUBDOMAIN_PATTERN: &str = "^((.*)([.|@]))?(?<domain>[^.]*[.].*)$";
/// The pattern `-SupportMultipleDomain` writes: the whole UPN suffix, subdomains included.
const WHOLE_SUFFIX_PATTERN: &str = ".+@(?<domain>.+)";

/// True when the rule passes the incoming claim of type `uri` through unchanged.
fn passes_through(rule: &Rule, uri: &str) -> bool {
    rule.action.verb == Verb::Issue
        && match &rule.action.body {
            Body::Copy { tag } => tag_tests(rule, tag)
                .and_then(type_eq)
                .is_some_and(|t| t.eq_ignore_ascii_case(uri)),
            _ => false,
        }
}

/// For `issue(Type = ..., Value = tag.Value)`: the claim type the tag selects.
fn value_source_type(rule: &Rule) -> Option<&str> {
    match &rule.action.body {
        Body::New {
            value: Some(Expr::Ref {
                tag,
                property: Property::Value,
            }),
            ..
        } => tag_tests(rule, tag).and_then(type_eq),
        _ => None,
    }
}

/// The literal value a `New` action issues, if it is one.
fn literal_value(rule: &Rule) -> Option<&str> {
    match &rule.action.body {
        Body::New {
            value: Some(Expr::Str(v)),
            ..
        } => Some(v.as_str()),
        _ => None,
    }
}

/// The UPN suffixes an Azure AD Connect issuerid pattern enumerates: `(?i)(^([^@]+)@)(?<domain>(a\.com|b\.com))$`.
fn enumerated_domains(pattern: &str) -> Option<Vec<String>> {
    let rest = pattern.strip_prefix("(?i)(^([^@]+)@)(?<domain>(")?;
    let inner = rest.strip_suffix("))$")?;
    let domains: Vec<String> = inner
        .split('|')
        .map(|d| d.replace("\\.", "."))
        .filter(|d| !d.is_empty())
        .collect();
    if domains.is_empty()
        || domains
            .iter()
            .any(|d| !d.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'))
    {
        return None;
    }
    Some(domains)
}

fn lint_aadconnect(set: &RuleSet, out: &mut Vec<LintCheck>) {
    // adfs.nameidentifier: Entra reads the NameIdentifier as the user's ImmutableID.
    let nameid: Vec<&Rule> = set
        .rules
        .iter()
        .filter(|r| issues_type(r, NAMEIDENTIFIER_URI))
        .collect();
    if nameid.is_empty() {
        out.push(lc(
            "adfs.nameidentifier",
            Status::Warn,
            format!(
                "no rule issues nameidentifier ({NAMEIDENTIFIER_URI}): Entra reads the token's NameIdentifier as the user's \
ImmutableID, and fedcheck cannot tell from these rules alone where AD FS would take one from"
            ),
            Some(format!(
                "Add the rule Azure AD Connect writes (\"Issue nameidentifier\"):\nc:[Type == \"{IMMUTABLEID_URI}\"]\n => \
issue(Type = \"{NAMEIDENTIFIER_URI}\", Value = c.Value, Properties[\"http://schemas.xmlsoap.org/ws/2005/05/identity/\
claimproperties/format\"] = \"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified\");\nthen confirm with `fedcheck check` \
on a real token."
            )),
            None,
        ));
    }
    for r in &nameid {
        match value_source_type(r) {
            Some(t) if t.eq_ignore_ascii_case(IMMUTABLEID_URI) => out.push(lc(
                "adfs.nameidentifier",
                Status::Pass,
                format!("{} issues nameidentifier with the value of the ImmutableID claim", rule_label(r)),
                None,
                Some(r),
            )),
            other => out.push(lc(
                "adfs.nameidentifier",
                Status::Warn,
                format!(
                    "{} issues nameidentifier from {}, not from the ImmutableID claim: Entra needs the NameIdentifier to \
equal the user's ImmutableID, which fedcheck cannot confirm here",
                    rule_label(r),
                    other
                        .map(|t| format!("the claim {t}"))
                        .unwrap_or_else(|| "something else".to_string())
                ),
                Some(
                    "Issue nameidentifier with Value = c.Value from the ImmutableID claim (Azure AD Connect's rule \
\"Issue nameidentifier\"), or check with `fedcheck check` that the NameIdentifier equals the user's ImmutableID."
                        .into(),
                ),
                Some(r),
            )),
        }
    }

    // adfs.inside-corporate-network: Entra can skip MFA for federated users "on my intranet".
    let corpnet: Vec<&Rule> = set
        .rules
        .iter()
        .filter(|r| issues_type(r, INSIDE_CORPNET_URI))
        .collect();
    if corpnet.is_empty() {
        out.push(lc(
            "adfs.inside-corporate-network",
            Status::Info,
            "no rule issues insidecorporatenetwork: Entra's trusted-IPs option \"skip multifactor authentication for \
requests from federated users on my intranet\" never applies to these users"
                .into(),
            None,
            None,
        ));
    }
    for r in &corpnet {
        if passes_through(r, INSIDE_CORPNET_URI) {
            out.push(lc(
                "adfs.inside-corporate-network",
                Status::Info,
                format!(
                    "{} passes AD FS's own insidecorporatenetwork claim through (Azure AD Connect's rule): with \
Entra's trusted-IPs option \"skip multifactor authentication for requests from federated users on my intranet\", users \
inside the corporate network skip MFA",
                    rule_label(r)
                ),
                None,
                Some(r),
            ));
            continue;
        }
        let literal_true = literal_value(r).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let (status, why) = match (literal_true, r.conditions.is_empty()) {
            (true, true) => (
                Status::Fail,
                "security: it says every sign-in comes from inside the corporate network".to_string(),
            ),
            (true, false) => (
                Status::Warn,
                format!(
                    "it sets true when {}: only as good as that condition",
                    r.conditions.iter().map(condition_text).collect::<Vec<_>>().join(" && ")
                ),
            ),
            (false, _) => (Status::Warn, "fedcheck cannot tell what value it issues".to_string()),
        };
        out.push(lc(
            "adfs.inside-corporate-network",
            status,
            format!(
                "{} issues insidecorporatenetwork itself instead of passing AD FS's claim through; {why}. With Entra's \
trusted-IPs option for federated users, a true value skips MFA",
                rule_label(r)
            ),
            Some(format!(
                "Pass AD FS's own claim through instead (Azure AD Connect's rule \"Pass through claim - \
insideCorporateNetwork\"):\nc:[Type == \"{INSIDE_CORPNET_URI}\"]\n => issue(claim = c);"
            )),
            Some(r),
        ));
    }

    // adfs.mfa-instant: multifactorauthenticationinstant should come from AD FS itself.
    let instant: Vec<&Rule> = set.rules.iter().filter(|r| issues_type(r, MFA_INSTANT_URI)).collect();
    if instant.is_empty() {
        out.push(lc(
            "adfs.mfa-instant",
            Status::Info,
            "no rule issues multifactorauthenticationinstant (Azure AD Connect passes it through); Entra's sign-in \
frequency uses authenticationinstant for WS-Fed"
                .into(),
            None,
            None,
        ));
    }
    for r in &instant {
        if passes_through(r, MFA_INSTANT_URI) {
            out.push(lc(
                "adfs.mfa-instant",
                Status::Info,
                format!(
                    "{} passes AD FS's own multifactorauthenticationinstant through (Azure AD Connect's rule)",
                    rule_label(r)
                ),
                None,
                Some(r),
            ));
        } else {
            out.push(lc(
                "adfs.mfa-instant",
                Status::Warn,
                format!(
                    "{} makes up multifactorauthenticationinstant instead of passing AD FS's own claim through: it can \
state a time at which no MFA happened. Microsoft does not document how Entra uses this claim for WS-Fed, so fedcheck \
cannot say what it changes",
                    rule_label(r)
                ),
                Some(format!(
                    "Pass AD FS's own claim through instead (Azure AD Connect's rule \"Pass through claim - \
multifactorauthenticationinstant\"):\nc:[Type == \"{MFA_INSTANT_URI}\"]\n => issue(claim = c);"
                )),
                Some(r),
            ));
        }
    }

    // adfs.issuer-id-domains: which issuerid each UPN suffix gets (several federated domains).
    for r in set.rules.iter().filter(|r| issues_type(r, ISSUERID_URI)) {
        let call = match &r.action.body {
            Body::New {
                value: Some(Expr::Call { name, args }),
                ..
            } if name.eq_ignore_ascii_case("regexreplace") && args.len() == 3 => match (&args[1], &args[2]) {
                (Expr::Str(p), Expr::Str(repl)) => Some((p.as_str(), repl.as_str())),
                _ => None,
            },
            _ => None,
        };
        let (status, message, fix) = match (call, literal_value(r)) {
            (_, Some(v)) => (
                Status::Info,
                format!("{} issues the fixed issuerid {v}", rule_label(r)),
                None,
            ),
            (Some((p, repl)), None) if p == WHOLE_SUFFIX_PATTERN => (
                Status::Warn,
                format!(
                    "{} makes issuerid from the whole UPN suffix ({repl}): a user of a subdomain (alice@sub.contoso.com) \
gets http://sub.contoso.com/..., but a subdomain is federated through its root domain, whose issuerUri differs, and \
Entra refuses the token (AADSTS50107)",
                    rule_label(r)
                ),
                Some(format!(
                    "If users sign in with subdomain UPNs, use the pattern Microsoft documents for subdomains:\n\
Value = regexreplace(c.Value, \"{SUBDOMAIN_PATTERN}\", \"{repl}\")"
                )),
            ),
            (Some((p, repl)), None) if p == SUBDOMAIN_PATTERN => (
                Status::Pass,
                format!(
                    "{} makes issuerid from the last two labels of the UPN suffix ({repl}), the pattern Microsoft \
documents for federated subdomains",
                    rule_label(r)
                ),
                None,
            ),
            (Some((p, repl)), None) => match enumerated_domains(p) {
                Some(domains) => (
                    Status::Info,
                    format!(
                        "{} issues issuerid {repl} for the UPN suffixes {} (Azure AD Connect, several federated \
domains): each domain's issuerUri in Entra must be exactly that value (AADSTS50107 otherwise); a user with another UPN \
suffix, subdomains included, gets the UPN itself as issuerid (RegExReplace leaves a value that does not match unchanged)",
                        rule_label(r),
                        domains.join(", ")
                    ),
                    None,
                ),
                None => (
                    Status::Warn,
                    format!(
                        "{} builds issuerid with the pattern {p:?}, which fedcheck does not evaluate: each federated \
domain's issuerUri in Entra must equal what it produces",
                        rule_label(r)
                    ),
                    None,
                ),
            },
            (None, None) => (
                Status::Warn,
                format!(
                    "{} issues issuerid from an expression fedcheck does not evaluate: each federated domain's \
issuerUri in Entra must equal what it produces",
                    rule_label(r)
                ),
                None,
            ),
        };
        out.push(lc("adfs.issuer-id-domains", status, message, fix, Some(r)));
    }
}

/// Where the product or Microsoft documents what a claim-rule check looks at.
pub fn check_docs(id: &str) -> &'static [&'static str] {
    match id {
        "adfs.amr-passthrough" | "adfs.mfa-unconditional" => &[
            DOC_AADCONNECT_RULES,
            "https://learn.microsoft.com/entra/identity/authentication/how-to-mfa-expected-inbound-assertions",
        ],
        "adfs.issuer-id" | "adfs.issuer-id-domains" => &[DOC_MULTIPLE_DOMAINS, DOC_AADCONNECT_RULES],
        "adfs.inside-corporate-network" => &[DOC_AADCONNECT_RULES, DOC_TRUSTED_IPS],
        "adfs.unparsed" => &["https://learn.microsoft.com/windows-server/identity/ad-fs/technical-reference/the-role-of-the-claim-rule-language"],
        _ => &[DOC_AADCONNECT_RULES],
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Report

/// One rule in the report.
#[derive(Debug, Clone, Serialize)]
pub struct RuleRow {
    /// `@RuleName`.
    pub name: Option<String>,
    /// Line.
    pub line: usize,
    /// What it does.
    pub summary: String,
}

/// The lint-config report (the JSON contract).
#[derive(Debug, Clone, Serialize)]
pub struct LintReport {
    /// `pass` or `fail`.
    pub verdict: &'static str,
    /// `adfs`.
    pub kind: &'static str,
    /// The file as given.
    pub file: String,
    /// How it was encoded.
    pub encoding: Encoding,
    /// Rules understood.
    pub rules: Vec<RuleRow>,
    /// Rules not understood.
    pub unparsed: Vec<Unparsed>,
    /// Findings.
    pub checks: Vec<LintCheck>,
}

impl LintReport {
    /// True when a check failed.
    pub fn failed(&self) -> bool {
        self.verdict == "fail"
    }
}

/// Why a file cannot be linted (exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable(pub String);

const SUPPORTED: &str =
    "supported: adfs (AD FS issuance transform rules, the text of (Get-AdfsRelyingPartyTrust -Name \
\"Microsoft Office 365 Identity Platform\").IssuanceTransformRules)";

/// Decodes, parses and lints a rule file's bytes.
pub fn run(file: &str, bytes: &[u8]) -> Result<LintReport, Unusable> {
    let (text, encoding) = decode(bytes).map_err(|e| Unusable(format!("{file}: {e}")))?;
    if lex(&text).is_empty() {
        return Err(Unusable(format!(
            "{file}: empty (no rules, only whitespace or comments)"
        )));
    }
    let set = parse(&text);
    if set.rules.is_empty() {
        let first = set
            .unparsed
            .first()
            .map(|u| format!(" (line {}: {})", u.line, u.reason))
            .unwrap_or_default();
        return Err(Unusable(format!(
            "{file}: not an AD FS claim rule set{first}; {SUPPORTED}"
        )));
    }
    let checks = lint(&set);
    let verdict = if checks.iter().any(|c| c.check.status == Status::Fail) {
        "fail"
    } else {
        "pass"
    };
    Ok(LintReport {
        verdict,
        kind: "adfs",
        file: file.to_string(),
        encoding,
        rules: set
            .rules
            .iter()
            .map(|r| RuleRow {
                name: r.name.clone(),
                line: r.line,
                summary: summary(r),
            })
            .collect(),
        unparsed: set.unparsed,
        checks,
    })
}

/// The report as JSON (pretty).
pub fn to_json(r: &LintReport) -> String {
    serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// The report as terminal text.
pub fn to_text(r: &LintReport) -> String {
    let mut s = String::new();
    let enc = match r.encoding {
        Encoding::Utf8 => "",
        Encoding::Utf16le => ", UTF-16LE",
        Encoding::Utf16be => ", UTF-16BE",
    };
    let _ = writeln!(
        s,
        "{}: AD FS claim rules{enc}: {} rule(s) understood, {} not understood",
        r.file,
        r.rules.len(),
        r.unparsed.len()
    );
    for row in &r.rules {
        let _ = writeln!(
            s,
            "  line {:>4}  {}{}",
            row.line,
            row.name.as_deref().map(|n| format!("\"{n}\": ")).unwrap_or_default(),
            row.summary
        );
    }
    let _ = writeln!(s);
    for c in &r.checks {
        let _ = writeln!(
            s,
            "{:<5} {}  {}",
            c.check.status.as_str().to_uppercase(),
            c.check.id,
            c.check.message
        );
        if let Some(fix) = &c.check.fix {
            for (i, l) in fix.lines().enumerate() {
                let _ = writeln!(s, "      {}{l}", if i == 0 { "fix: " } else { "     " });
            }
        }
    }
    let _ = writeln!(s, "\nVerdict: {}", r.verdict.to_uppercase());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn decode_utf16_and_bom() {
        let s = "=> issue(Type = \"a\", Value = \"é\");";
        let mut le = vec![0xFF, 0xFE];
        le.extend(s.encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(decode(&le).unwrap(), (s.to_string(), Encoding::Utf16le));
        let mut bom8 = vec![0xEF, 0xBB, 0xBF];
        bom8.extend(s.as_bytes());
        assert_eq!(decode(&bom8).unwrap().0, s);
        let no_bom: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        assert!(decode(&no_bom).is_err());
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
