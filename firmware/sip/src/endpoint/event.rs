//! What the endpoint reports to the layer above ([`Event`]) and the replies that layer gives
//! ([`Reply`], [`InDialogRequest`]).

use std::net::SocketAddr;
use std::time::Duration;

use crate::dtmf::Dtmf;
use crate::msg::{Body, HeaderName, Headers, Method, Request, Response, StatusCode};
use crate::{AccountHandle, CallHandle, RequestHandle};

/// Something the layer above must know or act on. Every call produces exactly one terminal
/// event: [`Event::CallFailed`] (an outgoing call that never got a 2xx) or
/// [`Event::CallEnded`]; after it the handle is dead.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A new INVITE. 100 Trying has been sent. Answer with `reply`, `accept` or `reject`.
    IncomingCall {
        /// The new call.
        call: CallHandle,
        /// The INVITE as received (From, To, Request-URI, every header, the offer if any).
        request: Box<Request>,
        /// The local socket it arrived on.
        local: SocketAddr,
        /// Where it came from.
        remote: SocketAddr,
    },
    /// The caller acknowledged our 2xx. With a delayed offer (INVITE without body, offer in
    /// our 2xx) the answer is in `body`.
    CallConfirmed {
        /// The call.
        call: CallHandle,
        /// The ACK's body, if any.
        body: Option<Body>,
    },
    /// A provisional response (101-199) to our INVITE. Forked calls give one series per
    /// `remote_tag`.
    CallProgress {
        /// The call.
        call: CallHandle,
        /// 180, 183, …
        status: StatusCode,
        /// Reason phrase as received.
        reason: String,
        /// The To tag (an early dialog), if the response had one.
        remote_tag: Option<String>,
        /// Early media (SDP) or other body.
        body: Option<Body>,
        /// The whole response, for any header the layer above wants.
        response: Box<Response>,
    },
    /// Our INVITE was answered; the ACK has been sent.
    CallAnswered {
        /// The call.
        call: CallHandle,
        /// The 2xx code.
        status: StatusCode,
        /// Reason phrase.
        reason: String,
        /// The To tag of the answering fork.
        remote_tag: String,
        /// The answer (or offer, for a delayed offer).
        body: Option<Body>,
        /// The whole response.
        response: Box<Response>,
    },
    /// Terminal: our INVITE got a final non-2xx response, or none at all (408 after
    /// Timer B). The ACK for a non-2xx has been sent.
    CallFailed {
        /// The call.
        call: CallHandle,
        /// The status (408 when the request timed out).
        status: StatusCode,
        /// Reason phrase.
        reason: String,
        /// The final response (Contact of a 3xx, Warning, Reason, …); `None` when there was
        /// none (timeout, no answer).
        response: Option<Box<Response>>,
    },
    /// Terminal: the call is over.
    CallEnded {
        /// The call.
        call: CallHandle,
        /// Why.
        cause: EndCause,
    },
    /// An in-dialog request the layer above answers with `respond` (a re-INVITE, an INFO that
    /// is not DTMF, …). BYE, CANCEL, OPTIONS and DTMF INFO are handled here.
    InDialogRequest {
        /// The call.
        call: CallHandle,
        /// Handle for `respond`.
        request: RequestHandle,
        /// The request as received.
        message: Box<Request>,
    },
    /// The final response to an in-dialog request we sent with `send_request`. For a
    /// re-INVITE answered 2xx the ACK has been sent.
    InDialogResponse {
        /// The call.
        call: CallHandle,
        /// The handle `send_request` returned.
        request: RequestHandle,
        /// The method of that request.
        method: Method,
        /// The status (408 when it timed out).
        status: StatusCode,
        /// Reason phrase.
        reason: String,
        /// The body.
        body: Option<Body>,
        /// The whole response; `None` on timeout.
        response: Option<Box<Response>>,
    },
    /// A key from an INFO request (`application/dtmf-relay` or `application/dtmf`), already
    /// answered 200.
    Dtmf {
        /// The call.
        call: CallHandle,
        /// The key.
        dtmf: Dtmf,
    },
    /// A registration changed state.
    Registration {
        /// The account.
        account: AccountHandle,
        /// Its new state.
        state: RegistrationState,
    },
}

/// Why a call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndCause {
    /// The peer sent BYE.
    RemoteBye,
    /// We sent BYE (`bye` or `hangup`).
    LocalBye,
    /// The caller cancelled our unanswered incoming call (we answered the CANCEL 200 and
    /// the INVITE 487).
    RemoteCancel,
    /// We cancelled our outgoing call. If the callee answered anyway, we sent ACK then BYE.
    LocalCancel,
    /// We rejected the incoming call (`reject`, or `reply` with a final non-2xx).
    Rejected(StatusCode),
    /// The caller never acknowledged our 2xx within 64*T1 (§13.3.1.4); we sent BYE.
    NoAck,
    /// An in-dialog request got 481 or 408 or timed out: the dialog is gone (§12.2.1.2).
    DialogGone(StatusCode),
}

/// State of a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationState {
    /// The registrar accepted the binding for this long (RFC 3261 §10.2.4: our Contact's
    /// `expires`, else the Expires header, else what we asked for). A refresh is scheduled.
    Registered {
        /// Lifetime granted.
        expires: Duration,
    },
    /// The REGISTER failed (408 when it timed out); another try is scheduled.
    Failed {
        /// Status received.
        status: StatusCode,
        /// Reason phrase.
        reason: String,
        /// When the next attempt goes out.
        retry_in: Duration,
    },
    /// De-registered (Expires: 0 accepted, or given up); the handle is dead.
    Unregistered,
}

/// A response the layer above asks us to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// Reason phrase; `None` for the RFC's.
    pub reason: Option<String>,
    /// Extra headers.
    pub headers: Headers,
    /// Body (an SDP answer, early media, …).
    pub body: Option<Body>,
}

impl Reply {
    /// A reply with this status (`None` if outside 100..=699).
    pub fn new(status: u16) -> Option<Reply> {
        Some(Reply {
            status: StatusCode::new(status)?,
            reason: None,
            headers: Headers::new(),
            body: None,
        })
    }

    /// From a status code.
    pub fn status(status: StatusCode) -> Reply {
        Reply {
            status,
            reason: None,
            headers: Headers::new(),
            body: None,
        }
    }

    /// With a body.
    pub fn with_body(mut self, body: Body) -> Reply {
        self.body = Some(body);
        self
    }

    /// With a reason phrase.
    pub fn with_reason(mut self, reason: impl Into<String>) -> Reply {
        self.reason = Some(reason.into());
        self
    }

    /// With an extra header.
    pub fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Reply {
        self.headers.push(name, value);
        self
    }
}

/// An in-dialog request for `send_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InDialogRequest {
    /// INVITE (re-INVITE), INFO, OPTIONS, … (BYE has its own command).
    pub method: Method,
    /// Extra headers.
    pub headers: Headers,
    /// Body.
    pub body: Option<Body>,
}

impl InDialogRequest {
    /// A request of this method with no headers or body.
    pub fn new(method: Method) -> InDialogRequest {
        InDialogRequest {
            method,
            headers: Headers::new(),
            body: None,
        }
    }

    /// With a body.
    pub fn with_body(mut self, body: Body) -> InDialogRequest {
        self.body = Some(body);
        self
    }
}
