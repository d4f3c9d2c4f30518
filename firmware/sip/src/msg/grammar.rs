//! Lexical pieces of the RFC 3261 §25 grammar, as nom 8 parsers over `&str`.
//!
//! Header values reach these parsers after line unfolding (every `CRLF 1*WSP` became one
//! space, `parse.rs`), so linear whitespace (LWS) is only ever spaces and tabs here.

use nom::{
    IResult, Parser,
    bytes::complete::{take_while, take_while1},
    character::complete::char,
};

use super::params::Params;

/// `token` characters (RFC 3261 §25.1).
pub(crate) fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '-' | '.' | '!' | '%' | '*' | '_' | '+' | '`' | '\'' | '~'
        )
}

/// Characters that may appear in a parameter value without quoting. RFC 3261 allows
/// `token / host / quoted-string` (`gen-value`), so IPv6 references and colons are in.
fn is_param_value_char(c: char) -> bool {
    is_token_char(c) || matches!(c, ':' | '[' | ']' | '/' | '@' | '&' | '$' | '=')
}

/// Optional linear whitespace.
pub(crate) fn lws(i: &str) -> IResult<&str, &str> {
    take_while(|c| c == ' ' || c == '\t').parse(i)
}

/// One `token`.
pub(crate) fn token(i: &str) -> IResult<&str, &str> {
    take_while1(is_token_char).parse(i)
}

/// A `quoted-string`, returned with the quotes and escapes removed.
/// `quoted-pair` may escape any character except CR and LF (RFC 3261 §25.1).
pub(crate) fn quoted_string(i: &str) -> IResult<&str, String> {
    let (mut rest, _) = char('"').parse(i)?;
    let mut out = String::new();
    loop {
        let mut chars = rest.chars();
        match chars.next() {
            None => {
                return Err(nom::Err::Error(nom::error::Error::new(
                    i,
                    nom::error::ErrorKind::Char,
                )));
            }
            Some('"') => return Ok((chars.as_str(), out)),
            Some('\\') => match chars.next() {
                Some(c) if c != '\r' && c != '\n' => {
                    out.push(c);
                    rest = chars.as_str();
                }
                _ => {
                    return Err(nom::Err::Error(nom::error::Error::new(
                        i,
                        nom::error::ErrorKind::Escaped,
                    )));
                }
            },
            Some(c) => {
                out.push(c);
                rest = chars.as_str();
            }
        }
    }
}

/// A quoted-string kept verbatim, quotes included (for parameter values we re-emit).
pub(crate) fn quoted_string_raw(i: &str) -> IResult<&str, &str> {
    let (rest, _) = quoted_string(i)?;
    let used = i.len() - rest.len();
    Ok((rest, &i[..used]))
}

/// `*( SEMI generic-param )` with LWS allowed around `;` and `=`, as in header parameters
/// (`via-params`, `to-param`, `contact-params`). Stops before anything else (`,`, `?`, end).
pub(crate) fn header_params(mut i: &str) -> IResult<&str, Params> {
    let mut params = Params::default();
    loop {
        let (r, _) = lws(i)?;
        let Ok((r, _)) = char::<&str, nom::error::Error<&str>>(';').parse(r) else {
            return Ok((i, params));
        };
        let (r, _) = lws(r)?;
        let (r, name) = token(r)?;
        let (r2, _) = lws(r)?;
        if let Ok((r3, _)) = char::<&str, nom::error::Error<&str>>('=').parse(r2) {
            let (r3, _) = lws(r3)?;
            let (r3, value) = if r3.starts_with('"') {
                quoted_string_raw(r3)?
            } else {
                take_while1(is_param_value_char).parse(r3)?
            };
            params.push(name, Some(value));
            i = r3;
        } else {
            params.push(name, None);
            i = r;
        }
    }
}

/// Splits a header value at top-level commas: commas inside quoted strings or `<...>` do not
/// count (RFC 3261 §7.3.1). Used for the list headers we read element by element.
pub(crate) fn split_top_level_commas(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth_angle = false;
    let mut in_quotes = false;
    let mut escaped = false;
    let mut start = 0;
    for (idx, c) in value.char_indices() {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quotes = false;
            }
            continue;
        }
        match c {
            '"' => in_quotes = true,
            '<' => depth_angle = true,
            '>' => depth_angle = false,
            ',' if !depth_angle => {
                out.push(value[start..idx].trim());
                start = idx + 1;
            }
            _ => {}
        }
    }
    out.push(value[start..].trim());
    out
}

/// Decodes `%HH` escapes (RFC 3261 §19.1.2). Invalid escapes are kept literally, which is
/// what a liberal receiver wants for comparison purposes.
pub(crate) fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut idx = 0;
    while idx < bytes.len() {
        if bytes[idx] == b'%' && idx + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[idx + 1]), hex(bytes[idx + 2])) {
                out.push((h * 16 + l) as u8);
                idx += 3;
                continue;
            }
        }
        out.push(bytes[idx]);
        idx += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Quotes a display name for output, escaping `"` and `\`.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_string_unescapes() {
        let (rest, s) = quoted_string(r#""J Rosenberg \\\"" <sip:x>"#).unwrap();
        assert_eq!(s, r#"J Rosenberg \""#);
        assert_eq!(rest, " <sip:x>");
    }

    #[test]
    fn unterminated_quoted_string_is_an_error() {
        assert!(quoted_string(r#""Mr. J. User <sip:j.user@example.com>"#).is_err());
    }

    #[test]
    fn header_params_allow_lws_around_equals() {
        let (rest, p) = header_params(" ;   tag    = 1918181833n ; lr;x=\"a;b\"").unwrap();
        assert_eq!(rest, "");
        assert_eq!(p.get("tag"), Some(Some("1918181833n")));
        assert_eq!(p.get("LR"), Some(None));
        assert_eq!(p.get("x"), Some(Some("\"a;b\"")));
    }

    #[test]
    fn commas_inside_quotes_and_brackets_do_not_split() {
        let parts = split_top_level_commas(r#""Doe, John" <sip:a@b;x=1,2>, <sip:c@d>"#);
        assert_eq!(parts, vec![r#""Doe, John" <sip:a@b;x=1,2>"#, "<sip:c@d>"]);
    }

    #[test]
    fn unescape_decodes_percent_sequences() {
        assert_eq!(unescape("%75se%72"), "user");
        assert_eq!(unescape("null-%00-null"), "null-\0-null");
        assert_eq!(unescape("bad%Zescape%4"), "bad%Zescape%4");
    }
}
