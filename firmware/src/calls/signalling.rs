//! SIP to DSM: incoming calls routed to applications, provisional and final responses,
//! BYE and CANCEL, INFO digits, re-INVITEs; and the replies and dial-outs scripts ask for.

use std::net::SocketAddr;
use std::time::Instant;

use dsm::{Event, SessionKind};
use media::sdp::SessionDescription;
use sip::msg::{Body, HeaderName, Headers, Method, NameAddr, Request, Uri};
use sip::{CallHandle, EndCause, Reply};

use super::Switchboard;
use super::leg::{Direction, LegId, SipState};

/// Parses `Name: value\r\n` lines (DSM's `$dlg.reply.hdrs`, `$X_hdrs`) into headers.
pub(super) fn parse_headers(text: &str) -> Headers {
    let mut h = Headers::new();
    for line in text.split(['\r', '\n']) {
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            if !name.is_empty() {
                h.push(HeaderName::parse(name), value.trim());
            }
        }
    }
    h
}

/// All headers of a request as SEMS hands them to scripts (`#headers`, `$hdrs`).
fn header_text(req: &Request) -> String {
    let mut s = String::new();
    for h in req.headers.iter() {
        s.push_str(h.name.as_str());
        s.push_str(": ");
        s.push_str(&h.value);
        s.push_str("\r\n");
    }
    s
}

fn name_addr_text(n: &NameAddr) -> String {
    n.to_string()
}

fn uri_user(u: &Uri) -> String {
    u.user().unwrap_or_default()
}

fn uri_host(u: &Uri) -> String {
    u.as_sip()
        .map(|s| match s.port {
            Some(p) => format!("{}:{p}", s.host),
            None => s.host.to_string(),
        })
        .unwrap_or_default()
}

impl Switchboard {
    pub(super) fn on_sip_event(&mut self, now: Instant, ev: sip::Event) {
        match ev {
            sip::Event::IncomingCall {
                call,
                request,
                local,
                remote,
            } => self.incoming_call(now, call, *request, local, remote),
            sip::Event::CallConfirmed { call, body } => {
                // A delayed offer: the answer is in the ACK.
                if let (Some(id), Some(body)) = (self.by_call.get(&call).copied(), body) {
                    self.take_answer(now, id, &body);
                }
            }
            sip::Event::CallProgress {
                call,
                status,
                reason,
                body,
                ..
            } => {
                let Some(id) = self.by_call.get(&call).copied() else {
                    return;
                };
                if status.code() == 180 || status.code() == 181 || status.code() == 182 {
                    self.events
                        .push_back((id, Event::ringing(status.code(), &reason, body.is_some())));
                }
                if let Some(body) = body
                    && body.media_type() == "application/sdp"
                {
                    let accept = self
                        .legs
                        .get(&id)
                        .is_none_or(|l| l.var("accept_early_session") != "0");
                    if accept && self.take_answer(now, id, &body) {
                        self.early_media_started(id);
                    }
                }
            }
            sip::Event::CallAnswered { call, body, .. } => {
                let Some(id) = self.by_call.get(&call).copied() else {
                    return;
                };
                if let Some(body) = body {
                    self.take_answer(now, id, &body);
                }
                if let Some(leg) = self.legs.get_mut(&id) {
                    leg.sip = SipState::Connected;
                }
                self.session_started(id);
            }
            sip::Event::CallFailed {
                call,
                status,
                reason,
                ..
            } => {
                let Some(id) = self.by_call.remove(&call) else {
                    return;
                };
                if let Some(leg) = self.legs.get_mut(&id) {
                    leg.sip = SipState::Ended;
                    leg.call = None;
                    // SEMS stops a failed outgoing session after the `failed` event.
                    leg.stop.get_or_insert(false);
                }
                self.events
                    .push_back((id, Event::failed(status.code(), &reason)));
            }
            sip::Event::CallEnded { call, cause } => {
                let Some(id) = self.by_call.remove(&call) else {
                    return;
                };
                let Some(leg) = self.legs.get_mut(&id) else {
                    return;
                };
                leg.sip = SipState::Ended;
                leg.call = None;
                match cause {
                    EndCause::RemoteBye | EndCause::RemoteCancel | EndCause::DialogGone(_) => {
                        if let Some(m) = &mut leg.media {
                            m.running = false;
                        }
                        self.events.push_back((id, Event::hangup("")));
                    }
                    EndCause::NoAck => self.events.push_back((id, Event::hangup_no_ack())),
                    EndCause::LocalBye | EndCause::LocalCancel | EndCause::Rejected(_) => {}
                }
            }
            sip::Event::InDialogRequest {
                call,
                request,
                message,
            } => self.in_dialog_request(now, call, request, *message),
            sip::Event::InDialogResponse {
                call,
                method,
                status,
                ..
            } => {
                log::debug!(
                    "call {call:?}: {} answered {}",
                    method.as_str(),
                    status.code()
                );
            }
            sip::Event::Dtmf { call, dtmf } => {
                let Some(id) = self.by_call.get(&call).copied() else {
                    return;
                };
                if let Some(m) = self.legs.get_mut(&id).and_then(|l| l.media.as_mut()) {
                    m.out_of_band_seen = true;
                }
                self.events
                    .push_back((id, Event::key(dtmf.event, dtmf.duration_ms.unwrap_or(0))));
            }
            sip::Event::Registration { account, state } => {
                log::info!("registration {account:?}: {state:?}");
            }
        }
    }

    /// Which application answers an inbound call (`application=` of the main file, spec §7.3).
    fn route(&self, req: &Request) -> String {
        let app = self.main.application.as_str();
        match app {
            "$(ruri.user)" => uri_user(&req.uri),
            "$(ruri.param)" => req
                .uri
                .as_sip()
                .and_then(|s| s.params.get("app").flatten().map(str::to_string))
                .unwrap_or_default(),
            "$(apphdr)" => req
                .headers
                .get(&HeaderName::parse("P-App-Name"))
                .unwrap_or_default()
                .trim()
                .to_string(),
            literal => literal.to_string(),
        }
    }

    fn incoming_call(
        &mut self,
        now: Instant,
        call: CallHandle,
        req: Request,
        _local: SocketAddr,
        remote: SocketAddr,
    ) {
        if self.shutdown {
            let _ = self.sip.reject(now, call, 503, Some("Shutting Down"));
            return;
        }
        if self.cps_limit > 0 {
            let recent = self
                .counters
                .recent_starts
                .iter()
                .filter(|t| now.duration_since(**t).as_secs_f64() < 1.0)
                .count();
            if recent >= self.cps_limit as usize {
                let _ = self.sip.reject(now, call, 503, Some("Server Overload"));
                return;
            }
        }
        let app = self.route(&req);
        let Some(bundle) = self.services.apps.resolve(&app) else {
            log::warn!("no DSM application '{app}' for {}", req.uri);
            let _ = self.sip.reject(now, call, 404, Some("Not Found"));
            return;
        };
        // The offer, if any, and whether we can serve it: an offer we cannot serve gets 488
        // before any script runs (never dead air, SEMS #132).
        let offer = match req.body() {
            Some(b) if b.media_type() == "application/sdp" => {
                match SessionDescription::parse(&b.data) {
                    Ok(sd) => Some(sd),
                    Err(e) => {
                        log::info!("unparseable SDP offer from {remote}: {e}");
                        let _ = self.sip.reject(now, call, 400, Some("Bad Request (SDP)"));
                        return;
                    }
                }
            }
            _ => None,
        };
        let Some(mut media) = self.new_media(now, Some(remote.ip())) else {
            log::warn!(
                "no free RTP port in {}-{}",
                self.main.rtp_low_port,
                self.main.rtp_high_port
            );
            let _ = self.sip.reject(now, call, 503, Some("No Media Port"));
            return;
        };
        if let Some(offer) = &offer {
            match media.sdp.answer(offer, &media.local) {
                Ok((answer, negotiated)) => {
                    media.session.configure(now, &negotiated);
                    media.negotiated = Some(negotiated);
                    media.answer = Some(answer);
                }
                Err(e) => {
                    log::info!("cannot serve the offer from {remote}: {e}");
                    let _ = self.sip.reject(now, call, 488, Some("Not Acceptable Here"));
                    return;
                }
            }
        }
        let mut vars = Vec::new();
        if bundle.set_param_variables
            && let Some(p) = req.headers.get(&HeaderName::parse("P-App-Param"))
        {
            vars.extend(dsm::p_app_param_vars(p));
        }
        let dialog = dsm::DialogInfo {
            user: uri_user(&req.uri),
            domain: uri_host(&req.uri),
            remote_tag: req.from.tag().unwrap_or_default().to_string(),
            callid: req.call_id.clone(),
            local_uri: req.to.uri.to_string(),
            local_party: name_addr_text(&req.to),
            remote_uri: req.from.uri.to_string(),
            remote_party: name_addr_text(&req.from),
        };
        let tag = self.services.rng.tag();
        let Some(id) = self.create_leg(
            now,
            tag.clone(),
            bundle,
            &app,
            Direction::In,
            SessionKind::Call,
            vars,
            dialog,
        ) else {
            let _ = self
                .sip
                .reject(now, call, 500, Some("Server Internal Error"));
            return;
        };
        if let Some(leg) = self.legs.get_mut(&id) {
            leg.call = Some(call);
            leg.sip = SipState::Offered;
            leg.remote = Some(remote);
            leg.media = Some(media);
        }
        self.by_call.insert(call, id);
        let m = &self.monitor;
        m.set(&tag, "dir", "in");
        m.set(&tag, "from", name_addr_text(&req.from).as_str());
        m.set(&tag, "to", name_addr_text(&req.to).as_str());
        m.set(&tag, "ruri", req.uri.to_string().as_str());
        m.set(&tag, "app", app.as_str());
        log::info!("call {tag}: {} -> {} ({app})", req.from.uri, req.uri);
        self.start_session(now, id);
        self.events
            .push_back((id, Event::invite(&header_text(&req))));
    }

    /// Answers the initial INVITE of an inbound leg. `with_sdp` attaches our answer to a
    /// 183 or 2xx; a 2xx (or a 183 with SDP) completes offer/answer, which raises
    /// `sessionStart` or `earlySession` after the current event.
    pub(super) fn reply_invite(
        &mut self,
        now: Instant,
        id: LegId,
        code: u16,
        reason: &str,
        headers: &str,
        with_sdp: bool,
    ) -> bool {
        let Some(leg) = self.legs.get_mut(&id) else {
            return false;
        };
        let (Some(call), SipState::Offered) = (leg.call, leg.sip) else {
            // After a CANCEL the SIP layer has already answered 487 (RFC 3261 §9.2), so the
            // tutorial's dlg.reply(487) finds nothing left to answer: not worth a warning.
            if leg.sip == SipState::Ended {
                log::debug!(
                    "leg {}: reply {code} after the INVITE was answered",
                    leg.tag
                );
            } else {
                log::warn!(
                    "leg {}: reply {code} but there is no INVITE to answer",
                    leg.tag
                );
            }
            return false;
        };
        let Some(mut reply) = Reply::new(code) else {
            log::warn!("leg {}: reply code {code} is not a SIP status", leg.tag);
            return false;
        };
        if !reason.is_empty() {
            reply = reply.with_reason(reason);
        }
        reply.headers = parse_headers(headers);
        let sdp_reply = with_sdp && (code == 183 || (200..300).contains(&code));
        let mut media_done = false;
        if sdp_reply && let Some(m) = &mut leg.media {
            match (&m.answer, &m.negotiated) {
                (Some(answer), Some(_)) => {
                    reply = reply.with_body(Body::sdp(answer.to_string().into_bytes()));
                    media_done = true;
                }
                // A delayed offer: ours goes in the 2xx, the answer comes in the ACK.
                (None, None) if code >= 200 => {
                    let offer = m.sdp.create_offer(&m.local);
                    reply = reply.with_body(Body::sdp(offer.to_string().into_bytes()));
                }
                _ => {}
            }
        }
        if let Err(e) = self.sip.reply(now, call, reply) {
            log::warn!("leg {}: reply {code}: {e}", leg.tag);
            return false;
        }
        if code >= 300 {
            leg.sip = SipState::Ended;
            leg.call = None;
            self.by_call.remove(&call);
            return true;
        }
        if code >= 200 {
            leg.sip = SipState::Connected;
            if media_done || leg.media.as_ref().is_some_and(|m| m.negotiated.is_some()) {
                self.session_started(id);
            }
        } else if media_done && code == 183 {
            self.early_media_started(id);
        }
        true
    }

    /// Offer/answer completed in the early dialog: `earlySession`, media starts unless
    /// `$connect_early_session == "0"` (spec §2.5).
    fn early_media_started(&mut self, id: LegId) {
        let Some(leg) = self.legs.get_mut(&id) else {
            return;
        };
        if leg.early_done {
            return;
        }
        leg.early_done = true;
        if leg.var("connect_early_session") != "0"
            && let Some(m) = &mut leg.media
        {
            m.running = true;
        }
        self.events.push_back((id, Event::early_session()));
    }

    /// Offer/answer completed in the confirmed dialog: `sessionStart` (once; not after an
    /// early session already completed it — spec §3.1), media runs, and the playlist is
    /// attached unless `$connect_session == "0"`.
    fn session_started(&mut self, id: LegId) {
        let Some(leg) = self.legs.get_mut(&id) else {
            return;
        };
        if leg.session_started {
            return;
        }
        leg.session_started = true;
        if let Some(m) = &mut leg.media {
            m.running = true;
        }
        if leg.early_done {
            // Offer/answer already completed with the 183: SEMS raises no second
            // `sessionStart` and leaves the audio routing as the script set it.
            return;
        }
        if leg.var("connect_session") == "0" {
            leg.audio.detach_input();
            leg.audio.detach_output();
        } else {
            leg.audio.set_in_out_playlist();
        }
        self.events.push_back((id, Event::session_start()));
    }

    /// Applies an SDP answer from the peer (UAC: in a 183/2xx; UAS: in the ACK).
    fn take_answer(&mut self, now: Instant, id: LegId, body: &Body) -> bool {
        let Some(m) = self.legs.get_mut(&id).and_then(|l| l.media.as_mut()) else {
            return false;
        };
        let Ok(answer) = SessionDescription::parse(&body.data) else {
            log::info!("unparseable SDP answer");
            return false;
        };
        match m.sdp.accept_answer(&answer) {
            Ok(neg) => {
                m.session.configure(now, &neg);
                m.negotiated = Some(neg);
                true
            }
            Err(e) => {
                log::info!("SDP answer not usable: {e}");
                false
            }
        }
    }

    fn in_dialog_request(
        &mut self,
        now: Instant,
        call: CallHandle,
        request: sip::RequestHandle,
        msg: Request,
    ) {
        let id = self.by_call.get(&call).copied();
        let reply = match (msg.method.clone(), id) {
            (Method::Invite, Some(id)) => self.reinvite_answer(now, id, &msg),
            (Method::Info, _) => Reply::new(200),
            // The progress of a transfer we asked for with dlg.refer (RFC 3515 §2.4.4).
            (Method::Notify, Some(_)) => {
                if let Some(b) = msg.body() {
                    log::info!(
                        "call {call:?}: transfer progress: {}",
                        String::from_utf8_lossy(&b.data)
                            .lines()
                            .next()
                            .unwrap_or("")
                    );
                }
                Reply::new(200)
            }
            (Method::Update, _) => Reply::new(501),
            _ => Reply::new(501),
        };
        if let Some(reply) = reply
            && let Err(e) = self.sip.respond(now, call, request, reply)
        {
            log::debug!("in-dialog response: {e}");
        }
    }

    /// A re-INVITE: answer keeping media (a new address, hold or resume), or 488.
    fn reinvite_answer(&mut self, now: Instant, id: LegId, msg: &Request) -> Option<Reply> {
        let m = self.legs.get_mut(&id)?.media.as_mut()?;
        let Some(body) = msg.body() else {
            // No offer: ours goes in the 200, the answer in the ACK.
            let offer = m.sdp.create_offer(&m.local);
            return Reply::new(200).map(|r| r.with_body(Body::sdp(offer.to_string().into_bytes())));
        };
        let Ok(offer) = SessionDescription::parse(&body.data) else {
            return Reply::new(400);
        };
        match m.sdp.answer(&offer, &m.local) {
            Ok((answer, neg)) => {
                m.session.configure(now, &neg);
                m.negotiated = Some(neg);
                Reply::new(200).map(|r| r.with_body(Body::sdp(answer.to_string().into_bytes())))
            }
            Err(e) => {
                log::info!("re-INVITE offer refused: {e}");
                Reply::new(488)
            }
        }
    }

    /// `dlg.dialout`: a new outbound leg running `$X_app`, called with an SDP offer.
    pub(super) fn dialout(&mut self, now: Instant, d: dsm::Dialout) {
        self.services.reserved.remove(&d.ltag);
        let Some(bundle) = self.services.apps.resolve(&d.app) else {
            log::error!("dialout: no application '{}'", d.app);
            return;
        };
        let parse = |what: &str, s: &str| {
            NameAddr::parse(s)
                .map_err(|e| log::error!("dialout: {what} '{s}': {e}"))
                .ok()
        };
        let (Some(from), Some(to)) = (parse("from", &d.from), parse("to", &d.to)) else {
            return;
        };
        let ruri = match Uri::parse(&d.r_uri) {
            Ok(u) => u,
            Err(e) => {
                log::error!("dialout: r_uri '{}': {e}", d.r_uri);
                return;
            }
        };
        let destination = resolve_destination(&ruri);
        let Some(mut media) = self.new_media(now, destination.map(|d| d.ip())) else {
            log::warn!("dialout: no free RTP port");
            return;
        };
        let offer = media.sdp.create_offer(&media.local);
        let mut dial = sip::Dial::new(from.clone(), to.clone());
        dial.request_uri = ruri.clone();
        dial.body = Some(Body::sdp(offer.to_string().into_bytes()));
        dial.headers = parse_headers(&d.headers);
        dial.destination = destination;
        if let Some((user, pwd)) = &d.auth {
            dial.credentials = Some(sip::Credentials::new(user, pwd));
        }
        let call = match self.sip.dial(now, dial) {
            Ok(c) => c,
            Err(e) => {
                log::error!("dialout to {ruri}: {e}");
                return;
            }
        };
        let dialog = dsm::DialogInfo {
            user: uri_user(&from.uri),
            domain: uri_host(&to.uri),
            remote_tag: String::new(),
            callid: String::new(),
            local_uri: from.uri.to_string(),
            local_party: from.to_string(),
            remote_uri: to.uri.to_string(),
            remote_party: to.to_string(),
        };
        let vars: Vec<(String, String)> = d.vars.clone().into_iter().collect();
        let Some(id) = self.create_leg(
            now,
            d.ltag.clone(),
            bundle,
            &d.app,
            Direction::Out,
            SessionKind::Call,
            vars,
            dialog,
        ) else {
            let _ = self.sip.hangup(now, call);
            return;
        };
        if let Some(leg) = self.legs.get_mut(&id) {
            leg.call = Some(call);
            leg.sip = SipState::Calling;
            leg.remote = destination;
            leg.media = Some(media);
        }
        self.by_call.insert(call, id);
        let m = &self.monitor;
        m.set(&d.ltag, "dir", "out");
        m.set(&d.ltag, "from", from.to_string().as_str());
        m.set(&d.ltag, "to", to.to_string().as_str());
        m.set(&d.ltag, "ruri", ruri.to_string().as_str());
        m.set(&d.ltag, "app", d.app.as_str());
        log::info!("call {}: dialing {ruri} ({})", d.ltag, d.app);
        self.start_session(now, id);
    }
}

/// Where to send a request for `uri`: its IP address and port (5060 by default), or a DNS
/// lookup of its host (a blocking resolver call: host names are rare on an appliance whose
/// trunks and phones are configured by address).
pub(super) fn resolve_destination(uri: &Uri) -> Option<SocketAddr> {
    let s = uri.as_sip()?;
    let port = s.port.unwrap_or(5060);
    if let Some(ip) = s.host.ip() {
        return Some(SocketAddr::new(ip, port));
    }
    use std::net::ToSocketAddrs;
    (s.host.to_string(), port).to_socket_addrs().ok()?.next()
}
