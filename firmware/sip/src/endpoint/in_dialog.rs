//! Requests inside a call's dialog, both ways (RFC 3261 §12.2, §14, §15; RFC 6086).
//!
//! Received: BYE ends the call (an unanswered INVITE of the same call gets 487); a
//! re-INVITE goes to the layer above, unless it collides with one of ours (491) or an
//! earlier one is not done (500 with Retry-After, §14.2); INFO with a DTMF body becomes a
//! [`Event::Dtmf`] and is answered 200, other INFO goes up; OPTIONS is answered here; known
//! methods we do not support get 405, unknown ones 501. A CSeq lower than the last one is
//! out of order (500, §12.2.2).
//!
//! Sent: anything but ACK, CANCEL and BYE through `send_request`; a re-INVITE refreshes our
//! Contact and its 2xx is ACKed here; 401/407 are answered with the call's credentials;
//! 481 and 408 (or no answer) mean the dialog is gone (§12.2.1.2).

use std::net::SocketAddr;
use std::time::Instant;

use super::build::is_allowed;
use super::call::{CallState, ClientRequest, Role, ServerRequest};
use super::event::{EndCause, Event, InDialogRequest, Reply};
use super::{CallTimer, Endpoint, io};
use crate::auth::AuthState;
use crate::dtmf::{is_dtmf_content_type, parse_dtmf_body};
use crate::msg::{Body, HeaderName, Method, Request, Response, StatusCode};
use crate::transaction::{Io, TxId, TxOwner};
use crate::{CallHandle, Error, RequestHandle};

impl Endpoint {
    pub(super) fn on_in_dialog_request(
        &mut self,
        now: Instant,
        h: CallHandle,
        local: SocketAddr,
        response_to: SocketAddr,
        req: Request,
    ) {
        let Some(c) = self.calls.get_mut(&h) else {
            self.answer_status(
                now,
                local,
                response_to,
                &req,
                StatusCode::CALL_DOES_NOT_EXIST,
            );
            return;
        };
        let remote_tag = req.from.tag().unwrap_or("");
        // A BYE for our unanswered INVITE from a fork we never heard from: its 2xx (and the
        // dialog it made) were lost, and now it hangs up. Accept it rather than 481, so that
        // the INVITE is cancelled and the call ends.
        if c.role == Role::Uac
            && c.state == CallState::Calling
            && req.method == Method::Bye
            && !c.early.iter().any(|d| d.remote_tag == remote_tag)
        {
            let tag = c.local_tag.clone();
            let resp = self.response_for(&req, StatusCode::OK, None, Some(&tag));
            self.answer(now, local, response_to, &req, &resp);
            self.on_remote_bye(now, h);
            return;
        }
        let dialog = match c.dialog.as_mut() {
            Some(d) if d.remote_tag == remote_tag => Some(d),
            _ => c.early.iter_mut().find(|d| d.remote_tag == remote_tag),
        };
        // Our BYE is still waiting for the ACK of our 2xx and the peer hangs up first: the
        // dialog is theirs to end, and ours need not be sent.
        if c.state == CallState::Ended
            && c.bye_after_ack
            && dialog.is_some()
            && req.method == Method::Bye
        {
            c.bye_after_ack = false;
            c.pending_2xx = None;
            c.timers.stop(CallTimer::Retransmit2xx);
            c.timers.stop(CallTimer::AckWait);
            let tag = c.local_tag.clone();
            let resp = self.response_for(&req, StatusCode::OK, None, Some(&tag));
            self.answer(now, local, response_to, &req, &resp);
            return;
        }
        let Some(dialog) = dialog.filter(|_| c.state != CallState::Ended) else {
            self.answer_status(
                now,
                local,
                response_to,
                &req,
                StatusCode::CALL_DOES_NOT_EXIST,
            );
            return;
        };
        // §12.2.2: lower CSeq than the last one is out of order.
        if dialog.remote_seq.is_some_and(|s| req.cseq.seq < s) {
            let tag = c.local_tag.clone();
            let resp = self.response_for(&req, StatusCode::SERVER_INTERNAL_ERROR, None, Some(&tag));
            self.answer(now, local, response_to, &req, &resp);
            return;
        }
        dialog.remote_seq = Some(req.cseq.seq);
        let tag = c.local_tag.clone();
        match req.method.clone() {
            Method::Bye => {
                let resp = self.response_for(&req, StatusCode::OK, None, Some(&tag));
                self.answer(now, local, response_to, &req, &resp);
                self.on_remote_bye(now, h);
            }
            Method::Invite => self.on_reinvite(now, h, local, response_to, req),
            Method::Info if req.content_type().is_some_and(is_dtmf_content_type) => {
                let ct = req.content_type().unwrap_or("");
                match parse_dtmf_body(ct, &req.body) {
                    Ok(dtmf) => {
                        let resp = self.response_for(&req, StatusCode::OK, None, Some(&tag));
                        self.answer(now, local, response_to, &req, &resp);
                        self.events.push_back(Event::Dtmf { call: h, dtmf });
                    }
                    Err(e) => {
                        let resp = self.response_for(
                            &req,
                            StatusCode::BAD_REQUEST,
                            Some(&format!("Bad Request ({e})")),
                            Some(&tag),
                        );
                        self.answer(now, local, response_to, &req, &resp);
                    }
                }
            }
            Method::Info => self.surface_request(h, local, response_to, req),
            // The implicit subscription of a REFER we sent reports by NOTIFY in the dialog
            // (RFC 3515 §2.4.4); the application answers it.
            Method::Notify => self.surface_request(h, local, response_to, req),
            Method::Options => {
                let resp = self.response_for(&req, StatusCode::OK, None, Some(&tag));
                self.answer(now, local, response_to, &req, &resp);
            }
            m => {
                let status = if matches!(m, Method::Extension(_)) || is_allowed(&m) {
                    StatusCode::NOT_IMPLEMENTED
                } else {
                    StatusCode::METHOD_NOT_ALLOWED
                };
                let resp = self.response_for(&req, status, None, Some(&tag));
                self.answer(now, local, response_to, &req, &resp);
            }
        }
    }

    fn on_remote_bye(&mut self, now: Instant, h: CallHandle) {
        let Some(c) = self.calls.get(&h) else {
            return;
        };
        match (c.role, c.state) {
            // §15.1.2: BYE on an early dialog; the INVITE gets 487.
            (Role::Uas, CallState::Ringing) => {
                if let Some(tx) = c.invite_tx {
                    let req = c.invite.clone();
                    let tag = c.local_tag.clone();
                    let resp =
                        self.response_for(&req, StatusCode::REQUEST_TERMINATED, None, Some(&tag));
                    let _ = self.transactions.respond(&mut io!(self, now), tx, &resp);
                }
            }
            // The callee hung up an early dialog of ours: stop the INVITE too.
            (Role::Uac, CallState::Calling) => {
                let _ = self.cancel(now, h);
            }
            _ => {}
        }
        self.end_call(now, h, EndCause::RemoteBye);
    }

    fn on_reinvite(
        &mut self,
        now: Instant,
        h: CallHandle,
        local: SocketAddr,
        response_to: SocketAddr,
        req: Request,
    ) {
        let Some(c) = self.calls.get(&h) else {
            return;
        };
        let tag = c.local_tag.clone();
        let refusal = if c.invite_client_pending {
            // §14.2: glare with our own re-INVITE.
            Some(StatusCode::REQUEST_PENDING)
        } else if c.invite_server_pending || c.state != CallState::Established {
            // §14.2: an earlier INVITE is not finished.
            Some(StatusCode::SERVER_INTERNAL_ERROR)
        } else {
            None
        };
        if let Some(status) = refusal {
            let mut resp = self.response_for(&req, status, None, Some(&tag));
            if status == StatusCode::SERVER_INTERNAL_ERROR {
                let secs = self.rng.next_u64() % 10;
                resp.headers.push(HeaderName::RetryAfter, secs.to_string());
            }
            self.answer(now, local, response_to, &req, &resp);
            return;
        }
        let Some(tx) = self
            .transactions
            .start_server(&req, local, response_to, TxOwner::Call(h))
        else {
            return;
        };
        let trying = self.response_for(&req, StatusCode::TRYING, None, None);
        let _ = self.transactions.respond(&mut io!(self, now), tx, &trying);
        let handle = self.new_request_handle();
        if let Some(c) = self.calls.get_mut(&h) {
            // §12.2.2: a target refresh replaces the remote target.
            if let Some(d) = c.dialog.as_mut() {
                d.refresh_target(req.contacts());
            }
            c.invite_server_pending = true;
            c.server_requests.insert(
                handle,
                ServerRequest {
                    tx,
                    request: req.clone(),
                    response_to,
                },
            );
        }
        self.events.push_back(Event::InDialogRequest {
            call: h,
            request: handle,
            message: Box::new(req),
        });
    }

    fn surface_request(
        &mut self,
        h: CallHandle,
        local: SocketAddr,
        response_to: SocketAddr,
        req: Request,
    ) {
        let Some(tx) = self
            .transactions
            .start_server(&req, local, response_to, TxOwner::Call(h))
        else {
            return;
        };
        let handle = self.new_request_handle();
        if let Some(c) = self.calls.get_mut(&h) {
            c.server_requests.insert(
                handle,
                ServerRequest {
                    tx,
                    request: req.clone(),
                    response_to,
                },
            );
        }
        self.events.push_back(Event::InDialogRequest {
            call: h,
            request: handle,
            message: Box::new(req),
        });
    }

    /// Answers an [`Event::InDialogRequest`]. For a re-INVITE, a 2xx carries our Contact and
    /// is retransmitted until the ACK; keeping or holding media is the body's business (the
    /// layer above writes `a=sendonly`/`inactive` into the SDP).
    pub fn respond(
        &mut self,
        now: Instant,
        call: CallHandle,
        request: RequestHandle,
        reply: Reply,
    ) -> Result<(), Error> {
        let c = self.call_mut_any(call)?;
        let r = c
            .server_requests
            .remove(&request)
            .ok_or(Error::NoSuchRequest)?;
        if reply.status == StatusCode::TRYING && r.request.method == Method::Invite {
            c.server_requests.insert(request, r);
            return Err(Error::InvalidStatus(100));
        }
        let tag = c.local_tag.clone();
        let is_invite = r.request.method == Method::Invite;
        let mut resp = self.response_for(
            &r.request,
            reply.status,
            reply.reason.as_deref(),
            Some(&tag),
        );
        if is_invite
            && reply.status.is_success()
            && let Some(c) = self.calls.get(&call)
        {
            resp.headers
                .push(HeaderName::Contact, c.contact.to_string());
        }
        for hd in reply.headers.iter() {
            resp.headers.push(hd.name.clone(), hd.value.clone());
        }
        resp.set_body(reply.body);
        self.transactions
            .respond(&mut io!(self, now), r.tx, &resp)?;
        let t1 = self.config.timers.t1;
        let ack_wait = self.config.timers.t1_x64();
        let Some(c) = self.calls.get_mut(&call) else {
            return Ok(());
        };
        if reply.status.is_provisional() {
            c.server_requests.insert(request, r);
            return Ok(());
        }
        if is_invite {
            if reply.status.is_success() {
                c.pending_2xx = Some(super::call::Pending2xx {
                    bytes: resp.to_bytes(),
                    interval: t1,
                    cseq: r.request.cseq.seq,
                    destination: r.response_to,
                });
                c.arm(&mut self.schedule, CallTimer::Retransmit2xx, now + t1);
                c.arm(&mut self.schedule, CallTimer::AckWait, now + ack_wait);
            } else {
                c.invite_server_pending = false;
            }
        }
        Ok(())
    }

    fn call_mut_any(&mut self, h: CallHandle) -> Result<&mut super::call::Call, Error> {
        match self.calls.get_mut(&h) {
            Some(c) if c.state != CallState::Ended => Ok(c),
            _ => Err(Error::NoSuchCall(h)),
        }
    }

    /// Sends a request inside an established call: a re-INVITE (hold/resume: the body is
    /// yours), INFO, OPTIONS, … Its final response comes as [`Event::InDialogResponse`].
    pub fn send_request(
        &mut self,
        now: Instant,
        call: CallHandle,
        request: InDialogRequest,
    ) -> Result<RequestHandle, Error> {
        let c = self.call_mut_any(call)?;
        if matches!(request.method, Method::Ack | Method::Cancel | Method::Bye) {
            return Err(Error::InvalidState("use bye() or cancel()"));
        }
        if c.state != CallState::Established {
            return Err(Error::InvalidState("call not established"));
        }
        if request.method == Method::Invite && (c.invite_client_pending || c.invite_server_pending)
        {
            return Err(Error::InvalidState(
                "an INVITE is in progress on this dialog",
            ));
        }
        let handle = self.new_request_handle();
        self.send_in_dialog(now, call, handle, request, AuthState::default(), false)?;
        Ok(handle)
    }

    /// Sends one DTMF key as INFO `application/dtmf-relay` (`Signal=5`, `Duration=160`).
    pub fn send_dtmf_info(
        &mut self,
        now: Instant,
        call: CallHandle,
        key: char,
        duration_ms: u32,
    ) -> Result<RequestHandle, Error> {
        let body = format!("Signal={key}\r\nDuration={duration_ms}\r\n");
        self.send_request(
            now,
            call,
            InDialogRequest::new(Method::Info).with_body(Body::new("application/dtmf-relay", body)),
        )
    }

    fn send_in_dialog(
        &mut self,
        now: Instant,
        call: CallHandle,
        handle: RequestHandle,
        request: InDialogRequest,
        auth: AuthState,
        silent: bool,
    ) -> Result<(), Error> {
        let c = self.calls.get(&call).ok_or(Error::NoSuchCall(call))?;
        let dialog = c.dialog.clone().ok_or(Error::InvalidState("no dialog"))?;
        let local = self.local_by_socket(c.local);
        let destination = self.dialog_destination(c, &dialog);
        let contact = c.contact.clone();
        let via = self.new_via(&local);
        let c = self.calls.get_mut(&call).ok_or(Error::NoSuchCall(call))?;
        let seq = c.dialog.as_mut().map(|d| d.next_seq()).unwrap_or(1);
        let is_invite = request.method == Method::Invite;
        let mut req = dialog.request(request.method, via, seq);
        if is_invite {
            req.headers.push(HeaderName::Contact, contact.to_string());
            c.invite_client_pending = true;
        }
        self.decorate_request(&mut req);
        for hd in request.headers.iter() {
            req.headers.push(hd.name.clone(), hd.value.clone());
        }
        req.set_body(request.body);
        self.launch_in_dialog(
            now,
            call,
            handle,
            req,
            local.socket,
            destination,
            auth,
            silent,
        );
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn launch_in_dialog(
        &mut self,
        now: Instant,
        call: CallHandle,
        handle: RequestHandle,
        req: Request,
        local: SocketAddr,
        destination: SocketAddr,
        auth: AuthState,
        silent: bool,
    ) {
        let tx = self.transactions.start_client(
            &mut io!(self, now),
            req.clone(),
            local,
            destination,
            TxOwner::Call(call),
        );
        if let Some(c) = self.calls.get_mut(&call) {
            c.client_requests.insert(
                tx,
                ClientRequest {
                    handle,
                    request: req,
                    auth,
                    destination,
                    silent,
                },
            );
        }
    }

    pub(super) fn on_in_dialog_response(
        &mut self,
        now: Instant,
        h: CallHandle,
        tx: TxId,
        resp: Response,
    ) {
        if resp.status.is_provisional() {
            return;
        }
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        let Some(mut cr) = c.client_requests.remove(&tx) else {
            return;
        };
        let method = cr.request.method.clone();
        // 401/407: answer the challenge with the call's credentials and send again with a
        // new CSeq (§22.2) and branch.
        if matches!(resp.status.code(), 401 | 407) {
            let local_socket = c.local;
            let uri = cr.request.uri.to_string();
            let answer = cr.auth.answer(
                &resp,
                c.credentials.as_ref(),
                method.as_str(),
                &uri,
                &cr.request.body,
                &mut self.rng,
            );
            if let Some((name, value)) = answer {
                let local = self.local_by_socket(local_socket);
                let via = self.new_via(&local);
                let Some(c) = self.calls.get_mut(&h) else {
                    return;
                };
                let seq = c
                    .dialog
                    .as_mut()
                    .map(|d| d.next_seq())
                    .unwrap_or(cr.request.cseq.seq + 1);
                let mut req = cr.request.clone();
                req.headers.remove(&name);
                req.headers.push(name, value);
                req.cseq.seq = seq;
                req.via = vec![via];
                self.launch_in_dialog(
                    now,
                    h,
                    cr.handle,
                    req,
                    local.socket,
                    cr.destination,
                    cr.auth,
                    cr.silent,
                );
                return;
            }
        }
        if method == Method::Invite {
            c.invite_client_pending = false;
            if resp.status.is_success() {
                if let Some(d) = c.dialog.as_mut() {
                    d.refresh_target(resp.contacts());
                }
                let (local, dialog, request) = (c.local, c.dialog.clone(), cr.request.clone());
                if let Some(dialog) = dialog {
                    let destination = cr.destination;
                    let la = self.local_by_socket(local);
                    let via = self.new_via(&la);
                    let mut ack = dialog.request(Method::Ack, via, request.cseq.seq);
                    for name in [HeaderName::Authorization, HeaderName::ProxyAuthorization] {
                        for v in request.headers.get_all(&name) {
                            ack.headers.push(name.clone(), v);
                        }
                    }
                    self.decorate_request(&mut ack);
                    let bytes = ack.to_bytes();
                    self.transmits.push_back(crate::Transmit {
                        source: local,
                        destination,
                        payload: bytes.clone(),
                    });
                    if let Some(c) = self.calls.get_mut(&h) {
                        c.acks.push(super::call::SentAck {
                            remote_tag: resp.to.tag().unwrap_or("").to_owned(),
                            cseq: request.cseq.seq,
                            bytes,
                            destination,
                        });
                    }
                }
            }
        }
        let (status, reason, body) = (resp.status, resp.reason.clone(), resp.body());
        self.finish_in_dialog(
            now,
            h,
            cr,
            method,
            status,
            reason,
            body,
            Some(Box::new(resp)),
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn finish_in_dialog(
        &mut self,
        now: Instant,
        h: CallHandle,
        cr: ClientRequest,
        method: Method,
        status: StatusCode,
        reason: String,
        body: Option<Body>,
        response: Option<Box<Response>>,
    ) {
        if cr.silent {
            return;
        }
        self.events.push_back(Event::InDialogResponse {
            call: h,
            request: cr.handle,
            method,
            status,
            reason,
            body,
            response,
        });
        // §12.2.1.2: 481 or 408 means the dialog is gone.
        if matches!(status.code(), 481 | 408)
            && self
                .calls
                .get(&h)
                .is_some_and(|c| c.state != CallState::Ended)
        {
            if status.code() == 408 {
                self.send_bye(now, h);
            }
            self.end_call(now, h, EndCause::DialogGone(status));
        }
    }

    pub(super) fn on_in_dialog_timeout(&mut self, now: Instant, h: CallHandle, tx: TxId) {
        let Some(c) = self.calls.get_mut(&h) else {
            return;
        };
        let Some(cr) = c.client_requests.remove(&tx) else {
            return;
        };
        let method = cr.request.method.clone();
        if method == Method::Invite {
            c.invite_client_pending = false;
        }
        self.finish_in_dialog(
            now,
            h,
            cr,
            method,
            StatusCode::REQUEST_TIMEOUT,
            "Request Timeout".into(),
            None,
            None,
        );
    }
}
