//! Lenient, zero-copy reading of compound RTCP packets (RFC 3550 §6.1, §6.4-§6.6).
//!
//! Lenient means: the first packet need not be SR or RR, unknown packet types are skipped,
//! counts larger than the packet are cut to what is there, and a broken packet ends the
//! compound (everything before it is still delivered). It never panics and never allocates.

use thiserror::Error;

/// RTCP packet types (RFC 3550 §12.1).
pub mod packet_type {
    /// Sender report.
    pub const SR: u8 = 200;
    /// Receiver report.
    pub const RR: u8 = 201;
    /// Source description.
    pub const SDES: u8 = 202;
    /// Goodbye.
    pub const BYE: u8 = 203;
    /// Application-defined.
    pub const APP: u8 = 204;
}

/// SDES item type for the canonical name (RFC 3550 §6.5.1).
pub const SDES_CNAME: u8 = 1;

/// Why the rest of a compound RTCP datagram could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RtcpParseError {
    /// Fewer than 4 bytes left for a header, or a length field past the datagram.
    #[error("RTCP packet truncated")]
    Truncated,
    /// Version is not 2.
    #[error("RTCP version {0}, expected 2")]
    Version(u8),
    /// A fixed part (SSRC, sender info) is missing.
    #[error("RTCP packet type {0} too short for its fixed fields")]
    TooShort(u8),
}

/// The sender-info block of an SR (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderInfo {
    /// 64-bit NTP timestamp of the report.
    pub ntp: u64,
    /// The same instant on the RTP media clock.
    pub rtp_timestamp: u32,
    /// Packets sent since the start.
    pub packet_count: u32,
    /// Payload octets sent since the start.
    pub octet_count: u32,
}

/// One reception report block (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// The source this block reports on.
    pub ssrc: u32,
    /// Loss since the last report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative packets lost, a signed 24-bit value.
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub extended_highest: u32,
    /// Interarrival jitter, in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR received from that source.
    pub last_sr: u32,
    /// Delay since that SR, in 1/65536 s.
    pub delay_since_last_sr: u32,
}

const REPORT_BLOCK_LEN: usize = 24;

impl ReportBlock {
    fn read(b: &[u8]) -> Option<Self> {
        if b.len() < REPORT_BLOCK_LEN {
            return None;
        }
        let lost = (u32::from(b[5]) << 16) | (u32::from(b[6]) << 8) | u32::from(b[7]);
        // Sign-extend 24 bits.
        let cumulative_lost = ((lost << 8) as i32) >> 8;
        Some(Self {
            ssrc: be32(&b[0..4]),
            fraction_lost: b[4],
            cumulative_lost,
            extended_highest: be32(&b[8..12]),
            jitter: be32(&b[12..16]),
            last_sr: be32(&b[16..20]),
            delay_since_last_sr: be32(&b[20..24]),
        })
    }
}

/// The report blocks of an SR or RR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportBlocks<'a> {
    bytes: &'a [u8],
    remaining: usize,
}

impl Iterator for ReportBlocks<'_> {
    type Item = ReportBlock;
    fn next(&mut self) -> Option<ReportBlock> {
        if self.remaining == 0 {
            return None;
        }
        let block = ReportBlock::read(self.bytes)?;
        self.bytes = &self.bytes[REPORT_BLOCK_LEN..];
        self.remaining -= 1;
        Some(block)
    }
}

/// The SSRC list of a BYE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sources<'a> {
    bytes: &'a [u8],
}

impl Iterator for Sources<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.bytes.len() < 4 {
            return None;
        }
        let s = be32(&self.bytes[..4]);
        self.bytes = &self.bytes[4..];
        Some(s)
    }
}

/// One packet of a compound RTCP datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtcpPacket<'a> {
    /// Sender report: who sent, what, and what it received.
    SenderReport {
        /// The sender.
        ssrc: u32,
        /// Its sender info.
        info: SenderInfo,
        /// Its reception reports.
        blocks: ReportBlocks<'a>,
    },
    /// Receiver report.
    ReceiverReport {
        /// The reporter.
        ssrc: u32,
        /// Its reception reports.
        blocks: ReportBlocks<'a>,
    },
    /// Source description; only the first chunk's CNAME is extracted.
    SourceDescription {
        /// SSRC of the first chunk and its CNAME, if present.
        cname: Option<(u32, &'a [u8])>,
    },
    /// Goodbye: the listed sources leave (RFC 3550 §6.6).
    Bye {
        /// The sources leaving.
        sources: Sources<'a>,
        /// The optional reason text, raw bytes.
        reason: Option<&'a [u8]>,
    },
    /// APP or any other type, skipped.
    Other {
        /// The packet type.
        packet_type: u8,
    },
}

/// Iterates over the packets of a compound RTCP datagram; see [`packets`].
#[derive(Debug, Clone)]
pub struct RtcpPackets<'a> {
    rest: &'a [u8],
    failed: bool,
}

/// Reads the packets of a compound RTCP datagram. After the first error the iterator ends.
pub fn packets(datagram: &[u8]) -> RtcpPackets<'_> {
    RtcpPackets {
        rest: datagram,
        failed: false,
    }
}

impl<'a> Iterator for RtcpPackets<'a> {
    type Item = Result<RtcpPacket<'a>, RtcpParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        let r = self.read_one();
        if r.is_err() {
            self.failed = true;
        }
        Some(r)
    }
}

impl<'a> RtcpPackets<'a> {
    fn read_one(&mut self) -> Result<RtcpPacket<'a>, RtcpParseError> {
        let b = self.rest;
        if b.len() < 4 {
            return Err(RtcpParseError::Truncated);
        }
        let version = b[0] >> 6;
        if version != 2 {
            return Err(RtcpParseError::Version(version));
        }
        let padding = b[0] & 0x20 != 0;
        let count = usize::from(b[0] & 0x1F);
        let pt = b[1];
        let len = (usize::from(u16::from_be_bytes([b[2], b[3]])) + 1) * 4;
        if len > b.len() {
            return Err(RtcpParseError::Truncated);
        }
        let mut body = &b[4..len];
        self.rest = &b[len..];
        if padding {
            // The last octet counts the padding, itself included (RFC 3550 §6.4.1).
            let pad = body.last().map_or(0, |&p| usize::from(p));
            if pad == 0 || pad > body.len() {
                return Err(RtcpParseError::Truncated);
            }
            body = &body[..body.len() - pad];
        }
        Ok(match pt {
            packet_type::SR => {
                if body.len() < 24 {
                    return Err(RtcpParseError::TooShort(pt));
                }
                let info = SenderInfo {
                    ntp: (u64::from(be32(&body[4..8])) << 32) | u64::from(be32(&body[8..12])),
                    rtp_timestamp: be32(&body[12..16]),
                    packet_count: be32(&body[16..20]),
                    octet_count: be32(&body[20..24]),
                };
                RtcpPacket::SenderReport {
                    ssrc: be32(&body[0..4]),
                    info,
                    blocks: ReportBlocks {
                        bytes: &body[24..],
                        remaining: count,
                    },
                }
            }
            packet_type::RR => {
                if body.len() < 4 {
                    return Err(RtcpParseError::TooShort(pt));
                }
                RtcpPacket::ReceiverReport {
                    ssrc: be32(&body[0..4]),
                    blocks: ReportBlocks {
                        bytes: &body[4..],
                        remaining: count,
                    },
                }
            }
            packet_type::SDES => RtcpPacket::SourceDescription {
                cname: if count == 0 { None } else { first_cname(body) },
            },
            packet_type::BYE => {
                let n = (count * 4).min(body.len() & !3);
                let sources = Sources { bytes: &body[..n] };
                let reason = body
                    .get(n)
                    .and_then(|&rlen| body.get(n + 1..n + 1 + usize::from(rlen)));
                RtcpPacket::Bye { sources, reason }
            }
            other => RtcpPacket::Other { packet_type: other },
        })
    }
}

/// The CNAME item of the first SDES chunk (RFC 3550 §6.5), if it is there and well formed.
fn first_cname(body: &[u8]) -> Option<(u32, &[u8])> {
    if body.len() < 4 {
        return None;
    }
    let ssrc = be32(&body[0..4]);
    let mut items = &body[4..];
    loop {
        let (&kind, rest) = items.split_first()?;
        if kind == 0 {
            return None; // end of the chunk's item list
        }
        let (&len, rest) = rest.split_first()?;
        let value = rest.get(..usize::from(len))?;
        if kind == SDES_CNAME {
            return Some((ssrc, value));
        }
        items = &rest[usize::from(len)..];
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}
