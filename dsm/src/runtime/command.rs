//! Commands out: everything a script does to the outside world, as values drained with
//! [`crate::Session::poll_command`], in the order the script did them.
//!
//! Nothing here has happened yet when the command is drained; `firmware` carries it out.
//! Where SEMS would raise an event as a *result* (a reply with SDP completes offer/answer and
//! raises `earlySession`/`sessionStart`), `firmware` feeds that event back with
//! `handle_event` after the current one, which is the deliberate difference of spec §3.9.

use std::collections::BTreeMap;

use super::event::Params;

/// Log level, SEMS numbering (0 = error ... 3 = debug).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// 0
    Error,
    /// 1
    Warn,
    /// 2
    Info,
    /// 3 (and above)
    Debug,
}

impl LogLevel {
    /// SEMS's numeric level to a [`LogLevel`] (anything above 3 is debug).
    pub fn from_number(n: u32) -> Self {
        match n {
            0 => Self::Error,
            1 => Self::Warn,
            2 => Self::Info,
            _ => Self::Debug,
        }
    }
}

/// Where `playFile` & co put their item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Append (the default).
    Back,
    /// Insert before everything else.
    Front,
}

/// A call placed by `dlg.dialout(X)`: every `$X_*` variable of spec §6.1, defaults applied.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dialout {
    /// The local tag reserved for the new leg (from [`crate::Host::reserve_dialout`]).
    pub ltag: String,
    /// `$X_ltag` as the script set it before the call (the tag it asked for), if any.
    pub requested_ltag: Option<String>,
    /// DSM application (diagram) the new leg runs: `$X_app`.
    pub app: String,
    /// `$X_caller`: user part of the From.
    pub caller: String,
    /// `$X_callee`.
    pub callee: String,
    /// `$X_domain`.
    pub domain: String,
    /// `$X_r_uri`, default `sip:callee@domain`.
    pub r_uri: String,
    /// `$X_from`, default `<sip:caller@domain>`.
    pub from: String,
    /// `$X_from_uri`, default `sip:caller@domain`.
    pub from_uri: String,
    /// `$X_to`, default `<sip:callee@domain>`.
    pub to: String,
    /// `$X_auth_user` and `$X_auth_pwd`, only when both are set.
    pub auth: Option<(String, String)>,
    /// `$X_hdrs`, with literal `\r\n` turned into CRLF.
    pub headers: String,
    /// `$X_var.<n>`: becomes `$<n>` in the new call.
    pub vars: BTreeMap<String, String>,
}

/// Playlist, recorder and RTP operations of one call leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaCommand {
    /// `playFile(path[, loop])`, `playFileFront(...)`; also mod_utils' count and spell
    /// actions and `mysql.playDBAudio*` (with the file the host wrote).
    PlayFile {
        /// File path.
        path: String,
        /// Front or back of the playlist.
        position: Position,
        /// Loop the file.
        looped: bool,
    },
    /// `playPrompt(name)`, `playPromptFront`, `playPromptLooped`.
    PlayPrompt {
        /// Prompt name.
        name: String,
        /// Prompt set selected with `setPrompts`, if any.
        prompt_set: Option<String>,
        /// Front or back.
        position: Position,
        /// Loop it.
        looped: bool,
    },
    /// `playSilence(ms)`, `playSilenceFront(ms)`.
    PlaySilence {
        /// Length in milliseconds.
        ms: u32,
        /// Front or back.
        position: Position,
    },
    /// `playRingtone($r[, front])` and `utils.playRingTone(...)`: a generated ring tone.
    PlayRingtone {
        /// Total length in ms (0: endless).
        length_ms: i32,
        /// On time in ms.
        on_ms: i32,
        /// Off time in ms.
        off_ms: i32,
        /// First frequency in Hz.
        f1: i32,
        /// Second frequency in Hz.
        f2: i32,
        /// Front or back.
        position: Position,
    },
    /// `addSeparator(id[, front])`: raises `separator` with `#id` when reached.
    AddSeparator {
        /// The separator id.
        id: String,
        /// Front or back.
        position: Position,
    },
    /// `flushPlaylist()` (alias `closePlaylist()`): drop every item, raise no event.
    FlushPlaylist,
    /// `recordFile(path)`: replace the session input with a file writer.
    RecordFile {
        /// File path.
        path: String,
    },
    /// `stopRecord()`: restore the playlist as input.
    StopRecord,
    /// `setInOutPlaylist()`.
    SetInOutPlaylist,
    /// `setInputPlaylist()`.
    SetInputPlaylist,
    /// `setOutputPlaylist()`.
    SetOutputPlaylist,
    /// `connectMedia()`: playlist in/out and join the media processor.
    ConnectMedia,
    /// `disconnectMedia()`.
    DisconnectMedia,
    /// `mute()`: stop sending RTP.
    Mute,
    /// `unmute()`.
    Unmute,
    /// `enableReceiving()` / `disableReceiving()`.
    Receiving(bool),
    /// `enableForceDTMFReceiving()` / `disableForceDTMFReceiving()`.
    ForceDtmfReceiving(bool),
    /// `monitorRTPTimeout(true|false)`.
    MonitorRtpTimeout(bool),
    /// `enableDTMFDetection()` / `disableDTMFDetection()`.
    DtmfDetection(bool),
    /// `sendDTMF(event[, ms])`, `sendDTMFSequence(...)`: one RFC 4733 event.
    SendDtmf {
        /// Event code: 0-9, 10 `*`, 11 `#`, 12-15 A-D.
        event: u8,
        /// Duration in ms.
        duration_ms: u32,
    },
}

/// mod_conference operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConferenceCommand {
    /// `conference.join(room[, mode])`: append a conference item to the playlist. `mode` is
    /// `""` (speak and listen), `speakonly` or `listenonly`.
    Join {
        /// Room (channel) id.
        room: String,
        /// Mode as written.
        mode: String,
    },
    /// `conference.rejoin(room[, mode])`: release the old channel, then join.
    Rejoin {
        /// Room id.
        room: String,
        /// Mode.
        mode: String,
    },
    /// `conference.leave()`: release the channel.
    Leave,
    /// `conference.teejoin(room[, channel])`: also speak into `room`.
    TeeJoin {
        /// Room id.
        room: String,
        /// Variable name the tee channel is kept under (default `conf.teechan`).
        channel: String,
    },
    /// `conference.teeleave([channel])`.
    TeeLeave {
        /// See [`ConferenceCommand::TeeJoin`].
        channel: String,
    },
    /// `conference.setupMixIn(level, seconds)`.
    SetupMixIn {
        /// Mix level (as `atof`).
        level: String,
        /// Seconds between mixes (0: immediately, once).
        seconds: u32,
    },
    /// `conference.playMixIn(file)`.
    PlayMixIn {
        /// File path.
        path: String,
    },
    /// `conference.playMixInList(file[, loop])`.
    PlayMixInList {
        /// File path.
        path: String,
        /// Loop the list.
        looped: bool,
    },
    /// `conference.flushMixInList()`.
    FlushMixInList,
    /// `conference.postEvent(room, id)`: every member gets `event` with
    /// `#type=conference_event #id`.
    PostEvent {
        /// Room id.
        room: String,
        /// Event id.
        id: u32,
    },
    /// `conference.setPlayoutType(adaptive|jb|simple)`.
    SetPlayoutType(String),
}

/// SEMS B2B-leg operations (the callee leg has no script).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum B2BCommand {
    /// `B2B.connectCallee(party, uri)` / `dlg.connectCalleeRelayed(party, uri)`; the
    /// `$b2b_*` variables of spec §2.5 are included.
    ConnectCallee {
        /// Remote party (To).
        party: String,
        /// Remote URI (R-URI).
        uri: String,
        /// Relayed-INVITE mode (`dlg.connectCalleeRelayed`).
        relayed: bool,
        /// `$b2b_*` control variables.
        vars: BTreeMap<String, String>,
    },
    /// `B2B.terminateOtherLeg()`.
    TerminateOtherLeg,
    /// `B2B.sendReinvite(update_sdp[, hdrs])` (arguments taken raw, as SEMS).
    SendReinvite {
        /// Whether to update the SDP.
        update_sdp: bool,
        /// Extra headers.
        headers: String,
    },
    /// `B2B.addHeader(h)`.
    AddHeader(String),
    /// `B2B.removeHeader(name)`.
    RemoveHeader(String),
    /// `B2B.clearHeaders()`.
    ClearHeaders,
    /// `B2B.setHeaders(h[, true])`.
    SetHeaders {
        /// Headers.
        headers: String,
        /// Whether literal `\r\n` becomes CRLF.
        replace_crlf: bool,
    },
    /// `B2B.enableEarlyMediaRelay(bool)`.
    EnableEarlyMediaRelay(bool),
    /// `B2B.relayEvent(names)`: a `B2Bevent` with these params to the other leg.
    RelayEvent(Params),
    /// `B2B.setRelayOnly(bool)`.
    SetRelayOnly(bool),
}

/// Writes to the monitoring store (spec §8.3): mod_monitoring actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonitoringCommand {
    /// `monitoring.set|log(attr, val)` (`id` is `None`: this call) and
    /// `monitoring.setGlobal(id, attr, val)`.
    Set {
        /// Record id; `None` for this call's own record.
        id: Option<String>,
        /// Attribute.
        attr: String,
        /// Value.
        value: String,
    },
    /// `monitoring.add|logAdd(attr, val)`, `monitoring.addGlobal(id, attr, val)`: append.
    Add {
        /// Record id; `None` for this call's own record.
        id: Option<String>,
        /// Attribute.
        attr: String,
        /// Value.
        value: String,
    },
    /// `monitoring.inc(id, attr)`.
    Inc {
        /// Record id.
        id: String,
        /// Attribute.
        attr: String,
    },
    /// `monitoring.dec(id, attr)`.
    Dec {
        /// Record id.
        id: String,
        /// Attribute.
        attr: String,
    },
}

/// One thing the script did, for `firmware` to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `dlg.reply(code, reason)`: reply to the initial INVITE without SDP.
    Reply {
        /// Status code.
        code: u16,
        /// Reason phrase.
        reason: String,
        /// `$dlg.reply.hdrs`, with `\r\n` turned into CRLF and a final CRLF (empty if none).
        headers: String,
    },
    /// `dlg.acceptInvite([code, reason])`: reply to the INVITE *with SDP* (default 200 OK).
    /// Completing offer/answer raises `earlySession` (1xx) or `sessionStart` (2xx):
    /// feed it back after the current event.
    AcceptInvite {
        /// Status code.
        code: u16,
        /// Reason phrase.
        reason: String,
        /// As for [`Command::Reply`].
        headers: String,
    },
    /// `dlg.replyRequest(code, reason)`: reply to the request of the current `sipRequest`.
    ReplyRequest {
        /// Status code.
        code: u16,
        /// Reason phrase.
        reason: String,
        /// As for [`Command::Reply`].
        headers: String,
    },
    /// `dlg.relayError(code, reason)` / `dlg.relayReply()` (B2B relay).
    RelayReply {
        /// Status code (0 for `relayReply`: relay the received reply as is).
        code: u16,
        /// Reason phrase.
        reason: String,
    },
    /// `dlg.bye([hdrs])`: send BYE (the session keeps running).
    Bye {
        /// Extra headers.
        headers: String,
    },
    /// `dlg.refer(to[, expires])`.
    Refer {
        /// Refer-To.
        to: String,
        /// Expires in seconds, if given.
        expires: Option<u32>,
    },
    /// `dlg.info(content_type, body)`.
    Info {
        /// Content type.
        content_type: String,
        /// Body.
        body: String,
    },
    /// `stop(true|false)`: end the session after this event; with `send_bye`, first end the
    /// dialog (BYE when connected, CANCEL for a pending UAC INVITE, 487 for a pending UAS
    /// INVITE).
    Stop {
        /// Whether to end the dialog first.
        send_bye: bool,
    },
    /// `dlg.dialout(X)`: place a new independent call.
    Dialout(Box<Dialout>),
    /// Playlist, recorder, RTP and DTMF.
    Media(MediaCommand),
    /// mod_conference.
    Conference(ConferenceCommand),
    /// B2B leg control.
    B2B(B2BCommand),
    /// `postEvent(target, names)`: an `event` with these params to a session (by local tag)
    /// or a registered event queue. Deliver it after the current event.
    PostEvent {
        /// Session local tag or queue name.
        target: String,
        /// The params.
        params: Params,
    },
    /// `registerEventQueue(name)`.
    RegisterEventQueue(String),
    /// `unregisterEventQueue(name)`.
    UnregisterEventQueue(String),
    /// Monitoring store writes.
    Monitoring(MonitoringCommand),
    /// The session stopped while it still had a database connection open: the host may
    /// close the handle (`mysql.disconnect()` closes through [`crate::Host::db_disconnect`]).
    DbClose {
        /// The handle from [`crate::Host::db_connect`].
        handle: u64,
    },
    /// A log line (the script's `log`/`logs`/`logVars`... and the interpreter's own runtime
    /// errors, e.g. a transition to an unknown state).
    Log {
        /// Level.
        level: LogLevel,
        /// Text, without a trailing newline.
        text: String,
    },
}
