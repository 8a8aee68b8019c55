//! A recursive-descent parser for the claim rule language, one method per construct: a rule (annotations,
//! conditions joined by `&&`, `=>`, an action, `;`), a condition (a selector `tag:[...]`, `exists([...])`,
//! `NOT EXISTS([...])`), an action (`issue` / `add` of a copy, a new claim or an attribute store query) and a value
//! (strings, `tag.Property`, function calls, joined by `+`).
//!
//! A rule that does not parse becomes an [`Unparsed`] with the [`SyntaxError`] in words, and parsing resumes after
//! the next `;`. Nesting of function calls is bounded: the input is untrusted.

use super::lexer::{describe, lex, Tok, Token};
use super::syntax::{tag_tests, verb_name};
use super::{Action, Body, Condition, Expr, Op, Property, Rule, RuleSet, Test, Unparsed, Verb};

/// Deepest nesting of function calls accepted in a value.
const MAX_DEPTH: usize = 16;
/// The most characters of a rule's text kept in [`Unparsed::text`].
const MAX_UNPARSED_TEXT: usize = 300;

/// Why a rule was not understood. `found` names a place: `line N: <token>`, or `end of file`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyntaxError {
    /// Something else than what the grammar allows here.
    #[error("expected {what}, found {found}")]
    Expected {
        /// What the grammar allows.
        what: String,
        /// What is there.
        found: String,
    },
    /// The input ends before the rule's `;`.
    #[error("the rule does not end with ';' (AD FS requires it)")]
    NoSemicolon,
    /// An aggregate function other than `exists` / `NOT EXISTS` (e.g. `count`).
    #[error("aggregate function '{name}' is not understood (only exists and NOT EXISTS are), line {line}")]
    UnknownAggregate {
        /// The function as written.
        name: String,
        /// Its line.
        line: usize,
    },
    /// A claim property that is not one of Type, Value, Issuer, OriginalIssuer, ValueType.
    #[error("unknown claim property '{name}' (line {line}); known: Type, Value, Issuer, OriginalIssuer, ValueType")]
    UnknownProperty {
        /// The property as written.
        name: String,
        /// Its line.
        line: usize,
    },
    /// `tag.Property` with an unknown property.
    #[error("unknown claim property '{tag}.{property}'")]
    UnknownReference {
        /// The tag.
        tag: String,
        /// The property as written.
        property: String,
    },
    /// A parameter of `issue(...)` / `add(...)` the language does not have.
    #[error("unknown parameter '{name}' in {verb}(...)")]
    UnknownParameter {
        /// The parameter as written.
        name: String,
        /// `issue` or `add`.
        verb: &'static str,
    },
    /// Attribute store parameters and claim parameters in one action.
    #[error("mixes attribute store parameters (store, types, query, param) with claim parameters (Type, Value, ...)")]
    MixedParameters,
    /// An attribute store query without `store`, `types` or `query`.
    #[error("an attribute store query needs store, types and query")]
    IncompleteStoreQuery,
    /// A new claim without `Type = ...`.
    #[error("{verb}(...) without Type = ...")]
    MissingType {
        /// `issue` or `add`.
        verb: &'static str,
    },
    /// Function calls nested deeper than 16.
    #[error("function calls nested deeper than {MAX_DEPTH}")]
    TooDeep,
    /// The action reads a tag no condition defines.
    #[error("the action reads '{tag}', which no condition defines (no '{tag}:[...]')")]
    UndefinedTag {
        /// The tag.
        tag: String,
    },
}

type PResult<T> = Result<T, SyntaxError>;

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

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    /// Nesting of function calls in values (bounded: the input is untrusted).
    depth: usize,
}

/// The parameters of an `issue(...)` / `add(...)` as read, before they are told apart.
#[derive(Default)]
struct Parameters {
    claim_type: Option<Expr>,
    value: Option<Expr>,
    other: Vec<(String, Expr)>,
    properties: Vec<(String, Expr)>,
    store: Option<String>,
    types: Option<Vec<String>>,
    query: Option<String>,
    params: Vec<Expr>,
}

impl Parser<'_> {
    // Reading tokens.

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n).map(|t| &t.tok)
    }

    fn bump(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).map(|t| t.tok.clone());
        self.pos += 1;
        t
    }

    /// Where token `i` is, for messages.
    fn place(&self, i: usize) -> String {
        match self.toks.get(i) {
            Some(t) => format!("line {}: {}", t.line, describe(&t.tok)),
            None => "end of file".into(),
        }
    }

    /// The current token's place.
    fn here(&self) -> String {
        self.place(self.pos)
    }

    /// The place of the token just consumed.
    fn prev(&self) -> String {
        self.place(self.pos.saturating_sub(1))
    }

    fn line(&self) -> usize {
        self.toks[self.pos].line
    }

    /// `what` was expected at the current token.
    fn expected(&self, what: impl Into<String>) -> SyntaxError {
        SyntaxError::Expected {
            what: what.into(),
            found: self.here(),
        }
    }

    /// `what` was expected instead of the token just consumed.
    fn expected_before(&self, what: impl Into<String>) -> SyntaxError {
        SyntaxError::Expected {
            what: what.into(),
            found: self.prev(),
        }
    }

    fn expect(&mut self, want: &Tok, what: &str) -> PResult<()> {
        if self.peek() == Some(want) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    /// One or more `item`s separated by `sep`.
    fn separated<T>(&mut self, sep: &Tok, mut item: impl FnMut(&mut Self) -> PResult<T>) -> PResult<Vec<T>> {
        let mut items = vec![item(self)?];
        while self.peek() == Some(sep) {
            self.pos += 1;
            items.push(item(self)?);
        }
        Ok(items)
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
            _ => Err(self.expected(format!("{what} (a string in double quotes)"))),
        }
    }

    // Rules.

    fn parse_all(mut self) -> RuleSet {
        let mut set = RuleSet::default();
        while self.pos < self.toks.len() {
            let start = self.pos;
            match self.rule() {
                Ok(r) => set.rules.push(r),
                Err(reason) => {
                    let (unparsed, end) = self.unparsed(start, reason);
                    set.unparsed.push(unparsed);
                    self.pos = end;
                }
            }
        }
        set
    }

    /// The rule starting at token `start` that did not parse, and the token after it: a rule cannot hold a `;`
    /// token, so it ends at the first one from its start.
    fn unparsed(&self, start: usize, reason: SyntaxError) -> (Unparsed, usize) {
        let mut end = start;
        while end < self.toks.len() && self.toks[end].tok != Tok::Semi {
            end += 1;
        }
        let end = (end + 1).min(self.toks.len());
        let a = self.toks[start].start;
        let b = self.toks[end - 1].end;
        let mut text: String = self.src[a..b].split_whitespace().collect::<Vec<_>>().join(" ");
        if text.chars().count() > MAX_UNPARSED_TEXT {
            text = text.chars().take(MAX_UNPARSED_TEXT).collect::<String>() + "...";
        }
        let name = self.toks[start..end]
            .windows(4)
            .find_map(|w| match (&w[0].tok, &w[1].tok, &w[2].tok, &w[3].tok) {
                (Tok::At, Tok::Ident(k), Tok::Assign, Tok::Str(v)) if k.eq_ignore_ascii_case("rulename") => {
                    Some(v.clone())
                }
                _ => None,
            });
        let unparsed = Unparsed {
            name,
            line: self.toks[start].line,
            text,
            reason: reason.to_string(),
        };
        (unparsed, end)
    }

    fn rule(&mut self) -> PResult<Rule> {
        self.depth = 0;
        let line = self.line();
        let (name, template) = self.annotations()?;
        let conditions = if self.peek() == Some(&Tok::Implies) {
            Vec::new()
        } else {
            self.separated(&Tok::And, Self::condition)?
        };
        self.expect(&Tok::Implies, "'=>' (or '&&' and another condition)")?;
        let action = self.action()?;
        if self.peek() != Some(&Tok::Semi) {
            return Err(if self.peek().is_none() {
                SyntaxError::NoSemicolon
            } else {
                self.expected("';' after the action")
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

    /// `@Name = "..."` annotations: `@RuleName` and `@RuleTemplate` are kept, others read and dropped.
    fn annotations(&mut self) -> PResult<(Option<String>, Option<String>)> {
        let (mut name, mut template) = (None, None);
        while self.peek() == Some(&Tok::At) {
            self.pos += 1;
            let key = match self.bump() {
                Some(Tok::Ident(k)) => k,
                _ => return Err(self.expected_before("an annotation name after '@'")),
            };
            self.expect(&Tok::Assign, "'=' after the annotation name")?;
            let v = self.string("the annotation value")?;
            match key.to_ascii_lowercase().as_str() {
                "rulename" => name = Some(v),
                "ruletemplate" => template = Some(v),
                _ => {}
            }
        }
        Ok((name, template))
    }

    // Conditions.

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
            return Err(SyntaxError::UnknownAggregate {
                name: f.clone(),
                line: self.line(),
            });
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
            return Err(self.expected("a condition ('tag:[...]', exists(...), NOT EXISTS(...)) or '=>'"));
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

    /// `[test, test, ...]`, possibly empty.
    fn selector(&mut self) -> PResult<Vec<Test>> {
        self.expect(&Tok::LBracket, "'['")?;
        let mut tests = Vec::new();
        if self.peek() == Some(&Tok::RBracket) {
            self.pos += 1;
            return Ok(tests);
        }
        loop {
            tests.push(self.test()?);
            match self.bump() {
                Some(Tok::Comma) => continue,
                Some(Tok::RBracket) => break,
                _ => return Err(self.expected_before("',' or ']' in the condition")),
            }
        }
        Ok(tests)
    }

    /// `Property op "value"`.
    fn test(&mut self) -> PResult<Test> {
        let property = match self.peek() {
            Some(Tok::Ident(p)) => Property::parse(p).ok_or_else(|| SyntaxError::UnknownProperty {
                name: p.clone(),
                line: self.line(),
            })?,
            _ => return Err(self.expected("a claim property (Type, Value, ...)")),
        };
        self.pos += 1;
        let op = match self.peek() {
            Some(Tok::Eq) => Op::Eq,
            Some(Tok::Ne) => Op::Ne,
            Some(Tok::Match) => Op::Match,
            Some(Tok::NotMatch) => Op::NotMatch,
            _ => return Err(self.expected(format!("==, !=, =~ or !~ after {}", property.name()))),
        };
        self.pos += 1;
        let value = self.string("the value compared with")?;
        Ok(Test { property, op, value })
    }

    // Actions.

    fn action(&mut self) -> PResult<Action> {
        let verb = match self.peek() {
            Some(Tok::Ident(v)) if v.eq_ignore_ascii_case("issue") => Verb::Issue,
            Some(Tok::Ident(v)) if v.eq_ignore_ascii_case("add") => Verb::Add,
            _ => return Err(self.expected("issue(...) or add(...) after '=>'")),
        };
        self.pos += 1;
        self.expect(&Tok::LParen, "'(' after issue/add")?;
        if self.is_kw(0, "claim") && self.peek_at(1) == Some(&Tok::Assign) {
            return Ok(Action {
                verb,
                body: self.copy_body()?,
            });
        }
        let mut p = Parameters::default();
        loop {
            self.parameter(verb, &mut p)?;
            match self.bump() {
                Some(Tok::Comma) => continue,
                Some(Tok::RParen) => break,
                _ => return Err(self.expected_before(format!("',' or ')' in {}(...)", verb_name(verb)))),
            }
        }
        Ok(Action {
            verb,
            body: body_of(verb, p)?,
        })
    }

    /// `claim = tag)`.
    fn copy_body(&mut self) -> PResult<Body> {
        self.pos += 2;
        let tag = match self.bump() {
            Some(Tok::Ident(t)) => t,
            _ => return Err(self.expected_before("a condition tag after 'claim ='")),
        };
        self.expect(&Tok::RParen, "')' after 'claim = tag'")?;
        Ok(Body::Copy { tag })
    }

    /// One `name = value` parameter of `issue(...)` / `add(...)`, into `p`.
    fn parameter(&mut self, verb: Verb, p: &mut Parameters) -> PResult<()> {
        let key = match self.peek() {
            Some(Tok::Ident(k)) => k.clone(),
            _ => return Err(self.expected("a parameter name (Type, Value, store, ...)")),
        };
        self.pos += 1;
        let lk = key.to_ascii_lowercase();
        if lk == "properties" {
            self.expect(&Tok::LBracket, "'[' after Properties")?;
            let name = self.string("the property name")?;
            self.expect(&Tok::RBracket, "']' after the property name")?;
            self.expect(&Tok::Assign, "'='")?;
            p.properties.push((name, self.expr()?));
            return Ok(());
        }
        self.expect(&Tok::Assign, &format!("'=' after {key}"))?;
        match lk.as_str() {
            "type" => p.claim_type = Some(self.expr()?),
            "value" => p.value = Some(self.expr()?),
            "valuetype" | "issuer" | "originalissuer" => p.other.push((key, self.expr()?)),
            "store" => p.store = Some(self.string("the attribute store name")?),
            "query" => p.query = Some(self.string("the query")?),
            "param" => p.params.push(self.expr()?),
            "types" => p.types = Some(self.types()?),
            _ => {
                return Err(SyntaxError::UnknownParameter {
                    name: key,
                    verb: verb_name(verb),
                })
            }
        }
        Ok(())
    }

    /// `("type", "type", ...)`.
    fn types(&mut self) -> PResult<Vec<String>> {
        self.expect(&Tok::LParen, "'(' starting the types list")?;
        let v = self.separated(&Tok::Comma, |p| p.string("a claim type"))?;
        self.expect(&Tok::RParen, "')' closing the types list")?;
        Ok(v)
    }

    // Values.

    fn expr(&mut self) -> PResult<Expr> {
        let mut parts = self.separated(&Tok::Plus, Self::term)?;
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
                        None => Err(SyntaxError::UnknownReference { tag: id, property: p }),
                    },
                    _ => Err(self.expected_before(format!("a property after '{id}.'"))),
                }
            }
            Some(Tok::Ident(id)) if self.peek_at(1) == Some(&Tok::LParen) => {
                self.pos += 2;
                self.call(id)
            }
            _ => Err(self.expected("a value (string, tag.Property or function call)")),
        }
    }

    /// The arguments of a function call `name(` and its `)`.
    fn call(&mut self, name: String) -> PResult<Expr> {
        if self.depth >= MAX_DEPTH {
            return Err(SyntaxError::TooDeep);
        }
        self.depth += 1;
        let args = if self.peek() == Some(&Tok::RParen) {
            Vec::new()
        } else {
            self.separated(&Tok::Comma, Self::expr)?
        };
        self.expect(&Tok::RParen, &format!("')' closing {name}("))?;
        self.depth -= 1;
        Ok(Expr::Call { name, args })
    }
}

/// The body the parameters make: an attribute store query, or a new claim (which needs a Type).
fn body_of(verb: Verb, p: Parameters) -> PResult<Body> {
    let is_store = p.store.is_some() || p.types.is_some() || p.query.is_some() || !p.params.is_empty();
    let is_new = p.claim_type.is_some() || p.value.is_some() || !p.other.is_empty() || !p.properties.is_empty();
    if is_store && is_new {
        return Err(SyntaxError::MixedParameters);
    }
    if is_store {
        let (Some(store), Some(types), Some(query)) = (p.store, p.types, p.query) else {
            return Err(SyntaxError::IncompleteStoreQuery);
        };
        return Ok(Body::Store {
            store,
            types,
            query,
            params: p.params,
        });
    }
    if p.claim_type.is_none() {
        return Err(SyntaxError::MissingType { verb: verb_name(verb) });
    }
    Ok(Body::New {
        claim_type: p.claim_type,
        value: p.value,
        other: p.other,
        properties: p.properties,
    })
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
            return Err(SyntaxError::UndefinedTag { tag: t.to_string() });
        }
    }
    Ok(())
}
