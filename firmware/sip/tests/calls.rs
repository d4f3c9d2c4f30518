//! Call scenarios between endpoints on the simulated network (no loss unless said).

// Test helpers outside #[test] functions unwrap too (clippy.toml only covers #[test]).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use sip::msg::{Body, HeaderName, Message, Method, NameAddr, StatusCode};
use sip::{Dial, EndCause, Event, InDialogRequest, Reply};

const A: &str = "127.0.0.1:5070";
const B: &str = "127.0.0.2:5080";

fn na(s: &str) -> NameAddr {
    NameAddr::parse(s).unwrap()
}

fn dial_b() -> Dial {
    let mut d = Dial::new(na("<sip:alice@127.0.0.1>"), na("<sip:bob@127.0.0.2:5080>"));
    d.body = Some(sdp("offer"));
    d
}

fn incoming(net: &Net, n: usize) -> sip::CallHandle {
    match net.find_event(n, |e| matches!(e, Event::IncomingCall { .. })) {
        Some((_, Event::IncomingCall { call, .. })) => call,
        _ => panic!("no incoming call on node {n}: {:?}", net.events(n)),
    }
}

/// A and B, A calls B, B rings then answers.
fn established(net: &mut Net) -> (usize, usize, sip::CallHandle, sip::CallHandle) {
    let a = net.endpoint(&[A], 1);
    let b = net.endpoint(&[B], 2);
    let now = net.now;
    let ca = net.ep(a).dial(now, dial_b()).unwrap();
    net.run_for(Duration::from_millis(50));
    let cb = incoming(net, b);
    let now = net.now;
    net.ep(b)
        .reply(now, cb, Reply::status(StatusCode::RINGING))
        .unwrap();
    net.run_for(Duration::from_millis(50));
    let now = net.now;
    net.ep(b).accept(now, cb, Some(sdp("answer"))).unwrap();
    net.run_for(Duration::from_millis(100));
    assert!(net.has_event(
        a,
        |e| matches!(e, Event::CallAnswered { call, .. } if *call == ca)
    ));
    assert!(net.has_event(
        b,
        |e| matches!(e, Event::CallConfirmed { call, .. } if *call == cb)
    ));
    (a, b, ca, cb)
}

#[test]
fn basic_call_setup_and_bye() {
    let mut net = Net::new(1, 0.0);
    let (a, b, ca, cb) = established(&mut net);
    // What the callee saw.
    let Some((_, Event::IncomingCall { request, .. })) =
        net.find_event(b, |e| matches!(e, Event::IncomingCall { .. }))
    else {
        panic!()
    };
    assert_eq!(request.body().unwrap(), sdp("offer"));
    assert_eq!(request.from.uri.to_string(), "sip:alice@127.0.0.1");
    // What the caller saw: 180 then 200 with the answer.
    assert!(net.has_event(a, |e| matches!(e, Event::CallProgress { status, remote_tag: Some(_), .. } if status.code() == 180)));
    let Some((_, Event::CallAnswered { body, .. })) =
        net.find_event(a, |e| matches!(e, Event::CallAnswered { .. }))
    else {
        panic!()
    };
    assert_eq!(body.unwrap(), sdp("answer"));
    // On the wire: INVITE, 100, 180, 200, ACK; each INVITE carries the RFC 3261 basics.
    let invite = net.sent_by(a, |s| s.is_request("INVITE"));
    assert_eq!(invite.len(), 1);
    let Some(Message::Request(inv)) = invite[0].message() else {
        panic!()
    };
    assert_eq!(inv.max_forwards, Some(70));
    assert!(inv.header(&HeaderName::Contact).is_some());
    assert!(inv.header(&HeaderName::Allow).unwrap().contains("INVITE"));
    assert!(
        inv.header(&HeaderName::UserAgent)
            .unwrap()
            .starts_with("dsmbox/")
    );
    assert!(String::from_utf8_lossy(&invite[0].bytes).contains("\r\nContent-Length: "));
    assert!(inv.via[0].rport() == Some(None));
    assert_eq!(net.sent_by(b, |s| s.is_response(100, "INVITE")).len(), 1);
    let ok = net.sent_by(b, |s| s.is_response(200, "INVITE"));
    assert_eq!(ok.len(), 1, "no 2xx retransmission once ACKed");
    let Some(Message::Response(ok)) = ok[0].message() else {
        panic!()
    };
    assert!(ok.header(&HeaderName::Contact).is_some());
    assert_eq!(net.sent_by(a, |s| s.is_request("ACK")).len(), 1);
    // Hang up from B.
    let now = net.now;
    net.ep(b).bye(now, cb).unwrap();
    net.run_for(Duration::from_millis(100));
    assert!(net.has_event(b, |e| matches!(
        e,
        Event::CallEnded {
            cause: EndCause::LocalBye,
            ..
        }
    )));
    assert!(net.has_event(
        a,
        |e| matches!(e, Event::CallEnded { call, cause: EndCause::RemoteBye } if *call == ca)
    ));
    assert_eq!(net.sent_by(a, |s| s.is_response(200, "BYE")).len(), 1);
    // Everything drains away.
    net.run_for(Duration::from_secs(60));
    assert!(net.ep(a).is_idle() && net.ep(b).is_idle());
    assert_eq!(
        terminal_events(&net, a)
            .values()
            .copied()
            .collect::<Vec<_>>(),
        vec![1]
    );
    assert_eq!(
        terminal_events(&net, b)
            .values()
            .copied()
            .collect::<Vec<_>>(),
        vec![1]
    );
}

#[test]
fn rejected_call_fails_with_code_and_reason() {
    let mut net = Net::new(1, 0.0);
    let a = net.endpoint(&[A], 1);
    let b = net.endpoint(&[B], 2);
    let now = net.now;
    let ca = net.ep(a).dial(now, dial_b()).unwrap();
    net.run_for(Duration::from_millis(50));
    let cb = incoming(&net, b);
    let now = net.now;
    net.ep(b)
        .reject(now, cb, 486, Some("Busy Here Now"))
        .unwrap();
    net.run_for(Duration::from_millis(50));
    assert!(net.has_event(
        a,
        |e| matches!(e, Event::CallFailed { call, status, reason, .. }
        if *call == ca && status.code() == 486 && reason == "Busy Here Now")
    ));
    assert!(net.has_event(
        b,
        |e| matches!(e, Event::CallEnded { cause: EndCause::Rejected(s), .. } if s.code() == 486)
    ));
    // The ACK for the 486 was sent by A's transaction and absorbed by B's.
    assert_eq!(net.sent_by(a, |s| s.is_request("ACK")).len(), 1);
    assert_eq!(net.sent_by(b, |s| s.is_response(486, "INVITE")).len(), 1);
    net.run_for(Duration::from_secs(40));
    assert!(net.ep(a).is_idle() && net.ep(b).is_idle());
}

#[test]
fn caller_cancels_before_answer() {
    let mut net = Net::new(1, 0.0);
    let a = net.endpoint(&[A], 1);
    let b = net.endpoint(&[B], 2);
    let now = net.now;
    let ca = net.ep(a).dial(now, dial_b()).unwrap();
    net.run_for(Duration::from_millis(50));
    let cb = incoming(&net, b);
    let now = net.now;
    net.ep(a).cancel(now, ca).unwrap();
    net.run_for(Duration::from_millis(100));
    assert_eq!(net.sent_by(a, |s| s.is_request("CANCEL")).len(), 1);
    assert_eq!(net.sent_by(b, |s| s.is_response(200, "CANCEL")).len(), 1);
    assert_eq!(net.sent_by(b, |s| s.is_response(487, "INVITE")).len(), 1);
    assert!(net.has_event(
        a,
        |e| matches!(e, Event::CallEnded { call, cause: EndCause::LocalCancel } if *call == ca)
    ));
    assert!(net.has_event(
        b,
        |e| matches!(e, Event::CallEnded { call, cause: EndCause::RemoteCancel } if *call == cb)
    ));
    // Too late for B to answer now.
    let now = net.now;
    assert!(net.ep(b).accept(now, cb, None).is_err());
}

#[test]
fn cancel_before_any_provisional_waits_for_one() {
    let mut net = Net::new(1, 0.0);
    let a = net.endpoint(&[A], 1);
    let b = net.endpoint(&[B], 2);
    // Hold back B's 100 Trying for a while.
    net.drop_filter = Some(Box::new(|s: &Sent| s.is_response(100, "INVITE")));
    let now = net.now;
    let ca = net.ep(a).dial(now, dial_b()).unwrap();
    net.ep(a).cancel(now, ca).unwrap();
    net.run_for(Duration::from_millis(200));
    // §9.1: no CANCEL before a provisional response.
    assert!(net.sent_by(a, |s| s.is_request("CANCEL")).is_empty());
    let cb = incoming(&net, b);
    let now = net.now;
    net.ep(b)
        .reply(now, cb, Reply::status(StatusCode::RINGING))
        .unwrap();
    net.run_for(Duration::from_millis(200));
    assert_eq!(net.sent_by(a, |s| s.is_request("CANCEL")).len(), 1);
    assert!(net.has_event(a, |e| matches!(
        e,
        Event::CallEnded {
            cause: EndCause::LocalCancel,
            ..
        }
    )));
    // No CallProgress is reported once cancelling.
    assert!(!net.has_event(a, |e| matches!(e, Event::CallProgress { .. })));
}

#[test]
fn cancel_racing_a_200_is_acked_then_byed() {
    let mut net = Net::new(1, 0.0);
    let a = net.endpoint(&[A], 1);
    let b = net.endpoint(&[B], 2);
    let now = net.now;
    let ca = net.ep(a).dial(now, dial_b()).unwrap();
    net.run_for(Duration::from_millis(50));
    let cb = incoming(&net, b);
    let now = net.now;
    net.ep(b)
        .reply(now, cb, Reply::status(StatusCode::RINGING))
        .unwrap();
    net.run_for(Duration::from_millis(50));
    // Same instant: A cancels, B answers; the CANCEL and the 200 cross on the wire.
    let now = net.now;
    net.ep(a).cancel(now, ca).unwrap();
    net.ep(b).accept(now, cb, Some(sdp("answer"))).unwrap();
    net.run_for(Duration::from_millis(200));
    // B got the CANCEL after its 200: 200 to the CANCEL, no 487.
    assert_eq!(net.sent_by(b, |s| s.is_response(200, "CANCEL")).len(), 1);
    assert!(net.sent_by(b, |s| s.is_response(487, "INVITE")).is_empty());
    // A: ACK, then BYE; the call ends as cancelled, never "answered".
    let acks = net.sent_by(a, |s| s.is_request("ACK"));
    let byes = net.sent_by(a, |s| s.is_request("BYE"));
    assert_eq!((acks.len(), byes.len()), (1, 1));
    assert!(acks[0].at <= byes[0].at);
    assert!(net.has_event(
        a,
        |e| matches!(e, Event::CallEnded { call, cause: EndCause::LocalCancel } if *call == ca)
    ));
    assert!(!net.has_event(a, |e| matches!(e, Event::CallAnswered { .. })));
    // B saw the call confirmed, then ended by BYE.
    assert!(net.has_event(b, |e| matches!(e, Event::CallConfirmed { .. })));
    assert!(net.has_event(b, |e| matches!(
        e,
        Event::CallEnded {
            cause: EndCause::RemoteBye,
            ..
        }
    )));
    net.run_for(Duration::from_secs(60));
    assert!(net.ep(a).is_idle() && net.ep(b).is_idle());
}

/// A UAS that answers 200 to CANCEL but then answers the INVITE 200 anyway (a broken or
/// slow gateway): the 2xx arrives after our CANCEL completed. We must ACK it, then BYE.
#[test]
fn late_2xx_after_cancel_is_acked_then_byed() {
    let mut net = Net::new(1, 0.0);
    let a = net.endpoint(&[A], 1);
    let invite_seen = std::rc::Rc::new(std::cell::RefCell::new(None::<sip::msg::Request>));
    let keep = invite_seen.clone();
    let b = net.scripted(
        B,
        Box::new(move |_now, req, _local, src| match req.method {
            Method::Invite => {
                *keep.borrow_mut() = Some(req.clone());
                reply(src, response_to(req, 180, Some("uas1")))
            }
            Method::Cancel => {
                // 200 to the CANCEL, then (wrongly) 200 to the INVITE.
                let mut out = reply(src, response_to(req, 200, Some("uas1")));
                let inv = keep.borrow().clone().unwrap();
                let mut ok = response_to(&inv, 200, Some("uas1"));
                ok.headers
                    .push(HeaderName::Contact, "<sip:bob@127.0.0.2:5080>");
                out.extend(reply(src, ok));
                out
            }
            Method::Ack => vec![],
            Method::Bye => reply(src, response_to(req, 200, None)),
            _ => vec![],
        }),
    );
    let now = net.now;
    let ca = net.ep(a).dial(now, dial_b()).unwrap();
    net.run_for(Duration::from_millis(50));
    let now = net.now;
    net.ep(a).cancel(now, ca).unwrap();
    net.run_for(Duration::from_millis(200));
    let acks = net.sent_by(a, |s| s.is_request("ACK"));
    let byes = net.sent_by(a, |s| s.is_request("BYE"));
    assert_eq!(
        (acks.len(), byes.len()),
        (1, 1),
        "{:?}",
        net.log.iter().map(|s| s.first_line()).collect::<Vec<_>>()
    );
    // The ACK for a 2xx is a new transaction (new branch) sent to the Contact.
    let Some(Message::Request(ack)) = acks[0].message() else {
        panic!()
    };
    assert_eq!(ack.uri.to_string(), "sip:bob@127.0.0.2:5080");
    assert_eq!(
        ack.cseq.seq,
        invite_seen.borrow().as_ref().unwrap().cseq.seq
    );
    assert!(acks[0].at <= byes[0].at);
    assert!(net.has_event(
        a,
        |e| matches!(e, Event::CallEnded { call, cause: EndCause::LocalCancel } if *call == ca)
    ));
    let _ = b;
}

#[test]
fn forked_183s_give_two_early_dialogs() {
    let mut net = Net::new(1, 0.0);
    let a = net.endpoint(&[A], 1);
    let b1 = net.endpoint(&["127.0.0.3:5080"], 3);
    let b2 = net.endpoint(&["127.0.0.4:5080"], 4);
    // INVITEs to the "proxy" address reach both callees, as after a forking proxy.
    let fork = addr("127.0.0.9:5060");
    net.forks
        .push((fork, vec![addr("127.0.0.3:5080"), addr("127.0.0.4:5080")]));
    let mut d = Dial::new(na("<sip:alice@127.0.0.1>"), na("<sip:bob@example.com>"));
    d.body = Some(sdp("offer"));
    d.destination = Some(fork);
    let now = net.now;
    let ca = net.ep(a).dial(now, d).unwrap();
    net.run_for(Duration::from_millis(50));
    let c1 = incoming(&net, b1);
    let c2 = incoming(&net, b2);
    let now = net.now;
    net.ep(b1)
        .reply(
            now,
            c1,
            Reply::status(StatusCode::SESSION_PROGRESS).with_body(sdp("early-1")),
        )
        .unwrap();
    net.ep(b2)
        .reply(
            now,
            c2,
            Reply::status(StatusCode::SESSION_PROGRESS).with_body(sdp("early-2")),
        )
        .unwrap();
    net.run_for(Duration::from_millis(50));
    let progress: Vec<(Option<String>, Option<Body>)> = net
        .events(a)
        .into_iter()
        .filter_map(|e| match e {
            Event::CallProgress {
                status,
                remote_tag,
                body,
                ..
            } if status.code() == 183 => Some((remote_tag, body)),
            _ => None,
        })
        .collect();
    assert_eq!(progress.len(), 2);
    assert_ne!(progress[0].0, progress[1].0, "two different early dialogs");
    assert!(progress.iter().any(|(_, b)| *b == Some(sdp("early-1"))));
    assert!(progress.iter().any(|(_, b)| *b == Some(sdp("early-2"))));
    // Fork 2 answers: the call is answered by it.
    let now = net.now;
    net.ep(b2).accept(now, c2, Some(sdp("answer-2"))).unwrap();
    net.run_for(Duration::from_millis(100));
    let Some((
        _,
        Event::CallAnswered {
            remote_tag, body, ..
        },
    )) = net.find_event(a, |e| matches!(e, Event::CallAnswered { .. }))
    else {
        panic!()
    };
    assert_eq!(body, Some(sdp("answer-2")));
    assert_eq!(
        Some(remote_tag),
        progress
            .iter()
            .find(|(_, b)| *b == Some(sdp("early-2")))
            .unwrap()
            .0
    );
    assert!(net.has_event(b2, |e| matches!(e, Event::CallConfirmed { .. })));
    // Fork 1 answers too (no proxy cancelled it): A acknowledges and hangs that one up.
    let now = net.now;
    net.ep(b1).accept(now, c1, Some(sdp("answer-1"))).unwrap();
    net.run_for(Duration::from_millis(100));
    assert!(net.has_event(b1, |e| matches!(e, Event::CallConfirmed { .. })));
    assert!(net.has_event(b1, |e| matches!(
        e,
        Event::CallEnded {
            cause: EndCause::RemoteBye,
            ..
        }
    )));
    assert_eq!(
        net.events(a)
            .iter()
            .filter(|e| matches!(e, Event::CallAnswered { .. }))
            .count(),
        1
    );
    assert!(!net.has_event(b2, |e| matches!(e, Event::CallEnded { .. })));
    let _ = ca;
}

#[test]
fn reinvite_for_hold_is_surfaced_and_acked() {
    let mut net = Net::new(1, 0.0);
    let (a, b, ca, cb) = established(&mut net);
    let now = net.now;
    let hold = Body::sdp("v=0\r\na=sendonly\r\n");
    let req = net
        .ep(a)
        .send_request(
            now,
            ca,
            InDialogRequest::new(Method::Invite).with_body(hold.clone()),
        )
        .unwrap();
    net.run_for(Duration::from_millis(50));
    let Some((
        _,
        Event::InDialogRequest {
            call,
            request,
            message,
        },
    )) = net.find_event(b, |e| matches!(e, Event::InDialogRequest { .. }))
    else {
        panic!("{:?}", net.events(b))
    };
    assert_eq!(call, cb);
    assert_eq!(message.method, Method::Invite);
    assert_eq!(message.body(), Some(hold));
    let now = net.now;
    net.ep(b)
        .respond(
            now,
            cb,
            request,
            Reply::status(StatusCode::OK).with_body(Body::sdp("v=0\r\na=recvonly\r\n")),
        )
        .unwrap();
    net.run_for(Duration::from_millis(100));
    assert!(net.has_event(
        a,
        |e| matches!(e, Event::InDialogResponse { request: r, status, method: Method::Invite, .. }
        if *r == req && status.code() == 200)
    ));
    // ACK for the re-INVITE 2xx; B stops retransmitting and sees the ACK.
    assert_eq!(net.sent_by(a, |s| s.is_request("ACK")).len(), 2);
    assert_eq!(
        net.events(b)
            .iter()
            .filter(|e| matches!(e, Event::CallConfirmed { .. }))
            .count(),
        2
    );
    assert_eq!(net.sent_by(b, |s| s.is_response(200, "INVITE")).len(), 2);
    // CSeq went up in A's dialog.
    let invites = net.sent_by(a, |s| s.is_request("INVITE"));
    let seqs: Vec<u32> = invites
        .iter()
        .map(|s| match s.message() {
            Some(Message::Request(r)) => r.cseq.seq,
            _ => 0,
        })
        .collect();
    assert!(seqs[1] > seqs[0]);
}

#[test]
fn reinvite_glare_gives_491_both_ways() {
    let mut net = Net::new(1, 0.0);
    let (a, b, ca, cb) = established(&mut net);
    let now = net.now;
    let ra = net
        .ep(a)
        .send_request(
            now,
            ca,
            InDialogRequest::new(Method::Invite).with_body(sdp("a2")),
        )
        .unwrap();
    let rb = net
        .ep(b)
        .send_request(
            now,
            cb,
            InDialogRequest::new(Method::Invite).with_body(sdp("b2")),
        )
        .unwrap();
    net.run_for(Duration::from_millis(100));
    assert!(net.has_event(a, |e| matches!(e, Event::InDialogResponse { request, status, .. } if *request == ra && status.code() == 491)));
    assert!(net.has_event(b, |e| matches!(e, Event::InDialogResponse { request, status, .. } if *request == rb && status.code() == 491)));
    // Neither side saw the other's re-INVITE as a request to answer.
    assert!(!net.has_event(a, |e| matches!(e, Event::InDialogRequest { .. })));
    assert!(!net.has_event(b, |e| matches!(e, Event::InDialogRequest { .. })));
    // The call survives; a retry works.
    let now = net.now;
    net.ep(a)
        .send_request(
            now,
            ca,
            InDialogRequest::new(Method::Invite).with_body(sdp("a3")),
        )
        .unwrap();
    net.run_for(Duration::from_millis(50));
    assert!(net.has_event(b, |e| matches!(e, Event::InDialogRequest { .. })));
}

#[test]
fn info_dtmf_both_body_types() {
    let mut net = Net::new(1, 0.0);
    let (a, b, ca, cb) = established(&mut net);
    let now = net.now;
    let r = net.ep(a).send_dtmf_info(now, ca, '5', 160).unwrap();
    net.ep(a)
        .send_request(
            now,
            ca,
            InDialogRequest::new(Method::Info).with_body(Body::new("application/dtmf", "#")),
        )
        .unwrap();
    net.run_for(Duration::from_millis(100));
    let keys: Vec<(char, Option<u32>)> = net
        .events(b)
        .into_iter()
        .filter_map(|e| match e {
            Event::Dtmf { call, dtmf } if call == cb => Some((dtmf.key(), dtmf.duration_ms)),
            _ => None,
        })
        .collect();
    assert_eq!(keys, vec![('5', Some(160)), ('#', None)]);
    assert!(net.has_event(a, |e| matches!(e, Event::InDialogResponse { request, status, .. } if *request == r && status.code() == 200)));
    // A non-DTMF INFO goes to the layer above.
    let now = net.now;
    net.ep(a)
        .send_request(
            now,
            ca,
            InDialogRequest::new(Method::Info).with_body(Body::new("application/x-custom", "hi")),
        )
        .unwrap();
    net.run_for(Duration::from_millis(50));
    let Some((_, Event::InDialogRequest { request, .. })) =
        net.find_event(b, |e| matches!(e, Event::InDialogRequest { .. }))
    else {
        panic!()
    };
    let now = net.now;
    net.ep(b)
        .respond(
            now,
            cb,
            request,
            Reply::status(StatusCode::new(415).unwrap()),
        )
        .unwrap();
    net.run_for(Duration::from_millis(50));
    assert!(net.has_event(
        a,
        |e| matches!(e, Event::InDialogResponse { status, .. } if status.code() == 415)
    ));
    // A malformed dtmf-relay body is answered 400 and produces no key.
    let now = net.now;
    net.ep(a)
        .send_request(
            now,
            ca,
            InDialogRequest::new(Method::Info)
                .with_body(Body::new("application/dtmf-relay", "Signal=Q")),
        )
        .unwrap();
    net.run_for(Duration::from_millis(50));
    assert!(net.has_event(
        a,
        |e| matches!(e, Event::InDialogResponse { status, .. } if status.code() == 400)
    ));
}

#[test]
fn options_update_and_unknown_methods_in_dialog() {
    let mut net = Net::new(1, 0.0);
    let (a, _b, ca, _cb) = established(&mut net);
    let now = net.now;
    net.ep(a)
        .send_request(now, ca, InDialogRequest::new(Method::Options))
        .unwrap();
    net.ep(a)
        .send_request(now, ca, InDialogRequest::new(Method::Update))
        .unwrap();
    net.ep(a)
        .send_request(
            now,
            ca,
            InDialogRequest::new(Method::Extension("FOO".into())),
        )
        .unwrap();
    net.run_for(Duration::from_millis(100));
    let codes: Vec<(Method, u16)> = net
        .events(a)
        .into_iter()
        .filter_map(|e| match e {
            Event::InDialogResponse { method, status, .. } => Some((method, status.code())),
            _ => None,
        })
        .collect();
    assert!(codes.contains(&(Method::Options, 200)));
    assert!(codes.contains(&(Method::Update, 405)));
    assert!(codes.contains(&(Method::Extension("FOO".into()), 501)));
}

#[test]
fn missing_ack_ends_the_call_with_bye_after_64_t1() {
    let mut net = Net::new(1, 0.0);
    let a = net.endpoint(&[A], 1);
    let b = net.endpoint(&[B], 2);
    net.drop_filter = Some(Box::new(|s: &Sent| s.is_request("ACK")));
    let now = net.now;
    net.ep(a).dial(now, dial_b()).unwrap();
    net.run_for(Duration::from_millis(50));
    let cb = incoming(&net, b);
    let now = net.now;
    let t0 = now;
    net.ep(b).accept(now, cb, Some(sdp("answer"))).unwrap();
    net.run_for(Duration::from_secs(40));
    // 2xx retransmitted at T1, 2T1, 4T1, … capped at T2 (§13.3.1.4), until 64*T1.
    let oks = net.sent_by(b, |s| s.is_response(200, "INVITE"));
    let offsets = net.offsets_ms(&oks, t0);
    assert_eq!(
        offsets,
        vec![
            0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
    );
    let (at, _) = net
        .find_event(b, |e| {
            matches!(
                e,
                Event::CallEnded {
                    cause: EndCause::NoAck,
                    ..
                }
            )
        })
        .unwrap();
    assert_eq!((at - t0).as_millis(), 32000);
    let byes = net.sent_by(b, |s| s.is_request("BYE"));
    assert_eq!(byes.len(), 1);
    assert_eq!((byes[0].at - t0).as_millis(), 32000);
    // A re-ACKs every 2xx retransmission (they are dropped on the wire here).
    assert_eq!(net.sent_by(a, |s| s.is_request("ACK")).len(), oks.len());
    assert!(net.has_event(a, |e| matches!(
        e,
        Event::CallEnded {
            cause: EndCause::RemoteBye,
            ..
        }
    )));
}

#[test]
fn bye_before_ack_waits_for_the_ack() {
    let mut net = Net::new(1, 0.0);
    let a = net.endpoint(&[A], 1);
    let b = net.endpoint(&[B], 2);
    // Delay A's ACK by dropping the first one.
    let mut dropped = false;
    net.drop_filter = Some(Box::new(move |s: &Sent| {
        if s.is_request("ACK") && !dropped {
            dropped = true;
            return true;
        }
        false
    }));
    let now = net.now;
    net.ep(a).dial(now, dial_b()).unwrap();
    net.run_for(Duration::from_millis(50));
    let cb = incoming(&net, b);
    let now = net.now;
    net.ep(b).accept(now, cb, Some(sdp("answer"))).unwrap();
    net.run_for(Duration::from_millis(100));
    // B hangs up before the ACK arrived: the call ends now, the BYE waits (§15).
    let now = net.now;
    net.ep(b).bye(now, cb).unwrap();
    assert!(net.sent_by(b, |s| s.is_request("BYE")).is_empty());
    net.run_for(Duration::from_secs(2));
    let byes = net.sent_by(b, |s| s.is_request("BYE"));
    let acks_in = net.sent_by(a, |s| s.is_request("ACK") && !s.dropped);
    assert_eq!(byes.len(), 1);
    assert!(byes[0].at >= acks_in[0].at);
    assert!(net.has_event(b, |e| matches!(
        e,
        Event::CallEnded {
            cause: EndCause::LocalBye,
            ..
        }
    )));
    assert!(net.has_event(a, |e| matches!(
        e,
        Event::CallEnded {
            cause: EndCause::RemoteBye,
            ..
        }
    )));
}

#[test]
fn ipv6_call() {
    let mut net = Net::new(1, 0.0);
    let a = net.endpoint(&["[::1]:5070"], 1);
    let b = net.endpoint(&["[::1]:5080"], 2);
    let mut d = Dial::new(na("<sip:alice@[::1]>"), na("<sip:bob@[::1]:5080>"));
    d.body = Some(sdp("offer"));
    let now = net.now;
    let ca = net.ep(a).dial(now, d).unwrap();
    net.run_for(Duration::from_millis(50));
    let cb = incoming(&net, b);
    let now = net.now;
    net.ep(b).accept(now, cb, Some(sdp("answer"))).unwrap();
    net.run_for(Duration::from_millis(100));
    assert!(net.has_event(a, |e| matches!(e, Event::CallAnswered { .. })));
    let inv = net.sent_by(a, |s| s.is_request("INVITE"));
    let text = String::from_utf8_lossy(&inv[0].bytes).to_string();
    assert!(
        text.starts_with("INVITE sip:bob@[::1]:5080 SIP/2.0\r\n"),
        "{text}"
    );
    assert!(text.contains("Via: SIP/2.0/UDP [::1]:5070;branch="));
    let now = net.now;
    net.ep(a).bye(now, ca).unwrap();
    net.run_for(Duration::from_millis(100));
    assert!(net.has_event(b, |e| matches!(
        e,
        Event::CallEnded {
            cause: EndCause::RemoteBye,
            ..
        }
    )));
}

#[test]
fn several_local_addresses_pick_the_right_family() {
    let mut net = Net::new(1, 0.0);
    let a = net.endpoint(&["127.0.0.1:5070", "[::1]:5070"], 1);
    let b4 = net.endpoint(&["127.0.0.2:5080"], 2);
    let b6 = net.endpoint(&["[::1]:5080"], 3);
    let now = net.now;
    net.ep(a)
        .dial(now, Dial::new(na("<sip:a@x>"), na("<sip:b@[::1]:5080>")))
        .unwrap();
    net.ep(a)
        .dial(
            now,
            Dial::new(na("<sip:a@x>"), na("<sip:b@127.0.0.2:5080>")),
        )
        .unwrap();
    net.run_for(Duration::from_millis(50));
    incoming(&net, b4);
    incoming(&net, b6);
    let from6 = net
        .log
        .iter()
        .filter(|s| s.from == addr("[::1]:5070"))
        .count();
    let from4 = net
        .log
        .iter()
        .filter(|s| s.from == addr("127.0.0.1:5070"))
        .count();
    assert!(from6 >= 1 && from4 >= 1);
    // No IPv4-only endpoint can dial IPv6.
    let now = net.now;
    assert!(matches!(
        net.ep(b4)
            .dial(now, Dial::new(na("<sip:a@x>"), na("<sip:b@[::1]:5080>"))),
        Err(sip::Error::NoLocalAddress(_))
    ));
    // Host names need a resolved destination.
    assert!(matches!(
        net.ep(b4)
            .dial(now, Dial::new(na("<sip:a@x>"), na("<sip:b@example.com>"))),
        Err(sip::Error::Unresolved(_))
    ));
}

#[test]
fn nat_rport_and_public_address() {
    let mut net = Net::new(1, 0.0);
    // A is "behind NAT": advertises a public address in Via/Contact.
    let mut cfg = sip::Config::with_local_addrs([addr(A)]);
    cfg.local_addrs[0].public = Some((sip::msg::Host::Name("pbx.example.com".into()), 15060));
    let a = net.endpoint_with(cfg, 1);
    let b = net.endpoint(&[B], 2);
    let now = net.now;
    net.ep(a).dial(now, dial_b()).unwrap();
    net.run_for(Duration::from_millis(50));
    let Some((_, Event::IncomingCall { request, .. })) =
        net.find_event(b, |e| matches!(e, Event::IncomingCall { .. }))
    else {
        panic!()
    };
    // B stamped received and rport, and answered to the real source (A's socket).
    let via = &request.via[0];
    assert_eq!(via.host.to_string(), "pbx.example.com");
    assert_eq!(via.rport(), Some(Some(5070)));
    assert_eq!(via.received(), Some(addr(A).ip()));
    let trying = net.sent_by(b, |s| s.is_response(100, "INVITE"));
    assert_eq!(trying[0].to, addr(A));
    assert!(
        request
            .header(&HeaderName::Contact)
            .unwrap()
            .contains("pbx.example.com:15060")
    );
}

#[test]
fn commands_in_wrong_states_are_errors() {
    let mut net = Net::new(1, 0.0);
    let (a, b, ca, cb) = established(&mut net);
    let now = net.now;
    assert!(matches!(
        net.ep(a).cancel(now, ca),
        Err(sip::Error::InvalidState(_))
    ));
    assert!(matches!(
        net.ep(b).accept(now, cb, None),
        Err(sip::Error::InvalidState(_))
    ));
    assert!(matches!(
        net.ep(a).reply(now, ca, Reply::status(StatusCode::OK)),
        Err(sip::Error::InvalidState(_))
    ));
    assert!(matches!(
        net.ep(a)
            .send_request(now, ca, InDialogRequest::new(Method::Bye)),
        Err(sip::Error::InvalidState(_))
    ));
    net.ep(a).bye(now, ca).unwrap();
    assert!(matches!(
        net.ep(a).bye(now, ca),
        Err(sip::Error::NoSuchCall(_))
    ));
    assert!(matches!(
        net.ep(a).reject(now, sip::CallHandle(999), 486, None),
        Err(sip::Error::NoSuchCall(_))
    ));
}

#[test]
fn shutdown_ends_every_call() {
    let mut net = Net::new(1, 0.0);
    let (a, b, _ca, _cb) = established(&mut net);
    // Plus one ringing call from B to A.
    let now = net.now;
    let mut d = Dial::new(na("<sip:bob@127.0.0.2>"), na("<sip:alice@127.0.0.1:5070>"));
    d.body = Some(sdp("x"));
    net.ep(b).dial(now, d).unwrap();
    net.run_for(Duration::from_millis(50));
    let now = net.now;
    net.ep(a).shutdown(now);
    net.run_for(Duration::from_secs(60));
    assert!(net.ep(a).is_idle());
    assert!(net.has_event(b, |e| matches!(
        e,
        Event::CallEnded {
            cause: EndCause::RemoteBye,
            ..
        }
    )));
    assert!(net.has_event(
        b,
        |e| matches!(e, Event::CallFailed { status, .. } if status.code() == 480)
    ));
}

#[test]
fn unanswered_invite_times_out_with_cancel_and_408() {
    let mut net = Net::new(1, 0.0);
    let a = net.endpoint(&[A], 1);
    let b = net.endpoint(&[B], 2);
    let now = net.now;
    let t0 = now;
    let ca = net.ep(a).dial(now, dial_b()).unwrap();
    net.run_for(Duration::from_millis(50));
    let cb = incoming(&net, b);
    let now = net.now;
    net.ep(b)
        .reply(now, cb, Reply::status(StatusCode::RINGING))
        .unwrap();
    net.run_for(Duration::from_secs(200));
    let cancels = net.sent_by(a, |s| s.is_request("CANCEL"));
    assert_eq!(cancels.len(), 1);
    assert_eq!((cancels[0].at - t0).as_secs(), 180);
    assert!(net.has_event(a, |e| matches!(e, Event::CallFailed { call, status, .. } if *call == ca && status.code() == 408)));
    assert!(!net.has_event(a, |e| matches!(e, Event::CallEnded { .. })));
    assert!(net.has_event(b, |e| matches!(
        e,
        Event::CallEnded {
            cause: EndCause::RemoteCancel,
            ..
        }
    )));
}

#[test]
fn bye_from_a_fork_whose_2xx_was_lost_ends_the_call() {
    let mut net = Net::new(1, 0.0);
    let a = net.endpoint(&[A], 1);
    let b = net.endpoint(&[B], 2);
    // Every 2xx to the INVITE is lost: A only ever sees 100 Trying.
    net.drop_filter = Some(Box::new(|s: &Sent| s.is_response(200, "INVITE")));
    let now = net.now;
    let ca = net.ep(a).dial(now, dial_b()).unwrap();
    net.run_for(Duration::from_millis(50));
    let cb = incoming(&net, b);
    let now = net.now;
    net.ep(b).accept(now, cb, Some(sdp("answer"))).unwrap();
    net.run_for(Duration::from_secs(40));
    // B gave up waiting for the ACK and sent BYE; A answered it 200 (not 481), cancelled
    // its INVITE and ended the call.
    assert!(net.has_event(b, |e| matches!(
        e,
        Event::CallEnded {
            cause: EndCause::NoAck,
            ..
        }
    )));
    assert_eq!(net.sent_by(a, |s| s.is_response(200, "BYE")).len(), 1);
    assert_eq!(net.sent_by(a, |s| s.is_request("CANCEL")).len(), 1);
    assert!(net.has_event(
        a,
        |e| matches!(e, Event::CallEnded { call, cause: EndCause::RemoteBye } if *call == ca)
    ));
    net.run_for(Duration::from_secs(60));
    assert!(net.ep(a).is_idle() && net.ep(b).is_idle());
}

#[test]
fn endpoint_can_move_to_the_driver_thread() {
    fn assert_send<T: Send + 'static>() {}
    assert_send::<sip::Endpoint>();
    assert_send::<Event>();
}

#[test]
fn redirect_contacts_reach_the_layer_above() {
    let mut net = Net::new(1, 0.0);
    let a = net.endpoint(&[A], 1);
    let b = net.endpoint(&[B], 2);
    let now = net.now;
    net.ep(a).dial(now, dial_b()).unwrap();
    net.run_for(Duration::from_millis(50));
    let cb = incoming(&net, b);
    let now = net.now;
    net.ep(b)
        .reply(
            now,
            cb,
            Reply::new(302)
                .unwrap()
                .with_header(HeaderName::Contact, "<sip:carol@127.0.0.3:5060>"),
        )
        .unwrap();
    net.run_for(Duration::from_millis(50));
    let Some((
        _,
        Event::CallFailed {
            status,
            response: Some(resp),
            ..
        },
    )) = net.find_event(a, |e| matches!(e, Event::CallFailed { .. }))
    else {
        panic!("{:?}", net.events(a))
    };
    assert_eq!(status.code(), 302);
    assert_eq!(
        resp.contacts().unwrap()[0].uri.to_string(),
        "sip:carol@127.0.0.3:5060"
    );
}

#[test]
fn their_bye_while_our_bye_waits_for_the_ack() {
    let mut net = Net::new(1, 0.0);
    let a = net.endpoint(&[A], 1);
    let b = net.endpoint(&[B], 2);
    net.drop_filter = Some(Box::new(|s: &Sent| s.is_request("ACK")));
    let now = net.now;
    let ca = net.ep(a).dial(now, dial_b()).unwrap();
    net.run_for(Duration::from_millis(50));
    let cb = incoming(&net, b);
    let now = net.now;
    net.ep(b).accept(now, cb, Some(sdp("answer"))).unwrap();
    net.run_for(Duration::from_millis(50));
    let now = net.now;
    net.ep(b).bye(now, cb).unwrap(); // deferred: no ACK yet
    net.ep(a).bye(now, ca).unwrap();
    net.run_for(Duration::from_secs(40));
    assert_eq!(net.sent_by(b, |s| s.is_response(200, "BYE")).len(), 1);
    assert!(
        net.sent_by(b, |s| s.is_request("BYE")).is_empty(),
        "B's own BYE was not needed"
    );
    assert!(net.has_event(a, |e| matches!(
        e,
        Event::CallEnded {
            cause: EndCause::LocalBye,
            ..
        }
    )));
    net.run_for(Duration::from_secs(60));
    assert!(net.ep(a).is_idle() && net.ep(b).is_idle());
}

/// REFER and the NOTIFYs of its implicit subscription (RFC 3515): the REFER goes out with its
/// Refer-To, and a NOTIFY in the dialog reaches the layer above, which answers it.
#[test]
fn refer_out_and_notify_in_the_dialog() {
    let mut net = Net::new(1, 0.0);
    let (a, b, ca, cb) = established(&mut net);
    let now = net.now;
    let mut refer = InDialogRequest::new(Method::Refer);
    refer
        .headers
        .push(HeaderName::ReferTo, "<sip:carol@127.0.0.1:5099>");
    net.ep(a).send_request(now, ca, refer).unwrap();
    net.run_for(Duration::from_millis(50));
    // b does not take REFER (405), but the request arrived with its header.
    assert!(net.has_event(
        a,
        |e| matches!(e, Event::InDialogResponse { status, .. } if status.code() == 405)
    ));
    // The other way: a NOTIFY in the dialog goes up and is answered by the layer above.
    let now = net.now;
    net.ep(b)
        .send_request(
            now,
            cb,
            InDialogRequest::new(Method::Notify)
                .with_body(Body::new("message/sipfrag", "SIP/2.0 200 OK")),
        )
        .unwrap();
    net.run_for(Duration::from_millis(50));
    let Some((
        _,
        Event::InDialogRequest {
            request, message, ..
        },
    )) = net.find_event(a, |e| matches!(e, Event::InDialogRequest { .. }))
    else {
        panic!("NOTIFY not surfaced")
    };
    assert_eq!(message.method, Method::Notify);
    let now = net.now;
    net.ep(a)
        .respond(now, ca, request, Reply::status(StatusCode::OK))
        .unwrap();
    net.run_for(Duration::from_millis(50));
    assert!(net.has_event(
        b,
        |e| matches!(e, Event::InDialogResponse { status, .. } if status.code() == 200)
    ));
}
