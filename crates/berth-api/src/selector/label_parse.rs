//! The `labelSelector` query-string grammar: a lexer and a recursive-descent parser.
//!
//! [`parse`] turns text into checked [`Requirement`]s. The grammar, whitespace-tolerant:
//!
//! ```text
//! selector    := "" | requirement ("," requirement)*
//! requirement := "!" KEY | KEY | KEY op VALUE? | KEY ("in" | "notin") "(" list ")"
//! op          := "=" | "==" | "!=" | ">" | "<"
//! list        := VALUE? ("," VALUE?)*        (an empty item is the empty value)
//! ```
//!
//! Words are runs of anything but whitespace and `=!(),<>`. `in` and `notin` are operators
//! only where an operator is expected, so they stay usable as keys and values.

use super::label::{Operator, Requirement};

/// A lexical token. Words keep their text; the parser decides whether `in`/`notin` are
/// keywords from the position they appear in.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'a> {
    Word(&'a str),
    Bang,
    Eq,
    DoubleEq,
    NotEq,
    Gt,
    Lt,
    Open,
    Close,
    Comma,
    End,
}

impl Token<'_> {
    /// How the token reads in an error message.
    fn describe(&self) -> String {
        let text = match self {
            Token::Word(w) => return format!("{w:?}"),
            Token::End => return "the end".to_owned(),
            Token::Bang => "!",
            Token::Eq => "=",
            Token::DoubleEq => "==",
            Token::NotEq => "!=",
            Token::Gt => ">",
            Token::Lt => "<",
            Token::Open => "(",
            Token::Close => ")",
            Token::Comma => ",",
        };
        format!("'{text}'")
    }
}

fn is_symbol(c: char) -> bool {
    matches!(c, '=' | '!' | '(' | ')' | ',' | '<' | '>')
}

/// The whitespace the grammar skips; any other character (even Unicode spaces) is word text,
/// which key and value checks then refuse.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Splits the selector into tokens; the last one is always [`Token::End`].
fn lex(s: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start_matches(is_space);
        let Some(c) = rest.chars().next() else {
            tokens.push(Token::End);
            return tokens;
        };
        let (token, len) = match (c, rest.as_bytes().get(1)) {
            ('!', Some(b'=')) => (Token::NotEq, 2),
            ('=', Some(b'=')) => (Token::DoubleEq, 2),
            ('!', _) => (Token::Bang, 1),
            ('=', _) => (Token::Eq, 1),
            ('>', _) => (Token::Gt, 1),
            ('<', _) => (Token::Lt, 1),
            ('(', _) => (Token::Open, 1),
            (')', _) => (Token::Close, 1),
            (',', _) => (Token::Comma, 1),
            _ => {
                let end = rest.find(|c: char| is_symbol(c) || is_space(c));
                let len = end.unwrap_or(rest.len());
                (Token::Word(&rest[..len]), len)
            }
        };
        tokens.push(token);
        rest = &rest[len..];
    }
}

/// Parses a whole selector; the error is the reason, without the selector's text.
pub(crate) fn parse(s: &str) -> Result<Vec<Requirement>, String> {
    let mut parser = Parser { tokens: lex(s), pos: 0 };
    let mut requirements = Vec::new();
    if parser.peek() == &Token::End {
        return Ok(requirements);
    }
    loop {
        requirements.push(parser.requirement()?);
        match parser.next() {
            Token::End => return Ok(requirements),
            Token::Comma => {}
            other => {
                return Err(format!("found {}, expected ',' or the end", other.describe()));
            }
        }
    }
}

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> &Token<'a> {
        self.tokens.get(self.pos).unwrap_or(&Token::End)
    }

    fn next(&mut self) -> Token<'a> {
        let token = self.peek().clone();
        self.pos += 1;
        token
    }

    fn requirement(&mut self) -> Result<Requirement, String> {
        let negated = self.peek() == &Token::Bang;
        if negated {
            self.pos += 1;
        }
        let key = match self.next() {
            Token::Word(key) => key.to_owned(),
            other => return Err(format!("found {}, expected a key", other.describe())),
        };
        if negated || matches!(self.peek(), Token::Comma | Token::End) {
            let op = if negated { Operator::DoesNotExist } else { Operator::Exists };
            return Requirement::build(key, op, Vec::new());
        }
        let op = match self.next() {
            Token::Word("in") => Operator::In,
            Token::Word("notin") => Operator::NotIn,
            Token::Eq => Operator::Equals,
            Token::DoubleEq => Operator::DoubleEquals,
            Token::NotEq => Operator::NotEquals,
            Token::Gt => Operator::GreaterThan,
            Token::Lt => Operator::LessThan,
            other => {
                return Err(format!(
                    "found {} after key {key:?}, expected one of in, notin, =, ==, !=, >, <",
                    other.describe()
                ));
            }
        };
        let values = match op {
            Operator::In | Operator::NotIn => self.value_list()?,
            _ => vec![self.single_value()?],
        };
        Requirement::build(key, op, values)
    }

    /// The value after `=`, `==`, `!=`, `>` or `<`; nothing before `,` or the end is "".
    fn single_value(&mut self) -> Result<String, String> {
        match self.peek() {
            Token::Comma | Token::End => Ok(String::new()),
            Token::Word(w) => {
                let value = (*w).to_owned();
                self.pos += 1;
                Ok(value)
            }
            other => Err(format!("found {}, expected a value", other.describe())),
        }
    }

    /// `( item, item, ... )` where an item is a value or nothing (the empty value).
    fn value_list(&mut self) -> Result<Vec<String>, String> {
        match self.next() {
            Token::Open => {}
            other => return Err(format!("found {}, expected '('", other.describe())),
        }
        let mut values = Vec::new();
        let mut item: Option<String> = None;
        loop {
            match self.next() {
                Token::Word(w) if item.is_none() => item = Some(w.to_owned()),
                Token::Comma => values.push(item.take().unwrap_or_default()),
                Token::Close => {
                    values.push(item.take().unwrap_or_default());
                    return Ok(values);
                }
                other => {
                    let want = if item.is_some() { "',' or ')'" } else { "a value, ',' or ')'" };
                    return Err(format!("found {}, expected {want}", other.describe()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{LabelSelector, SelectorError};
    use super::*;

    #[test]
    fn lexer_splits_symbols_and_words() {
        use Token::*;
        assert_eq!(
            lex(" !a,b!=c==d = e in(x,notin)>1<2 "),
            vec![
                Bang,
                Word("a"),
                Comma,
                Word("b"),
                NotEq,
                Word("c"),
                DoubleEq,
                Word("d"),
                Eq,
                Word("e"),
                Word("in"),
                Open,
                Word("x"),
                Comma,
                Word("notin"),
                Close,
                Gt,
                Word("1"),
                Lt,
                Word("2"),
                End,
            ]
        );
    }

    #[test]
    fn parses_and_prints_canonically() {
        let cases = [
            ("", ""),
            ("   ", ""),
            ("a=b", "a=b"),
            ("a==b", "a==b"),
            ("a!=b", "a!=b"),
            (" a = b ", "a=b"),
            ("a=", "a="),
            ("a!=,b", "a!=,b"),
            ("a", "a"),
            ("!a", "!a"),
            ("! a", "!a"),
            ("a in (x,y)", "a in (x,y)"),
            ("a in(y, x ,y)", "a in (x,y)"),
            ("a notin (x)", "a notin (x)"),
            ("a in ()", "a in ()"),
            ("a in (,x)", "a in (,x)"),
            ("a in (x,,z)", "a in (,x,z)"),
            ("a in (x,)", "a in (,x)"),
            ("a>1", "a>1"),
            ("a < 10", "a<10"),
            ("in in (in, notin)", "in in (in,notin)"),
            ("notin=in", "notin=in"),
            ("z=1,y,!x,w in (a)", "w in (a),!x,y,z=1"),
            ("example.com/app=web,tier", "example.com/app=web,tier"),
            ("a=b\t,\nc", "a=b,c"),
            ("a\r\n=\tb", "a=b"),
        ];
        for (input, want) in cases {
            let parsed = LabelSelector::parse(input).expect(input);
            assert_eq!(parsed.to_string(), want, "{input:?}");
            let again = LabelSelector::parse(&parsed.to_string()).expect(want);
            assert_eq!(again, parsed, "round trip of {input:?}");
        }
    }

    #[test]
    fn rejects_malformed_selectors() {
        let long = format!("a={}", "v".repeat(64));
        let cases = [
            "a in (x",
            "a in x",
            "a in (x y)",
            "a in (x))",
            "a notin",
            "=b",
            "a b",
            "a=b c",
            "a=b,",
            ",a",
            "a,,b",
            "!a=b",
            "!",
            "!=a",
            "a=(b)",
            "a==!b",
            "a$=b",
            "-a=b",
            "a/b/c=d",
            "a=b/c",
            long.as_str(),
            "a>b",
            "a>",
            "a<1.5",
            "a in (x),b notin (",
            "(a)",
            "a=\u{c}b",
            "a=b\u{a0}",
            "a=b)",
        ];
        for input in cases {
            match LabelSelector::parse(input) {
                Err(SelectorError::InvalidLabelSelector { selector, .. }) => {
                    assert_eq!(selector, input);
                }
                other => panic!("{input:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn error_reasons_point_at_the_problem() {
        let reason = |s: &str| match LabelSelector::parse(s) {
            Err(SelectorError::InvalidLabelSelector { reason, .. }) => reason,
            other => panic!("{s:?} gave {other:?}"),
        };
        assert_eq!(
            reason("a b"),
            r#"found "b" after key "a", expected one of in, notin, =, ==, !=, >, <"#
        );
        assert_eq!(reason("a in (x"), "found the end, expected ',' or ')'");
        assert_eq!(reason("=b"), "found '=', expected a key");
        assert_eq!(reason("a=b,"), "found the end, expected a key");
        assert!(reason("a=-x").starts_with(r#"value "-x""#));
    }
}
