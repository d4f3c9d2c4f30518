//! Proof that the 20 ms path does not allocate: two configured legs exchange audio, RTCP and
//! RFC 4733 digits for 30 simulated seconds under a counting global allocator, and the
//! count over that stretch must be zero. Its own binary without the test harness, so no
//! other thread allocates while we count.

#![allow(clippy::unwrap_used)] // a test binary: a panic is the failure report

use std::alloc::System;
use std::net::SocketAddr;
use std::time::{Duration, Instant, UNIX_EPOCH};

use media::rtp::{MAX_DATAGRAM, MediaSession, SessionConfig};
use media::sdp::{LocalMedia, SdpSession, SessionDescription};
use media::telephone_event::Digit;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn main() {
    // Setup may allocate: SDP is signalling, not the media path.
    let t0 = Instant::now();
    let a_addr: SocketAddr = "192.0.2.1:4000".parse().unwrap();
    let b_addr: SocketAddr = "192.0.2.2:5000".parse().unwrap();
    let mut sa = SdpSession::new(1);
    let mut sb = SdpSession::new(2);
    let offer = sa.create_offer(&LocalMedia::new(a_addr.ip(), a_addr.port()));
    let offer = SessionDescription::parse_str(&offer.to_string()).unwrap();
    let (answer, nb) = sb
        .answer(&offer, &LocalMedia::new(b_addr.ip(), b_addr.port()))
        .unwrap();
    let na = sa.accept_answer(&answer).unwrap();
    let mut config = SessionConfig::new(5, UNIX_EPOCH);
    config.rtp_timeout = Some(Duration::from_secs(10));
    let mut a = MediaSession::new(t0, config.clone());
    config.seed = 6;
    let mut b = MediaSession::new(t0, config);
    a.configure(t0, &na);
    b.configure(t0, &nb);
    let digit = Digit::from_char('7').unwrap();

    let mut buf = [0u8; MAX_DATAGRAM];
    let mut frame = [0i16; 160];
    let mut now = t0;
    let mut heard = 0i64;
    let mut datagrams = 0u64;
    let mut events = 0u64;

    let region = Region::new(GLOBAL);
    for tick in 0..1500u32 {
        now += Duration::from_millis(20);
        for (i, s) in frame.iter_mut().enumerate() {
            *s = ((tick as usize * 160 + i) % 64) as i16 * 100 - 3200;
        }
        if tick % 200 == 50 {
            a.send_dtmf(digit, 120).unwrap();
        }
        if tick == 1400 {
            a.set_muted(true);
        }
        let (h, d, e) = step(&mut a, &mut b, a_addr, now, &frame, &mut buf);
        heard += h;
        datagrams += d;
        events += e;
        let (h, d, e) = step(&mut b, &mut a, b_addr, now, &frame, &mut buf);
        heard += h;
        datagrams += d;
        events += e;
    }
    let change = region.change();
    a.close();
    while a.poll_transmit(now, &mut buf).is_some() {}

    let stats = b.stats();
    println!(
        "30 s of two legs: {datagrams} datagrams, {events} events, B received {} RTP, \
         {} RTCP; allocations {}, reallocations {}, bytes {}",
        stats.rtp_received,
        stats.rtcp_received,
        change.allocations,
        change.reallocations,
        change.bytes_allocated
    );
    let _ = heard;
    // The scenario must really have exercised the path.
    assert!(stats.rtp_received > 1350 && stats.rtcp_received >= 4 && events >= 7);
    if change.allocations + change.reallocations == 0 {
        println!("test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out");
    } else {
        println!("test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out");
        std::process::exit(1);
    }
}

/// One leg's tick: pop, push, send to the other leg, timers, events.
fn step(
    me: &mut MediaSession,
    other: &mut MediaSession,
    me_addr: SocketAddr,
    now: Instant,
    frame: &media::Frame,
    buf: &mut [u8; MAX_DATAGRAM],
) -> (i64, u64, u64) {
    let heard = i64::from(me.pop_frame(now)[17]);
    me.push_frame(now, frame);
    let mut datagrams = 0;
    while let Some(t) = me.poll_transmit(now, buf) {
        datagrams += 1;
        match t.channel {
            media::rtp::Channel::Rtp => other.handle_rtp(now, me_addr, &buf[..t.len]),
            media::rtp::Channel::Rtcp => other.handle_rtcp(now, me_addr, &buf[..t.len]),
        }
    }
    if let Some(deadline) = me.poll_timeout()
        && deadline <= now
    {
        me.handle_timeout(now);
    }
    let mut events = 0;
    while me.poll_event().is_some() {
        events += 1;
    }
    (heard, datagrams, events)
}
