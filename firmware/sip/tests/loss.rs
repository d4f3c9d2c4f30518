//! Every transaction type through a lossy network (0 %, 10 %, 30 % of datagrams dropped, in
//! both directions, seeded): INVITE client/server with 2xx and with an error, re-INVITE,
//! non-INVITE client/server with INFO, BYE, CANCEL and REGISTER.
//!
//! For every seed the invariants must hold: each call reports exactly one terminal event on
//! each side, and both endpoints end idle (no leaked call, transaction or timer). How many
//! runs complete every step depends on luck at 30 %: a transaction gives up after 64*T1, so
//! a run fails when one message and all its retransmissions are lost (about 1 % per
//! transaction at 30 %). The thresholds below leave room for that and nothing more.

// Test helpers outside #[test] functions unwrap too (clippy.toml only covers #[test]).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use sip::msg::{HeaderName, Method, NameAddr, StatusCode, Uri};
use sip::{
    AccountConfig, Credentials, Dial, EndCause, Event, InDialogRequest, RegistrationState, Reply,
};

const A: &str = "127.0.0.1:5070";
const B: &str = "127.0.0.2:5080";
/// Seeds per scenario; `SIP_LOSS_SEEDS=1000` for a long soak.
fn seeds() -> u64 {
    std::env::var("SIP_LOSS_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
}

fn dial() -> Dial {
    let mut d = Dial::new(
        NameAddr::parse("<sip:alice@127.0.0.1>").unwrap(),
        NameAddr::parse("<sip:bob@127.0.0.2:5080>").unwrap(),
    );
    d.body = Some(sdp("offer"));
    d
}

fn wait(net: &mut Net, n: usize, secs: u64, f: impl Fn(&Event) -> bool + Copy) -> bool {
    net.run_until(|net| net.has_event(n, f), Duration::from_secs(secs))
}

thread_local! {
    /// (datagrams sent, datagrams dropped) over a sweep: checks the loss model itself.
    static WIRE: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
}

fn count_wire(net: &Net) {
    let dropped = net.log.iter().filter(|s| s.dropped).count();
    WIRE.with(|w| {
        let (s, d) = w.get();
        w.set((s + net.log.len(), d + dropped));
    });
}

/// Invariants that must hold whatever was lost.
fn check_invariants(net: &mut Net, nodes: &[usize]) {
    net.run_for(Duration::from_secs(200));
    // A call whose every BYE was lost stays up on the other side (no session timers here):
    // the application hangs up, as the firmware will on an RTP timeout.
    for &n in nodes {
        let terminal = terminal_events(net, n);
        for call in calls_seen(net, n) {
            if !terminal.contains_key(&call) {
                let now = net.now;
                net.ep(n).hangup(now, call).unwrap();
            }
        }
    }
    net.run_for(Duration::from_secs(200));
    count_wire(net);
    for &n in nodes {
        let terminal = terminal_events(net, n);
        for call in calls_seen(net, n) {
            assert_eq!(
                terminal.get(&call),
                Some(&1),
                "node {n} call {call:?}: {:?}",
                net.events(n)
            );
        }
        if !net.ep(n).is_idle() {
            for l in &net.log {
                eprintln!(
                    "{:>8?} {} {} -> {} {}",
                    l.at - net.start,
                    if l.dropped { "X" } else { " " },
                    l.from,
                    l.to,
                    l.first_line()
                );
            }
            eprintln!("events: {:?}", net.events(n));
            panic!("node {n} not idle: {} calls", net.ep(n).call_count());
        }
    }
}

/// INVITE (180, 200, ACK), INFO DTMF, re-INVITE, BYE. Returns whether every step completed.
fn full_call(loss: f64, seed: u64) -> bool {
    let mut net = Net::new(seed, loss);
    let a = net.endpoint(&[A], seed * 2 + 1);
    let b = net.endpoint(&[B], seed * 2 + 2);
    let now = net.now;
    let ca = net.ep(a).dial(now, dial()).unwrap();
    let ok = (|| {
        if !wait(&mut net, b, 40, |e| matches!(e, Event::IncomingCall { .. })) {
            return false;
        }
        let Some((_, Event::IncomingCall { call: cb, .. })) =
            net.find_event(b, |e| matches!(e, Event::IncomingCall { .. }))
        else {
            return false;
        };
        let now = net.now;
        net.ep(b)
            .reply(now, cb, Reply::status(StatusCode::RINGING))
            .unwrap();
        net.ep(b).accept(now, cb, Some(sdp("answer"))).unwrap();
        if !wait(&mut net, a, 40, |e| {
            matches!(e, Event::CallAnswered { .. } | Event::CallFailed { .. })
        }) {
            return false;
        }
        if !net.has_event(a, |e| matches!(e, Event::CallAnswered { .. }))
            || !wait(&mut net, b, 40, |e| {
                matches!(e, Event::CallConfirmed { .. } | Event::CallEnded { .. })
            })
            || !net.has_event(b, |e| matches!(e, Event::CallConfirmed { .. }))
        {
            return false;
        }
        let now = net.now;
        let info = net.ep(a).send_dtmf_info(now, ca, '7', 100).unwrap();
        if !wait(&mut net, a, 40, |e| {
            matches!(e, Event::InDialogResponse { .. })
        }) {
            return false;
        }
        if !net.has_event(a, |e| matches!(e, Event::InDialogResponse { request, status, .. } if *request == info && status.code() == 200))
            || !net.has_event(b, |e| matches!(e, Event::Dtmf { dtmf, .. } if dtmf.key() == '7'))
        {
            return false;
        }
        let now = net.now;
        let Ok(re) = net.ep(a).send_request(
            now,
            ca,
            InDialogRequest::new(Method::Invite).with_body(sdp("hold")),
        ) else {
            return false;
        };
        if !wait(&mut net, b, 40, |e| {
            matches!(e, Event::InDialogRequest { .. } | Event::CallEnded { .. })
        }) {
            return false;
        }
        let Some((_, Event::InDialogRequest { request, .. })) =
            net.find_event(b, |e| matches!(e, Event::InDialogRequest { .. }))
        else {
            return false;
        };
        let now = net.now;
        net.ep(b)
            .respond(
                now,
                cb,
                request,
                Reply::status(StatusCode::OK).with_body(sdp("held")),
            )
            .unwrap();
        if !wait(
            &mut net,
            a,
            40,
            |e| matches!(e, Event::InDialogResponse { request, .. } if *request == re),
        ) {
            return false;
        }
        if !net.has_event(a, |e| matches!(e, Event::InDialogResponse { request, status, .. } if *request == re && status.code() == 200)) {
            return false;
        }
        let now = net.now;
        if net.ep(b).bye(now, cb).is_err() {
            return false;
        }
        wait(&mut net, a, 40, |e| {
            matches!(
                e,
                Event::CallEnded {
                    cause: EndCause::RemoteBye,
                    ..
                }
            )
        })
    })();
    check_invariants(&mut net, &[a, b]);
    ok
}

/// INVITE answered 486: the error response, its retransmissions and the ACK.
fn rejected_call(loss: f64, seed: u64) -> bool {
    let mut net = Net::new(seed, loss);
    let a = net.endpoint(&[A], seed * 2 + 1);
    let b = net.endpoint(&[B], seed * 2 + 2);
    let now = net.now;
    net.ep(a).dial(now, dial()).unwrap();
    let ok = (|| {
        if !wait(&mut net, b, 40, |e| matches!(e, Event::IncomingCall { .. })) {
            return false;
        }
        let Some((_, Event::IncomingCall { call: cb, .. })) =
            net.find_event(b, |e| matches!(e, Event::IncomingCall { .. }))
        else {
            return false;
        };
        let now = net.now;
        net.ep(b).reject(now, cb, 486, None).unwrap();
        wait(
            &mut net,
            a,
            40,
            |e| matches!(e, Event::CallFailed { status, .. } if status.code() == 486),
        )
    })();
    check_invariants(&mut net, &[a, b]);
    ok
}

/// INVITE, 180, CANCEL: 200 to the CANCEL, 487 to the INVITE, ACK.
fn cancelled_call(loss: f64, seed: u64) -> bool {
    let mut net = Net::new(seed, loss);
    let a = net.endpoint(&[A], seed * 2 + 1);
    let b = net.endpoint(&[B], seed * 2 + 2);
    let now = net.now;
    let ca = net.ep(a).dial(now, dial()).unwrap();
    let mut cb_seen = None;
    let ok = (|| {
        if !wait(&mut net, b, 40, |e| matches!(e, Event::IncomingCall { .. })) {
            return false;
        }
        let Some((_, Event::IncomingCall { call: cb, .. })) =
            net.find_event(b, |e| matches!(e, Event::IncomingCall { .. }))
        else {
            return false;
        };
        cb_seen = Some(cb);
        let now = net.now;
        net.ep(b)
            .reply(now, cb, Reply::status(StatusCode::RINGING))
            .unwrap();
        net.run_for(Duration::from_millis(100));
        let now = net.now;
        net.ep(a).cancel(now, ca).unwrap();
        wait(&mut net, a, 70, |e| {
            matches!(
                e,
                Event::CallEnded {
                    cause: EndCause::LocalCancel,
                    ..
                }
            )
        }) && wait(&mut net, b, 70, |e| {
            matches!(
                e,
                Event::CallEnded {
                    cause: EndCause::RemoteCancel,
                    ..
                }
            )
        })
    })();
    // If every CANCEL was lost, B is still ringing: its application would give up.
    if let Some(cb) = cb_seen {
        net.run_for(Duration::from_secs(40));
        let now = net.now;
        let _ = net.ep(b).reject(now, cb, 480, None);
    }
    check_invariants(&mut net, &[a, b]);
    ok
}

/// REGISTER, 401, REGISTER with credentials, 200; then de-registration.
fn registration(loss: f64, seed: u64) -> bool {
    let mut net = Net::new(seed, loss);
    let a = net.endpoint(&[A], seed * 2 + 1);
    let mut nonce = 0;
    net.scripted(
        "127.0.0.5:5060",
        Box::new(move |_now, req, _l, src| {
            if req.method != Method::Register {
                return vec![];
            }
            match req.header(&HeaderName::Authorization) {
                Some(auth) if digest_ok(auth, "REGISTER", "secret") => {
                    let mut r = response_to(req, 200, Some("r"));
                    r.headers.push(HeaderName::Expires, "600");
                    reply(src, r)
                }
                _ => {
                    nonce += 1;
                    let mut r = response_to(req, 401, Some("r"));
                    r.headers.push(
                        HeaderName::WwwAuthenticate,
                        format!(r#"Digest realm="x", nonce="n{nonce}", qop="auth""#),
                    );
                    reply(src, r)
                }
            }
        }),
    );
    let mut acc = AccountConfig::new(
        Uri::parse("sip:example.com").unwrap(),
        addr("127.0.0.5:5060"),
        "alice",
        "example.com",
    );
    acc.credentials = Some(Credentials::new("alice", "secret"));
    let now = net.now;
    let h = net.ep(a).register(now, acc).unwrap();
    let registered = wait(&mut net, a, 70, |e| {
        matches!(
            e,
            Event::Registration {
                state: RegistrationState::Registered { .. },
                ..
            }
        )
    });
    let now = net.now;
    net.ep(a).unregister(now, h).unwrap();
    let gone = wait(&mut net, a, 70, |e| {
        matches!(
            e,
            Event::Registration {
                state: RegistrationState::Unregistered,
                ..
            }
        )
    });
    assert!(gone, "de-registration always ends (200 or given up)");
    net.run_for(Duration::from_secs(100));
    assert!(net.ep(a).is_idle());
    count_wire(&net);
    registered
}

fn sweep(loss: f64, min_success: f64) {
    type Scenario = fn(f64, u64) -> bool;
    let scenarios: [(&str, Scenario); 4] = [
        ("full call", full_call),
        ("rejected call", rejected_call),
        ("cancelled call", cancelled_call),
        ("registration", registration),
    ];
    WIRE.with(|w| w.set((0, 0)));
    for (name, f) in scenarios {
        let n = seeds();
        let ok = (0..n).filter(|&seed| f(loss, seed)).count();
        let rate = ok as f64 / n as f64;
        println!("{name} at {:.0} % loss: {ok}/{n} completed", loss * 100.0);
        assert!(rate >= min_success, "{name} at {loss}: only {ok}/{n}");
    }
    let (sent, dropped) = WIRE.with(|w| w.get());
    let observed = dropped as f64 / sent as f64;
    println!(
        "loss {:.0} %: {dropped} of {sent} datagrams dropped ({:.1} %)",
        loss * 100.0,
        observed * 100.0
    );
    assert!((observed - loss).abs() < 0.03, "loss model off: {observed}");
}

#[test]
fn no_loss() {
    sweep(0.0, 1.0);
}

#[test]
fn ten_percent_loss() {
    sweep(0.10, 0.95);
}

#[test]
fn thirty_percent_loss() {
    sweep(0.30, 0.8);
}

/// Far beyond what SIP over UDP can carry: most runs fail, but every failure must be clean
/// (one terminal event per call, nothing left behind).
#[test]
fn sixty_percent_loss_fails_cleanly() {
    sweep(0.60, 0.0);
}
