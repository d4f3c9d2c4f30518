//! The part of HTTP/1.1 (RFC 9112) an XML-RPC server needs, sans-IO: parse a request head
//! from a buffer, and format a response.
//!
//! Hand-written because the need is tiny (POST with `Content-Length`, keep-alive, basic auth)
//! and a general HTTP crate (hyper: ~20 crates) would outweigh the rest of the management
//! port on the appliance. Anything outside that subset is refused with the right status:
//! chunked bodies 501 (RFC 9112 §6.1 allows a server to refuse a transfer coding it does not
//! implement), missing length 411, obsolete line folding 400 (§5.2).

/// HTTP version of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// HTTP/1.0: closes after the response unless `Connection: keep-alive`.
    Http10,
    /// HTTP/1.1: persistent unless `Connection: close`.
    Http11,
}

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// The method, e.g. `POST`.
    pub method: String,
    /// The request target, e.g. `/RPC2` (xmlrpc2di ignores it, and so do we).
    pub target: String,
    /// The protocol version.
    pub version: Version,
    /// `Content-Length`, if given.
    pub content_length: Option<usize>,
    /// Whether a `Transfer-Encoding` was given (we do not implement any).
    pub transfer_encoding: bool,
    /// Whether the connection stays open after the response.
    pub keep_alive: bool,
    /// The `Authorization` header value.
    pub authorization: Option<String>,
    /// `Expect: 100-continue`.
    pub expect_continue: bool,
}

/// Why a request head is refused; each maps to a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadError {
    /// 400: not HTTP.
    Bad(&'static str),
    /// 431: the head is longer than allowed.
    TooLarge,
    /// 505: not HTTP/1.x.
    Version,
}

impl HeadError {
    /// Status code and reason phrase.
    pub fn status(self) -> (u16, &'static str) {
        match self {
            HeadError::Bad(_) => (400, "Bad Request"),
            HeadError::TooLarge => (431, "Request Header Fields Too Large"),
            HeadError::Version => (505, "HTTP Version Not Supported"),
        }
    }
}

/// Finds and parses a request head at the start of `buf`. `Ok(None)`: not complete yet.
/// On success also returns the head's length including the blank line.
pub fn parse_head(buf: &[u8], max: usize) -> Result<Option<(RequestHead, usize)>, HeadError> {
    // Leading empty lines before a request line are allowed (RFC 9112 §2.2).
    let skip = buf
        .iter()
        .take_while(|b| **b == b'\r' || **b == b'\n')
        .count();
    let Some(end) = find_head_end(&buf[skip..]) else {
        return if buf.len() > max {
            Err(HeadError::TooLarge)
        } else {
            Ok(None)
        };
    };
    let (text_end, total) = (skip + end.0, skip + end.1);
    if total > max {
        return Err(HeadError::TooLarge);
    }
    let text =
        std::str::from_utf8(&buf[skip..text_end]).map_err(|_| HeadError::Bad("not UTF-8"))?;
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let request_line = lines.next().ok_or(HeadError::Bad("no request line"))?;
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::Bad("malformed request line"));
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) || target.is_empty() {
        return Err(HeadError::Bad("malformed request line"));
    }
    let version = match version {
        "HTTP/1.1" => Version::Http11,
        "HTTP/1.0" => Version::Http10,
        v if v.starts_with("HTTP/") => return Err(HeadError::Version),
        _ => return Err(HeadError::Bad("malformed request line")),
    };
    let mut head = RequestHead {
        method: method.to_string(),
        target: target.to_string(),
        version,
        content_length: None,
        transfer_encoding: false,
        keep_alive: version == Version::Http11,
        authorization: None,
        expect_continue: false,
    };
    for line in lines {
        if line.starts_with([' ', '\t']) {
            return Err(HeadError::Bad("obsolete line folding"));
        }
        let (name, value) = line
            .split_once(':')
            .ok_or(HeadError::Bad("header without ':'"))?;
        if name.is_empty() || name.ends_with([' ', '\t']) {
            return Err(HeadError::Bad("malformed header name"));
        }
        let value = value.trim_matches([' ', '\t']);
        match name.to_ascii_lowercase().as_str() {
            "content-length" => {
                if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(HeadError::Bad("bad Content-Length"));
                }
                // A length too big for usize is certainly too big for us.
                let n = value.parse::<usize>().unwrap_or(usize::MAX);
                if head.content_length.is_some_and(|old| old != n) {
                    return Err(HeadError::Bad("conflicting Content-Length"));
                }
                head.content_length = Some(n);
            }
            "transfer-encoding" => head.transfer_encoding = true,
            "connection" => {
                for token in value.split(',').map(|t| t.trim().to_ascii_lowercase()) {
                    match token.as_str() {
                        "close" => head.keep_alive = false,
                        "keep-alive" if version == Version::Http10 => head.keep_alive = true,
                        _ => {}
                    }
                }
            }
            "authorization" => head.authorization = Some(value.to_string()),
            "expect" => head.expect_continue = value.eq_ignore_ascii_case("100-continue"),
            _ => {}
        }
    }
    if head.transfer_encoding && head.content_length.is_some() {
        // RFC 9112 §6.3: a smuggling signal; close after answering.
        head.keep_alive = false;
    }
    Ok(Some((head, total)))
}

/// `(end of the header text, end of the head)`: the blank line is CRLFCRLF or LFLF.
fn find_head_end(buf: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i < buf.len() {
        if buf[i] == b'\n' {
            if buf.get(i + 1) == Some(&b'\n') {
                return Some((i, i + 2));
            }
            if buf.get(i + 1) == Some(&b'\r') && buf.get(i + 2) == Some(&b'\n') {
                return Some((i, i + 3));
            }
        }
        i += 1;
    }
    None
}

/// Formats a complete response.
pub fn response(
    status: u16,
    reason: &str,
    content_type: Option<&str>,
    body: &[u8],
    keep_alive: bool,
    extra_headers: &[(&str, &str)],
) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status} {reason}\r\nServer: dsmbox\r\n");
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    if !keep_alive {
        head.push_str("Connection: close\r\n");
    }
    for (k, v) in extra_headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

/// An error response with a short text body; the connection closes after it.
pub fn error_response(status: u16, reason: &str, extra_headers: &[(&str, &str)]) -> Vec<u8> {
    let body = format!("{status} {reason}\n");
    response(
        status,
        reason,
        Some("text/plain"),
        body.as_bytes(),
        false,
        extra_headers,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const PY: &str = "POST /RPC2 HTTP/1.1\r\nHost: 127.0.0.1:8090\r\nAccept-Encoding: gzip\r\n\
        Content-Type: text/xml\r\nUser-Agent: Python-xmlrpc/3.11\r\nContent-Length: 98\r\n\r\n<body>";

    #[test]
    fn python_request_head() {
        let (h, len) = parse_head(PY.as_bytes(), 8192).unwrap().unwrap();
        assert_eq!(&PY[len..], "<body>");
        assert_eq!(h.method, "POST");
        assert_eq!(h.target, "/RPC2");
        assert_eq!(h.content_length, Some(98));
        assert!(h.keep_alive);
        assert!(!h.transfer_encoding);
    }

    #[test]
    fn incomplete_and_limits() {
        assert_eq!(parse_head(&PY.as_bytes()[..40], 8192), Ok(None));
        assert_eq!(
            parse_head(&PY.as_bytes()[..40], 30),
            Err(HeadError::TooLarge)
        );
        assert_eq!(parse_head(PY.as_bytes(), 100), Err(HeadError::TooLarge));
    }

    #[test]
    fn header_semantics() {
        let p = |s: &str| parse_head(s.as_bytes(), 8192);
        let h = p("POST / HTTP/1.0\r\nConnection: Keep-Alive\r\nauthorization: Basic eA==\r\n\r\n")
            .unwrap()
            .unwrap()
            .0;
        assert!(h.keep_alive);
        assert_eq!(h.authorization.as_deref(), Some("Basic eA=="));
        let h = p("\r\nPOST / HTTP/1.1\nConnection: close\nExpect: 100-continue\n\n")
            .unwrap()
            .unwrap()
            .0;
        assert!(!h.keep_alive && h.expect_continue);
        let h = p("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n")
            .unwrap()
            .unwrap()
            .0;
        assert!(h.transfer_encoding && !h.keep_alive);
        assert_eq!(p("POST / HTTP/2.0\r\n\r\n"), Err(HeadError::Version));
        for bad in [
            "POST /\r\n\r\n",
            "POST  / HTTP/1.1\r\n\r\n",
            "PO ST / HTTP/1.1\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            "POST / HTTP/1.1\r\nContent-Length : 1\r\n\r\n",
            "POST / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
            "POST / HTTP/1.1\r\nnocolon\r\n\r\n",
            "POST / \u{ff}\r\n\r\n",
        ] {
            assert!(matches!(p(bad), Err(HeadError::Bad(_))), "{bad:?}");
        }
        let huge = p("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n")
            .unwrap()
            .unwrap()
            .0;
        assert_eq!(huge.content_length, Some(usize::MAX));
    }

    #[test]
    fn response_format() {
        let r = response(200, "OK", Some("text/xml"), b"<x/>", true, &[]);
        assert_eq!(
            String::from_utf8(r).unwrap(),
            "HTTP/1.1 200 OK\r\nServer: dsmbox\r\nContent-Type: text/xml\r\nContent-Length: 4\r\n\r\n<x/>"
        );
        let e = String::from_utf8(error_response(
            401,
            "Unauthorized",
            &[("WWW-Authenticate", "Basic realm=\"dsmbox\"")],
        ))
        .unwrap();
        assert!(
            e.contains("Connection: close\r\n")
                && e.contains("WWW-Authenticate: Basic realm=\"dsmbox\"\r\n")
        );
    }
}
