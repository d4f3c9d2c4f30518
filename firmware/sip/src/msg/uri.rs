//! URIs: `sip:`/`sips:` (RFC 3261 §19.1), `tel:` (RFC 3966), and any other scheme kept
//! opaque (RFC 3261 §19.1 allows absoluteURI in To/From/Contact; RFC 4475 `unksm2`).
//!
//! rsip 0.4 rejects IPv6 references and `tel:` in the Request-URI and drops URI headers, so
//! URIs are parsed here (nom) and printed here.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use nom::{
    IResult, Parser,
    bytes::complete::{take_while, take_while1},
    character::complete::char,
};

use super::params::Params;

/// A URI as SIP carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uri {
    /// `sip:` or `sips:`.
    Sip(SipUri),
    /// `tel:` (RFC 3966).
    Tel(TelUri),
    /// Any other scheme, kept verbatim (e.g. `http://…`, `isbn:…`, `soap.beep://…`).
    Other {
        /// The scheme, as received.
        scheme: String,
        /// Everything after `scheme:`.
        opaque: String,
    },
}

/// A `sip:` or `sips:` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUri {
    /// `sips:` rather than `sip:`.
    pub secure: bool,
    /// The user part, still escaped as received (`%40` stays `%40`).
    pub user: Option<String>,
    /// The password part (deprecated by RFC 3261 §19.1.1, but legal).
    pub password: Option<String>,
    /// Host name or address.
    pub host: Host,
    /// Explicit port, if any. No default is filled in (5060 is the caller's business).
    pub port: Option<u16>,
    /// URI parameters (`;transport=udp;lr`).
    pub params: Params,
    /// URI headers (`?Subject=x&Priority=y`), escaped as received.
    pub headers: Vec<(String, String)>,
}

/// The host part of a SIP URI or Via.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain name (kept in the case received).
    Name(String),
    /// An IPv4 address.
    V4(Ipv4Addr),
    /// An IPv6 address (written `[…]`).
    V6(Ipv6Addr),
}

/// A `tel:` URI: the number and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelUri {
    /// The subscriber number, e.g. `+1-555-1234` or `5551234`.
    pub number: String,
    /// Parameters such as `phone-context`.
    pub params: Params,
}

impl Host {
    /// The host as an IP address, when it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Host::Name(_) => None,
            Host::V4(a) => Some(IpAddr::V4(*a)),
            Host::V6(a) => Some(IpAddr::V6(*a)),
        }
    }

    /// Lower-cased text for comparisons and keys.
    pub fn canonical(&self) -> String {
        match self {
            Host::Name(n) => n.to_ascii_lowercase(),
            other => other.to_string(),
        }
    }
}

impl From<IpAddr> for Host {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(a) => Host::V4(a),
            IpAddr::V6(a) => Host::V6(a),
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(n) => f.write_str(n),
            Host::V4(a) => write!(f, "{a}"),
            Host::V6(a) => write!(f, "[{a}]"),
        }
    }
}

impl SipUri {
    /// `sip:user@host[:port]` with no parameters.
    pub fn new(user: Option<&str>, host: Host, port: Option<u16>) -> Self {
        SipUri {
            secure: false,
            user: user.map(str::to_owned),
            password: None,
            host,
            port,
            params: Params::new(),
            headers: Vec::new(),
        }
    }

    /// RFC 3261 §19.1.4 comparison: user and password case-sensitive after unescaping, host
    /// case-insensitive, ports equal (absent is not 5060), the parameters `user`, `ttl`,
    /// `method`, `maddr` and `transport` must agree if either side has them, other parameters
    /// only when both sides have them, and the headers must agree.
    pub fn matches(&self, other: &SipUri) -> bool {
        use super::grammar::unescape;
        if self.secure != other.secure
            || self.user.as_deref().map(unescape) != other.user.as_deref().map(unescape)
            || self.password.as_deref().map(unescape) != other.password.as_deref().map(unescape)
            || self.host.canonical() != other.host.canonical()
            || self.port != other.port
        {
            return false;
        }
        for name in ["user", "ttl", "method", "maddr", "transport"] {
            let a = self
                .params
                .get(name)
                .map(|v| v.map(str::to_ascii_lowercase));
            let b = other
                .params
                .get(name)
                .map(|v| v.map(str::to_ascii_lowercase));
            if a != b {
                return false;
            }
        }
        for (name, value) in self.params.iter() {
            if let Some(theirs) = other.params.get(name) {
                let a = value.map(|v| unescape(v).to_ascii_lowercase());
                let b = theirs.map(|v| unescape(v).to_ascii_lowercase());
                if a != b {
                    return false;
                }
            }
        }
        let mut mine = self.headers.clone();
        let mut theirs = other.headers.clone();
        mine.sort();
        theirs.sort();
        mine == theirs
    }
}

impl Uri {
    /// Parses a complete URI; any character left over is an error.
    /// No surrounding whitespace is allowed (RFC 4475 `badaspec`, `lwsruri`).
    pub fn parse(s: &str) -> Result<Uri, UriError> {
        let colon = s.find(':').ok_or(UriError::NoScheme)?;
        let scheme = &s[..colon];
        if scheme.is_empty()
            || !scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            return Err(UriError::NoScheme);
        }
        let rest = &s[colon + 1..];
        if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
            let secure = scheme.eq_ignore_ascii_case("sips");
            return parse_sip_uri(rest, secure).map(Uri::Sip);
        }
        if scheme.eq_ignore_ascii_case("tel") {
            return parse_tel_uri(rest).map(Uri::Tel);
        }
        if rest.is_empty()
            || rest
                .chars()
                .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
        {
            return Err(UriError::Syntax);
        }
        Ok(Uri::Other {
            scheme: scheme.to_owned(),
            opaque: rest.to_owned(),
        })
    }

    /// The SIP URI inside, if this is one.
    pub fn as_sip(&self) -> Option<&SipUri> {
        match self {
            Uri::Sip(u) => Some(u),
            _ => None,
        }
    }

    /// Mutable access to the SIP URI inside.
    pub fn as_sip_mut(&mut self) -> Option<&mut SipUri> {
        match self {
            Uri::Sip(u) => Some(u),
            _ => None,
        }
    }

    /// The user part (SIP) or number (tel), unescaped.
    pub fn user(&self) -> Option<String> {
        match self {
            Uri::Sip(u) => u.user.as_deref().map(super::grammar::unescape),
            Uri::Tel(t) => Some(t.number.clone()),
            Uri::Other { .. } => None,
        }
    }

    /// The scheme in lower case.
    pub fn scheme(&self) -> String {
        match self {
            Uri::Sip(u) if u.secure => "sips".into(),
            Uri::Sip(_) => "sip".into(),
            Uri::Tel(_) => "tel".into(),
            Uri::Other { scheme, .. } => scheme.to_ascii_lowercase(),
        }
    }

    /// Comparison by RFC 3261 §19.1.4 for SIP URIs; textual for the others.
    pub fn matches(&self, other: &Uri) -> bool {
        match (self, other) {
            (Uri::Sip(a), Uri::Sip(b)) => a.matches(b),
            (a, b) => a.to_string().eq_ignore_ascii_case(&b.to_string()),
        }
    }
}

/// Why a URI did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    /// No `scheme:` prefix.
    #[error("URI has no scheme")]
    NoScheme,
    /// Characters not allowed where they are.
    #[error("URI syntax error")]
    Syntax,
    /// The host part is neither a name nor an address.
    #[error("URI host is invalid")]
    Host,
    /// The port is not a number up to 65535.
    #[error("URI port is invalid")]
    Port,
}

fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '!' | '~' | '*' | '\'' | '(' | ')')
}

fn is_user_char(c: char) -> bool {
    is_unreserved(c) || c == '%' || matches!(c, '&' | '=' | '+' | '$' | ',' | ';' | '?' | '/')
}

fn is_password_char(c: char) -> bool {
    is_unreserved(c) || c == '%' || matches!(c, '&' | '=' | '+' | '$' | ',')
}

fn is_param_char(c: char) -> bool {
    is_unreserved(c) || c == '%' || matches!(c, '[' | ']' | '/' | ':' | '&' | '+' | '$')
}

fn is_header_char(c: char) -> bool {
    is_unreserved(c) || c == '%' || matches!(c, '[' | ']' | '/' | '?' | ':' | '+' | '$')
}

fn is_hostname_char(c: char) -> bool {
    // '_' is not in the RFC's grammar but appears in the wild; accepting it costs nothing.
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')
}

/// `host [":" port]` as in URIs and Via sent-by.
pub(crate) fn host_port(i: &str) -> IResult<&str, (Host, Option<u16>)> {
    let (i, host) = host(i)?;
    let Ok((rest, _)) = char::<&str, nom::error::Error<&str>>(':').parse(i) else {
        return Ok((i, (host, None)));
    };
    let (rest, digits) = take_while1(|c: char| c.is_ascii_digit()).parse(rest)?;
    match digits.parse::<u16>() {
        Ok(p) => Ok((rest, (host, Some(p)))),
        Err(_) => Err(nom::Err::Failure(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Digit,
        ))),
    }
}

/// `hostname / IPv4address / IPv6reference`.
pub(crate) fn host(i: &str) -> IResult<&str, Host> {
    if let Some(inner) = i.strip_prefix('[') {
        let (rest, addr) =
            take_while1(|c: char| c.is_ascii_hexdigit() || c == ':' || c == '.').parse(inner)?;
        let (rest, _) = char(']').parse(rest)?;
        let ip: Ipv6Addr = addr.parse().map_err(|_| {
            nom::Err::Failure(nom::error::Error::new(i, nom::error::ErrorKind::Verify))
        })?;
        return Ok((rest, Host::V6(ip)));
    }
    let (rest, name) = take_while1(is_hostname_char).parse(i)?;
    if let Ok(ip) = name.parse::<Ipv4Addr>() {
        return Ok((rest, Host::V4(ip)));
    }
    // A hostname label must not be empty ("a..b") and must not start with '-'.
    if name.split('.').enumerate().any(|(n, label)| {
        (label.is_empty() && n + 1 != name.split('.').count()) || label.starts_with('-')
    }) {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Verify,
        )));
    }
    Ok((rest, Host::Name(name.to_owned())))
}

fn uri_params(mut i: &str) -> IResult<&str, Params> {
    let mut params = Params::new();
    while let Ok((r, _)) = char::<&str, nom::error::Error<&str>>(';').parse(i) {
        let (r, name) = take_while1(is_param_char).parse(r)?;
        if let Ok((r2, _)) = char::<&str, nom::error::Error<&str>>('=').parse(r) {
            let (r2, value) = take_while1(is_param_char).parse(r2)?;
            params.push(name, Some(value));
            i = r2;
        } else {
            params.push(name, None);
            i = r;
        }
    }
    Ok((i, params))
}

fn uri_headers(i: &str) -> IResult<&str, Vec<(String, String)>> {
    let Ok((mut i, _)) = char::<&str, nom::error::Error<&str>>('?').parse(i) else {
        return Ok((i, Vec::new()));
    };
    let mut headers = Vec::new();
    loop {
        let (r, name) = take_while1(is_header_char).parse(i)?;
        let (r, _) = char('=').parse(r)?;
        let (r, value) = take_while(is_header_char).parse(r)?;
        headers.push((name.to_owned(), value.to_owned()));
        match char::<&str, nom::error::Error<&str>>('&').parse(r) {
            Ok((r, _)) => i = r,
            Err(_) => return Ok((r, headers)),
        }
    }
}

fn parse_sip_uri(rest: &str, secure: bool) -> Result<SipUri, UriError> {
    // The userinfo ends at the first '@': neither parameters nor headers may contain one.
    let (user, password, hostpart) = match rest.find('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let (user, password) = match userinfo.find(':') {
                Some(c) => (&userinfo[..c], Some(&userinfo[c + 1..])),
                None => (userinfo, None),
            };
            if user.is_empty() || !user.chars().all(is_user_char) {
                return Err(UriError::Syntax);
            }
            if let Some(p) = password
                && !p.chars().all(is_password_char)
            {
                return Err(UriError::Syntax);
            }
            (Some(user), password, &rest[at + 1..])
        }
        None => (None, None, rest),
    };
    let (after_host, (host, port)) = host_port(hostpart).map_err(|e| match e {
        nom::Err::Failure(err) if err.code == nom::error::ErrorKind::Digit => UriError::Port,
        _ => UriError::Host,
    })?;
    let (after_params, params) = uri_params(after_host).map_err(|_| UriError::Syntax)?;
    let (after_headers, headers) = uri_headers(after_params).map_err(|_| UriError::Syntax)?;
    if !after_headers.is_empty() {
        return Err(UriError::Syntax);
    }
    Ok(SipUri {
        secure,
        user: user.map(str::to_owned),
        password: password.map(str::to_owned),
        host,
        port,
        params,
        headers,
    })
}

fn parse_tel_uri(rest: &str) -> Result<TelUri, UriError> {
    let is_number_char = |c: char| {
        c.is_ascii_hexdigit() || matches!(c, '+' | '-' | '.' | '(' | ')' | '*' | '#' | 'p' | 'w')
    };
    let (after, number) = take_while1::<_, _, nom::error::Error<&str>>(is_number_char)
        .parse(rest)
        .map_err(|_| UriError::Syntax)?;
    let (after, params) = uri_params(after).map_err(|_| UriError::Syntax)?;
    if !after.is_empty() {
        return Err(UriError::Syntax);
    }
    Ok(TelUri {
        number: number.to_owned(),
        params,
    })
}

impl fmt::Display for SipUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "sips:" } else { "sip:" })?;
        if let Some(user) = &self.user {
            f.write_str(user)?;
            if let Some(p) = &self.password {
                write!(f, ":{p}")?;
            }
            f.write_str("@")?;
        }
        write!(f, "{}", self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        write!(f, "{}", self.params)?;
        for (n, (name, value)) in self.headers.iter().enumerate() {
            write!(f, "{}{name}={value}", if n == 0 { '?' } else { '&' })?;
        }
        Ok(())
    }
}

impl fmt::Display for TelUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tel:{}{}", self.number, self.params)
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Uri::Sip(u) => write!(f, "{u}"),
            Uri::Tel(t) => write!(f, "{t}"),
            Uri::Other { scheme, opaque } => write!(f, "{scheme}:{opaque}"),
        }
    }
}

impl std::str::FromStr for Uri {
    type Err = UriError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uri::parse(s)
    }
}

impl From<SipUri> for Uri {
    fn from(u: SipUri) -> Self {
        Uri::Sip(u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip(s: &str) -> SipUri {
        match Uri::parse(s).unwrap() {
            Uri::Sip(u) => u,
            other => panic!("not sip: {other:?}"),
        }
    }

    #[test]
    fn params_and_headers_together() {
        // rsip 0.4 rejects this (crates.md §1.1).
        let u = sip("sip:b@h:5060;transport=udp;user=phone?Subject=hi&Priority=urgent");
        assert_eq!(u.user.as_deref(), Some("b"));
        assert_eq!(u.port, Some(5060));
        assert_eq!(u.params.value("transport"), Some("udp"));
        assert_eq!(u.headers.len(), 2);
        assert_eq!(
            u.to_string(),
            "sip:b@h:5060;transport=udp;user=phone?Subject=hi&Priority=urgent"
        );
    }

    #[test]
    fn ipv6_reference_round_trips() {
        let u = sip("sip:bob@[::1]:5070");
        assert_eq!(u.host, Host::V6(Ipv6Addr::LOCALHOST));
        assert_eq!(u.to_string(), "sip:bob@[::1]:5070");
        let u = sip("sip:[2001:db8::10]");
        assert_eq!(u.to_string(), "sip:[2001:db8::10]");
        assert!(Uri::parse("sip:bob@[::1").is_err());
        assert!(Uri::parse("sip:bob@[zz::1]").is_err());
    }

    #[test]
    fn tel_uri() {
        let u = Uri::parse("tel:+1-555-1234;phone-context=example.com").unwrap();
        let Uri::Tel(t) = &u else { panic!() };
        assert_eq!(t.number, "+1-555-1234");
        assert_eq!(t.params.value("phone-context"), Some("example.com"));
        assert_eq!(u.to_string(), "tel:+1-555-1234;phone-context=example.com");
    }

    #[test]
    fn unknown_schemes_are_kept_opaque() {
        let u = Uri::parse("soap.beep://192.0.2.103:3002").unwrap();
        assert_eq!(u.scheme(), "soap.beep");
        assert_eq!(u.to_string(), "soap.beep://192.0.2.103:3002");
        assert!(matches!(
            Uri::parse("isbn:2983792873"),
            Ok(Uri::Other { .. })
        ));
    }

    #[test]
    fn escaped_user_parts() {
        let u = sip("sip:sips%3Auser%40example.com@example.net");
        assert_eq!(u.user.as_deref(), Some("sips%3Auser%40example.com"));
        assert_eq!(Uri::Sip(u).user().as_deref(), Some("sips:user@example.com"));
        // A semicolon belongs to the user part when an '@' follows (RFC 4475 semiuri).
        let u = sip("sip:user;par=u%40example.net@example.com");
        assert_eq!(u.user.as_deref(), Some("user;par=u%40example.net"));
        assert_eq!(u.host, Host::Name("example.com".into()));
        assert!(u.params.is_empty());
    }

    #[test]
    fn unusual_but_legal_user_and_password() {
        // RFC 4475 intmeth.
        let u = sip(
            "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
        );
        assert_eq!(
            u.user.as_deref(),
            Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        );
        assert_eq!(
            u.password.as_deref(),
            Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
        );
    }

    #[test]
    fn malformed_uris() {
        for bad in [
            "sip:user@example.com; lr",
            "<sip:user@example.com>",
            "sip:user@example.com:99999",
            "sip:user@exa mple.com",
            "sip:@example.com",
            "sip:",
            "nocolon",
            ":x",
            "sip:user@-bad.com",
        ] {
            assert!(Uri::parse(bad).is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn comparison_rules() {
        let a = sip("sip:%61lice@atlanta.com;transport=TCP");
        let b = sip("sip:alice@AtLanTa.CoM;Transport=tcp");
        assert!(a.matches(&b));
        assert!(!sip("sip:carol@chicago.com").matches(&sip("sip:carol@chicago.com:5060")));
        assert!(!sip("sip:bob@biloxi.com").matches(&sip("sip:bob@biloxi.com;transport=udp")));
        assert!(
            sip("sip:carol@chicago.com;newparam=5")
                .matches(&sip("sip:carol@chicago.com;security=on"))
        );
    }
}
