//! The crate's error type: misuse of the command API by the layer above. Problems with what
//! arrives from the network are never errors to the caller: they are answered (400, 481,
//! 501, …) or dropped and counted in [`crate::Stats`].

use crate::{AccountHandle, CallHandle};

/// A command could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The call handle is unknown or the call has ended.
    #[error("no such call: {0:?}")]
    NoSuchCall(CallHandle),
    /// The account handle is unknown.
    #[error("no such account: {0:?}")]
    NoSuchAccount(AccountHandle),
    /// The in-dialog request handle is unknown or was already answered.
    #[error("no such request")]
    NoSuchRequest,
    /// The transaction is gone.
    #[error("no such transaction")]
    NoTransaction,
    /// The command does not fit the call's state (e.g. CANCEL after the answer).
    #[error("invalid in this state: {0}")]
    InvalidState(&'static str),
    /// A status code outside the range the command allows.
    #[error("status code {0} not allowed here")]
    InvalidStatus(u16),
    /// No configured local address of the destination's address family, or no local
    /// address at all.
    #[error("no local address to send to {0}")]
    NoLocalAddress(std::net::SocketAddr),
    /// The next hop is a host name and no destination address was given: this crate does
    /// not resolve names (the driver does, and passes `destination`).
    #[error("cannot send to host name {0} without a resolved destination")]
    Unresolved(String),
    /// A URI given by the layer above did not parse.
    #[error("invalid URI: {0}")]
    InvalidUri(String),
}
