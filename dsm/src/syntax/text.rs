//! SEMS's small string helpers (`core/AmUtils.cpp`), with the exact behaviour DSM scripts
//! depend on: `explode` drops empty pieces, `trim` strips a character set, `str2i` accepts
//! an empty string as 0 and stops at a space, and so on. Everything here is pure and total.

/// Strips every character of `set` from both ends of `s` (AmUtils `trim`).
pub fn trim<'a>(s: &'a str, set: &str) -> &'a str {
    s.trim_matches(|c: char| set.contains(c))
}

/// Splits `s` at every occurrence of `delim`, dropping empty pieces (AmUtils `explode` with
/// its default `keep_empty = false`). An empty delimiter yields `s` itself.
pub fn explode<'a>(s: &'a str, delim: &str) -> Vec<&'a str> {
    if delim.is_empty() {
        return vec![s];
    }
    s.split(delim).filter(|p| !p.is_empty()).collect()
}

/// Unsigned parse as SEMS's `str2i`: leading spaces are skipped, digits accumulate (more than
/// ten digits is an error, overflow within ten wraps as C's `unsigned int` does), and the
/// number ends successfully at a space, CR or LF; any other character is an error. The empty
/// string parses as 0.
pub fn str2i(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i] == b' ' {
        i += 1;
    }
    let mut value: u32 = 0;
    let mut digits = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() {
            value = value.wrapping_mul(10).wrapping_add(u32::from(c - b'0'));
            digits += 1;
            if digits > 10 {
                return None;
            }
        } else if c == b' ' || c == b'\r' || c == b'\n' {
            break;
        } else {
            return None;
        }
        i += 1;
    }
    Some(value)
}

/// Signed parse as SEMS's `str2int`: like [`str2i`] with an optional leading `-`.
pub fn str2int(s: &str) -> Option<i32> {
    let t = s.trim_start_matches(' ');
    let (neg, rest) = match t.strip_prefix('-') {
        Some(r) => (true, r.trim_start_matches(' ')),
        None => (false, t),
    };
    if rest.starts_with('-') {
        return None;
    }
    let v = str2i(rest)?;
    // SEMS accumulates in an int; wrap the same way.
    let v = v as i32;
    Some(if neg { v.wrapping_neg() } else { v })
}

/// C's `atoi`/`atol`: optional whitespace and sign, then as many digits as there are; 0 when
/// there are none. Saturates instead of overflowing (C leaves overflow undefined).
pub fn atoi(s: &str) -> i64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut v: i64 = 0;
    for c in rest.bytes() {
        if !c.is_ascii_digit() {
            break;
        }
        v = v.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    if neg { -v } else { v }
}

/// C's `atof`: the longest prefix that reads as a decimal floating-point number, else 0.
pub fn atof(s: &str) -> f64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r']);
    let b = t.as_bytes();
    let mut end = 0;
    if end < b.len() && (b[end] == b'+' || b[end] == b'-') {
        end += 1;
    }
    let mut seen_digit = false;
    while end < b.len() && b[end].is_ascii_digit() {
        end += 1;
        seen_digit = true;
    }
    if end < b.len() && b[end] == b'.' {
        end += 1;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
            seen_digit = true;
        }
    }
    if !seen_digit {
        return 0.0;
    }
    if end < b.len() && (b[end] == b'e' || b[end] == b'E') {
        let mut e = end + 1;
        if e < b.len() && (b[e] == b'+' || b[e] == b'-') {
            e += 1;
        }
        let digits_start = e;
        while e < b.len() && b[e].is_ascii_digit() {
            e += 1;
        }
        if e > digits_start {
            end = e;
        }
    }
    t[..end].parse().unwrap_or(0.0)
}

/// C's `strtol` used as SEMS uses it in `test()`: the whole string must be a signed decimal
/// number (leading whitespace allowed); the empty string counts as 0.
pub fn strtol_whole(s: &str) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    if t.is_empty() {
        // strtol converts nothing and leaves endptr at the terminating NUL: accepted as 0.
        return if s.is_empty() { Some(0) } else { None };
    }
    let (neg, rest) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if rest.is_empty() || !rest.bytes().all(|c| c.is_ascii_digit()) {
        // strtol with no digits leaves endptr at the start: not at NUL unless s was empty.
        return None;
    }
    let mut v: i64 = 0;
    for c in rest.bytes() {
        v = v.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    Some(if neg { -v } else { v })
}

/// SEMS's `double2str`: `printf("%f")`, six decimals.
pub fn double2str(v: f64) -> String {
    format!("{v:.6}")
}

/// Splits a statement token into its name (before the first `(`) and its argument text
/// (between the first `(` and the *last* `)`; to the end when there is no `)` after the
/// `(`), as SEMS's `splitCmd`.
pub fn split_cmd(token: &str) -> (&str, &str) {
    match token.find('(') {
        Some(open) => {
            let rest = &token[open + 1..];
            match token.rfind(')') {
                Some(close) if close > open => (&token[..open], &token[open + 1..close]),
                _ => (&token[..open], rest),
            }
        }
        None => (token, ""),
    }
}

/// The argument of a one-argument action (`SCStrArgAction`): trimmed of spaces and tabs, then
/// if it starts with `"` all leading and trailing `"` are removed, likewise for `'`.
pub fn one_arg(arg: &str) -> String {
    let a = trim(arg, " \t");
    if a.starts_with('"') {
        trim(a, "\"").to_string()
    } else if a.starts_with('\'') {
        trim(a, "'").to_string()
    } else {
        a.to_string()
    }
}

/// The result of splitting a two-argument action's text (`CONST_ACTION_2P`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TwoArgs {
    /// First argument, trimmed and unquoted.
    pub p1: String,
    /// Second argument, trimmed and unquoted.
    pub p2: String,
    /// Whether the separator was found outside quotes.
    pub sep_found: bool,
    /// Whether a mandatory second argument is missing (SEMS logs an ERROR at load time).
    pub missing_mandatory: bool,
}

/// Splits `arg` at the first `sep` outside quotes, as SEMS's `CONST_ACTION_2P`.
///
/// SEMS's escape check compares against the *current* character, so a backslash never
/// protects a quote or separator during the scan; only the later unquoting turns `\"` / `\'`
/// into plain quotes. When a mandatory separator is missing SEMS returns early with *both*
/// parameters empty; that is reproduced.
pub fn two_args(arg: &str, sep: char, optional: bool) -> TwoArgs {
    let mut quote: Option<char> = None;
    let mut split_at = None;
    for (i, c) in arg.char_indices() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
            }
            None => {
                if c == '\'' || c == '"' {
                    quote = Some(c);
                } else if c == sep {
                    split_at = Some(i);
                    break;
                }
            }
        }
    }
    let sep_found = split_at.is_some();
    if !optional && !sep_found {
        return TwoArgs {
            p1: String::new(),
            p2: String::new(),
            sep_found,
            missing_mandatory: true,
        };
    }
    let (a, b) = match split_at {
        Some(i) => (&arg[..i], &arg[i + sep.len_utf8()..]),
        None => (arg, ""),
    };
    let p1 = unquote_param(trim(a, " \t"));
    let p2 = if sep_found {
        unquote_param(trim(b, " \t"))
    } else {
        String::new()
    };
    let missing_mandatory = !optional && (p1.is_empty() || p2.is_empty());
    TwoArgs {
        p1,
        p2,
        sep_found,
        missing_mandatory,
    }
}

fn unquote_param(p: &str) -> String {
    if p.starts_with('\'') {
        trim(p, "'").replace("\\'", "'")
    } else if p.starts_with('"') {
        trim(p, "\"").replace("\\\"", "\"")
    } else {
        p.to_string()
    }
}

/// Strips one leading `$` (SEMS accepts `set(x=1)` and `set($x=1)` alike).
pub fn strip_dollar(s: &str) -> &str {
    s.strip_prefix('$').unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explode_drops_empty_pieces() {
        assert_eq!(explode("a;;b;", ";"), vec!["a", "b"]);
        assert_eq!(explode("", ";"), Vec::<&str>::new());
        assert_eq!(explode("x in y", " in "), vec!["x", "y"]);
    }

    #[test]
    fn str2i_like_sems() {
        assert_eq!(str2i(""), Some(0));
        assert_eq!(str2i("  42"), Some(42));
        assert_eq!(str2i("42 junk"), Some(42));
        assert_eq!(str2i("42x"), None);
        assert_eq!(str2i("-1"), None);
        assert_eq!(str2i("12345678901"), None);
        assert_eq!(str2int("-7"), Some(-7));
        assert_eq!(str2int("- 7"), Some(-7));
        assert_eq!(str2int("x"), None);
    }

    #[test]
    fn split_cmd_uses_last_paren() {
        assert_eq!(split_cmd("log(1, f(x))"), ("log", "1, f(x)"));
        assert_eq!(split_cmd("hangup"), ("hangup", ""));
        assert_eq!(split_cmd("a(b"), ("a", "b"));
        assert_eq!(split_cmd("a)b(c"), ("a)b", "c"));
    }

    #[test]
    fn two_args_examples_from_the_spec() {
        let t = two_args("$a=b=c", '=', false);
        assert_eq!((t.p1.as_str(), t.p2.as_str()), ("$a", "b=c"));
        let t = two_args("1, Session Progress, x", ',', false);
        assert_eq!((t.p1.as_str(), t.p2.as_str()), ("1", "Session Progress, x"));
        let t = two_args("\"a,b\", 'c'", ',', false);
        assert_eq!((t.p1.as_str(), t.p2.as_str()), ("a,b", "c"));
        let t = two_args("only", ',', false);
        assert!(t.missing_mandatory);
        assert_eq!((t.p1.as_str(), t.p2.as_str()), ("", ""));
        let t = two_args("only", ',', true);
        assert_eq!((t.p1.as_str(), t.p2.as_str()), ("only", ""));
        // The escape does not hide the quote during the scan.
        let t = two_args(r#""a\",b", c"#, ',', false);
        assert_eq!(t.p1, "a\\");
    }

    #[test]
    fn one_arg_trims_quotes() {
        assert_eq!(one_arg("  \"x y\" "), "x y");
        assert_eq!(one_arg("'''z'"), "z");
        assert_eq!(one_arg(" $v "), "$v");
    }

    #[test]
    fn c_number_parsers() {
        assert_eq!(atoi(" 12ab"), 12);
        assert_eq!(atoi("x"), 0);
        assert!((atof("1.5e1x") - 15.0).abs() < 1e-9);
        assert_eq!(strtol_whole(""), Some(0));
        assert_eq!(strtol_whole("-3"), Some(-3));
        assert_eq!(strtol_whole("3a"), None);
        assert_eq!(double2str(3.0), "3.000000");
    }
}
