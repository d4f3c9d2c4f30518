//! Minimal RTCP (RFC 3550 §6) for a voice leg: telling RTCP apart from RTP on a shared port,
//! reading compound reports leniently, and writing our own receiver or sender report with a
//! CNAME every ~5 seconds.
//!
//! - [`is_rtcp`]: the RFC 5761 §4 demultiplexing rule. rtp-rs accepts RTCP as RTP, so every
//!   datagram is checked with this first.
//! - [`packets`]: zero-copy iterator over SR, RR, SDES (CNAME) and BYE packets.
//! - [`write_receiver_report`], [`write_sender_report`], [`write_sdes_cname`], [`write_bye`]:
//!   writers into caller-owned buffers.
//! - [`RtcpReporter`]: the report schedule (§6.2, §6.3.1: 5 s minimum, randomised by
//!   0.5-1.5, the first after half of it), LSR/DLSR bookkeeping (§6.4.1) and round-trip time.
//!
//! Not implemented, on purpose: the full §6.3 member/bandwidth algorithm (a two-party call
//! always sits at the 5 s minimum), reconsideration, RTCP XR and feedback (AVPF).

mod parse;
mod report;
mod write;

pub use parse::{
    ReportBlock, ReportBlocks, RtcpPacket, RtcpPackets, RtcpParseError, SDES_CNAME, SenderInfo,
    Sources, packet_type, packets,
};
pub use report::{NtpTime, RtcpReporter};
pub use write::{write_bye, write_receiver_report, write_sdes_cname, write_sender_report};

/// RFC 5761 §4: a datagram is RTCP when its version is 2 and its second octet (the RTCP packet
/// type, or RTP's marker bit plus payload type) is in 192..=223. RTP payload types 64..=95
/// with the marker set fall in that range, which is why RTP must never use them.
pub fn is_rtcp(datagram: &[u8]) -> bool {
    datagram.len() >= 4 && datagram[0] >> 6 == 2 && (192..=223).contains(&datagram[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demux_rule() {
        assert!(is_rtcp(&[0x80, 200, 0, 1]));
        assert!(is_rtcp(&[0x81, 201, 0, 7]));
        assert!(!is_rtcp(&[0x80, 0x00, 0, 1])); // PCMU
        assert!(!is_rtcp(&[0x80, 0x80 | 101, 0, 1])); // telephone-event with marker
        assert!(!is_rtcp(&[0x40, 200, 0, 1])); // version 1
        assert!(!is_rtcp(&[0x80, 200])); // too short
    }

    #[test]
    fn write_then_read_a_compound_report() {
        let mut buf = [0u8; 256];
        let block = ReportBlock {
            ssrc: 0xAABB_CCDD,
            fraction_lost: 12,
            cumulative_lost: -3,
            extended_highest: 0x0001_0005,
            jitter: 42,
            last_sr: 0x1234_5678,
            delay_since_last_sr: 65536,
        };
        let info = SenderInfo {
            ntp: 0x0102_0304_0506_0708,
            rtp_timestamp: 99,
            packet_count: 10,
            octet_count: 1600,
        };
        let mut n = write_sender_report(7, &info, &[block], &mut buf).unwrap();
        n += write_sdes_cname(7, b"dsmbox@10.0.0.1", &mut buf[n..]).unwrap();
        n += write_bye(7, Some(b"hangup"), &mut buf[n..]).unwrap();
        assert_eq!(n % 4, 0);
        let got: Vec<_> = packets(&buf[..n]).collect::<Result<_, _>>().unwrap();
        assert_eq!(got.len(), 3);
        match &got[0] {
            RtcpPacket::SenderReport {
                ssrc,
                info: i,
                blocks,
            } => {
                assert_eq!(*ssrc, 7);
                assert_eq!(*i, info);
                assert_eq!(blocks.clone().collect::<Vec<_>>(), vec![block]);
            }
            other => panic!("{other:?}"),
        }
        match &got[1] {
            RtcpPacket::SourceDescription { cname } => {
                assert_eq!(*cname, Some((7, &b"dsmbox@10.0.0.1"[..])));
            }
            other => panic!("{other:?}"),
        }
        match &got[2] {
            RtcpPacket::Bye { sources, reason } => {
                assert_eq!(sources.clone().collect::<Vec<_>>(), vec![7]);
                assert_eq!(*reason, Some(&b"hangup"[..]));
            }
            other => panic!("{other:?}"),
        }
        assert!(is_rtcp(&buf[..n]));
    }

    #[test]
    fn receiver_report_with_no_blocks() {
        let mut buf = [0u8; 8];
        assert_eq!(write_receiver_report(5, &[], &mut buf), Ok(8));
        let got: Vec<_> = packets(&buf).collect();
        assert!(matches!(
            got[..],
            [Ok(RtcpPacket::ReceiverReport { ssrc: 5, .. })]
        ));
    }

    #[test]
    fn lenient_reading() {
        // RR claiming 3 blocks but holding one: one block is read.
        let mut buf = [0u8; 64];
        let n = write_receiver_report(1, &[ReportBlock::default()], &mut buf).unwrap();
        buf[0] = 0x83;
        let got: Vec<_> = packets(&buf[..n]).collect();
        match &got[..] {
            [Ok(RtcpPacket::ReceiverReport { blocks, .. })] => {
                assert_eq!(blocks.clone().count(), 1)
            }
            other => panic!("{other:?}"),
        }
        // A length field past the end is an error that ends the compound.
        let bad = [0x80u8, 201, 0, 9, 0, 0, 0, 1];
        let got: Vec<_> = packets(&bad).collect();
        assert_eq!(got, vec![Err(RtcpParseError::Truncated)]);
        // An unknown type is skipped, and reading continues.
        let mut two = [0u8; 16];
        two[..8].copy_from_slice(&[0x80, 210, 0, 1, 0, 0, 0, 0]);
        write_receiver_report(3, &[], &mut two[8..]).unwrap();
        let got: Vec<_> = packets(&two).collect();
        assert!(matches!(
            got[..],
            [
                Ok(RtcpPacket::Other { packet_type: 210 }),
                Ok(RtcpPacket::ReceiverReport { ssrc: 3, .. })
            ]
        ));
    }
}
