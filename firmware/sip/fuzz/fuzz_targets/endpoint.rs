//! A whole endpoint fed datagrams, time jumps and commands decoded from the input. It must
//! never panic or loop, whatever arrives, and whatever the layer above asks in reply.
//!
//! Input: a sequence of records. First byte: the operation; for datagrams, two length bytes
//! then the datagram (a seed INVITE/response template is spliced in when asked, so that
//! the fuzzer reaches the call states quickly).
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use sip::msg::{Body, NameAddr, StatusCode};
use sip::{Config, Dial, Endpoint, Event, InDialogRequest, Reply};

const TEMPLATE: &[u8] = b"INVITE sip:bob@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bKfz;rport\r\nFrom: <sip:a@127.0.0.2>;tag=fa\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: fz1\r\nCSeq: 1 INVITE\r\nContact: <sip:a@127.0.0.2:5070>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n";

fuzz_target!(|data: &[u8]| {
    let local: SocketAddr = "127.0.0.1:5060".parse().unwrap();
    let remotes: [SocketAddr; 2] = ["127.0.0.2:5070".parse().unwrap(), "[::1]:5070".parse().unwrap()];
    let mut cfg = Config::with_local_addrs([local, "[::1]:5060".parse().unwrap()]);
    cfg.invite_timeout = Some(Duration::from_secs(5));
    let mut ep = Endpoint::new(cfg, 42);
    let start = Instant::now();
    let mut now = start;
    let mut calls = Vec::new();
    let mut requests = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let op = data[i];
        i += 1;
        match op % 8 {
            0 | 1 => {
                let len = data.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]) as usize).unwrap_or(0);
                i = (i + 2).min(data.len());
                let end = (i + len % 1500).min(data.len());
                let raw = &data[i..end];
                i = end;
                let datagram = if op % 8 == 1 {
                    // Splice fuzz bytes into the template.
                    let cut = if TEMPLATE.is_empty() { 0 } else { raw.first().copied().unwrap_or(0) as usize % TEMPLATE.len() };
                    let mut d = TEMPLATE[..cut].to_vec();
                    d.extend_from_slice(raw.get(1..).unwrap_or(&[]));
                    d
                } else {
                    raw.to_vec()
                };
                let remote = remotes[(op as usize / 8) % 2];
                ep.handle_datagram(now, if remote.is_ipv4() { local } else { "[::1]:5060".parse().unwrap() }, remote, &datagram);
            }
            2 => {
                let step = data.get(i).copied().unwrap_or(0);
                i += 1;
                now += Duration::from_millis(u64::from(step) * 250);
                ep.handle_timeout(now);
            }
            3 => {
                if let Some(&c) = calls.get((op as usize / 8) % calls.len().max(1)) {
                    let code = [180u16, 183, 200, 486, 603, 100][(op as usize / 8) % 6];
                    let _ = ep.reply(now, c, Reply::new(code).unwrap_or(Reply::status(StatusCode::OK)).with_body(Body::sdp("v=0\n")));
                }
            }
            4 => {
                if let Some(&c) = calls.get((op as usize / 8) % calls.len().max(1)) {
                    let _ = match op / 8 % 4 {
                        0 => ep.bye(now, c),
                        1 => ep.cancel(now, c),
                        2 => ep.hangup(now, c),
                        _ => ep.send_request(now, c, InDialogRequest::new(sip::msg::Method::Invite)).map(|_| ()),
                    };
                }
            }
            5 => {
                if let Some(&(c, r)) = requests.get((op as usize / 8) % requests.len().max(1)) {
                    let _ = ep.respond(now, c, r, Reply::status(StatusCode::OK));
                }
            }
            6 => {
                let to = if op & 8 == 0 { "<sip:x@127.0.0.2:5070>" } else { "<sip:x@[::1]:5070>" };
                if let (Ok(from), Ok(to)) = (NameAddr::parse("<sip:me@127.0.0.1>"), NameAddr::parse(to))
                    && let Ok(c) = ep.dial(now, Dial::new(from, to))
                {
                    calls.push(c);
                }
            }
            _ => {
                if let Some(&c) = calls.get((op as usize / 8) % calls.len().max(1)) {
                    let _ = ep.send_dtmf_info(now, c, '5', 100);
                }
            }
        }
        while ep.poll_transmit().is_some() {}
        while let Some(e) = ep.poll_event() {
            match e {
                Event::IncomingCall { call, .. } => calls.push(call),
                Event::InDialogRequest { call, request, .. } => requests.push((call, request)),
                _ => {}
            }
        }
        // poll_timeout must never point into the past after handle_timeout(now).
        if let Some(t) = ep.poll_timeout() {
            assert!(t > now || op % 8 != 2, "timer due at {t:?} left after handle_timeout({now:?})");
        }
    }
    // Whatever happened, a long quiet period drains everything but what the layer above
    // still owes an answer to.
    for _ in 0..250 {
        now += Duration::from_secs(8);
        ep.handle_timeout(now);
        while ep.poll_transmit().is_some() {}
        while ep.poll_event().is_some() {}
    }
});
