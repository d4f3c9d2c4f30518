//! Writing RTCP packets into a caller-owned buffer: SR, RR, SDES with a CNAME, BYE
//! (RFC 3550 §6.4-§6.6). A compound packet is these written one after the other.

use super::parse::{ReportBlock, SDES_CNAME, SenderInfo, packet_type};
use crate::rtp::BufferTooSmall;

/// Appends big-endian fields to a slice, failing cleanly when it is full.
struct Writer<'a> {
    out: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    fn new(out: &'a mut [u8], needed: usize) -> Result<Self, BufferTooSmall> {
        if out.len() < needed {
            return Err(BufferTooSmall {
                needed,
                available: out.len(),
            });
        }
        Ok(Self { out, pos: 0 })
    }
    // Callers size the buffer first (Writer::new checks `needed`), so indexing is in bounds.
    fn u8(&mut self, v: u8) {
        self.out[self.pos] = v;
        self.pos += 1;
    }
    fn u16(&mut self, v: u16) {
        self.bytes(&v.to_be_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_be_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.out[self.pos..self.pos + b.len()].copy_from_slice(b);
        self.pos += b.len();
    }
    fn header(&mut self, count: u8, pt: u8, total_len: usize) {
        self.u8(0x80 | (count & 0x1F));
        self.u8(pt);
        self.u16((total_len / 4 - 1) as u16);
    }
    fn block(&mut self, b: &ReportBlock) {
        self.u32(b.ssrc);
        self.u8(b.fraction_lost);
        let lost = b.cumulative_lost.clamp(-0x80_0000, 0x7F_FFFF) as u32 & 0xFF_FFFF;
        self.bytes(&lost.to_be_bytes()[1..]);
        self.u32(b.extended_highest);
        self.u32(b.jitter);
        self.u32(b.last_sr);
        self.u32(b.delay_since_last_sr);
    }
}

/// At most 31 report blocks fit the 5-bit count; we never have more than one.
const MAX_BLOCKS: usize = 31;

/// Writes a receiver report; returns its length.
pub fn write_receiver_report(
    ssrc: u32,
    blocks: &[ReportBlock],
    out: &mut [u8],
) -> Result<usize, BufferTooSmall> {
    let blocks = &blocks[..blocks.len().min(MAX_BLOCKS)];
    let len = 8 + 24 * blocks.len();
    let mut w = Writer::new(out, len)?;
    w.header(blocks.len() as u8, packet_type::RR, len);
    w.u32(ssrc);
    for b in blocks {
        w.block(b);
    }
    Ok(w.pos)
}

/// Writes a sender report; returns its length.
pub fn write_sender_report(
    ssrc: u32,
    info: &SenderInfo,
    blocks: &[ReportBlock],
    out: &mut [u8],
) -> Result<usize, BufferTooSmall> {
    let blocks = &blocks[..blocks.len().min(MAX_BLOCKS)];
    let len = 28 + 24 * blocks.len();
    let mut w = Writer::new(out, len)?;
    w.header(blocks.len() as u8, packet_type::SR, len);
    w.u32(ssrc);
    w.u32((info.ntp >> 32) as u32);
    w.u32(info.ntp as u32);
    w.u32(info.rtp_timestamp);
    w.u32(info.packet_count);
    w.u32(info.octet_count);
    for b in blocks {
        w.block(b);
    }
    Ok(w.pos)
}

/// Writes an SDES packet with one chunk holding our CNAME (at most 255 bytes are used);
/// returns its length. Every compound report carries one (RFC 3550 §6.1).
pub fn write_sdes_cname(ssrc: u32, cname: &[u8], out: &mut [u8]) -> Result<usize, BufferTooSmall> {
    let cname = &cname[..cname.len().min(255)];
    // SSRC, CNAME item (type, length, text), then at least one null octet ending the item
    // list, padded to a 32-bit boundary.
    let chunk = 4 + 2 + cname.len();
    let chunk_padded = (chunk + 1).div_ceil(4) * 4;
    let len = 4 + chunk_padded;
    let mut w = Writer::new(out, len)?;
    w.header(1, packet_type::SDES, len);
    w.u32(ssrc);
    w.u8(SDES_CNAME);
    w.u8(cname.len() as u8);
    w.bytes(cname);
    while w.pos < len {
        w.u8(0);
    }
    Ok(w.pos)
}

/// Writes a BYE for `ssrc` with an optional reason (at most 255 bytes); returns its length.
pub fn write_bye(
    ssrc: u32,
    reason: Option<&[u8]>,
    out: &mut [u8],
) -> Result<usize, BufferTooSmall> {
    let reason = reason.map(|r| &r[..r.len().min(255)]);
    let body = 4 + reason.map_or(0, |r| 1 + r.len());
    let len = 4 + body.div_ceil(4) * 4;
    let mut w = Writer::new(out, len)?;
    w.header(1, packet_type::BYE, len);
    w.u32(ssrc);
    if let Some(r) = reason {
        w.u8(r.len() as u8);
        w.bytes(r);
    }
    while w.pos < len {
        w.u8(0);
    }
    Ok(w.pos)
}
