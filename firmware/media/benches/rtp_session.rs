//! One leg's whole 20 ms tick (receive a datagram, pop a frame, push a frame, write the
//! outgoing datagram) against the least any RTP leg must do: G.711-decode 160 bytes, encode
//! 160 samples and copy a 172-byte datagram. Also RTP parse against a bare header read.
//! `cargo bench -p media --bench rtp_session`

#![allow(clippy::unwrap_used)] // a bench binary: inputs are ours, a panic is a bug report

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant, UNIX_EPOCH};

use media::g711::Law;
use media::rtp::{MAX_DATAGRAM, MediaSession, RtpHeader, RtpPacket, SessionConfig};
use media::sdp::{LocalMedia, SdpSession};

fn measure(mut f: impl FnMut()) -> f64 {
    let iters = 20_000;
    for _ in 0..iters {
        f();
    }
    let mut rounds: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_nanos() as f64 / iters as f64
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[3]
}

fn main() {
    let payload: Vec<u8> = (0..160).map(|i| (i * 7) as u8).collect();
    let frame = [1234i16; 160];

    // Reference: decode + encode + copy.
    let mut pcm = [0i16; 160];
    let mut enc = [0u8; 172];
    let mut wire = [0u8; 172];
    let reference = measure(|| {
        Law::Ulaw.decode(black_box(&payload), &mut pcm);
        Law::Ulaw.encode(black_box(&frame), &mut enc[12..]);
        wire.copy_from_slice(&enc);
        black_box(&wire);
    });

    // A configured leg fed one packet per tick from a peer.
    let t0 = Instant::now();
    let peer: SocketAddr = "192.0.2.2:5000".parse().unwrap();
    let mut sa = SdpSession::new(1);
    let mut sb = SdpSession::new(2);
    let offer = sa.create_offer(&LocalMedia::new("192.0.2.1".parse().unwrap(), 4000));
    let (answer, _) = sb
        .answer(&offer, &LocalMedia::new(peer.ip(), peer.port()))
        .unwrap();
    let negotiated = sa.accept_answer(&answer).unwrap();
    let mut leg = MediaSession::new(t0, SessionConfig::new(1, UNIX_EPOCH));
    leg.configure(t0, &negotiated);
    let mut seq = 0u16;
    let mut now = t0;
    let mut incoming = [0u8; 172];
    let mut out = [0u8; MAX_DATAGRAM];
    let tick = measure(|| {
        now += Duration::from_millis(20);
        let n = RtpHeader {
            marker: false,
            payload_type: 0,
            sequence: seq,
            timestamp: u32::from(seq) * 160,
            ssrc: 42,
        }
        .write(&payload, &mut incoming)
        .unwrap();
        seq = seq.wrapping_add(1);
        leg.handle_rtp(now, peer, black_box(&incoming[..n]));
        black_box(leg.pop_frame(now));
        leg.push_frame(now, black_box(&frame));
        while let Some(t) = leg.poll_transmit(now, &mut out) {
            black_box(t);
        }
        while leg.poll_event().is_some() {}
    });

    let parse_ref = measure(|| {
        let b = black_box(&incoming);
        black_box(u16::from_be_bytes([b[2], b[3]]) ^ (b[1] as u16));
    });
    let parse = measure(|| {
        black_box(RtpPacket::parse(black_box(&incoming)).ok());
    });

    println!("reference (decode + encode + copy, one tick): {reference:8.1} ns");
    println!(
        "MediaSession tick (rx, pop, push, tx):         {tick:8.1} ns  ratio {:.2}",
        tick / reference
    );
    println!(
        "  = {:.3} % of a 20 ms tick per leg on this machine",
        tick / 20e6 * 100.0
    );
    println!("reference (read two header bytes):            {parse_ref:8.1} ns");
    println!(
        "RtpPacket::parse (RFC 5761 check + rtp-rs):    {parse:8.1} ns  ratio {:.2}",
        parse / parse_ref
    );
}
