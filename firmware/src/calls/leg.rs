//! One call leg: a SIP dialog, its DSM session, and its media (RTP session, playlist,
//! recorder, conference seats, in-band DTMF detector).

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;

use media::dtmf::DtmfDetector;
use media::mixer::ParticipantId;
use media::playlist::LegAudio;
use media::rtp::MediaSession;
use media::sdp::{LocalMedia, NegotiatedMedia, SdpSession, SessionDescription};
use sip::CallHandle;

use crate::apps::Bundle;

/// A leg's identity inside the switchboard (the DSM local tag is its public name).
pub type LegId = u64;

/// Which side placed the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Someone called us (UAS).
    In,
    /// We called out (`dlg.dialout`, UAC).
    Out,
}

impl Direction {
    /// SEMS's monitoring value.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// Where the SIP side of the leg stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SipState {
    /// Incoming INVITE not yet answered finally (possibly with early media).
    Offered,
    /// Outgoing INVITE not yet answered.
    Calling,
    /// Answered (2xx sent or received).
    Connected,
    /// The SIP call is over (or there never was one: a system DSM).
    Ended,
}

/// The media half of a leg.
#[derive(Debug)]
pub struct LegMedia {
    /// RTP socket (even port).
    pub rtp: UdpSocket,
    /// RTCP socket (RTP port + 1).
    pub rtcp: UdpSocket,
    /// The RTP port, for SDP.
    pub port: u16,
    /// RTP/RTCP state.
    pub session: MediaSession,
    /// Offer/answer state (RFC 3264).
    pub sdp: SdpSession,
    /// What we offer or answer with.
    pub local: LocalMedia,
    /// What was agreed, once it was.
    pub negotiated: Option<NegotiatedMedia>,
    /// The peer's offer still to be answered (UAS, or a re-INVITE).
    pub pending_offer: Option<SessionDescription>,
    /// Our answer to the initial offer, sent with the first 183/2xx.
    pub answer: Option<SessionDescription>,
    /// Whether the 20 ms tick processes this leg (set when offer/answer completes and
    /// `connectMedia`; cleared by `disconnectMedia`).
    pub running: bool,
    /// Stop sending voice (`mute()`).
    pub muted: bool,
    /// In-band DTMF detection (on by default, as in SEMS).
    pub detector: DtmfDetector,
    /// `enableDTMFDetection()` / `disableDTMFDetection()`.
    pub detect_inband: bool,
    /// RFC 4733 or SIP INFO digits arrived: the in-band detector is then ignored, so a
    /// phone that sends both does not type every digit twice (SEMS's detector does the same).
    pub out_of_band_seen: bool,
}

/// One call leg.
pub struct Leg {
    /// Identity inside the switchboard.
    pub id: LegId,
    /// The DSM local tag (`@local_tag`, the monitoring call ID, postEvent target).
    pub tag: String,
    /// The interpreter; taken out while it runs.
    pub session: Option<dsm::Session>,
    /// The bundle the script came from (kept alive across reloads).
    pub bundle: Arc<Bundle>,
    /// The application name.
    pub app: String,
    /// Inbound or outbound.
    pub direction: Direction,
    /// The SIP call.
    pub call: Option<CallHandle>,
    /// SIP state.
    pub sip: SipState,
    /// The peer's signalling address (for the local-address choice).
    pub remote: Option<SocketAddr>,
    /// Media, once sockets are allocated.
    pub media: Option<LegMedia>,
    /// Playlist, recorder, tees, mix-in (exists before media does, as in SEMS).
    pub audio: LegAudio,
    /// Conference seats (`conference.join`, `teejoin`).
    pub seats: Vec<(String, ParticipantId)>,
    /// The recording being written, and where.
    pub record_file: Option<std::fs::File>,
    /// `stop()` was called: destroy after the current event; `true` also hangs up.
    pub stop: Option<bool>,
    /// Early media completed (so a later 2xx does not raise `sessionStart` again).
    pub early_done: bool,
    /// `sessionStart` was raised.
    pub session_started: bool,
    /// Named event queues this leg registered.
    pub queues: Vec<String>,
    /// How many stategraph entries monitoring has seen.
    pub graph_seen: usize,
    /// The state last written to monitoring.
    pub state_seen: String,
}

impl std::fmt::Debug for Leg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leg")
            .field("tag", &self.tag)
            .field("app", &self.app)
            .field("direction", &self.direction)
            .field("sip", &self.sip)
            .finish()
    }
}

impl Leg {
    /// A DSM variable of the leg's session ("" if unset or while it runs).
    pub fn var(&self, name: &str) -> &str {
        self.session
            .as_ref()
            .and_then(|s| s.var(name))
            .unwrap_or("")
    }
}

/// A hasher for the switchboard's integer keys (leg ids, call handles): they are handed out
/// in sequence, so their value is already a good hash, and SipHash on every RTP packet and
/// every tick costs measurable CPU.
#[derive(Debug, Default, Clone, Copy)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        // Spread sequential ids over hashbrown's control bytes (Fibonacci hashing).
        self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

/// A map keyed by leg ids or call handles.
pub type IdMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<IdHasher>>;
