//! A two-leg test harness on a virtual clock: two `MediaSession`s negotiated with real SDP
//! offer/answer, joined by a seeded network (delay, jitter, loss, optional NAT rewriting of
//! B's source address), ticked every 20 ms the way `firmware` will tick them.

#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::{Duration, Instant, UNIX_EPOCH};

use media::Frame;
use media::rtp::{Channel, MAX_DATAGRAM, MediaEvent, MediaSession, SessionConfig};
use media::sdp::{LocalMedia, NegotiatedMedia, SdpSession, SessionDescription};

/// SplitMix64.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A datagram in flight.
pub struct Datagram {
    pub at: Instant,
    pub from: SocketAddr,
    pub to: SocketAddr,
    pub bytes: Vec<u8>,
}

/// One leg and everything observed about it.
pub struct Peer {
    pub session: MediaSession,
    pub rtp: SocketAddr,
    pub rtcp: SocketAddr,
    /// Every frame popped.
    pub heard: Vec<i16>,
    pub events: Vec<(Instant, MediaEvent)>,
    /// Every datagram it sent: (time, channel, destination, bytes).
    pub sent: Vec<(Instant, Channel, SocketAddr, Vec<u8>)>,
}

impl Peer {
    fn new(
        now: Instant,
        seed: u64,
        rtp: SocketAddr,
        config: impl FnOnce(&mut SessionConfig),
    ) -> Self {
        let mut c = SessionConfig::new(seed, UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        c.cname = format!("peer{seed}");
        config(&mut c);
        Self {
            session: MediaSession::new(now, c),
            rtp,
            rtcp: SocketAddr::new(rtp.ip(), rtp.port() + 1),
            heard: Vec::new(),
            events: Vec::new(),
            sent: Vec::new(),
        }
    }

    /// RTP packets sent (not RTCP), parsed: (time, header, payload).
    pub fn rtp_sent(&self) -> Vec<(Instant, media::rtp::RtpHeader, Vec<u8>)> {
        self.sent
            .iter()
            .filter(|(_, _, _, b)| !media::rtcp::is_rtcp(b))
            .map(|(t, _, _, b)| {
                let p = media::rtp::RtpPacket::parse(b).unwrap();
                (*t, p.header, p.payload.to_vec())
            })
            .collect()
    }

    pub fn dtmf_heard(&self) -> Vec<(char, u32)> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                MediaEvent::Dtmf { digit, duration_ms } => Some((digit.as_char(), *duration_ms)),
                _ => None,
            })
            .collect()
    }
}

/// Network behaviour.
#[derive(Clone, Copy)]
pub struct NetConfig {
    pub delay_ms: f64,
    pub jitter_ms: f64,
    pub loss: f64,
    /// B is behind a NAT: its packets appear from this address, and packets to it reach B.
    pub b_public: Option<SocketAddr>,
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            delay_ms: 10.0,
            jitter_ms: 0.0,
            loss: 0.0,
            b_public: None,
        }
    }
}

pub struct Pair {
    pub t0: Instant,
    pub now: Instant,
    pub a: Peer,
    pub b: Peer,
    pub net: NetConfig,
    pub rng: Rng,
    pub in_flight: Vec<Datagram>,
    pub a_negotiated: NegotiatedMedia,
    pub b_negotiated: NegotiatedMedia,
    /// Drop only packets this predicate selects (with probability `loss`); default all.
    pub lossy: fn(&[u8]) -> bool,
}

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

impl Pair {
    /// A calls B: A offers, B answers (SDP text goes through the parser both ways).
    pub fn new(seed: u64, net: NetConfig) -> Self {
        Self::with(seed, net, |_| {}, |_| {}, |l| l)
    }

    pub fn with(
        seed: u64,
        net: NetConfig,
        config_a: impl FnOnce(&mut SessionConfig),
        config_b: impl FnOnce(&mut SessionConfig),
        local_b: impl FnOnce(LocalMedia) -> LocalMedia,
    ) -> Self {
        let t0 = Instant::now();
        let a = Peer::new(t0, seed, addr("192.0.2.1:4000"), config_a);
        let b = Peer::new(t0, seed + 1000, addr("10.0.0.2:5000"), config_b);
        let mut sa = SdpSession::new(1);
        let mut sb = SdpSession::new(2);
        let la = LocalMedia::new(a.rtp.ip(), a.rtp.port());
        let lb = local_b(LocalMedia::new(b.rtp.ip(), b.rtp.port()));
        let offer = SessionDescription::parse_str(&sa.create_offer(&la).to_string()).unwrap();
        let (answer, b_negotiated) = sb.answer(&offer, &lb).unwrap();
        let a_negotiated = sa
            .accept_answer(&SessionDescription::parse_str(&answer.to_string()).unwrap())
            .unwrap();
        let mut pair = Self {
            t0,
            now: t0,
            a,
            b,
            net,
            rng: Rng(seed),
            in_flight: Vec::new(),
            a_negotiated,
            b_negotiated,
            lossy: |_| true,
        };
        pair.a.session.configure(t0, &pair.a_negotiated);
        pair.b.session.configure(t0, &pair.b_negotiated);
        pair
    }

    fn send_all(&mut self, which_b: bool) {
        let mut buf = [0u8; MAX_DATAGRAM];
        let now = self.now;
        loop {
            let peer = if which_b { &mut self.b } else { &mut self.a };
            let Some(t) = peer.session.poll_transmit(now, &mut buf) else {
                break;
            };
            let bytes = buf[..t.len].to_vec();
            let from = match (which_b, t.channel) {
                (false, Channel::Rtp) => self.a.rtp,
                (false, Channel::Rtcp) => self.a.rtcp,
                (true, c) => {
                    let private = if c == Channel::Rtp {
                        self.b.rtp
                    } else {
                        self.b.rtcp
                    };
                    match self.net.b_public {
                        Some(p) if c == Channel::Rtp => p,
                        Some(p) => SocketAddr::new(p.ip(), p.port() + 1),
                        None => private,
                    }
                }
            };
            let peer = if which_b { &mut self.b } else { &mut self.a };
            peer.sent
                .push((now, t.channel, t.destination, bytes.clone()));
            if (self.lossy)(&bytes) && self.rng.unit() < self.net.loss {
                continue;
            }
            let delay = self.net.delay_ms + self.rng.unit() * self.net.jitter_ms;
            self.in_flight.push(Datagram {
                at: now + Duration::from_secs_f64(delay / 1000.0),
                from,
                to: t.destination,
                bytes,
            });
        }
    }

    /// Injects a datagram into the network, arriving now.
    pub fn inject(&mut self, from: SocketAddr, to: SocketAddr, bytes: Vec<u8>) {
        self.in_flight.push(Datagram {
            at: self.now,
            from,
            to,
            bytes,
        });
    }

    fn deliver_until(&mut self, until: Instant) {
        self.in_flight.sort_by_key(|d| d.at);
        while let Some(d) = self.in_flight.first() {
            if d.at > until {
                break;
            }
            let d = self.in_flight.remove(0);
            let b_rtp_public = self.net.b_public;
            let b_rtcp_public = b_rtp_public.map(|p| SocketAddr::new(p.ip(), p.port() + 1));
            if d.to == self.a.rtp {
                self.a.session.handle_rtp(d.at, d.from, &d.bytes);
            } else if d.to == self.a.rtcp {
                self.a.session.handle_rtcp(d.at, d.from, &d.bytes);
            } else if Some(d.to) == b_rtp_public.or(Some(self.b.rtp)) {
                // Behind a NAT only the public address reaches B.
                self.b.session.handle_rtp(d.at, d.from, &d.bytes);
            } else if Some(d.to) == b_rtcp_public.or(Some(self.b.rtcp)) {
                self.b.session.handle_rtcp(d.at, d.from, &d.bytes);
            }
            // Anything else is lost in the void (e.g. sent to an unreachable private address).
        }
    }

    fn drain_events(&mut self) {
        let now = self.now;
        for p in [&mut self.a, &mut self.b] {
            while let Some(e) = p.session.poll_event() {
                p.events.push((now, e));
            }
        }
    }

    /// One 20 ms tick: deliver what arrived, handle timeouts, pop and push a frame on each
    /// leg (`None`: this leg does not push, e.g. to test the clock), send what they want.
    pub fn tick(&mut self, frame_a: &Frame, frame_b: &Frame) {
        let next = self.now + Duration::from_millis(20);
        self.deliver_until(next);
        self.now = next;
        for p in [&mut self.a, &mut self.b] {
            if let Some(t) = p.session.poll_timeout()
                && t <= self.now
            {
                p.session.handle_timeout(self.now);
            }
        }
        let fa = self.a.session.pop_frame(self.now);
        self.a.heard.extend_from_slice(&fa);
        let fb = self.b.session.pop_frame(self.now);
        self.b.heard.extend_from_slice(&fb);
        self.a.session.push_frame(self.now, frame_a);
        self.b.session.push_frame(self.now, frame_b);
        self.send_all(false);
        self.send_all(true);
        self.drain_events();
    }

    /// `n` ticks of A sending a 440 Hz sine and B silence.
    pub fn run(&mut self, n: usize) {
        for _ in 0..n {
            let f = sine_frame(&mut self.a_phase());
            self.tick(&f, &[0; 160]);
        }
    }

    fn a_phase(&self) -> u64 {
        self.now.duration_since(self.t0).as_millis() as u64 / 20 * 160
    }
}

pub fn sine_frame(start: &mut u64) -> Frame {
    let mut f = [0i16; 160];
    for (i, s) in f.iter_mut().enumerate() {
        let n = *start + i as u64;
        *s = (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * n as f64 / 8000.0).sin()) as i16;
    }
    *start += 160;
    f
}
