//! Two `MediaSession` legs on a virtual clock: audio both ways, symmetric RTP behind NAT,
//! filtering of foreign sources and payload types, RTP timeout, SSRC change, marker bits,
//! mute, hold, ptime 30, RTCP reports and BYE, rtcp-mux, and a malformed-input barrage.

#![allow(clippy::unwrap_used)] // a test binary: a panic is the failure report

mod rtp_net;

use std::time::Duration;

use media::rtp::{Channel, Latching, MediaEvent, RtpHeader};
use media::sdp::Direction;
use rtp_net::{NetConfig, Pair, addr};

fn rtp_bytes(pt: u8, seq: u16, ts: u32, ssrc: u32, marker: bool, payload: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; 12 + payload.len()];
    let n = RtpHeader {
        marker,
        payload_type: pt,
        sequence: seq,
        timestamp: ts,
        ssrc,
    }
    .write(payload, &mut buf)
    .unwrap();
    buf.truncate(n);
    buf
}

fn heard_energy(samples: &[i16]) -> f64 {
    let tail = &samples[samples.len() / 2..];
    (tail.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / tail.len() as f64).sqrt()
}

#[test]
fn audio_flows_and_counters_add_up() {
    let mut p = Pair::new(1, NetConfig::default());
    p.run(500); // 10 s
    let a = p.a.session.stats();
    let b = p.b.session.stats();
    assert_eq!(a.rtp_sent, 500);
    assert!(b.rtp_received >= 499, "{b:?}");
    assert_eq!(b.rtp_lost, 0);
    assert_eq!(b.rtp_dropped + b.rtp_malformed, 0);
    assert_eq!(b.jitter.frames_concealed, 0);
    // B hears the sine at full level.
    assert!(heard_energy(&p.b.heard) > 5000.0);
    // Both sides sent RTCP about every 5 s, and A measured the round trip (2 × 10 ms).
    assert!((1..=4).contains(&a.rtcp_sent), "{a:?}");
    assert!(b.rtcp_sent >= 1 && a.rtcp_received >= 1);
    let rtt = a.round_trip_time.expect("A got an RR with LSR");
    assert!(
        rtt.abs_diff(Duration::from_millis(20)) < Duration::from_millis(2),
        "{rtt:?}"
    );
    // Only the first packet of the stream has the marker bit; sequence and timestamps are
    // contiguous.
    let sent = p.a.rtp_sent();
    assert!(sent[0].1.marker);
    assert!(sent[1..].iter().all(|(_, h, _)| !h.marker));
    for w in sent.windows(2) {
        assert_eq!(w[1].1.sequence, w[0].1.sequence.wrapping_add(1));
        assert_eq!(w[1].1.timestamp, w[0].1.timestamp.wrapping_add(160));
        assert_eq!(w[1].1.ssrc, w[0].1.ssrc);
    }
}

#[test]
fn seeds_give_distinct_random_streams() {
    let mut p1 = Pair::new(11, NetConfig::default());
    let mut p2 = Pair::new(12, NetConfig::default());
    p1.run(2);
    p2.run(2);
    let (h1, h2) = (p1.a.rtp_sent()[0].1, p2.a.rtp_sent()[0].1);
    assert_ne!(h1.ssrc, h2.ssrc);
    assert_ne!((h1.sequence, h1.timestamp), (h2.sequence, h2.timestamp));
}

#[test]
fn symmetric_rtp_latches_on_the_nat_address() {
    let public = addr("203.0.113.9:61000");
    let mut p = Pair::new(
        2,
        NetConfig {
            b_public: Some(public),
            ..NetConfig::default()
        },
    );
    // Before B sends anything (muted), A can only aim at B's private SDP address: lost.
    p.b.session.set_muted(true);
    p.run(5);
    assert!(p.b.heard.iter().all(|&s| s == 0));
    assert_eq!(p.a.session.rtp_destination(), Some(p.b.rtp));
    p.b.session.set_muted(false);
    // B speaks; A latches onto B's public address and its audio now reaches B.
    for _ in 0..100 {
        let f = rtp_net::sine_frame(&mut 0);
        p.tick(&f, &f);
    }
    assert!(
        p.a.events
            .iter()
            .any(|(_, e)| *e == MediaEvent::Latched { remote: public })
    );
    assert_eq!(p.a.session.rtp_destination(), Some(public));
    assert!(
        heard_energy(&p.b.heard) > 5000.0,
        "B hears A after latching"
    );
    // RTCP latched too: B's reports reach A from the public RTCP port.
    p.run(300);
    assert!(p.a.session.stats().rtcp_received >= 1);
    let last_rtcp =
        p.a.sent
            .iter()
            .rev()
            .find(|s| s.1 == Channel::Rtcp)
            .unwrap();
    assert_eq!(last_rtcp.2, addr("203.0.113.9:61001"));
}

#[test]
fn foreign_sources_and_payload_types_are_dropped() {
    let mut p = Pair::new(3, NetConfig::default());
    p.run(50);
    let before = p.a.session.stats();
    // An injected stream from elsewhere, with a valid payload type, after latching.
    let attacker = addr("198.51.100.66:7777");
    for i in 0..10u16 {
        let bytes = rtp_bytes(0, i, u32::from(i) * 160, 0xBAD, false, &[0x00; 160]);
        p.inject(attacker, p.a.rtp, bytes);
        p.tick(&[0; 160], &[0; 160]);
    }
    // From B's own address but unnegotiated payload types: G.729 and comfort noise.
    let b_ssrc = p.b.session.ssrc();
    for (i, pt) in [18u8, 13].into_iter().enumerate() {
        let bytes = rtp_bytes(pt, 60_000 + i as u16, 0, b_ssrc, false, &[1; 10]);
        p.inject(p.b.rtp, p.a.rtp, bytes);
    }
    p.tick(&[0; 160], &[0; 160]);
    let after = p.a.session.stats();
    assert_eq!(after.rtp_dropped - before.rtp_dropped, 12);
    assert!(
        !p.a.events
            .iter()
            .any(|(_, e)| matches!(e, MediaEvent::SsrcChanged { .. }))
    );
    // What A hears stays silence (B sends silence); the attacker's full-scale noise is absent.
    assert!(
        p.a.heard[p.a.heard.len() - 1600..]
            .iter()
            .all(|&s| s.abs() < 100)
    );
}

#[test]
fn relatch_after_silence_follows_a_moved_peer() {
    let mut p = Pair::with(
        4,
        NetConfig::default(),
        |c| {
            c.latching = Latching::Relatch {
                after_silence: Duration::from_millis(500),
            }
        },
        |_| {},
        |l| l,
    );
    // B talks so that A latches on it.
    for _ in 0..20 {
        p.tick(&[0; 160], &[100; 160]);
    }
    // B goes quiet for longer than 500 ms (on hold), then "moves" (new source address).
    p.b.session.set_muted(true);
    for _ in 0..40 {
        p.tick(&[0; 160], &[0; 160]);
    }
    let moved = addr("192.0.2.77:6000");
    for i in 0..5u16 {
        let bytes = rtp_bytes(
            0,
            30_000 + i,
            99_999 + u32::from(i) * 160,
            0x77,
            false,
            &[0xFF; 160],
        );
        p.inject(moved, p.a.rtp, bytes);
        p.tick(&[0; 160], &[0; 160]);
    }
    assert_eq!(p.a.session.rtp_destination(), Some(moved));
    assert!(
        p.a.events
            .iter()
            .any(|(_, e)| matches!(e, MediaEvent::SsrcChanged { new: 0x77, .. }))
    );
}

#[test]
fn rtp_timeout_is_reported_once_and_rearmed() {
    let mut p = Pair::with(
        5,
        NetConfig::default(),
        |c| c.rtp_timeout = Some(Duration::from_secs(3)),
        |_| {},
        |l| l,
    );
    for _ in 0..50 {
        p.tick(&[0; 160], &[100; 160]);
    }
    p.b.session.set_muted(true); // B stops sending RTP
    for _ in 0..500 {
        p.tick(&[0; 160], &[0; 160]);
    }
    let timeouts: Vec<_> =
        p.a.events
            .iter()
            .filter(|(_, e)| matches!(e, MediaEvent::RtpTimeout { .. }))
            .collect();
    assert_eq!(timeouts.len(), 1, "reported once");
    let (at, MediaEvent::RtpTimeout { silent_for }) = timeouts[0] else {
        unreachable!()
    };
    assert!((Duration::from_secs(3)..Duration::from_millis(3100)).contains(silent_for));
    assert!(at.duration_since(p.t0) < Duration::from_millis(4200));
    // Packets return, then stop again: a second report.
    p.b.session.set_muted(false);
    for _ in 0..10 {
        p.tick(&[0; 160], &[100; 160]);
    }
    p.b.session.set_muted(true);
    for _ in 0..200 {
        p.tick(&[0; 160], &[0; 160]);
    }
    let n =
        p.a.events
            .iter()
            .filter(|(_, e)| matches!(e, MediaEvent::RtpTimeout { .. }))
            .count();
    assert_eq!(n, 2);
}

#[test]
fn no_timeout_while_the_peer_holds_us() {
    let mut p = Pair::with(
        6,
        NetConfig::default(),
        |c| c.rtp_timeout = Some(Duration::from_secs(2)),
        |_| {},
        |l| l,
    );
    // A holds B: A sendonly, B recvonly (as after a re-INVITE with a=sendonly).
    let mut a = p.a_negotiated.clone();
    a.direction = Direction::SendOnly;
    let mut b = p.b_negotiated.clone();
    b.direction = Direction::RecvOnly;
    p.a.session.configure(p.now, &a);
    p.b.session.configure(p.now, &b);
    p.run(300);
    assert!(
        p.a.events
            .iter()
            .all(|(_, e)| !matches!(e, MediaEvent::RtpTimeout { .. }))
    );
    // B sent no RTP while held (only RTCP).
    assert!(p.b.rtp_sent().is_empty());
    assert!(
        heard_energy(&p.b.heard) > 5000.0,
        "B still hears A (music on hold)"
    );
    // Resume: both send again, and B's first packet starts a talkspurt.
    p.a.session.configure(p.now, &p.a_negotiated.clone());
    p.b.session.configure(p.now, &p.b_negotiated.clone());
    for _ in 0..5 {
        p.tick(&[0; 160], &[100; 160]);
    }
    assert!(p.b.rtp_sent()[0].1.marker);
}

#[test]
fn ssrc_change_from_the_peer_is_reported_and_played() {
    let mut p = Pair::new(7, NetConfig::default());
    p.run(20);
    let pcm: Vec<i16> = (0..160)
        .map(|n| (5000.0 * (f64::from(n) / 3.0).sin()) as i16)
        .collect();
    let mut payload = [0u8; 160];
    media::g711::Law::Ulaw.encode(&pcm, &mut payload);
    let mut seq = 9000u16;
    let mut inject = |p: &mut Pair, n: usize| {
        for _ in 0..n {
            let ts = 777_000 + u32::from(seq) * 160;
            let bytes = rtp_bytes(0, seq, ts, 0x5EED, seq == 9000, &payload);
            seq += 1;
            p.inject(p.a.rtp, p.b.rtp, bytes);
            p.run(1);
        }
    };
    // A second SSRC interleaved with A's running stream does not take over.
    let dropped = p.b.session.stats().rtp_dropped;
    inject(&mut p, 20);
    assert_eq!(p.b.session.stats().rtp_dropped - dropped, 20);
    // A's stream stops (its phone restarted): the new SSRC takes over, reported once.
    p.a.session.set_muted(true);
    p.run(5);
    inject(&mut p, 50);
    let changes: Vec<_> =
        p.b.events
            .iter()
            .filter_map(|(_, e)| match e {
                MediaEvent::SsrcChanged { old, new } => Some((*old, *new)),
                _ => None,
            })
            .collect();
    assert_eq!(changes, vec![(p.a.session.ssrc(), 0x5EED)]);
    // What B hears now is the new stream, not silence.
    assert!(heard_energy(&p.b.heard[p.b.heard.len() - 4000..]) > 2000.0);
}

#[test]
fn mute_keeps_the_clock_and_marks_the_next_talkspurt() {
    let mut p = Pair::new(8, NetConfig::default());
    p.run(10);
    p.a.session.set_muted(true);
    p.run(25);
    p.a.session.set_muted(false);
    p.run(10);
    let sent = p.a.rtp_sent();
    assert_eq!(sent.len(), 20);
    let (before, after) = (sent[9].1, sent[10].1);
    assert!(after.marker, "talkspurt start after unmuting");
    assert_eq!(
        after.sequence,
        before.sequence.wrapping_add(1),
        "no sequence gap"
    );
    assert_eq!(
        after.timestamp,
        before.timestamp.wrapping_add(26 * 160),
        "the media clock ran while muted"
    );
}

#[test]
fn ptime_30_is_sent_as_asked() {
    // B asks for 30 ms packets in its answer.
    let mut p = Pair::with(
        9,
        NetConfig::default(),
        |_| {},
        |_| {},
        |mut l| {
            l.ptime_ms = 30;
            l
        },
    );
    assert_eq!(p.a_negotiated.ptime_ms, 30);
    p.run(30);
    let sent = p.a.rtp_sent();
    assert_eq!(sent.len(), 20, "two 30 ms packets per three ticks");
    assert!(sent.iter().all(|(_, _, payload)| payload.len() == 240));
    for w in sent.windows(2) {
        assert_eq!(w[1].1.timestamp, w[0].1.timestamp.wrapping_add(240));
    }
    // And B plays them cleanly.
    assert_eq!(p.b.session.stats().jitter.frames_concealed, 0);
    assert!(heard_energy(&p.b.heard) > 5000.0);
}

#[test]
fn close_sends_rtcp_bye_and_the_peer_reports_it() {
    let mut p = Pair::new(10, NetConfig::default());
    p.run(20);
    p.a.session.close();
    p.run(5);
    let a_ssrc = p.a.session.ssrc();
    assert!(
        p.b.events
            .iter()
            .any(|(_, e)| *e == MediaEvent::Bye { ssrc: a_ssrc })
    );
    let rtp_after_close =
        p.a.rtp_sent()
            .iter()
            .filter(|(t, _, _)| t.duration_since(p.t0) > Duration::from_millis(420))
            .count();
    assert_eq!(rtp_after_close, 0);
}

#[test]
fn rtcp_mux_goes_over_the_rtp_port() {
    let mut p = Pair::new(13, NetConfig::default());
    let mut a = p.a_negotiated.clone();
    a.rtcp_mux = true;
    a.remote_rtcp = a.remote_rtp;
    let mut b = p.b_negotiated.clone();
    b.rtcp_mux = true;
    b.remote_rtcp = b.remote_rtp;
    p.a.session.configure(p.now, &a);
    p.b.session.configure(p.now, &b);
    p.run(400);
    let a_rtcp: Vec<_> =
        p.a.sent
            .iter()
            .filter(|s| media::rtcp::is_rtcp(&s.3))
            .collect();
    assert!(!a_rtcp.is_empty());
    assert!(a_rtcp.iter().all(|s| s.1 == Channel::Rtp && s.2 == p.b.rtp));
    assert!(p.b.session.stats().rtcp_received >= 1);
    assert_eq!(p.b.session.stats().rtp_malformed, 0);
}

#[test]
fn loss_is_counted_from_sequence_numbers() {
    let mut p = Pair::new(
        14,
        NetConfig {
            loss: 0.1,
            jitter_ms: 15.0,
            ..NetConfig::default()
        },
    );
    p.lossy = |b| !media::rtcp::is_rtcp(b);
    p.run(1000);
    let b = p.b.session.stats();
    let lost = 1000 - b.rtp_received;
    assert!(b.rtp_lost.abs_diff(lost) <= 2, "{b:?}");
    assert!((70..=130).contains(&lost), "seeded 10 % loss: {lost}");
    assert!(b.interarrival_jitter_ms > 0);
}

#[test]
fn garbage_never_panics_and_is_counted() {
    let mut p = Pair::new(15, NetConfig::default());
    let mut rng = rtp_net::Rng(99);
    let mut malformed = 0;
    for i in 0..2000 {
        let len = (rng.next() % 200) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if i % 3 == 0 && len >= 12 {
            bytes[0] = 0x80 | (bytes[0] & 0x3F); // version 2: reach deeper
        }
        if media::rtp::RtpPacket::parse(&bytes).is_err() && !media::rtcp::is_rtcp(&bytes) {
            malformed += 1;
        }
        p.inject(addr("198.51.100.1:1"), p.a.rtp, bytes.clone());
        p.inject(addr("198.51.100.1:2"), p.a.rtcp, bytes);
        if i % 20 == 0 {
            p.tick(&[0; 160], &[0; 160]);
        }
    }
    p.tick(&[0; 160], &[0; 160]);
    assert_eq!(p.a.session.stats().rtp_malformed, malformed);
    assert_eq!(p.a.heard.len() % 160, 0);
}
