//! RFC 3261 §17 transactions over UDP, as sans-IO state machines on a virtual clock.
//!
//! - `client_invite.rs`: INVITE client (§17.1.1, Figure 5), with the Accepted state of
//!   RFC 6026 so that 2xx retransmissions reach the UA core, which re-ACKs them.
//! - `client_non_invite.rs`: non-INVITE client (§17.1.2, Figure 6).
//! - `server_invite.rs`: INVITE server (§17.2.1, Figure 7), with RFC 6026's Accepted state
//!   absorbing INVITE retransmissions after a 2xx. The 2xx itself is retransmitted by the UAS
//!   core until the ACK arrives (§13.3.1.4), not here.
//! - `server_non_invite.rs`: non-INVITE server (§17.2.2, Figure 8).
//!
//! Matching: client transactions by top-Via branch and CSeq method (§17.1.3); server
//! transactions by branch, sent-by and method when the branch carries the magic cookie,
//! otherwise by the RFC 2543 rule of §17.2.3 (Request-URI, From tag, Call-ID, CSeq number,
//! top Via). ACK matches the INVITE it acknowledges; CANCEL has its own transaction and
//! finds its INVITE with [`TransactionLayer::find_invite_for_cancel`] (§9.2).
//!
//! Timers are named as the RFC names them ([`TxTimer`]); L and M come from RFC 6026.

mod client_invite;
mod client_non_invite;
mod server_invite;
mod server_non_invite;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::msg::{HeaderName, Method, Request, Response};
use crate::timer::{Schedule, TimerConfig, TimerIndex, TimerOwner, TimerTable};
use crate::{AccountHandle, CallHandle, Transmit};

use client_invite::ClientInvite;
use client_non_invite::ClientNonInvite;
use server_invite::ServerInvite;
use server_non_invite::ServerNonInvite;

/// Identifies one transaction inside an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct TxId(pub(crate) u64);

/// The RFC 3261 transaction timers (Table 4) plus L and M from RFC 6026.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum TxTimer {
    /// INVITE request retransmit interval (UDP): T1, doubling.
    A,
    /// INVITE transaction timeout: 64*T1.
    B,
    /// Wait time for response retransmits in INVITE client Completed: 32 s for UDP.
    D,
    /// Non-INVITE request retransmit interval: T1, doubling up to T2.
    E,
    /// Non-INVITE transaction timeout: 64*T1.
    F,
    /// INVITE final-response retransmit interval: T1, doubling up to T2.
    G,
    /// Wait time for ACK receipt: 64*T1.
    H,
    /// Wait time for ACK retransmits: T4.
    I,
    /// Wait time for non-INVITE request retransmits: 64*T1.
    J,
    /// Wait time for non-INVITE response retransmits: T4.
    K,
    /// RFC 6026: INVITE server Accepted, absorbing INVITE retransmissions: 64*T1.
    L,
    /// RFC 6026: INVITE client Accepted, passing 2xx retransmissions up: 64*T1.
    M,
}

impl TimerIndex for TxTimer {
    fn index(self) -> usize {
        self as usize
    }
}

/// Who the transaction layer reports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxOwner {
    /// A call (initial INVITE, CANCEL, in-dialog requests).
    Call(CallHandle),
    /// A registration.
    Account(AccountHandle),
    /// Nobody: stateless answers, and requests that outlive their call (a BYE after the
    /// call was reported ended).
    Detached,
}

/// What a transaction reports to its owner.
#[derive(Debug, Clone)]
pub(crate) enum TxEvent {
    /// A response the transaction user must see (client transactions).
    Response {
        tx: TxId,
        owner: TxOwner,
        response: Response,
    },
    /// Timer B or F fired: the request got no final response (treat as 408, §8.1.3.1).
    Timeout { tx: TxId, owner: TxOwner },
    /// Timer H fired: our non-2xx final response to an INVITE was never acknowledged.
    NoAck { owner: TxOwner },
    /// An ACK matched an INVITE server transaction in Accepted state: with RFC 2543 peers
    /// the ACK for a 2xx can match the INVITE's transaction, and belongs to the UA core.
    AckForSuccess { owner: TxOwner, ack: Request },
}

/// What happened to a response offered to the layer.
#[derive(Debug)]
pub(crate) enum ResponseMatch {
    /// Pass this to the transaction user.
    Event(TxEvent),
    /// Matched a transaction and was absorbed (retransmission).
    Absorbed,
    /// No transaction matches (§17.1.3): the UA core may still want a 2xx.
    Stray(Response),
}

/// What happened to a request offered to the layer.
#[derive(Debug)]
pub(crate) enum RequestMatch {
    /// No transaction: the TU must create a server transaction (or handle an ACK for 2xx).
    New(Request),
    /// A retransmission, answered from the transaction (or absorbed).
    Absorbed,
    /// An event for the TU (an ACK for a 2xx that matched the INVITE's transaction).
    Event(TxEvent),
}

/// The I/O a transaction may perform while handling an input.
pub(crate) struct Io<'a> {
    pub(crate) now: Instant,
    pub(crate) out: &'a mut VecDeque<Transmit>,
    pub(crate) schedule: &'a mut Schedule,
    pub(crate) retransmissions: &'a mut u64,
}

/// State shared by the four machines: addresses, timers, owner.
#[derive(Debug)]
pub(crate) struct TxCore {
    pub(crate) id: TxId,
    pub(crate) owner: TxOwner,
    /// Our socket.
    pub(crate) local: SocketAddr,
    /// Where requests (client) or responses (server) go.
    pub(crate) remote: SocketAddr,
    pub(crate) timers: TimerTable<12>,
    pub(crate) config: TimerConfig,
}

impl TxCore {
    fn arm(&mut self, io: &mut Io<'_>, timer: TxTimer, after: Duration) {
        let at = io.now + after;
        self.timers.set(timer, at);
        io.schedule
            .push(at, TimerOwner::Transaction(self.id, timer));
    }

    fn stop(&mut self, timer: TxTimer) {
        self.timers.stop(timer);
    }

    fn send(&self, io: &mut Io<'_>, bytes: &[u8]) {
        io.out.push_back(Transmit {
            source: self.local,
            destination: self.remote,
            payload: bytes.to_vec(),
        });
    }

    fn resend(&self, io: &mut Io<'_>, bytes: &[u8]) {
        *io.retransmissions += 1;
        self.send(io, bytes);
    }
}

/// The four machines, by their RFC 3261 §17 names: INVITE client (ICT), non-INVITE client
/// (NICT), INVITE server (IST), non-INVITE server (NIST).
#[derive(Debug)]
enum Machine {
    Ict(Box<ClientInvite>),
    Nict(ClientNonInvite),
    Ist(ServerInvite),
    Nist(ServerNonInvite),
}

#[derive(Debug)]
struct Transaction {
    core: TxCore,
    machine: Machine,
    key: Key,
}

impl Transaction {
    fn terminated(&self) -> bool {
        match &self.machine {
            Machine::Ict(m) => m.terminated(),
            Machine::Nict(m) => m.terminated(),
            Machine::Ist(m) => m.terminated(),
            Machine::Nist(m) => m.terminated(),
        }
    }
}

/// Method as used in keys: ACK is keyed as the INVITE it acknowledges (§17.2.3).
fn key_method(m: &Method) -> Method {
    match m {
        Method::Ack => Method::Invite,
        other => other.clone(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Client {
        branch: String,
        method: Method,
    },
    /// §17.2.3 with a magic-cookie branch.
    Server {
        branch: String,
        sent_by: String,
        method: Method,
    },
    /// §17.2.3 for RFC 2543 requests.
    Server2543 {
        request_uri: String,
        from_tag: String,
        call_id: String,
        cseq: u32,
        via: String,
        method: Method,
    },
}

fn server_key(req: &Request, method: Method) -> Option<Key> {
    let via = req.via.first()?;
    if via.has_rfc3261_branch() {
        Some(Key::Server {
            branch: via.branch()?.to_owned(),
            sent_by: via.sent_by_key(),
            method,
        })
    } else {
        let mut via = via.clone();
        via.params.remove("received");
        via.params.remove("rport");
        Some(Key::Server2543 {
            request_uri: req.uri.to_string(),
            from_tag: req.from.tag().unwrap_or("").to_owned(),
            call_id: req.call_id.clone(),
            cseq: req.cseq.seq,
            via: via.to_string(),
            method,
        })
    }
}

/// Builds the ACK for a non-2xx final response (§17.1.1.3): same Request-URI, Call-ID, From,
/// CSeq number and top Via as the INVITE, To from the response, the INVITE's Route rows.
pub(crate) fn ack_for_non_2xx(invite: &Request, response: &Response) -> Request {
    let mut ack = Request::new(
        Method::Ack,
        invite.uri.clone(),
        invite.via[0].clone(),
        invite.from.clone(),
        response.to.clone(),
        invite.call_id.clone(),
        invite.cseq.seq,
    );
    ack.max_forwards = invite.max_forwards.or(Some(70));
    for route in invite.headers.get_all(&HeaderName::Route) {
        ack.headers.push(HeaderName::Route, route);
    }
    ack
}

/// All transactions of one endpoint.
#[derive(Debug, Default)]
pub(crate) struct TransactionLayer {
    txs: HashMap<TxId, Transaction>,
    index: HashMap<Key, TxId>,
    next_id: u64,
    config: TimerConfig,
}

impl TransactionLayer {
    pub(crate) fn new(config: TimerConfig) -> Self {
        TransactionLayer {
            config,
            ..Default::default()
        }
    }

    /// Number of live transactions.
    pub(crate) fn len(&self) -> usize {
        self.txs.len()
    }

    fn next_core(&mut self, owner: TxOwner, local: SocketAddr, remote: SocketAddr) -> TxCore {
        self.next_id += 1;
        TxCore {
            id: TxId(self.next_id),
            owner,
            local,
            remote,
            timers: TimerTable::default(),
            config: self.config,
        }
    }

    fn insert(&mut self, tx: Transaction) -> TxId {
        let id = tx.core.id;
        self.index.insert(tx.key.clone(), id);
        self.txs.insert(id, tx);
        id
    }

    fn reap(&mut self, id: TxId) {
        if self.txs.get(&id).is_some_and(Transaction::terminated)
            && let Some(tx) = self.txs.remove(&id)
            && self.index.get(&tx.key) == Some(&id)
        {
            self.index.remove(&tx.key);
        }
    }

    /// Starts a client transaction and sends the request. The request's top Via must carry
    /// a fresh magic-cookie branch.
    pub(crate) fn start_client(
        &mut self,
        io: &mut Io<'_>,
        request: Request,
        local: SocketAddr,
        destination: SocketAddr,
        owner: TxOwner,
    ) -> TxId {
        let mut core = self.next_core(owner, local, destination);
        let key = Key::Client {
            branch: request
                .via
                .first()
                .and_then(|v| v.branch())
                .unwrap_or("")
                .to_owned(),
            method: request.method.clone(),
        };
        let bytes = request.to_bytes();
        let machine = if request.method == Method::Invite {
            Machine::Ict(Box::new(ClientInvite::start(&mut core, io, request, bytes)))
        } else {
            Machine::Nict(ClientNonInvite::start(&mut core, io, bytes))
        };
        self.insert(Transaction { core, machine, key })
    }

    /// Creates a server transaction for a request that matched none. Responses go to
    /// `response_to` (RFC 3261 §18.2.2 with RFC 3581).
    pub(crate) fn start_server(
        &mut self,
        request: &Request,
        local: SocketAddr,
        response_to: SocketAddr,
        owner: TxOwner,
    ) -> Option<TxId> {
        let key = server_key(request, request.method.clone())?;
        let core = self.next_core(owner, local, response_to);
        let machine = if request.method == Method::Invite {
            Machine::Ist(ServerInvite::default())
        } else {
            Machine::Nist(ServerNonInvite::default())
        };
        Some(self.insert(Transaction { core, machine, key }))
    }

    /// Sends a response through a server transaction.
    pub(crate) fn respond(
        &mut self,
        io: &mut Io<'_>,
        id: TxId,
        response: &Response,
    ) -> Result<(), crate::Error> {
        let tx = self.txs.get_mut(&id).ok_or(crate::Error::NoTransaction)?;
        let bytes = response.to_bytes();
        let status = response.status;
        match &mut tx.machine {
            Machine::Ist(m) => m.send_response(&mut tx.core, io, status, bytes)?,
            Machine::Nist(m) => m.send_response(&mut tx.core, io, status, bytes)?,
            _ => return Err(crate::Error::NoTransaction),
        }
        self.reap(id);
        Ok(())
    }

    /// Destroys a transaction at once, without any message (§9.1: an INVITE still not
    /// answered 64*T1 after its CANCEL is considered cancelled).
    pub(crate) fn destroy(&mut self, id: TxId) {
        if let Some(tx) = self.txs.remove(&id)
            && self.index.get(&tx.key) == Some(&id)
        {
            self.index.remove(&tx.key);
        }
    }

    /// Whether a server transaction still waits for a final response.
    pub(crate) fn awaiting_final(&self, id: TxId) -> bool {
        match self.txs.get(&id).map(|t| &t.machine) {
            Some(Machine::Ist(m)) => m.awaiting_final(),
            Some(Machine::Nist(m)) => m.awaiting_final(),
            _ => false,
        }
    }

    /// Offers a received response (§17.1.3).
    pub(crate) fn on_response(&mut self, io: &mut Io<'_>, response: Response) -> ResponseMatch {
        let Some(branch) = response.via.first().and_then(|v| v.branch()) else {
            return ResponseMatch::Stray(response);
        };
        let key = Key::Client {
            branch: branch.to_owned(),
            method: response.cseq.method.clone(),
        };
        let Some(&id) = self.index.get(&key) else {
            return ResponseMatch::Stray(response);
        };
        let Some(tx) = self.txs.get_mut(&id) else {
            return ResponseMatch::Stray(response);
        };
        let pass = match &mut tx.machine {
            Machine::Ict(m) => m.on_response(&mut tx.core, io, &response),
            Machine::Nict(m) => m.on_response(&mut tx.core, io, response.status),
            _ => false,
        };
        let owner = tx.core.owner;
        self.reap(id);
        if pass {
            ResponseMatch::Event(TxEvent::Response {
                tx: id,
                owner,
                response,
            })
        } else {
            ResponseMatch::Absorbed
        }
    }

    /// Offers a received request (§17.2.3).
    pub(crate) fn on_request(&mut self, io: &mut Io<'_>, request: Request) -> RequestMatch {
        let Some(key) = server_key(&request, key_method(&request.method)) else {
            return RequestMatch::New(request);
        };
        let Some(&id) = self.index.get(&key) else {
            return RequestMatch::New(request);
        };
        let Some(tx) = self.txs.get_mut(&id) else {
            return RequestMatch::New(request);
        };
        let owner = tx.core.owner;
        let result = match &mut tx.machine {
            Machine::Ist(m) if request.method == Method::Ack => {
                if m.on_ack(&mut tx.core, io) {
                    RequestMatch::Event(TxEvent::AckForSuccess {
                        owner,
                        ack: request,
                    })
                } else {
                    RequestMatch::Absorbed
                }
            }
            Machine::Ist(m) => {
                m.on_retransmission(&tx.core, io);
                RequestMatch::Absorbed
            }
            Machine::Nist(m) => {
                m.on_retransmission(&tx.core, io);
                RequestMatch::Absorbed
            }
            // A request keyed like a client transaction cannot happen (different key kinds).
            _ => RequestMatch::New(request),
        };
        self.reap(id);
        result
    }

    /// The INVITE server transaction a CANCEL refers to (§9.2: same key, method INVITE).
    pub(crate) fn find_invite_for_cancel(&self, cancel: &Request) -> Option<(TxId, TxOwner)> {
        let key = server_key(cancel, Method::Invite)?;
        let id = *self.index.get(&key)?;
        let tx = self.txs.get(&id)?;
        Some((id, tx.core.owner))
    }

    /// Whether a live schedule entry belongs to this timer.
    pub(crate) fn timer_is_live(&self, id: TxId, timer: TxTimer, at: Instant) -> bool {
        self.txs
            .get(&id)
            .is_some_and(|tx| tx.core.timers.is(timer, at))
    }

    /// Fires a due timer.
    pub(crate) fn on_timer(
        &mut self,
        io: &mut Io<'_>,
        id: TxId,
        timer: TxTimer,
    ) -> Option<TxEvent> {
        let tx = self.txs.get_mut(&id)?;
        tx.core.stop(timer);
        let owner = tx.core.owner;
        let outcome = match &mut tx.machine {
            Machine::Ict(m) => m.on_timer(&mut tx.core, io, timer),
            Machine::Nict(m) => m.on_timer(&mut tx.core, io, timer),
            Machine::Ist(m) => m.on_timer(&mut tx.core, io, timer),
            Machine::Nist(m) => m.on_timer(&mut tx.core, io, timer),
        };
        self.reap(id);
        match outcome {
            TimerOutcome::Nothing => None,
            TimerOutcome::Timeout => Some(TxEvent::Timeout { tx: id, owner }),
            TimerOutcome::NoAck => Some(TxEvent::NoAck { owner }),
        }
    }
}

/// What a timer did, for the layer to report.
pub(crate) enum TimerOutcome {
    Nothing,
    Timeout,
    NoAck,
}

#[cfg(test)]
mod tests;
