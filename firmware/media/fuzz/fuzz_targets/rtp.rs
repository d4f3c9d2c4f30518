//! RTP: the packet parser, then a configured MediaSession driven by a script read from the
//! input (datagrams from the expected and a foreign source, RTCP, ticks, time steps, DTMF,
//! mute, close). Any panic, and any frame that is not exactly 160 samples, is a bug.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use media::g711::Law;
use media::rtp::{MAX_DATAGRAM, MediaSession, RtpPacket, SessionConfig};
use media::sdp::{Direction, NegotiatedMedia, PayloadFormat};
use media::telephone_event::Digit;

fuzz_target!(|data: &[u8]| {
    let _ = RtpPacket::parse(data);

    let t0 = Instant::now();
    let peer: SocketAddr = "192.0.2.1:4000".parse().unwrap();
    let other: SocketAddr = "192.0.2.99:4000".parse().unwrap();
    let mut config = SessionConfig::new(1, UNIX_EPOCH);
    config.rtp_timeout = Some(Duration::from_secs(2));
    let mut s = MediaSession::new(t0, config);
    let mut negotiated = NegotiatedMedia {
        remote_rtp: Some(peer),
        remote_rtcp: Some("192.0.2.1:4001".parse().unwrap()),
        rtcp_mux: false,
        direction: Direction::SendRecv,
        send_codec: PayloadFormat { payload_type: 0, law: Law::Ulaw },
        receive_codecs: vec![
            PayloadFormat { payload_type: 0, law: Law::Ulaw },
            PayloadFormat { payload_type: 8, law: Law::Alaw },
        ],
        send_telephone_event: Some(101),
        receive_telephone_events: vec![101, 96],
        ptime_ms: 20,
    };
    s.configure(t0, &negotiated);
    let mut now = t0;
    let mut out = [0u8; MAX_DATAGRAM];
    let mut rest = data;
    while let [op, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (body, next) = tail.split_at(n);
        rest = next;
        match op % 10 {
            0 => s.handle_rtp(now, peer, body),
            1 => s.handle_rtp(now, other, body),
            2 => s.handle_rtcp(now, peer, body),
            3 => assert_eq!(s.pop_frame(now).len(), 160),
            4 => {
                let mut frame = [0i16; 160];
                for (f, b) in frame.iter_mut().zip(body) {
                    *f = i16::from(*b as i8) << 8;
                }
                s.push_frame(now, &frame);
            }
            5 => now += Duration::from_millis(u64::from(*len) * 20),
            6 => {
                if let Some(d) = body.first().and_then(|&c| Digit::from_code(c % 17)) {
                    let ms = body.get(1).map_or(100, |&m| u16::from(m) * 40);
                    let _ = s.send_dtmf(d, ms);
                }
            }
            7 => s.set_muted(len % 2 == 0),
            8 => {
                negotiated.direction = match len % 4 {
                    0 => Direction::SendRecv,
                    1 => Direction::SendOnly,
                    2 => Direction::RecvOnly,
                    _ => Direction::Inactive,
                };
                negotiated.ptime_ms = u32::from(*len % 7) * 10;
                negotiated.rtcp_mux = len % 3 == 0;
                s.configure(now, &negotiated);
            }
            _ => {
                s.handle_timeout(now);
                if *len == 255 {
                    s.close();
                }
            }
        }
        while let Some(t) = s.poll_transmit(now, &mut out) {
            assert!(t.len <= out.len());
        }
        while s.poll_event().is_some() {}
        let _ = s.stats();
        let _ = s.poll_timeout();
    }
});
