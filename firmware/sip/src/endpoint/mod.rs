//! The [`Endpoint`]: one SIP user agent (UAC and UAS cores, RFC 3261 §8, §13-15) over any
//! number of local UDP sockets, sans-IO.
//!
//! - `mod.rs` (here): the driver-facing loop (`handle_*`, `poll_*`), timer and transaction
//!   event dispatch;
//! - `incoming.rs`: everything a received request goes through before it reaches a call:
//!   400 for malformed requests, Via stamping, 416/420/415/406 checks, 481/405/501,
//!   OPTIONS, CANCEL;
//! - `call.rs`: the INVITE dialog usage: incoming calls (100, 1xx, 2xx retransmitted until
//!   ACK, final errors) and outgoing ones (forked early dialogs, ACK, CANCEL and its race
//!   with 2xx, digest retries), BYE, the lingering of ended calls;
//! - `in_dialog.rs`: requests inside a dialog both ways (re-INVITE with glare rules, INFO
//!   with DTMF, OPTIONS, anything else the layer above sends);
//! - `account.rs`: the registration client;
//! - `build.rs`: the headers every message we send carries (Via, Contact, Allow, User-Agent);
//! - `config.rs`, `event.rs`: the public configuration, events and replies.

mod account;
mod build;
mod call;
mod config;
mod event;
mod in_dialog;
mod incoming;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

pub use config::{AccountConfig, Config, Dial, LocalAddr, RegistrationTiming};
pub use event::{EndCause, Event, InDialogRequest, RegistrationState, Reply};

use crate::msg::{self, Message};
use crate::rng::Rng;
use crate::timer::{Schedule, TimerIndex, TimerOwner};
use crate::transaction::{Io, ResponseMatch, TransactionLayer, TxEvent, TxOwner};
use crate::{AccountHandle, CallHandle, RequestHandle, Transmit};

use account::Account;
use call::Call;

/// UA-core timers of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum CallTimer {
    /// §13.3.1.4: retransmit our 2xx to an INVITE, T1 doubling up to T2, until the ACK.
    Retransmit2xx,
    /// §13.3.1.4: give up waiting for the ACK after 64*T1 (then BYE).
    AckWait,
    /// §9.1: an INVITE still unanswered 64*T1 after our CANCEL is considered cancelled.
    CancelWait,
    /// Our INVITE has had no final response for `Config::invite_timeout` (RFC 3261 Timer C
    /// plays this part for proxies): we CANCEL it and report 408.
    NoAnswer,
    /// An ended call stays 64*T1 to absorb late messages (2xx retransmissions to re-ACK,
    /// challenges to the BYE), then is forgotten.
    Linger,
}

impl TimerIndex for CallTimer {
    fn index(self) -> usize {
        self as usize
    }
}

/// Registration timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum AccountTimer {
    /// Re-REGISTER before the binding expires (§10.2.4).
    Refresh,
    /// Try again after a failure.
    Retry,
}

impl TimerIndex for AccountTimer {
    fn index(self) -> usize {
        self as usize
    }
}

/// Counters for what arrived and what was done about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Datagrams fed to `handle_datagram`.
    pub datagrams_received: u64,
    /// Datagrams that did not parse.
    pub malformed: u64,
    /// Of those, requests answered 400 (or 505).
    pub malformed_answered: u64,
    /// Of those, dropped: responses, ACKs, and requests too broken to answer.
    pub malformed_dropped: u64,
    /// Responses that matched no transaction and no dialog.
    pub stray_responses: u64,
    /// ACKs that matched no transaction and no dialog.
    pub stray_acks: u64,
    /// Requests and responses sent again (timers, or answering a retransmission).
    pub retransmissions: u64,
}

/// Builds the transaction I/O context from disjoint fields of the endpoint.
macro_rules! io {
    ($ep:expr, $now:expr) => {
        Io {
            now: $now,
            out: &mut $ep.transmits,
            schedule: &mut $ep.schedule,
            retransmissions: &mut $ep.stats.retransmissions,
        }
    };
}
pub(crate) use io;

/// A SIP user agent: feed it datagrams and time, drain datagrams, events and timeouts.
///
/// See the crate documentation for the driver loop. Commands from the layer above
/// (`dial`, `accept`, `bye`, `register`, …) take `now` too, because they arm timers.
#[derive(Debug)]
pub struct Endpoint {
    config: Config,
    rng: Rng,
    transactions: TransactionLayer,
    schedule: Schedule,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    stats: Stats,
    calls: HashMap<CallHandle, Call>,
    /// (Call-ID, our tag) → call: finds the call of an in-dialog request or an ACK.
    dialog_index: HashMap<(String, String), CallHandle>,
    /// (Call-ID, From tag, CSeq) of incoming INVITEs: detects merged requests (§8.2.2.2).
    invite_index: HashMap<(String, String, u32), CallHandle>,
    accounts: HashMap<AccountHandle, Account>,
    next_handle: u64,
}

impl Endpoint {
    /// An endpoint with this configuration; every tag, branch, Call-ID and cnonce it makes
    /// derives from `seed`.
    pub fn new(mut config: Config, seed: u64) -> Endpoint {
        // Zero timer values would make handle_timeout spin; clamp to 1 ms.
        let min = std::time::Duration::from_millis(1);
        config.timers.t1 = config.timers.t1.max(min);
        config.timers.t2 = config.timers.t2.max(config.timers.t1);
        config.timers.t4 = config.timers.t4.max(min);
        config.registration.retry_base = config.registration.retry_base.max(min);
        Endpoint {
            transactions: TransactionLayer::new(config.timers),
            config,
            rng: Rng::new(seed),
            schedule: Schedule::default(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: Stats::default(),
            calls: HashMap::new(),
            dialog_index: HashMap::new(),
            invite_index: HashMap::new(),
            accounts: HashMap::new(),
            next_handle: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// No calls, registrations or transactions left (after `shutdown`, the driver may exit
    /// once this is true).
    pub fn is_idle(&self) -> bool {
        self.calls.is_empty() && self.accounts.is_empty() && self.transactions.len() == 0
    }

    /// Number of calls still known, including ended ones that linger.
    pub fn call_count(&self) -> usize {
        self.calls.len()
    }

    fn next_handle(&mut self) -> u64 {
        self.next_handle += 1;
        self.next_handle
    }

    /// One received datagram. Never fails and never panics: what cannot be parsed is answered
    /// 400 when possible, else dropped and counted in [`Stats`].
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        data: &[u8],
    ) {
        self.stats.datagrams_received += 1;
        match msg::parse(data, &self.config.limits) {
            Err(e) => self.on_malformed(now, local, remote, e),
            Ok(Message::Request(req)) => self.on_request(now, local, remote, req),
            Ok(Message::Response(resp)) => self.on_response(now, resp),
        }
    }

    fn on_response(&mut self, now: Instant, resp: msg::Response) {
        let matched = self.transactions.on_response(&mut io!(self, now), resp);
        match matched {
            ResponseMatch::Event(ev) => self.on_tx_event(now, ev),
            ResponseMatch::Absorbed => {}
            ResponseMatch::Stray(resp) => {
                // A 2xx retransmission after Timer M: the call may still want to re-ACK it.
                if !self.on_stray_response(now, &resp) {
                    log::debug!(
                        "stray response {} to {} (Call-ID {})",
                        resp.status,
                        resp.cseq,
                        resp.call_id
                    );
                    self.stats.stray_responses += 1;
                }
            }
        }
    }

    /// Dispatches what a transaction reports to its owner.
    fn on_tx_event(&mut self, now: Instant, ev: TxEvent) {
        let owner = match &ev {
            TxEvent::Response { owner, .. }
            | TxEvent::Timeout { owner, .. }
            | TxEvent::NoAck { owner, .. }
            | TxEvent::AckForSuccess { owner, .. } => *owner,
        };
        match owner {
            TxOwner::Call(h) => self.on_call_tx_event(now, h, ev),
            TxOwner::Account(a) => self.on_account_tx_event(now, a, ev),
            TxOwner::Detached => {}
        }
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((at, owner)) = self.schedule.peek() {
            if at > now {
                break;
            }
            self.schedule.pop();
            match owner {
                TimerOwner::Transaction(id, timer) => {
                    if self.transactions.timer_is_live(id, timer, at)
                        && let Some(ev) = self.transactions.on_timer(&mut io!(self, now), id, timer)
                    {
                        self.on_tx_event(now, ev);
                    }
                }
                TimerOwner::Call(h, timer) => {
                    if let Some(call) = self.calls.get_mut(&h)
                        && call.timers.is(timer, at)
                    {
                        call.timers.stop(timer);
                        self.on_call_timer(now, h, timer);
                    }
                }
                TimerOwner::Account(a, timer) => {
                    if let Some(acc) = self.accounts.get_mut(&a)
                        && acc.timers.is(timer, at)
                    {
                        acc.timers.stop(timer);
                        self.on_account_timer(now, a, timer);
                    }
                }
            }
        }
    }

    fn timer_is_live(&self, at: Instant, owner: TimerOwner) -> bool {
        match owner {
            TimerOwner::Transaction(id, t) => self.transactions.timer_is_live(id, t, at),
            TimerOwner::Call(h, t) => self.calls.get(&h).is_some_and(|c| c.timers.is(t, at)),
            TimerOwner::Account(a, t) => self.accounts.get(&a).is_some_and(|c| c.timers.is(t, at)),
        }
    }

    /// When to call [`Endpoint::handle_timeout`] next; `None` when nothing is armed.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some((at, owner)) = self.schedule.peek() {
            if self.timer_is_live(at, owner) {
                return Some(at);
            }
            self.schedule.pop();
        }
        None
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event for the layer above.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Shuts down: de-registers every account (Expires: 0), ends every call (BYE, CANCEL or
    /// 480). Keep driving the endpoint until [`Endpoint::is_idle`] or a deadline.
    pub fn shutdown(&mut self, now: Instant) {
        let accounts: Vec<AccountHandle> = self.accounts.keys().copied().collect();
        for a in accounts {
            let _ = self.unregister(now, a);
        }
        let mut calls: Vec<CallHandle> = self.calls.keys().copied().collect();
        calls.sort();
        for c in calls {
            let _ = self.hangup(now, c);
        }
    }

    fn new_request_handle(&mut self) -> RequestHandle {
        RequestHandle(self.next_handle())
    }
}
