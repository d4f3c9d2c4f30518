//! POSIX basic regular expressions, as SEMS's `listByRegex` compiles them (`regcomp` without
//! `REG_EXTENDED`), translated to `regex-lite` syntax.
//!
//! In a BRE `( ) { } | + ?` are literal and `\( \) \{ \}` group and count; GNU also reads
//! `\| \+ \?` as operators, and so do we. `*` at the start of the pattern or of a group is
//! literal, `^` is an anchor only at the start of the pattern or a group, `$` only at the end
//! of the pattern or a group. Back-references (`\1`) have no linear-time form and are refused.
//! Inside brackets a backslash is literal, as POSIX says.

use std::fmt::Write as _;

/// Translates a BRE into `regex-lite` syntax; `Err` names what cannot be translated.
pub fn to_regex(bre: &str) -> Result<String, String> {
    let chars: Vec<char> = bre.chars().collect();
    let mut out = String::with_capacity(bre.len() + 8);
    let mut i = 0;
    // True where a `*` would be literal and `^` an anchor: start of pattern or group.
    let mut at_start = true;
    while i < chars.len() {
        let c = chars[i];
        let was_start = at_start;
        at_start = false;
        match c {
            '\\' => {
                let Some(&n) = chars.get(i + 1) else {
                    return Err("trailing backslash".to_string());
                };
                i += 1;
                match n {
                    '(' => {
                        out.push('(');
                        at_start = true;
                    }
                    ')' | '{' | '}' | '|' | '+' | '?' => {
                        out.push(n);
                        at_start = n == '|';
                    }
                    '1'..='9' => return Err(format!("back-reference \\{n} is not supported")),
                    _ => push_literal(&mut out, n),
                }
            }
            '[' => {
                i = bracket(&chars, i, &mut out)?;
                continue;
            }
            '*' if was_start => push_literal(&mut out, '*'),
            '^' if was_start => {
                out.push('^');
                at_start = true;
            }
            '^' => push_literal(&mut out, '^'),
            '$' => {
                let at_end = i + 1 == chars.len()
                    || (chars[i + 1] == '\\' && matches!(chars.get(i + 2), Some(')') | Some('|')));
                if at_end {
                    out.push('$');
                } else {
                    push_literal(&mut out, '$');
                }
            }
            '.' | '*' => out.push(c),
            _ => push_literal(&mut out, c),
        }
        i += 1;
    }
    Ok(out)
}

fn push_literal(out: &mut String, c: char) {
    if c.is_ascii_punctuation() || c == ' ' {
        let _ = write!(out, "\\x{{{:x}}}", c as u32);
    } else {
        out.push(c);
    }
}

/// Copies the bracket expression starting at `chars[start] == '['`; returns the index after it.
fn bracket(chars: &[char], start: usize, out: &mut String) -> Result<usize, String> {
    let mut i = start + 1;
    out.push('[');
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err("unterminated bracket expression".to_string());
        };
        match c {
            ']' if !first => {
                out.push(']');
                return Ok(i + 1);
            }
            '[' if matches!(chars.get(i + 1), Some(':') | Some('.') | Some('=')) => {
                let kind = chars[i + 1];
                let rest: String = chars[i..].iter().collect();
                let close = format!("{kind}]");
                let Some(end) = rest[2..].find(&close) else {
                    return Err("unterminated character class".to_string());
                };
                let inner = &rest[2..2 + end];
                if kind == ':' {
                    let _ = write!(out, "[:{inner}:]");
                } else {
                    // [.x.] and [=x=] name a single character here.
                    let mut it = inner.chars();
                    match (it.next(), it.next()) {
                        (Some(ch), None) => push_class_literal(out, ch),
                        _ => return Err(format!("collating element [{kind}{inner}{kind}]")),
                    }
                }
                i += 2 + inner.chars().count() + 2;
            }
            '-' => {
                out.push('-');
                i += 1;
            }
            _ => {
                push_class_literal(out, c);
                i += 1;
            }
        }
        first = false;
    }
}

fn push_class_literal(out: &mut String, c: char) {
    if c.is_ascii_punctuation() && c != '-' {
        let _ = write!(out, "\\x{{{:x}}}", c as u32);
    } else {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(bre: &str, s: &str) -> bool {
        let re = regex_lite::Regex::new(&to_regex(bre).unwrap()).unwrap();
        re.is_match(s)
    }

    #[test]
    fn bre_semantics() {
        assert!(m("sip:35@.*", "sip:35@192.168.5.106"));
        assert!(m("^WAIT", "WAIT_CALLEE"));
        assert!(!m("^WAIT", "X WAIT"));
        assert!(m("CALLEE$", "WAIT_CALLEE"));
        assert!(m("a+b", "a+b"), "+ is literal in a BRE");
        assert!(!m("a+b", "aab"));
        assert!(m("a\\+b", "aab"), "\\+ is the GNU operator");
        assert!(m("(x)", "(x)"));
        assert!(m("\\(ab\\)*c", "ababc"));
        assert!(m("a\\{2\\}", "caab"));
        assert!(!m("^a\\{2\\}$", "a"));
        assert!(m("*a", "*a"), "leading * is literal");
        assert!(m("a^b$c", "a^b$c"));
        assert!(m("x\\|y", "y"));
        assert!(m("[[:digit:]][]a]", "1]"));
        assert!(m("[^a-c]", "d"));
        assert!(m("[\\]", "\\"), "backslash is literal in brackets");
        assert!(m("[a-]", "-"));
        assert!(m("'bee'", "\"'bee' <sip:5@h>\""));
        assert!(m("[[.-.]]", "-"));
    }

    #[test]
    fn refusals() {
        assert!(to_regex("\\1").is_err());
        assert!(to_regex("abc\\").is_err());
        assert!(to_regex("[abc").is_err());
        assert!(to_regex("[[:alpha").is_err());
        assert!(to_regex("[[.ab.]]").is_err());
    }
}
