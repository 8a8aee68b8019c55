//! The claim rule language's tokens: identifiers, strings in double quotes (with `\"` and `\\` escapes, ending on
//! their line), numbers and operators, with `//` line and `/* */` block comments skipped. What cannot be read
//! becomes a [`Tok::Bad`] token with the reason, for the parser to report; lexing never fails.

/// True when the text holds no token at all (only whitespace and comments): no rule file.
pub fn is_blank(src: &str) -> bool {
    lex(src).is_empty()
}

/// A token's kind and content.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
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

/// A token and where it is.
#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) tok: Tok,
    /// Its line, from 1.
    pub(super) line: usize,
    /// Its byte range in the source.
    pub(super) start: usize,
    pub(super) end: usize,
}

/// Splits a rule file into tokens.
pub(super) fn lex(src: &str) -> Vec<Token> {
    let mut lexer = Lexer {
        src,
        b: src.as_bytes(),
        i: 0,
        line: 1,
        out: Vec::new(),
    };
    while lexer.i < lexer.b.len() {
        lexer.next_token();
    }
    lexer.out
}

/// The state of lexing: the position and line reached, and the tokens so far.
struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
    line: usize,
    out: Vec<Token>,
}

impl Lexer<'_> {
    /// Reads what starts at the current position: whitespace, a comment or one token.
    fn next_token(&mut self) {
        let c = self.b[self.i];
        let start = self.i;
        match c {
            b'\n' => {
                self.line += 1;
                self.i += 1;
            }
            c if c.is_ascii_whitespace() => self.i += 1,
            b'/' if self.b.get(self.i + 1) == Some(&b'/') => self.line_comment(),
            b'/' if self.b.get(self.i + 1) == Some(&b'*') => self.block_comment(start),
            b'"' => self.string(start),
            c if c.is_ascii_alphabetic() || c == b'_' => {
                self.skip_while(|b| b.is_ascii_alphanumeric() || b == b'_');
                self.push(Tok::Ident(self.src[start..self.i].to_string()), start, self.line);
            }
            c if c.is_ascii_digit() => {
                self.skip_while(|b| b.is_ascii_digit());
                self.push(Tok::Num(self.src[start..self.i].to_string()), start, self.line);
            }
            _ => self.symbol(start),
        }
    }

    fn push(&mut self, tok: Tok, start: usize, line: usize) {
        self.out.push(Token {
            tok,
            line,
            start,
            end: self.i,
        });
    }

    fn skip_while(&mut self, keep: impl Fn(u8) -> bool) {
        while self.i < self.b.len() && keep(self.b[self.i]) {
            self.i += 1;
        }
    }

    /// The character at the current position (input is a `&str`, so there always is a whole one).
    fn char_here(&self) -> char {
        self.src[self.i..].chars().next().unwrap_or('\u{FFFD}')
    }

    /// `// ...` up to the end of the line.
    fn line_comment(&mut self) {
        self.skip_while(|b| b != b'\n');
    }

    /// `/* ... */`, across lines; unterminated, a bad token.
    fn block_comment(&mut self, start: usize) {
        let line = self.line;
        self.i += 2;
        while self.i < self.b.len() {
            if self.b[self.i] == b'*' && self.b.get(self.i + 1) == Some(&b'/') {
                self.i += 2;
                return;
            }
            if self.b[self.i] == b'\n' {
                self.line += 1;
            }
            self.i += 1;
        }
        self.push(Tok::Bad("unterminated /* comment".into()), start, line);
    }

    /// `"..."`: `\"` and `\\` are escapes, other backslashes stay as written (regular expressions); a string ends
    /// on its line.
    fn string(&mut self, start: usize) {
        self.i += 1;
        let mut s = String::new();
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'"' => {
                    self.i += 1;
                    self.push(Tok::Str(s), start, self.line);
                    return;
                }
                b'\n' => break,
                b'\\' if matches!(self.b.get(self.i + 1), Some(b'"') | Some(b'\\')) => {
                    s.push(self.b[self.i + 1] as char);
                    self.i += 2;
                }
                _ => {
                    // Copy one whole UTF-8 character.
                    let ch = self.char_here();
                    s.push(ch);
                    self.i += ch.len_utf8();
                }
            }
        }
        self.push(
            Tok::Bad("unterminated string (a string ends on its line)".into()),
            start,
            self.line,
        );
    }

    /// An operator or punctuation, two characters before one.
    fn symbol(&mut self, start: usize) {
        let two = self.b.get(self.i + 1).copied();
        let (tok, n) = match (self.b[self.i], two) {
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
                let ch = self.char_here();
                (Tok::Bad(format!("unexpected character {ch:?}")), ch.len_utf8())
            }
        };
        self.i += n;
        self.push(tok, start, self.line);
    }
}

/// A token as error messages name it.
pub(super) fn describe(t: &Tok) -> String {
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
