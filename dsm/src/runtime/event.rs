//! Events in: what happened to the call (or the system DSM), with SEMS's `#params`.

use std::collections::BTreeMap;

/// Event parameters (`#name`), ordered as SEMS's `map<string,string>`.
pub type Params = BTreeMap<String, String>;

/// Every event type a DSM session can see (spec §4.2). The condition names in the comments
/// are the ones that match the type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// `start`: once, after init. No params.
    Start,
    /// `invite`: the first incoming INVITE (UAS only). No params.
    Invite,
    /// `sessionStart`: offer/answer completed while connected. No params.
    SessionStart,
    /// `earlySession`, `early`: offer/answer completed in early state. No params.
    EarlySession,
    /// `ringing`: 180 received (UAC). `code reason has_body`.
    Ringing,
    /// `failed`: UAC final failure. `code reason`.
    Failed,
    /// `hangup`: BYE, CANCEL before connect, missing ACK. `headers` (+ `reason`).
    Hangup,
    /// `key`, `keyTest`, `keyPress(k)`: DTMF. `key duration`.
    Key,
    /// `timer`, `timerTest`: a `setTimer` expired. `id`.
    Timer,
    /// `noAudio`, `noAudioTest`: playlist empty or cleared. `type`.
    NoAudio,
    /// `separator`, `separatorTest`: an `addSeparator` item was reached. `id`.
    Separator,
    /// `event`, `eventTest`: `postEvent`, DI `postDSMEvent`, conference events.
    DsmEvent,
    /// `B2Bevent`: `B2B.relayEvent` from the other leg.
    B2BEvent,
    /// `B2B.otherReply`: a reply on the B leg. `code reason hdrs`.
    B2BOtherReply,
    /// `B2B.otherBye`: BYE on the B leg. `hdrs`.
    B2BOtherBye,
    /// `B2B.otherRequest` (SBC only; never raised by a plain call).
    B2BOtherRequest,
    /// `sipRequest` (needs `$enable_request_events == "true"`).
    SipRequest,
    /// `sipReply` (needs `$enable_reply_events == "true"`).
    SipReply,
    /// `remoteDisappeared`: 408/481 in an established call.
    RemoteDisappeared,
    /// `sessionTimeout`: session timer expiry.
    SessionTimeout,
    /// `rtpTimeout`: no RTP for `dead_rtp_time`. `type=rtp_timeout timeout_value`. In SEMS
    /// this never reaches the condition (spec §4.2); here it does.
    RtpTimeout,
    /// `system`: shutdown or a signal. `type`.
    System,
    /// `jsonRpcRequest`.
    JsonRpcRequest,
    /// `jsonRpcResponse`.
    JsonRpcResponse,
    /// `subscription`: SIP subscription client status.
    Subscription,
    /// `startup`: system DSM init.
    Startup,
    /// `reload`: system DSM init after a live reload.
    Reload,
    /// `beforeDestroy`: session teardown (runs even after `stop`).
    BeforeDestroy,
    /// Re-hold / unhold (mod_sbc only; no condition name).
    Hold,
    /// See [`EventKind::Hold`].
    UnHold,
    /// An exception being handled by exception transitions (`#type` etc. are its params).
    Exception,
}

/// One event for [`crate::Session::handle_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The type.
    pub kind: EventKind,
    /// The `#params`; `None` for the events SEMS raises without a parameter map (`start`,
    /// `invite`, `sessionStart`, `earlySession`, `startup`, `reload`): then `#x` resolves to
    /// the empty string and `set(#x=...)` does nothing.
    pub params: Option<Params>,
    /// The INVITE's headers (for `invite`; mod_uri copies them to `$hdrs`), or the request's
    /// or reply's headers for `sipRequest`/`sipReply`.
    pub headers: Option<String>,
    /// Message body parts, `(content type, payload)`, of the request (`invite`,
    /// `sipRequest`) or reply (`sipReply`) this event carries; read by `dlg.getRequestBody`,
    /// `dlg.getReplyBody` and the `dlg.*HasContentType` conditions.
    pub bodies: Vec<(String, String)>,
}

fn params<const N: usize>(kv: [(&str, &str); N]) -> Params {
    kv.into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Event {
    /// An event of `kind` with no parameter map.
    pub fn bare(kind: EventKind) -> Self {
        Self {
            kind,
            params: None,
            headers: None,
            bodies: Vec::new(),
        }
    }

    /// An event of `kind` with `params`.
    pub fn with_params(kind: EventKind, params: Params) -> Self {
        Self {
            kind,
            params: Some(params),
            headers: None,
            bodies: Vec::new(),
        }
    }

    /// The first INVITE, with its headers (for mod_uri's `$hdrs`) and body parts.
    pub fn invite(headers: &str) -> Self {
        Self {
            kind: EventKind::Invite,
            params: None,
            headers: Some(headers.to_string()),
            bodies: Vec::new(),
        }
    }

    /// Offer/answer completed while connected.
    pub fn session_start() -> Self {
        Self::bare(EventKind::SessionStart)
    }

    /// Offer/answer completed in early state.
    pub fn early_session() -> Self {
        Self::bare(EventKind::EarlySession)
    }

    /// 180 Ringing received.
    pub fn ringing(code: u16, reason: &str, has_body: bool) -> Self {
        Self::with_params(
            EventKind::Ringing,
            params([
                ("code", &code.to_string()),
                ("reason", reason),
                ("has_body", if has_body { "true" } else { "false" }),
            ]),
        )
    }

    /// UAC call failed with a final reply.
    pub fn failed(code: u16, reason: &str) -> Self {
        Self::with_params(
            EventKind::Failed,
            params([("code", &code.to_string()), ("reason", reason)]),
        )
    }

    /// BYE or CANCEL received (`headers` of the request).
    pub fn hangup(headers: &str) -> Self {
        Self::with_params(EventKind::Hangup, params([("headers", headers)]))
    }

    /// The ACK never came (SEMS adds `reason=onNoAck`).
    pub fn hangup_no_ack() -> Self {
        Self::with_params(
            EventKind::Hangup,
            params([("headers", ""), ("reason", "onNoAck")]),
        )
    }

    /// A DTMF key: 0-9, 10 for `*`, 11 for `#`, 12-15 for A-D.
    pub fn key(key: u8, duration_ms: u32) -> Self {
        Self::with_params(
            EventKind::Key,
            params([
                ("key", &key.to_string()),
                ("duration", &duration_ms.to_string()),
            ]),
        )
    }

    /// The playlist ran empty (`cleared = false`) or was cleared.
    pub fn no_audio(cleared: bool) -> Self {
        Self::with_params(
            EventKind::NoAudio,
            params([("type", if cleared { "cleared" } else { "noAudio" })]),
        )
    }

    /// A playlist separator was reached.
    pub fn separator(id: &str) -> Self {
        Self::with_params(EventKind::Separator, params([("id", id)]))
    }

    /// A DSM event (`postEvent`, DI `postDSMEvent`) with the sender's params.
    pub fn dsm_event(p: Params) -> Self {
        Self::with_params(EventKind::DsmEvent, p)
    }

    /// A conference event (`conference.postEvent`).
    pub fn conference_event(id: u32) -> Self {
        Self::with_params(
            EventKind::DsmEvent,
            params([("type", "conference_event"), ("id", &id.to_string())]),
        )
    }

    /// RTP timeout (`type=rtp_timeout`, `timeout_value`).
    pub fn rtp_timeout(timeout_value: u32) -> Self {
        Self::with_params(
            EventKind::RtpTimeout,
            params([
                ("type", "rtp_timeout"),
                ("timeout_value", &timeout_value.to_string()),
            ]),
        )
    }

    /// A system event: `ServerShutdown`, `User1`, `User2` or `Unknown`.
    pub fn system(kind: &str) -> Self {
        Self::with_params(EventKind::System, params([("type", kind)]))
    }

    /// A SIP request inside the dialog (`sipRequest`, when `$enable_request_events` is
    /// `true`): `#method #r_uri #from #to #hdrs #cseq`. Add the body with
    /// [`Event::with_body`] for `dlg.getRequestBody`.
    pub fn sip_request(
        method: &str,
        r_uri: &str,
        from: &str,
        to: &str,
        hdrs: &str,
        cseq: u32,
    ) -> Self {
        Self::with_params(
            EventKind::SipRequest,
            params([
                ("method", method),
                ("r_uri", r_uri),
                ("from", from),
                ("to", to),
                ("hdrs", hdrs),
                ("cseq", &cseq.to_string()),
            ]),
        )
    }

    /// A SIP reply (`sipReply`, when `$enable_reply_events` is `true`):
    /// `#code #reason #hdrs #cseq #dlg_status #old_dlg_status`.
    pub fn sip_reply(
        code: u16,
        reason: &str,
        hdrs: &str,
        cseq: u32,
        dlg_status: &str,
        old_dlg_status: &str,
    ) -> Self {
        Self::with_params(
            EventKind::SipReply,
            params([
                ("code", &code.to_string()),
                ("reason", reason),
                ("hdrs", hdrs),
                ("cseq", &cseq.to_string()),
                ("dlg_status", dlg_status),
                ("old_dlg_status", old_dlg_status),
            ]),
        )
    }

    /// 408/481 in an established call (`remoteDisappeared`).
    pub fn remote_disappeared(
        code: u16,
        reason: &str,
        hdrs: &str,
        cseq: u32,
        dlg_status: &str,
    ) -> Self {
        Self::with_params(
            EventKind::RemoteDisappeared,
            params([
                ("code", &code.to_string()),
                ("reason", reason),
                ("hdrs", hdrs),
                ("cseq", &cseq.to_string()),
                ("dlg_status", dlg_status),
            ]),
        )
    }

    /// Session timer expiry (`sessionTimeout`, empty params).
    pub fn session_timeout() -> Self {
        Self::with_params(EventKind::SessionTimeout, Params::new())
    }

    /// A `setTimer` timer (normally raised by [`crate::Session::handle_timeout`]).
    pub fn timer(id: u32) -> Self {
        Self::with_params(EventKind::Timer, params([("id", &id.to_string())]))
    }

    /// Session teardown.
    pub fn before_destroy() -> Self {
        Self::with_params(EventKind::BeforeDestroy, Params::new())
    }

    /// Adds a body part (content type, payload).
    pub fn with_body(mut self, content_type: &str, payload: &str) -> Self {
        self.bodies
            .push((content_type.to_string(), payload.to_string()));
        self
    }

    /// Sets the headers.
    pub fn with_headers(mut self, headers: &str) -> Self {
        self.headers = Some(headers.to_string());
        self
    }
}

/// The variables of a `P-App-Param` header value (`set_param_variables=yes`, spec §2.4):
/// split on `;`, then on `=`; items that do not split into exactly two parts are dropped;
/// values keep their quotes, as in SEMS.
pub fn p_app_param_vars(header_value: &str) -> Vec<(String, String)> {
    use crate::syntax::text::explode;
    explode(header_value, ";")
        .into_iter()
        .filter_map(|item| {
            let kv = explode(item, "=");
            (kv.len() == 2).then(|| (kv[0].to_string(), kv[1].to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::p_app_param_vars;

    #[test]
    fn p_app_param() {
        assert_eq!(
            p_app_param_vars("a=1;b=2;bad;c=x=y;fr_reason=\"Not found\""),
            vec![
                ("a".to_string(), "1".to_string()),
                ("b".to_string(), "2".to_string()),
                ("fr_reason".to_string(), "\"Not found\"".to_string()),
            ]
        );
    }
}
