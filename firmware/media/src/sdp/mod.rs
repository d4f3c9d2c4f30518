//! SDP (RFC 4566) for a voice appliance, and offer/answer (RFC 3264).
//!
//! - [`model`]: [`SessionDescription`] and its parts as plain values; `Display` writes the
//!   text (CRLF line ends).
//! - [`parse`]: the nom parser, lenient on input: CRLF or LF, unknown lines ignored, unknown
//!   attributes kept, several m-lines.
//! - [`negotiate`]: [`SdpSession`] makes offers, answers offers and reads answers, giving a
//!   [`NegotiatedMedia`] to configure a [`crate::rtp::MediaSession`] with; a refused offer is a
//!   [`NegotiationError`] (reply 488).
//!
//! SDP is signalling, not the 20 ms path, so these values use `String` and `Vec`.

pub mod model;
pub mod negotiate;
pub mod parse;

pub use model::{
    Attribute, Connection, Direction, MediaDescription, Origin, Rtpmap, SessionDescription,
};
pub use negotiate::{LocalMedia, NegotiatedMedia, NegotiationError, PayloadFormat, SdpSession};
pub use parse::SdpParseError;
