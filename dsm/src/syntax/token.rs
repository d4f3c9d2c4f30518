//! The tokenizer, SEMS's `DSMChartReader::getToken` (spec §1.2), written with nom.
//!
//! - Whitespace is space, tab, CR and LF.
//! - `; { } [ ]` are single-character tokens when they are not inside a quote or a
//!   parenthesised group.
//! - Any other token is a maximal run of other characters, in which a `"…"` or `'…'` section
//!   runs to the matching quote and a `(…)` group runs to the *matching* `)`. That is how
//!   `dlg.reply(183, Session Progress)` or a whole SQL statement is one token.
//! - A token that begins with a quote loses its first and last character.
//!
//! Extension: an unquoted token that starts with `--` (but not `-->`) begins a comment that
//! runs to the end of the line. SEMS rejects such trailing comments; no working SEMS script
//! contains one, so accepting them cannot change a script that loads in SEMS.

use nom::{
    IResult, Parser,
    branch::alt,
    character::complete::{multispace0, one_of},
    combinator::map,
};

use crate::error::Span;

/// One token of the preprocessed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'a> {
    /// The token's text, with surrounding quotes removed when it began with one.
    pub text: &'a str,
    /// Where the token sits in the buffer (including any quotes).
    pub span: Span,
    /// Whether the token began with a quote (such a token is never a keyword; see the crate
    /// README).
    pub quoted: bool,
}

/// Problems the tokenizer notices (SEMS notices none of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenNote {
    /// Where the unterminated construct starts.
    pub span: Span,
    /// What is unterminated.
    pub what: &'static str,
}

fn is_wsp(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_snt(b: u8) -> bool {
    matches!(b, b';' | b'{' | b'}' | b'[' | b']')
}

/// Scans one word from the start of `b`, exactly as SEMS does, including its `last_chr`
/// escape tracking. Returns the *unclamped* end (SEMS may step past the end of the text when
/// a quote or parenthesis is unterminated) and whether that happened.
fn scan_word(b: &[u8]) -> (usize, bool) {
    let len = b.len();
    let at = |i: usize| -> u8 { if i < len { b[i] } else { 0 } };
    let mut p = 0usize;
    let mut last = b' ';
    let mut unterminated = false;
    while p < len && !is_wsp(b[p]) && !is_snt(b[p]) {
        match b[p] {
            q @ (b'"' | b'\'') => {
                p += 1;
                while p < len && !(b[p] == q && last != b'\\') {
                    last = b[p];
                    p += 1;
                }
                if p >= len {
                    unterminated = true;
                }
            }
            b'(' => {
                let mut lvl = 0i64;
                p += 1;
                while p < len && (lvl != 0 || b[p] != b')') {
                    match b[p] {
                        b'(' => lvl += 1,
                        b')' => lvl -= 1,
                        q @ (b'"' | b'\'') => {
                            p += 1;
                            while p < len && !(b[p] == q && last != b'\\') {
                                last = b[p];
                                p += 1;
                            }
                        }
                        _ => {}
                    }
                    last = at(p);
                    p += 1;
                }
                if p >= len {
                    unterminated = true;
                }
            }
            _ => {}
        }
        p += 1;
    }
    (p, unterminated)
}

/// nom parser for one non-single-character token: returns the raw slice (clamped to the
/// input) and the unclamped scan length.
fn word(input: &str) -> IResult<&str, (&str, usize, bool)> {
    let (end, unterminated) = scan_word(input.as_bytes());
    if end == 0 {
        return Err(nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::TakeWhile1,
        )));
    }
    let clamped = end.min(input.len());
    Ok((&input[clamped..], (&input[..clamped], end, unterminated)))
}

enum Raw<'a> {
    Single,
    Word(&'a str, usize, bool),
}

fn raw_token(input: &str) -> IResult<&str, Raw<'_>> {
    alt((
        map(one_of(";{}[]"), |_| Raw::Single),
        map(word, |(w, end, u)| Raw::Word(w, end, u)),
    ))
    .parse(input)
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Splits `text` into tokens. Never fails; empty tokens are dropped as SEMS drops them.
pub fn tokenize(text: &str) -> (Vec<Token<'_>>, Vec<TokenNote>) {
    let mut tokens = Vec::new();
    let mut notes = Vec::new();
    let mut rest = text;
    loop {
        // Whitespace: nom's multispace0 is exactly SEMS's set (space, tab, CR, LF).
        let ws: IResult<&str, &str> = multispace0(rest);
        if let Ok((r, _)) = ws {
            rest = r;
        }
        if rest.is_empty() {
            break;
        }
        let start = text.len() - rest.len();
        if rest.starts_with("--") && !rest.starts_with("-->") {
            let skip = rest.find('\n').unwrap_or(rest.len());
            rest = &rest[skip..];
            continue;
        }
        let Ok((r, raw)) = raw_token(rest) else {
            // Unreachable in practice (every non-space character starts a token); skip one
            // character rather than loop.
            let n = rest.chars().next().map_or(1, char::len_utf8);
            rest = &rest[n..];
            continue;
        };
        rest = r;
        let end = text.len() - rest.len();
        match raw {
            Raw::Single => tokens.push(Token {
                text: &text[start..end],
                span: Span::new(start, end),
                quoted: false,
            }),
            Raw::Word(w, scan_end, unterminated) => {
                if unterminated {
                    notes.push(TokenNote {
                        span: Span::new(start, end),
                        what: "quote or parenthesis",
                    });
                }
                let first = w.as_bytes()[0];
                let (body, quoted) = if first == b'"' || first == b'\'' {
                    // SEMS: substr(pos + 1, pos1 - pos - 2), with pos1 possibly past the end.
                    let stop = floor_boundary(w, scan_end.saturating_sub(1));
                    (w.get(1..stop.max(1)).unwrap_or(""), true)
                } else {
                    (w, false)
                };
                if !body.is_empty() {
                    tokens.push(Token {
                        text: body,
                        span: Span::new(start, end),
                        quoted,
                    });
                }
            }
        }
    }
    (tokens, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<&str> {
        tokenize(s).0.into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn parenthesised_arguments_are_one_token() {
        assert_eq!(
            texts("dlg.reply(183, Session Progress);"),
            vec!["dlg.reply(183, Session Progress)", ";"]
        );
        assert_eq!(
            texts("mysql.query(select a, b from t where (x=1) and y=';');"),
            vec!["mysql.query(select a, b from t where (x=1) and y=';')", ";"]
        );
    }

    #[test]
    fn quotes_are_stripped_from_leading_quote_tokens() {
        assert_eq!(
            texts("transition \"got INVITE\" START"),
            vec!["transition", "got INVITE", "START"]
        );
        assert_eq!(texts("'a b'c"), vec!["a b'"]);
    }

    #[test]
    fn separators_need_whitespace() {
        assert_eq!(texts("key(1)/log(x)"), vec!["key(1)/log(x)"]);
        assert_eq!(texts("A - x -> B"), vec!["A", "-", "x", "->", "B"]);
        assert_eq!(
            texts("a;b{c}[d]"),
            vec!["a", ";", "b", "{", "c", "}", "[", "d", "]"]
        );
    }

    #[test]
    fn unbalanced_paren_swallows_rest() {
        let (t, notes) = tokenize("log(1, x; state B;");
        assert_eq!(t.len(), 1);
        assert_eq!(notes.len(), 1);
        let (t, _) = tokenize("log(1, don't); state B; x'");
        assert_eq!(t[0].text, "log(1, don't); state B; x'");
    }

    #[test]
    fn trailing_comment_extension() {
        assert_eq!(
            texts("a; -- comment ; x\nb -->c"),
            vec!["a", ";", "b", "-->c"]
        );
    }

    #[test]
    fn unterminated_quote_at_end() {
        assert_eq!(texts("\"abc"), vec!["abc"]);
        assert_eq!(texts("\""), Vec::<&str>::new());
    }
}
