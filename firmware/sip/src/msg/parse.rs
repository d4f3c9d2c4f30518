//! The ingress parser: one UDP datagram in, one [`Message`] or a [`ParseError`] out.
//!
//! Liberal where RFC 3261 allows it (§7.3.1 folding and `HCOLON` whitespace, §7.3.3
//! compact forms, LF-only line ends, leading CRLFs, unknown methods and schemes), strict
//! where a sloppy reading would be unsafe: Content-Length is enforced (§18.3: a body shorter
//! than announced is an error, extra bytes are dropped), single-valued headers must appear
//! once, CSeq must match the method, scalars must fit.
//!
//! When a request is malformed but Via, From, To, Call-ID and CSeq rows are present, the
//! error carries a [`PartialRequest`] so that the endpoint can answer `400 Bad Request`
//! (or `505` for another SIP version); otherwise the datagram is dropped and counted.

use super::grammar::split_top_level_commas;
use super::headers::{HeaderName, Headers};
use super::name_addr::NameAddr;
use super::uri::Uri;
use super::via::Via;
use super::{CSeq, Message, Method, Request, Response, StatusCode};

/// Size limits applied before and while parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest datagram accepted (a UDP datagram cannot exceed 65 535 bytes anyway).
    pub max_message_bytes: usize,
    /// Most header rows (after splitting comma-joined list headers).
    pub max_header_rows: usize,
    /// Most Via values (RFC 4475 `longreq` has 34).
    pub max_via: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 65_535,
            max_header_rows: 256,
            max_via: 64,
        }
    }
}

/// What was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    /// Larger than [`Limits::max_message_bytes`].
    #[error("message larger than the limit")]
    TooLarge,
    /// Nothing but line breaks.
    #[error("empty datagram")]
    Empty,
    /// Neither a Request-Line nor a Status-Line.
    #[error("malformed start line")]
    StartLine,
    /// A SIP version other than 2.0.
    #[error("SIP version {0} not supported")]
    Version(String),
    /// The Request-URI did not parse, or carries URI headers (RFC 4475 `escruri`).
    #[error("malformed Request-URI")]
    RequestUri,
    /// A status code outside 100..=699.
    #[error("malformed status code")]
    StatusCode,
    /// A header line without a colon, or a name that is not a token.
    #[error("malformed header line")]
    HeaderLine,
    /// No empty line ends the header section.
    #[error("header section not terminated")]
    Unterminated,
    /// More rows than [`Limits::max_header_rows`] or Vias than [`Limits::max_via`].
    #[error("too many headers")]
    TooManyHeaders,
    /// A mandatory header is missing.
    #[error("missing {0} header")]
    Missing(&'static str),
    /// A single-valued header appears more than once (RFC 4475 `multi01`).
    #[error("more than one {0} header")]
    Duplicate(&'static str),
    /// A header value did not parse.
    #[error("malformed {0} header")]
    Malformed(&'static str),
    /// CSeq method differs from the request method (RFC 4475 `mismatch01`).
    #[error("CSeq method does not match the request method")]
    CSeqMethodMismatch,
    /// The body is shorter than Content-Length says (RFC 3261 §18.3).
    #[error("body shorter than Content-Length")]
    Truncated,
}

/// A parse failure, with what is needed to answer it when that much was readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What was wrong.
    pub kind: ParseErrorKind,
    /// Present for requests whose Via, From, To, Call-ID and CSeq rows exist.
    pub partial: Option<Box<PartialRequest>>,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.kind)
    }
}

impl std::error::Error for ParseError {}

impl ParseError {
    /// The status to answer with: 505 for a version mismatch, else 400.
    pub fn status(&self) -> StatusCode {
        match self.kind {
            ParseErrorKind::Version(_) => StatusCode::VERSION_NOT_SUPPORTED,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// The raw rows of a malformed request that an error response copies (RFC 3261 §8.2.6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialRequest {
    /// The method token from the start line.
    pub method: String,
    /// Via values (comma-joined rows split), as received.
    pub via: Vec<String>,
    /// The top Via, if it parses (then the response goes where it says, RFC 3581).
    pub top_via: Option<Via>,
    /// From, as received.
    pub from: String,
    /// To, as received.
    pub to: String,
    /// Call-ID, as received.
    pub call_id: String,
    /// CSeq, as received.
    pub cseq: String,
}

enum StartLine {
    Request {
        method: String,
        uri: String,
        version: String,
    },
    Response {
        version: String,
        code: String,
        reason: String,
    },
}

/// Splits at '\n', dropping one '\r' before it. Returns (line, rest) or None at the end.
fn next_line(data: &[u8]) -> Option<(&[u8], &[u8])> {
    if data.is_empty() {
        return None;
    }
    match data.iter().position(|&b| b == b'\n') {
        Some(nl) => {
            let line = &data[..nl];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            Some((line, &data[nl + 1..]))
        }
        None => Some((data, &[])),
    }
}

fn parse_start_line(line: &str) -> Option<StartLine> {
    // Trailing whitespace is tolerated (RFC 4475 `trws` allows either reading).
    let line = line.trim_end_matches([' ', '\t']);
    if starts_with_sip(line) {
        let mut parts = line.splitn(3, ' ');
        let version = parts.next()?.to_owned();
        let code = parts.next()?.to_owned();
        // A reason phrase cannot hold CR or LF; a stray CR inside the line becomes a space
        // (as on output, `emit.rs`), so what we read is what we would write.
        let reason = parts
            .next()
            .unwrap_or("")
            .replace(['\r', '\n'], " ")
            .trim_end_matches([' ', '\t'])
            .to_owned();
        return Some(StartLine::Response {
            version,
            code,
            reason,
        });
    }
    let mut parts = line.split(' ');
    let method = parts.next()?;
    let last = line.rsplit(' ').next()?;
    if !starts_with_sip(last) {
        return None;
    }
    // Exactly `Method SP Request-URI SP SIP-Version` (RFC 4475 `lwsstart`, `lwsruri`).
    let uri = parts.next()?;
    let version = parts.next()?;
    let method_ok = !method.is_empty() && method.chars().all(super::grammar::is_token_char);
    if parts.next().is_some() || !method_ok || uri.is_empty() {
        return Some(StartLine::Request {
            method: method.to_owned(),
            uri: String::new(),
            version: last.to_owned(),
        });
    }
    Some(StartLine::Request {
        method: method.to_owned(),
        uri: uri.to_owned(),
        version: version.to_owned(),
    })
}

/// `SIP/` in any case, on bytes (the line may hold replacement characters from bad UTF-8,
/// so slicing the str at 4 could split one).
fn starts_with_sip(s: &str) -> bool {
    s.as_bytes()
        .get(..4)
        .is_some_and(|b| b.eq_ignore_ascii_case(b"SIP/"))
}

fn is_sip_2_0(version: &str) -> bool {
    version.eq_ignore_ascii_case("SIP/2.0")
}

struct Rows {
    rows: Vec<(HeaderName, String)>,
}

impl Rows {
    fn first(&self, name: &HeaderName) -> Option<&str> {
        self.rows
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn single(&self, name: &HeaderName, label: &'static str) -> Result<&str, ParseErrorKind> {
        let mut it = self.rows.iter().filter(|(n, _)| n == name);
        let first = it.next().ok_or(ParseErrorKind::Missing(label))?;
        if it.next().is_some() {
            return Err(ParseErrorKind::Duplicate(label));
        }
        Ok(&first.1)
    }

    fn via_values(&self) -> Vec<&str> {
        self.rows
            .iter()
            .filter(|(n, _)| *n == HeaderName::Via)
            .flat_map(|(_, v)| split_top_level_commas(v))
            .collect()
    }
}

fn partial_request(method: &str, rows: &Rows) -> Option<Box<PartialRequest>> {
    let via: Vec<String> = rows.via_values().into_iter().map(str::to_owned).collect();
    if via.is_empty() {
        return None;
    }
    let top_via = Via::parse(&via[0]).ok();
    Some(Box::new(PartialRequest {
        method: method.to_owned(),
        via,
        top_via,
        from: rows.first(&HeaderName::From)?.to_owned(),
        to: rows.first(&HeaderName::To)?.to_owned(),
        call_id: rows.first(&HeaderName::CallId)?.to_owned(),
        cseq: rows.first(&HeaderName::CSeq)?.to_owned(),
    }))
}

fn parse_cseq(value: &str) -> Result<CSeq, ParseErrorKind> {
    let bad = ParseErrorKind::Malformed("CSeq");
    let value = value.trim();
    let digits_end = value
        .find(|c: char| !c.is_ascii_digit())
        .ok_or(bad.clone())?;
    let (digits, rest) = value.split_at(digits_end);
    if digits.is_empty() || !rest.starts_with([' ', '\t']) {
        return Err(bad);
    }
    // RFC 3261 §8.1.1.5: the number MUST be less than 2^31 (RFC 4475 `scalar02`).
    let seq: u32 = digits.parse().map_err(|_| bad.clone())?;
    if seq >= 1 << 31 {
        return Err(bad);
    }
    let method = rest.trim();
    if method.is_empty() || !method.chars().all(super::grammar::is_token_char) {
        return Err(bad);
    }
    Ok(CSeq {
        seq,
        method: Method::parse(method),
    })
}

fn parse_call_id(value: &str) -> Result<String, ParseErrorKind> {
    let v = value.trim();
    if v.is_empty() || v.contains([' ', '\t']) {
        return Err(ParseErrorKind::Malformed("Call-ID"));
    }
    Ok(v.to_owned())
}

fn parse_content_length(rows: &Rows) -> Result<Option<usize>, ParseErrorKind> {
    let mut found: Option<usize> = None;
    for (_, v) in rows
        .rows
        .iter()
        .filter(|(n, _)| *n == HeaderName::ContentLength)
    {
        let v = v.trim();
        // Digits only (RFC 4475 `ncl`), and at most what a datagram can hold.
        if v.is_empty() || v.len() > 10 || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseErrorKind::Malformed("Content-Length"));
        }
        let n: usize = v
            .parse()
            .map_err(|_| ParseErrorKind::Malformed("Content-Length"))?;
        // Several rows must agree (RFC 4475 `mcl01`).
        if found.is_some_and(|f| f != n) {
            return Err(ParseErrorKind::Duplicate("Content-Length"));
        }
        found = Some(n);
    }
    Ok(found)
}

/// Parses one datagram.
pub fn parse(data: &[u8], limits: &Limits) -> Result<Message, ParseError> {
    let fail = |kind| ParseError {
        kind,
        partial: None,
    };
    if data.len() > limits.max_message_bytes {
        return Err(fail(ParseErrorKind::TooLarge));
    }
    // RFC 3261 §7.5: leading CRLFs are ignored (keep-alives end up here too).
    let start = data
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .ok_or(fail(ParseErrorKind::Empty))?;
    let mut rest = &data[start..];
    let Some((first, after_first)) = next_line(rest) else {
        return Err(fail(ParseErrorKind::Empty));
    };
    rest = after_first;
    let start_line =
        parse_start_line(&String::from_utf8_lossy(first)).ok_or(fail(ParseErrorKind::StartLine))?;

    // Header rows: unfold continuation lines (§7.3.1), split "name : value".
    let mut rows = Rows { rows: Vec::new() };
    let mut header_error: Option<ParseErrorKind> = None;
    let mut terminated = false;
    while let Some((line, after)) = next_line(rest) {
        rest = after;
        if line.is_empty() {
            terminated = true;
            break;
        }
        if header_error.is_some() {
            continue;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            match rows.rows.last_mut() {
                Some((_, value)) => {
                    let more = String::from_utf8_lossy(line);
                    let more = more.trim();
                    if !more.is_empty() {
                        if !value.is_empty() {
                            value.push(' ');
                        }
                        value.push_str(more);
                    }
                }
                None => header_error = Some(ParseErrorKind::HeaderLine),
            }
            continue;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            header_error = Some(ParseErrorKind::HeaderLine);
            continue;
        };
        let name = String::from_utf8_lossy(&line[..colon]);
        let name = name.trim_end_matches([' ', '\t']);
        if name.is_empty() || !name.chars().all(super::grammar::is_token_char) {
            header_error = Some(ParseErrorKind::HeaderLine);
            continue;
        }
        let value = String::from_utf8_lossy(&line[colon + 1..])
            .trim()
            .to_owned();
        rows.rows.push((HeaderName::parse(name), value));
        if rows.rows.len() > limits.max_header_rows {
            header_error = Some(ParseErrorKind::TooManyHeaders);
        }
    }
    if header_error.is_none() && !terminated {
        header_error = Some(ParseErrorKind::Unterminated);
    }
    let body_bytes = rest;

    match start_line {
        StartLine::Request {
            method,
            uri,
            version,
        } => {
            let with_partial = |kind| ParseError {
                kind,
                partial: partial_request(&method, &rows),
            };
            if let Some(kind) = header_error {
                return Err(with_partial(kind));
            }
            if !is_sip_2_0(&version) {
                return Err(with_partial(ParseErrorKind::Version(version)));
            }
            if uri.is_empty() {
                return Err(with_partial(ParseErrorKind::StartLine));
            }
            let uri = Uri::parse(&uri).map_err(|_| with_partial(ParseErrorKind::RequestUri))?;
            if uri.as_sip().is_some_and(|u| !u.headers.is_empty()) {
                return Err(with_partial(ParseErrorKind::RequestUri));
            }
            let method = Method::parse(&method);
            let common =
                common_fields(&rows, body_bytes, limits, Some(&method)).map_err(with_partial)?;
            let headers = other_headers(rows);
            Ok(Message::Request(Request {
                method,
                uri,
                via: common.via,
                from: common.from,
                to: common.to,
                call_id: common.call_id,
                cseq: common.cseq,
                max_forwards: common.max_forwards,
                headers,
                body: common.body,
            }))
        }
        StartLine::Response {
            version,
            code,
            reason,
        } => {
            if let Some(kind) = header_error {
                return Err(fail(kind));
            }
            if !is_sip_2_0(&version) {
                return Err(fail(ParseErrorKind::Version(version)));
            }
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(fail(ParseErrorKind::StatusCode));
            }
            let status = code
                .parse::<u16>()
                .ok()
                .and_then(StatusCode::new)
                .ok_or(fail(ParseErrorKind::StatusCode))?;
            let common = common_fields(&rows, body_bytes, limits, None).map_err(fail)?;
            let headers = other_headers(rows);
            Ok(Message::Response(Response {
                status,
                reason,
                via: common.via,
                from: common.from,
                to: common.to,
                call_id: common.call_id,
                cseq: common.cseq,
                headers,
                body: common.body,
            }))
        }
    }
}

struct Common {
    via: Vec<Via>,
    from: NameAddr,
    to: NameAddr,
    call_id: String,
    cseq: CSeq,
    max_forwards: Option<u8>,
    body: Vec<u8>,
}

/// Every check, on borrowed rows (so that an error can still quote them for a 400).
/// `method` is the request method (None for responses).
fn common_fields(
    rows: &Rows,
    body: &[u8],
    limits: &Limits,
    method: Option<&Method>,
) -> Result<Common, ParseErrorKind> {
    let via_values = rows.via_values();
    if via_values.is_empty() {
        return Err(ParseErrorKind::Missing("Via"));
    }
    if via_values.len() > limits.max_via {
        return Err(ParseErrorKind::TooManyHeaders);
    }
    let via = via_values
        .iter()
        .map(|v| Via::parse(v).map_err(|_| ParseErrorKind::Malformed("Via")))
        .collect::<Result<Vec<_>, _>>()?;
    let from = NameAddr::parse(rows.single(&HeaderName::From, "From")?)
        .map_err(|_| ParseErrorKind::Malformed("From"))?;
    let to = NameAddr::parse(rows.single(&HeaderName::To, "To")?)
        .map_err(|_| ParseErrorKind::Malformed("To"))?;
    let call_id = parse_call_id(rows.single(&HeaderName::CallId, "Call-ID")?)?;
    let cseq = parse_cseq(rows.single(&HeaderName::CSeq, "CSeq")?)?;
    // Content-Type is single-valued too; two of them make the body ambiguous.
    if rows
        .rows
        .iter()
        .filter(|(n, _)| *n == HeaderName::ContentType)
        .count()
        > 1
    {
        return Err(ParseErrorKind::Duplicate("Content-Type"));
    }
    if method.is_some_and(|m| *m != cseq.method) {
        return Err(ParseErrorKind::CSeqMethodMismatch);
    }
    let mut max_forwards = None;
    for (_, v) in rows
        .rows
        .iter()
        .filter(|(n, _)| *n == HeaderName::MaxForwards)
    {
        if max_forwards.is_some() {
            return Err(ParseErrorKind::Duplicate("Max-Forwards"));
        }
        max_forwards = Some(
            v.trim()
                .parse::<u8>()
                .map_err(|_| ParseErrorKind::Malformed("Max-Forwards"))?,
        );
    }
    let body = match parse_content_length(rows)? {
        Some(n) if n > body.len() => return Err(ParseErrorKind::Truncated),
        // §18.3: over UDP, bytes beyond Content-Length are discarded (RFC 4475 `dblreq`).
        Some(n) => body[..n].to_vec(),
        None => body.to_vec(),
    };
    let mut count = 0usize;
    for (name, value) in &rows.rows {
        if matches!(
            name,
            HeaderName::Contact | HeaderName::Route | HeaderName::RecordRoute
        ) {
            let parts = split_top_level_commas(value);
            if parts.iter().any(|p| p.is_empty()) {
                return Err(ParseErrorKind::Malformed("Contact/Route"));
            }
            count += parts.len();
        } else {
            count += 1;
        }
    }
    if count > limits.max_header_rows {
        return Err(ParseErrorKind::TooManyHeaders);
    }
    Ok(Common {
        via,
        from,
        to,
        call_id,
        cseq,
        max_forwards,
        body,
    })
}

/// The rows that are not typed fields, moved (not copied) into [`Headers`]; list headers we
/// read element by element are split into one row per value.
fn other_headers(rows: Rows) -> Headers {
    let mut headers = Headers::new();
    for (name, value) in rows.rows {
        match name {
            HeaderName::Via
            | HeaderName::From
            | HeaderName::To
            | HeaderName::CallId
            | HeaderName::CSeq
            | HeaderName::MaxForwards
            | HeaderName::ContentLength => {}
            HeaderName::Contact | HeaderName::Route | HeaderName::RecordRoute => {
                if value.contains(',') {
                    for part in split_top_level_commas(&value) {
                        headers.push(name.clone(), part);
                    }
                } else {
                    headers.push(name, value);
                }
            }
            _ => headers.push(name, value),
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(text: &str) -> Request {
        match parse(text.as_bytes(), &Limits::default()) {
            Ok(Message::Request(r)) => r,
            other => panic!("expected a request, got {other:?}"),
        }
    }

    fn err(text: &str) -> ParseError {
        match parse(text.as_bytes(), &Limits::default()) {
            Err(e) => e,
            Ok(m) => panic!("expected an error, got {m:?}"),
        }
    }

    const OPTIONS: &str = "OPTIONS sip:bob@example.com SIP/2.0\r\n\
        Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa\r\n\
        From: <sip:alice@example.com>;tag=1\r\n\
        To: <sip:bob@example.com>\r\n\
        Call-ID: abc@192.0.2.1\r\n\
        CSeq: 1 OPTIONS\r\n\
        Max-Forwards: 70\r\n\
        Content-Length: 0\r\n\r\n";

    #[test]
    fn plain_request() {
        let r = req(OPTIONS);
        assert_eq!(r.method, Method::Options);
        assert_eq!(r.call_id, "abc@192.0.2.1");
        assert_eq!(r.cseq.seq, 1);
        assert_eq!(r.max_forwards, Some(70));
        assert!(r.body.is_empty());
        assert_eq!(r.via.len(), 1);
    }

    #[test]
    fn compact_forms() {
        let r = req("OPTIONS sip:bob@example.com SIP/2.0\r\n\
            v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa\r\n\
            f: <sip:alice@example.com>;tag=1\r\n\
            t: sip:bob@example.com\r\n\
            i: abc\r\n\
            CSeq: 1 OPTIONS\r\n\
            m: <sip:alice@192.0.2.1>\r\n\
            k: timer\r\n\
            c: text/plain\r\n\
            l: 2\r\n\r\nhi");
        assert_eq!(r.call_id, "abc");
        assert_eq!(r.contacts().unwrap().len(), 1);
        assert_eq!(r.header(&HeaderName::Supported), Some("timer"));
        assert_eq!(r.body(), Some(super::super::Body::new("text/plain", "hi")));
    }

    #[test]
    fn folded_lines_and_space_before_colon() {
        let r = req("OPTIONS sip:bob@example.com SIP/2.0\r\n\
            Via  : SIP/2.0/UDP\r\n 192.0.2.1\r\n\t;branch=z9hG4bKa\r\n\
            From: <sip:alice@example.com>\r\n  ;tag=1\r\n\
            To : sip:bob@example.com\r\n\
            Call-ID: abc\r\n\
            CSeq: 1\r\n OPTIONS\r\n\
            Subject: first\r\n second\r\n\r\n");
        assert_eq!(r.via[0].branch(), Some("z9hG4bKa"));
        assert_eq!(r.from.tag(), Some("1"));
        assert_eq!(r.header(&HeaderName::Subject), Some("first second"));
    }

    #[test]
    fn lf_only_line_ends_and_leading_crlf() {
        let text = format!("\r\n\r\n{}", OPTIONS.replace("\r\n", "\n"));
        assert_eq!(req(&text).method, Method::Options);
    }

    #[test]
    fn extension_method() {
        let r = req(&OPTIONS.replace("OPTIONS", "FOOBAR"));
        assert_eq!(r.method, Method::Extension("FOOBAR".into()));
    }

    #[test]
    fn tel_and_ipv6_request_uris() {
        let r = req(&OPTIONS.replace("sip:bob@example.com SIP", "tel:+15551234 SIP"));
        assert!(matches!(r.uri, Uri::Tel(_)));
        let r = req(&OPTIONS.replace("sip:bob@example.com SIP", "sip:bob@[::1]:5070 SIP"));
        assert_eq!(r.uri.to_string(), "sip:bob@[::1]:5070");
    }

    #[test]
    fn comma_joined_vias() {
        let r = req(&OPTIONS.replace(
            "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa",
            "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa, SIP/2.0/UDP [2001:db8::1];branch=z9hG4bKb\r\nv: SIP/2.0/TCP c.example.com",
        ));
        assert_eq!(r.via.len(), 3);
        assert_eq!(r.via[1].branch(), Some("z9hG4bKb"));
        assert_eq!(r.via[2].transport, "TCP");
    }

    #[test]
    fn content_length_is_enforced() {
        let base = OPTIONS.replace("Content-Length: 0\r\n\r\n", "");
        // Shorter body than announced: an error with enough to answer 400.
        let e = err(&format!("{base}Content-Length: 10\r\n\r\nshort"));
        assert_eq!(e.kind, ParseErrorKind::Truncated);
        assert!(e.partial.is_some());
        // Extra bytes are dropped.
        let r = req(&format!("{base}Content-Length: 3\r\n\r\nabcdef"));
        assert_eq!(r.body, b"abc");
        // Absent: the rest of the datagram.
        let r = req(&format!("{base}\r\nabcdef"));
        assert_eq!(r.body, b"abcdef");
        // Huge, negative, conflicting.
        assert_eq!(
            err(&format!(
                "{base}Content-Length: 99999999999999999999\r\n\r\n"
            ))
            .kind,
            ParseErrorKind::Malformed("Content-Length")
        );
        assert_eq!(
            err(&format!("{base}Content-Length: -999\r\n\r\n")).kind,
            ParseErrorKind::Malformed("Content-Length")
        );
        assert_eq!(
            err(&format!("{base}Content-Length: 1\r\nl: 2\r\n\r\nab")).kind,
            ParseErrorKind::Duplicate("Content-Length")
        );
    }

    #[test]
    fn missing_headers() {
        for (name, line) in [
            ("Via", "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa\r\n"),
            ("From", "From: <sip:alice@example.com>;tag=1\r\n"),
            ("To", "To: <sip:bob@example.com>\r\n"),
            ("Call-ID", "Call-ID: abc@192.0.2.1\r\n"),
            ("CSeq", "CSeq: 1 OPTIONS\r\n"),
        ] {
            let e = err(&OPTIONS.replace(line, ""));
            assert_eq!(e.kind, ParseErrorKind::Missing(name));
            // Without one of the five we cannot answer.
            assert!(e.partial.is_none(), "{name}");
        }
        // Max-Forwards is optional (RFC 2543 peers).
        assert_eq!(
            req(&OPTIONS.replace("Max-Forwards: 70\r\n", "")).max_forwards,
            None
        );
    }

    #[test]
    fn bad_cseq() {
        for bad in [
            "CSeq: OPTIONS",
            "CSeq: 1OPTIONS",
            "CSeq: 2147483648 OPTIONS",
            "CSeq: 36893488147419103232 OPTIONS",
            "CSeq: -1 OPTIONS",
            "CSeq: 1",
        ] {
            let e = err(&OPTIONS.replace("CSeq: 1 OPTIONS", bad));
            assert_eq!(e.kind, ParseErrorKind::Malformed("CSeq"), "{bad}");
            assert!(e.partial.is_some());
        }
        let e = err(&OPTIONS.replace("CSeq: 1 OPTIONS", "CSeq: 1 INVITE"));
        assert_eq!(e.kind, ParseErrorKind::CSeqMethodMismatch);
    }

    #[test]
    fn start_line_errors() {
        assert_eq!(err("garbage\r\n\r\n").kind, ParseErrorKind::StartLine);
        let e = err(&OPTIONS.replace(
            "OPTIONS sip:bob@example.com SIP/2.0",
            "OPTIONS  sip:bob@example.com SIP/2.0",
        ));
        assert_eq!(e.kind, ParseErrorKind::StartLine);
        assert!(e.partial.is_some());
        let e = err(&OPTIONS.replace("SIP/2.0\r\n", "SIP/7.0\r\n"));
        assert_eq!(e.status(), StatusCode::VERSION_NOT_SUPPORTED);
        // Trailing whitespace after the version is tolerated.
        assert_eq!(
            req(&OPTIONS.replace("SIP/2.0\r\n", "SIP/2.0  \r\n")).method,
            Method::Options
        );
    }

    #[test]
    fn header_section_must_end() {
        let cut = &OPTIONS[..OPTIONS.len() - 2];
        let e = err(cut);
        assert_eq!(e.kind, ParseErrorKind::Unterminated);
        // Cut mid-line.
        let e = err(&OPTIONS[..OPTIONS.find("Call-ID: ab").unwrap() + 11]);
        assert_eq!(e.kind, ParseErrorKind::Unterminated);
    }

    #[test]
    fn limits() {
        let many = "X-A: b\r\n".repeat(300);
        let e = err(&OPTIONS.replace("Max-Forwards: 70\r\n", &many));
        assert_eq!(e.kind, ParseErrorKind::TooManyHeaders);
        let tiny = Limits {
            max_message_bytes: 100,
            ..Limits::default()
        };
        assert_eq!(
            parse(OPTIONS.as_bytes(), &tiny).unwrap_err().kind,
            ParseErrorKind::TooLarge
        );
    }

    #[test]
    fn responses() {
        let text = "SIP/2.0 180 Ringing\r\n\
            Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa\r\n\
            From: <sip:alice@example.com>;tag=1\r\n\
            To: <sip:bob@example.com>;tag=2\r\n\
            Call-ID: abc\r\n\
            CSeq: 1 INVITE\r\n\
            Content-Length: 0\r\n\r\n";
        let Ok(Message::Response(r)) = parse(text.as_bytes(), &Limits::default()) else {
            panic!()
        };
        assert_eq!(r.status.code(), 180);
        assert_eq!(r.reason, "Ringing");
        let no_reason = text.replace("180 Ringing", "100 ");
        assert!(parse(no_reason.as_bytes(), &Limits::default()).is_ok());
        let big = text.replace("180 Ringing", "4294967301 better not break the receiver");
        let e = parse(big.as_bytes(), &Limits::default()).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::StatusCode);
        assert!(e.partial.is_none());
    }

    /// Found by the `message` fuzz target: a CR inside the status line must round-trip.
    #[test]
    fn stray_cr_in_reason_phrase() {
        let text = "SIP/2.0 401 Unauthorized\r\0\0 \r\n\
            Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa\r\nFrom: <sip:a@b>;tag=1\r\n\
            To: <sip:a@b>;tag=2\r\nCall-ID: c\r\nCSeq: 2 REGISTER\r\n\r\n";
        let Ok(Message::Response(r)) = parse(text.as_bytes(), &Limits::default()) else {
            panic!()
        };
        assert_eq!(r.reason, "Unauthorized \0\0");
        let again = parse(&r.to_bytes(), &Limits::default()).unwrap();
        assert_eq!(again, Message::Response(r));
    }

    /// Found by the garbage test: a multi-byte replacement character where `SIP/` is checked.
    #[test]
    fn invalid_utf8_in_the_start_line() {
        let mut bytes = OPTIONS.as_bytes().to_vec();
        let pos = OPTIONS.find("SIP/2.0\r\n").unwrap() + 2;
        bytes[pos] = 0xe2;
        assert!(parse(&bytes, &Limits::default()).is_err());
        bytes[..3].copy_from_slice(&[0xe2, 0x82, 0x28]);
        assert!(parse(&bytes, &Limits::default()).is_err());
    }

    #[test]
    fn non_utf8_header_bytes_do_not_reject_the_message() {
        let mut bytes = OPTIONS
            .replace("Max-Forwards: 70\r\n", "Subject: caf\u{e9}\r\nX-Raw: A\r\n")
            .into_bytes();
        let pos = bytes.windows(5).position(|w| w == b"X-Raw").unwrap() + 7;
        bytes[pos] = 0xff;
        assert!(parse(&bytes, &Limits::default()).is_ok());
    }
}
