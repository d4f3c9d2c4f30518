//! Digest challenges to our INVITE and BYE (401 and 407, MD5 and SHA-256) from a scripted
//! UAS that checks the answers with its own digest code.

// Test helpers outside #[test] functions unwrap too (clippy.toml only covers #[test]).
#![allow(clippy::unwrap_used)]

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use common::*;
use sip::msg::{HeaderName, Message, Method, NameAddr, Request};
use sip::{Credentials, Dial, EndCause, Event};

const A: &str = "127.0.0.1:5070";
const GW: &str = "127.0.0.6:5060";

#[derive(Clone, Copy)]
struct Gw {
    /// 401 (WWW-Authenticate) or 407 (Proxy-Authenticate).
    code: u16,
    algorithm: &'static str,
    /// Also challenge BYE.
    challenge_bye: bool,
}

type Seen = Rc<RefCell<Vec<Request>>>;

/// A gateway that challenges, then answers 200 (Contact, To tag "gw").
fn gateway(net: &mut Net, gw: Gw) -> Seen {
    let seen: Seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    let mut nonce = 0;
    net.scripted(
        GW,
        Box::new(move |_now, req, _local, src| {
            log.borrow_mut().push(req.clone());
            let (ask, answer) = if gw.code == 401 {
                (HeaderName::WwwAuthenticate, HeaderName::Authorization)
            } else {
                (HeaderName::ProxyAuthenticate, HeaderName::ProxyAuthorization)
            };
            let challenged = matches!(req.method, Method::Invite) || (req.method == Method::Bye && gw.challenge_bye);
            let ok = req
                .header(&answer)
                .is_some_and(|a| digest_ok(a, req.method.as_str(), "pw") && a.contains(gw.algorithm));
            if challenged && !ok {
                nonce += 1;
                let mut r = response_to(req, gw.code, Some("gw"));
                r.headers.push(
                    ask,
                    format!(r#"Digest realm="gw.example", nonce="gwn{nonce}", opaque="op", algorithm={}, qop="auth""#, gw.algorithm),
                );
                return reply(src, r);
            }
            match req.method {
                Method::Invite => {
                    let mut r = response_to(req, 200, Some("gw"));
                    r.headers.push(HeaderName::Contact, format!("<sip:gw@{GW}>"));
                    r.set_body(Some(sdp("answer")));
                    reply(src, r)
                }
                Method::Bye => reply(src, response_to(req, 200, None)),
                _ => vec![],
            }
        }),
    );
    seen
}

fn dial(creds: Option<Credentials>) -> Dial {
    let mut d = Dial::new(
        NameAddr::parse("<sip:alice@127.0.0.1>").unwrap(),
        NameAddr::parse(&format!("<sip:+15551234@{GW}>")).unwrap(),
    );
    d.body = Some(sdp("offer"));
    d.credentials = creds;
    d
}

fn run(gw: Gw, creds: Option<Credentials>) -> (Net, usize, Seen, sip::CallHandle) {
    let mut net = Net::new(3, 0.0);
    let a = net.endpoint(&[A], 1);
    let seen = gateway(&mut net, gw);
    let now = net.now;
    let call = net.ep(a).dial(now, dial(creds)).unwrap();
    net.run_for(Duration::from_millis(200));
    (net, a, seen, call)
}

fn check_retry(net: &Net, a: usize, seen: &Seen, header: HeaderName, alg: &str) {
    let seen = seen.borrow();
    let invites: Vec<&Request> = seen.iter().filter(|r| r.method == Method::Invite).collect();
    assert_eq!(invites.len(), 2);
    let (first, second) = (invites[0], invites[1]);
    // Same Call-ID and From tag, CSeq + 1, new branch (§22.2, §8.1.3.5).
    assert_eq!(first.call_id, second.call_id);
    assert_eq!(first.from.tag(), second.from.tag());
    assert_eq!(second.cseq.seq, first.cseq.seq + 1);
    assert_ne!(first.via[0].branch(), second.via[0].branch());
    let auth = second.header(&header).unwrap();
    assert!(auth.contains(&format!("algorithm={alg}")));
    assert!(auth.contains(r#"uri="sip:+15551234@127.0.0.6:5060""#));
    assert!(auth.contains(r#"opaque="op""#));
    // The challenge got its ACK (same branch, CSeq of the first INVITE).
    let acks: Vec<&Request> = seen.iter().filter(|r| r.method == Method::Ack).collect();
    assert_eq!(acks.len(), 2);
    assert_eq!(acks[0].via[0].branch(), first.via[0].branch());
    assert_eq!(acks[0].cseq.seq, first.cseq.seq);
    // The ACK for the 2xx carries the INVITE's credentials (§13.2.2.4).
    assert!(acks[1].header(&header).is_some());
    assert_eq!(acks[1].cseq.seq, second.cseq.seq);
    assert!(net.has_event(a, |e| matches!(e, Event::CallAnswered { .. })));
}

#[test]
fn invite_401_md5() {
    let gw = Gw {
        code: 401,
        algorithm: "MD5",
        challenge_bye: false,
    };
    let (net, a, seen, _) = run(gw, Some(Credentials::new("alice", "pw")));
    check_retry(&net, a, &seen, HeaderName::Authorization, "MD5");
}

#[test]
fn invite_407_sha256() {
    let gw = Gw {
        code: 407,
        algorithm: "SHA-256",
        challenge_bye: false,
    };
    let (net, a, seen, _) = run(gw, Some(Credentials::new("alice", "pw")));
    check_retry(&net, a, &seen, HeaderName::ProxyAuthorization, "SHA-256");
}

#[test]
fn wrong_password_fails_after_one_retry() {
    let gw = Gw {
        code: 401,
        algorithm: "MD5",
        challenge_bye: false,
    };
    let (net, a, seen, call) = run(gw, Some(Credentials::new("alice", "nope")));
    assert_eq!(
        seen.borrow()
            .iter()
            .filter(|r| r.method == Method::Invite)
            .count(),
        2
    );
    assert!(net.has_event(a, |e| matches!(e, Event::CallFailed { call: c, status, .. } if *c == call && status.code() == 401)));
}

#[test]
fn no_credentials_fail_at_once() {
    let gw = Gw {
        code: 407,
        algorithm: "MD5",
        challenge_bye: false,
    };
    let (net, a, seen, _) = run(gw, None);
    assert_eq!(
        seen.borrow()
            .iter()
            .filter(|r| r.method == Method::Invite)
            .count(),
        1
    );
    assert!(net.has_event(
        a,
        |e| matches!(e, Event::CallFailed { status, .. } if status.code() == 407)
    ));
}

#[test]
fn realm_restricted_credentials_do_not_answer_other_realms() {
    let gw = Gw {
        code: 401,
        algorithm: "MD5",
        challenge_bye: false,
    };
    let mut creds = Credentials::new("alice", "pw");
    creds.realm = Some("elsewhere".into());
    let (net, a, _seen, _) = run(gw, Some(creds));
    assert!(net.has_event(
        a,
        |e| matches!(e, Event::CallFailed { status, .. } if status.code() == 401)
    ));
}

#[test]
fn challenged_bye_is_resent_with_credentials() {
    let gw = Gw {
        code: 407,
        algorithm: "MD5",
        challenge_bye: true,
    };
    let (mut net, a, seen, call) = run(gw, Some(Credentials::new("alice", "pw")));
    let now = net.now;
    net.ep(a).bye(now, call).unwrap();
    net.run_for(Duration::from_millis(200));
    let byes: Vec<Request> = seen
        .borrow()
        .iter()
        .filter(|r| r.method == Method::Bye)
        .cloned()
        .collect();
    assert_eq!(byes.len(), 2);
    assert!(byes[1].header(&HeaderName::ProxyAuthorization).is_some());
    assert!(byes[1].cseq.seq > byes[0].cseq.seq);
    // The BYE went to the Contact of the 200.
    let bye_sent = net.sent_by(a, |s| s.is_request("BYE"));
    assert_eq!(bye_sent[0].to, addr(GW));
    let Some(Message::Request(b)) = bye_sent[0].message() else {
        panic!()
    };
    assert_eq!(b.uri.to_string(), format!("sip:gw@{GW}"));
    assert!(net.has_event(a, |e| matches!(
        e,
        Event::CallEnded {
            cause: EndCause::LocalBye,
            ..
        }
    )));
}
