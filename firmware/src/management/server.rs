//! The XML-RPC server on tokio: accepts connections, reads HTTP/1.1 requests within limits,
//! decodes XML-RPC, and hands each call to the firmware's loop through a bounded queue.
//!
//! # How the firmware drives it
//!
//! ```no_run
//! # use std::time::SystemTime;
//! # use firmware::management::{Api, Monitor, MonitoringConfig, XmlRpcConfig, XmlRpcServer};
//! # use firmware::management::testing::FakeHost;
//! # async fn example() -> Result<(), firmware::Error> {
//! let cfg = XmlRpcConfig::default();               // or XmlRpcConfig::load(dir)?
//! let api = Api::new(cfg.export_di, &cfg.direct_export);
//! let monitor = Monitor::new(MonitoringConfig::default());
//! let mut host = FakeHost::default();              // the firmware's ManagementHost
//! let (server, mut calls) = XmlRpcServer::bind(&cfg).await?;
//! tokio::spawn(server.run());                      // Send: network work only
//! loop {
//!     tokio::select! {
//!         Some(call) = calls.recv() => call.answer(&api, &mut host, &monitor, SystemTime::now()),
//!         // ... SIP, media, timers ...
//!     }
//! }
//! # }
//! ```
//!
//! Connection tasks do all parsing and encoding; the firmware's loop only runs the method
//! itself (`PendingCall::answer`), so it never waits on a socket. Every connection is bounded
//! in time (`request_timeout` from a request's first byte to its last and for writing the
//! answer, `keepalive_timeout` idle) and size (`max_header_bytes`, `max_request_bytes`), and
//! at most `max_connections` are served at once: the rest are answered 503 and closed at
//! once, so floods, slowloris and huge bodies cost the runtime only short, non-blocking work.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, timeout, timeout_at};

use super::api::Api;
use super::base64;
use super::config::{BasicAuth, Limits, XmlRpcConfig};
use super::host::ManagementHost;
use super::http::{self, HeadError, Version};
use super::monitoring::Monitor;
use super::value::Value;
use super::xmlrpc::{self, Fault, MethodCall};
use crate::Error;

/// A decoded call waiting for the firmware's loop to answer it.
#[derive(Debug)]
pub struct PendingCall {
    /// The call.
    pub call: MethodCall,
    reply: oneshot::Sender<Result<Value, Fault>>,
}

impl PendingCall {
    /// Sends the answer back to the connection (which encodes and writes it). A client that
    /// has gone away is not an error.
    pub fn respond(self, result: Result<Value, Fault>) {
        let _ = self.reply.send(result);
    }

    /// Runs the call through `api` and responds.
    pub fn answer(
        self,
        api: &Api,
        host: &mut dyn ManagementHost,
        monitor: &Monitor,
        now: SystemTime,
    ) {
        let result = api.call(&self.call, host, monitor, now);
        if let Err(f) = &result {
            log::debug!("xmlrpc2di: {} -> {f}", self.call.name);
        }
        self.respond(result);
    }
}

/// The receiving end of the call queue; the firmware's loop polls it.
#[derive(Debug)]
pub struct CallQueue {
    rx: mpsc::Receiver<PendingCall>,
}

impl CallQueue {
    /// The next call; `None` once the server has stopped.
    pub async fn recv(&mut self) -> Option<PendingCall> {
        self.rx.recv().await
    }
}

struct Shared {
    limits: Limits,
    auth: Option<BasicAuth>,
    calls: mpsc::Sender<PendingCall>,
    active: AtomicUsize,
    lingering: AtomicUsize,
}

/// How long a connection waits for the firmware's loop to answer a call.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// Refused connections closed gently at once; beyond this they are dropped.
const MAX_LINGERING: usize = 32;

/// How long and how much we read and discard after refusing a request, before closing.
const LINGER_TIME: Duration = Duration::from_millis(250);
const LINGER_BYTES: usize = 256 * 1024;

/// Shuts down our side and discards what the client still sends, for a bounded time and
/// amount, then closes. Closing a socket with unread input makes the kernel send a reset,
/// which can destroy the error response before the client reads it (RFC 9112 §9.6).
async fn linger_close(stream: &mut TcpStream) {
    let _ = stream.shutdown().await;
    let deadline = Instant::now() + LINGER_TIME;
    let mut sink = [0u8; 4096];
    let mut total = 0;
    while total < LINGER_BYTES {
        match timeout_at(deadline, stream.read(&mut sink)).await {
            Ok(Ok(n)) if n > 0 => total += n,
            _ => break,
        }
    }
}

/// The listening server. [`run`](XmlRpcServer::run) is a `Send` future of network work only.
pub struct XmlRpcServer {
    listener: TcpListener,
    shared: Arc<Shared>,
}

impl XmlRpcServer {
    /// Binds `server_ip:xmlrpc_port` and returns the server and its call queue.
    pub async fn bind(cfg: &XmlRpcConfig) -> Result<(XmlRpcServer, CallQueue), Error> {
        let addr = SocketAddr::new(cfg.server_ip, cfg.xmlrpc_port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind {
                addr: addr.to_string(),
                source,
            })?;
        if !cfg.server_ip.is_loopback() && cfg.auth.is_none() {
            log::warn!(
                "xmlrpc2di: listening on {addr} without auth_user/auth_password: anyone who can reach it can reload scripts"
            );
        }
        // One call in flight per connection at most, so this bound is never the limit.
        let (tx, rx) = mpsc::channel(cfg.limits.max_connections.max(1));
        let shared = Arc::new(Shared {
            limits: cfg.limits.clone(),
            auth: cfg.auth.clone(),
            calls: tx,
            active: AtomicUsize::new(0),
            lingering: AtomicUsize::new(0),
        });
        Ok((XmlRpcServer { listener, shared }, CallQueue { rx }))
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts connections for ever, one task each.
    pub async fn run(self) {
        loop {
            let (stream, peer) = match self.listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    log::warn!("xmlrpc2di: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let shared = Arc::clone(&self.shared);
            if shared.active.load(Ordering::Relaxed) >= shared.limits.max_connections {
                log::debug!("xmlrpc2di: {peer}: too many connections, refused");
                // Best effort and never waits: a client that is not reading gets nothing.
                let _ = stream.try_write(&http::error_response(
                    503,
                    "Service Unavailable",
                    &[("Retry-After", "1")],
                ));
                // Close gently when we can afford it, so the client reads the 503 instead of
                // a reset; under a flood, just drop.
                if shared.lingering.load(Ordering::Relaxed) < MAX_LINGERING {
                    shared.lingering.fetch_add(1, Ordering::Relaxed);
                    let shared = Arc::clone(&shared);
                    tokio::spawn(async move {
                        let mut stream = stream;
                        linger_close(&mut stream).await;
                        shared.lingering.fetch_sub(1, Ordering::Relaxed);
                    });
                }
                continue;
            }
            shared.active.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                let guard = ActiveGuard(Arc::clone(&shared));
                if let Err(why) = connection(stream, &guard.0).await {
                    log::debug!("xmlrpc2di: {peer}: {why}");
                }
            });
        }
    }
}

struct ActiveGuard(Arc<Shared>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Runs the server and answers its calls in one future, until the server stops: for tests and
/// for a firmware that has nothing else to share `host` with.
pub async fn serve(
    server: XmlRpcServer,
    mut calls: CallQueue,
    api: &Api,
    host: &mut dyn ManagementHost,
    monitor: &Monitor,
) {
    let answer = async {
        while let Some(call) = calls.recv().await {
            call.answer(api, host, monitor, SystemTime::now());
        }
    };
    tokio::select! {
        () = server.run() => {}
        () = answer => {}
    }
}

/// Why a connection ended early (for the debug log).
type Why = String;

async fn write_all_within(
    stream: &mut TcpStream,
    bytes: &[u8],
    limit: Duration,
) -> Result<(), Why> {
    match timeout(limit, stream.write_all(bytes)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("write: {e}")),
        Err(_) => Err("client does not read its response".to_string()),
    }
}

async fn refuse(
    stream: &mut TcpStream,
    limits: &Limits,
    status: u16,
    reason: &str,
    why: &str,
) -> Result<(), Why> {
    refuse_with(stream, limits, status, reason, &[], why).await
}

async fn refuse_with(
    stream: &mut TcpStream,
    limits: &Limits,
    status: u16,
    reason: &str,
    headers: &[(&str, &str)],
    why: &str,
) -> Result<(), Why> {
    let _ = write_all_within(
        stream,
        &http::error_response(status, reason, headers),
        limits.request_timeout,
    )
    .await;
    linger_close(stream).await;
    Err(format!("{status} {reason}: {why}"))
}

/// Reads more bytes into `buf` (at most `max`), by `deadline`. `Ok(false)` on end of stream.
async fn read_more(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    max: usize,
    deadline: Instant,
) -> Result<bool, ReadFail> {
    let mut chunk = [0u8; 8192];
    let want = max.clamp(1, chunk.len());
    match timeout_at(deadline, stream.read(&mut chunk[..want])).await {
        Err(_) => Err(ReadFail::Timeout),
        Ok(Err(e)) => Err(ReadFail::Io(e.to_string())),
        Ok(Ok(0)) => Ok(false),
        Ok(Ok(n)) => {
            buf.extend_from_slice(&chunk[..n]);
            Ok(true)
        }
    }
}

enum ReadFail {
    Timeout,
    Io(String),
}

fn check_auth(auth: &Option<BasicAuth>, header: Option<&str>) -> bool {
    let Some(expected) = auth else {
        return true;
    };
    let Some(value) = header else {
        return false;
    };
    let Some((scheme, creds)) = value.split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let Some(decoded) = base64::decode(creds.trim()) else {
        return false;
    };
    let want = format!("{}:{}", expected.user, expected.password);
    constant_time_eq(&decoded, want.as_bytes())
}

/// Compares without an early exit, so timing does not reveal how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0xff);
    }
    diff == 0
}

async fn connection(mut stream: TcpStream, shared: &Shared) -> Result<(), Why> {
    let limits = &shared.limits;
    let mut buf: Vec<u8> = Vec::new();
    let mut first = true;
    loop {
        // Wait for the next request: a new connection must start within request_timeout, a
        // kept-alive one may idle for keepalive_timeout.
        if buf.is_empty() {
            let idle = if first {
                limits.request_timeout
            } else {
                limits.keepalive_timeout
            };
            match read_more(
                &mut stream,
                &mut buf,
                limits.max_header_bytes,
                Instant::now() + idle,
            )
            .await
            {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(ReadFail::Timeout) if first => {
                    return refuse(&mut stream, limits, 408, "Request Timeout", "no request").await;
                }
                Err(ReadFail::Timeout) => return Ok(()),
                Err(ReadFail::Io(e)) => return Err(e),
            }
        }
        first = false;
        // From its first byte, the whole request must arrive within request_timeout.
        let deadline = Instant::now() + limits.request_timeout;
        let (head, head_len) = loop {
            match http::parse_head(&buf, limits.max_header_bytes) {
                Ok(Some(h)) => break h,
                Ok(None) => {}
                Err(e) => {
                    let (status, reason) = e.status();
                    let why = match e {
                        HeadError::Bad(w) => w,
                        HeadError::TooLarge => "head too large",
                        HeadError::Version => "not HTTP/1.x",
                    };
                    return refuse(&mut stream, limits, status, reason, why).await;
                }
            }
            match read_more(&mut stream, &mut buf, limits.max_header_bytes + 1, deadline).await {
                Ok(true) => {}
                Ok(false) => return Err("closed inside a request head".to_string()),
                Err(ReadFail::Timeout) => {
                    return refuse(
                        &mut stream,
                        limits,
                        408,
                        "Request Timeout",
                        "slow request head",
                    )
                    .await;
                }
                Err(ReadFail::Io(e)) => return Err(e),
            }
        };
        if head.method != "POST" {
            return refuse_with(
                &mut stream,
                limits,
                405,
                "Method Not Allowed",
                &[("Allow", "POST")],
                "not POST",
            )
            .await;
        }
        if head.transfer_encoding {
            return refuse(
                &mut stream,
                limits,
                501,
                "Not Implemented",
                "transfer coding",
            )
            .await;
        }
        let Some(length) = head.content_length else {
            return refuse(
                &mut stream,
                limits,
                411,
                "Length Required",
                "no Content-Length",
            )
            .await;
        };
        if length > limits.max_request_bytes {
            return refuse(
                &mut stream,
                limits,
                413,
                "Content Too Large",
                "body too large",
            )
            .await;
        }
        // Before reading a body: an unauthenticated client gets nothing but 401.
        if !check_auth(&shared.auth, head.authorization.as_deref()) {
            return refuse_with(
                &mut stream,
                limits,
                401,
                "Unauthorized",
                &[("WWW-Authenticate", "Basic realm=\"dsmbox\"")],
                "bad or missing credentials",
            )
            .await;
        }
        if head.expect_continue && buf.len() < head_len + length {
            write_all_within(
                &mut stream,
                b"HTTP/1.1 100 Continue\r\n\r\n",
                limits.request_timeout,
            )
            .await?;
        }
        while buf.len() < head_len + length {
            let missing = head_len + length - buf.len();
            match read_more(&mut stream, &mut buf, missing, deadline).await {
                Ok(true) => {}
                Ok(false) => return Err("closed inside a request body".to_string()),
                Err(ReadFail::Timeout) => {
                    return refuse(
                        &mut stream,
                        limits,
                        408,
                        "Request Timeout",
                        "slow request body",
                    )
                    .await;
                }
                Err(ReadFail::Io(e)) => return Err(e),
            }
        }
        let body: Vec<u8> = buf.drain(..head_len + length).skip(head_len).collect();
        let result = match std::str::from_utf8(&body)
            .map_err(|_| "body is not UTF-8".to_string())
            .and_then(|xml| xmlrpc::parse_method_call(xml).map_err(|e| e.to_string()))
        {
            Ok(call) => {
                let (reply, answer) = oneshot::channel();
                if shared
                    .calls
                    .send(PendingCall { call, reply })
                    .await
                    .is_err()
                {
                    return refuse(
                        &mut stream,
                        limits,
                        503,
                        "Service Unavailable",
                        "firmware loop gone",
                    )
                    .await;
                }
                // The firmware's loop answers at once; this only bounds a stuck loop, so that
                // connections cannot pile up behind it.
                match timeout(ANSWER_TIMEOUT, answer).await {
                    Ok(Ok(r)) => r,
                    Ok(Err(_)) => Err(Fault::new(500, "Exception occured.")),
                    Err(_) => Err(Fault::new(500, "Exception: no answer from the call loop")),
                }
            }
            Err(e) => Err(Fault::new(400, format!("malformed XML-RPC request: {e}"))),
        };
        let xml = match &result {
            Ok(v) => xmlrpc::encode_response(v),
            Err(f) => xmlrpc::encode_fault(f),
        };
        let keep_alive = head.keep_alive;
        let mut extra: Vec<(&str, &str)> = Vec::new();
        if keep_alive && head.version == Version::Http10 {
            extra.push(("Connection", "keep-alive"));
        }
        let resp = http::response(
            200,
            "OK",
            Some("text/xml"),
            xml.as_bytes(),
            keep_alive,
            &extra,
        );
        write_all_within(&mut stream, &resp, limits.request_timeout).await?;
        if !keep_alive {
            let _ = stream.shutdown().await;
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_check() {
        let auth = Some(BasicAuth {
            user: "admin".into(),
            password: "pw".into(),
        });
        let good = format!("Basic {}", base64::encode(b"admin:pw"));
        assert!(check_auth(&auth, Some(&good)));
        assert!(check_auth(&auth, Some(&good.replace("Basic", "basic"))));
        assert!(!check_auth(&auth, None));
        assert!(!check_auth(
            &auth,
            Some(&format!("Basic {}", base64::encode(b"admin:pW")))
        ));
        assert!(!check_auth(
            &auth,
            Some(&format!("Basic {}", base64::encode(b"admin:pw2")))
        ));
        assert!(!check_auth(&auth, Some("Bearer x")));
        assert!(!check_auth(&auth, Some("Basic !!!")));
        assert!(check_auth(&None, None));
        assert!(constant_time_eq(b"", b""));
        assert!(!constant_time_eq(b"a", b""));
    }
}
