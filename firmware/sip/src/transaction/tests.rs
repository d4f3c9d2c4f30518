//! The four machines driven directly on a virtual clock, timer by timer.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::*;
use crate::msg::{Limits, Message, StatusCode, parse};
use crate::timer::Schedule;

struct Rig {
    layer: TransactionLayer,
    schedule: Schedule,
    out: VecDeque<Transmit>,
    retrans: u64,
    start: Instant,
    now: Instant,
    events: Vec<(Duration, TxEvent)>,
}

const LOCAL: &str = "127.0.0.1:5060";
const PEER: &str = "127.0.0.2:5060";

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

impl Rig {
    fn new() -> Rig {
        let start = Instant::now();
        Rig {
            layer: TransactionLayer::new(TimerConfig::default()),
            schedule: Schedule::default(),
            out: VecDeque::new(),
            retrans: 0,
            start,
            now: start,
            events: Vec::new(),
        }
    }

    fn start_client(&mut self, req: Request) -> TxId {
        let mut io = Io {
            now: self.now,
            out: &mut self.out,
            schedule: &mut self.schedule,
            retransmissions: &mut self.retrans,
        };
        self.layer
            .start_client(&mut io, req, sa(LOCAL), sa(PEER), TxOwner::Detached)
    }

    fn on_response(&mut self, resp: Response) -> ResponseMatch {
        let mut io = Io {
            now: self.now,
            out: &mut self.out,
            schedule: &mut self.schedule,
            retransmissions: &mut self.retrans,
        };
        self.layer.on_response(&mut io, resp)
    }

    fn on_request(&mut self, req: Request) -> RequestMatch {
        let mut io = Io {
            now: self.now,
            out: &mut self.out,
            schedule: &mut self.schedule,
            retransmissions: &mut self.retrans,
        };
        self.layer.on_request(&mut io, req)
    }

    fn respond(&mut self, id: TxId, resp: &Response) -> Result<(), crate::Error> {
        let mut io = Io {
            now: self.now,
            out: &mut self.out,
            schedule: &mut self.schedule,
            retransmissions: &mut self.retrans,
        };
        self.layer.respond(&mut io, id, resp)
    }

    /// Fires every timer up to `t` (from start), in order.
    fn advance_to(&mut self, t: Duration) {
        let until = self.start + t;
        while let Some((at, owner)) = self.schedule.peek() {
            if at > until {
                break;
            }
            self.schedule.pop();
            if let TimerOwner::Transaction(id, timer) = owner
                && self.layer.timer_is_live(id, timer, at)
            {
                self.now = at;
                let mut io = Io {
                    now: self.now,
                    out: &mut self.out,
                    schedule: &mut self.schedule,
                    retransmissions: &mut self.retrans,
                };
                if let Some(ev) = self.layer.on_timer(&mut io, id, timer) {
                    self.events.push((at - self.start, ev));
                }
            }
        }
        self.now = until;
    }

    /// Offsets (ms) at which datagrams were sent since the last drain.
    fn drain(&mut self) -> Vec<Transmit> {
        self.out.drain(..).collect()
    }
}

fn request(method: &str, branch: &str) -> Request {
    let text = format!(
        "{method} sip:bob@127.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch={branch}\r\n\
         From: <sip:a@x>;tag=f\r\nTo: <sip:b@y>\r\nCall-ID: c1\r\nCSeq: 1 {method}\r\nMax-Forwards: 70\r\n\r\n"
    );
    match parse(text.as_bytes(), &Limits::default()).unwrap() {
        Message::Request(r) => r,
        _ => unreachable!(),
    }
}

fn response(req: &Request, code: u16) -> Response {
    let mut r = Response::to_request(req, StatusCode::new(code).unwrap(), None);
    if code > 100 {
        r.to.set_tag("t");
    }
    r
}

/// Times (ms since start) at which the machine sent something, by sampling after each timer.
fn send_times(rig: &mut Rig, until: Duration) -> Vec<u128> {
    let mut times = vec![];
    let step = Duration::from_millis(100);
    let mut t = Duration::ZERO;
    while t <= until {
        rig.advance_to(t);
        for _ in rig.drain() {
            times.push(t.as_millis());
        }
        t += step;
    }
    times
}

#[test]
fn ict_timer_a_doubles_and_timer_b_times_out() {
    let mut rig = Rig::new();
    let inv = request("INVITE", "z9hG4bK1");
    let id = rig.start_client(inv);
    let times = send_times(&mut rig, Duration::from_secs(40));
    // Timer A: T1, 2T1, 4T1, … (no T2 cap for INVITE); Timer B at 64*T1.
    assert_eq!(times, vec![0, 500, 1500, 3500, 7500, 15500, 31500]);
    assert!(
        matches!(rig.events[..], [(t, TxEvent::Timeout { tx, .. })] if t.as_millis() == 32000 && tx == id)
    );
    assert_eq!(rig.layer.len(), 0);
    assert_eq!(rig.retrans, 6);
}

#[test]
fn ict_provisional_stops_retransmissions_and_final_error_is_acked() {
    let mut rig = Rig::new();
    let inv = request("INVITE", "z9hG4bK1");
    rig.start_client(inv.clone());
    rig.drain();
    rig.advance_to(Duration::from_millis(200));
    let m = rig.on_response(response(&inv, 180));
    assert!(matches!(m, ResponseMatch::Event(TxEvent::Response { .. })));
    // No more Timer A, no Timer B in Proceeding.
    assert!(send_times(&mut rig, Duration::from_secs(60)).is_empty());
    assert!(rig.events.is_empty());
    let m = rig.on_response(response(&inv, 486));
    assert!(matches!(m, ResponseMatch::Event(TxEvent::Response { .. })));
    let ack = rig.drain();
    assert_eq!(ack.len(), 1);
    let Ok(Message::Request(ack_req)) = parse(&ack[0].payload, &Limits::default()) else {
        panic!()
    };
    assert_eq!(ack_req.method, Method::Ack);
    assert_eq!(
        ack_req.via[0].branch(),
        Some("z9hG4bK1"),
        "same branch as the INVITE (§17.1.1.3)"
    );
    assert_eq!(ack_req.to.tag(), Some("t"));
    assert_eq!(ack_req.cseq.seq, 1);
    // A retransmitted 486 is absorbed and the ACK resent.
    let m = rig.on_response(response(&inv, 486));
    assert!(matches!(m, ResponseMatch::Absorbed));
    assert_eq!(rig.drain().len(), 1);
    // Timer D (32 s) ends it.
    rig.advance_to(Duration::from_secs(60 + 31));
    assert_eq!(rig.layer.len(), 1);
    rig.advance_to(Duration::from_secs(60 + 33));
    assert_eq!(rig.layer.len(), 0);
}

#[test]
fn ict_accepted_passes_2xx_retransmissions_until_timer_m() {
    let mut rig = Rig::new();
    let inv = request("INVITE", "z9hG4bK1");
    rig.start_client(inv.clone());
    rig.drain();
    for _ in 0..2 {
        let m = rig.on_response(response(&inv, 200));
        assert!(matches!(m, ResponseMatch::Event(_)));
    }
    // The transaction does not ACK a 2xx (the UA core does).
    assert!(rig.drain().is_empty());
    rig.advance_to(Duration::from_secs(33));
    assert_eq!(rig.layer.len(), 0);
    assert!(matches!(
        rig.on_response(response(&inv, 200)),
        ResponseMatch::Stray(_)
    ));
}

#[test]
fn nict_timer_e_caps_at_t2_and_timer_f_times_out() {
    let mut rig = Rig::new();
    let bye = request("BYE", "z9hG4bK2");
    rig.start_client(bye);
    let times = send_times(&mut rig, Duration::from_secs(40));
    assert_eq!(
        times,
        vec![
            0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
    );
    assert!(matches!(rig.events[..], [(t, TxEvent::Timeout { .. })] if t.as_millis() == 32000));
}

#[test]
fn nict_proceeding_retransmits_every_t2_and_completed_waits_timer_k() {
    let mut rig = Rig::new();
    let bye = request("BYE", "z9hG4bK2");
    rig.start_client(bye.clone());
    rig.drain();
    rig.advance_to(Duration::from_millis(100));
    rig.on_response(response(&bye, 100));
    let times = send_times(&mut rig, Duration::from_millis(9000));
    // E was armed for 500 ms; in Proceeding each firing re-arms with T2.
    assert_eq!(times, vec![500, 4500, 8500]);
    let m = rig.on_response(response(&bye, 200));
    assert!(matches!(m, ResponseMatch::Event(_)));
    assert!(matches!(
        rig.on_response(response(&bye, 200)),
        ResponseMatch::Absorbed
    ));
    rig.advance_to(Duration::from_millis(9000 + 4900));
    assert_eq!(rig.layer.len(), 1);
    rig.advance_to(Duration::from_millis(9000 + 5100));
    assert_eq!(rig.layer.len(), 0);
    // Provisional responses and the final one went up; no timeout.
    assert!(rig.events.is_empty());
}

#[test]
fn ist_error_response_timer_g_and_timer_h() {
    let mut rig = Rig::new();
    let inv = request("INVITE", "z9hG4bK3");
    let id = rig
        .layer
        .start_server(&inv, sa(LOCAL), sa(PEER), TxOwner::Detached)
        .unwrap();
    rig.respond(id, &response(&inv, 100)).unwrap();
    // A retransmitted INVITE gets the 100 again.
    assert!(matches!(
        rig.on_request(inv.clone()),
        RequestMatch::Absorbed
    ));
    assert_eq!(rig.drain().len(), 2);
    rig.respond(id, &response(&inv, 486)).unwrap();
    let times = send_times(&mut rig, Duration::from_secs(40));
    assert_eq!(
        times,
        vec![
            0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
    );
    assert!(matches!(rig.events[..], [(t, TxEvent::NoAck { .. })] if t.as_millis() == 32000));
    assert_eq!(rig.layer.len(), 0);
    // Responding again is an error, not a panic.
    assert!(rig.respond(id, &response(&inv, 500)).is_err());
}

#[test]
fn ist_ack_confirms_and_timer_i_ends_it() {
    let mut rig = Rig::new();
    let inv = request("INVITE", "z9hG4bK3");
    let id = rig
        .layer
        .start_server(&inv, sa(LOCAL), sa(PEER), TxOwner::Detached)
        .unwrap();
    rig.respond(id, &response(&inv, 404)).unwrap();
    rig.drain();
    rig.advance_to(Duration::from_millis(100));
    let mut ack = request("ACK", "z9hG4bK3");
    ack.to.set_tag("t");
    assert!(matches!(
        rig.on_request(ack.clone()),
        RequestMatch::Absorbed
    ));
    // Confirmed: no more G retransmissions; ACK retransmissions absorbed.
    assert!(send_times(&mut rig, Duration::from_millis(4000)).is_empty());
    assert!(matches!(rig.on_request(ack), RequestMatch::Absorbed));
    rig.advance_to(Duration::from_millis(5200));
    assert_eq!(rig.layer.len(), 0);
    assert!(rig.events.is_empty());
}

#[test]
fn ist_accepted_absorbs_invites_and_passes_acks() {
    let mut rig = Rig::new();
    let inv = request("INVITE", "z9hG4bK3");
    let id = rig
        .layer
        .start_server(&inv, sa(LOCAL), sa(PEER), TxOwner::Detached)
        .unwrap();
    rig.respond(id, &response(&inv, 200)).unwrap();
    rig.drain();
    assert!(matches!(
        rig.on_request(inv.clone()),
        RequestMatch::Absorbed
    ));
    assert!(
        rig.drain().is_empty(),
        "RFC 6026: INVITE retransmissions absorbed silently"
    );
    // The core may pass 2xx retransmissions through.
    rig.respond(id, &response(&inv, 200)).unwrap();
    assert_eq!(rig.drain().len(), 1);
    let ack = request("ACK", "z9hG4bK3");
    assert!(matches!(
        rig.on_request(ack),
        RequestMatch::Event(TxEvent::AckForSuccess { .. })
    ));
    rig.advance_to(Duration::from_secs(33));
    assert_eq!(rig.layer.len(), 0);
}

#[test]
fn nist_absorbs_then_resends_final_until_timer_j() {
    let mut rig = Rig::new();
    let opt = request("OPTIONS", "z9hG4bK4");
    let id = rig
        .layer
        .start_server(&opt, sa(LOCAL), sa(PEER), TxOwner::Detached)
        .unwrap();
    // Trying: absorbed with nothing to send.
    assert!(matches!(
        rig.on_request(opt.clone()),
        RequestMatch::Absorbed
    ));
    assert!(rig.drain().is_empty());
    assert!(rig.layer.awaiting_final(id));
    rig.respond(id, &response(&opt, 200)).unwrap();
    assert!(!rig.layer.awaiting_final(id));
    rig.drain();
    assert!(matches!(
        rig.on_request(opt.clone()),
        RequestMatch::Absorbed
    ));
    assert_eq!(rig.drain().len(), 1);
    rig.advance_to(Duration::from_millis(31_900));
    assert_eq!(rig.layer.len(), 1);
    rig.advance_to(Duration::from_millis(32_100));
    assert_eq!(rig.layer.len(), 0);
    assert!(matches!(rig.on_request(opt), RequestMatch::New(_)));
}

#[test]
fn matching_rules() {
    let mut rig = Rig::new();
    let inv = request("INVITE", "z9hG4bK5");
    rig.start_client(inv.clone());
    // Same branch, other method: not ours (§17.1.3).
    let mut other = response(&inv, 200);
    other.cseq.method = Method::Cancel;
    assert!(matches!(rig.on_response(other), ResponseMatch::Stray(_)));
    // Server side: the same branch from another sent-by is another transaction.
    let a = request("OPTIONS", "z9hG4bK6");
    let id = rig
        .layer
        .start_server(&a, sa(LOCAL), sa(PEER), TxOwner::Detached)
        .unwrap();
    let mut b = a.clone();
    b.via[0].port = Some(5099);
    assert!(matches!(rig.on_request(b), RequestMatch::New(_)));
    // CANCEL finds its INVITE by branch; an INVITE transaction is not found by OPTIONS.
    let inv_s = request("INVITE", "z9hG4bK7");
    let inv_id = rig
        .layer
        .start_server(&inv_s, sa(LOCAL), sa(PEER), TxOwner::Detached)
        .unwrap();
    let cancel = request("CANCEL", "z9hG4bK7");
    assert_eq!(
        rig.layer.find_invite_for_cancel(&cancel).map(|x| x.0),
        Some(inv_id)
    );
    assert!(
        rig.layer
            .find_invite_for_cancel(&request("CANCEL", "z9hG4bK8"))
            .is_none()
    );
    let _ = id;
}

#[test]
fn rfc2543_requests_match_without_magic_cookie() {
    let mut rig = Rig::new();
    let text = "INVITE sip:UserB@example.com SIP/2.0\r\nVia: SIP/2.0/UDP iftgw.example.com\r\n\
        From: <sip:+13035551111@ift.client.example.net;user=phone>;tag=1\r\nTo: sip:+16505552222@ss1.example.net;user=phone\r\n\
        Call-ID: inv2543.1717@ift.client.example.com\r\nCSeq: 56 INVITE\r\n\r\n";
    let Ok(Message::Request(inv)) = parse(text.as_bytes(), &Limits::default()) else {
        panic!()
    };
    let id = rig
        .layer
        .start_server(&inv, sa(LOCAL), sa(PEER), TxOwner::Detached)
        .unwrap();
    rig.respond(id, &response(&inv, 486)).unwrap();
    rig.drain();
    // The retransmission matches (same R-URI, From tag, Call-ID, CSeq, Via).
    assert!(matches!(
        rig.on_request(inv.clone()),
        RequestMatch::Absorbed
    ));
    assert_eq!(rig.drain().len(), 1);
    // The ACK matches the INVITE transaction (method ACK keyed as INVITE).
    let mut ack = inv.clone();
    ack.method = Method::Ack;
    ack.cseq.method = Method::Ack;
    ack.to.set_tag("t");
    assert!(matches!(rig.on_request(ack), RequestMatch::Absorbed));
    // A different CSeq is a new request.
    let mut next = inv;
    next.cseq.seq = 57;
    assert!(matches!(rig.on_request(next), RequestMatch::New(_)));
}
