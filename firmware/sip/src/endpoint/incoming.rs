//! The path of a received request before it reaches a call (RFC 3261 §8.2, §18.2.1).
//!
//! Order of checks, as §8.2 gives them: malformed (400/505, or drop) → Via stamping
//! (RFC 3581) → transaction matching (retransmissions absorbed) → ACK and CANCEL (§9.2) →
//! Request-URI scheme (416) → Require (420) → To tag: a dialog, or 481 → method: INVITE,
//! OPTIONS (answered here), 405 for known methods we do not allow, 501 for unknown ones.
//! Everything we answer goes through a server transaction, so that retransmissions of the
//! request are answered from it and not processed twice.

use std::net::SocketAddr;
use std::time::Instant;

use super::build::is_allowed;
use super::{Endpoint, io};
use crate::msg::{
    self, HeaderName, Method, ParseError, Request, Response, StatusCode, Uri, media_type,
};
use crate::nat;
use crate::transaction::{Io, RequestMatch, TxOwner};

impl Endpoint {
    /// A datagram that did not parse: answer 400/505 when the five rows an answer needs are
    /// there (and it is not an ACK), else drop it.
    pub(super) fn on_malformed(
        &mut self,
        _now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        e: ParseError,
    ) {
        self.stats.malformed += 1;
        let Some(p) = e.partial.as_deref() else {
            log::debug!("dropped an unanswerable datagram from {remote}: {}", e.kind);
            self.stats.malformed_dropped += 1;
            return;
        };
        if p.method == "ACK" {
            log::debug!("dropped a malformed ACK from {remote}: {}", e.kind);
            self.stats.malformed_dropped += 1;
            return;
        }
        log::debug!(
            "answering a malformed {} from {remote}: {}",
            p.method,
            e.kind
        );
        let mut rows: Vec<(HeaderName, String)> = Vec::new();
        let destination = match &p.top_via {
            Some(v) => {
                let mut v = v.clone();
                nat::stamp_received(&mut v, remote);
                rows.push((HeaderName::Via, v.to_string()));
                rows.extend(p.via[1..].iter().map(|v| (HeaderName::Via, v.clone())));
                nat::response_destination(&v, remote)
            }
            // Unreadable Via: answer where it came from, copying the rows as they were.
            None => {
                rows.extend(p.via.iter().map(|v| (HeaderName::Via, v.clone())));
                remote
            }
        };
        let mut to = p.to.clone();
        if !to.to_ascii_lowercase().contains("tag=") {
            to.push_str(";tag=");
            to.push_str(&self.rng.tag());
        }
        rows.push((HeaderName::From, p.from.clone()));
        rows.push((HeaderName::To, to));
        rows.push((HeaderName::CallId, p.call_id.clone()));
        rows.push((HeaderName::CSeq, p.cseq.clone()));
        rows.push((HeaderName::Server, self.config.user_agent.clone()));
        let status = e.status();
        let reason = format!("{} ({})", status.canonical_reason(), e.kind);
        self.transmits.push_back(crate::Transmit {
            source: local,
            destination,
            payload: msg::raw_response(status.code(), &reason, &rows),
        });
        self.stats.malformed_answered += 1;
    }

    pub(super) fn on_request(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        mut req: Request,
    ) {
        if let Some(v) = req.via.first_mut() {
            nat::stamp_received(v, remote);
        }
        let response_to = req
            .via
            .first()
            .map(|v| nat::response_destination(v, remote))
            .unwrap_or(remote);
        match self.transactions.on_request(&mut io!(self, now), req) {
            RequestMatch::Absorbed => {}
            RequestMatch::Event(ev) => self.on_tx_event(now, ev),
            RequestMatch::New(req) => self.on_new_request(now, local, remote, response_to, req),
        }
    }

    /// Answers `req` with `resp` through a new server transaction of nobody's.
    pub(super) fn answer(
        &mut self,
        now: Instant,
        local: SocketAddr,
        response_to: SocketAddr,
        req: &Request,
        resp: &Response,
    ) {
        if let Some(tx) = self
            .transactions
            .start_server(req, local, response_to, TxOwner::Detached)
        {
            let _ = self.transactions.respond(&mut io!(self, now), tx, resp);
        }
    }

    /// Answers with a bare status (a fresh To tag when the request had none).
    pub(super) fn answer_status(
        &mut self,
        now: Instant,
        local: SocketAddr,
        response_to: SocketAddr,
        req: &Request,
        status: StatusCode,
    ) {
        let tag = self.rng.tag();
        let resp = self.response_for(req, status, None, Some(&tag));
        self.answer(now, local, response_to, req, &resp);
    }

    fn on_new_request(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        response_to: SocketAddr,
        req: Request,
    ) {
        match req.method {
            Method::Ack => {
                self.on_ack(now, req);
                return;
            }
            Method::Cancel => {
                self.on_cancel(now, local, response_to, req);
                return;
            }
            _ => {}
        }
        // §8.2.2.1: we serve sip: and tel: (no TLS, so no sips:).
        let scheme_ok = match &req.uri {
            Uri::Sip(u) => !u.secure,
            Uri::Tel(_) => true,
            Uri::Other { .. } => false,
        };
        if !scheme_ok {
            self.answer_status(
                now,
                local,
                response_to,
                &req,
                StatusCode::UNSUPPORTED_URI_SCHEME,
            );
            return;
        }
        // §8.2.2.3: option tags we do not support.
        let unsupported: Vec<String> = req
            .headers
            .get_all(&HeaderName::Require)
            .flat_map(|v| v.split(','))
            .map(|t| t.trim().to_owned())
            .filter(|t| {
                !t.is_empty()
                    && !self
                        .config
                        .supported
                        .iter()
                        .any(|s| s.eq_ignore_ascii_case(t))
            })
            .collect();
        if !unsupported.is_empty() {
            let tag = self.rng.tag();
            let mut resp = self.response_for(&req, StatusCode::BAD_EXTENSION, None, Some(&tag));
            resp.headers
                .push(HeaderName::Unsupported, unsupported.join(", "));
            self.answer(now, local, response_to, &req, &resp);
            return;
        }
        if let Some(tag) = req.to.tag() {
            let key = (req.call_id.clone(), tag.to_owned());
            match self.dialog_index.get(&key).copied() {
                Some(h) => self.on_in_dialog_request(now, h, local, response_to, req),
                // §12.2.2: no such dialog.
                None => self.answer_status(
                    now,
                    local,
                    response_to,
                    &req,
                    StatusCode::CALL_DOES_NOT_EXIST,
                ),
            }
            return;
        }
        match &req.method {
            Method::Invite => self.on_new_invite(now, local, remote, response_to, req),
            Method::Options => self.answer_status(now, local, response_to, &req, StatusCode::OK),
            // Only meaningful inside a dialog.
            Method::Bye | Method::Info => self.answer_status(
                now,
                local,
                response_to,
                &req,
                StatusCode::CALL_DOES_NOT_EXIST,
            ),
            Method::Extension(_) => {
                self.answer_status(now, local, response_to, &req, StatusCode::NOT_IMPLEMENTED)
            }
            m if !is_allowed(m) => self.answer_status(
                now,
                local,
                response_to,
                &req,
                StatusCode::METHOD_NOT_ALLOWED,
            ),
            _ => self.answer_status(now, local, response_to, &req, StatusCode::NOT_IMPLEMENTED),
        }
    }

    /// An INVITE without To tag: a new call, unless it is a merged request (§8.2.2.2) or its
    /// body or Accept cannot work (415, 406).
    fn on_new_invite(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        response_to: SocketAddr,
        req: Request,
    ) {
        let origin = (
            req.call_id.clone(),
            req.from.tag().unwrap_or("").to_owned(),
            req.cseq.seq,
        );
        if self.invite_index.contains_key(&origin) {
            self.answer_status(now, local, response_to, &req, StatusCode::LOOP_DETECTED);
            return;
        }
        if !req.body.is_empty() {
            let ct = media_type(req.content_type().unwrap_or(""));
            if !self
                .config
                .accept
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&ct))
            {
                let tag = self.rng.tag();
                let mut resp =
                    self.response_for(&req, StatusCode::UNSUPPORTED_MEDIA_TYPE, None, Some(&tag));
                resp.headers
                    .push(HeaderName::Accept, self.config.accept.join(", "));
                self.answer(now, local, response_to, &req, &resp);
                return;
            }
        }
        // An Accept header that rules out every type we could answer with (RFC 4475 sdp01).
        let accepts: Vec<String> = req
            .headers
            .get_all(&HeaderName::Accept)
            .flat_map(|v| v.split(','))
            .map(media_type)
            .filter(|t| !t.is_empty())
            .collect();
        if !accepts.is_empty()
            && !accepts.iter().any(|a| {
                a == "*/*"
                    || self.config.accept.iter().any(|ours| {
                        ours.eq_ignore_ascii_case(a)
                            || (a.ends_with("/*")
                                && ours.to_ascii_lowercase().starts_with(&a[..a.len() - 1]))
                    })
            })
        {
            let tag = self.rng.tag();
            let mut resp = self.response_for(&req, StatusCode::NOT_ACCEPTABLE, None, Some(&tag));
            resp.headers
                .push(HeaderName::Accept, self.config.accept.join(", "));
            self.answer(now, local, response_to, &req, &resp);
            return;
        }
        self.start_incoming_call(now, local, remote, response_to, req, origin);
    }

    /// CANCEL (§9.2): 200 to the CANCEL, then the call decides about 487 to the INVITE.
    fn on_cancel(
        &mut self,
        now: Instant,
        local: SocketAddr,
        response_to: SocketAddr,
        cancel: Request,
    ) {
        let Some((invite_tx, owner)) = self.transactions.find_invite_for_cancel(&cancel) else {
            self.answer_status(
                now,
                local,
                response_to,
                &cancel,
                StatusCode::CALL_DOES_NOT_EXIST,
            );
            return;
        };
        // The To tag of the 200 is the one we use (or will use) for the INVITE.
        let tag = match owner {
            TxOwner::Call(h) => self.calls.get(&h).map(|c| c.local_tag.clone()),
            _ => None,
        }
        .unwrap_or_else(|| self.rng.tag());
        let resp = self.response_for(&cancel, StatusCode::OK, None, Some(&tag));
        self.answer(now, local, response_to, &cancel, &resp);
        if let TxOwner::Call(h) = owner {
            self.on_remote_cancel(now, h, invite_tx);
        }
    }
}
