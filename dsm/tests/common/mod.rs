//! Test harness: a recording [`Host`] with a real SQLite database, and an [`Exchange`] that
//! plays `firmware`'s part for a set of sessions on a virtual clock: it routes `postEvent`s,
//! feeds back `earlySession`/`sessionStart` after replies with SDP (after the current event,
//! spec §3.9), and starts the legs `dlg.dialout` asks for.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dsm::{
    Collection, Command, DbError, DbExecution, DbRows, Dialout, Event, EventKind, Host,
    LoadOptions, ModuleRegistry, Params, Session, SessionConfig, SessionOptions, SqlStatement,
    SqlValue,
};

/// What the database looks like for a test.
#[derive(Clone, Debug)]
pub enum Db {
    /// `callees(caller, callee, pin)` with these rows.
    Rows(Vec<(&'static str, &'static str, &'static str)>),
    /// Connecting fails.
    ConnectFails,
    /// Connected, but the `callees` table does not exist (the query fails).
    NoTable,
}

/// One synchronous call the script made to the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostCall {
    AudioOpenable(String),
    Connect(String),
    Query { sql: String, params: Vec<SqlValue> },
    Execute { sql: String, params: Vec<SqlValue> },
    ReserveDialout(String),
    TargetExists(String),
    Other(String),
}

/// A [`Host`] that records every call and answers from a scenario.
pub struct FakeHost {
    pub db: Db,
    pub missing_files: HashSet<String>,
    pub targets: BTreeSet<String>,
    pub calls: Vec<HostCall>,
    conns: BTreeMap<u64, rusqlite::Connection>,
    next_handle: u64,
    next_leg: u32,
    pub prompts: HashSet<String>,
    pub files: HashSet<String>,
}

impl FakeHost {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            missing_files: HashSet::new(),
            targets: BTreeSet::new(),
            calls: Vec::new(),
            conns: BTreeMap::new(),
            next_handle: 1,
            next_leg: 0,
            prompts: HashSet::new(),
            files: HashSet::new(),
        }
    }
}

fn to_sql(params: &[SqlValue]) -> Vec<String> {
    params
        .iter()
        .map(|p| match p {
            SqlValue::Text(t) => t.clone(),
            SqlValue::FileContents(f) => format!("<file {f}>"),
        })
        .collect()
}

impl Host for FakeHost {
    fn audio_file_openable(&mut self, path: &str, _write: bool) -> bool {
        self.calls.push(HostCall::AudioOpenable(path.to_string()));
        !self.missing_files.contains(path)
    }

    fn prompt_exists(&mut self, _set: Option<&str>, name: &str) -> bool {
        self.prompts.contains(name)
    }

    fn reserve_dialout(&mut self, request: &Dialout) -> Option<String> {
        self.calls
            .push(HostCall::ReserveDialout(request.callee.clone()));
        self.next_leg += 1;
        let tag = request
            .requested_ltag
            .clone()
            .unwrap_or_else(|| format!("callee-{}", self.next_leg));
        if !self.targets.insert(tag.clone()) {
            return None;
        }
        Some(tag)
    }

    fn event_target_exists(&mut self, target: &str) -> bool {
        self.calls.push(HostCall::TargetExists(target.to_string()));
        self.targets.contains(target)
    }

    fn db_connect(&mut self, url: &str) -> Result<u64, DbError> {
        self.calls.push(HostCall::Connect(url.to_string()));
        if !url.starts_with("sqlite:") {
            return Err(DbError::BadUrl(format!("unsupported db_url '{url}'")));
        }
        let conn = match &self.db {
            Db::ConnectFails => {
                return Err(DbError::Connection {
                    code: 14,
                    message: "unable to open database file".into(),
                });
            }
            Db::NoTable => rusqlite::Connection::open_in_memory(),
            Db::Rows(rows) => {
                let c = rusqlite::Connection::open_in_memory();
                c.and_then(|c| {
                    c.execute_batch(
                        "CREATE TABLE callees (id INTEGER PRIMARY KEY, caller varchar(128) NOT NULL, \
                         callee varchar(128) NOT NULL, pin varchar(32) NOT NULL);",
                    )?;
                    for (caller, callee, pin) in rows {
                        c.execute(
                            "insert into callees (caller,callee,pin) values (?1,?2,?3)",
                            [caller, callee, pin],
                        )?;
                    }
                    Ok(c)
                })
            }
        }
        .map_err(|e| DbError::Connection {
            code: 1,
            message: e.to_string(),
        })?;
        let h = self.next_handle;
        self.next_handle += 1;
        self.conns.insert(h, conn);
        Ok(h)
    }

    fn db_query(&mut self, handle: u64, st: &SqlStatement) -> Result<DbRows, DbError> {
        self.calls.push(HostCall::Query {
            sql: st.sql.clone(),
            params: st.params.clone(),
        });
        let conn = self
            .conns
            .get(&handle)
            .ok_or_else(|| DbError::Query("bad handle".into()))?;
        let mut stmt = conn
            .prepare(&st.sql)
            .map_err(|e| DbError::Query(e.to_string()))?;
        let columns: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
        let params = to_sql(&st.params);
        let n = columns.len();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params.iter()), |r| {
                (0..n)
                    .map(|i| {
                        r.get::<_, rusqlite::types::Value>(i).map(|v| match v {
                            rusqlite::types::Value::Null => String::new(),
                            rusqlite::types::Value::Integer(i) => i.to_string(),
                            rusqlite::types::Value::Real(f) => f.to_string(),
                            rusqlite::types::Value::Text(t) => t,
                            rusqlite::types::Value::Blob(b) => String::from_utf8_lossy(&b).into(),
                        })
                    })
                    .collect::<Result<Vec<String>, _>>()
            })
            .map_err(|e| DbError::Query(e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| DbError::Query(e.to_string()))?;
        Ok(DbRows { columns, rows })
    }

    fn db_execute(&mut self, handle: u64, st: &SqlStatement) -> Result<DbExecution, DbError> {
        self.calls.push(HostCall::Execute {
            sql: st.sql.clone(),
            params: st.params.clone(),
        });
        let conn = self
            .conns
            .get(&handle)
            .ok_or_else(|| DbError::Query("bad handle".into()))?;
        let params = to_sql(&st.params);
        let n = conn
            .execute(&st.sql, rusqlite::params_from_iter(params.iter()))
            .map_err(|e| DbError::Query(e.to_string()))?;
        Ok(DbExecution {
            returned_rows: false,
            affected_rows: n as u64,
            insert_id: conn.last_insert_rowid() as u64,
        })
    }

    fn db_disconnect(&mut self, handle: u64) -> Result<(), DbError> {
        self.conns.remove(&handle);
        Ok(())
    }

    fn db_connected(&mut self, handle: u64) -> bool {
        self.conns.contains_key(&handle)
    }

    fn file_exists(&mut self, path: &str) -> bool {
        self.calls
            .push(HostCall::Other(format!("file_exists {path}")));
        self.files.contains(path)
    }
}

/// Plays `firmware` for a set of sessions.
pub struct Exchange {
    pub collection: Arc<Collection>,
    pub host: FakeHost,
    pub sessions: BTreeMap<String, Session>,
    /// Every command of every session, in order: (session, command).
    pub log: Vec<(String, Command)>,
    /// Events waiting for delivery (after the current event).
    pub queue: VecDeque<(String, Event)>,
    pub now: Instant,
    pub config: BTreeMap<String, String>,
    pub options: SessionOptions,
    /// Answer a dialed leg automatically (feed `sessionStart` once it exists).
    pub auto_answer: bool,
}

pub const QUIZ_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../rootfs-overlay/usr/share/dsmbox/quizconnect/"
);

/// The quizconnect bundle, loaded from the rootfs overlay.
pub fn quizconnect() -> Arc<Collection> {
    let loader = fs_loader(
        QUIZ_DIR,
        &["quizconnect_caller.dsm", "quizconnect_callee.dsm"],
    );
    let c = Collection::load_with(
        &loader,
        "/quiz",
        &["quizconnect_caller", "quizconnect_callee"],
        &ModuleRegistry::new(),
        LoadOptions::default(),
    )
    .unwrap_or_else(|d| panic!("{}", render(&d)));
    assert!(c.warnings().is_empty(), "{}", render(c.warnings()));
    Arc::new(c)
}

/// Reads files from disk into a memory loader under `/quiz/`.
pub fn fs_loader(dir: &str, files: &[&str]) -> dsm::MemoryLoader {
    let mut l = dsm::MemoryLoader::new();
    for f in files {
        let text = std::fs::read_to_string(format!("{dir}{f}")).expect("script file");
        l.insert(&format!("/quiz/{f}"), &text);
    }
    l
}

pub fn render(d: &[dsm::Diagnostic]) -> String {
    d.iter().map(|d| format!("{d}\n")).collect()
}

impl Exchange {
    pub fn new(collection: Arc<Collection>, host: FakeHost) -> Self {
        let mut config = BTreeMap::new();
        config.insert(
            "config.prompt_path".to_string(),
            "/usr/share/dsmbox/quizconnect/prompts".to_string(),
        );
        config.insert("config.db_url".to_string(), "sqlite::memory:".to_string());
        config.insert(
            "config.outbound_domain".to_string(),
            "192.168.5.106:5080".to_string(),
        );
        Self {
            collection,
            host,
            sessions: BTreeMap::new(),
            log: Vec::new(),
            queue: VecDeque::new(),
            now: Instant::now(),
            config,
            options: SessionOptions {
                full_stategraph: true,
                full_transitions: true,
            },
            auto_answer: false,
        }
    }

    /// Creates and starts a session running `diagram` under `tag` with extra variables.
    pub fn spawn(&mut self, tag: &str, diagram: &str, user: &str, vars: &[(String, String)]) {
        let mut v = self.config.clone();
        for (k, val) in vars {
            v.insert(k.clone(), val.clone());
        }
        let mut cfg = SessionConfig {
            local_tag: tag.to_string(),
            vars: v,
            options: self.options,
            ..SessionConfig::default()
        };
        cfg.dialog.user = user.to_string();
        let mut s = Session::new(self.collection.clone(), diagram, cfg).expect("session");
        self.host.targets.insert(tag.to_string());
        s.start(self.now, &mut self.host).expect("start");
        self.sessions.insert(tag.to_string(), s);
        self.drain(tag);
    }

    /// Delivers `event` to `tag` now, then everything it caused.
    pub fn send(&mut self, tag: &str, event: Event) {
        self.deliver(tag, event);
        self.run();
    }

    /// Advances the virtual clock, firing due timers.
    pub fn advance(&mut self, d: Duration) {
        self.now += d;
        let tags: Vec<String> = self.sessions.keys().cloned().collect();
        for t in tags {
            if let Some(s) = self.sessions.get_mut(&t) {
                s.handle_timeout(self.now, &mut self.host);
            }
            self.drain(&t);
        }
        self.run();
    }

    fn deliver(&mut self, tag: &str, event: Event) {
        let Some(s) = self.sessions.get_mut(tag) else {
            return;
        };
        s.handle_event(self.now, event, &mut self.host);
        self.drain(tag);
    }

    /// Delivers queued events until none are left.
    pub fn run(&mut self) {
        let mut guard = 0;
        while let Some((tag, ev)) = self.queue.pop_front() {
            guard += 1;
            assert!(guard < 10_000, "event storm");
            self.deliver(&tag, ev);
        }
    }

    fn drain(&mut self, tag: &str) {
        let mut cmds = Vec::new();
        if let Some(s) = self.sessions.get_mut(tag) {
            while let Some(c) = s.poll_command() {
                cmds.push(c);
            }
        }
        for c in cmds {
            match &c {
                Command::AcceptInvite { code, .. } => {
                    let ev = if *code < 200 {
                        Event::early_session()
                    } else {
                        Event::session_start()
                    };
                    self.queue.push_back((tag.to_string(), ev));
                }
                Command::PostEvent { target, params } => {
                    self.queue
                        .push_back((target.clone(), Event::dsm_event(params.clone())));
                }
                Command::Dialout(d) => {
                    let vars: Vec<(String, String)> =
                        d.vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                    let (ltag, app, caller) = (d.ltag.clone(), d.app.clone(), d.caller.clone());
                    self.log.push((tag.to_string(), c));
                    self.spawn(&ltag, &app, &caller, &vars);
                    if self.auto_answer {
                        self.queue.push_back((ltag, Event::session_start()));
                    }
                    continue;
                }
                _ => {}
            }
            self.log.push((tag.to_string(), c));
        }
    }

    /// The commands one session issued, in order.
    pub fn commands(&self, tag: &str) -> Vec<Command> {
        self.log
            .iter()
            .filter(|(t, _)| t == tag)
            .map(|(_, c)| c.clone())
            .collect()
    }

    /// The commands one session issued, without log lines.
    pub fn actions(&self, tag: &str) -> Vec<Command> {
        self.commands(tag)
            .into_iter()
            .filter(|c| !matches!(c, Command::Log { .. }))
            .collect()
    }

    pub fn session(&self, tag: &str) -> &Session {
        self.sessions.get(tag).expect("session exists")
    }

    pub fn graph(&self, tag: &str) -> Vec<String> {
        self.session(tag).dsm_stategraph().to_vec()
    }
}

/// `#params` from pairs.
pub fn params(kv: &[(&str, &str)]) -> Params {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A one-script collection from text (errors panic with the diagnostics).
pub fn load(text: &str) -> Arc<Collection> {
    load_many(&[("main", text)])
}

/// Several scripts from text, named as given.
pub fn load_many(scripts: &[(&str, &str)]) -> Arc<Collection> {
    let mut l = dsm::MemoryLoader::new();
    for (name, text) in scripts {
        l.insert(&format!("/t/{name}.dsm"), text);
    }
    let names: Vec<&str> = scripts.iter().map(|(n, _)| *n).collect();
    Arc::new(
        Collection::load(&l, "/t", &names, &ModuleRegistry::new())
            .unwrap_or_else(|d| panic!("{}", render(&d))),
    )
}

/// The diagnostics of loading `text` (empty when it loads).
pub fn diagnostics(text: &str) -> Vec<String> {
    diagnostics_with(text, LoadOptions::default())
}

pub fn diagnostics_with(text: &str, options: LoadOptions) -> Vec<String> {
    let l = dsm::MemoryLoader::new().with_file("/t/main.dsm", text);
    match Collection::load_with(&l, "/t", &["main"], &ModuleRegistry::new(), options) {
        Ok(c) => c.warnings().iter().map(|d| d.to_string()).collect(),
        Err(d) => d.iter().map(|d| d.to_string()).collect(),
    }
}

/// A single running session for engine tests.
pub struct Run {
    pub session: Session,
    pub host: FakeHost,
    pub now: Instant,
}

impl Run {
    pub fn new(text: &str) -> Self {
        Self::with(load(text), "main", SessionConfig::default())
    }

    pub fn with(c: Arc<Collection>, diagram: &str, mut cfg: SessionConfig) -> Self {
        if cfg.local_tag.is_empty() {
            cfg.local_tag = "tag".into();
        }
        let mut host = FakeHost::new(Db::Rows(vec![]));
        host.targets.insert(cfg.local_tag.clone());
        let now = Instant::now();
        let mut session = Session::new(c, diagram, cfg).expect("session");
        session.start(now, &mut host).expect("start");
        Self { session, host, now }
    }

    pub fn event(&mut self, e: Event) -> dsm::EventOutcome {
        self.session.handle_event(self.now, e, &mut self.host)
    }

    pub fn ev(&mut self, kind: EventKind, p: &[(&str, &str)]) -> dsm::EventOutcome {
        self.event(Event::with_params(kind, params(p)))
    }

    pub fn drain(&mut self) -> Vec<Command> {
        let mut v = Vec::new();
        while let Some(c) = self.session.poll_command() {
            v.push(c);
        }
        v
    }

    /// Texts of the log lines drained.
    pub fn logs(&mut self) -> Vec<String> {
        self.drain()
            .into_iter()
            .filter_map(|c| match c {
                Command::Log { text, .. } => Some(text),
                _ => None,
            })
            .collect()
    }

    pub fn var(&self, n: &str) -> String {
        self.session.var(n).unwrap_or("<unset>").to_string()
    }

    pub fn state(&self) -> String {
        self.session.dsm_state().to_string()
    }
}
