//! RTP (RFC 3550) for one voice leg, on top of rtp-rs.
//!
//! - [`packet`]: parse and write one packet ([`RtpPacket`], [`RtpHeader`]); RTCP is refused
//!   first (RFC 5761 §4), since rtp-rs would read it as RTP.
//! - [`reception`]: RFC 3550 Appendix A statistics for the source we receive (sequence
//!   validation with wrap-around, loss, interarrival jitter).
//! - [`sender`]: our SSRC, sequence numbers and media clock, random from a seed; the marker
//!   bit on talkspurt start.
//! - [`session`]: [`MediaSession`], everything one call leg needs put together: symmetric RTP
//!   (latching), payload-type and source filtering, the jitter buffer, RFC 4733 in and out,
//!   RTCP reports, the RTP timeout, counters. This is what `firmware` drives.
//!
//! Deliberate differences from SEMS (`AmRtpStream`, `AmRtpAudio`):
//! - RTP/SAVP offers are refused (488) instead of answered with a stream we cannot decrypt
//!   (SEMS #132); see [`crate::sdp::negotiate`].
//! - Telephone-event payloads shorter than 4 bytes are counted as malformed instead of read
//!   past their end (SEMS #552).
//! - Symmetric RTP latches by default and then drops other sources; SEMS re-latches on any
//!   source unless configured. Re-latching after a silence is [`Latching::Relatch`].
//! - A second SSRC from the latched source replaces the first only when the first stopped
//!   (or after three of its packets in a row), so two interleaved streams do not flap.
//! - The RTP timeout is not armed while we do not receive (the peer holds us).

pub mod packet;
pub mod reception;
pub(crate) mod rng;
pub mod sender;
pub mod session;

pub use packet::{
    BufferTooSmall, MAX_DATAGRAM, RTP_HEADER_LEN, RtpHeader, RtpPacket, RtpParseError,
};
pub use reception::{ReceptionStats, SequenceCheck};
pub use sender::RtpSender;
pub use session::{
    Channel, DtmfSendError, Latching, MediaEvent, MediaSession, MediaStats, SessionConfig, Transmit,
};
