//! The registration client against a scripted registrar.

// Test helpers outside #[test] functions unwrap too (clippy.toml only covers #[test]).
#![allow(clippy::unwrap_used)]

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use common::*;
use sip::msg::{HeaderName, Method, NameAddr, Request, Uri};
use sip::{AccountConfig, Credentials, Event, RegistrationState};

const UA: &str = "127.0.0.1:5070";
const REGISTRAR: &str = "127.0.0.5:5060";

#[derive(Clone)]
struct Opts {
    algorithm: &'static str,
    password: &'static str,
    /// `expires` param put on our Contact in the 200.
    contact_expires: Option<u32>,
    /// Expires header in the 200.
    expires_header: Option<u32>,
    /// Answer this many REGISTERs 503 first.
    fail_first: usize,
    /// 423 when the requested lifetime is below this.
    min_expires: Option<u32>,
    /// Another binding listed before ours (must not be mistaken for ours).
    other_binding: bool,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            algorithm: "MD5",
            password: "secret",
            contact_expires: None,
            expires_header: None,
            fail_first: 0,
            min_expires: None,
            other_binding: false,
        }
    }
}

type Seen = Rc<RefCell<Vec<(Instant, Request)>>>;

fn registrar(net: &mut Net, opts: Opts) -> Seen {
    let seen: Seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    let mut nonce = 0u32;
    let mut failures_left = opts.fail_first;
    net.scripted(
        REGISTRAR,
        Box::new(move |now, req, _local, src| {
            if req.method != Method::Register {
                return vec![];
            }
            log.borrow_mut().push((now, req.clone()));
            if failures_left > 0 {
                failures_left -= 1;
                return reply(src, response_to(req, 503, Some("r")));
            }
            let authorized = req.header(&HeaderName::Authorization).is_some_and(|a| {
                a.contains(&format!("algorithm={}", opts.algorithm))
                    && digest_ok(a, "REGISTER", opts.password)
            });
            if !authorized {
                nonce += 1;
                let mut r = response_to(req, 401, Some("r"));
                r.headers.push(
                    HeaderName::WwwAuthenticate,
                    format!(
                        r#"Digest realm="example.com", nonce="n{nonce}", algorithm={}, qop="auth""#,
                        opts.algorithm
                    ),
                );
                return reply(src, r);
            }
            let requested = req.expires().unwrap_or(3600);
            if requested == 0 {
                return reply(src, response_to(req, 200, Some("r")));
            }
            if let Some(min) = opts.min_expires
                && requested < min
            {
                let mut r = response_to(req, 423, Some("r"));
                r.headers.push(HeaderName::MinExpires, min.to_string());
                return reply(src, r);
            }
            let mut r = response_to(req, 200, Some("r"));
            if opts.other_binding {
                r.headers
                    .push(HeaderName::Contact, "<sip:someone@192.0.2.99>;expires=7");
            }
            let mut contact = req.contacts().unwrap().remove(0);
            contact.params.remove("expires");
            if let Some(e) = opts.contact_expires {
                contact.params.set("expires", Some(&e.to_string()));
            }
            r.headers.push(HeaderName::Contact, contact.to_string());
            if let Some(e) = opts.expires_header {
                r.headers.push(HeaderName::Expires, e.to_string());
            }
            reply(src, r)
        }),
    );
    seen
}

fn account(expires: u32) -> AccountConfig {
    let mut a = AccountConfig::new(
        Uri::parse("sip:example.com").unwrap(),
        addr(REGISTRAR),
        "alice",
        "example.com",
    );
    a.credentials = Some(Credentials::new("alice", "secret"));
    a.expires = expires;
    a
}

fn registered(net: &Net, n: usize) -> Vec<(Instant, Duration)> {
    net.nodes[n]
        .events
        .iter()
        .filter_map(|(t, e)| match e {
            Event::Registration {
                state: RegistrationState::Registered { expires },
                ..
            } => Some((*t, *expires)),
            _ => None,
        })
        .collect()
}

/// Times at which unauthenticated REGISTERs (the first of each refresh) reached the registrar.
fn fresh_registers(seen: &Seen) -> Vec<Instant> {
    seen.borrow()
        .iter()
        .filter(|(_, r)| r.header(&HeaderName::Authorization).is_none())
        .map(|(t, _)| *t)
        .collect()
}

fn setup(opts: Opts, expires: u32) -> (Net, usize, Seen) {
    let mut net = Net::new(7, 0.0);
    let ua = net.endpoint(&[UA], 1);
    let seen = registrar(&mut net, opts);
    let now = net.now;
    net.ep(ua).register(now, account(expires)).unwrap();
    (net, ua, seen)
}

#[test]
fn lifetime_from_contact_expires_param() {
    let (mut net, ua, seen) = setup(
        Opts {
            contact_expires: Some(120),
            expires_header: Some(600),
            other_binding: true,
            ..Opts::default()
        },
        3600,
    );
    net.run_for(Duration::from_secs(100));
    let reg = registered(&net, ua);
    assert_eq!(reg[0].1, Duration::from_secs(120));
    // Refresh 32 s before expiry (120 - 32 = 88 s after the 200), same Call-ID, CSeq up.
    let fresh = fresh_registers(&seen);
    assert_eq!(fresh.len(), 2);
    assert_eq!((fresh[1] - reg[0].0).as_millis(), 88_000 + 10);
    let seen = seen.borrow();
    assert!(seen.iter().all(|(_, r)| r.call_id == seen[0].1.call_id));
    let cseqs: Vec<u32> = seen.iter().map(|(_, r)| r.cseq.seq).collect();
    assert!(cseqs.windows(2).all(|w| w[1] > w[0]), "{cseqs:?}");
    assert_eq!(seen[0].1.expires(), Some(3600));
}

#[test]
fn lifetime_from_expires_header() {
    let (mut net, ua, seen) = setup(
        Opts {
            expires_header: Some(600),
            ..Opts::default()
        },
        3600,
    );
    net.run_for(Duration::from_secs(570));
    let reg = registered(&net, ua);
    assert_eq!(reg[0].1, Duration::from_secs(600));
    let fresh = fresh_registers(&seen);
    assert_eq!((fresh[1] - reg[0].0).as_millis(), 568_000 + 10);
}

#[test]
fn lifetime_as_requested_when_registrar_is_silent() {
    let (mut net, ua, seen) = setup(Opts::default(), 300);
    net.run_for(Duration::from_secs(300));
    let reg = registered(&net, ua);
    assert_eq!(reg[0].1, Duration::from_secs(300));
    assert_eq!(reg.len(), 2, "refreshed once in 300 s");
    let fresh = fresh_registers(&seen);
    assert_eq!((fresh[1] - reg[0].0).as_millis(), 268_000 + 10);
}

#[test]
fn short_lifetimes_refresh_at_half() {
    let (mut net, ua, _seen) = setup(
        Opts {
            contact_expires: Some(40),
            ..Opts::default()
        },
        3600,
    );
    net.run_for(Duration::from_secs(61));
    let reg = registered(&net, ua);
    assert_eq!(reg.len(), 4);
    // Every 20 s (max(40/2, 40-32)) plus the round trips of the challenge.
    for w in reg.windows(2) {
        assert_eq!((w[1].0 - w[0].0).as_millis(), 20_000 + 40);
    }
}

#[test]
fn sha256_challenge() {
    let (mut net, ua, seen) = setup(
        Opts {
            algorithm: "SHA-256",
            ..Opts::default()
        },
        3600,
    );
    net.run_for(Duration::from_secs(1));
    assert_eq!(registered(&net, ua).len(), 1);
    let auth = seen.borrow()[1]
        .1
        .header(&HeaderName::Authorization)
        .unwrap()
        .to_owned();
    assert!(
        auth.contains("algorithm=SHA-256")
            && auth.contains("qop=auth")
            && auth.contains("nc=00000001")
    );
}

#[test]
fn wrong_password_fails_and_backs_off() {
    let (mut net, ua, seen) = setup(
        Opts {
            password: "other",
            ..Opts::default()
        },
        3600,
    );
    net.run_for(Duration::from_secs(200));
    let failures: Vec<(Instant, Duration, u16)> = net.nodes[ua]
        .events
        .iter()
        .filter_map(|(t, e)| match e {
            Event::Registration {
                state:
                    RegistrationState::Failed {
                        status, retry_in, ..
                    },
                ..
            } => Some((*t, *retry_in, status.code())),
            _ => None,
        })
        .collect();
    assert!(failures.len() >= 3);
    assert!(failures.iter().all(|f| f.2 == 401));
    // Backoff: 30 s doubling, each drawn in [50 %, 100 %].
    for (n, f) in failures.iter().take(3).enumerate() {
        let base = 30.0 * 2f64.powi(n as i32);
        let got = f.1.as_secs_f64();
        assert!(got >= base * 0.5 && got <= base, "attempt {n}: {got}");
    }
    // One challenged attempt per try: REGISTER, 401, REGISTER with auth, 401, give up.
    let fresh = fresh_registers(&seen);
    assert_eq!(
        (fresh[1] - failures[0].0).as_millis(),
        failures[0].1.as_millis() + 10
    );
}

#[test]
fn server_errors_then_recovery() {
    let (mut net, ua, _seen) = setup(
        Opts {
            fail_first: 2,
            ..Opts::default()
        },
        3600,
    );
    net.run_for(Duration::from_secs(200));
    let states: Vec<String> = net
        .events(ua)
        .into_iter()
        .map(|e| match e {
            Event::Registration {
                state: RegistrationState::Failed { status, .. },
                ..
            } => format!("failed {}", status.code()),
            Event::Registration {
                state: RegistrationState::Registered { .. },
                ..
            } => "registered".into(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(states, vec!["failed 503", "failed 503", "registered"]);
}

#[test]
fn interval_too_brief_is_retried_with_min_expires() {
    let (mut net, ua, seen) = setup(
        Opts {
            min_expires: Some(1800),
            ..Opts::default()
        },
        60,
    );
    net.run_for(Duration::from_secs(1));
    assert_eq!(registered(&net, ua)[0].1, Duration::from_secs(1800));
    assert_eq!(seen.borrow().last().unwrap().1.expires(), Some(1800));
}

#[test]
fn deregistration_on_shutdown() {
    let (mut net, ua, seen) = setup(Opts::default(), 3600);
    net.run_for(Duration::from_secs(1));
    let call_id = seen.borrow()[0].1.call_id.clone();
    let now = net.now;
    net.ep(ua).shutdown(now);
    net.run_for(Duration::from_secs(1));
    assert!(net.has_event(ua, |e| matches!(
        e,
        Event::Registration {
            state: RegistrationState::Unregistered,
            ..
        }
    )));
    let seen = seen.borrow();
    let last = &seen.last().unwrap().1;
    assert_eq!(last.expires(), Some(0));
    assert_eq!(last.call_id, call_id);
    let contact: NameAddr = last.contacts().unwrap().remove(0);
    assert_eq!(contact.params.value("expires"), Some("0"));
    drop(seen);
    net.run_for(Duration::from_secs(60));
    assert!(net.ep(ua).is_idle());
}

#[test]
fn registrar_timeout_is_a_408_failure() {
    let mut net = Net::new(7, 0.0);
    let ua = net.endpoint(&[UA], 1);
    let now = net.now;
    let t0 = now;
    let mut acc = account(3600);
    acc.destination = addr("127.0.0.99:5060"); // nobody there
    net.ep(ua).register(now, acc).unwrap();
    net.run_for(Duration::from_secs(33));
    let (t, e) = net
        .find_event(ua, |e| matches!(e, Event::Registration { .. }))
        .unwrap();
    assert!(
        matches!(e, Event::Registration { state: RegistrationState::Failed { status, .. }, .. } if status.code() == 408)
    );
    assert_eq!((t - t0).as_millis(), 32_000);
    // Timer E schedule on the wire (non-INVITE, capped at T2).
    let sent = net.sent_by(ua, |s| s.is_request("REGISTER"));
    assert_eq!(
        net.offsets_ms(&sent, t0),
        vec![
            0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
    );
}

#[test]
fn unregister_before_anything_was_sent_is_immediate() {
    let mut net = Net::new(7, 0.0);
    let ua = net.endpoint(&[UA], 1);
    let _seen = registrar(&mut net, Opts::default());
    let now = net.now;
    let a = net.ep(ua).register(now, account(3600)).unwrap();
    net.ep(ua).unregister(now, a).unwrap();
    net.run_for(Duration::from_secs(1));
    assert!(net.has_event(ua, |e| matches!(
        e,
        Event::Registration {
            state: RegistrationState::Unregistered,
            ..
        }
    )));
    assert!(matches!(
        net.ep(ua).unregister(now, a),
        Err(sip::Error::NoSuchAccount(_))
    ));
}
