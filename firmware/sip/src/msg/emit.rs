//! Building wire bytes with rsip 0.4 (the customer's choice of message model).
//!
//! rsip writes the start line and the header section. Three of its printers are wrong for
//! us, so we hand it values it prints verbatim instead:
//! - `Host::IpAddr(V6)` prints without brackets (`sip:bob@::1:5070`): IPv6 hosts go in as
//!   `Domain("[::1]")`;
//! - `Scheme::Other` prints `tel://…` and URI headers are dropped: a `tel:` or other URI
//!   goes in whole as a scheme-less `Domain`;
//! - bodies are written with `String::from_utf8_lossy`: rsip gets an empty body and we
//!   append the bytes ourselves.
//!
//! Header values are formatted by our own typed values (`Via`, `NameAddr`, …) and handed
//! to rsip's untyped headers, which print them as they are. Content-Length is always
//! written and always right (RFC 3261 §18.3 says SHOULD for UDP; we always do).
//! Round-trip tests (here and in `tests/`) parse what rsip printed back with our parser.

use super::headers::{HeaderName, Headers};
use super::uri::{Host, Uri};
use super::{Method, Request, Response};

fn rsip_method(method: &Method) -> Option<rsip::Method> {
    Some(match method {
        Method::Invite => rsip::Method::Invite,
        Method::Ack => rsip::Method::Ack,
        Method::Bye => rsip::Method::Bye,
        Method::Cancel => rsip::Method::Cancel,
        Method::Options => rsip::Method::Options,
        Method::Register => rsip::Method::Register,
        Method::Info => rsip::Method::Info,
        Method::Update => rsip::Method::Update,
        Method::Prack => rsip::Method::PRack,
        Method::Subscribe => rsip::Method::Subscribe,
        Method::Notify => rsip::Method::Notify,
        Method::Refer => rsip::Method::Refer,
        Method::Message => rsip::Method::Message,
        Method::Publish => rsip::Method::Publish,
        Method::Extension(_) => return None,
    })
}

fn rsip_uri(uri: &Uri) -> rsip::Uri {
    match uri {
        Uri::Sip(u) => rsip::Uri {
            scheme: Some(if u.secure {
                rsip::Scheme::Sips
            } else {
                rsip::Scheme::Sip
            }),
            auth: u.user.as_ref().map(|user| rsip::Auth {
                user: user.clone(),
                password: u.password.clone(),
            }),
            host_with_port: rsip::HostWithPort {
                host: match &u.host {
                    Host::Name(n) => rsip::Host::Domain(n.clone().into()),
                    Host::V4(a) => rsip::Host::IpAddr((*a).into()),
                    Host::V6(_) => rsip::Host::Domain(u.host.to_string().into()),
                },
                port: u.port.map(Into::into),
            },
            params: u
                .params
                .iter()
                .map(|(n, v)| {
                    rsip::Param::Other(n.to_owned().into(), v.map(|v| v.to_owned().into()))
                })
                .collect(),
            // RFC 3261 §19.1.5: headers are not allowed in a Request-URI.
            headers: Vec::new(),
        },
        other => rsip::Uri {
            scheme: None,
            auth: None,
            host_with_port: rsip::HostWithPort {
                host: rsip::Host::Domain(other.to_string().into()),
                port: None,
            },
            params: Vec::new(),
            headers: Vec::new(),
        },
    }
}

fn rsip_header(name: &HeaderName, value: String) -> rsip::Header {
    use rsip::Header as H;
    match name {
        HeaderName::Accept => H::Accept(value.into()),
        HeaderName::Allow => H::Allow(value.into()),
        HeaderName::AuthenticationInfo => H::AuthenticationInfo(value.into()),
        HeaderName::Authorization => H::Authorization(value.into()),
        HeaderName::CallId => H::CallId(value.into()),
        HeaderName::Contact => H::Contact(value.into()),
        HeaderName::ContentDisposition => H::ContentDisposition(value.into()),
        HeaderName::ContentEncoding => H::ContentEncoding(value.into()),
        HeaderName::ContentLength => H::ContentLength(value.into()),
        HeaderName::ContentType => H::ContentType(value.into()),
        HeaderName::CSeq => H::CSeq(value.into()),
        HeaderName::Date => H::Date(value.into()),
        HeaderName::Event => H::Event(value.into()),
        HeaderName::Expires => H::Expires(value.into()),
        HeaderName::From => H::From(value.into()),
        HeaderName::MaxForwards => H::MaxForwards(value.into()),
        HeaderName::MinExpires => H::MinExpires(value.into()),
        HeaderName::ProxyAuthenticate => H::ProxyAuthenticate(value.into()),
        HeaderName::ProxyAuthorization => H::ProxyAuthorization(value.into()),
        HeaderName::ProxyRequire => H::ProxyRequire(value.into()),
        HeaderName::RecordRoute => H::RecordRoute(value.into()),
        HeaderName::Require => H::Require(value.into()),
        HeaderName::RetryAfter => H::RetryAfter(value.into()),
        HeaderName::Route => H::Route(value.into()),
        HeaderName::Server => H::Server(value.into()),
        HeaderName::Subject => H::Subject(value.into()),
        HeaderName::Supported => H::Supported(value.into()),
        HeaderName::To => H::To(value.into()),
        HeaderName::Unsupported => H::Unsupported(value.into()),
        HeaderName::UserAgent => H::UserAgent(value.into()),
        HeaderName::Via => H::Via(value.into()),
        HeaderName::Warning => H::Warning(value.into()),
        HeaderName::WwwAuthenticate => H::WwwAuthenticate(value.into()),
        HeaderName::Reason | HeaderName::ReferTo | HeaderName::Other(_) => {
            H::Other(name.as_str().to_owned(), value)
        }
    }
}

struct Head<'a> {
    via: &'a [super::Via],
    max_forwards: Option<u8>,
    from: &'a super::NameAddr,
    to: &'a super::NameAddr,
    call_id: &'a str,
    cseq: &'a super::CSeq,
    headers: &'a Headers,
    body_len: usize,
}

fn rsip_headers(head: Head<'_>) -> rsip::Headers {
    let mut out: Vec<rsip::Header> = Vec::with_capacity(head.headers.len() + 8);
    for via in head.via {
        out.push(rsip::Header::Via(via.to_string().into()));
    }
    if let Some(mf) = head.max_forwards {
        out.push(rsip::Header::MaxForwards(mf.to_string().into()));
    }
    out.push(rsip::Header::From(head.from.to_string().into()));
    out.push(rsip::Header::To(head.to.to_string().into()));
    out.push(rsip::Header::CallId(head.call_id.to_owned().into()));
    out.push(rsip::Header::CSeq(head.cseq.to_string().into()));
    for h in head.headers.iter() {
        if h.name != HeaderName::ContentLength {
            out.push(rsip_header(&h.name, h.value.clone()));
        }
    }
    out.push(rsip::Header::ContentLength(
        head.body_len.to_string().into(),
    ));
    out.into()
}

/// A request on the wire.
pub(super) fn request(r: &Request) -> Vec<u8> {
    let headers = rsip_headers(Head {
        via: &r.via,
        max_forwards: r.max_forwards,
        from: &r.from,
        to: &r.to,
        call_id: &r.call_id,
        cseq: &r.cseq,
        headers: &r.headers,
        body_len: r.body.len(),
    });
    let text = match rsip_method(&r.method) {
        Some(method) => rsip::Request {
            method,
            uri: rsip_uri(&r.uri),
            version: rsip::Version::V2,
            headers,
            body: Vec::new(),
        }
        .to_string(),
        // rsip cannot name an extension method; we never originate one, but keep the
        // printer total.
        None => format!("{} {} SIP/2.0\r\n{}\r\n", r.method, r.uri, headers),
    };
    let mut out = text.into_bytes();
    out.extend_from_slice(&r.body);
    out
}

/// A response on the wire.
pub(super) fn response(r: &Response) -> Vec<u8> {
    let headers = rsip_headers(Head {
        via: &r.via,
        max_forwards: None,
        from: &r.from,
        to: &r.to,
        call_id: &r.call_id,
        cseq: &r.cseq,
        headers: &r.headers,
        body_len: r.body.len(),
    });
    let mut out = rsip::Response {
        status_code: rsip::StatusCode::Other(r.status.code(), sanitize_reason(&r.reason)),
        version: rsip::Version::V2,
        headers,
        body: Vec::new(),
    }
    .to_string()
    .into_bytes();
    out.extend_from_slice(&r.body);
    out
}

/// A response built from raw header rows, for requests too malformed to type (a 400 that
/// copies Via, From, To, Call-ID and CSeq as received, RFC 3261 §8.2.6.2).
pub(crate) fn raw_response(code: u16, reason: &str, rows: &[(HeaderName, String)]) -> Vec<u8> {
    let mut headers: Vec<rsip::Header> = rows
        .iter()
        .map(|(n, v)| rsip_header(n, v.clone()))
        .collect();
    headers.push(rsip::Header::ContentLength("0".to_owned().into()));
    rsip::Response {
        status_code: rsip::StatusCode::Other(code, sanitize_reason(reason)),
        version: rsip::Version::V2,
        headers: headers.into(),
        body: Vec::new(),
    }
    .to_string()
    .into_bytes()
}

/// A reason phrase may not contain CR or LF (it would end the start line).
fn sanitize_reason(reason: &str) -> String {
    reason.replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::super::{Body, Limits, Message, NameAddr, SipUri, StatusCode, Via, parse};
    use super::*;

    fn sample(uri: Uri) -> Request {
        let mut r = Request::new(
            Method::Invite,
            uri,
            Via::udp(Host::V6("2001:db8::1".parse().unwrap()), 5060, "z9hG4bKabc"),
            NameAddr::parse("\"Alice \\\"A\\\"\" <sip:alice@example.com>;tag=1").unwrap(),
            NameAddr::parse("<sip:bob@[2001:db8::2]:5070>").unwrap(),
            "call-1@example.com".into(),
            42,
        );
        r.headers
            .push(HeaderName::Contact, "<sip:alice@[2001:db8::1]:5060>");
        r.headers.push(HeaderName::Other("X-Thing".into()), "a, b");
        r.set_body(Some(Body::new(
            "application/octet-stream",
            vec![0u8, 0xff, 0xfe, b'\n'],
        )));
        r
    }

    #[test]
    fn request_round_trips_with_ipv6_and_binary_body() {
        let uri = Uri::Sip(SipUri::new(
            Some("bob"),
            Host::V6("2001:db8::2".parse().unwrap()),
            Some(5070),
        ));
        let r = sample(uri);
        let wire = r.to_bytes();
        let text = String::from_utf8_lossy(&wire);
        assert!(
            text.starts_with("INVITE sip:bob@[2001:db8::2]:5070 SIP/2.0\r\n"),
            "{text}"
        );
        assert!(text.contains("\r\nContent-Length: 4\r\n\r\n"));
        let Message::Request(back) = parse(&wire, &Limits::default()).unwrap() else {
            panic!()
        };
        assert_eq!(back, r);
    }

    #[test]
    fn tel_request_uri_round_trips() {
        let r = sample(Uri::parse("tel:+15551234;phone-context=example.com").unwrap());
        let wire = r.to_bytes();
        assert!(wire.starts_with(b"INVITE tel:+15551234;phone-context=example.com SIP/2.0\r\n"));
        let Message::Request(back) = parse(&wire, &Limits::default()).unwrap() else {
            panic!()
        };
        assert_eq!(back.uri, r.uri);
    }

    #[test]
    fn response_keeps_custom_reason_and_extension_cseq() {
        let mut r = sample(Uri::parse("sip:bob@example.com").unwrap());
        r.method = Method::Extension("FOOBAR".into());
        r.cseq.method = r.method.clone();
        r.set_body(None);
        let wire = r.to_bytes();
        assert!(wire.starts_with(b"FOOBAR sip:bob@example.com SIP/2.0\r\n"));
        let resp = Response::to_request(&r, StatusCode::NOT_IMPLEMENTED, Some("Not Here\r\nX: y"));
        let wire = resp.to_bytes();
        let text = String::from_utf8(wire.clone()).unwrap();
        assert!(text.starts_with("SIP/2.0 501 Not Here  X: y\r\n"));
        assert!(text.contains("CSeq: 42 FOOBAR\r\n"));
        let Message::Response(back) = parse(&wire, &Limits::default()).unwrap() else {
            panic!()
        };
        assert_eq!(back.status, StatusCode::NOT_IMPLEMENTED);
        assert_eq!(back.via, resp.via);
    }

    #[test]
    fn raw_response_copies_rows() {
        let wire = raw_response(
            400,
            "Bad Request",
            &[
                (HeaderName::Via, "SIP/2.0/UDP 192.0.2.15;;,;,,".into()),
                (HeaderName::CallId, "x".into()),
            ],
        );
        assert_eq!(
            String::from_utf8(wire).unwrap(),
            "SIP/2.0 400 Bad Request\r\nVia: SIP/2.0/UDP 192.0.2.15;;,;,,\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n"
        );
    }
}
