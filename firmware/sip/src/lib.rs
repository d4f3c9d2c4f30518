//! SIP signalling for dsmbox, sans-IO: messages, RFC 3261 transactions (§17) and dialogs
//! (§12), digest authentication (RFC 2617/7616), a registration client (§10), INFO DTMF
//! (RFC 6086) and symmetric response routing (RFC 3581).
//!
//! Nothing here owns a socket or reads the clock. One [`Endpoint`] is fed datagrams and
//! the time, and drained of datagrams to send, events for the layer above, and the next
//! instant it wants to be woken. The loop the transport driver runs (in `firmware`, on
//! tokio) is mechanical:
//!
//! ```text
//! loop {
//!     select! {
//!         (len, remote) = socket[i].recv_from(&mut buf) =>
//!             ep.handle_datagram(now(), socket[i].local_addr, remote, &buf[..len]),
//!         _ = sleep_until(ep.poll_timeout()) => ep.handle_timeout(now()),
//!         cmd = from_the_layer_above => ep.dial(now(), …) / ep.accept(now(), …) / …,
//!     }
//!     while let Some(t) = ep.poll_transmit() { socket_for(t.source).send_to(&t.payload, t.destination) }
//!     while let Some(e) = ep.poll_event() { hand e to the call layer }
//! }
//! ```
//!
//! Always drain `poll_transmit` and `poll_event` after every `handle_*` call and every
//! command; `poll_timeout` may change after any of them.
//!
//! The tree:
//! - [`msg`]: parsing (our own, nom) and building (rsip) of messages;
//! - `transaction/`: the four RFC 3261 §17 state machines and their matching rules;
//! - `dialog.rs`: dialog state and in-dialog request construction (§12);
//! - `endpoint/`: the [`Endpoint`]: UAS and UAC cores, in-dialog requests, registration;
//! - [`auth`]: digest responses; [`dtmf`]: INFO bodies; `nat.rs`: Via received/rport;
//!   `timer.rs`: timer values and the timer tables; `rng.rs`: the seeded generator.
//!
//! Deliberate behaviour is listed in `README.md` beside this crate.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auth;
mod dialog;
pub mod dtmf;
mod endpoint;
mod error;
pub mod msg;
mod nat;
mod rng;
mod timer;
mod transaction;

pub use auth::Credentials;
pub use endpoint::{
    AccountConfig, Config, Dial, EndCause, Endpoint, Event, InDialogRequest, LocalAddr,
    RegistrationState, RegistrationTiming, Reply, Stats,
};
pub use error::Error;
pub use timer::TimerConfig;

use std::net::SocketAddr;

/// Identifies a call (one INVITE dialog, or its early forks) inside an [`Endpoint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallHandle(pub u64);

/// Identifies a registration account inside an [`Endpoint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountHandle(pub u64);

/// Identifies an in-dialog request (one we sent, or one the layer above must answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestHandle(pub u64);

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The local socket to send from (one of [`Config::local_addrs`], or the address a
    /// request arrived on).
    pub source: SocketAddr,
    /// Where to.
    pub destination: SocketAddr,
    /// The bytes.
    pub payload: Vec<u8>,
}
