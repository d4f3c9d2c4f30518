//! Messages per second through the sans-IO core on one core, beside the floor: copying the
//! same bytes.
//!
//! `cargo bench -p sip --bench throughput` (a plain bench binary: it prints one table).
//! Each line is the median of several rounds over the same set of distinct datagrams.
//! The endpoint lines include everything a datagram costs here: parsing, Via stamping,
//! transaction matching and creation, building and serialising the response through rsip,
//! and timers (the virtual clock advances 10 ms per message (100 messages/s arriving), so transactions expire as
//! they would and the tables stay at their steady-state size).

// A bench binary: unwraps on its own fixed inputs are fine.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sip::msg::{Limits, parse};
use sip::{Config, Endpoint, Event};

const N: usize = 20_000;

fn options(i: usize) -> Vec<u8> {
    format!(
        "OPTIONS sip:box@127.0.0.1:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK{i:08}x;rport\r\n\
         Max-Forwards: 70\r\n\
         From: \"Monitor\" <sip:mon@127.0.0.2>;tag=f{i}\r\n\
         To: <sip:box@127.0.0.1>\r\n\
         Call-ID: opt{i}@127.0.0.2\r\n\
         CSeq: 1 OPTIONS\r\n\
         Contact: <sip:mon@127.0.0.2:5070>\r\n\
         User-Agent: bench\r\n\
         Accept: application/sdp\r\n\
         Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

const SDP: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n";

fn invite(i: usize) -> Vec<u8> {
    format!(
        "INVITE sip:box@127.0.0.1:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK{i:08}i;rport\r\n\
         Max-Forwards: 70\r\n\
         From: \"Caller\" <sip:c@127.0.0.2>;tag=f{i}\r\n\
         To: <sip:box@127.0.0.1>\r\n\
         Call-ID: call{i}@127.0.0.2\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:c@127.0.0.2:5070>\r\n\
         Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{SDP}",
        SDP.len()
    )
    .into_bytes()
}

fn in_dialog(method: &str, i: usize, to_tag: &str, seq: u32) -> Vec<u8> {
    format!(
        "{method} sip:box@127.0.0.1:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bK{i:08}{method};rport\r\n\
         Max-Forwards: 70\r\n\
         From: \"Caller\" <sip:c@127.0.0.2>;tag=f{i}\r\n\
         To: <sip:box@127.0.0.1>;tag={to_tag}\r\n\
         Call-ID: call{i}@127.0.0.2\r\n\
         CSeq: {seq} {method}\r\n\
         Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

/// Median seconds per round of `f`.
fn measure(rounds: usize, mut f: impl FnMut() -> usize) -> (f64, usize) {
    let mut times = Vec::new();
    let mut count = 0;
    f(); // warm-up
    for _ in 0..rounds {
        let t = Instant::now();
        count = f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], count)
}

fn main() {
    let local: SocketAddr = "127.0.0.1:5060".parse().unwrap();
    let remote: SocketAddr = "127.0.0.2:5070".parse().unwrap();
    let opts: Vec<Vec<u8>> = (0..N).map(options).collect();
    let avg_len = opts.iter().map(Vec::len).sum::<usize>() / N;

    let mut buf = Vec::with_capacity(2048);
    let (copy, n) = measure(9, || {
        for d in &opts {
            buf.clear();
            buf.extend_from_slice(black_box(d));
            black_box(&buf);
        }
        opts.len()
    });
    let per = |secs: f64, n: usize| secs / n as f64 * 1e9;
    let copy_ns = per(copy, n);

    let limits = Limits::default();
    let (p, n) = measure(5, || {
        for d in &opts {
            black_box(parse(black_box(d), &limits).ok());
        }
        opts.len()
    });
    let parse_ns = per(p, n);

    // Building (through rsip) the 200 OK an OPTIONS gets.
    let sample = match parse(&opts[0], &limits) {
        Ok(sip::msg::Message::Request(r)) => r,
        _ => panic!("bad sample"),
    };
    let mut ok = sip::msg::Response::to_request(&sample, sip::msg::StatusCode::OK, None);
    ok.to.set_tag("abcdefghij");
    ok.headers.push(
        sip::msg::HeaderName::Allow,
        "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO",
    );
    ok.headers
        .push(sip::msg::HeaderName::Accept, "application/sdp");
    ok.headers
        .push(sip::msg::HeaderName::Server, "dsmbox/0.1.0");
    let (e, n) = measure(5, || {
        for _ in 0..N {
            black_box(black_box(&ok).to_bytes());
        }
        N
    });
    let emit_ns = per(e, n);

    // OPTIONS in, 200 OK out, through a server transaction.
    let (o, n) = measure(5, || {
        let mut ep = Endpoint::new(Config::with_local_addrs([local]), 1);
        let mut now = Instant::now();
        let mut out = 0;
        for d in &opts {
            now += Duration::from_millis(10);
            ep.handle_datagram(now, local, remote, d);
            if ep.poll_timeout().is_some_and(|t| t <= now) {
                ep.handle_timeout(now);
            }
            while let Some(t) = ep.poll_transmit() {
                out += t.payload.len();
            }
        }
        black_box(out);
        opts.len()
    });
    let options_ns = per(o, n);

    // A whole incoming call: INVITE (100 Trying), accept (200 with SDP), ACK, BYE (200).
    let calls = N / 4;
    let invites: Vec<Vec<u8>> = (0..calls).map(invite).collect();
    let (c, msgs) = measure(5, || {
        let mut ep = Endpoint::new(Config::with_local_addrs([local]), 1);
        let mut now = Instant::now();
        let mut msgs = 0;
        for (i, inv) in invites.iter().enumerate() {
            now += Duration::from_millis(10);
            ep.handle_datagram(now, local, remote, inv);
            let Some(Event::IncomingCall { call, .. }) = ep.poll_event() else {
                panic!("no call")
            };
            ep.accept(now, call, Some(sip::msg::Body::sdp(SDP)))
                .unwrap();
            // Our To tag, from the 200 on the wire.
            let mut tag = String::new();
            while let Some(t) = ep.poll_transmit() {
                if let Ok(sip::msg::Message::Response(r)) = parse(&t.payload, &limits)
                    && let Some(tg) = r.to.tag()
                {
                    tag = tg.to_owned();
                }
            }
            ep.handle_datagram(now, local, remote, &in_dialog("ACK", i, &tag, 1));
            ep.handle_datagram(now, local, remote, &in_dialog("BYE", i, &tag, 2));
            while ep.poll_transmit().is_some() {}
            while ep.poll_event().is_some() {}
            if ep.poll_timeout().is_some_and(|t| t <= now) {
                ep.handle_timeout(now);
            }
            msgs += 3;
        }
        msgs
    });
    // The parse of our own 200 (to learn the tag) is test scaffolding: subtract it.
    let (tagparse, _) = measure(5, || {
        let mut ep = Endpoint::new(Config::with_local_addrs([local]), 1);
        let now = Instant::now();
        ep.handle_datagram(now, local, remote, &invites[0]);
        let Some(Event::IncomingCall { call, .. }) = ep.poll_event() else {
            panic!()
        };
        ep.accept(now, call, Some(sip::msg::Body::sdp(SDP)))
            .unwrap();
        let mut last = Vec::new();
        while let Some(t) = ep.poll_transmit() {
            last = t.payload;
        }
        for _ in 0..calls {
            black_box(parse(black_box(&last), &limits).ok());
        }
        calls
    });
    let call_ns = (c - tagparse) / calls as f64 * 1e9;

    println!("sip throughput, one core, {N} distinct datagrams of ~{avg_len} bytes");
    println!(
        "{:<52} {:>10} {:>14} {:>8}",
        "what", "ns/msg", "msgs/s", "x copy"
    );
    let row = |name: &str, ns: f64| {
        println!(
            "{name:<52} {ns:>10.1} {:>14.0} {:>8.1}",
            1e9 / ns,
            ns / copy_ns
        );
    };
    row("copy the bytes (floor)", copy_ns);
    row("parse only (msg::parse)", parse_ns);
    row("build a 200 OK through rsip (Response::to_bytes)", emit_ns);
    row(
        "endpoint: OPTIONS in, 200 out (server transaction)",
        options_ns,
    );
    println!(
        "{:<52} {:>10.1} {:>14.0} {:>8.1}",
        "endpoint: incoming call INVITE/200/ACK/BYE, per msg in",
        call_ns / 3.0,
        3e9 / call_ns,
        call_ns / 3.0 / copy_ns
    );
    println!(
        "  (= {:.0} whole calls/s; each call: 3 datagrams in, 4 out)",
        1e9 / call_ns
    );
    let _ = msgs;
}
