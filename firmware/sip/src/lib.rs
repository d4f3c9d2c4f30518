//! SIP signalling for dsmbox, sans-IO: messages, RFC 3261 transactions (§17) and dialogs (§12),
//! digest authentication (RFC 2617/7616) and a registration client (§10).
//!
//! Nothing here owns a socket or reads the clock: the transport driver in `firmware` feeds
//! datagrams and `now` in, and drains datagrams to send, events and the next timeout.

#![forbid(unsafe_code)]
