//! A small blocking XML-RPC client on `std::net::TcpStream`, for `dsmbox ctl`. One connection
//! per call (`Connection: close`), bounded in time and size.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::base64;
use super::value::Value;
use super::xmlrpc::{self, Fault};

/// The largest response we read (a `get` over a full store is a few MiB).
const MAX_RESPONSE: u64 = 64 << 20;

/// Why a call did not return a value.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientError {
    /// Could not connect, send or receive.
    Io(String),
    /// The server answered with an HTTP error status.
    Http(u16, String),
    /// The answer was not XML-RPC.
    Parse(String),
    /// The method failed.
    Fault(Fault),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::Io(e) => write!(f, "{e}"),
            ClientError::Http(code, line) => write!(f, "HTTP {code}: {line}"),
            ClientError::Parse(e) => write!(f, "bad response: {e}"),
            ClientError::Fault(fault) => write!(f, "{fault}"),
        }
    }
}

/// Where and how to call.
#[derive(Debug, Clone)]
pub struct Client {
    host: String,
    port: u16,
    auth: Option<(String, String)>,
    timeout: Duration,
}

impl Client {
    /// A client for `host:port`, with a 10 s timeout per connect, read and write.
    pub fn new(host: &str, port: u16) -> Client {
        Client {
            host: host.to_string(),
            port,
            auth: None,
            timeout: Duration::from_secs(10),
        }
    }

    /// Sends HTTP basic-auth credentials.
    pub fn with_auth(mut self, user: &str, password: &str) -> Client {
        self.auth = Some((user.to_string(), password.to_string()));
        self
    }

    /// Sets the timeout for connecting, and for each read and write.
    pub fn with_timeout(mut self, timeout: Duration) -> Client {
        self.timeout = timeout;
        self
    }

    /// Calls `method` with `params`.
    pub fn call(&self, method: &str, params: &[Value]) -> Result<Value, ClientError> {
        let io = |e: std::io::Error| ClientError::Io(format!("{}:{}: {e}", self.host, self.port));
        let addrs = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(io)?;
        let mut last = None;
        let mut stream = None;
        for a in addrs {
            match TcpStream::connect_timeout(&a, self.timeout) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let mut stream = match (stream, last) {
            (Some(s), _) => s,
            (None, Some(e)) => return Err(io(e)),
            (None, None) => {
                return Err(ClientError::Io(format!("{}: no address", self.host)));
            }
        };
        stream.set_read_timeout(Some(self.timeout)).map_err(io)?;
        stream.set_write_timeout(Some(self.timeout)).map_err(io)?;
        let body = xmlrpc::encode_method_call(method, params);
        let mut req = format!(
            "POST /RPC2 HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: dsmbox-ctl\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.host,
            self.port,
            body.len()
        );
        if let Some((u, p)) = &self.auth {
            req.push_str(&format!(
                "Authorization: Basic {}\r\n",
                base64::encode(format!("{u}:{p}").as_bytes())
            ));
        }
        req.push_str("\r\n");
        req.push_str(&body);
        stream.write_all(req.as_bytes()).map_err(io)?;
        let mut raw = Vec::new();
        stream
            .take(MAX_RESPONSE)
            .read_to_end(&mut raw)
            .map_err(io)?;
        parse_http_response(&raw)
    }
}

fn parse_http_response(raw: &[u8]) -> Result<Value, ClientError> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| ClientError::Parse("no HTTP header end".to_string()))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let status_line = head.lines().next().unwrap_or("");
    let code: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| ClientError::Parse(format!("bad status line '{status_line}'")))?;
    if code != 200 {
        return Err(ClientError::Http(code, status_line.to_string()));
    }
    let mut body = &raw[split + 4..];
    for line in head.lines().skip(1) {
        if let Some((k, v)) = line.split_once(':')
            && k.trim().eq_ignore_ascii_case("content-length")
            && let Ok(n) = v.trim().parse::<usize>()
            && n <= body.len()
        {
            body = &body[..n];
        }
    }
    let xml = std::str::from_utf8(body).map_err(|_| ClientError::Parse("not UTF-8".to_string()))?;
    match xmlrpc::parse_method_response(xml) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(f)) => Err(ClientError::Fault(f)),
        Err(e) => Err(ClientError::Parse(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_response_parsing() {
        let ok = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            xmlrpc::encode_response(&Value::Int(3)).len()
        ) + &xmlrpc::encode_response(&Value::Int(3));
        assert_eq!(parse_http_response(ok.as_bytes()), Ok(Value::Int(3)));
        let fault = format!(
            "HTTP/1.1 200 OK\r\n\r\n{}",
            xmlrpc::encode_fault(&Fault::new(504, "x"))
        );
        assert_eq!(
            parse_http_response(fault.as_bytes()),
            Err(ClientError::Fault(Fault::new(504, "x")))
        );
        assert!(matches!(
            parse_http_response(b"HTTP/1.1 401 Unauthorized\r\n\r\n"),
            Err(ClientError::Http(401, _))
        ));
        assert!(matches!(
            parse_http_response(b"junk"),
            Err(ClientError::Parse(_))
        ));
    }
}
