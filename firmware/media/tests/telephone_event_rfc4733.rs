//! RFC 4733 end to end: what we send (timing, marker, shared timestamp, end triple, gap, voice
//! suppression) and what we report (one digit per event whatever the network did: lost
//! starts, lost or repeated ends, reordering, long events past 0xFFFF, short payloads).

#![allow(clippy::unwrap_used)] // a test binary: a panic is the failure report

mod rtp_net;

use std::time::{Duration, Instant};

use media::rtp::{MediaEvent, RtpHeader};
use media::telephone_event::{Digit, EventPayload, EventReceiver, ReceivedEvent};
use rtp_net::{NetConfig, Pair};

fn te(event: u8, end: bool, duration: u16) -> [u8; 4] {
    EventPayload {
        event,
        end,
        volume: 10,
        duration,
    }
    .to_bytes()
}

fn te_packet(seq: u16, ts: u32, marker: bool, payload: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; 12 + payload.len()];
    let n = RtpHeader {
        marker,
        payload_type: 101,
        sequence: seq,
        timestamp: ts,
        ssrc: 0xD7F,
    }
    .write(payload, &mut buf)
    .unwrap();
    buf.truncate(n);
    buf
}

#[test]
fn a_sequence_is_sent_with_rfc_4733_timing() {
    let mut p = Pair::new(21, NetConfig::default());
    p.run(5);
    p.a.session.send_dtmf_str("12#", 100).unwrap();
    p.run(60);
    let sent = p.a.rtp_sent();
    let events: Vec<_> = sent
        .iter()
        .filter(|(_, h, _)| h.payload_type == 101)
        .collect();
    // Per digit: 4 updates (160..640) + end ×3 at 800 = 7 packets.
    assert_eq!(events.len(), 21);
    let mut starts = Vec::new();
    for (d, chunk) in events.chunks(7).enumerate() {
        let code = [1u8, 2, 11][d];
        let ts = chunk[0].1.timestamp;
        starts.push((chunk[0].0, ts));
        let got: Vec<_> = chunk
            .iter()
            .map(|(_, h, pl)| {
                let e = EventPayload::parse(pl).unwrap();
                assert_eq!(h.timestamp, ts, "one timestamp per event");
                assert_eq!(e.event, code);
                (h.marker, e.end, e.duration)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (true, false, 160),
                (false, false, 320),
                (false, false, 480),
                (false, false, 640),
                (false, true, 800),
                (false, true, 800),
                (false, true, 800),
            ]
        );
        // One packet per 20 ms tick.
        for w in chunk.windows(2) {
            assert_eq!(w[1].0 - w[0].0, Duration::from_millis(20));
        }
    }
    // A new timestamp per digit, the tone plus at least the 80 ms gap apart.
    for w in starts.windows(2) {
        let dts = w[1].1.wrapping_sub(w[0].1);
        assert!(dts >= 800 + 640, "timestamps {dts} apart");
        assert!(w[1].0 - w[0].0 >= Duration::from_millis(180));
    }
    // Sequence numbers run on across voice and events.
    for w in sent.windows(2) {
        assert_eq!(w[1].1.sequence, w[0].1.sequence.wrapping_add(1));
    }
    // No voice while an event is being sent (start to last end), and voice restarts with the
    // marker bit.
    let first = events[0].0;
    for d in 0..3 {
        let (from, to) = (events[d * 7].0, events[d * 7 + 6].0);
        assert!(
            sent.iter()
                .all(|(t, h, _)| h.payload_type == 101 || *t < from || *t > to),
            "voice inside digit {d}"
        );
    }
    let voice_after: Vec<_> = sent
        .iter()
        .filter(|(t, h, _)| h.payload_type == 0 && *t > first)
        .collect();
    assert!(voice_after[0].1.marker);
    // B hears each digit once, with its duration.
    assert_eq!(p.b.dtmf_heard(), vec![('1', 100), ('2', 100), ('#', 100)]);
}

#[test]
fn long_and_short_digits_are_clamped() {
    let mut p = Pair::new(22, NetConfig::default());
    p.a.session
        .send_dtmf(Digit::from_char('5').unwrap(), 10)
        .unwrap();
    p.a.session
        .send_dtmf(Digit::from_char('6').unwrap(), 60_000)
        .unwrap();
    p.run(500);
    assert_eq!(p.b.dtmf_heard(), vec![('5', 40), ('6', 8000)]);
}

#[test]
fn dtmf_needs_negotiation_and_valid_keys() {
    let mut p = Pair::with(
        23,
        NetConfig::default(),
        |_| {},
        |_| {},
        |mut l| {
            l.telephone_event_pt = None;
            l
        },
    );
    assert_eq!(
        p.a.session.send_dtmf(Digit::from_char('1').unwrap(), 100),
        Err(media::rtp::DtmfSendError::NotNegotiated)
    );
    let mut q = Pair::new(24, NetConfig::default());
    assert_eq!(
        q.a.session.send_dtmf_str("12x", 100),
        Err(media::rtp::DtmfSendError::InvalidDigit('x'))
    );
    assert!(!q.a.session.is_sending_dtmf(), "nothing queued on error");
    q.run(1);
    p.run(1);
}

#[test]
fn one_digit_per_event_over_a_lossy_reordering_network() {
    // 30 % loss and 40 ms of jitter on telephone-event packets only.
    let mut p = Pair::new(
        25,
        NetConfig {
            loss: 0.3,
            jitter_ms: 40.0,
            ..NetConfig::default()
        },
    );
    p.lossy = |b| b.len() > 1 && b[1] & 0x7F == 101;
    let digits = "0123456789*#ABCD0123456789";
    p.a.session.send_dtmf_str(digits, 120).unwrap();
    p.run(1000);
    let heard = p.b.dtmf_heard();
    let keys: String = heard.iter().map(|(c, _)| *c).collect();
    // Each digit has 9 packets; with 30 % loss all 9 vanish with probability 2e-5.
    assert_eq!(keys, digits, "exactly one report per digit, in order");
    // Durations: exact when an end packet arrived, otherwise what the updates showed.
    for (c, ms) in heard {
        assert!((20..=120).contains(&ms), "{c}: {ms} ms");
    }
}

#[test]
fn lost_start_packets_and_repeated_ends_give_one_digit() {
    let t = Instant::now();
    let mut r = EventReceiver::new();
    // The start (marker) and first update are lost; updates arrive twice each; the end comes
    // three times, then a stray late update.
    for d in [480u16, 480, 640, 640] {
        r.on_packet(t, 8000, false, &te(7, false, d)).unwrap();
    }
    for _ in 0..3 {
        r.on_packet(t, 8000, false, &te(7, true, 960)).unwrap();
    }
    r.on_packet(t, 8000, false, &te(7, false, 800)).unwrap();
    assert_eq!(
        r.poll_event(),
        Some(ReceivedEvent {
            event: 7,
            duration: 960,
            end_seen: true
        })
    );
    assert_eq!(r.poll_event(), None);
}

#[test]
fn ends_of_the_previous_digit_after_the_next_one_started() {
    let t = Instant::now();
    let mut r = EventReceiver::new();
    r.on_packet(t, 1000, true, &te(1, false, 160)).unwrap();
    r.on_packet(t, 1000, false, &te(1, true, 400)).unwrap();
    r.on_packet(t, 2000, true, &te(2, false, 160)).unwrap();
    // Reordered retransmissions of digit 1's end arrive now.
    r.on_packet(t, 1000, false, &te(1, true, 400)).unwrap();
    r.on_packet(t, 1000, false, &te(1, true, 400)).unwrap();
    r.on_packet(t, 2000, false, &te(2, true, 480)).unwrap();
    let got: Vec<_> = std::iter::from_fn(|| r.poll_event())
        .map(|e| (e.event, e.duration))
        .collect();
    assert_eq!(got, vec![(1, 400), (2, 480)]);
}

#[test]
fn a_long_event_across_the_duration_limit_is_one_digit() {
    // A 10 s key press (80 000 samples) sent as RFC 4733 §2.5.1.3 segments: the first
    // segment runs to 0xFFFF without an E bit, the second starts at ts + 0xFFFF without a
    // marker and ends normally.
    let t0 = Instant::now();
    let mut r = EventReceiver::new();
    let ts = 4_294_000_000u32; // wraps during the event
    let mut now = t0;
    let mut d: u32 = 160;
    let mut first = true;
    while d < 0xFFFF {
        r.on_packet(now, ts, first, &te(9, false, d as u16))
            .unwrap();
        first = false;
        d += 400;
        now += Duration::from_millis(50);
        r.handle_timeout(now);
    }
    r.on_packet(now, ts, false, &te(9, false, 0xFFFF)).unwrap();
    let ts2 = ts.wrapping_add(0xFFFF);
    let rest = 80_000 - 0xFFFF;
    let mut d2: u32 = 400;
    while d2 < rest {
        now += Duration::from_millis(50);
        r.on_packet(now, ts2, false, &te(9, false, d2 as u16))
            .unwrap();
        r.handle_timeout(now);
        d2 += 400;
    }
    for _ in 0..3 {
        r.on_packet(now, ts2, false, &te(9, true, rest as u16))
            .unwrap();
    }
    assert_eq!(
        r.poll_event(),
        Some(ReceivedEvent {
            event: 9,
            duration: 80_000,
            end_seen: true
        })
    );
    assert_eq!(r.poll_event(), None, "no double report");
}

#[test]
fn short_payloads_are_rejected_through_the_session() {
    let mut p = Pair::new(26, NetConfig::default());
    p.a.session.set_muted(true); // the injected packets are A's only stream
    p.run(2);
    let from = p.a.rtp;
    let to = p.b.rtp;
    for (i, len) in [0usize, 1, 2, 3].into_iter().enumerate() {
        let payload = &te(5, true, 800)[..len];
        p.inject(from, to, te_packet(100 + i as u16, 5000, i == 0, payload));
    }
    p.run(30);
    let stats = p.b.session.stats();
    assert_eq!((stats.rtp_malformed, stats.rtp_dropped), (4, 0));
    assert!(p.b.dtmf_heard().is_empty());
}

#[test]
fn a_digit_whose_end_is_lost_is_reported_after_silence() {
    let mut p = Pair::new(27, NetConfig::default());
    p.a.session.set_muted(true); // no voice from A to close the event
    p.run(2);
    let from = p.a.rtp;
    let to = p.b.rtp;
    for (i, d) in [160u16, 320, 480].into_iter().enumerate() {
        p.inject(
            from,
            to,
            te_packet(200 + i as u16, 9000, i == 0, &te(4, false, d)),
        );
        p.run(1);
    }
    let sent_at = p.now;
    p.run(40);
    let (at, _) =
        p.b.events
            .iter()
            .find(|(_, e)| matches!(e, MediaEvent::Dtmf { .. }))
            .copied()
            .unwrap();
    assert_eq!(p.b.dtmf_heard(), vec![('4', 60)]);
    let waited = at - sent_at;
    assert!(
        waited >= Duration::from_millis(380) && waited <= Duration::from_millis(460),
        "{waited:?}"
    );
}

#[test]
fn non_digit_events_are_not_reported() {
    let mut p = Pair::new(28, NetConfig::default());
    p.a.session.set_muted(true);
    p.run(2);
    let (from, to) = (p.a.rtp, p.b.rtp);
    // Flash (16) and a tone event (70).
    p.inject(from, to, te_packet(300, 100, true, &te(16, true, 800)));
    p.inject(from, to, te_packet(301, 2000, true, &te(70, true, 800)));
    p.run(30);
    assert_eq!(
        p.b.session.stats().rtp_received,
        2,
        "received, just not digits"
    );
    assert!(p.b.dtmf_heard().is_empty());
    // A digit after them still comes through.
    p.inject(from, to, te_packet(302, 4000, true, &te(3, true, 800)));
    p.run(2);
    assert_eq!(p.b.dtmf_heard(), vec![('3', 100)]);
}
