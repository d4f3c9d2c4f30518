//! The RTCP a leg sends, read back with our own parser: report blocks that match what the
//! network did (loss fraction, cumulative loss, extended highest sequence, jitter, LSR/DLSR),
//! SR once media flows, SDES CNAME in every compound, and the ~5 s schedule.

#![allow(clippy::unwrap_used)] // a test binary: a panic is the failure report

mod rtp_net;

use std::time::Duration;

use media::rtcp::{RtcpPacket, packets};
use media::rtp::Latching;
use rtp_net::{NetConfig, Pair};

#[test]
fn receiver_side_reports_describe_the_stream() {
    let mut p = Pair::new(
        31,
        NetConfig {
            loss: 0.1,
            jitter_ms: 20.0,
            ..NetConfig::default()
        },
    );
    p.lossy = |b| !media::rtcp::is_rtcp(b);
    // B only listens (muted), so its reports are RRs about A's stream.
    p.b.session.set_muted(true);
    p.run(1500); // 30 s
    let a_ssrc = p.a.session.ssrc();
    let a_first_seq = p.a.rtp_sent()[0].1.sequence;
    let reports: Vec<_> =
        p.b.sent
            .iter()
            .filter(|s| media::rtcp::is_rtcp(&s.3))
            .collect();
    assert!(
        (4..=9).contains(&reports.len()),
        "{} reports in 30 s",
        reports.len()
    );
    for w in reports.windows(2) {
        let gap = w[1].0 - w[0].0;
        assert!(gap >= Duration::from_millis(2500) && gap <= Duration::from_millis(7500));
    }
    let mut total_fraction = 0u32;
    let mut last_block = None;
    for (_, _, _, bytes) in &reports {
        let all: Vec<_> = packets(bytes).collect::<Result<_, _>>().unwrap();
        assert!(
            matches!(all[0], RtcpPacket::ReceiverReport { .. }),
            "B sent no media: RR"
        );
        assert!(matches!(
            all[1],
            RtcpPacket::SourceDescription {
                cname: Some((_, b"peer1031"))
            }
        ));
        if let RtcpPacket::ReceiverReport { mut blocks, ssrc } = all[0].clone() {
            assert_eq!(ssrc, p.b.session.ssrc());
            let b = blocks.next().unwrap();
            assert_eq!(b.ssrc, a_ssrc);
            total_fraction += u32::from(b.fraction_lost);
            last_block = Some(b);
        }
    }
    let b = last_block.unwrap();
    let received = p.b.session.stats().rtp_received;
    // Extended highest sequence: first + packets sent, minus what was in flight.
    let highest = u32::from(a_first_seq) + (p.a.rtp_sent().len() as u32);
    assert!(highest.wrapping_sub(b.extended_highest) < 300);
    // Cumulative loss near 10 % of what was expected at report time.
    let expected = b.extended_highest.wrapping_sub(u32::from(a_first_seq)) + 1;
    let lost = b.cumulative_lost as f64 / f64::from(expected);
    assert!(
        (0.07..0.13).contains(&lost),
        "cumulative {lost:.3} ({received} received)"
    );
    // Fraction lost per interval averages near 10 % of 256.
    let mean_fraction = f64::from(total_fraction) / reports.len() as f64 / 256.0;
    assert!(
        (0.06..0.14).contains(&mean_fraction),
        "fraction {mean_fraction:.3}"
    );
    // Jitter: uniform 0-20 ms delay has mean |D| of 6.7 ms, about 53 timestamp units.
    assert!((30..90).contains(&b.jitter), "jitter {} units", b.jitter);
    // A sent SRs (it sends media), so B's blocks carry LSR and DLSR, and A got an RTT.
    assert_ne!(b.last_sr, 0);
    assert!(b.delay_since_last_sr < 65536 * 8);
    // Each way 10 ms plus 0-20 ms of jitter: the round trip is 20-60 ms.
    let rtt = p.a.session.stats().round_trip_time.unwrap();
    assert!(
        rtt >= Duration::from_millis(19) && rtt <= Duration::from_millis(61),
        "{rtt:?}"
    );
}

#[test]
fn sender_reports_count_what_was_sent() {
    let mut p = Pair::new(32, NetConfig::default());
    p.run(400);
    let a_rtp = p.a.rtp_sent();
    let (t, _, _, bytes) =
        p.a.sent
            .iter()
            .rev()
            .find(|s| media::rtcp::is_rtcp(&s.3))
            .unwrap();
    let sent_before = a_rtp.iter().filter(|(at, _, _)| at <= t).count() as u32;
    match packets(bytes).next().unwrap().unwrap() {
        RtcpPacket::SenderReport { ssrc, info, .. } => {
            assert_eq!(ssrc, p.a.session.ssrc());
            assert_eq!(info.packet_count, sent_before);
            assert_eq!(info.octet_count, sent_before * 160);
            // The SR's RTP timestamp is the media clock at that instant.
            let last_ts = a_rtp
                .iter()
                .rev()
                .find(|(at, _, _)| at <= t)
                .unwrap()
                .1
                .timestamp;
            assert!(info.rtp_timestamp.wrapping_sub(last_ts) <= 320);
        }
        other => panic!("expected an SR, got {other:?}"),
    }
}

#[test]
fn latching_off_sends_to_the_sdp_address_and_accepts_any_source() {
    let mut p = Pair::with(
        33,
        NetConfig::default(),
        |c| c.latching = Latching::Off,
        |_| {},
        |l| l,
    );
    p.run(10);
    assert_eq!(p.a.session.rtp_destination(), Some(p.b.rtp));
    // A stream from another address is accepted (no latching to defend).
    for i in 0..3u16 {
        let mut buf = [0u8; 172];
        let n = media::rtp::RtpHeader {
            marker: false,
            payload_type: 0,
            sequence: p
                .b
                .rtp_sent()
                .last()
                .unwrap()
                .1
                .sequence
                .wrapping_add(1 + i),
            timestamp: 0,
            ssrc: p.b.session.ssrc(),
        }
        .write(&[0xFF; 160], &mut buf)
        .unwrap();
        p.inject(rtp_net::addr("198.51.100.9:9"), p.a.rtp, buf[..n].to_vec());
    }
    let before = p.a.session.stats().rtp_received;
    p.tick(&[0; 160], &[0; 160]);
    assert!(p.a.session.stats().rtp_received >= before + 3);
    assert_eq!(p.a.session.rtp_destination(), Some(p.b.rtp), "no latch");
}
