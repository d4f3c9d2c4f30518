//! The INVITE dialog usage: one [`Call`] per INVITE we received or sent.
//!
//! Incoming (UAS core, §13.3): 100 Trying at once; 1xx with our tag create the early dialog;
//! a 2xx is retransmitted by us (T1 doubling to T2) until the ACK, and if none comes within
//! 64*T1 we send BYE (§13.3.1.4); a final error ends the call. CANCEL gets 200 and the
//! INVITE 487 (§9.2). A BYE before the answer also gets the INVITE a 487 (§15.1.2).
//!
//! Outgoing (UAC core, §13.2): provisional responses with different To tags are different
//! early dialogs (forking); the first 2xx confirms its dialog and is ACKed, a 2xx from
//! another fork is ACKed and then BYEd (§13.2.2.4), a retransmitted 2xx is re-ACKed. 401/407
//! are answered once per realm with digest credentials. CANCEL waits for a provisional
//! response (§9.1); if a 2xx crosses our CANCEL we ACK it then BYE.
//!
//! A call that has reported its terminal event lingers for 64*T1 so that late 2xx
//! retransmissions can be re-ACKed and a challenge to our BYE answered, then is forgotten.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::event::{EndCause, Event, Reply};
use super::{CallTimer, Dial, Endpoint, io};
use crate::auth::{AuthState, Credentials};
use crate::dialog::{Dialog, DialogState, uri_address};
use crate::msg::{Body, HeaderName, Method, NameAddr, Request, Response, StatusCode};
use crate::timer::{TimerOwner, TimerTable};
use crate::transaction::{Io, TxEvent, TxId, TxOwner};
use crate::{CallHandle, Error, RequestHandle};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Uac,
    Uas,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallState {
    /// UAC: INVITE sent, no final response yet.
    Calling,
    /// UAS: INVITE received, no final response sent yet.
    Ringing,
    /// UAS: 2xx sent, waiting for the ACK.
    Answered,
    /// Dialog confirmed.
    Established,
    /// The terminal event has been reported; the call lingers.
    Ended,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cancel {
    NotRequested,
    /// Asked for before any provisional response: sent when one arrives (§9.1).
    Pending,
    Sent,
}

/// Our 2xx to an INVITE, retransmitted until the ACK (§13.3.1.4).
#[derive(Debug)]
pub(crate) struct Pending2xx {
    pub(crate) bytes: Vec<u8>,
    pub(crate) interval: Duration,
    pub(crate) cseq: u32,
    pub(crate) destination: SocketAddr,
}

/// An ACK we sent for a 2xx, kept to answer that 2xx's retransmissions.
#[derive(Debug)]
pub(crate) struct SentAck {
    pub(crate) remote_tag: String,
    pub(crate) cseq: u32,
    pub(crate) bytes: Vec<u8>,
    pub(crate) destination: SocketAddr,
}

/// An in-dialog request we sent, awaiting its final response.
#[derive(Debug)]
pub(crate) struct ClientRequest {
    pub(crate) handle: RequestHandle,
    pub(crate) request: Request,
    pub(crate) auth: AuthState,
    pub(crate) destination: SocketAddr,
    /// No event for its response (our BYE: the call already reported its end).
    pub(crate) silent: bool,
}

/// An in-dialog request the layer above has to answer.
#[derive(Debug)]
pub(crate) struct ServerRequest {
    pub(crate) tx: TxId,
    pub(crate) request: Request,
    pub(crate) response_to: SocketAddr,
}

#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) handle: CallHandle,
    pub(crate) role: Role,
    pub(crate) state: CallState,
    pub(crate) local: SocketAddr,
    /// UAS: where the INVITE came from. UAC: where it went. The fallback next hop when a
    /// dialog's target is a host name.
    pub(crate) peer: SocketAddr,
    /// UAS: where responses to the INVITE go (RFC 3581).
    pub(crate) response_to: SocketAddr,
    /// UAS: the INVITE received (Via stamped). UAC: the INVITE last sent.
    pub(crate) invite: Request,
    pub(crate) invite_tx: Option<TxId>,
    pub(crate) local_tag: String,
    pub(crate) contact: NameAddr,
    /// The confirmed dialog (UAS: also the early one once a 1xx with tag went out).
    pub(crate) dialog: Option<Dialog>,
    /// UAC: early dialogs, one per forked To tag.
    pub(crate) early: Vec<Dialog>,
    pub(crate) timers: TimerTable<5>,
    pub(crate) pending_2xx: Option<Pending2xx>,
    pub(crate) acks: Vec<SentAck>,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) auth: AuthState,
    pub(crate) provisional_seen: bool,
    pub(crate) cancel: Cancel,
    /// UAS: BYE asked for while our 2xx waits for its ACK (§15: not before the ACK).
    pub(crate) bye_after_ack: bool,
    pub(crate) client_requests: HashMap<TxId, ClientRequest>,
    pub(crate) server_requests: HashMap<RequestHandle, ServerRequest>,
    /// A re-INVITE of ours in progress (glare, §14.1).
    pub(crate) invite_client_pending: bool,
    /// A re-INVITE of theirs not yet answered or acknowledged (§14.2).
    pub(crate) invite_server_pending: bool,
    /// Key in `Endpoint::invite_index` (UAS).
    pub(crate) origin: Option<(String, String, u32)>,
    /// UAC: the CANCEL was ours for lack of an answer (`invite_timeout`), not the user's.
    pub(crate) timed_out: bool,
}

impl Call {
    pub(crate) fn arm(
        &mut self,
        schedule: &mut crate::timer::Schedule,
        timer: CallTimer,
        at: Instant,
    ) {
        self.timers.set(timer, at);
        schedule.push(at, TimerOwner::Call(self.handle, timer));
    }
}

impl Endpoint {
    fn arm_call(&mut self, h: CallHandle, timer: CallTimer, at: Instant) {
        if let Some(call) = self.calls.get_mut(&h) {
            call.arm(&mut self.schedule, timer, at);
        }
    }

    fn call_mut(&mut self, h: CallHandle) -> Result<&mut Call, Error> {
        match self.calls.get_mut(&h) {
            Some(c) if c.state != CallState::Ended => Ok(c),
            _ => Err(Error::NoSuchCall(h)),
        }
    }

    /// Where in-dialog requests of this call go.
    pub(super) fn dialog_destination(&self, call: &Call, dialog: &Dialog) -> SocketAddr {
        dialog_destination(self.config.symmetric_dialog_routing, call.peer, dialog)
    }

    // ----- incoming calls (UAS) -------------------------------------------------------

    pub(super) fn start_incoming_call(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        response_to: SocketAddr,
        req: Request,
        origin: (String, String, u32),
    ) {
        let handle = CallHandle(self.next_handle());
        let Some(tx) =
            self.transactions
                .start_server(&req, local, response_to, TxOwner::Call(handle))
        else {
            return;
        };
        // §17.2.1: answer at once with 100 Trying (no To tag on a 100, §8.2.6.1).
        let trying = self.response_for(&req, StatusCode::TRYING, None, None);
        let _ = self.transactions.respond(&mut io!(self, now), tx, &trying);
        let local_tag = self.rng.tag();
        let local_addr = self.local_by_socket(local);
        let user = req.uri.as_sip().and_then(|u| u.user.clone());
        let contact = Self::contact_for(&local_addr, user.as_deref());
        self.dialog_index
            .insert((req.call_id.clone(), local_tag.clone()), handle);
        self.invite_index.insert(origin.clone(), handle);
        self.events.push_back(Event::IncomingCall {
            call: handle,
            request: Box::new(req.clone()),
            local,
            remote,
        });
        self.calls.insert(
            handle,
            Call {
                handle,
                role: crate::endpoint::call::Role::Uas,
                state: CallState::Ringing,
                local,
                peer: remote,
                response_to,
                invite: req,
                invite_tx: Some(tx),
                local_tag,
                contact,
                dialog: None,
                early: Vec::new(),
                timers: TimerTable::default(),
                pending_2xx: None,
                acks: Vec::new(),
                credentials: None,
                auth: AuthState::default(),
                provisional_seen: false,
                cancel: Cancel::NotRequested,
                bye_after_ack: false,
                client_requests: HashMap::new(),
                server_requests: HashMap::new(),
                invite_client_pending: false,
                invite_server_pending: false,
                origin: Some(origin),
                timed_out: false,
            },
        );
    }

    /// A response to the call's INVITE or a re-INVITE from us, with our tag, Contact and the
    /// request's Record-Route on 101-299 (§12.1.1).
    fn invite_response(call: &Call, ep: &Endpoint, req: &Request, reply: &Reply) -> Response {
        let mut resp = ep.response_for(
            req,
            reply.status,
            reply.reason.as_deref(),
            Some(&call.local_tag),
        );
        if reply.status.code() > 100 && reply.status.code() < 300 {
            if req.to.tag().is_none() {
                for rr in req.headers.get_all(&HeaderName::RecordRoute) {
                    resp.headers.push(HeaderName::RecordRoute, rr);
                }
            }
            resp.headers
                .push(HeaderName::Contact, call.contact.to_string());
        }
        for h in reply.headers.iter() {
            resp.headers.push(h.name.clone(), h.value.clone());
        }
        resp.set_body(reply.body.clone());
        resp
    }

    /// Answers an incoming INVITE: 101-199 (180/183 with early media), 2xx (retransmitted
    /// until the ACK) or 300-699 (the call ends with [`EndCause::Rejected`]).
    pub fn reply(&mut self, now: Instant, call: CallHandle, reply: Reply) -> Result<(), Error> {
        let c = match self.calls.get(&call) {
            Some(c) if c.state != CallState::Ended => c,
            _ => return Err(Error::NoSuchCall(call)),
        };
        if c.role != Role::Uas || c.state != CallState::Ringing {
            return Err(Error::InvalidState("not an unanswered incoming call"));
        }
        if reply.status == StatusCode::TRYING {
            return Err(Error::InvalidStatus(100));
        }
        let tx = c.invite_tx.ok_or(Error::NoTransaction)?;
        let resp = Self::invite_response(c, self, &c.invite, &reply);
        self.transactions.respond(&mut io!(self, now), tx, &resp)?;
        let status = reply.status;
        let t1 = self.config.timers.t1;
        let ack_wait = self.config.timers.t1_x64();
        let Some(c) = self.calls.get_mut(&call) else {
            return Ok(());
        };
        if status.is_provisional() {
            if c.dialog.is_none() {
                c.dialog = Some(Dialog::uas(&c.invite, &c.local_tag));
            }
            return Ok(());
        }
        if status.is_success() {
            let d = c
                .dialog
                .get_or_insert_with(|| Dialog::uas(&c.invite, &c.local_tag));
            d.state = DialogState::Confirmed;
            c.state = CallState::Answered;
            c.pending_2xx = Some(Pending2xx {
                bytes: resp.to_bytes(),
                interval: t1,
                cseq: c.invite.cseq.seq,
                destination: c.response_to,
            });
            c.arm(&mut self.schedule, CallTimer::Retransmit2xx, now + t1);
            c.arm(&mut self.schedule, CallTimer::AckWait, now + ack_wait);
            return Ok(());
        }
        self.end_call(now, call, EndCause::Rejected(status));
        Ok(())
    }

    /// `200 OK` with this body (the SDP answer, or an offer if the INVITE had none).
    pub fn accept(
        &mut self,
        now: Instant,
        call: CallHandle,
        body: Option<Body>,
    ) -> Result<(), Error> {
        let mut r = Reply::status(StatusCode::OK);
        r.body = body;
        self.reply(now, call, r)
    }

    /// A final error response (300-699) to an incoming INVITE.
    pub fn reject(
        &mut self,
        now: Instant,
        call: CallHandle,
        status: u16,
        reason: Option<&str>,
    ) -> Result<(), Error> {
        let code = StatusCode::new(status)
            .filter(|s| s.code() >= 300)
            .ok_or(Error::InvalidStatus(status))?;
        let mut r = Reply::status(code);
        r.reason = reason.map(str::to_owned);
        self.reply(now, call, r)
    }

    /// An ACK that matched no transaction: the ACK for one of our 2xx (§13.3.1.4), or a stray.
    pub(super) fn on_ack(&mut self, now: Instant, ack: Request) {
        let Some(tag) = ack.to.tag() else {
            self.stats.stray_acks += 1;
            return;
        };
        match self
            .dialog_index
            .get(&(ack.call_id.clone(), tag.to_owned()))
            .copied()
        {
            Some(h) => self.on_ack_for_call(now, h, ack),
            None => self.stats.stray_acks += 1,
        }
    }

    fn on_ack_for_call(&mut self, now: Instant, h: CallHandle, ack: Request) {
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        let matches = c
            .pending_2xx
            .as_ref()
            .is_some_and(|p| p.cseq == ack.cseq.seq);
        if !matches {
            return; // a retransmitted ACK, or one for an older 2xx
        }
        c.pending_2xx = None;
        c.timers.stop(CallTimer::Retransmit2xx);
        c.timers.stop(CallTimer::AckWait);
        c.invite_server_pending = false;
        let ended = c.state == CallState::Ended;
        if c.state == CallState::Answered {
            c.state = CallState::Established;
        }
        if ended {
            if c.bye_after_ack {
                c.bye_after_ack = false;
                self.send_bye(now, h);
            }
            return;
        }
        self.events.push_back(Event::CallConfirmed {
            call: h,
            body: ack.body(),
        });
    }

    /// CANCEL for an INVITE of this call (the CANCEL has been answered 200).
    pub(super) fn on_remote_cancel(&mut self, now: Instant, h: CallHandle, invite_tx: TxId) {
        if !self.transactions.awaiting_final(invite_tx) {
            return; // §9.2: a final response was sent, the CANCEL has no effect
        }
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        if c.invite_tx == Some(invite_tx) && c.state == CallState::Ringing {
            let req = c.invite.clone();
            let tag = c.local_tag.clone();
            let resp = self.response_for(&req, StatusCode::REQUEST_TERMINATED, None, Some(&tag));
            let _ = self
                .transactions
                .respond(&mut io!(self, now), invite_tx, &resp);
            self.end_call(now, h, EndCause::RemoteCancel);
            return;
        }
        // A re-INVITE being cancelled: 487 to it; the layer above's answer will find no request.
        let found = c
            .server_requests
            .iter()
            .find(|(_, r)| r.tx == invite_tx)
            .map(|(k, r)| (*k, r.request.clone()));
        if let Some((rh, req)) = found {
            c.server_requests.remove(&rh);
            c.invite_server_pending = false;
            let tag = c.local_tag.clone();
            let resp = self.response_for(&req, StatusCode::REQUEST_TERMINATED, None, Some(&tag));
            let _ = self
                .transactions
                .respond(&mut io!(self, now), invite_tx, &resp);
        }
    }

    // ----- outgoing calls (UAC) -------------------------------------------------------

    /// Starts an outgoing call: sends the INVITE. Events follow: `CallProgress`*, then
    /// `CallAnswered` or `CallFailed` (or `CallEnded` if cancelled).
    pub fn dial(&mut self, now: Instant, dial: Dial) -> Result<CallHandle, Error> {
        let destination = match dial.destination {
            Some(d) => d,
            None => uri_address(&dial.request_uri).ok_or_else(|| {
                Error::Unresolved(
                    dial.request_uri
                        .as_sip()
                        .map(|u| u.host.to_string())
                        .unwrap_or_else(|| dial.request_uri.to_string()),
                )
            })?,
        };
        let local = self.local_for(destination, dial.local)?;
        let handle = CallHandle(self.next_handle());
        let local_tag = self.rng.tag();
        let call_id = self.rng.call_id();
        let mut from = dial.from;
        from.set_tag(&local_tag);
        let mut to = dial.to;
        to.params.remove("tag");
        let contact = match dial.contact {
            Some(uri) => NameAddr::new(uri),
            None => Self::contact_for(&local, from.uri.as_sip().and_then(|u| u.user.as_deref())),
        };
        let via = self.new_via(&local);
        let mut req = Request::new(Method::Invite, dial.request_uri, via, from, to, call_id, 1);
        req.headers.push(HeaderName::Contact, contact.to_string());
        self.decorate_request(&mut req);
        for h in dial.headers.iter() {
            req.headers.push(h.name.clone(), h.value.clone());
        }
        req.set_body(dial.body);
        let tx = self.transactions.start_client(
            &mut io!(self, now),
            req.clone(),
            local.socket,
            destination,
            TxOwner::Call(handle),
        );
        self.dialog_index
            .insert((req.call_id.clone(), local_tag.clone()), handle);
        self.calls.insert(
            handle,
            Call {
                handle,
                role: Role::Uac,
                state: CallState::Calling,
                local: local.socket,
                peer: destination,
                response_to: destination,
                invite: req,
                invite_tx: Some(tx),
                local_tag,
                contact,
                dialog: None,
                early: Vec::new(),
                timers: TimerTable::default(),
                pending_2xx: None,
                acks: Vec::new(),
                credentials: dial.credentials,
                auth: AuthState::default(),
                provisional_seen: false,
                cancel: Cancel::NotRequested,
                bye_after_ack: false,
                client_requests: HashMap::new(),
                server_requests: HashMap::new(),
                invite_client_pending: false,
                invite_server_pending: false,
                origin: None,
                timed_out: false,
            },
        );
        if let Some(limit) = self.config.invite_timeout {
            self.arm_call(handle, CallTimer::NoAnswer, now + limit);
        }
        Ok(handle)
    }

    /// Cancels an outgoing call that has no final response yet. The CANCEL goes out once a
    /// provisional response has arrived (§9.1). The call ends with
    /// [`EndCause::LocalCancel`] when the INVITE completes (or 64*T1 later at most).
    pub fn cancel(&mut self, now: Instant, call: CallHandle) -> Result<(), Error> {
        let c = self.call_mut(call)?;
        if c.role != Role::Uac || c.state != CallState::Calling {
            return Err(Error::InvalidState("not an unanswered outgoing call"));
        }
        if c.cancel != Cancel::NotRequested {
            return Ok(());
        }
        if c.provisional_seen {
            self.send_cancel(now, call);
        } else {
            c.cancel = Cancel::Pending;
        }
        Ok(())
    }

    fn send_cancel(&mut self, now: Instant, h: CallHandle) {
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        c.cancel = Cancel::Sent;
        // §9.1: same Request-URI, Call-ID, To, From, CSeq number and top Via as the INVITE.
        let inv = &c.invite;
        let mut cancel = Request::new(
            Method::Cancel,
            inv.uri.clone(),
            inv.via[0].clone(),
            inv.from.clone(),
            inv.to.clone(),
            inv.call_id.clone(),
            inv.cseq.seq,
        );
        for r in inv.headers.get_all(&HeaderName::Route) {
            cancel.headers.push(HeaderName::Route, r);
        }
        let (local, peer) = (c.local, c.peer);
        let wait = now + self.config.timers.t1_x64();
        c.arm(&mut self.schedule, CallTimer::CancelWait, wait);
        self.decorate_request(&mut cancel);
        self.transactions
            .start_client(&mut io!(self, now), cancel, local, peer, TxOwner::Call(h));
    }

    /// Ends an established call with BYE. The call ends at once ([`EndCause::LocalBye`]); if
    /// our 2xx still waits for its ACK, the BYE follows the ACK (§15).
    pub fn bye(&mut self, now: Instant, call: CallHandle) -> Result<(), Error> {
        let c = self.call_mut(call)?;
        match c.state {
            CallState::Established => {
                self.send_bye(now, call);
                self.end_call(now, call, EndCause::LocalBye);
                Ok(())
            }
            CallState::Answered => {
                c.bye_after_ack = true;
                self.end_call(now, call, EndCause::LocalBye);
                Ok(())
            }
            _ => Err(Error::InvalidState("call not answered")),
        }
    }

    /// Ends the call whatever its state: BYE when answered, CANCEL when ours is ringing,
    /// 480 when theirs is.
    pub fn hangup(&mut self, now: Instant, call: CallHandle) -> Result<(), Error> {
        let c = self.call_mut(call)?;
        match (c.role, c.state) {
            (Role::Uac, CallState::Calling) => self.cancel(now, call),
            (Role::Uas, CallState::Ringing) => self.reject(now, call, 480, None),
            _ => self.bye(now, call),
        }
    }

    /// Sends BYE in the call's dialog (§15.1.1), as a silent client request of the call.
    pub(super) fn send_bye(&mut self, now: Instant, h: CallHandle) {
        let Some(c) = self.calls.get(&h) else {
            return;
        };
        let Some(dialog) = c.dialog.clone() else {
            return;
        };
        let local = self.local_by_socket(c.local);
        let destination = self.dialog_destination(c, &dialog);
        let via = self.new_via(&local);
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        let Some(d) = c.dialog.as_mut() else {
            return;
        };
        let seq = d.next_seq();
        let mut bye = dialog.request(Method::Bye, via, seq);
        self.decorate_request(&mut bye);
        let tx = self.transactions.start_client(
            &mut io!(self, now),
            bye.clone(),
            local.socket,
            destination,
            TxOwner::Call(h),
        );
        let handle = self.new_request_handle();
        if let Some(c) = self.calls.get_mut(&h) {
            c.client_requests.insert(
                tx,
                ClientRequest {
                    handle,
                    request: bye,
                    auth: AuthState::default(),
                    destination,
                    silent: true,
                },
            );
        }
    }

    /// ACK for a 2xx (§13.2.2.4): built like an in-dialog request, CSeq number of the INVITE,
    /// the INVITE's credentials. Returns the bytes and destination, and sends them.
    fn send_ack_2xx(
        &mut self,
        now: Instant,
        local: SocketAddr,
        destination: SocketAddr,
        dialog: &Dialog,
        invite: &Request,
    ) -> Vec<u8> {
        let local = self.local_by_socket(local);
        let via = self.new_via(&local);
        let mut ack = dialog.request(Method::Ack, via, invite.cseq.seq);
        for name in [HeaderName::Authorization, HeaderName::ProxyAuthorization] {
            for v in invite.headers.get_all(&name) {
                ack.headers.push(name.clone(), v);
            }
        }
        self.decorate_request(&mut ack);
        let bytes = ack.to_bytes();
        let _ = now;
        self.transmits.push_back(crate::Transmit {
            source: local.socket,
            destination,
            payload: bytes.clone(),
        });
        bytes
    }

    /// ACK then BYE for a 2xx we do not want (a second fork, or one that crossed our CANCEL).
    fn ack_and_bye(&mut self, now: Instant, h: CallHandle, response: &Response) {
        let Some(c) = self.calls.get(&h) else {
            return;
        };
        let Some(mut dialog) = Dialog::uac(&c.invite, response) else {
            return;
        };
        let invite = c.invite.clone();
        let local = c.local;
        let destination = self.dialog_destination(c, &dialog);
        let bytes = self.send_ack_2xx(now, local, destination, &dialog, &invite);
        let remote_tag = dialog.remote_tag.clone();
        let la = self.local_by_socket(local);
        let via = self.new_via(&la);
        let seq = dialog.next_seq();
        let mut bye = dialog.request(Method::Bye, via, seq);
        self.decorate_request(&mut bye);
        self.transactions.start_client(
            &mut io!(self, now),
            bye,
            local,
            destination,
            TxOwner::Detached,
        );
        if let Some(c) = self.calls.get_mut(&h) {
            c.acks.push(SentAck {
                remote_tag,
                cseq: invite.cseq.seq,
                bytes,
                destination,
            });
        }
    }

    /// Routes a transaction event to the part of the call it concerns.
    pub(super) fn on_call_tx_event(&mut self, now: Instant, h: CallHandle, ev: TxEvent) {
        let Some(c) = self.calls.get(&h) else {
            return;
        };
        match ev {
            TxEvent::Response { tx, response, .. } => {
                if c.invite_tx == Some(tx) && c.role == Role::Uac {
                    self.on_invite_response(now, h, response);
                } else if c.client_requests.contains_key(&tx) {
                    self.on_in_dialog_response(now, h, tx, response);
                } else if response.cseq.method == Method::Invite && response.status.is_success() {
                    // A 2xx retransmission for a re-INVITE already completed: re-ACK.
                    self.reack(h, &response);
                }
            }
            TxEvent::Timeout { tx, .. } => {
                if c.invite_tx == Some(tx) && c.role == Role::Uac {
                    self.on_invite_timeout(now, h);
                } else if c.client_requests.contains_key(&tx) {
                    self.on_in_dialog_timeout(now, h, tx);
                }
            }
            TxEvent::AckForSuccess { ack, .. } => self.on_ack_for_call(now, h, ack),
            // Our error response was never acknowledged; the call has already ended.
            TxEvent::NoAck { .. } => {}
        }
    }

    fn reack(&mut self, h: CallHandle, response: &Response) -> bool {
        let Some(c) = self.calls.get(&h) else {
            return false;
        };
        let tag = response.to.tag().unwrap_or("");
        let Some(ack) = c
            .acks
            .iter()
            .find(|a| a.remote_tag == tag && a.cseq == response.cseq.seq)
        else {
            return false;
        };
        self.stats.retransmissions += 1;
        self.transmits.push_back(crate::Transmit {
            source: c.local,
            destination: ack.destination,
            payload: ack.bytes.clone(),
        });
        true
    }

    /// A response that matched no transaction: re-ACK a 2xx we have acknowledged before.
    pub(super) fn on_stray_response(&mut self, _now: Instant, resp: &Response) -> bool {
        if resp.cseq.method != Method::Invite || !resp.status.is_success() {
            return false;
        }
        let Some(tag) = resp.from.tag() else {
            return false;
        };
        match self
            .dialog_index
            .get(&(resp.call_id.clone(), tag.to_owned()))
            .copied()
        {
            Some(h) => self.reack(h, resp),
            None => false,
        }
    }

    fn on_invite_response(&mut self, now: Instant, h: CallHandle, resp: Response) {
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        let status = resp.status;
        if status.is_provisional() {
            if c.state != CallState::Calling {
                return;
            }
            c.provisional_seen = true;
            if c.cancel == Cancel::Pending {
                self.send_cancel(now, h);
                return;
            }
            if c.cancel != Cancel::NotRequested || status == StatusCode::TRYING {
                return;
            }
            let remote_tag = resp.to.tag().map(str::to_owned);
            if let Some(tag) = &remote_tag {
                match c.early.iter_mut().find(|d| d.remote_tag == *tag) {
                    Some(d) => d.refresh_target(resp.contacts()),
                    None => {
                        if let Some(d) = Dialog::uac(&c.invite, &resp) {
                            c.early.push(d);
                        }
                    }
                }
            }
            self.events.push_back(Event::CallProgress {
                call: h,
                status,
                reason: resp.reason.clone(),
                remote_tag,
                body: resp.body(),
                response: Box::new(resp.clone()),
            });
            return;
        }
        if status.is_success() {
            let tag = resp.to.tag().unwrap_or("").to_owned();
            if c.acks
                .iter()
                .any(|a| a.remote_tag == tag && a.cseq == resp.cseq.seq)
            {
                self.reack(h, &resp);
                return;
            }
            if c.state != CallState::Calling {
                // Another fork answered too (§13.2.2.4): ACK it and hang it up.
                self.ack_and_bye(now, h, &resp);
                return;
            }
            if c.cancel != Cancel::NotRequested {
                // The 2xx crossed our CANCEL: the callee answered; ACK, then BYE.
                self.ack_and_bye(now, h, &resp);
                self.end_cancelled(now, h);
                return;
            }
            let Some(dialog) = Dialog::uac(&c.invite, &resp) else {
                return;
            };
            c.timers.stop(CallTimer::CancelWait);
            let invite = c.invite.clone();
            let local = c.local;
            let destination =
                dialog_destination(self.config.symmetric_dialog_routing, c.peer, &dialog);
            let bytes = self.send_ack_2xx(now, local, destination, &dialog, &invite);
            let Some(c) = self.calls.get_mut(&h) else {
                return;
            };
            c.acks.push(SentAck {
                remote_tag: tag.clone(),
                cseq: invite.cseq.seq,
                bytes,
                destination,
            });
            c.dialog = Some(dialog);
            c.early.clear();
            c.state = CallState::Established;
            self.events.push_back(Event::CallAnswered {
                call: h,
                status,
                reason: resp.reason.clone(),
                remote_tag: tag,
                body: resp.body(),
                response: Box::new(resp.clone()),
            });
            return;
        }
        // 300-699. The transaction has sent the ACK.
        if c.state != CallState::Calling {
            return;
        }
        if matches!(status.code(), 401 | 407) && c.cancel == Cancel::NotRequested {
            let uri = c.invite.uri.to_string();
            let body = c.invite.body.clone();
            let answer = c.auth.answer(
                &resp,
                c.credentials.as_ref(),
                "INVITE",
                &uri,
                &body,
                &mut self.rng,
            );
            if let Some((name, value)) = answer {
                self.retry_invite(now, h, name, value);
                return;
            }
        }
        if c.cancel != Cancel::NotRequested {
            self.end_cancelled(now, h);
        } else {
            let reason = resp.reason.clone();
            self.fail_call(now, h, status, reason, Some(Box::new(resp)));
        }
    }

    /// Re-sends the INVITE with credentials: same Call-ID and From tag, CSeq + 1, new branch.
    fn retry_invite(&mut self, now: Instant, h: CallHandle, name: HeaderName, value: String) {
        let Some(c) = self.calls.get(&h) else {
            return;
        };
        let local = self.local_by_socket(c.local);
        let via = self.new_via(&local);
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        let mut req = c.invite.clone();
        req.headers.remove(&name);
        req.headers.push(name, value);
        req.cseq.seq += 1;
        req.via = vec![via];
        let peer = c.peer;
        let tx = self.transactions.start_client(
            &mut io!(self, now),
            req.clone(),
            local.socket,
            peer,
            TxOwner::Call(h),
        );
        if let Some(c) = self.calls.get_mut(&h) {
            c.invite = req;
            c.invite_tx = Some(tx);
            c.early.clear();
            c.provisional_seen = false;
        }
    }

    fn on_invite_timeout(&mut self, now: Instant, h: CallHandle) {
        let Some(c) = self.calls.get(&h) else {
            return;
        };
        if c.state != CallState::Calling {
            return;
        }
        if c.cancel != Cancel::NotRequested {
            self.end_cancelled(now, h);
        } else {
            self.fail_call(
                now,
                h,
                StatusCode::REQUEST_TIMEOUT,
                "Request Timeout".into(),
                None,
            );
        }
    }

    // ----- timers and endings ---------------------------------------------------------

    pub(super) fn on_call_timer(&mut self, now: Instant, h: CallHandle, timer: CallTimer) {
        match timer {
            CallTimer::Retransmit2xx => {
                let t2 = self.config.timers.t2;
                let Some(c) = self.calls.get_mut(&h) else {
                    return;
                };
                let Some(p) = c.pending_2xx.as_mut() else {
                    return;
                };
                self.transmits.push_back(crate::Transmit {
                    source: c.local,
                    destination: p.destination,
                    payload: p.bytes.clone(),
                });
                self.stats.retransmissions += 1;
                p.interval = (p.interval * 2).min(t2);
                let next = now + p.interval;
                c.arm(&mut self.schedule, CallTimer::Retransmit2xx, next);
            }
            CallTimer::AckWait => {
                let Some(c) = self.calls.get_mut(&h) else {
                    return;
                };
                c.pending_2xx = None;
                c.timers.stop(CallTimer::Retransmit2xx);
                c.invite_server_pending = false;
                let was_ended = c.state == CallState::Ended;
                if c.state == CallState::Answered {
                    c.state = CallState::Established;
                }
                // §13.3.1.4: the dialog is confirmed, but the session ends with a BYE.
                if !was_ended || c.bye_after_ack {
                    c.bye_after_ack = false;
                    self.send_bye(now, h);
                }
                if !was_ended {
                    self.end_call(now, h, EndCause::NoAck);
                }
            }
            CallTimer::CancelWait => {
                // §9.1: the INVITE is considered cancelled and its transaction destroyed.
                if let Some(c) = self.calls.get(&h)
                    && c.state == CallState::Calling
                {
                    if let Some(tx) = c.invite_tx {
                        self.transactions.destroy(tx);
                    }
                    self.end_cancelled(now, h);
                }
            }
            CallTimer::NoAnswer => {
                if let Some(c) = self.calls.get_mut(&h)
                    && c.state == CallState::Calling
                    && c.cancel == Cancel::NotRequested
                {
                    c.timed_out = true;
                    let _ = self.cancel(now, h);
                }
            }
            CallTimer::Linger => self.forget_call(h),
        }
    }

    /// The end of an outgoing call we cancelled: `CallEnded(LocalCancel)`, or `CallFailed`
    /// 408 when the cancel was ours for lack of an answer.
    fn end_cancelled(&mut self, now: Instant, h: CallHandle) {
        if self.calls.get(&h).is_some_and(|c| c.timed_out) {
            self.fail_call(
                now,
                h,
                StatusCode::REQUEST_TIMEOUT,
                "No Answer".into(),
                None,
            );
        } else {
            self.end_call(now, h, EndCause::LocalCancel);
        }
    }

    fn fail_call(
        &mut self,
        now: Instant,
        h: CallHandle,
        status: StatusCode,
        reason: String,
        response: Option<Box<Response>>,
    ) {
        self.events.push_back(Event::CallFailed {
            call: h,
            status,
            reason,
            response,
        });
        self.finish(now, h);
    }

    /// Reports the end and lets the call linger.
    pub(super) fn end_call(&mut self, now: Instant, h: CallHandle, cause: EndCause) {
        let Some(c) = self.calls.get(&h) else {
            return;
        };
        if c.state == CallState::Ended {
            return;
        }
        self.events.push_back(Event::CallEnded { call: h, cause });
        self.finish(now, h);
    }

    fn finish(&mut self, now: Instant, h: CallHandle) {
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        c.state = CallState::Ended;
        if !c.bye_after_ack {
            c.pending_2xx = None;
            c.timers.stop(CallTimer::Retransmit2xx);
            c.timers.stop(CallTimer::AckWait);
        }
        c.timers.stop(CallTimer::CancelWait);
        c.timers.stop(CallTimer::NoAnswer);
        // Requests the layer above will no longer answer get 487 (§15.1.2).
        let pending: Vec<ServerRequest> = c.server_requests.drain().map(|(_, r)| r).collect();
        let tag = c.local_tag.clone();
        for r in pending {
            let resp =
                self.response_for(&r.request, StatusCode::REQUEST_TERMINATED, None, Some(&tag));
            let _ = self.transactions.respond(&mut io!(self, now), r.tx, &resp);
        }
        let linger = now + self.config.timers.t1_x64();
        self.arm_call(h, CallTimer::Linger, linger);
    }

    fn forget_call(&mut self, h: CallHandle) {
        if let Some(c) = self.calls.remove(&h) {
            // An INVITE client transaction that got a provisional response has no timer left
            // (Timer C is for proxies): if its final response never came, nothing would end
            // it. The call is gone, so it goes too. Non-INVITE ones end by Timer F.
            let invites = c
                .client_requests
                .iter()
                .filter(|(_, r)| r.request.method == Method::Invite)
                .map(|(tx, _)| *tx)
                .chain(c.invite_tx);
            for tx in invites {
                self.transactions.destroy(tx);
            }
            self.dialog_index
                .remove(&(c.invite.call_id.clone(), c.local_tag.clone()));
            if let Some(o) = &c.origin {
                self.invite_index.remove(o);
            }
        }
    }
}

/// The next hop of an in-dialog request: the peer's address when routing symmetrically,
/// else the dialog's first route or remote target, falling back to the peer when that is a
/// host name (we do not resolve names).
fn dialog_destination(symmetric: bool, peer: SocketAddr, dialog: &Dialog) -> SocketAddr {
    if symmetric {
        return peer;
    }
    dialog.next_hop().unwrap_or(peer)
}
