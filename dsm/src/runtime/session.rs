//! [`Session`]: one call leg (or system DSM) running a diagram of a [`Collection`], and the
//! engine semantics of spec §3: `runEvent`'s transition scan, exit → transition → enter
//! actions, `repost`, exceptions and exception transitions, `jumpFSM`/`callFSM`/`returnFSM`,
//! `break`, `for` and `if`.
//!
//! Sans-IO: `start`, `handle_event` and `handle_timeout` take `now` and a [`Host`]; the
//! script's effects are drained with `poll_command`; `poll_timeout` says when the next
//! `setTimer` timer is due.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use super::command::{Command, LogLevel};
use super::context::{ActionCtx, ConferenceState, DbState, MessageCtx, MonitorState, SessionState};
use super::event::{Event, EventKind, Params};
use super::host::Host;
use super::values::{DialogInfo, Vars};
use crate::collection::Collection;
use crate::error::Error;
use crate::program::{Block, ConditionCall, Element};
use crate::registry::{Flow, Throw};
use crate::syntax::ast::ForHeader;
use crate::syntax::text::{str2int, strip_dollar};

/// Upper bound on actions, conditions and loop iterations for one event (an extension: SEMS
/// has none, so a `repost()` loop, a rethrowing exception handler or `range($n)` with a huge
/// `$n` hangs the call's thread forever). When it is exceeded the event is abandoned with an
/// error log line.
pub const MAX_STEPS_PER_EVENT: u64 = 1_000_000;

/// Monitoring options (`monitoring_full_stategraph`, `monitoring_full_transitions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionOptions {
    /// Record `"<diag>/<state>"` in [`Session::dsm_stategraph`] at init, jump, call,
    /// return and every state change.
    pub full_stategraph: bool,
    /// Record `"> <transition> >"` before each state change.
    pub full_transitions: bool,
}

/// What runs in the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionKind {
    /// A call leg: init runs with the `start` event.
    #[default]
    Call,
    /// A system DSM (no call): init runs with `startup`, or `reload` when created by a live
    /// config reload; media, playlist and B2B actions throw `core`.
    System {
        /// Created by a reload.
        reload: bool,
    },
}

/// How to build a [`Session`].
#[derive(Debug, Clone, Default)]
pub struct SessionConfig {
    /// The session's local tag (`@local_tag`; `SystemDSM_<id>` for a system DSM).
    pub local_tag: String,
    /// Call leg or system DSM.
    pub kind: SessionKind,
    /// Dialog fields for the `@` selects.
    pub dialog: DialogInfo,
    /// Initial variables: `config.<key>` for every key of the bundle's config, variables
    /// passed by the creator (`$X_var.*` of a dialout), P-App-Param values.
    pub vars: Vars,
    /// Monitoring options.
    pub options: SessionOptions,
    /// Seed for `utils.rand` and `utils.getNewId`.
    pub rng_seed: u64,
    /// Step limit per event (`None`: [`MAX_STEPS_PER_EVENT`]).
    pub step_limit: Option<u64>,
}

/// What [`Session::handle_event`] tells the host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventOutcome {
    /// The script set `#processed=true` (for `sipRequest`, `sipReply`, `remoteDisappeared`,
    /// `sessionTimeout`, `rtpTimeout`, `system` and `B2B.otherBye`: skip the default
    /// handling).
    pub processed: bool,
    /// Whether the event ran at all (events after `stop`, other than `beforeDestroy`, are
    /// dropped).
    pub ran: bool,
    /// Whether the script acted on the SIP dialog during the event (a reply, `acceptInvite`,
    /// `dlg.bye`, `stop(true)`). After the `invite` event SEMS sends 200 OK only when this is
    /// false: `$connect_session=0` alone no longer suppresses it (spec §0 item 3).
    pub dialog_touched: bool,
}

#[derive(Clone)]
struct CallFrame {
    diag: usize,
    state: usize,
    rest: Option<(Block, usize)>,
}

enum Run {
    Done,
    Abort { is_break: bool },
}

enum Halt {
    Throw(Throw),
    Budget,
}

/// Nesting limit for enter blocks run by jumpFSM/callFSM and actions resumed by returnFSM
/// within one event (SEMS recurses without a limit: `A` jumping to `B` whose initial enter
/// block jumps back to `A` crashes it). Exceeding it abandons the event like the step limit.
const MAX_FLOW_DEPTH: u32 = 64;

impl From<Throw> for Halt {
    fn from(t: Throw) -> Self {
        Halt::Throw(t)
    }
}

/// One DSM session. See the module docs.
pub struct Session {
    collection: Arc<Collection>,
    start_diagram: usize,
    diag: usize,
    state: Option<usize>,
    stack: Vec<CallFrame>,
    st: SessionState,
    kind: SessionKind,
    started: bool,
    steps: u64,
    step_limit: u64,
    depth: u32,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("local_tag", &self.st.local_tag)
            .field("diagram", &self.dsm_diag())
            .field("state", &self.dsm_state())
            .field("stopped", &self.st.stopped)
            .finish()
    }
}

impl Session {
    /// A session that will run `start_diagram` of `collection`. Nothing runs until
    /// [`Session::start`].
    pub fn new(
        collection: Arc<Collection>,
        start_diagram: &str,
        config: SessionConfig,
    ) -> Result<Session, Error> {
        let idx = collection
            .diagram_index(start_diagram)
            .ok_or_else(|| Error::UnknownDiagram(start_diagram.to_string()))?;
        if collection.diagram_at(idx).initial.is_none() {
            return Err(Error::NoInitialState(start_diagram.to_string()));
        }
        let st = SessionState {
            vars: config.vars,
            dialog: config.dialog,
            local_tag: config.local_tag,
            system: matches!(config.kind, SessionKind::System { .. }),
            commands: VecDeque::new(),
            stopped: false,
            timers: Vec::new(),
            timer_seq: 0,
            prompt_set: None,
            // xorshift must not start at 0.
            rng: config.rng_seed ^ 0x9E37_79B9_7F4A_7C15,
            db: DbState::default(),
            conference: ConferenceState::default(),
            regexes: collection.regexes().clone(),
            has_last_request: false,
            message: None,
            monitor: MonitorState {
                full_stategraph: config.options.full_stategraph,
                full_transitions: config.options.full_transitions,
                ..MonitorState::default()
            },
        };
        Ok(Session {
            collection,
            start_diagram: idx,
            diag: idx,
            state: None,
            stack: Vec::new(),
            st,
            kind: config.kind,
            started: false,
            steps: 0,
            step_limit: config.step_limit.unwrap_or(MAX_STEPS_PER_EVENT),
            depth: 0,
        })
    }

    /// Init: enter the start diagram's initial state (running its enter block), then run
    /// the `start` event (`startup`/`reload` for a system DSM). If the enter block throws,
    /// the init event runs in exception mode with the exception's params and the normal
    /// init event is skipped (spec §3.4).
    pub fn start(&mut self, now: Instant, host: &mut dyn Host) -> Result<(), Error> {
        if self.started {
            return Err(Error::Lifecycle("already started"));
        }
        self.started = true;
        self.steps = 0;
        self.depth = 0;
        let kind = match self.kind {
            SessionKind::Call => EventKind::Start,
            SessionKind::System { reload: false } => EventKind::Startup,
            SessionKind::System { reload: true } => EventKind::Reload,
        };
        let name = self.collection.diagram_at(self.start_diagram).name.clone();
        let mut params = None;
        match self.jump_diag(&name, now, host, kind, &mut params) {
            Err(Halt::Throw(t)) => {
                self.run_event(now, host, kind, Some(t.params), true);
            }
            Err(Halt::Budget) => self.budget_exceeded(),
            Ok(_) => {
                self.run_event(now, host, kind, None, false);
            }
        }
        self.after_event();
        Ok(())
    }

    /// Runs one event. Events other than `beforeDestroy` are dropped once the session is
    /// stopped, and every event is dropped before [`Session::start`].
    pub fn handle_event(
        &mut self,
        now: Instant,
        event: Event,
        host: &mut dyn Host,
    ) -> EventOutcome {
        if !self.started || (self.st.stopped && event.kind != EventKind::BeforeDestroy) {
            return EventOutcome::default();
        }
        self.steps = 0;
        self.depth = 0;
        match event.kind {
            EventKind::Invite => {
                // mod_dlg's onInvite hook keeps the INVITE for dlg.reply/acceptInvite.
                self.st.has_last_request = true;
                if self.collection.uses_module("mod_uri") {
                    self.st
                        .vars
                        .insert("hdrs".into(), event.headers.clone().unwrap_or_default());
                }
                self.st.message = Some(MessageCtx {
                    is_request: true,
                    is_reply: false,
                    bodies: event.bodies.clone(),
                });
            }
            EventKind::SipRequest => {
                self.st.message = Some(MessageCtx {
                    is_request: true,
                    is_reply: false,
                    bodies: event.bodies.clone(),
                });
            }
            EventKind::SipReply => {
                self.st.message = Some(MessageCtx {
                    is_request: false,
                    is_reply: true,
                    bodies: event.bodies.clone(),
                });
            }
            _ => self.st.message = None,
        }
        let before = self.st.commands.len();
        let params = self.run_event(now, host, event.kind, event.params, false);
        self.st.message = None;
        let dialog_touched = self.st.commands.iter().skip(before).any(|c| {
            matches!(
                c,
                Command::Reply { .. }
                    | Command::AcceptInvite { .. }
                    | Command::Bye { .. }
                    | Command::Stop { send_bye: true }
            )
        });
        self.after_event();
        EventOutcome {
            dialog_touched,
            processed: params
                .as_ref()
                .and_then(|p| p.get("processed"))
                .is_some_and(|v| v == "true"),
            ran: true,
        }
    }

    /// Fires every `setTimer` timer due at `now`, each as a `timer` event with `#id`.
    pub fn handle_timeout(&mut self, now: Instant, host: &mut dyn Host) {
        loop {
            if self.st.stopped {
                return;
            }
            let due = self
                .st
                .timers
                .iter()
                .filter(|t| t.deadline <= now)
                .min_by_key(|t| (t.deadline, t.seq))
                .cloned();
            let Some(t) = due else { return };
            self.st.timers.retain(|x| x.seq != t.seq);
            let mut p = Params::new();
            p.insert("id".into(), t.id.to_string());
            self.handle_event(now, Event::with_params(EventKind::Timer, p), host);
        }
    }

    /// When [`Session::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.st.stopped {
            return None;
        }
        self.st.timers.iter().map(|t| t.deadline).min()
    }

    /// The next command, in the order the script issued them.
    pub fn poll_command(&mut self) -> Option<Command> {
        self.st.commands.pop_front()
    }

    /// Whether the script stopped the session (`stop(...)`): end it once the commands are
    /// drained (after running `beforeDestroy`).
    pub fn is_stopped(&self) -> bool {
        self.st.stopped
    }

    /// Monitoring attribute `dsm_diag`: the current diagram.
    pub fn dsm_diag(&self) -> &str {
        &self.st.monitor.diag
    }

    /// Monitoring attribute `dsm_state`: the current state.
    pub fn dsm_state(&self) -> &str {
        &self.st.monitor.state
    }

    /// Monitoring attribute `dsm_stategraph` (spec §8.3), filled when the session options
    /// ask for it.
    pub fn dsm_stategraph(&self) -> &[String] {
        &self.st.monitor.graph
    }

    /// A variable.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.st.vars.get(name).map(String::as_str)
    }

    /// All variables.
    pub fn vars(&self) -> &Vars {
        &self.st.vars
    }

    /// All variables, mutable (e.g. P-App-Param values known only after creation).
    pub fn vars_mut(&mut self) -> &mut Vars {
        &mut self.st.vars
    }

    /// The dialog fields behind the `@` selects; keep them current (remote tag after the
    /// 2xx, ...).
    pub fn dialog_mut(&mut self) -> &mut DialogInfo {
        &mut self.st.dialog
    }

    /// The local tag.
    pub fn local_tag(&self) -> &str {
        &self.st.local_tag
    }

    /// The collection this session runs (a reload does not change it).
    pub fn collection(&self) -> &Arc<Collection> {
        &self.collection
    }

    /// The database handle the script holds open, if any.
    pub fn db_handle(&self) -> Option<u64> {
        self.st.db.handle
    }

    fn after_event(&mut self) {
        if self.st.stopped {
            self.st.timers.clear();
            if let Some(h) = self.st.db.handle.take() {
                self.st.commands.push_back(Command::DbClose { handle: h });
            }
        }
    }

    fn budget_exceeded(&mut self) {
        self.st.log(
            LogLevel::Error,
            format!(
                "more than {} steps or {MAX_FLOW_DEPTH} nested jumpFSM/callFSM/returnFSM for one \
                 event (repost, exception or jump loop?): event abandoned",
                self.step_limit
            ),
        );
    }

    fn enter_nested(&mut self) -> Result<(), Halt> {
        if self.depth >= MAX_FLOW_DEPTH {
            return Err(Halt::Budget);
        }
        self.depth += 1;
        Ok(())
    }

    fn step(&mut self, n: u64) -> Result<(), Halt> {
        self.steps += n;
        if self.steps > self.step_limit {
            Err(Halt::Budget)
        } else {
            Ok(())
        }
    }

    /// SEMS `runEvent`. Returns the event's own params (as the script left them).
    fn run_event(
        &mut self,
        now: Instant,
        host: &mut dyn Host,
        kind: EventKind,
        params: Option<Params>,
        run_exception: bool,
    ) -> Option<Params> {
        let coll = self.collection.clone();
        let mut own = params;
        // Once an exception is thrown, its params replace the event's for the rest of this
        // runEvent (the event's own map is left as it was).
        let mut exc: Option<Option<Params>> = None;
        let mut exception = run_exception;
        let mut active_kind = kind;
        loop {
            let mut consumed = true;
            let active = match exc.as_mut() {
                Some(p) => p,
                None => &mut own,
            };
            match self.scan(
                &coll,
                now,
                host,
                active_kind,
                active,
                exception,
                &mut consumed,
            ) {
                Ok(()) => {}
                Err(Halt::Throw(t)) => {
                    consumed = false;
                    exception = true;
                    active_kind = EventKind::Exception;
                    exc = Some(Some(t.params));
                }
                Err(Halt::Budget) => {
                    self.budget_exceeded();
                    break;
                }
            }
            if consumed {
                break;
            }
            if self.step(1).is_err() {
                self.budget_exceeded();
                break;
            }
        }
        own
    }

    #[allow(clippy::too_many_arguments)]
    fn scan(
        &mut self,
        coll: &Collection,
        now: Instant,
        host: &mut dyn Host,
        kind: EventKind,
        params: &mut Option<Params>,
        exception: bool,
        consumed: &mut bool,
    ) -> Result<(), Halt> {
        let Some(cur) = self.state else {
            return Ok(());
        };
        let diagram = coll.diagram_at(self.diag);
        let Some(state) = diagram.states.get(cur) else {
            return Ok(());
        };
        for tr in &state.transitions {
            if tr.is_exception != exception {
                continue;
            }
            if !self.conditions_match(&tr.conditions, now, host, kind, params)? {
                continue;
            }
            if tr.target.is_none() {
                self.st.log(
                    LogLevel::Error,
                    format!(
                        "script writer error: transition '{}' from state '{}' to unknown state '{}'",
                        tr.name, state.name, tr.target_name
                    ),
                );
            }
            if !state.exit.is_empty()
                && let Run::Abort { .. } =
                    self.run_actions(&state.exit, 0, now, host, kind, params, consumed)?
            {
                return Ok(());
            }
            if !tr.actions.is_empty()
                && let Run::Abort { .. } =
                    self.run_actions(&tr.actions, 0, now, host, kind, params, consumed)?
            {
                return Ok(());
            }
            let Some(target) = tr.target else {
                return Ok(());
            };
            let target_state = &diagram.states[target];
            let m = &mut self.st.monitor;
            m.state = target_state.name.clone();
            if m.full_transitions {
                m.graph.push(format!("> {} >", tr.name));
            }
            if m.full_stategraph {
                m.graph
                    .push(format!("{}/{}", diagram.name, target_state.name));
            }
            self.state = Some(target);
            if !target_state.enter.is_empty() {
                self.run_actions(&target_state.enter, 0, now, host, kind, params, consumed)?;
            }
            return Ok(());
        }
        Ok(())
    }

    fn conditions_match(
        &mut self,
        conditions: &[ConditionCall],
        now: Instant,
        host: &mut dyn Host,
        kind: EventKind,
        params: &mut Option<Params>,
    ) -> Result<bool, Halt> {
        for c in conditions {
            self.step(1)?;
            let type_ok = c.def.event.is_none_or(|e| e == kind);
            let m = type_ok && {
                let mut ctx = ActionCtx {
                    st: &mut self.st,
                    host: &mut *host,
                    event: kind,
                    params,
                    now,
                };
                c.def.handler.matches(&c.args, &mut ctx)
            };
            if m == c.invert {
                return Ok(false);
            }
        }
        Ok(true)
    }

    #[allow(clippy::too_many_arguments)]
    fn run_actions(
        &mut self,
        block: &Block,
        from: usize,
        now: Instant,
        host: &mut dyn Host,
        kind: EventKind,
        params: &mut Option<Params>,
        consumed: &mut bool,
    ) -> Result<Run, Halt> {
        for i in from..block.len() {
            self.step(1)?;
            match &block[i] {
                Element::Action(a) => {
                    let flow = {
                        let mut ctx = ActionCtx {
                            st: &mut self.st,
                            host: &mut *host,
                            event: kind,
                            params,
                            now,
                        };
                        a.def.handler.execute(&a.args, &mut ctx)?
                    };
                    match flow {
                        Flow::Continue => {}
                        Flow::Repost => *consumed = false,
                        Flow::Break => return Ok(Run::Abort { is_break: true }),
                        Flow::Jump(name) => {
                            if self.jump_diag(&name, now, host, kind, params)? {
                                return Ok(Run::Abort { is_break: false });
                            }
                        }
                        Flow::Call(name) => {
                            let Some(cur) = self.state else { continue };
                            self.stack.push(CallFrame {
                                diag: self.diag,
                                state: cur,
                                rest: Some((block.clone(), i + 1)),
                            });
                            if self.jump_diag(&name, now, host, kind, params)? {
                                return Ok(Run::Abort { is_break: false });
                            }
                            // Unlike SEMS, a failed call does not leave a stale frame.
                            self.stack.pop();
                        }
                        Flow::Return => {
                            if self.return_diag(now, host, kind, params, consumed)? {
                                return Ok(Run::Abort { is_break: false });
                            }
                        }
                    }
                }
                Element::If {
                    conditions,
                    then_branch,
                    else_branch,
                } => {
                    let m = self.conditions_match(conditions, now, host, kind, params)?;
                    let branch = if m { then_branch } else { else_branch };
                    if let r @ Run::Abort { .. } =
                        self.run_actions(branch, 0, now, host, kind, params, consumed)?
                    {
                        return Ok(r);
                    }
                }
                Element::For { header, body } => {
                    self.run_for(header, body, now, host, kind, params, consumed)?;
                }
            }
        }
        Ok(Run::Done)
    }

    #[allow(clippy::too_many_arguments)]
    fn run_for(
        &mut self,
        header: &ForHeader,
        body: &Block,
        now: Instant,
        host: &mut dyn Host,
        kind: EventKind,
        params: &mut Option<Params>,
        consumed: &mut bool,
    ) -> Result<(), Halt> {
        let (k_raw, v_raw) = match header {
            ForHeader::Array { var, .. } | ForHeader::Range { var, .. } => (var.as_str(), ""),
            ForHeader::Struct { key, value, .. } => (key.as_str(), value.as_str()),
        };
        if k_raw.is_empty() {
            self.st.log(LogLevel::Error, "empty counter name in for");
            return Ok(());
        }
        let k_name = strip_dollar(k_raw).to_string();
        let v_name = strip_dollar(v_raw).to_string();
        // (counter value, struct value)
        let mut items: Vec<(String, String)> = Vec::new();
        let mut range = (0i64, 0i64);
        match header {
            ForHeader::Array { array, .. } | ForHeader::Struct { name: array, .. } => {
                if array.is_empty() {
                    self.st.log(LogLevel::Error, "empty array name in for");
                    return Ok(());
                }
                let a = strip_dollar(array);
                if let ForHeader::Struct { .. } = header {
                    for (k, v) in self.st.vars.range(a.to_string()..) {
                        if !k.starts_with(a) {
                            break;
                        }
                        let key = k.get(a.len() + 1..).unwrap_or("").to_string();
                        items.push((key, v.clone()));
                    }
                } else {
                    // SEMS walks its ordered map over the array's entries: `a[10]` comes
                    // before `a[2]`, and `a[1].f` entries are visited too.
                    let prefix = format!("{a}[");
                    for (k, v) in self.st.vars.range(prefix.clone()..) {
                        if !k.starts_with(&prefix) {
                            break;
                        }
                        items.push((v.clone(), String::new()));
                    }
                }
            }
            ForHeader::Range { from, to, .. } => {
                let scope = self.st.scope(params.as_ref());
                let lo = scope.resolve(from);
                match str2int(&lo) {
                    Some(l) => {
                        let hi = scope.resolve(to);
                        match str2int(&hi) {
                            Some(h) => range = (i64::from(l), i64::from(h)),
                            None => {
                                self.st.log(
                                    LogLevel::Warn,
                                    format!("Error converting upper bound range({from},{to})"),
                                );
                            }
                        }
                    }
                    None => self.st.log(
                        LogLevel::Warn,
                        format!("Error converting lower bound range({from},{to})"),
                    ),
                }
            }
        }
        let k_save = self.st.vars.get(&k_name).cloned();
        let is_struct = matches!(header, ForHeader::Struct { .. });
        let v_save = if is_struct {
            self.st.vars.get(&v_name).cloned()
        } else {
            None
        };
        if let ForHeader::Range { .. } = header {
            let (mut cnt, end) = range;
            while cnt != end {
                self.step(1)?;
                self.st.vars.insert(k_name.clone(), cnt.to_string());
                let r = self.run_actions(body, 0, now, host, kind, params, consumed)?;
                if let Run::Abort { is_break: true } = r {
                    break;
                }
                if end > cnt {
                    cnt += 1;
                } else {
                    cnt -= 1;
                }
            }
        } else {
            for (k, v) in items {
                self.step(1)?;
                self.st.vars.insert(k_name.clone(), k);
                if is_struct {
                    self.st.vars.insert(v_name.clone(), v);
                }
                let r = self.run_actions(body, 0, now, host, kind, params, consumed)?;
                if let Run::Abort { is_break: true } = r {
                    break;
                }
            }
        }
        match k_save {
            Some(v) => {
                self.st.vars.insert(k_name, v);
            }
            None => {
                self.st.vars.remove(&k_name);
            }
        }
        if is_struct {
            match v_save {
                Some(v) => {
                    self.st.vars.insert(v_name, v);
                }
                None => {
                    self.st.vars.remove(&v_name);
                }
            }
        }
        Ok(())
    }

    /// SEMS `jumpDiag`: switch diagram, enter its initial state, run its enter block (a
    /// `repost` there is ignored). `Ok(false)` when the diagram is unknown.
    fn jump_diag(
        &mut self,
        name: &str,
        now: Instant,
        host: &mut dyn Host,
        kind: EventKind,
        params: &mut Option<Params>,
    ) -> Result<bool, Halt> {
        let coll = self.collection.clone();
        let Some(idx) = coll.diagram_index(name) else {
            self.st
                .log(LogLevel::Error, format!("diag '{name}' not found."));
            return Ok(false);
        };
        let d = coll.diagram_at(idx);
        let Some(init) = d.initial else {
            self.st.log(
                LogLevel::Error,
                format!("diag '{name}' does not have initial state."),
            );
            return Ok(false);
        };
        self.diag = idx;
        self.state = Some(init);
        let st = &d.states[init];
        let m = &mut self.st.monitor;
        m.diag = d.name.clone();
        m.state = st.name.clone();
        if m.full_stategraph {
            m.graph.push(format!("{}/{}", d.name, st.name));
        }
        let mut local_consumed = true;
        self.enter_nested()?;
        let r = self.run_actions(&st.enter, 0, now, host, kind, params, &mut local_consumed);
        self.depth -= 1;
        r?;
        Ok(true)
    }

    /// SEMS `returnDiag` plus the saved remaining actions of the calling action list.
    fn return_diag(
        &mut self,
        now: Instant,
        host: &mut dyn Host,
        kind: EventKind,
        params: &mut Option<Params>,
        consumed: &mut bool,
    ) -> Result<bool, Halt> {
        let Some(frame) = self.stack.pop() else {
            self.st.log(LogLevel::Error, "returning from empty stack");
            return Ok(false);
        };
        self.diag = frame.diag;
        self.state = Some(frame.state);
        let coll = self.collection.clone();
        let d = coll.diagram_at(frame.diag);
        let m = &mut self.st.monitor;
        m.diag = d.name.clone();
        m.state = d.states[frame.state].name.clone();
        if m.full_stategraph {
            m.graph.push(format!("{}/{}", m.diag, m.state));
        }
        if let Some((block, from)) = frame.rest {
            self.enter_nested()?;
            let r = self.run_actions(&block, from, now, host, kind, params, consumed);
            self.depth -= 1;
            r?;
        }
        Ok(true)
    }
}
