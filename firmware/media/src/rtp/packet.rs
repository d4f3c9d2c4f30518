//! One RTP packet on the wire (RFC 3550 §5.1): a checked view for reading, a header value for
//! writing into a caller-owned buffer. Parsing and building go through rtp-rs; this module adds
//! the RFC 5761 §4 guard that rtp-rs lacks (it happily reads an RTCP sender report as RTP with
//! the marker bit set and payload type 72).

use rtp_rs::{RtpPacketBuilder, RtpReader, RtpReaderError, Seq};
use thiserror::Error;

/// Length of the fixed RTP header, without CSRCs or extension.
pub const RTP_HEADER_LEN: usize = 12;

/// The largest datagram this crate builds or expects to receive: an Ethernet MTU. Caller
/// buffers handed to `poll_transmit` should be at least this long.
pub const MAX_DATAGRAM: usize = 1500;

/// Why a datagram is not a usable RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RtpParseError {
    /// Fewer than 12 bytes.
    #[error("datagram of {0} bytes is shorter than an RTP header")]
    TooShort(usize),
    /// The version field is not 2.
    #[error("RTP version {0}, expected 2")]
    Version(u8),
    /// The CSRC list, header extension or padding runs past the end of the datagram.
    #[error("CSRC list, header extension or padding runs past the datagram")]
    Truncated,
    /// The second byte is in RTCP's packet-type range 192..=223 (RFC 5761 §4): RTCP on a
    /// multiplexed port, or garbage; never RTP.
    #[error("an RTCP packet type (RFC 5761 §4), not RTP")]
    LooksLikeRtcp,
}

/// The output buffer is too small for what was to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("buffer of {available} bytes is too small, {needed} needed")]
pub struct BufferTooSmall {
    /// Bytes the packet needs.
    pub needed: usize,
    /// Bytes the buffer has.
    pub available: usize,
}

/// The RTP header fields this appliance reads and writes. CSRCs and header extensions are
/// skipped on input and never written: a voice leg has exactly one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    /// Marker bit; for audio, the first packet of a talkspurt (RFC 3551 §4.1).
    pub marker: bool,
    /// Payload type, 0..=127.
    pub payload_type: u8,
    /// Sequence number (wraps at 65535).
    pub sequence: u16,
    /// Media timestamp in clock units (8000 Hz for G.711 and telephone-event).
    pub timestamp: u32,
    /// Synchronisation source.
    pub ssrc: u32,
}

/// A parsed RTP packet borrowing the datagram it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    /// The fixed header fields.
    pub header: RtpHeader,
    /// The payload, without CSRCs, extension or padding.
    pub payload: &'a [u8],
}

impl<'a> RtpPacket<'a> {
    /// Parses `bytes` as one RTP packet. Never panics; every malformed input is an error.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, RtpParseError> {
        // rtp-rs would accept RTCP as RTP: demultiplex first (RFC 5761 §4).
        if crate::rtcp::is_rtcp(bytes) {
            return Err(RtpParseError::LooksLikeRtcp);
        }
        let reader = RtpReader::new(bytes).map_err(|e| match e {
            RtpReaderError::BufferTooShort(n) => RtpParseError::TooShort(n),
            RtpReaderError::UnsupportedVersion(v) => RtpParseError::Version(v),
            RtpReaderError::HeadersTruncated { .. } | RtpReaderError::PaddingLengthInvalid(_) => {
                RtpParseError::Truncated
            }
        })?;
        Ok(RtpPacket {
            header: RtpHeader {
                marker: reader.mark(),
                payload_type: reader.payload_type(),
                sequence: u16::from(reader.sequence_number()),
                timestamp: reader.timestamp(),
                ssrc: reader.ssrc(),
            },
            payload: reader.payload(),
        })
    }
}

impl RtpHeader {
    /// Writes this header followed by `payload` into `out`; returns the datagram length.
    /// `payload_type` above 127 is masked to 7 bits (it cannot come from our SDP).
    pub fn write(&self, payload: &[u8], out: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let needed = RTP_HEADER_LEN + payload.len();
        if out.len() < needed {
            return Err(BufferTooSmall {
                needed,
                available: out.len(),
            });
        }
        let builder = RtpPacketBuilder::new()
            .payload_type(self.payload_type & 0x7F)
            .marked(self.marker)
            .sequence(Seq::from(self.sequence))
            .timestamp(self.timestamp)
            .ssrc(self.ssrc)
            .payload(payload);
        // The only failure modes left are a payload type > 127 (masked above) and an
        // extension (none): building cannot fail here, but stay total rather than expect().
        builder.build_into(out).map_err(|_| BufferTooSmall {
            needed,
            available: out.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let h = RtpHeader {
            marker: true,
            payload_type: 8,
            sequence: 65535,
            timestamp: 0xDEAD_BEEF,
            ssrc: 0x1234_5678,
        };
        let mut buf = [0u8; 64];
        let n = h.write(&[1, 2, 3], &mut buf).unwrap();
        assert_eq!(n, 15);
        let p = RtpPacket::parse(&buf[..n]).unwrap();
        assert_eq!(p.header, h);
        assert_eq!(p.payload, &[1, 2, 3]);
    }

    #[test]
    fn rtcp_sender_report_is_not_rtp() {
        // 0x80 0xC8: V=2, PT=200 (SR). rtp-rs alone reads this as marker + PT 72.
        let sr = [0x80u8, 0xC8, 0x00, 0x06, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(RtpPacket::parse(&sr), Err(RtpParseError::LooksLikeRtcp));
    }

    #[test]
    fn malformed_inputs_are_errors() {
        assert_eq!(RtpPacket::parse(&[]), Err(RtpParseError::TooShort(0)));
        assert_eq!(
            RtpPacket::parse(&[0x40; 12]),
            Err(RtpParseError::Version(1))
        );
        // 15 CSRCs announced, none present.
        let mut b = [0u8; 12];
        b[0] = 0x8F;
        assert_eq!(RtpPacket::parse(&b), Err(RtpParseError::Truncated));
        // Padding flag with a padding length larger than the packet.
        let mut p = [0u8; 13];
        p[0] = 0xA0;
        p[12] = 200;
        assert_eq!(RtpPacket::parse(&p), Err(RtpParseError::Truncated));
    }

    #[test]
    fn small_buffer_is_reported() {
        let h = RtpHeader {
            marker: false,
            payload_type: 0,
            sequence: 1,
            timestamp: 1,
            ssrc: 1,
        };
        let mut buf = [0u8; 20];
        assert_eq!(
            h.write(&[0; 160], &mut buf),
            Err(BufferTooSmall {
                needed: 172,
                available: 20
            })
        );
    }
}
