//! [`MediaSession`]: one call leg's media, sans-IO. Configure it from a negotiated SDP, feed
//! it datagrams, tick it every 20 ms, drain what it wants to send and what it has to tell.
//!
//! # Driving it (from the tokio runtime in `firmware`)
//! ```text
//! let mut leg = MediaSession::new(now, SessionConfig::new(seed, SystemTime::now()));
//! leg.configure(now, &negotiated);                 // after offer/answer, and after each re-INVITE
//! loop {
//!     select! {
//!         (n, from) = rtp_socket.recv_from(&mut buf)  => leg.handle_rtp(now, from, &buf[..n]),
//!         (n, from) = rtcp_socket.recv_from(&mut buf) => leg.handle_rtcp(now, from, &buf[..n]),
//!         _ = tick.tick() => {                     // every 20 ms, MissedTickBehavior::Burst
//!             let heard = leg.pop_frame(now);      // to the mixer / recorder / DTMF detector
//!             leg.push_frame(now, &to_send);       // every tick, silence if nothing to say
//!         }
//!         _ = sleep_until(leg.poll_timeout()) => leg.handle_timeout(now),
//!     }
//!     while let Some(t) = leg.poll_transmit(now, &mut out) {   // out: [u8; MAX_DATAGRAM]
//!         match t.channel { Channel::Rtp => rtp_socket, Channel::Rtcp => rtcp_socket }
//!             .send_to(&out[..t.len], t.destination);
//!     }
//!     while let Some(e) = leg.poll_event() { /* Dtmf -> DSM key, RtpTimeout -> rtpTimeout, ... */ }
//! }
//! ```
//! `pop_frame` and `push_frame` are the media clock: call each exactly once per 20 ms tick.
//! Nothing on this path allocates; all queues are fixed-size.
//!
//! # Behaviour
//! - **Symmetric RTP** ([`Latching`]): we send to where the peer's packets come from, latched
//!   on the first packet that parses and carries a negotiated payload type; after that other
//!   sources are dropped (RTP injection), unless re-latching is allowed after a silence. RTCP
//!   latches the same way on its own port. A new SDP address (re-INVITE) clears the latches.
//! - **Filtering and counting**: malformed datagrams are counted and dropped; packets of
//!   payload types not negotiated (comfort noise included), from unexpected sources, of a
//!   second SSRC from another address, or while we do not receive (hold) are dropped and
//!   counted. An SSRC change from the latched source is accepted and reported.
//! - **RTP timeout**: no valid packet for `rtp_timeout` while we expect media is reported once
//!   as [`MediaEvent::RtpTimeout`] (DSM's `rtpTimeout`); not while the peer holds us.
//! - **Sending**: G.711 packets at the negotiated ptime (10-60 ms, re-framed from 20 ms
//!   frames), marker bit on every talkspurt start; the media clock runs while muted, on hold,
//!   or while RFC 4733 events are sent, which suppress voice.
//! - **RTCP**: RR (SR once we send) with SDES CNAME every 5 s ± 50 %, BYE on [`close`].
//!
//! [`close`]: MediaSession::close

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use thiserror::Error;

use super::packet::{MAX_DATAGRAM, RTP_HEADER_LEN, RtpHeader, RtpPacket};
use super::reception::{ReceptionStats, SequenceCheck};
use super::sender::RtpSender;
use crate::g711::Law;
use crate::jitter::{JitterBuffer, JitterConfig, JitterStats};
use crate::rtcp::{self, RtcpPacket, RtcpReporter, is_rtcp};
use crate::sdp::{Direction, NegotiatedMedia, PayloadFormat};
use crate::telephone_event::{Digit, EventReceiver, EventSender};
use crate::{FRAME_SAMPLES, Frame};

/// Largest packet time we send (ms).
const MAX_PTIME_MS: u32 = 60;
/// Samples of encoded audio waiting for packetisation: one maximal packet plus a frame.
const PENDING: usize = (MAX_PTIME_MS as usize) * 8 + FRAME_SAMPLES;
/// Largest voice payload.
const MAX_PAYLOAD: usize = (MAX_PTIME_MS as usize) * 8;
/// Outgoing RTP packets queued between drains (two 10 ms packets or one DTMF per tick).
const TX_QUEUE: usize = 6;
/// A new SSRC takes over at once when the current one has been silent this long.
const SSRC_SWITCH_SILENCE: Duration = Duration::from_millis(60);
/// Events queued between drains.
const EVENT_QUEUE: usize = 16;

/// How the send address follows the peer's packets (symmetric RTP, for NAT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Latching {
    /// Send to the SDP address; accept packets from any source.
    Off,
    /// Latch on the first valid packet, then accept only that source.
    FirstPacket,
    /// As `FirstPacket`, but a new source is latched once the latched one has been silent
    /// for this long (a peer behind a re-mapping NAT, or an SBC fail-over).
    Relatch {
        /// Silence of the latched source after which another may take over.
        after_silence: Duration,
    },
}

/// Fixed settings of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// Seed for SSRC, initial sequence number and timestamp, and RTCP timing.
    pub seed: u64,
    /// Wall-clock time at the `now` passed to [`MediaSession::new`]; only for the NTP field of
    /// RTCP sender reports.
    pub wall_clock: SystemTime,
    /// RTCP CNAME (RFC 3550 §6.5.1), e.g. `dsmbox@<address>`; at most 64 bytes are used.
    pub cname: String,
    /// Report a missing stream after this long; `None` never.
    pub rtp_timeout: Option<Duration>,
    /// Symmetric RTP policy.
    pub latching: Latching,
    /// Jitter-buffer tuning.
    pub jitter: JitterConfig,
    /// Silence between digits of a sequence (ms).
    pub dtmf_gap_ms: u16,
    /// Send RTCP reports.
    pub rtcp: bool,
}

impl SessionConfig {
    /// Defaults: latch on the first packet, RTCP on, no RTP timeout, 80 ms between digits.
    pub fn new(seed: u64, wall_clock: SystemTime) -> Self {
        Self {
            seed,
            wall_clock,
            cname: "dsmbox".to_owned(),
            rtp_timeout: None,
            latching: Latching::FirstPacket,
            jitter: JitterConfig::default(),
            dtmf_gap_ms: 80,
            rtcp: true,
        }
    }
}

/// Which socket a [`Transmit`] leaves from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The RTP socket (also RTCP when multiplexed).
    Rtp,
    /// The RTCP socket.
    Rtcp,
}

/// A datagram written into the caller's buffer by [`MediaSession::poll_transmit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit {
    /// The socket to send from.
    pub channel: Channel,
    /// Where to send.
    pub destination: SocketAddr,
    /// Bytes of the buffer to send.
    pub len: usize,
}

/// Something the call logic should know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaEvent {
    /// An RFC 4733 DTMF digit ended (reported once per key press).
    Dtmf {
        /// The key.
        digit: Digit,
        /// How long it was pressed (ms).
        duration_ms: u32,
    },
    /// No valid RTP for the configured timeout (reported once until packets return).
    RtpTimeout {
        /// Time since the last packet (or since media was expected).
        silent_for: Duration,
    },
    /// The peer's stream changed SSRC (a transfer, a re-INVITE, a restarted phone).
    SsrcChanged {
        /// The SSRC before.
        old: u32,
        /// The SSRC now.
        new: u32,
    },
    /// We latched (or re-latched) our send address on the peer's packets.
    Latched {
        /// The address we now send RTP to.
        remote: SocketAddr,
    },
    /// The peer sent RTCP BYE for its stream.
    Bye {
        /// The source that left.
        ssrc: u32,
    },
}

/// Why a digit could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DtmfSendError {
    /// The peer did not negotiate telephone-event (use in-band tones instead).
    #[error("telephone-event was not negotiated")]
    NotNegotiated,
    /// A character is not a DTMF key.
    #[error("{0:?} is not a DTMF key")]
    InvalidDigit(char),
    /// Too many digits pending.
    #[error("too many digits pending")]
    QueueFull,
}

/// Counters of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MediaStats {
    /// RTP packets accepted (voice and telephone-events).
    pub rtp_received: u64,
    /// Packets lost according to sequence numbers (RFC 3550 A.3), since the last SSRC.
    pub rtp_lost: u64,
    /// Packets dropped: unexpected source, payload type or SSRC, not receiving, or an
    /// unconfirmed sequence jump.
    pub rtp_dropped: u64,
    /// Datagrams on the RTP port that were not RTP, and short telephone-event payloads.
    pub rtp_malformed: u64,
    /// RTP packets sent (voice and telephone-events).
    pub rtp_sent: u64,
    /// RTCP datagrams received and read.
    pub rtcp_received: u64,
    /// RTCP datagrams (or parts) that were malformed.
    pub rtcp_malformed: u64,
    /// RTCP compound packets sent.
    pub rtcp_sent: u64,
    /// Datagrams not sent: caller buffer too small, or the queue overflowed between drains.
    pub transmit_dropped: u64,
    /// Interarrival jitter (RFC 3550 A.8) in ms.
    pub interarrival_jitter_ms: u32,
    /// Round-trip time from the peer's RTCP reports.
    pub round_trip_time: Option<Duration>,
    /// The jitter buffer's counters (late, duplicate, concealed, drift adjustments...).
    pub jitter: JitterStats,
}

/// The negotiated parameters, copied into fixed storage.
#[derive(Debug, Clone)]
struct Params {
    direction: Direction,
    send_codec: PayloadFormat,
    receive_codecs: heapless::Vec<PayloadFormat, 4>,
    send_telephone_event: Option<u8>,
    receive_telephone_events: heapless::Vec<u8, 2>,
    ptime_samples: usize,
    sdp_rtp: Option<SocketAddr>,
    sdp_rtcp: Option<SocketAddr>,
    rtcp_mux: bool,
}

/// A queued packet: its header, and where its payload is in `tx_payloads`. The payloads
/// stay put in their slots (a packet is a few hundred bytes; the queue moves only these).
#[derive(Debug, Clone)]
struct OutPacket {
    header: RtpHeader,
    slot: usize,
    len: usize,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Voice(Law),
    TelephoneEvent,
}

/// Latch state for one port.
#[derive(Debug, Clone, Copy, Default)]
struct Latch {
    source: Option<SocketAddr>,
    last_seen: Option<Instant>,
}

impl Latch {
    /// Whether a packet from `from` is accepted; latches it if allowed. Returns
    /// `(accepted, newly_latched)`.
    fn admit(&mut self, policy: Latching, now: Instant, from: SocketAddr) -> (bool, bool) {
        let (ok, new) = match (policy, self.source) {
            (Latching::Off, _) => (true, false),
            (_, None) => {
                self.source = Some(from);
                (true, true)
            }
            (_, Some(s)) if s == from => (true, false),
            (Latching::Relatch { after_silence }, Some(_)) => {
                let quiet = self
                    .last_seen
                    .is_none_or(|t| now.saturating_duration_since(t) >= after_silence);
                if quiet {
                    self.source = Some(from);
                }
                (quiet, quiet)
            }
            (Latching::FirstPacket, Some(_)) => (false, false),
        };
        if ok {
            self.last_seen = Some(now);
        }
        (ok, new)
    }
}

/// One call leg's media; see the module docs.
#[derive(Debug)]
pub struct MediaSession {
    config_latching: Latching,
    rtp_timeout: Option<Duration>,
    rtcp_enabled: bool,
    cname: heapless::Vec<u8, 64>,
    epoch: Instant,
    params: Option<Params>,
    muted: bool,

    rtp_latch: Latch,
    rtcp_latch: Latch,
    remote_ssrc: Option<u32>,
    /// Another SSRC seen from an accepted source, and how many packets in a row.
    ssrc_candidate: Option<(u32, u8)>,
    reception: ReceptionStats,
    jitter: JitterBuffer,
    events_in: EventReceiver,
    /// Since when we expect media (for the timeout when none ever came).
    expecting_since: Instant,
    last_rx: Option<Instant>,
    timeout_reported: bool,

    sender: RtpSender,
    events_out: EventSender,
    pending: [u8; PENDING],
    pending_len: usize,
    pending_ts: u32,
    sent_since_report: bool,
    tx: heapless::Deque<OutPacket, TX_QUEUE>,
    /// Payload slots, used in rotation: at most `TX_QUEUE` packets are queued, so the next
    /// slot is always free (or the one of the oldest packet, dropped to make room).
    tx_payloads: [[u8; MAX_PAYLOAD]; TX_QUEUE],
    tx_next_slot: usize,

    reporter: RtcpReporter,
    bye_pending: bool,
    closed: bool,

    events: heapless::Deque<MediaEvent, EVENT_QUEUE>,
    stats: MediaStats,
}

impl MediaSession {
    /// A session that sends and receives nothing until [`MediaSession::configure`].
    pub fn new(now: Instant, config: SessionConfig) -> Self {
        let mut cname = heapless::Vec::new();
        let bytes = config.cname.as_bytes();
        // Capacity 64 and at most 64 bytes taken: cannot fail.
        let _ = cname.extend_from_slice(&bytes[..bytes.len().min(64)]);
        Self {
            config_latching: config.latching,
            rtp_timeout: config.rtp_timeout,
            rtcp_enabled: config.rtcp,
            cname,
            epoch: now,
            params: None,
            muted: false,
            rtp_latch: Latch::default(),
            rtcp_latch: Latch::default(),
            remote_ssrc: None,
            ssrc_candidate: None,
            reception: ReceptionStats::new(),
            jitter: JitterBuffer::new(config.jitter),
            events_in: EventReceiver::new(),
            expecting_since: now,
            last_rx: None,
            timeout_reported: false,
            sender: RtpSender::new(config.seed),
            events_out: EventSender::new(config.dtmf_gap_ms),
            pending: [0; PENDING],
            pending_len: 0,
            pending_ts: 0,
            sent_since_report: false,
            tx: heapless::Deque::new(),
            tx_payloads: [[0; MAX_PAYLOAD]; TX_QUEUE],
            tx_next_slot: 0,
            reporter: RtcpReporter::new(now, config.wall_clock, config.seed),
            bye_pending: false,
            closed: false,
            events: heapless::Deque::new(),
            stats: MediaStats::default(),
        }
    }

    /// Applies a negotiation result (initial, or after a re-INVITE: hold, resume, new
    /// address, new codec). Our SSRC and sequence continue; a changed SDP address clears the
    /// latches; the RTP timeout starts counting again.
    pub fn configure(&mut self, now: Instant, negotiated: &NegotiatedMedia) {
        let mut receive_codecs = heapless::Vec::new();
        for c in negotiated.receive_codecs.iter().take(4) {
            let _ = receive_codecs.push(*c);
        }
        let mut receive_telephone_events = heapless::Vec::new();
        for pt in negotiated.receive_telephone_events.iter().take(2) {
            let _ = receive_telephone_events.push(*pt);
        }
        let ptime_ms = negotiated.ptime_ms.clamp(10, MAX_PTIME_MS) / 10 * 10;
        let params = Params {
            direction: negotiated.direction,
            send_codec: negotiated.send_codec,
            receive_codecs,
            send_telephone_event: negotiated.send_telephone_event,
            receive_telephone_events,
            ptime_samples: (ptime_ms * 8) as usize,
            sdp_rtp: negotiated.remote_rtp,
            sdp_rtcp: negotiated.remote_rtcp,
            rtcp_mux: negotiated.rtcp_mux,
        };
        if let Some(old) = &self.params {
            if old.sdp_rtp != params.sdp_rtp {
                self.rtp_latch = Latch::default();
            }
            if old.sdp_rtcp != params.sdp_rtcp {
                self.rtcp_latch = Latch::default();
            }
            if old.send_codec != params.send_codec || old.ptime_samples != params.ptime_samples {
                self.pending_len = 0;
            }
        }
        if !params.direction.sends() {
            self.events_out.clear();
        }
        self.params = Some(params);
        self.expecting_since = now;
        self.last_rx = None;
        self.timeout_reported = false;
    }

    /// Stops (or resumes) sending voice; the media clock keeps running, and the first packet
    /// after unmuting has the marker bit. RFC 4733 digits are still sent while muted.
    pub fn set_muted(&mut self, muted: bool) {
        self.muted = muted;
    }

    /// Whether voice is muted.
    pub fn is_muted(&self) -> bool {
        self.muted
    }

    /// Our direction as negotiated (sendonly while we hold the peer, recvonly while it holds
    /// us, inactive both); `None` before `configure`.
    pub fn direction(&self) -> Option<Direction> {
        self.params.as_ref().map(|p| p.direction)
    }

    /// Our SSRC.
    pub fn ssrc(&self) -> u32 {
        self.sender.ssrc()
    }

    /// Where RTP goes now: the latched source, else the SDP address.
    pub fn rtp_destination(&self) -> Option<SocketAddr> {
        let p = self.params.as_ref()?;
        match self.config_latching {
            Latching::Off => p.sdp_rtp,
            _ => self.rtp_latch.source.or(p.sdp_rtp),
        }
    }

    fn rtcp_destination(&self) -> Option<(Channel, SocketAddr)> {
        let p = self.params.as_ref()?;
        if p.rtcp_mux {
            return self.rtp_destination().map(|a| (Channel::Rtp, a));
        }
        let a = match self.config_latching {
            Latching::Off => p.sdp_rtcp,
            _ => self.rtcp_latch.source.or(p.sdp_rtcp),
        }?;
        Some((Channel::Rtcp, a))
    }

    fn push_event(&mut self, e: MediaEvent) {
        if self.events.is_full() {
            self.events.pop_front();
        }
        let _ = self.events.push_back(e);
    }

    /// Arrival time on the 8 kHz media clock, for the jitter estimate (RFC 3550 A.8).
    fn arrival_units(&self, now: Instant) -> u32 {
        // u64 microseconds last 584 000 years; a u128 division costs a library call per packet.
        let us = now.saturating_duration_since(self.epoch).as_micros() as u64;
        (us * u64::from(crate::SAMPLE_RATE) / 1_000_000) as u32
    }

    /// Handles a datagram received on the RTP socket (RTCP multiplexed on it too).
    pub fn handle_rtp(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        if is_rtcp(datagram) {
            // RTCP on the RTP port (rtcp-mux, or a peer that sends it there anyway): read it,
            // but do not latch the RTCP destination onto the RTP port.
            self.read_rtcp(now, datagram);
            return;
        }
        let Ok(packet) = RtpPacket::parse(datagram) else {
            self.stats.rtp_malformed += 1;
            return;
        };
        let Some(params) = &self.params else {
            self.stats.rtp_dropped += 1;
            return;
        };
        let h = packet.header;
        let kind = if let Some(c) = params
            .receive_codecs
            .iter()
            .find(|c| c.payload_type == h.payload_type)
        {
            Kind::Voice(c.law)
        } else if params.receive_telephone_events.contains(&h.payload_type) {
            Kind::TelephoneEvent
        } else {
            self.stats.rtp_dropped += 1;
            return;
        };
        if !params.direction.receives() {
            self.stats.rtp_dropped += 1;
            return;
        }
        let (ok, latched) = self.rtp_latch.admit(self.config_latching, now, from);
        if !ok {
            self.stats.rtp_dropped += 1;
            return;
        }
        if latched {
            self.push_event(MediaEvent::Latched { remote: from });
        }
        match self.remote_ssrc {
            None => self.remote_ssrc = Some(h.ssrc),
            Some(current) if current == h.ssrc => self.ssrc_candidate = None,
            Some(old) => {
                // Another SSRC from an accepted source. It takes over once the current stream
                // has stopped (a restarted phone, a transfer), or after three of its packets
                // with none of the current stream between: two interleaved streams must not
                // make the jitter buffer flap between them.
                let stopped = self
                    .last_rx
                    .is_none_or(|t| now.saturating_duration_since(t) >= SSRC_SWITCH_SILENCE);
                let count = match self.ssrc_candidate {
                    Some((s, n)) if s == h.ssrc => n + 1,
                    _ => 1,
                };
                if !stopped && count < 3 {
                    self.ssrc_candidate = Some((h.ssrc, count));
                    self.stats.rtp_dropped += 1;
                    return;
                }
                self.ssrc_candidate = None;
                self.remote_ssrc = Some(h.ssrc);
                self.reception = ReceptionStats::new();
                self.jitter.reset();
                self.events_in.reset();
                self.push_event(MediaEvent::SsrcChanged { old, new: h.ssrc });
            }
        }
        if self.reception.on_sequence(h.sequence) == SequenceCheck::Rejected {
            self.stats.rtp_dropped += 1;
            return;
        }
        self.stats.rtp_received += 1;
        self.last_rx = Some(now);
        self.timeout_reported = false;
        match kind {
            Kind::Voice(law) => {
                let arrival = self.arrival_units(now);
                self.reception.on_transit(arrival, h.timestamp);
                self.events_in.on_voice(h.timestamp);
                self.jitter.push(h.timestamp, h.marker, law, packet.payload);
            }
            Kind::TelephoneEvent => {
                if self
                    .events_in
                    .on_packet(now, h.timestamp, h.marker, packet.payload)
                    .is_err()
                {
                    self.stats.rtp_malformed += 1;
                }
            }
        }
        self.drain_received_events();
    }

    fn drain_received_events(&mut self) {
        while let Some(e) = self.events_in.poll_event() {
            if let Some(digit) = Digit::from_code(e.event) {
                let duration_ms = e.duration / (crate::SAMPLE_RATE / 1000);
                self.push_event(MediaEvent::Dtmf { digit, duration_ms });
            }
        }
    }

    /// Handles a datagram received on the RTCP socket.
    pub fn handle_rtcp(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        if !is_rtcp(datagram) {
            self.stats.rtcp_malformed += 1;
            return;
        }
        if self.params.as_ref().is_some_and(|p| !p.rtcp_mux) {
            let (ok, _) = self.rtcp_latch.admit(self.config_latching, now, from);
            if !ok {
                return;
            }
        }
        self.read_rtcp(now, datagram);
    }

    /// Reads a compound RTCP datagram: LSR/RTT bookkeeping and BYE.
    fn read_rtcp(&mut self, now: Instant, datagram: &[u8]) {
        self.stats.rtcp_received += 1;
        let our_ssrc = self.sender.ssrc();
        for packet in rtcp::packets(datagram) {
            match packet {
                Ok(RtcpPacket::SenderReport { ssrc, info, blocks }) => {
                    if self.remote_ssrc.is_none_or(|r| r == ssrc) {
                        self.reporter.on_sender_report(now, info.ntp);
                    }
                    for b in blocks.filter(|b| b.ssrc == our_ssrc) {
                        self.reporter.on_report_block(now, &b);
                    }
                }
                Ok(RtcpPacket::ReceiverReport { blocks, .. }) => {
                    for b in blocks.filter(|b| b.ssrc == our_ssrc) {
                        self.reporter.on_report_block(now, &b);
                    }
                }
                Ok(RtcpPacket::Bye { mut sources, .. }) => {
                    let leaving = match self.remote_ssrc {
                        Some(r) => sources.any(|s| s == r).then_some(r),
                        None => sources.next(),
                    };
                    if let Some(ssrc) = leaving {
                        self.push_event(MediaEvent::Bye { ssrc });
                    }
                }
                Ok(_) => {}
                Err(_) => {
                    self.stats.rtcp_malformed += 1;
                    break;
                }
            }
        }
    }

    /// The frame heard in this 20 ms tick (jitter-buffered, decoded, concealed). Call once
    /// per tick. Also runs [`MediaSession::handle_timeout`].
    pub fn pop_frame(&mut self, now: Instant) -> Frame {
        self.handle_timeout(now);
        self.jitter.pop()
    }

    /// The frame to send in this 20 ms tick. Call once per tick, with silence if there is
    /// nothing to say: it drives the media clock and RFC 4733 sending.
    pub fn push_frame(&mut self, _now: Instant, frame: &Frame) {
        let clock = self.sender.clock();
        // The few fields used here, copied: the borrow of `params` must not outlive them.
        let Some((sends, send_telephone_event, send_codec, ptime_samples)) =
            self.params.as_ref().map(|p| {
                (
                    p.direction.sends(),
                    p.send_telephone_event,
                    p.send_codec,
                    p.ptime_samples,
                )
            })
        else {
            self.sender.skip(FRAME_SAMPLES as u32);
            return;
        };
        let can_send = sends && self.rtp_destination().is_some() && !self.closed;
        let mut voice = can_send && !self.muted;
        if can_send
            && let Some(pt) = send_telephone_event
            && let Some(ev) = self.events_out.tick(clock)
        {
            let header = self.sender.header(pt, ev.timestamp, ev.marker);
            self.enqueue(header, &ev.payload.to_bytes());
            voice = false; // RFC 4733 §2.5.1.2: no voice while an event is sent
        }
        if !voice {
            self.pending_len = 0;
            self.sender.skip(FRAME_SAMPLES as u32);
            return;
        }
        if self.pending_len == 0 {
            self.pending_ts = clock;
        }
        let law = send_codec.law;
        let end = self.pending_len + FRAME_SAMPLES;
        law.encode(frame, &mut self.pending[self.pending_len..end]);
        self.pending_len = end;
        self.sender.advance(FRAME_SAMPLES as u32);
        let n = ptime_samples;
        let mut start = 0;
        while self.pending_len - start >= n {
            let ts = self.pending_ts.wrapping_add(start as u32);
            let header = self.sender.voice_header(send_codec.payload_type, ts);
            // `enqueue` by hand: the payload is borrowed from `self.pending`.
            let (slot, len) = self.take_slot(n);
            self.tx_payloads[slot][..len].copy_from_slice(&self.pending[start..start + len]);
            let _ = self.tx.push_back(OutPacket { header, slot, len });
            start += n;
        }
        if start > 0 {
            self.pending.copy_within(start..self.pending_len, 0);
            self.pending_len -= start;
            self.pending_ts = self.pending_ts.wrapping_add(start as u32);
        }
    }

    fn enqueue(&mut self, header: RtpHeader, payload: &[u8]) {
        let (slot, len) = self.take_slot(payload.len());
        self.tx_payloads[slot][..len].copy_from_slice(&payload[..len]);
        let _ = self.tx.push_back(OutPacket { header, slot, len });
    }

    /// Makes room in the queue and returns the next payload slot, with `len` capped to it.
    fn take_slot(&mut self, len: usize) -> (usize, usize) {
        if self.tx.is_full() {
            self.tx.pop_front();
            self.stats.transmit_dropped += 1;
        }
        let slot = self.tx_next_slot;
        self.tx_next_slot = (slot + 1) % TX_QUEUE;
        (slot, len.min(MAX_PAYLOAD))
    }

    /// Queues one RFC 4733 digit of `duration_ms` (40..=8000, clamped) at the negotiated
    /// payload type; digits queued back to back are separated by the configured gap.
    pub fn send_dtmf(&mut self, digit: Digit, duration_ms: u16) -> Result<(), DtmfSendError> {
        if self
            .params
            .as_ref()
            .is_none_or(|p| p.send_telephone_event.is_none())
        {
            return Err(DtmfSendError::NotNegotiated);
        }
        self.events_out
            .queue(digit.code(), duration_ms)
            .map_err(|_| DtmfSendError::QueueFull)
    }

    /// Queues a sequence like `"123#"`; nothing is queued if a character is not a key.
    pub fn send_dtmf_str(&mut self, digits: &str, duration_ms: u16) -> Result<(), DtmfSendError> {
        for c in digits.chars() {
            Digit::from_char(c).ok_or(DtmfSendError::InvalidDigit(c))?;
        }
        for c in digits.chars().filter_map(Digit::from_char) {
            self.send_dtmf(c, duration_ms)?;
        }
        Ok(())
    }

    /// Whether RFC 4733 digits are being sent or waiting.
    pub fn is_sending_dtmf(&self) -> bool {
        !self.events_out.is_idle()
    }

    /// Ends the leg's media: queues an RTCP BYE (sent by the next `poll_transmit`) and stops
    /// sending RTP.
    pub fn close(&mut self) {
        self.closed = true;
        self.events_out.clear();
        self.tx.clear();
        self.bye_pending = self.rtcp_enabled;
    }

    fn rtp_timeout_deadline(&self) -> Option<Instant> {
        let timeout = self.rtp_timeout?;
        let p = self.params.as_ref()?;
        if !p.direction.receives() || self.timeout_reported || self.closed {
            return None;
        }
        Some(self.last_rx.unwrap_or(self.expecting_since) + timeout)
    }

    /// When [`MediaSession::handle_timeout`] should next be called (besides the 20 ms tick).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let rtcp = (self.rtcp_enabled && self.rtcp_destination().is_some() && !self.closed)
            .then(|| self.reporter.next_report());
        [
            rtcp,
            self.rtp_timeout_deadline(),
            self.events_in.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs timers: the RTP timeout and the end of RFC 4733 events whose end was lost. (RTCP
    /// reports become due here and are written by `poll_transmit`.)
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(deadline) = self.rtp_timeout_deadline()
            && now >= deadline
        {
            self.timeout_reported = true;
            let since = self.last_rx.unwrap_or(self.expecting_since);
            self.push_event(MediaEvent::RtpTimeout {
                silent_for: now.saturating_duration_since(since),
            });
        }
        self.events_in.handle_timeout(now);
        self.drain_received_events();
    }

    /// Writes the next datagram to send into `buf` (at least [`MAX_DATAGRAM`] bytes is always
    /// enough) and says where it goes. Call until `None` after every input and tick.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        while let Some(p) = self.tx.pop_front() {
            let Some(destination) = self.rtp_destination() else {
                continue;
            };
            let payload = &self.tx_payloads[p.slot][..p.len];
            match p.header.write(payload, buf) {
                Ok(len) => {
                    self.sender.record_sent(p.header.timestamp, p.len);
                    self.sent_since_report = true;
                    self.stats.rtp_sent += 1;
                    return Some(Transmit {
                        channel: Channel::Rtp,
                        destination,
                        len,
                    });
                }
                Err(_) => self.stats.transmit_dropped += 1,
            }
        }
        if !self.rtcp_enabled {
            return None;
        }
        let due = self.bye_pending || (!self.closed && self.reporter.is_due(now));
        if !due {
            return None;
        }
        let (channel, destination) = self.rtcp_destination()?;
        let remote = self.remote_ssrc.map(|s| (s, &mut self.reception));
        let written = self.reporter.write_report(
            now,
            &self.sender,
            self.sent_since_report,
            remote,
            &self.cname,
            buf,
        );
        let mut len = match written {
            Ok(len) => len,
            Err(_) => {
                self.stats.transmit_dropped += 1;
                self.bye_pending = false;
                return None;
            }
        };
        if self.bye_pending {
            self.bye_pending = false;
            match rtcp::write_bye(self.sender.ssrc(), None, &mut buf[len..]) {
                Ok(n) => len += n,
                Err(_) => self.stats.transmit_dropped += 1,
            }
        }
        self.sent_since_report = false;
        self.stats.rtcp_sent += 1;
        Some(Transmit {
            channel,
            destination,
            len,
        })
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<MediaEvent> {
        self.events.pop_front()
    }

    /// Counters and measurements.
    pub fn stats(&self) -> MediaStats {
        let mut s = self.stats;
        s.rtp_lost = self.reception.cumulative_lost().max(0) as u64;
        s.interarrival_jitter_ms = self.reception.jitter() / (crate::SAMPLE_RATE / 1000);
        s.round_trip_time = self.reporter.round_trip_time();
        s.jitter = self.jitter.stats();
        s
    }
}

// A compile-time check that a voice packet always fits the documented buffer size.
const _: () = assert!(RTP_HEADER_LEN + MAX_PAYLOAD <= MAX_DATAGRAM);
