//! What every message we send carries (RFC 3261 §8.1.1, §8.2.6, §13.2.1, §13.3.1): Via with
//! a fresh branch and `rport`, Max-Forwards, Contact on INVITE and on dialog-creating
//! responses, Allow, Supported (when we support anything), User-Agent / Server, and (on
//! output) Content-Length.

use std::net::SocketAddr;

use super::Endpoint;
use super::config::LocalAddr;
use crate::msg::{HeaderName, Method, NameAddr, Request, Response, SipUri, StatusCode, Uri, Via};

/// The methods we accept (Allow).
pub(crate) const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO";

/// Whether we accept this method at all (known methods outside this set get 405, unknown
/// ones 501; RFC 3261 §8.2.1).
pub(crate) fn is_allowed(m: &Method) -> bool {
    matches!(
        m,
        Method::Invite
            | Method::Ack
            | Method::Cancel
            | Method::Bye
            | Method::Options
            | Method::Info
    )
}

impl Endpoint {
    /// The local socket for a new request to `destination`: the explicit one, else the first
    /// configured of the same address family.
    pub(crate) fn local_for(
        &self,
        destination: SocketAddr,
        explicit: Option<SocketAddr>,
    ) -> Result<LocalAddr, crate::Error> {
        if let Some(socket) = explicit {
            return Ok(self.local_by_socket(socket));
        }
        self.config
            .local_addrs
            .iter()
            .find(|l| l.socket.is_ipv4() == destination.is_ipv4())
            .cloned()
            .ok_or(crate::Error::NoLocalAddress(destination))
    }

    /// The configuration of a local socket (an unconfigured one advertises itself).
    pub(crate) fn local_by_socket(&self, socket: SocketAddr) -> LocalAddr {
        self.config
            .local_addrs
            .iter()
            .find(|l| l.socket == socket)
            .cloned()
            .unwrap_or_else(|| LocalAddr::new(socket))
    }

    /// A Via for a new client transaction from `local`.
    pub(crate) fn new_via(&mut self, local: &LocalAddr) -> Via {
        let (host, port) = local.advertised();
        Via::udp(host, port, &self.rng.branch())
    }

    /// `<sip:user@advertised-host:port>`.
    pub(crate) fn contact_for(local: &LocalAddr, user: Option<&str>) -> NameAddr {
        let (host, port) = local.advertised();
        NameAddr::new(Uri::Sip(SipUri::new(user, host, Some(port))))
    }

    /// Adds User-Agent, and Allow/Supported where RFC 3261 wants them (INVITE, OPTIONS).
    pub(crate) fn decorate_request(&self, req: &mut Request) {
        if matches!(req.method, Method::Invite | Method::Options) {
            req.headers.push(HeaderName::Allow, ALLOW);
            self.push_supported(&mut req.headers);
        }
        req.headers
            .push(HeaderName::UserAgent, self.config.user_agent.clone());
    }

    fn push_supported(&self, headers: &mut crate::msg::Headers) {
        if !self.config.supported.is_empty() {
            headers.push(HeaderName::Supported, self.config.supported.join(", "));
        }
    }

    /// A response to `req`: Via, From, To (with `to_tag` added when the request had none),
    /// Call-ID and CSeq copied (§8.2.6.2), plus Server; Allow/Supported on 2xx to INVITE,
    /// on OPTIONS answers and on 405.
    pub(crate) fn response_for(
        &self,
        req: &Request,
        status: StatusCode,
        reason: Option<&str>,
        to_tag: Option<&str>,
    ) -> Response {
        let mut resp = Response::to_request(req, status, reason);
        if resp.to.tag().is_none()
            && let Some(tag) = to_tag
            && status != StatusCode::TRYING
        {
            resp.to.set_tag(tag);
        }
        let wants_allow = status == StatusCode::METHOD_NOT_ALLOWED
            || (status.is_success() && matches!(req.method, Method::Invite | Method::Options));
        if wants_allow {
            resp.headers.push(HeaderName::Allow, ALLOW);
            self.push_supported(&mut resp.headers);
        }
        if req.method == Method::Options && status.is_success() {
            resp.headers
                .push(HeaderName::Accept, self.config.accept.join(", "));
        }
        resp.headers
            .push(HeaderName::Server, self.config.user_agent.clone());
        resp
    }
}
