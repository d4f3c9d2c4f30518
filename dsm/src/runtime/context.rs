//! A session's mutable state, and [`ActionCtx`], the view of it an action or condition
//! handler gets (the only thing a handler added by `firmware` needs to know).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::command::{Command, LogLevel};
use super::event::{EventKind, Params};
use super::host::{DbRows, Host};
use super::values::{DialogInfo, Scope, Vars};

/// A `setTimer` timer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Timer {
    pub id: u32,
    pub deadline: Instant,
    pub seq: u64,
}

/// Database state of one session (mod_mysql's `avar` objects).
#[derive(Debug, Default, Clone)]
pub(crate) struct DbState {
    pub handle: Option<u64>,
    pub result: Option<Arc<DbRows>>,
    pub saved: BTreeMap<String, Option<Arc<DbRows>>>,
}

/// mod_conference state of one session.
#[derive(Debug, Default, Clone)]
pub(crate) struct ConferenceState {
    pub joined: bool,
    pub tee_channels: BTreeSet<String>,
    pub mixin: bool,
}

/// The request or reply the current event carries (`avar` request/reply objects).
#[derive(Debug, Default, Clone)]
pub(crate) struct MessageCtx {
    pub is_request: bool,
    pub is_reply: bool,
    pub bodies: Vec<(String, String)>,
}

/// Monitoring attributes the session exposes (spec §8.3).
#[derive(Debug, Default, Clone)]
pub(crate) struct MonitorState {
    pub diag: String,
    pub state: String,
    pub graph: Vec<String>,
    pub full_stategraph: bool,
    pub full_transitions: bool,
}

/// Everything about a session except the engine's position.
#[derive(Debug)]
pub(crate) struct SessionState {
    pub vars: Vars,
    pub dialog: DialogInfo,
    pub local_tag: String,
    pub system: bool,
    pub commands: VecDeque<Command>,
    pub stopped: bool,
    pub timers: Vec<Timer>,
    pub timer_seq: u64,
    pub prompt_set: Option<String>,
    pub rng: u64,
    pub db: DbState,
    pub conference: ConferenceState,
    pub regexes: crate::modules::regex::RegexTable,
    pub has_last_request: bool,
    pub message: Option<MessageCtx>,
    pub monitor: MonitorState,
}

impl SessionState {
    pub fn scope<'a>(&'a self, params: Option<&'a Params>) -> Scope<'a> {
        Scope {
            vars: &self.vars,
            params,
            local_tag: &self.local_tag,
            dialog: &self.dialog,
        }
    }

    pub fn log(&mut self, level: LogLevel, text: impl Into<String>) {
        self.commands.push_back(Command::Log {
            level,
            text: text.into(),
        });
    }

    pub fn set_timer(&mut self, id: u32, deadline: Instant) {
        self.timers.retain(|t| t.id != id);
        self.timer_seq += 1;
        self.timers.push(Timer {
            id,
            deadline,
            seq: self.timer_seq,
        });
    }

    /// xorshift64*: deterministic randomness from the session's seed.
    pub fn next_random(&mut self) -> u32 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as u32
    }
}

/// A handler's view of the session while an action or condition runs.
pub struct ActionCtx<'a> {
    pub(crate) st: &'a mut SessionState,
    pub(crate) host: &'a mut dyn Host,
    pub(crate) event: EventKind,
    pub(crate) params: &'a mut Option<Params>,
    pub(crate) now: Instant,
}

/// Conditions see the same context as actions (module conditions may set variables, as
/// `regex.match` does).
pub type ConditionCtx<'a> = ActionCtx<'a>;

impl ActionCtx<'_> {
    /// The current event's type ([`EventKind::Exception`] while exception transitions run).
    pub fn event(&self) -> EventKind {
        self.event
    }

    /// The time this event is being handled at.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// A variable.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.st.vars.get(name).map(String::as_str)
    }

    /// Sets a variable.
    pub fn set_var(&mut self, name: &str, value: impl Into<String>) {
        self.st.vars.insert(name.to_string(), value.into());
    }

    /// Removes a variable.
    pub fn remove_var(&mut self, name: &str) {
        self.st.vars.remove(name);
    }

    /// All variables.
    pub fn vars(&self) -> &Vars {
        &self.st.vars
    }

    /// All variables, mutable.
    pub fn vars_mut(&mut self) -> &mut Vars {
        &mut self.st.vars
    }

    /// An event parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.as_ref()?.get(name).map(String::as_str)
    }

    /// The event's parameter map, if it has one.
    pub fn params(&self) -> Option<&Params> {
        self.params.as_ref()
    }

    /// The event's parameter map, mutable (changes survive `repost()`).
    pub fn params_mut(&mut self) -> Option<&mut Params> {
        self.params.as_mut()
    }

    /// Whole-value resolution of an argument (`$x`, `#p`, `@sel` or a literal; spec §2.1).
    pub fn resolve(&self, s: &str) -> String {
        self.st.scope(self.params.as_ref()).resolve(s)
    }

    /// `$(name)` interpolation (spec §2.2).
    pub fn interpolate(&self, s: &str) -> String {
        self.st.scope(self.params.as_ref()).interpolate(s)
    }

    /// `eval` arithmetic (spec §2.1).
    pub fn eval(&self, s: &str) -> String {
        self.st.scope(self.params.as_ref()).eval(s)
    }

    /// Queues a command.
    pub fn emit(&mut self, command: Command) {
        self.st.commands.push_back(command);
    }

    /// Queues a log line.
    pub fn log(&mut self, level: LogLevel, text: impl Into<String>) {
        self.st.log(level, text);
    }

    /// The host.
    pub fn host(&mut self) -> &mut dyn Host {
        &mut *self.host
    }

    /// Sets `$errno`.
    pub fn set_errno(&mut self, code: &str) {
        self.set_var("errno", code);
    }

    /// Sets `$strerror`.
    pub fn set_strerror(&mut self, text: impl Into<String>) {
        self.set_var("strerror", text);
    }

    /// Sets `$errno` and `$strerror`.
    pub fn fail(&mut self, code: &str, text: impl Into<String>) {
        self.set_errno(code);
        self.set_strerror(text);
    }

    /// Clears `$errno` (SEMS's `CLR_ERRNO` sets it to the empty string).
    pub fn clear_errno(&mut self) {
        self.set_var("errno", "");
    }

    /// This session's local tag (`@local_tag`; `SystemDSM_<id>` for a system DSM).
    pub fn local_tag(&self) -> &str {
        &self.st.local_tag
    }

    /// The dialog fields behind the `@` selects.
    pub fn dialog(&self) -> &DialogInfo {
        &self.st.dialog
    }

    /// Whether this is a system DSM (no call: media actions throw `core`).
    pub fn is_system(&self) -> bool {
        self.st.system
    }

    /// Marks the session stopped (it ends after the current event).
    pub fn set_stopped(&mut self) {
        self.st.stopped = true;
    }

    /// Sets (or replaces) timer `id` to fire after `after`.
    pub fn set_timer(&mut self, id: u32, after: Duration) {
        let deadline = self.now + after;
        self.st.set_timer(id, deadline);
    }

    /// Removes timer `id`.
    pub fn remove_timer(&mut self, id: u32) {
        self.st.timers.retain(|t| t.id != id);
    }

    /// Removes all timers.
    pub fn remove_timers(&mut self) {
        self.st.timers.clear();
    }

    /// A deterministic pseudo-random number (seeded per session).
    pub fn random(&mut self) -> u32 {
        self.st.next_random()
    }
}
