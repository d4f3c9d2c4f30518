//! A scripted SIP phone built from our own cores (`sip` + `media`), for the demo and the load
//! generator: it places and answers calls on loopback, sends and records audio, and types
//! digits as RFC 4733 events or in-band tones.
//!
//! One phone has one SIP socket and one RTP socket for all its calls; received RTP is told
//! apart by its source, which the SDP of each call names (dsmbox sends from the port it
//! advertises). [`drive`] runs a phone on the current tokio `LocalSet` and reports its events
//! through a channel, so a scenario reads like a story: dial, wait for `Answered`, type
//! digits, wait for `Ended`.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::net::{SocketAddr, UdpSocket};
use std::rc::Rc;
use std::time::{Duration, Instant, SystemTime};

use media::rtp::{MediaSession, SessionConfig};
use media::sdp::{LocalMedia, SdpSession, SessionDescription};
use sip::CallHandle;
use sip::msg::{Body, NameAddr, Uri};
use tokio::sync::mpsc;

/// What a phone reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneEvent {
    /// A call for us; `to_user` is the user it was addressed to.
    Incoming {
        /// The call.
        call: CallHandle,
        /// The To user.
        to_user: String,
    },
    /// 180/183 for a call we placed.
    Progress {
        /// The call.
        call: CallHandle,
        /// The status.
        status: u16,
    },
    /// Our call was answered, or we answered and the caller confirmed.
    Answered {
        /// The call.
        call: CallHandle,
    },
    /// A call ended (`status`: the final response of a failed call, else 0).
    Ended {
        /// The call.
        call: CallHandle,
        /// Final status of a failed call, 0 otherwise.
        status: u16,
    },
    /// An RFC 4733 digit was received.
    Dtmf {
        /// The call.
        call: CallHandle,
        /// The key.
        key: char,
    },
}

struct PhoneCall {
    session: MediaSession,
    sdp: SdpSession,
    remote_rtp: Option<SocketAddr>,
    answer: Option<SessionDescription>,
    running: bool,
    to_send: VecDeque<i16>,
    heard: Option<Vec<i16>>,
}

/// A scripted phone. See the module docs.
pub struct Phone {
    /// Shown in demo output.
    pub name: String,
    ep: sip::Endpoint,
    sip_sock: UdpSocket,
    rtp_sock: UdpSocket,
    local: LocalMedia,
    calls: HashMap<CallHandle, PhoneCall>,
    by_source: HashMap<SocketAddr, CallHandle>,
    /// Answer incoming calls at once with 200.
    pub auto_answer: bool,
    /// Keep what each call hears.
    pub record: bool,
    seed: u64,
    events: mpsc::UnboundedSender<PhoneEvent>,
    buf: Vec<u8>,
}

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Phone").field("name", &self.name).finish()
    }
}

/// Receive buffer asked for the phone's shared RTP socket (bytes).
const RTP_RECV_BUFFER: usize = 8 << 20;

impl Phone {
    /// A phone on 127.0.0.1 with free ports; events go to the returned receiver.
    pub fn new(
        name: &str,
        seed: u64,
    ) -> std::io::Result<(Phone, mpsc::UnboundedReceiver<PhoneEvent>)> {
        let sip_sock = UdpSocket::bind("127.0.0.1:0")?;
        let rtp_sock = UdpSocket::bind("127.0.0.1:0")?;
        // One socket carries every call of this phone: a load test's hundreds of calls arrive
        // as one burst per 20 ms, more than the default buffer (about 200 small datagrams)
        // holds. Real phones have a socket per call; this one needs room for all of them.
        // The kernel caps the size at net.core.rmem_max; a smaller buffer is not an error.
        if let Err(e) = socket2::SockRef::from(&rtp_sock).set_recv_buffer_size(RTP_RECV_BUFFER) {
            log::warn!("phone {name}: RTP receive buffer: {e}");
        }
        sip_sock.set_nonblocking(true)?;
        rtp_sock.set_nonblocking(true)?;
        let sip_addr = sip_sock.local_addr()?;
        let rtp_port = rtp_sock.local_addr()?.port();
        let cfg = sip::Config::with_local_addrs([sip_addr]);
        let (tx, rx) = mpsc::unbounded_channel();
        Ok((
            Phone {
                name: name.to_string(),
                ep: sip::Endpoint::new(cfg, seed),
                sip_sock,
                rtp_sock,
                local: LocalMedia::new(sip_addr.ip(), rtp_port),
                calls: HashMap::new(),
                by_source: HashMap::new(),
                auto_answer: false,
                record: false,
                seed,
                events: tx,
                buf: vec![0u8; media::rtp::MAX_DATAGRAM],
            },
            rx,
        ))
    }

    /// The SIP address.
    pub fn sip_addr(&self) -> SocketAddr {
        self.sip_sock
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    fn new_call_media(&mut self, now: Instant) -> PhoneCall {
        self.seed = self
            .seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut cfg = SessionConfig::new(self.seed, SystemTime::now());
        cfg.cname = self.name.clone();
        PhoneCall {
            session: MediaSession::new(now, cfg),
            sdp: SdpSession::new(self.seed >> 20),
            remote_rtp: None,
            answer: None,
            running: false,
            to_send: VecDeque::new(),
            heard: self.record.then(Vec::new),
        }
    }

    /// Calls `uri` from `from_user`.
    pub fn dial(&mut self, now: Instant, uri: &str, from_user: &str) -> Option<CallHandle> {
        let to_uri = Uri::parse(uri).ok()?;
        let me = self.sip_addr();
        let from = NameAddr::new(Uri::parse(&format!("sip:{from_user}@{me}")).ok()?);
        let mut c = self.new_call_media(now);
        let offer = c.sdp.create_offer(&self.local);
        let mut d = sip::Dial::new(from, NameAddr::new(to_uri));
        d.body = Some(Body::sdp(offer.to_string().into_bytes()));
        let call = self.ep.dial(now, d).ok()?;
        self.calls.insert(call, c);
        self.flush();
        Some(call)
    }

    /// Answers an incoming call with 200 and our SDP answer.
    pub fn answer(&mut self, now: Instant, call: CallHandle) {
        let body = self.calls.get_mut(&call).and_then(|c| {
            c.answer
                .as_ref()
                .map(|sd| Body::sdp(sd.to_string().into_bytes()))
        });
        if let Err(e) = self.ep.accept(now, call, body) {
            log::debug!("{}: answer: {e}", self.name);
        }
        if let Some(c) = self.calls.get_mut(&call) {
            c.running = true;
        }
        self.flush();
    }

    /// BYE, or CANCEL while ringing.
    pub fn hangup(&mut self, now: Instant, call: CallHandle) {
        let _ = self.ep.hangup(now, call);
        self.flush();
    }

    /// Types `digits` as RFC 4733 events, 100 ms each.
    pub fn send_dtmf(&mut self, call: CallHandle, digits: &str) {
        if let Some(c) = self.calls.get_mut(&call)
            && let Err(e) = c.session.send_dtmf_str(digits, 100)
        {
            log::debug!("{}: dtmf: {e}", self.name);
        }
    }

    /// Plays `samples` (8 kHz) into the call, after what is already queued.
    pub fn play(&mut self, call: CallHandle, samples: &[i16]) {
        if let Some(c) = self.calls.get_mut(&call) {
            c.to_send.extend(samples.iter().copied());
        }
    }

    /// What the call has heard so far (with [`Phone::record`] on).
    pub fn heard(&self, call: CallHandle) -> &[i16] {
        self.calls
            .get(&call)
            .and_then(|c| c.heard.as_deref())
            .unwrap_or(&[])
    }

    /// Over the calls alive: 20 ms frames played out of the jitter buffers, and of those the
    /// frames concealed (audio that came late or not at all) — how punctual the far end is.
    pub fn frames_played_and_concealed(&self) -> (u64, u64) {
        self.calls.values().fold((0, 0), |(out, conc), c| {
            let j = c.session.stats().jitter;
            (out + j.frames_out, conc + j.frames_concealed)
        })
    }

    /// Number of calls alive.
    pub fn call_count(&self) -> usize {
        self.calls.len()
    }

    fn flush(&mut self) {
        while let Some(t) = self.ep.poll_transmit() {
            let _ = self.sip_sock.send_to(&t.payload, t.destination);
        }
        while let Some(ev) = self.ep.poll_event() {
            self.on_sip(Instant::now(), ev);
        }
        while let Some(t) = self.ep.poll_transmit() {
            let _ = self.sip_sock.send_to(&t.payload, t.destination);
        }
    }

    fn emit(&self, e: PhoneEvent) {
        let _ = self.events.send(e);
    }

    fn take_sdp(&mut self, now: Instant, call: CallHandle, body: Option<&Body>, answer: bool) {
        let Some(body) = body else { return };
        let Ok(sd) = SessionDescription::parse(&body.data) else {
            return;
        };
        let local = self.local.clone();
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        let neg = if answer {
            c.sdp.accept_answer(&sd).ok()
        } else {
            c.sdp.answer(&sd, &local).ok().map(|(a, n)| {
                c.answer = Some(a);
                n
            })
        };
        if let Some(neg) = neg {
            c.session.configure(now, &neg);
            if let Some(r) = neg.remote_rtp {
                c.remote_rtp = Some(r);
                self.by_source.insert(r, call);
            }
        }
    }

    fn on_sip(&mut self, now: Instant, ev: sip::Event) {
        match ev {
            sip::Event::IncomingCall { call, request, .. } => {
                let c = self.new_call_media(now);
                self.calls.insert(call, c);
                let body = request.body();
                self.take_sdp(now, call, body.as_ref(), false);
                let to_user = request.to.uri.user().unwrap_or_default();
                if let Some(r) = sip::Reply::new(180) {
                    let _ = self.ep.reply(now, call, r);
                }
                self.emit(PhoneEvent::Incoming { call, to_user });
                if self.auto_answer {
                    self.answer(now, call);
                }
            }
            sip::Event::CallProgress {
                call, status, body, ..
            } => {
                if body.is_some() {
                    self.take_sdp(now, call, body.as_ref(), true);
                    if let Some(c) = self.calls.get_mut(&call) {
                        c.running = true;
                    }
                }
                self.emit(PhoneEvent::Progress {
                    call,
                    status: status.code(),
                });
            }
            sip::Event::CallAnswered { call, body, .. } => {
                self.take_sdp(now, call, body.as_ref(), true);
                if let Some(c) = self.calls.get_mut(&call) {
                    c.running = true;
                }
                self.emit(PhoneEvent::Answered { call });
            }
            sip::Event::CallConfirmed { call, .. } => self.emit(PhoneEvent::Answered { call }),
            sip::Event::CallFailed { call, status, .. } => {
                self.remove(call);
                self.emit(PhoneEvent::Ended {
                    call,
                    status: status.code(),
                });
            }
            sip::Event::CallEnded { call, .. } => {
                self.remove(call);
                self.emit(PhoneEvent::Ended { call, status: 0 });
            }
            sip::Event::InDialogRequest { call, request, .. } => {
                if let Some(r) = sip::Reply::new(200) {
                    let _ = self.ep.respond(now, call, request, r);
                }
            }
            _ => {}
        }
    }

    fn remove(&mut self, call: CallHandle) {
        if let Some(c) = self.calls.get_mut(&call) {
            c.running = false;
            if let Some(r) = c.remote_rtp {
                self.by_source.remove(&r);
            }
        }
        // Keep the recording readable after the call ended: only drop calls without one.
        if self.calls.get(&call).is_some_and(|c| c.heard.is_none()) {
            self.calls.remove(&call);
        }
    }

    fn handle_sip(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        let local = self.sip_addr();
        self.ep.handle_datagram(now, local, from, data);
        self.flush();
    }

    fn handle_rtp(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        if let Some(call) = self.by_source.get(&from).copied()
            && let Some(c) = self.calls.get_mut(&call)
        {
            c.session.handle_rtp(now, from, data);
            while let Some(e) = c.session.poll_event() {
                if let media::rtp::MediaEvent::Dtmf { digit, .. } = e {
                    let key =
                        media::dtmf::DtmfKey::from_code(digit.code()).map_or('?', |k| k.to_char());
                    let _ = self.events.send(PhoneEvent::Dtmf { call, key });
                }
            }
        }
    }

    fn tick(&mut self, now: Instant) {
        let mut frame = [0i16; media::FRAME_SAMPLES];
        for c in self.calls.values_mut() {
            if !c.running {
                continue;
            }
            let heard = c.session.pop_frame(now);
            if let Some(h) = &mut c.heard {
                h.extend_from_slice(&heard);
            }
            for s in frame.iter_mut() {
                *s = c.to_send.pop_front().unwrap_or(0);
            }
            c.session.push_frame(now, &frame);
            while let Some(t) = c.session.poll_transmit(now, &mut self.buf) {
                if t.channel == media::rtp::Channel::Rtp {
                    let _ = self.rtp_sock.send_to(&self.buf[..t.len], t.destination);
                }
            }
        }
    }
}

/// Runs `phone` on the current `LocalSet` (SIP, RTP, 20 ms tick, timers) until the returned
/// handle is dropped or aborted.
pub fn drive(phone: Rc<RefCell<Phone>>) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    let (sip, rtp) = {
        let p = phone.borrow();
        (
            p.sip_sock
                .try_clone()
                .and_then(tokio::net::UdpSocket::from_std),
            p.rtp_sock
                .try_clone()
                .and_then(tokio::net::UdpSocket::from_std),
        )
    };
    let (Ok(sip), Ok(rtp)) = (sip, rtp) else {
        log::error!("phone sockets could not be registered with the runtime");
        return tasks;
    };
    let p = phone.clone();
    tasks.push(tokio::task::spawn_local(async move {
        let mut buf = vec![0u8; 65535];
        while let Ok((n, from)) = sip.recv_from(&mut buf).await {
            p.borrow_mut().handle_sip(Instant::now(), from, &buf[..n]);
        }
    }));
    let p = phone.clone();
    tasks.push(tokio::task::spawn_local(async move {
        let mut buf = vec![0u8; 2048];
        while let Ok((n, from)) = rtp.recv_from(&mut buf).await {
            p.borrow_mut().handle_rtp(Instant::now(), from, &buf[..n]);
        }
    }));
    let p = phone.clone();
    tasks.push(tokio::task::spawn_local(async move {
        let mut iv = tokio::time::interval(Duration::from_millis(20));
        iv.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        loop {
            iv.tick().await;
            let mut ph = p.borrow_mut();
            let now = Instant::now();
            ph.tick(now);
            if ph.ep.poll_timeout().is_some_and(|t| t <= now) {
                ph.ep.handle_timeout(now);
                ph.flush();
            }
        }
    }));
    tasks
}
