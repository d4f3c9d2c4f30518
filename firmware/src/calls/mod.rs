//! Calls and legs: the switchboard that composes SIP (`sip`), media (`media`) and DSM (`dsm`)
//! into calls, as SEMS's `DSMCall` does, and translates between their vocabularies:
//!
//! - a SIP event (new INVITE, 180, 2xx, BYE, CANCEL, INFO digit) becomes a DSM event;
//! - a DSM command (reply, dial-out, play a file, join a room, post an event) becomes a SIP
//!   request or response, a playlist item, a mixer seat, or an event for another leg;
//! - media events (an RFC 4733 digit, an in-band digit, the playlist running empty, an RTP
//!   timeout) become DSM events.
//!
//! Every entry point takes `now` and leaves the switchboard quiet: DSM events queued by what
//! happened are run one after the other — never nested inside one another (spec §3.9: an
//! `earlySession` raised by `dlg.acceptInvite(183)` runs after the event that sent the 183,
//! which is what makes quizconnect's 404 and 500 paths work) — and SIP datagrams are sent.
//!
//! The switchboard owns its sockets as non-blocking std sockets. SIP is received by the tokio
//! runtime ([`crate::runtime`]), which calls in; RTP and RTCP are read by the media tick itself,
//! draining every leg's sockets once per 20 ms (no task, no wake-up per packet: at 50 packets
//! a second per leg that is what costs). It is not `Send`: one thread.

mod commands;
mod host;
mod leg;
mod manage;
mod signalling;
mod tick;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use dsm::{Event, ModuleRegistry, Session, SessionConfig, SessionKind, SessionOptions};
use media::dtmf::DtmfDetector;
use media::playlist::{LegAudio, PromptCache};
use media::rtp::{MediaSession, SessionConfig as RtpConfig};
use media::sdp::{LocalMedia, SdpSession};

use crate::apps::Bundle;
use crate::config::{ConfigDirs, MainConfig};
use crate::management::Monitor;
use crate::net::RtpPorts;
use crate::setup::Setup;

pub use host::{DbPool, DsmHost, Rng, Services};
pub use leg::{Direction, IdHasher, IdMap, Leg, LegId, LegMedia, SipState};
pub use tick::TickHealth;

/// Counters the management port reports (`calls`, `get_callsavg`, `get_cpsmax`, ...).
#[derive(Debug, Clone, Default)]
pub struct CallCounters {
    /// Calls ever created (both directions).
    pub total: u64,
    /// Most legs alive at once.
    pub max_active: usize,
    /// Start times of the calls of the last minute (for calls per second).
    pub recent_starts: VecDeque<Instant>,
    /// Highest calls per second seen over a 1 s window.
    pub cps_max: u32,
}

/// The appliance's calls. See the module docs.
pub struct Switchboard {
    sip: sip::Endpoint,
    sip_sockets: Vec<UdpSocket>,
    /// Boxed: a leg is several kilobytes (jitter buffer, detector, playlist) and is taken out
    /// of the map while it is worked on; moving a box is moving a pointer.
    legs: IdMap<LegId, Box<Leg>>,
    tags: HashMap<String, LegId>,
    by_call: IdMap<sip::CallHandle, LegId>,
    queues: HashMap<String, LegId>,
    events: VecDeque<(LegId, Event)>,
    timers: BinaryHeap<Reverse<(Instant, LegId)>>,
    services: Services,
    registry: ModuleRegistry,
    dirs: Option<ConfigDirs>,
    main: MainConfig,
    monitor: Monitor,
    rtp_ports: RtpPorts,
    rtp_ports6: Option<RtpPorts>,
    next_leg: LegId,
    counters: CallCounters,
    shutdown: bool,
    cps_limit: u32,
    /// The address SIP and SDP advertise when bound to a wildcard address.
    advertised_ip: IpAddr,
    scratch: Vec<u8>,
    rx_buf: Vec<u8>,
    ticks: u64,
}

impl std::fmt::Debug for Switchboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Switchboard")
            .field("legs", &self.legs.len())
            .finish()
    }
}

impl Switchboard {
    /// A switchboard for `setup`, sending SIP from `sip_sockets` (already bound; their local
    /// addresses are the endpoint's addresses). `seed` feeds every random choice.
    pub fn new(
        setup: &Setup,
        sip_sockets: Vec<UdpSocket>,
        monitor: Monitor,
        seed: u64,
    ) -> Switchboard {
        let main = setup.main.clone();
        let advertised_ip = main.public_ip.unwrap_or_else(|| {
            if main.sip_ip.is_unspecified() {
                // The address of the default route: what a peer on the network reaches us at.
                crate::net::local_addr_towards(IpAddr::from([192, 0, 2, 1]))
                    .unwrap_or(IpAddr::from([127, 0, 0, 1]))
            } else {
                main.sip_ip
            }
        });
        let mut locals = Vec::new();
        for s in &sip_sockets {
            if let Ok(addr) = s.local_addr() {
                let mut l = sip::LocalAddr::new(addr);
                if addr.is_ipv6() && addr.ip().is_unspecified() {
                    // The IPv6 default route's address (no packet is sent), else loopback.
                    let v6 = crate::net::local_addr_towards(IpAddr::from([
                        0x2001, 0xdb8, 0, 0, 0, 0, 0, 1,
                    ]))
                    .unwrap_or(IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]));
                    l.public = Some((sip::msg::Host::from(v6), addr.port()));
                } else if main.public_ip.is_some() || addr.ip().is_unspecified() {
                    l.public = Some((sip::msg::Host::from(advertised_ip), addr.port()));
                }
                locals.push(l);
            }
        }
        let cfg = sip::Config {
            local_addrs: locals,
            ..Default::default()
        };
        let sip = sip::Endpoint::new(cfg, seed);
        let mut pool = DbPool::default();
        pool.base = main.base_dir.clone();
        Switchboard {
            sip,
            sip_sockets,
            legs: IdMap::default(),
            tags: HashMap::new(),
            by_call: IdMap::default(),
            queues: HashMap::new(),
            events: VecDeque::new(),
            timers: BinaryHeap::new(),
            services: Services {
                apps: setup.apps.clone(),
                db: pool,
                prompts: PromptCache::new(),
                conference: media::mixer::Conference::new(),
                rng: Rng::new(seed.rotate_left(17)),
                reserved: HashSet::new(),
                pending_system: Vec::new(),
            },
            registry: ModuleRegistry::new(),
            dirs: setup.dirs.clone(),
            rtp_ports: RtpPorts::new(main.media_ip, main.rtp_low_port, main.rtp_high_port),
            rtp_ports6: main
                .media_ip6
                .map(|ip| RtpPorts::new(ip, main.rtp_low_port, main.rtp_high_port)),
            main,
            monitor,
            next_leg: 0,
            counters: CallCounters::default(),
            shutdown: false,
            cps_limit: 0,
            advertised_ip,
            scratch: vec![0u8; media::rtp::MAX_DATAGRAM],
            rx_buf: vec![0u8; 2048],
            ticks: 0,
        }
    }

    /// The monitoring store handle.
    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    /// How many legs are alive.
    pub fn leg_count(&self) -> usize {
        self.legs
            .values()
            .filter(|l| l.call.is_some() || l.direction == Direction::In)
            .count()
    }

    /// Registers the configured accounts (`register.<n>.*`); refreshes and retries follow by
    /// themselves (RFC 3261 §10.2.4), and shutdown de-registers.
    pub fn start_registrations(&mut self, now: Instant) {
        for acc in self.main.accounts.clone() {
            let Ok(registrar) = sip::msg::Uri::parse(&acc.registrar) else {
                log::error!("register.{}: bad registrar '{}'", acc.name, acc.registrar);
                continue;
            };
            let Some(dest) = signalling::resolve_destination(&registrar) else {
                log::error!("register.{}: cannot resolve {}", acc.name, acc.registrar);
                continue;
            };
            let mut cfg = sip::AccountConfig::new(registrar, dest, &acc.user, &acc.domain);
            cfg.expires = acc.expires;
            if !acc.password.is_empty() {
                cfg.credentials = Some(sip::Credentials::new(&acc.auth_user, &acc.password));
            }
            match self.sip.register(now, cfg) {
                Ok(_) => log::info!(
                    "registering {}@{} at {}",
                    acc.user,
                    acc.domain,
                    acc.registrar
                ),
                Err(e) => log::error!("register.{}: {e}", acc.name),
            }
        }
        self.settle(now);
    }

    /// Starts the system DSMs the configuration asks for (`run_system_dsms`).
    pub fn start_system_dsms(&mut self, now: Instant) {
        let wanted: Vec<(String, String)> = self
            .services
            .apps
            .bundles()
            .iter()
            .flat_map(|b| {
                b.run_system_dsms
                    .iter()
                    .map(|d| (b.name.clone(), d.clone()))
            })
            .collect();
        for (bundle, diag) in wanted {
            self.create_system_dsm(now, &bundle, &diag, false);
        }
        self.settle(now);
    }

    // -----------------------------------------------------------------------------------
    // Entry points

    /// A SIP datagram arrived on the socket bound to `local`.
    pub fn handle_sip_datagram(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        data: &[u8],
    ) {
        self.sip.handle_datagram(now, local, remote, data);
        self.settle(now);
    }

    /// Timers are due (SIP transactions, DSM `setTimer`, RTP timeouts).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.sip.handle_timeout(now);
        while let Some(Reverse((at, id))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            self.run_timeout(now, id);
        }
        let media_due: Vec<LegId> = self
            .legs
            .iter()
            .filter(|(_, l)| {
                l.media.as_ref().is_some_and(|m| {
                    !m.running && m.session.poll_timeout().is_some_and(|t| t <= now)
                })
            })
            .map(|(id, _)| *id)
            .collect();
        for id in media_due {
            if let Some(m) = self.legs.get_mut(&id).and_then(|l| l.media.as_mut()) {
                m.session.handle_timeout(now);
            }
            self.drain_media(now, id);
        }
        self.monitor.handle_timeout(SystemTime::now());
        self.settle(now);
    }

    /// When [`handle_timeout`](Self::handle_timeout) must run next.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        let mut t = self.sip.poll_timeout();
        let mut take = |c: Option<Instant>| {
            if let Some(c) = c {
                t = Some(t.map_or(c, |x: Instant| x.min(c)));
            }
        };
        take(self.timers.peek().map(|Reverse((at, _))| *at));
        for l in self.legs.values() {
            if let Some(m) = &l.media
                && !m.running
            {
                take(m.session.poll_timeout());
            }
        }
        t
    }

    /// Ends every call (BYE, CANCEL or 480) and stops taking new ones; sessions get
    /// `system` with `type=ServerShutdown` first (spec §4.2).
    pub fn shutdown(&mut self, now: Instant) {
        self.shutdown = true;
        let ids: Vec<LegId> = self.legs.keys().copied().collect();
        for id in &ids {
            self.events
                .push_back((*id, Event::system("ServerShutdown")));
        }
        self.settle(now);
        for id in ids {
            if let Some(leg) = self.legs.get_mut(&id) {
                leg.stop = Some(true);
            }
            self.destroy(now, id);
        }
        self.sip.shutdown(now);
        self.settle(now);
    }

    /// Whether nothing is left to do after [`shutdown`](Self::shutdown).
    pub fn is_idle(&self) -> bool {
        self.legs.is_empty() && self.sip.is_idle()
    }

    // -----------------------------------------------------------------------------------
    // The event pump

    /// Runs until quiet: SIP events become DSM events, DSM events run one at a time, and
    /// everything to send is sent.
    fn settle(&mut self, now: Instant) {
        for _ in 0..100_000 {
            let mut busy = false;
            while let Some(ev) = self.sip.poll_event() {
                busy = true;
                self.on_sip_event(now, ev);
            }
            while let Some(ev) = self.services.conference.poll_event() {
                busy = true;
                let id = ev.recipient.0;
                let kind_id = ev.kind.sems_id();
                if self.legs.contains_key(&id) {
                    self.events.push_back((
                        id,
                        Event::conference_event(u32::try_from(kind_id).unwrap_or(0)),
                    ));
                }
            }
            if let Some((id, ev)) = self.events.pop_front() {
                busy = true;
                self.run_event(now, id, ev);
            }
            for (conf, diag) in std::mem::take(&mut self.services.pending_system) {
                busy = true;
                self.create_system_dsm(now, &conf, &diag, false);
            }
            self.flush_sip();
            if !busy {
                return;
            }
        }
        log::error!(
            "event pump did not settle after 100000 rounds (a script posting events in a loop?)"
        );
    }

    fn flush_sip(&mut self) {
        while let Some(t) = self.sip.poll_transmit() {
            let sock = self
                .sip_sockets
                .iter()
                .find(|s| s.local_addr().is_ok_and(|a| a == t.source))
                .or_else(|| self.sip_sockets.first());
            if let Some(sock) = sock
                && let Err(e) = sock.send_to(&t.payload, t.destination)
            {
                log::debug!("sip send to {}: {e}", t.destination);
            }
        }
    }

    /// Takes the session of leg `id` out, runs `f` on it with the host that session sees, and
    /// hands it back (for [`Self::after_session_ran`]).
    fn with_session<R>(
        &mut self,
        id: LegId,
        f: impl FnOnce(&mut Session, &mut DsmHost<'_>) -> R,
    ) -> Option<(Session, R)> {
        let mut session = self.legs.get_mut(&id).and_then(|l| l.session.take())?;
        let mut host = DsmHost {
            services: &mut self.services,
            tags: &self.tags,
            queues: &self.queues,
            leg: self.legs.get(&id).map(|l| &**l),
        };
        let r = f(&mut session, &mut host);
        Some((session, r))
    }

    /// Runs one DSM event in one leg and carries out what the script did.
    fn run_event(&mut self, now: Instant, id: LegId, event: Event) {
        let is_invite = event.kind == dsm::EventKind::Invite;
        // SEMS's default handling, skipped when the script set #processed (spec §4.2): an RTP
        // timeout ends the call.
        let default_ends_call = event.kind == dsm::EventKind::RtpTimeout;
        let Some((session, outcome)) =
            self.with_session(id, |s, host| s.handle_event(now, event, host))
        else {
            return;
        };
        self.after_session_ran(now, id, session);
        if default_ends_call && outcome.ran && !outcome.processed && self.legs.contains_key(&id) {
            log::info!("leg {id}: RTP timeout, hanging up");
            if let Some(leg) = self.legs.get_mut(&id) {
                leg.stop = Some(true);
            }
            self.hang_up(now, id);
            self.destroy(now, id);
            return;
        }
        if is_invite
            && !outcome.dialog_touched
            && self
                .legs
                .get(&id)
                .is_some_and(|l| l.sip == SipState::Offered && l.stop.is_none())
        {
            // SEMS answers 200 itself when the script did not touch the dialog (spec §0.3).
            self.reply_invite(now, id, 200, "OK", "", true);
        }
    }

    fn run_timeout(&mut self, now: Instant, id: LegId) {
        if let Some((session, ())) = self.with_session(id, |s, host| s.handle_timeout(now, host)) {
            self.after_session_ran(now, id, session);
        }
    }

    /// Puts the session back, updates monitoring, schedules its timer, carries out its
    /// commands, and destroys the leg if the script stopped.
    fn after_session_ran(&mut self, now: Instant, id: LegId, mut session: Session) {
        let mut commands = Vec::new();
        while let Some(c) = session.poll_command() {
            commands.push(c);
        }
        if let Some(t) = session.poll_timeout() {
            self.timers.push(Reverse((t, id)));
        }
        let stopped = session.is_stopped();
        if let Some(leg) = self.legs.get_mut(&id) {
            update_monitoring(&self.monitor, leg, &session);
            leg.session = Some(session);
        }
        for c in commands {
            self.apply(now, id, c);
        }
        if stopped {
            if let Some(leg) = self.legs.get_mut(&id)
                && leg.stop.is_none()
            {
                leg.stop = Some(false);
            }
            self.destroy(now, id);
        }
    }

    // -----------------------------------------------------------------------------------
    // Leg lifecycle

    fn new_leg_id(&mut self) -> LegId {
        self.next_leg += 1;
        self.next_leg
    }

    /// Allocates RTP sockets and the media state of a leg. `None` when the port range is
    /// exhausted.
    fn new_media(&mut self, now: Instant, remote: Option<IpAddr>) -> Option<LegMedia> {
        // An IPv6 peer gets IPv6 media when an IPv6 address is configured.
        if let (Some(IpAddr::V6(_)), Some(pool)) = (remote, self.rtp_ports6.as_mut()) {
            let pair = pool.allocate()?;
            let mut ip = pair.rtp.local_addr().ok()?.ip();
            if ip.is_unspecified() {
                ip = remote
                    .and_then(crate::net::local_addr_towards)
                    .unwrap_or(ip);
            }
            return Some(self.media_for(now, pair, ip));
        }
        let pair = self.rtp_ports.allocate()?;
        let ip = self.main.public_ip.unwrap_or_else(|| {
            if self.main.media_ip.is_unspecified() {
                remote
                    .and_then(crate::net::local_addr_towards)
                    .unwrap_or(self.advertised_ip)
            } else {
                self.main.media_ip
            }
        });
        Some(self.media_for(now, pair, ip))
    }

    fn media_for(&mut self, now: Instant, pair: crate::net::RtpPair, ip: IpAddr) -> LegMedia {
        let mut cfg = RtpConfig::new(self.services.rng.next_u64(), SystemTime::now());
        cfg.cname = format!("dsmbox@{ip}");
        if self.main.dead_rtp_time > 0 {
            cfg.rtp_timeout = Some(Duration::from_secs(u64::from(self.main.dead_rtp_time)));
        }
        LegMedia {
            port: pair.port,
            rtp: pair.rtp,
            rtcp: pair.rtcp,
            session: MediaSession::new(now, cfg),
            sdp: SdpSession::new(self.services.rng.next_u64() >> 16),
            local: LocalMedia::new(ip, pair.port),
            negotiated: None,
            pending_offer: None,
            answer: None,
            running: false,
            muted: false,
            detector: DtmfDetector::new(),
            detect_inband: true,
            out_of_band_seen: false,
        }
    }

    /// Creates a leg running `app` of `bundle` and starts its session (init + `start`).
    #[allow(clippy::too_many_arguments)]
    fn create_leg(
        &mut self,
        now: Instant,
        tag: String,
        bundle: Arc<Bundle>,
        app: &str,
        direction: Direction,
        kind: SessionKind,
        extra_vars: impl IntoIterator<Item = (String, String)>,
        dialog: dsm::DialogInfo,
    ) -> Option<LegId> {
        let mut vars = dsm::Vars::new();
        for (k, v) in &bundle.config {
            vars.insert(format!("config.{k}"), v.clone());
        }
        vars.extend(extra_vars);
        let cfg = SessionConfig {
            local_tag: tag.clone(),
            kind,
            dialog,
            vars,
            options: SessionOptions {
                full_stategraph: self.services.apps.settings.full_stategraph,
                full_transitions: self.services.apps.settings.full_transitions,
            },
            rng_seed: self.services.rng.next_u64(),
            step_limit: None,
        };
        let session = match Session::new(bundle.collection.clone(), app, cfg) {
            Ok(s) => s,
            Err(e) => {
                log::error!("cannot start DSM '{app}': {e}");
                return None;
            }
        };
        let id = self.new_leg_id();
        self.services.reserved.remove(&tag);
        self.tags.insert(tag.clone(), id);
        self.legs.insert(
            id,
            Box::new(Leg {
                id,
                tag,
                session: None,
                bundle,
                app: app.to_string(),
                direction,
                call: None,
                sip: SipState::Ended,
                remote: None,
                media: None,
                audio: LegAudio::new(),
                seats: Vec::new(),
                record_file: None,
                stop: None,
                early_done: false,
                session_started: false,
                queues: Vec::new(),
                graph_seen: 0,
                state_seen: String::new(),
            }),
        );
        self.counters.total += 1;
        self.counters.recent_starts.push_back(now);
        while self
            .counters
            .recent_starts
            .front()
            .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(60))
        {
            self.counters.recent_starts.pop_front();
        }
        let last_second = self
            .counters
            .recent_starts
            .iter()
            .filter(|t| now.duration_since(**t) <= Duration::from_secs(1))
            .count();
        self.counters.cps_max = self
            .counters
            .cps_max
            .max(u32::try_from(last_second).unwrap_or(u32::MAX));
        self.counters.max_active = self.counters.max_active.max(self.legs.len());
        // The session is started by the caller once the leg is complete (SIP handle, media),
        // so that `start` sees the leg as it will be.
        if let Some(leg) = self.legs.get_mut(&id) {
            leg.session = Some(session);
        }
        Some(id)
    }

    /// Runs init + `start` of a newly created leg.
    fn start_session(&mut self, now: Instant, id: LegId) {
        let Some((session, result)) = self.with_session(id, |s, host| s.start(now, host)) else {
            return;
        };
        if let Err(e) = result {
            log::error!("DSM start failed: {e}");
        }
        self.after_session_ran(now, id, session);
    }

    fn create_system_dsm(&mut self, now: Instant, conf: &str, diag: &str, reload: bool) {
        let name = crate::apps::bundle_name_of(conf);
        let Some(bundle) = self
            .services
            .apps
            .bundles()
            .iter()
            .find(|b| b.name == name)
            .cloned()
        else {
            log::error!("system DSM: no bundle '{name}'");
            return;
        };
        let n = self.next_leg + 1;
        let tag = format!("SystemDSM_{n}");
        let Some(id) = self.create_leg(
            now,
            tag.clone(),
            bundle,
            diag,
            Direction::In,
            SessionKind::System { reload },
            Vec::new(),
            dsm::DialogInfo::default(),
        ) else {
            return;
        };
        self.queues.insert(tag, id);
        self.start_session(now, id);
    }

    /// Ends a leg: `beforeDestroy`, then media, conference seats, recorder, queues, database
    /// handles and monitoring; the SIP call is hung up if it is still alive.
    fn destroy(&mut self, now: Instant, id: LegId) {
        if !self.legs.contains_key(&id) {
            return;
        }
        // beforeDestroy runs with the leg still whole; its commands are carried out, except
        // that a second destroy is not started from inside this one.
        if let Some((mut session, _)) = self.with_session(id, |s, host| {
            s.handle_event(now, Event::before_destroy(), host)
        }) {
            let mut commands = Vec::new();
            while let Some(c) = session.poll_command() {
                commands.push(c);
            }
            for c in commands {
                if !matches!(c, dsm::Command::Stop { .. }) {
                    self.apply(now, id, c);
                }
            }
            if let Some(handle) = session.db_handle() {
                self.services.db.close(handle);
            }
        }
        let Some(mut leg) = self.legs.remove(&id) else {
            return;
        };
        self.tags.remove(&leg.tag);
        for q in leg.queues.drain(..) {
            self.queues.remove(&q);
        }
        self.queues.retain(|_, v| *v != id);
        self.services.conference.leave_all(media::mixer::Owner(id));
        self.finish_recording(&mut leg);
        if let Some(m) = &mut leg.media {
            let st = m.session.stats();
            // Call quality for the operator: what a mean-opinion guess would be built from.
            log::info!(
                "leg {} media: rtp in {} (lost {}, late {}), out {}; {} of {} frames concealed; jitter {} ms",
                leg.tag,
                st.rtp_received,
                st.rtp_lost,
                st.jitter.packets_late,
                st.rtp_sent,
                st.jitter.frames_concealed,
                st.jitter.frames_out,
                st.interarrival_jitter_ms
            );
            self.monitor.set(
                &leg.tag,
                "rtp_lost",
                i64::try_from(st.rtp_lost).unwrap_or(i64::MAX),
            );
            self.monitor.set(
                &leg.tag,
                "frames_concealed",
                i64::try_from(st.jitter.frames_concealed).unwrap_or(i64::MAX),
            );
            m.session.close();
            flush_leg_media(&mut self.scratch, &mut self.events, &mut leg, now);
        }
        if let Some(call) = leg.call.take() {
            self.by_call.remove(&call);
            if leg.sip != SipState::Ended {
                // stop(true) hangs up; so does stop(false) on a call still alive, which SEMS
                // would leave dangling until the peer gives up.
                if let Err(e) = self.sip.hangup(now, call) {
                    log::debug!("hangup on destroy: {e}");
                }
            }
        }
        self.monitor.mark_finished(&leg.tag, SystemTime::now());
        self.events.retain(|(l, _)| *l != id);
        log::debug!("leg {} ({}) ended", leg.tag, leg.app);
    }

    fn finish_recording(&mut self, leg: &mut Leg) {
        if let Some(mut rec) = leg.audio.stop_record() {
            rec.finish();
            write_recording(&mut rec, leg.record_file.as_mut());
        }
        leg.record_file = None;
    }

    /// Sends a leg's media output and turns its media events into DSM events.
    fn drain_media(&mut self, now: Instant, id: LegId) {
        if let Some(leg) = self.legs.get_mut(&id) {
            flush_leg_media(&mut self.scratch, &mut self.events, leg, now);
        }
    }
}

/// Sends what a leg's media session has to send, and queues its media events (RFC 4733
/// digits, RTP timeout) as DSM events. A free function so the media tick can call it while it
/// holds other parts of the switchboard.
fn flush_leg_media(
    scratch: &mut [u8],
    events: &mut VecDeque<(LegId, Event)>,
    leg: &mut Leg,
    now: Instant,
) {
    let Some(m) = &mut leg.media else { return };
    while let Some(t) = m.session.poll_transmit(now, scratch) {
        let sock = match t.channel {
            media::rtp::Channel::Rtp => &m.rtp,
            media::rtp::Channel::Rtcp => &m.rtcp,
        };
        // UDP: a full socket buffer drops the packet, as the network would.
        let _ = sock.send_to(&scratch[..t.len], t.destination);
    }
    while let Some(e) = m.session.poll_event() {
        match e {
            media::rtp::MediaEvent::Dtmf { digit, duration_ms } => {
                m.out_of_band_seen = true;
                events.push_back((leg.id, Event::key(digit.code(), duration_ms)));
            }
            media::rtp::MediaEvent::RtpTimeout { silent_for } => {
                let secs = u32::try_from(silent_for.as_secs()).unwrap_or(u32::MAX);
                events.push_back((leg.id, Event::rtp_timeout(secs)));
            }
            other => log::debug!("leg {}: {other:?}", leg.tag),
        }
    }
}

/// Writes what a recorder has produced into its file (positioned writes: the header is
/// rewritten at offset 0 as the file grows).
fn write_recording(rec: &mut media::recorder::Recorder, file: Option<&mut std::fs::File>) {
    use std::io::{Seek, SeekFrom, Write};
    let mut buf = Vec::new();
    let Some(file) = file else {
        while rec.poll_write(&mut buf).is_some() {
            buf.clear();
        }
        return;
    };
    while let Some(at) = rec.poll_write(&mut buf) {
        let r = file
            .seek(SeekFrom::Start(at.offset))
            .and_then(|_| file.write_all(&buf));
        if let Err(e) = r {
            log::error!("recording: {e}");
        }
        buf.clear();
    }
}

/// Mirrors a session's DSM state into monitoring (`dsm_diag`, `dsm_state`, the state graph).
fn update_monitoring(monitor: &Monitor, leg: &mut Leg, session: &Session) {
    if session.dsm_state() != leg.state_seen {
        leg.state_seen = session.dsm_state().to_string();
        monitor.set(&leg.tag, "dsm_state", leg.state_seen.as_str());
        monitor.set(&leg.tag, "dsm_diag", session.dsm_diag());
    }
    let graph = session.dsm_stategraph();
    if graph.len() > leg.graph_seen {
        for entry in &graph[leg.graph_seen..] {
            monitor.add(&leg.tag, "dsm_stategraph", entry.as_str());
        }
        leg.graph_seen = graph.len();
    }
}
