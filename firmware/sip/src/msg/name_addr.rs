//! `name-addr / addr-spec` with header parameters: the value of From, To, Contact, Route and
//! Record-Route (RFC 3261 §20.10, §20.20, §20.39).

use std::fmt;

use super::grammar::{header_params, is_token_char, quote, quoted_string};
use super::params::Params;
use super::uri::Uri;

/// A display name, a URI and header parameters (`tag`, `expires`, `q`, `lr` on Route, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    /// The display name without quotes or escapes.
    pub display_name: Option<String>,
    /// The address.
    pub uri: Uri,
    /// Header parameters (after the `>` or, in addr-spec form, after the URI).
    pub params: Params,
}

/// Why a name-addr did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameAddrError {
    /// Unbalanced quotes or angle brackets, or a display name with characters a token cannot
    /// hold (RFC 4475 `quotbal`, `baddn`).
    #[error("malformed name-addr")]
    Syntax,
    /// The URI inside did not parse.
    #[error("malformed URI in name-addr: {0}")]
    Uri(#[from] super::uri::UriError),
    /// The header parameters did not parse.
    #[error("malformed header parameters")]
    Params,
}

impl NameAddr {
    /// A bare URI with no display name or parameters.
    pub fn new(uri: Uri) -> Self {
        NameAddr {
            display_name: None,
            uri,
            params: Params::new(),
        }
    }

    /// The `tag` parameter (From/To).
    pub fn tag(&self) -> Option<&str> {
        self.params.value("tag")
    }

    /// Sets the `tag` parameter.
    pub fn set_tag(&mut self, tag: &str) {
        self.params.set("tag", Some(tag));
    }

    /// Parses one header value (already split at top-level commas for list headers).
    pub fn parse(value: &str) -> Result<NameAddr, NameAddrError> {
        let value = value.trim();
        let (display_name, after_name) = if value.starts_with('"') {
            let (rest, name) = quoted_string(value).map_err(|_| NameAddrError::Syntax)?;
            let rest = rest.trim_start();
            if !rest.starts_with('<') {
                return Err(NameAddrError::Syntax);
            }
            (Some(name), rest)
        } else if let Some(lt) = value.find('<') {
            // `*(token LWS)` before '<'; anything else (a comma, a quote) is malformed.
            let words = value[..lt].trim();
            if !words
                .split([' ', '\t'])
                .all(|w| w.chars().all(is_token_char))
            {
                return Err(NameAddrError::Syntax);
            }
            let name = words.split_whitespace().collect::<Vec<_>>().join(" ");
            (
                if name.is_empty() { None } else { Some(name) },
                &value[lt..],
            )
        } else {
            // addr-spec form: the URI ends at the first ';' and may not carry headers or
            // commas (RFC 3261 §20.10; RFC 4475 `regbadct`). Leniency for interop: a ';'
            // before the userinfo's '@' belongs to the user part (pjsua2 sends
            // `To: sip:35;x@host` unbracketed), as RFC 4475's `semiuri` reads it.
            let from = match (value.find('@'), value.find(';')) {
                (Some(at), Some(semi)) if semi < at => at,
                _ => 0,
            };
            let end = value[from..].find(';').map_or(value.len(), |i| from + i);
            let uri_text = value[..end].trim_end();
            if uri_text.contains(['?', ',', ' ', '\t']) {
                return Err(NameAddrError::Syntax);
            }
            let uri = Uri::parse(uri_text)?;
            let (rest, params) = header_params(&value[end..]).map_err(|_| NameAddrError::Params)?;
            if !rest.trim().is_empty() {
                return Err(NameAddrError::Params);
            }
            return Ok(NameAddr {
                display_name: None,
                uri,
                params,
            });
        };
        let inner = after_name.strip_prefix('<').ok_or(NameAddrError::Syntax)?;
        let gt = inner.find('>').ok_or(NameAddrError::Syntax)?;
        let uri = Uri::parse(&inner[..gt])?;
        let (rest, params) = header_params(&inner[gt + 1..]).map_err(|_| NameAddrError::Params)?;
        if !rest.trim().is_empty() {
            return Err(NameAddrError::Params);
        }
        Ok(NameAddr {
            display_name,
            uri,
            params,
        })
    }
}

/// Always written in name-addr form (`"Name" <uri>;params`), which is never ambiguous.
impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = &self.display_name {
            write!(f, "{} ", quote(name))?;
        }
        write!(f, "<{}>{}", self.uri, self.params)
    }
}

impl From<Uri> for NameAddr {
    fn from(uri: Uri) -> Self {
        NameAddr::new(uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unbracketed_semicolon_in_the_user_part() {
        let n = NameAddr::parse("sip:35;DELETE%20FROM%20x@127.0.0.1:5060;tag=9").unwrap();
        assert_eq!(n.uri.user().as_deref(), Some("35;DELETE FROM x"));
        assert_eq!(n.tag(), Some("9"));
        let n = NameAddr::parse("sip:alice@example.com;tag=1").unwrap();
        assert_eq!(n.tag(), Some("1"));
    }

    #[test]
    fn quoted_display_name_loses_its_quotes() {
        // rsip 0.4 keeps the quotes (crates.md §1.1).
        let n = NameAddr::parse(r#""Doe, John" <sip:john@example.com>;tag=abc"#).unwrap();
        assert_eq!(n.display_name.as_deref(), Some("Doe, John"));
        assert_eq!(n.tag(), Some("abc"));
        assert_eq!(
            n.to_string(),
            r#""Doe, John" <sip:john@example.com>;tag=abc"#
        );
    }

    #[test]
    fn addr_spec_params_belong_to_the_header() {
        let n = NameAddr::parse("sip:+19725552222@gw1.example.net;unknownparam;tag=9").unwrap();
        assert!(n.uri.as_sip().unwrap().params.is_empty());
        assert!(n.params.contains("unknownparam"));
        assert_eq!(n.tag(), Some("9"));
        let n = NameAddr::parse("<sip:+19725552222@gw1.example.net;unknownparam>").unwrap();
        assert!(n.uri.as_sip().unwrap().params.contains("unknownparam"));
        assert!(n.params.is_empty());
    }

    #[test]
    fn token_display_name_without_space() {
        let n = NameAddr::parse("caller<sip:caller@example.com>;tag=323").unwrap();
        assert_eq!(n.display_name.as_deref(), Some("caller"));
    }

    #[test]
    fn torture_display_names() {
        let n = NameAddr::parse(
            r#""J Rosenberg \\\""       <sip:jdrosen@example.com> ; tag = 98asjd8"#,
        )
        .unwrap();
        assert_eq!(n.display_name.as_deref(), Some(r#"J Rosenberg \""#));
        assert_eq!(n.tag(), Some("98asjd8"));
        let n = NameAddr::parse(r#""Quoted string \"\"" <sip:jdrosen@example.com> ; newparam = newvalue ; secondparam ; q = 0.33"#).unwrap();
        assert_eq!(n.params.value("q"), Some("0.33"));
        assert!(n.params.contains("secondparam"));
    }

    #[test]
    fn malformed_name_addrs() {
        for bad in [
            r#""Mr. J. User <sip:j.user@example.com>"#,
            "Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
            "< sip:t.watson@example.org >",
            "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            "<sip:user@example.com",
            "<sip:user@example.com>garbage",
            "\"Joe\" <sip:joe@example.org>;;;;",
        ] {
            assert!(NameAddr::parse(bad).is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn other_schemes_parse() {
        let n = NameAddr::parse("isbn:2983792873").unwrap();
        assert_eq!(n.uri.scheme(), "isbn");
        let n = NameAddr::parse("<http://www.example.com>;tag=3234233").unwrap();
        assert_eq!(n.tag(), Some("3234233"));
    }
}
