//! RTCP: the demultiplexer, the lenient compound reader (every packet and report block
//! visited), and a session's RTCP input, including over the RTP port (rtcp-mux).
#![no_main]

use std::net::SocketAddr;
use std::time::{Instant, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use media::rtcp::{RtcpPacket, is_rtcp, packets};
use media::rtp::{MAX_DATAGRAM, MediaSession, SessionConfig};

fuzz_target!(|data: &[u8]| {
    let _ = is_rtcp(data);
    for p in packets(data) {
        match p {
            Ok(RtcpPacket::SenderReport { blocks, .. })
            | Ok(RtcpPacket::ReceiverReport { blocks, .. }) => {
                for b in blocks {
                    let _ = b.cumulative_lost;
                }
            }
            Ok(RtcpPacket::Bye { sources, reason }) => {
                let _ = sources.count();
                let _ = reason.map(<[u8]>::len);
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    let t0 = Instant::now();
    let from: SocketAddr = "192.0.2.1:4001".parse().unwrap();
    let mut s = MediaSession::new(t0, SessionConfig::new(2, UNIX_EPOCH));
    s.handle_rtcp(t0, from, data);
    s.handle_rtp(t0, from, data);
    let mut out = [0u8; MAX_DATAGRAM];
    while s.poll_transmit(t0, &mut out).is_some() {}
    while s.poll_event().is_some() {}
});
