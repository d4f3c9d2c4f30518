//! A simulated network on a virtual clock for scenario tests.
//!
//! Nodes are [`Endpoint`]s or scripted peers (closures answering requests, for a registrar
//! or a misbehaving UAS). Every datagram goes through a seeded loss model and a fixed
//! one-way delay; [`Net::step`] advances the clock to whichever comes first, the next
//! delivery or the next endpoint timeout (the shape of str0m's `progress()` and quinn's
//! `Pair::step`). Everything sent is logged with its time for timing assertions.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sip::msg::{self, HeaderName, Limits, Message, Request, Response, StatusCode};
use sip::{Config, Endpoint, Event};

/// A tiny deterministic generator for the loss model (independent of the endpoints' RNG).
pub struct LossRng(u64);

impl LossRng {
    pub fn new(seed: u64) -> Self {
        LossRng(seed)
    }
    pub fn unit(&mut self) -> f64 {
        // splitmix64: well mixed even from small consecutive seeds.
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What a scripted peer does with a request: datagrams to send (destination, bytes).
pub type Script =
    Box<dyn FnMut(Instant, &Request, SocketAddr, SocketAddr) -> Vec<(SocketAddr, Vec<u8>)>>;

pub enum Peer {
    Endpoint(Box<Endpoint>),
    Scripted {
        script: Script,
        /// Responses received (scripted peers only answer).
        responses: Vec<Response>,
    },
}

pub struct Node {
    pub peer: Peer,
    pub addrs: Vec<SocketAddr>,
    pub events: Vec<(Instant, Event)>,
}

impl Node {
    pub fn ep(&mut self) -> &mut Endpoint {
        match &mut self.peer {
            Peer::Endpoint(e) => e,
            Peer::Scripted { .. } => panic!("not an endpoint"),
        }
    }
}

/// One datagram as sent.
#[derive(Clone, Debug)]
pub struct Sent {
    pub at: Instant,
    pub from: SocketAddr,
    pub to: SocketAddr,
    pub bytes: Vec<u8>,
    pub dropped: bool,
}

impl Sent {
    pub fn first_line(&self) -> String {
        let text = String::from_utf8_lossy(&self.bytes);
        text.lines().next().unwrap_or("").to_owned()
    }
    pub fn message(&self) -> Option<Message> {
        msg::parse(&self.bytes, &Limits::default()).ok()
    }
    pub fn is_request(&self, method: &str) -> bool {
        self.first_line().starts_with(&format!("{method} "))
    }
    pub fn is_response(&self, code: u16, method: &str) -> bool {
        match self.message() {
            Some(Message::Response(r)) => {
                r.status.code() == code && r.cseq.method.as_str() == method
            }
            _ => false,
        }
    }
}

pub type DropFilter = Box<dyn FnMut(&Sent) -> bool>;

pub struct Net {
    pub start: Instant,
    pub now: Instant,
    pub nodes: Vec<Node>,
    pub delay: Duration,
    pub loss: f64,
    rng: LossRng,
    in_flight: BTreeMap<(Instant, u64), Sent>,
    seq: u64,
    pub log: Vec<Sent>,
    /// Returns true for datagrams to drop on purpose (on top of random loss).
    pub drop_filter: Option<DropFilter>,
    /// Datagrams to one address delivered to several (a stateless "forking" hop).
    pub forks: Vec<(SocketAddr, Vec<SocketAddr>)>,
}

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

impl Net {
    pub fn new(seed: u64, loss: f64) -> Net {
        let start = Instant::now();
        Net {
            start,
            now: start,
            nodes: Vec::new(),
            delay: Duration::from_millis(10),
            loss,
            rng: LossRng::new(seed),
            in_flight: BTreeMap::new(),
            seq: 0,
            log: Vec::new(),
            drop_filter: None,
            forks: Vec::new(),
        }
    }

    /// Adds an endpoint on the given local addresses.
    pub fn endpoint(&mut self, addrs: &[&str], seed: u64) -> usize {
        let addrs: Vec<SocketAddr> = addrs.iter().map(|a| addr(a)).collect();
        let config = Config::with_local_addrs(addrs.clone());
        self.endpoint_with(config, seed)
    }

    pub fn endpoint_with(&mut self, config: Config, seed: u64) -> usize {
        let addrs = config.local_addrs.iter().map(|l| l.socket).collect();
        self.nodes.push(Node {
            peer: Peer::Endpoint(Box::new(Endpoint::new(config, seed))),
            addrs,
            events: Vec::new(),
        });
        self.nodes.len() - 1
    }

    pub fn scripted(&mut self, addr_s: &str, script: Script) -> usize {
        self.nodes.push(Node {
            peer: Peer::Scripted {
                script,
                responses: Vec::new(),
            },
            addrs: vec![addr(addr_s)],
            events: Vec::new(),
        });
        self.nodes.len() - 1
    }

    pub fn ep(&mut self, n: usize) -> &mut Endpoint {
        self.nodes[n].ep()
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    fn send(&mut self, from: SocketAddr, to: SocketAddr, bytes: Vec<u8>) {
        let mut sent = Sent {
            at: self.now,
            from,
            to,
            bytes,
            dropped: false,
        };
        let random_loss = self.loss > 0.0 && self.rng.unit() < self.loss;
        let filtered = self.drop_filter.as_mut().is_some_and(|f| f(&sent));
        sent.dropped = random_loss || filtered;
        self.log.push(sent.clone());
        if sent.dropped {
            return;
        }
        let targets = self
            .forks
            .iter()
            .find(|(a, _)| *a == to)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| vec![to]);
        for target in targets {
            self.seq += 1;
            let mut s = sent.clone();
            s.to = target;
            self.in_flight.insert((self.now + self.delay, self.seq), s);
        }
    }

    /// Drains every node's transmits and events.
    pub fn flush(&mut self) {
        loop {
            let mut out = Vec::new();
            for n in 0..self.nodes.len() {
                let now = self.now;
                let node = &mut self.nodes[n];
                if let Peer::Endpoint(ep) = &mut node.peer {
                    while let Some(t) = ep.poll_transmit() {
                        assert!(
                            node.addrs.contains(&t.source),
                            "sent from a foreign address {}",
                            t.source
                        );
                        out.push((t.source, t.destination, t.payload));
                    }
                    while let Some(e) = ep.poll_event() {
                        node.events.push((now, e));
                    }
                }
            }
            if out.is_empty() {
                return;
            }
            for (from, to, bytes) in out {
                self.send(from, to, bytes);
            }
        }
    }

    fn next_deadline(&mut self) -> Option<Instant> {
        let mut best = self.in_flight.keys().next().map(|(t, _)| *t);
        for node in &mut self.nodes {
            if let Peer::Endpoint(ep) = &mut node.peer
                && let Some(t) = ep.poll_timeout()
            {
                best = Some(best.map_or(t, |b| b.min(t)));
            }
        }
        best
    }

    /// Advances to the next delivery or timeout, not beyond `limit`. False when idle.
    pub fn step(&mut self, limit: Instant) -> bool {
        self.flush();
        let Some(next) = self.next_deadline() else {
            return false;
        };
        if next > limit {
            self.now = limit;
            return false;
        }
        self.now = self.now.max(next);
        // Deliver everything due.
        while let Some((&(at, seq), _)) = self.in_flight.iter().next() {
            if at > self.now {
                break;
            }
            let Some(sent) = self.in_flight.remove(&(at, seq)) else {
                break;
            };
            self.deliver(sent);
        }
        for node in &mut self.nodes {
            if let Peer::Endpoint(ep) = &mut node.peer
                && ep.poll_timeout().is_some_and(|t| t <= self.now)
            {
                ep.handle_timeout(self.now);
            }
        }
        self.flush();
        true
    }

    fn deliver(&mut self, sent: Sent) {
        let now = self.now;
        let Some(n) = self
            .nodes
            .iter()
            .position(|node| node.addrs.contains(&sent.to))
        else {
            return; // a black hole
        };
        let mut replies = Vec::new();
        match &mut self.nodes[n].peer {
            Peer::Endpoint(ep) => ep.handle_datagram(now, sent.to, sent.from, &sent.bytes),
            Peer::Scripted { script, responses } => {
                match msg::parse(&sent.bytes, &Limits::default()) {
                    Ok(Message::Request(req)) => {
                        for (dest, bytes) in script(now, &req, sent.to, sent.from) {
                            replies.push((sent.to, dest, bytes));
                        }
                    }
                    Ok(Message::Response(r)) => responses.push(r),
                    Err(_) => {}
                }
            }
        }
        for (from, to, bytes) in replies {
            self.send(from, to, bytes);
        }
    }

    pub fn run_for(&mut self, d: Duration) {
        let limit = self.now + d;
        while self.step(limit) {}
        self.now = self.now.max(limit);
        self.flush();
    }

    pub fn run_until(&mut self, mut done: impl FnMut(&mut Net) -> bool, max: Duration) -> bool {
        let limit = self.now + max;
        loop {
            if done(self) {
                return true;
            }
            if !self.step(limit) {
                return done(self);
            }
        }
    }

    /// Events of a node, without timestamps.
    pub fn events(&self, n: usize) -> Vec<Event> {
        self.nodes[n]
            .events
            .iter()
            .map(|(_, e)| e.clone())
            .collect()
    }

    pub fn has_event(&self, n: usize, f: impl Fn(&Event) -> bool) -> bool {
        self.nodes[n].events.iter().any(|(_, e)| f(e))
    }

    pub fn find_event(&self, n: usize, f: impl Fn(&Event) -> bool) -> Option<(Instant, Event)> {
        self.nodes[n].events.iter().find(|(_, e)| f(e)).cloned()
    }

    /// Log entries sent by `from` (any of its addresses) matching `f`.
    pub fn sent_by(&self, n: usize, f: impl Fn(&Sent) -> bool) -> Vec<Sent> {
        let addrs = &self.nodes[n].addrs;
        self.log
            .iter()
            .filter(|s| addrs.contains(&s.from) && f(s))
            .cloned()
            .collect()
    }

    /// Offsets from `t0` in milliseconds.
    pub fn offsets_ms(&self, sent: &[Sent], t0: Instant) -> Vec<u128> {
        sent.iter().map(|s| (s.at - t0).as_millis()).collect()
    }
}

// ----- helpers for building and checking messages in scripted peers --------------------

pub fn response_to(req: &Request, code: u16, to_tag: Option<&str>) -> Response {
    let mut r = Response::to_request(req, StatusCode::new(code).unwrap(), None);
    if let Some(t) = to_tag
        && r.to.tag().is_none()
    {
        r.to.set_tag(t);
    }
    r
}

/// Where a scripted UAS sends responses (received/rport are not stamped by scripted peers,
/// so the source is the answer).
pub fn reply(src: SocketAddr, resp: Response) -> Vec<(SocketAddr, Vec<u8>)> {
    vec![(src, resp.to_bytes())]
}

pub fn sdp(tag: &str) -> msg::Body {
    msg::Body::sdp(format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns={tag}\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
    ))
}

/// Independent digest check for scripted servers (RFC 2617 / 7616, qop=auth), written
/// against md-5 and sha2 directly rather than the crate's own code.
pub fn digest_ok(authorization: &str, method: &str, password: &str) -> bool {
    use sha2::Digest;
    let field = |name: &str| -> Option<String> {
        let start = authorization.find(&format!("{name}="))? + name.len() + 1;
        let rest = &authorization[start..];
        if let Some(q) = rest.strip_prefix('"') {
            Some(q[..q.find('"')?].to_owned())
        } else {
            Some(rest.split(',').next()?.trim().to_owned())
        }
    };
    let (Some(user), Some(realm), Some(nonce), Some(uri), Some(resp)) = (
        field("username"),
        field("realm"),
        field("nonce"),
        field("uri"),
        field("response"),
    ) else {
        return false;
    };
    let alg = field("algorithm").unwrap_or_else(|| "MD5".into());
    let h = |s: String| -> String {
        if alg.eq_ignore_ascii_case("SHA-256") {
            sha2::Sha256::digest(s.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        } else {
            md5::Md5::digest(s.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        }
    };
    let ha1 = h(format!("{user}:{realm}:{password}"));
    let ha2 = h(format!("{method}:{uri}"));
    let expected = match (field("qop"), field("nc"), field("cnonce")) {
        (Some(qop), Some(nc), Some(cnonce)) => {
            h(format!("{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}"))
        }
        _ => h(format!("{ha1}:{nonce}:{ha2}")),
    };
    expected == resp
}

pub fn header(req: &Request, name: HeaderName) -> Option<String> {
    req.headers.get(&name).map(str::to_owned)
}

/// Counts terminal events per call handle on a node.
pub fn terminal_events(net: &Net, n: usize) -> BTreeMap<sip::CallHandle, usize> {
    let mut m = BTreeMap::new();
    for (_, e) in &net.nodes[n].events {
        match e {
            Event::CallFailed { call, .. } | Event::CallEnded { call, .. } => {
                *m.entry(*call).or_insert(0) += 1
            }
            _ => {}
        }
    }
    m
}

/// Every call a node has heard of (IncomingCall, or any event naming it).
pub fn calls_seen(net: &Net, n: usize) -> Vec<sip::CallHandle> {
    let mut v: Vec<sip::CallHandle> = net.nodes[n]
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::IncomingCall { call, .. }
            | Event::CallConfirmed { call, .. }
            | Event::CallProgress { call, .. }
            | Event::CallAnswered { call, .. }
            | Event::CallFailed { call, .. }
            | Event::CallEnded { call, .. }
            | Event::InDialogRequest { call, .. }
            | Event::InDialogResponse { call, .. }
            | Event::Dtmf { call, .. } => Some(*call),
            Event::Registration { .. } => None,
        })
        .collect();
    v.sort();
    v.dedup();
    v
}
