//! Header names (long and compact forms, RFC 3261 §7.3.3) and the ordered header list.

use std::fmt;

/// A header name. Known names compare by variant; unknown ones keep the spelling received
/// and compare case-insensitively.
#[derive(Debug, Clone, Eq)]
pub enum HeaderName {
    /// `Accept`
    Accept,
    /// `Allow`
    Allow,
    /// `Authentication-Info`
    AuthenticationInfo,
    /// `Authorization`
    Authorization,
    /// `Call-ID` (`i`)
    CallId,
    /// `Contact` (`m`)
    Contact,
    /// `Content-Disposition`
    ContentDisposition,
    /// `Content-Encoding` (`e`)
    ContentEncoding,
    /// `Content-Length` (`l`)
    ContentLength,
    /// `Content-Type` (`c`)
    ContentType,
    /// `CSeq`
    CSeq,
    /// `Date`
    Date,
    /// `Event` (`o`)
    Event,
    /// `Expires`
    Expires,
    /// `From` (`f`)
    From,
    /// `Max-Forwards`
    MaxForwards,
    /// `Min-Expires`
    MinExpires,
    /// `Proxy-Authenticate`
    ProxyAuthenticate,
    /// `Proxy-Authorization`
    ProxyAuthorization,
    /// `Proxy-Require`
    ProxyRequire,
    /// `Reason`
    Reason,
    /// `Record-Route`
    RecordRoute,
    /// `Refer-To` (`r`)
    ReferTo,
    /// `Require`
    Require,
    /// `Retry-After`
    RetryAfter,
    /// `Route`
    Route,
    /// `Server`
    Server,
    /// `Subject` (`s`)
    Subject,
    /// `Supported` (`k`)
    Supported,
    /// `To` (`t`)
    To,
    /// `Unsupported`
    Unsupported,
    /// `User-Agent`
    UserAgent,
    /// `Via` (`v`)
    Via,
    /// `Warning`
    Warning,
    /// `WWW-Authenticate`
    WwwAuthenticate,
    /// Anything else, spelled as received.
    Other(String),
}

impl HeaderName {
    /// Maps a received name (any case, long or compact form) to a header name.
    pub fn parse(name: &str) -> HeaderName {
        let mut buf = [0u8; 20];
        let Some(lower) = buf.get_mut(..name.len()) else {
            return HeaderName::Other(name.to_owned());
        };
        for (d, c) in lower.iter_mut().zip(name.bytes()) {
            *d = c.to_ascii_lowercase();
        }
        let lower: &[u8] = lower;
        match lower {
            b"v" | b"via" => HeaderName::Via,
            b"f" | b"from" => HeaderName::From,
            b"t" | b"to" => HeaderName::To,
            b"i" | b"call-id" => HeaderName::CallId,
            b"cseq" => HeaderName::CSeq,
            b"m" | b"contact" => HeaderName::Contact,
            b"max-forwards" => HeaderName::MaxForwards,
            b"l" | b"content-length" => HeaderName::ContentLength,
            b"c" | b"content-type" => HeaderName::ContentType,
            b"e" | b"content-encoding" => HeaderName::ContentEncoding,
            b"content-disposition" => HeaderName::ContentDisposition,
            b"route" => HeaderName::Route,
            b"record-route" => HeaderName::RecordRoute,
            b"expires" => HeaderName::Expires,
            b"min-expires" => HeaderName::MinExpires,
            b"allow" => HeaderName::Allow,
            b"k" | b"supported" => HeaderName::Supported,
            b"require" => HeaderName::Require,
            b"proxy-require" => HeaderName::ProxyRequire,
            b"unsupported" => HeaderName::Unsupported,
            b"user-agent" => HeaderName::UserAgent,
            b"server" => HeaderName::Server,
            b"accept" => HeaderName::Accept,
            b"authorization" => HeaderName::Authorization,
            b"proxy-authorization" => HeaderName::ProxyAuthorization,
            b"www-authenticate" => HeaderName::WwwAuthenticate,
            b"proxy-authenticate" => HeaderName::ProxyAuthenticate,
            b"authentication-info" => HeaderName::AuthenticationInfo,
            b"retry-after" => HeaderName::RetryAfter,
            b"s" | b"subject" => HeaderName::Subject,
            b"o" | b"event" => HeaderName::Event,
            b"r" | b"refer-to" => HeaderName::ReferTo,
            b"reason" => HeaderName::Reason,
            b"date" => HeaderName::Date,
            b"warning" => HeaderName::Warning,
            // Compact forms of headers we do not model, expanded so the layer above sees one
            // name (RFC 3261 §7.3.3 and the extensions' RFCs).
            b"a" => HeaderName::Other("Accept-Contact".into()),
            b"b" => HeaderName::Other("Referred-By".into()),
            b"d" => HeaderName::Other("Request-Disposition".into()),
            b"j" => HeaderName::Other("Reject-Contact".into()),
            b"n" => HeaderName::Other("Identity-Info".into()),
            b"u" => HeaderName::Other("Allow-Events".into()),
            b"x" => HeaderName::Other("Session-Expires".into()),
            b"y" => HeaderName::Other("Identity".into()),
            _ => HeaderName::Other(name.to_owned()),
        }
    }

    /// The canonical long spelling.
    pub fn as_str(&self) -> &str {
        match self {
            HeaderName::Accept => "Accept",
            HeaderName::Allow => "Allow",
            HeaderName::AuthenticationInfo => "Authentication-Info",
            HeaderName::Authorization => "Authorization",
            HeaderName::CallId => "Call-ID",
            HeaderName::Contact => "Contact",
            HeaderName::ContentDisposition => "Content-Disposition",
            HeaderName::ContentEncoding => "Content-Encoding",
            HeaderName::ContentLength => "Content-Length",
            HeaderName::ContentType => "Content-Type",
            HeaderName::CSeq => "CSeq",
            HeaderName::Date => "Date",
            HeaderName::Event => "Event",
            HeaderName::Expires => "Expires",
            HeaderName::From => "From",
            HeaderName::MaxForwards => "Max-Forwards",
            HeaderName::MinExpires => "Min-Expires",
            HeaderName::ProxyAuthenticate => "Proxy-Authenticate",
            HeaderName::ProxyAuthorization => "Proxy-Authorization",
            HeaderName::ProxyRequire => "Proxy-Require",
            HeaderName::Reason => "Reason",
            HeaderName::RecordRoute => "Record-Route",
            HeaderName::ReferTo => "Refer-To",
            HeaderName::Require => "Require",
            HeaderName::RetryAfter => "Retry-After",
            HeaderName::Route => "Route",
            HeaderName::Server => "Server",
            HeaderName::Subject => "Subject",
            HeaderName::Supported => "Supported",
            HeaderName::To => "To",
            HeaderName::Unsupported => "Unsupported",
            HeaderName::UserAgent => "User-Agent",
            HeaderName::Via => "Via",
            HeaderName::Warning => "Warning",
            HeaderName::WwwAuthenticate => "WWW-Authenticate",
            HeaderName::Other(s) => s,
        }
    }
}

impl PartialEq for HeaderName {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (HeaderName::Other(a), HeaderName::Other(b)) => a.eq_ignore_ascii_case(b),
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for HeaderName {
    fn from(s: &str) -> Self {
        HeaderName::parse(s)
    }
}

/// One header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The name.
    pub name: HeaderName,
    /// The value, unfolded and trimmed.
    pub value: String,
}

/// Header rows in the order received (relative order of rows with the same name matters,
/// RFC 3261 §7.3.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<Header>);

impl Headers {
    /// No headers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a row.
    pub fn push(&mut self, name: HeaderName, value: impl Into<String>) {
        self.0.push(Header {
            name,
            value: value.into(),
        });
    }

    /// The first value of `name`.
    pub fn get(&self, name: &HeaderName) -> Option<&str> {
        self.0
            .iter()
            .find(|h| h.name == *name)
            .map(|h| h.value.as_str())
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |h| h.name == *name)
            .map(|h| h.value.as_str())
    }

    /// Whether any row has `name`.
    pub fn contains(&self, name: &HeaderName) -> bool {
        self.0.iter().any(|h| h.name == *name)
    }

    /// Removes every row named `name`.
    pub fn remove(&mut self, name: &HeaderName) {
        self.0.retain(|h| h.name != *name);
    }

    /// Replaces every row named `name` with one row.
    pub fn set(&mut self, name: HeaderName, value: impl Into<String>) {
        self.remove(&name);
        self.push(name, value);
    }

    /// All rows.
    pub fn iter(&self) -> impl Iterator<Item = &Header> {
        self.0.iter()
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Extend<Header> for Headers {
    fn extend<T: IntoIterator<Item = Header>>(&mut self, iter: T) {
        self.0.extend(iter);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (canonical spelling, compact form, variant constructor).
    type KnownName = (&'static str, Option<&'static str>, fn() -> HeaderName);
    const KNOWN: &[KnownName] = &[
        ("Via", Some("v"), || HeaderName::Via),
        ("From", Some("f"), || HeaderName::From),
        ("To", Some("t"), || HeaderName::To),
        ("Call-ID", Some("i"), || HeaderName::CallId),
        ("CSeq", None, || HeaderName::CSeq),
        ("Contact", Some("m"), || HeaderName::Contact),
        ("Max-Forwards", None, || HeaderName::MaxForwards),
        ("Content-Length", Some("l"), || HeaderName::ContentLength),
        ("Content-Type", Some("c"), || HeaderName::ContentType),
        ("Content-Encoding", Some("e"), || {
            HeaderName::ContentEncoding
        }),
        ("Content-Disposition", None, || {
            HeaderName::ContentDisposition
        }),
        ("Route", None, || HeaderName::Route),
        ("Record-Route", None, || HeaderName::RecordRoute),
        ("Expires", None, || HeaderName::Expires),
        ("Min-Expires", None, || HeaderName::MinExpires),
        ("Allow", None, || HeaderName::Allow),
        ("Supported", Some("k"), || HeaderName::Supported),
        ("Require", None, || HeaderName::Require),
        ("Proxy-Require", None, || HeaderName::ProxyRequire),
        ("Unsupported", None, || HeaderName::Unsupported),
        ("User-Agent", None, || HeaderName::UserAgent),
        ("Server", None, || HeaderName::Server),
        ("Accept", None, || HeaderName::Accept),
        ("Authorization", None, || HeaderName::Authorization),
        ("Proxy-Authorization", None, || {
            HeaderName::ProxyAuthorization
        }),
        ("WWW-Authenticate", None, || HeaderName::WwwAuthenticate),
        ("Proxy-Authenticate", None, || HeaderName::ProxyAuthenticate),
        ("Authentication-Info", None, || {
            HeaderName::AuthenticationInfo
        }),
        ("Retry-After", None, || HeaderName::RetryAfter),
        ("Subject", Some("s"), || HeaderName::Subject),
        ("Event", Some("o"), || HeaderName::Event),
        ("Refer-To", Some("r"), || HeaderName::ReferTo),
        ("Reason", None, || HeaderName::Reason),
        ("Date", None, || HeaderName::Date),
        ("Warning", None, || HeaderName::Warning),
    ];

    /// Compact forms of headers we do not model, expanded so that the layer above sees one name.
    const OTHER_COMPACT: &[(&str, &str)] = &[
        ("a", "Accept-Contact"),
        ("b", "Referred-By"),
        ("d", "Request-Disposition"),
        ("j", "Reject-Contact"),
        ("n", "Identity-Info"),
        ("u", "Allow-Events"),
        ("x", "Session-Expires"),
        ("y", "Identity"),
    ];

    #[test]
    fn compact_and_case_insensitive_names() {
        assert_eq!(HeaderName::parse("v"), HeaderName::Via);
        assert_eq!(HeaderName::parse("I"), HeaderName::CallId);
        assert_eq!(HeaderName::parse("MaX-fOrWaRdS"), HeaderName::MaxForwards);
        assert_eq!(HeaderName::parse("k"), HeaderName::Supported);
        assert_eq!(HeaderName::parse("x").as_str(), "Session-Expires");
        assert_eq!(HeaderName::parse("X-Custom"), HeaderName::parse("x-custom"));
        assert_eq!(HeaderName::CallId.as_str(), "Call-ID");
        // RFC 4475 esc02: an escaped header name is just an unknown header.
        assert_eq!(HeaderName::parse("C%6Fntact").as_str(), "C%6Fntact");
    }

    #[test]
    fn canonical_spellings_match_the_table() {
        for (long, compact, make) in KNOWN {
            assert_eq!(make().as_str(), *long);
            assert_eq!(HeaderName::parse(&long.to_ascii_uppercase()), make());
            if let Some(c) = compact {
                assert_eq!(HeaderName::parse(c), make());
            }
        }
        for (compact, long) in OTHER_COMPACT {
            assert_eq!(
                HeaderName::parse(&compact.to_ascii_uppercase()).as_str(),
                *long
            );
        }
        // Longer than any known name: kept as received.
        let long = "X-".repeat(40);
        assert_eq!(HeaderName::parse(&long).as_str(), long);
    }

    #[test]
    fn rows_keep_order() {
        let mut h = Headers::new();
        h.push(HeaderName::Route, "<sip:a>");
        h.push(HeaderName::Subject, "x");
        h.push(HeaderName::Route, "<sip:b>");
        let routes: Vec<_> = h.get_all(&HeaderName::Route).collect();
        assert_eq!(routes, vec!["<sip:a>", "<sip:b>"]);
        h.set(HeaderName::Route, "<sip:c>");
        assert_eq!(h.len(), 2);
    }
}
