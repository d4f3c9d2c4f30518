//! SIP messages: our own types, so that transactions and dialogs never see rsip.
//!
//! - `parse.rs`: the ingress parser (nom 8). It handles what rsip 0.4 gets wrong
//!   (crates.md §1.1): compact header names, folded lines, whitespace before the colon,
//!   extension methods, Content-Length checking, `tel:` and IPv6 Request-URIs, several Via
//!   values in one row. It grew into a parser of its own, so rsip is used for building only.
//! - `emit.rs`: turns a [`Request`] or [`Response`] into bytes through rsip's message model.
//! - `uri.rs`, `name_addr.rs`, `via.rs`, `params.rs`, `grammar.rs`: the typed pieces.
//!
//! The headers every transaction and dialog needs (Via, From, To, Call-ID, CSeq,
//! Max-Forwards) are typed fields; everything else stays an ordered list of rows in
//! [`Headers`], parsed on demand.

mod emit;
pub(crate) use emit::raw_response;
pub(crate) mod grammar;
mod headers;
mod name_addr;
mod params;
mod parse;
mod uri;
mod via;

use std::fmt;

pub use headers::{Header, HeaderName, Headers};
pub use name_addr::{NameAddr, NameAddrError};
pub use params::Params;
pub use parse::{Limits, ParseError, ParseErrorKind, PartialRequest, parse};
pub use uri::{Host, SipUri, TelUri, Uri, UriError};
pub use via::{MAGIC_COOKIE, Via, ViaError};

/// A request method. Extension methods are kept, so that we can answer them with 501
/// (rsip's closed enum could not, crates.md §1.1). Method names are case-sensitive
/// (RFC 3261 §7.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    /// INVITE
    Invite,
    /// ACK
    Ack,
    /// BYE
    Bye,
    /// CANCEL
    Cancel,
    /// OPTIONS
    Options,
    /// REGISTER
    Register,
    /// INFO (RFC 6086)
    Info,
    /// UPDATE (RFC 3311)
    Update,
    /// PRACK (RFC 3262)
    Prack,
    /// SUBSCRIBE (RFC 6665)
    Subscribe,
    /// NOTIFY (RFC 6665)
    Notify,
    /// REFER (RFC 3515)
    Refer,
    /// MESSAGE (RFC 3428)
    Message,
    /// PUBLISH (RFC 3903)
    Publish,
    /// Any other token.
    Extension(String),
}

impl Method {
    /// Maps a method token (case-sensitive).
    pub fn parse(s: &str) -> Method {
        match s {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "OPTIONS" => Method::Options,
            "REGISTER" => Method::Register,
            "INFO" => Method::Info,
            "UPDATE" => Method::Update,
            "PRACK" => Method::Prack,
            "SUBSCRIBE" => Method::Subscribe,
            "NOTIFY" => Method::Notify,
            "REFER" => Method::Refer,
            "MESSAGE" => Method::Message,
            "PUBLISH" => Method::Publish,
            other => Method::Extension(other.to_owned()),
        }
    }

    /// The method token.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Options => "OPTIONS",
            Method::Register => "REGISTER",
            Method::Info => "INFO",
            Method::Update => "UPDATE",
            Method::Prack => "PRACK",
            Method::Subscribe => "SUBSCRIBE",
            Method::Notify => "NOTIFY",
            Method::Refer => "REFER",
            Method::Message => "MESSAGE",
            Method::Publish => "PUBLISH",
            Method::Extension(s) => s,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status code, 100 to 699.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatusCode(u16);

impl StatusCode {
    /// 100 Trying
    pub const TRYING: StatusCode = StatusCode(100);
    /// 180 Ringing
    pub const RINGING: StatusCode = StatusCode(180);
    /// 183 Session Progress
    pub const SESSION_PROGRESS: StatusCode = StatusCode(183);
    /// 200 OK
    pub const OK: StatusCode = StatusCode(200);
    /// 400 Bad Request
    pub const BAD_REQUEST: StatusCode = StatusCode(400);
    /// 401 Unauthorized
    pub const UNAUTHORIZED: StatusCode = StatusCode(401);
    /// 405 Method Not Allowed
    pub const METHOD_NOT_ALLOWED: StatusCode = StatusCode(405);
    /// 406 Not Acceptable
    pub const NOT_ACCEPTABLE: StatusCode = StatusCode(406);
    /// 407 Proxy Authentication Required
    pub const PROXY_AUTHENTICATION_REQUIRED: StatusCode = StatusCode(407);
    /// 408 Request Timeout
    pub const REQUEST_TIMEOUT: StatusCode = StatusCode(408);
    /// 415 Unsupported Media Type
    pub const UNSUPPORTED_MEDIA_TYPE: StatusCode = StatusCode(415);
    /// 416 Unsupported URI Scheme
    pub const UNSUPPORTED_URI_SCHEME: StatusCode = StatusCode(416);
    /// 420 Bad Extension
    pub const BAD_EXTENSION: StatusCode = StatusCode(420);
    /// 423 Interval Too Brief
    pub const INTERVAL_TOO_BRIEF: StatusCode = StatusCode(423);
    /// 480 Temporarily Unavailable
    pub const TEMPORARILY_UNAVAILABLE: StatusCode = StatusCode(480);
    /// 481 Call/Transaction Does Not Exist
    pub const CALL_DOES_NOT_EXIST: StatusCode = StatusCode(481);
    /// 482 Loop Detected
    pub const LOOP_DETECTED: StatusCode = StatusCode(482);
    /// 486 Busy Here
    pub const BUSY_HERE: StatusCode = StatusCode(486);
    /// 487 Request Terminated
    pub const REQUEST_TERMINATED: StatusCode = StatusCode(487);
    /// 488 Not Acceptable Here
    pub const NOT_ACCEPTABLE_HERE: StatusCode = StatusCode(488);
    /// 491 Request Pending
    pub const REQUEST_PENDING: StatusCode = StatusCode(491);
    /// 500 Server Internal Error
    pub const SERVER_INTERNAL_ERROR: StatusCode = StatusCode(500);
    /// 501 Not Implemented
    pub const NOT_IMPLEMENTED: StatusCode = StatusCode(501);
    /// 503 Service Unavailable
    pub const SERVICE_UNAVAILABLE: StatusCode = StatusCode(503);
    /// 505 Version Not Supported
    pub const VERSION_NOT_SUPPORTED: StatusCode = StatusCode(505);
    /// 603 Decline
    pub const DECLINE: StatusCode = StatusCode(603);

    /// A code in 100..=699, else `None`.
    pub fn new(code: u16) -> Option<StatusCode> {
        (100..=699).contains(&code).then_some(StatusCode(code))
    }

    /// The number.
    pub fn code(self) -> u16 {
        self.0
    }

    /// 1xx.
    pub fn is_provisional(self) -> bool {
        self.0 < 200
    }

    /// 2xx.
    pub fn is_success(self) -> bool {
        (200..300).contains(&self.0)
    }

    /// 200..=699.
    pub fn is_final(self) -> bool {
        self.0 >= 200
    }

    /// The RFC 3261 §21 reason phrase, or a class default.
    pub fn canonical_reason(self) -> &'static str {
        let specific = match self.0 {
            100 => "Trying",
            180 => "Ringing",
            181 => "Call Is Being Forwarded",
            182 => "Queued",
            183 => "Session Progress",
            200 => "OK",
            202 => "Accepted",
            300 => "Multiple Choices",
            301 => "Moved Permanently",
            302 => "Moved Temporarily",
            380 => "Alternative Service",
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            406 => "Not Acceptable",
            407 => "Proxy Authentication Required",
            408 => "Request Timeout",
            410 => "Gone",
            413 => "Request Entity Too Large",
            414 => "Request-URI Too Long",
            415 => "Unsupported Media Type",
            416 => "Unsupported URI Scheme",
            420 => "Bad Extension",
            421 => "Extension Required",
            423 => "Interval Too Brief",
            480 => "Temporarily Unavailable",
            481 => "Call/Transaction Does Not Exist",
            482 => "Loop Detected",
            483 => "Too Many Hops",
            484 => "Address Incomplete",
            485 => "Ambiguous",
            486 => "Busy Here",
            487 => "Request Terminated",
            488 => "Not Acceptable Here",
            491 => "Request Pending",
            493 => "Undecipherable",
            500 => "Server Internal Error",
            501 => "Not Implemented",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            504 => "Server Time-out",
            505 => "Version Not Supported",
            513 => "Message Too Large",
            600 => "Busy Everywhere",
            603 => "Decline",
            604 => "Does Not Exist Anywhere",
            606 => "Not Acceptable",
            _ => "",
        };
        if !specific.is_empty() {
            return specific;
        }
        match self.0 / 100 {
            1 => "Progress",
            2 => "Success",
            3 => "Redirection",
            4 => "Client Error",
            5 => "Server Error",
            _ => "Global Failure",
        }
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The CSeq header: a sequence number below 2^31 and a method (RFC 3261 §8.1.1.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    /// The number.
    pub seq: u32,
    /// The method.
    pub method: Method,
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

/// A message body with its content type. To this crate bodies are opaque bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// The Content-Type value, e.g. `application/sdp`.
    pub content_type: String,
    /// The bytes.
    pub data: Vec<u8>,
}

impl Body {
    /// A body of the given type.
    pub fn new(content_type: impl Into<String>, data: impl Into<Vec<u8>>) -> Body {
        Body {
            content_type: content_type.into(),
            data: data.into(),
        }
    }

    /// `application/sdp`.
    pub fn sdp(data: impl Into<Vec<u8>>) -> Body {
        Body::new("application/sdp", data)
    }

    /// The media type without parameters, lower-cased (`application/sdp`).
    pub fn media_type(&self) -> String {
        media_type(&self.content_type)
    }
}

/// The `type/subtype` part of a Content-Type value, lower-cased.
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// A request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The Request-URI.
    pub uri: Uri,
    /// Via rows, top first; comma-joined values were split.
    pub via: Vec<Via>,
    /// From.
    pub from: NameAddr,
    /// To.
    pub to: NameAddr,
    /// Call-ID.
    pub call_id: String,
    /// CSeq.
    pub cseq: CSeq,
    /// Max-Forwards; absent in RFC 2543 requests, which we accept.
    pub max_forwards: Option<u8>,
    /// Every other header, in order (Content-Length is not kept: it is computed on output).
    pub headers: Headers,
    /// The body (exactly Content-Length bytes).
    pub body: Vec<u8>,
}

/// A response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: StatusCode,
    /// The reason phrase.
    pub reason: String,
    /// Via rows, top first.
    pub via: Vec<Via>,
    /// From.
    pub from: NameAddr,
    /// To.
    pub to: NameAddr,
    /// Call-ID.
    pub call_id: String,
    /// CSeq.
    pub cseq: CSeq,
    /// Every other header, in order.
    pub headers: Headers,
    /// The body.
    pub body: Vec<u8>,
}

/// A request or a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

/// Accessors shared by requests and responses.
macro_rules! common_accessors {
    ($t:ty) => {
        impl $t {
            /// The first value of a header.
            pub fn header(&self, name: &HeaderName) -> Option<&str> {
                self.headers.get(name)
            }

            /// The Content-Type value.
            pub fn content_type(&self) -> Option<&str> {
                self.headers.get(&HeaderName::ContentType)
            }

            /// The body with its content type, when there is a body.
            pub fn body(&self) -> Option<Body> {
                if self.body.is_empty() {
                    return None;
                }
                Some(Body {
                    content_type: self
                        .content_type()
                        .unwrap_or("application/octet-stream")
                        .to_owned(),
                    data: self.body.clone(),
                })
            }

            /// Sets or clears the body and its Content-Type.
            pub fn set_body(&mut self, body: Option<Body>) {
                self.headers.remove(&HeaderName::ContentType);
                match body {
                    Some(b) => {
                        self.headers.push(HeaderName::ContentType, b.content_type);
                        self.body = b.data;
                    }
                    None => self.body.clear(),
                }
            }

            /// Contact values (`Contact: *` is skipped).
            pub fn contacts(&self) -> Result<Vec<NameAddr>, NameAddrError> {
                self.headers
                    .get_all(&HeaderName::Contact)
                    .filter(|v| v.trim() != "*")
                    .map(NameAddr::parse)
                    .collect()
            }

            /// Record-Route values, in order.
            pub fn record_route(&self) -> Result<Vec<NameAddr>, NameAddrError> {
                self.headers
                    .get_all(&HeaderName::RecordRoute)
                    .map(NameAddr::parse)
                    .collect()
            }

            /// Route values, in order.
            pub fn route(&self) -> Result<Vec<NameAddr>, NameAddrError> {
                self.headers
                    .get_all(&HeaderName::Route)
                    .map(NameAddr::parse)
                    .collect()
            }

            /// The Expires header as seconds.
            pub fn expires(&self) -> Option<u32> {
                self.headers
                    .get(&HeaderName::Expires)
                    .and_then(|v| parse_delta_seconds(v))
            }

            /// The topmost Via.
            pub fn top_via(&self) -> Option<&Via> {
                self.via.first()
            }
        }
    };
}
common_accessors!(Request);
common_accessors!(Response);

/// `delta-seconds`; values beyond 2^32-1 saturate (RFC 3261 §25.1 allows that reading, and
/// RFC 4475 `scalar02` sends such a value).
pub fn parse_delta_seconds(v: &str) -> Option<u32> {
    let v = v.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(v.parse::<u32>().unwrap_or(u32::MAX))
}

impl Request {
    /// A request with the mandatory headers; Max-Forwards is set to 70 (RFC 3261 §8.1.1.6).
    pub fn new(
        method: Method,
        uri: Uri,
        via: Via,
        from: NameAddr,
        to: NameAddr,
        call_id: String,
        seq: u32,
    ) -> Request {
        Request {
            cseq: CSeq {
                seq,
                method: method.clone(),
            },
            method,
            uri,
            via: vec![via],
            from,
            to,
            call_id,
            max_forwards: Some(70),
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    /// Wire form (through rsip, see `emit.rs`).
    pub fn to_bytes(&self) -> Vec<u8> {
        emit::request(self)
    }
}

impl Response {
    /// A response to `request` as RFC 3261 §8.2.6.2 builds it: Via rows, From, To, Call-ID
    /// and CSeq copied; the To tag is the caller's business.
    pub fn to_request(request: &Request, status: StatusCode, reason: Option<&str>) -> Response {
        Response {
            status,
            reason: reason
                .map(str::to_owned)
                .unwrap_or_else(|| status.canonical_reason().to_owned()),
            via: request.via.clone(),
            from: request.from.clone(),
            to: request.to.clone(),
            call_id: request.call_id.clone(),
            cseq: request.cseq.clone(),
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    /// Wire form (through rsip, see `emit.rs`).
    pub fn to_bytes(&self) -> Vec<u8> {
        emit::response(self)
    }
}

impl Message {
    /// Wire form.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_case_sensitive_and_extensible() {
        assert_eq!(Method::parse("INVITE"), Method::Invite);
        assert_eq!(Method::parse("invite"), Method::Extension("invite".into()));
        assert_eq!(Method::parse("FOOBAR").as_str(), "FOOBAR");
    }

    #[test]
    fn status_codes() {
        assert!(StatusCode::new(99).is_none());
        assert!(StatusCode::new(700).is_none());
        let c = StatusCode::new(183).unwrap();
        assert!(c.is_provisional() && !c.is_final());
        assert_eq!(
            StatusCode::new(499).unwrap().canonical_reason(),
            "Client Error"
        );
    }

    #[test]
    fn delta_seconds_saturate() {
        assert_eq!(parse_delta_seconds(" 3600 "), Some(3600));
        assert_eq!(parse_delta_seconds("1".repeat(40).as_str()), Some(u32::MAX));
        assert_eq!(parse_delta_seconds("-1"), None);
        assert_eq!(parse_delta_seconds(""), None);
    }

    #[test]
    fn media_type_strips_parameters() {
        assert_eq!(media_type("Application/SDP ; charset=x"), "application/sdp");
    }
}
