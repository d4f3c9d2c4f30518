//! Retransmission timing on the wire, end to end, against RFC 3261 Table 4 (T1 = 500 ms,
//! T2 = 4 s, T4 = 5 s, Timer D = 32 s), and with other configured values.

// Test helpers outside #[test] functions unwrap too (clippy.toml only covers #[test]).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use sip::msg::NameAddr;
use sip::{Config, Dial, Event, TimerConfig};

const A: &str = "127.0.0.1:5070";
const B: &str = "127.0.0.2:5080";

fn dial(to: &str) -> Dial {
    let mut d = Dial::new(
        NameAddr::parse("<sip:a@127.0.0.1>").unwrap(),
        NameAddr::parse(to).unwrap(),
    );
    d.body = Some(sdp("offer"));
    d
}

#[test]
fn invite_to_a_black_hole_timer_a_and_b() {
    let mut net = Net::new(1, 0.0);
    let a = net.endpoint(&[A], 1);
    let t0 = net.now;
    net.ep(a).dial(t0, dial("<sip:b@127.0.0.99:5060>")).unwrap();
    net.run_for(Duration::from_secs(40));
    let sent = net.sent_by(a, |s| s.is_request("INVITE"));
    assert_eq!(
        net.offsets_ms(&sent, t0),
        vec![0, 500, 1500, 3500, 7500, 15500, 31500]
    );
    let (at, _) = net
        .find_event(
            a,
            |e| matches!(e, Event::CallFailed { status, .. } if status.code() == 408),
        )
        .unwrap();
    assert_eq!((at - t0).as_millis(), 32_000);
    net.run_for(Duration::from_secs(40));
    assert!(net.ep(a).is_idle());
}

#[test]
fn unacknowledged_error_response_timer_g_and_h() {
    let mut net = Net::new(1, 0.0);
    let a = net.endpoint(&[A], 1);
    let b = net.endpoint(&[B], 2);
    net.drop_filter = Some(Box::new(|s: &Sent| s.is_request("ACK")));
    let now = net.now;
    net.ep(a).dial(now, dial("<sip:b@127.0.0.2:5080>")).unwrap();
    net.run_for(Duration::from_millis(50));
    let Some((_, Event::IncomingCall { call, .. })) =
        net.find_event(b, |e| matches!(e, Event::IncomingCall { .. }))
    else {
        panic!()
    };
    let t0 = net.now;
    net.ep(b).reject(t0, call, 486, None).unwrap();
    net.run_for(Duration::from_secs(40));
    let sent = net.sent_by(b, |s| s.is_response(486, "INVITE"));
    // Timer G: T1 doubling to T2, until Timer H (64*T1).
    assert_eq!(
        net.offsets_ms(&sent, t0),
        vec![
            0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
    );
    // A's transaction answered each 486 with an ACK (dropped on the wire here), and
    // reported the failure once.
    assert_eq!(net.sent_by(a, |s| s.is_request("ACK")).len(), sent.len());
    assert_eq!(
        net.events(a)
            .iter()
            .filter(|e| matches!(e, Event::CallFailed { .. }))
            .count(),
        1
    );
}

#[test]
fn retransmitted_bye_is_answered_from_the_transaction_until_timer_j() {
    let mut net = Net::new(1, 0.0);
    let a = net.endpoint(&[A], 1);
    let b = net.endpoint(&[B], 2);
    let now = net.now;
    let ca = net.ep(a).dial(now, dial("<sip:b@127.0.0.2:5080>")).unwrap();
    net.run_for(Duration::from_millis(50));
    let Some((_, Event::IncomingCall { call: cb, .. })) =
        net.find_event(b, |e| matches!(e, Event::IncomingCall { .. }))
    else {
        panic!()
    };
    let now = net.now;
    net.ep(b).accept(now, cb, Some(sdp("answer"))).unwrap();
    net.run_for(Duration::from_millis(50));
    // B's 200 to the BYE is lost three times: A retransmits (Timer E), B answers each from
    // its non-INVITE server transaction without a second CallEnded.
    let mut lost = 0;
    net.drop_filter = Some(Box::new(move |s: &Sent| {
        if s.is_response(200, "BYE") && lost < 3 {
            lost += 1;
            return true;
        }
        false
    }));
    let t0 = net.now;
    net.ep(a).bye(t0, ca).unwrap();
    net.run_for(Duration::from_secs(10));
    let byes = net.sent_by(a, |s| s.is_request("BYE"));
    assert_eq!(net.offsets_ms(&byes, t0), vec![0, 500, 1500, 3500]);
    assert_eq!(net.sent_by(b, |s| s.is_response(200, "BYE")).len(), 4);
    assert_eq!(
        net.events(b)
            .iter()
            .filter(|e| matches!(e, Event::CallEnded { .. }))
            .count(),
        1
    );
}

#[test]
fn configured_timer_values_are_used() {
    let mut net = Net::new(1, 0.0);
    let mut cfg = Config::with_local_addrs([addr(A)]);
    cfg.timers = TimerConfig {
        t1: Duration::from_millis(200),
        t2: Duration::from_millis(1000),
        t4: Duration::from_secs(2),
        timer_d: Duration::from_secs(10),
    };
    let a = net.endpoint_with(cfg, 1);
    let t0 = net.now;
    net.ep(a).dial(t0, dial("<sip:b@127.0.0.99:5060>")).unwrap();
    net.run_for(Duration::from_secs(20));
    let sent = net.sent_by(a, |s| s.is_request("INVITE"));
    // T1 = 200 ms: 0, .2, .6, 1.4, 3.0, 6.2, 12.6; Timer B = 64*T1 = 12.8 s.
    assert_eq!(
        net.offsets_ms(&sent, t0),
        vec![0, 200, 600, 1400, 3000, 6200, 12600]
    );
    let (at, _) = net
        .find_event(a, |e| matches!(e, Event::CallFailed { .. }))
        .unwrap();
    assert_eq!((at - t0).as_millis(), 12_800);
}
