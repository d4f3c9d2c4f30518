//! Configuration of an [`Endpoint`](super::Endpoint), of outgoing calls ([`Dial`]) and of
//! registration accounts ([`AccountConfig`]).

use std::net::SocketAddr;
use std::time::Duration;

use crate::auth::Credentials;
use crate::msg::{Body, Headers, Host, Limits, NameAddr, Uri};
use crate::timer::TimerConfig;

/// One local UDP socket the driver has bound, and what we tell peers it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAddr {
    /// The bound address (what `handle_datagram` reports as `local_addr`, and what
    /// [`Transmit::source`](crate::Transmit::source) names).
    pub socket: SocketAddr,
    /// The public address and port to put in Via and Contact when the box sits behind NAT
    /// (a host name is fine). `None`: the bound address.
    pub public: Option<(Host, u16)>,
}

impl LocalAddr {
    /// A socket advertised as itself.
    pub fn new(socket: SocketAddr) -> LocalAddr {
        LocalAddr {
            socket,
            public: None,
        }
    }

    /// Host and port for Via sent-by and Contact.
    pub fn advertised(&self) -> (Host, u16) {
        self.public
            .clone()
            .unwrap_or_else(|| (Host::from(self.socket.ip()), self.socket.port()))
    }
}

/// Registration timing (RFC 3261 §10.2.4 refresh; RFC 5626 §4.5-style retry backoff).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrationTiming {
    /// Refresh this long before the binding expires, but never before half its lifetime.
    pub refresh_margin: Duration,
    /// First retry delay after a failure; doubles per consecutive failure (with 50-100 %
    /// random jitter).
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
}

impl Default for RegistrationTiming {
    fn default() -> Self {
        RegistrationTiming {
            refresh_margin: Duration::from_secs(32),
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(1800),
        }
    }
}

/// Endpoint-wide settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// The sockets the driver has bound (IPv4 and IPv6 alike). New requests leave from the
    /// first one of the destination's address family unless told otherwise.
    pub local_addrs: Vec<LocalAddr>,
    /// T1, T2, T4 and Timer D.
    pub timers: TimerConfig,
    /// Parser limits.
    pub limits: Limits,
    /// `User-Agent` on requests and `Server` on responses.
    pub user_agent: String,
    /// Option tags we put in `Supported`. We implement none of the usual extensions
    /// (100rel, timer, replaces), so by default the header is left out.
    pub supported: Vec<String>,
    /// Body types accepted in an INVITE (others get 415 with `Accept`, RFC 3261 §21.4.13).
    pub accept: Vec<String>,
    /// Send in-dialog requests to the address the peer used for the dialog's first message,
    /// whatever its Contact says (helps with peers behind NAT that do not use RFC 3581).
    pub symmetric_dialog_routing: bool,
    /// Registration refresh and retry timing.
    pub registration: RegistrationTiming,
    /// Give up on an outgoing INVITE without final response after this long: CANCEL, then
    /// `CallFailed` 408. An INVITE transaction that got a provisional response has no timer
    /// of its own (Timer C is for proxies), so without this a peer that never answers keeps
    /// the call forever. `None` leaves it to the layer above. Default 3 minutes, Timer C's
    /// minimum.
    pub invite_timeout: Option<std::time::Duration>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            local_addrs: Vec::new(),
            timers: TimerConfig::default(),
            limits: Limits::default(),
            user_agent: format!("dsmbox/{}", env!("CARGO_PKG_VERSION")),
            supported: Vec::new(),
            accept: vec!["application/sdp".into()],
            symmetric_dialog_routing: false,
            registration: RegistrationTiming::default(),
            invite_timeout: Some(Duration::from_secs(180)),
        }
    }
}

impl Config {
    /// Defaults with these local sockets.
    pub fn with_local_addrs(addrs: impl IntoIterator<Item = SocketAddr>) -> Config {
        Config {
            local_addrs: addrs.into_iter().map(LocalAddr::new).collect(),
            ..Config::default()
        }
    }
}

/// A new outgoing call (`Endpoint::dial`).
#[derive(Debug, Clone)]
pub struct Dial {
    /// Our identity; a tag is added.
    pub from: NameAddr,
    /// Whom we call.
    pub to: NameAddr,
    /// The Request-URI (usually `to`'s URI).
    pub request_uri: Uri,
    /// Our Contact; default `sip:<from user>@<advertised address>`.
    pub contact: Option<Uri>,
    /// Extra headers (Route rows for a pre-loaded route set, P-Asserted-Identity, …).
    pub headers: Headers,
    /// The offer (`None` sends an INVITE without a body; the ACK then carries none either).
    pub body: Option<Body>,
    /// Credentials for 401/407 challenges on this call (DSM `b_leg_auth_user`/`_pwd`).
    pub credentials: Option<Credentials>,
    /// Where to send the INVITE (resolved outbound proxy or target). `None`: the
    /// Request-URI's host, which must then be an IP address.
    pub destination: Option<SocketAddr>,
    /// Which local socket to use. `None`: the first of the destination's family.
    pub local: Option<SocketAddr>,
}

impl Dial {
    /// A call from `from` to `to`, the Request-URI being `to`'s URI.
    pub fn new(from: NameAddr, to: NameAddr) -> Dial {
        Dial {
            request_uri: to.uri.clone(),
            from,
            to,
            contact: None,
            headers: Headers::new(),
            body: None,
            credentials: None,
            destination: None,
            local: None,
        }
    }
}

/// A registration with a trunk or PBX (`Endpoint::register`).
#[derive(Debug, Clone)]
pub struct AccountConfig {
    /// Registrar Request-URI, e.g. `sip:sip.provider.example`.
    pub registrar: Uri,
    /// Where REGISTERs go (the resolved registrar or outbound proxy).
    pub destination: SocketAddr,
    /// User part of the address-of-record.
    pub user: String,
    /// Domain of the address-of-record (`sip:user@domain`).
    pub domain: String,
    /// Authentication user and password.
    pub credentials: Option<Credentials>,
    /// Lifetime to ask for, in seconds.
    pub expires: u32,
    /// Contact to bind; default `sip:<user>@<advertised address>`.
    pub contact: Option<Uri>,
    /// Local socket to use; default the first of the destination's family.
    pub local: Option<SocketAddr>,
}

impl AccountConfig {
    /// An account asking for 3600 s.
    pub fn new(registrar: Uri, destination: SocketAddr, user: &str, domain: &str) -> AccountConfig {
        AccountConfig {
            registrar,
            destination,
            user: user.to_owned(),
            domain: domain.to_owned(),
            credentials: None,
            expires: 3600,
            contact: None,
            local: None,
        }
    }
}
