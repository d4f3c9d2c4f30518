//! A recording fake [`ManagementHost`] for tests of the management port (ours and the
//! lead's e2e tests). It models just enough: sessions by local tag, a main diagram
//! collection, bundles on "disk" that `loadConfig` can load, and files that fail to load.
//! [`TestServer`] runs a real server with it on its own thread and runtime.

use std::collections::{BTreeMap, BTreeSet};

use super::host::{CallStats, ManagementHost, Status};

/// The fake host. Every field is public so a test can set up and inspect it.
#[derive(Debug, Clone, Default)]
pub struct FakeHost {
    /// What the statistics methods return.
    pub stats: CallStats,
    /// `(limit, current)` for `get_cpslimit`.
    pub cps: (u32, u32),
    /// Shutdown mode.
    pub shutdown: bool,
    /// The log level (kept here, not in the process-wide logger).
    pub log_level: u8,
    /// Local tags of running sessions.
    pub sessions: BTreeSet<String>,
    /// Events posted with `postDSMEvent`, in order.
    pub events: Vec<(String, Vec<(String, String)>)>,
    /// Diagrams of the main collection.
    pub main_dsms: BTreeSet<String>,
    /// Diagrams `reloadDSMs` loads (the main `load_diags`).
    pub load_diags: Vec<String>,
    /// Diagrams per bundle (application) name.
    pub bundles: BTreeMap<String, BTreeSet<String>>,
    /// Bundle files `loadConfig` can read: path -> diagrams it loads.
    pub bundle_files: BTreeMap<String, Vec<String>>,
    /// Files or diagram names that fail to load, with their `file:line:col: message`.
    pub broken: BTreeMap<String, String>,
    /// Script (bundle) names that `createSystemDSM` knows, as SEMS derives them from
    /// `loadConfig`'s name argument.
    pub scripts: BTreeSet<String>,
    /// Registered application names.
    pub registered: BTreeSet<String>,
    /// System DSMs started: (bundle, diagram).
    pub system_dsms: Vec<(String, String)>,
    /// Every operation, in order, for assertions.
    pub journal: Vec<String>,
}

impl FakeHost {
    fn diag_file(name: &str) -> String {
        format!("/etc/dsmbox/dsm/{name}.dsm")
    }
}

impl ManagementHost for FakeHost {
    fn call_stats(&mut self) -> CallStats {
        self.stats
    }

    fn cps_limit(&self) -> (u32, u32) {
        self.cps
    }

    fn set_cps_limit(&mut self, limit: u32) {
        self.journal.push(format!("set_cps_limit {limit}"));
        self.cps.0 = limit;
    }

    fn shutdown_mode(&self) -> bool {
        self.shutdown
    }

    fn set_shutdown_mode(&mut self, on: bool) {
        self.journal.push(format!("set_shutdown_mode {on}"));
        self.shutdown = on;
    }

    fn log_level(&self) -> u8 {
        self.log_level
    }

    fn set_log_level(&mut self, level: u8) {
        self.journal.push(format!("set_log_level {level}"));
        self.log_level = level;
    }

    fn post_dsm_event(&mut self, ltag: &str, params: &[(String, String)]) -> bool {
        self.journal.push(format!("post_dsm_event {ltag}"));
        if self.sessions.contains(ltag) {
            self.events.push((ltag.to_string(), params.to_vec()));
            true
        } else {
            false
        }
    }

    fn reload_dsms(&mut self) -> Result<(), String> {
        self.journal.push("reload_dsms".to_string());
        for d in &self.load_diags {
            if let Some(e) = self.broken.get(d) {
                return Err(e.clone());
            }
        }
        self.main_dsms = self.load_diags.iter().cloned().collect();
        Ok(())
    }

    fn load_dsm(&mut self, name: &str) -> Status {
        self.journal.push(format!("load_dsm {name}"));
        let file = Self::diag_file(name);
        if self.main_dsms.contains(name) {
            Status::new(
                400,
                format!("DSM named '{name}' already loaded (use reloadDSMs to reload all)"),
            )
        } else if let Some(e) = self.broken.get(name) {
            Status::new(500, e.clone())
        } else {
            self.main_dsms.insert(name.to_string());
            Status::ok(format!("loaded {name} from {file}"))
        }
    }

    fn load_dsm_with_path(&mut self, name: &str, diag_path: &str, mod_path: &str) -> Status {
        self.journal
            .push(format!("load_dsm_with_path {name} {diag_path} {mod_path}"));
        let file = format!("{diag_path}{name}.dsm");
        if self.main_dsms.contains(name) {
            Status::new(
                400,
                format!("DSM named '{name}' already loaded (use reloadDSMs to reload all)"),
            )
        } else if let Some(e) = self.broken.get(&file) {
            Status::new(500, e.clone())
        } else {
            self.main_dsms.insert(name.to_string());
            Status::ok(format!("loaded {name} from {file}"))
        }
    }

    fn preload_modules(&mut self) -> Result<(), String> {
        self.journal.push("preload_modules".to_string());
        Ok(())
    }

    fn preload_module(&mut self, name: &str, path: &str) -> Result<(), String> {
        self.journal.push(format!("preload_module {name} {path}"));
        if name == "mod_mysql" || name == "mod_dlg" {
            Ok(())
        } else {
            Err(format!("importing module '{name}' for preload"))
        }
    }

    fn has_dsm(&self, name: &str, config: Option<&str>) -> bool {
        match config {
            None => self.main_dsms.contains(name),
            Some(c) => self.bundles.get(c).is_some_and(|b| b.contains(name)),
        }
    }

    fn list_dsms(&self, app: Option<&str>) -> Vec<String> {
        match app {
            None => self.main_dsms.iter().cloned().collect(),
            Some(a) => self
                .bundles
                .get(a)
                .map(|b| b.iter().cloned().collect())
                .unwrap_or_default(),
        }
    }

    fn register_application(&mut self, name: &str, config: Option<&str>) -> Status {
        self.journal.push(format!("register_application {name}"));
        if !self.has_dsm(name, config) {
            Status::new(400, "unknown application (DSM)")
        } else if !self.registered.insert(name.to_string()) {
            Status::new(
                500,
                "Error registering DSM application (already registered?)",
            )
        } else {
            Status::ok("registered DSM application")
        }
    }

    fn load_config(&mut self, conf_path: &str, conf_name: &str) -> Result<(), String> {
        self.journal
            .push(format!("load_config {conf_path} {conf_name}"));
        if let Some(e) = self.broken.get(conf_path) {
            return Err(e.clone());
        }
        let Some(diags) = self.bundle_files.get(conf_path) else {
            return Err(format!("{conf_path}: No such file or directory"));
        };
        // SEMS cuts the last five characters (".conf") off the name.
        let cut = conf_name.len().saturating_sub(5);
        let script = conf_name.get(..cut).unwrap_or(conf_name).to_string();
        let diags: BTreeSet<String> = diags.iter().cloned().collect();
        for d in &diags {
            self.registered.insert(d.clone());
            self.bundles.insert(d.clone(), diags.clone());
        }
        self.scripts.insert(script);
        Ok(())
    }

    fn create_system_dsm(&mut self, conf_name: &str, start_diag: &str) -> Result<(), String> {
        self.journal
            .push(format!("create_system_dsm {conf_name} {start_diag}"));
        if conf_name == "main" || self.scripts.contains(conf_name) {
            self.system_dsms
                .push((conf_name.to_string(), start_diag.to_string()));
            Ok(())
        } else {
            let names: Vec<&str> = self.scripts.iter().map(String::as_str).collect();
            Err(format!(
                "Error: Script config '{conf_name}' not found, in [{}]",
                names.join(", ")
            ))
        }
    }
}

/// Call IDs of [`seed_quizconnect`]'s records: the caller leg and two callee legs of the
/// tutorial, and one call that has ended.
pub mod quizconnect_ids {
    /// The caller leg (`quizconnect_caller`, WAIT_CALLEE).
    pub const CALLER: &str = "6ABC60BB-4C72F4BF0005C7FD-B6A45B70";
    /// The first callee leg (ENTER_PIN).
    pub const CALLEE1: &str = "19D97994-4C72F4BF0006A862-B65D5B70";
    /// The second callee leg (ENTER_PIN).
    pub const CALLEE2: &str = "3EC2A856-4C72F4BF00062B82-B65D5B70";
    /// A finished call.
    pub const GONE: &str = "0FA6BCB2-4C72F33D0004E577-B6843B70";
}

/// Fills the store with the quizconnect tutorial's three live calls (attributes as the
/// firmware writes them, state graphs as spec §8.3 expects from the current engine) and one
/// finished call.
pub fn seed_quizconnect(monitor: &super::Monitor, now: std::time::SystemTime) {
    use quizconnect_ids::*;
    let callee_graph = [
        "quizconnect_callee/START",
        "> session starts in callee leg >",
        "quizconnect_callee/ENTER_PIN",
    ];
    for (id, user) in [(CALLEE1, "john"), (CALLEE2, "anna")] {
        monitor.set(id, "dir", "out");
        monitor.set(id, "from", "<sip:quizconnect@192.168.5.106:5080>");
        monitor.set(id, "to", format!("<sip:{user}@192.168.5.106:5080>"));
        monitor.set(id, "ruri", format!("sip:{user}@192.168.5.106:5080"));
        monitor.set(id, "app", "quizconnect_callee");
        monitor.set(id, "dsm_diag", "quizconnect_callee");
        for s in callee_graph {
            monitor.add(id, "dsm_stategraph", s);
        }
        monitor.set(id, "dsm_state", "ENTER_PIN");
    }
    monitor.set(CALLER, "dir", "in");
    monitor.set(CALLER, "from", "'bee' <sip:5@192.168.5.106>");
    monitor.set(CALLER, "to", "<sip:35@192.168.5.106>");
    monitor.set(CALLER, "ruri", "sip:35@192.168.5.106");
    monitor.set(CALLER, "app", "quizconnect_caller");
    monitor.set(CALLER, "dsm_diag", "quizconnect_caller");
    for s in [
        "quizconnect_caller/START",
        "> got INVITE in caller leg >",
        "quizconnect_caller/RUN_INVITE",
        "> we have results >",
        "quizconnect_caller/CREATE_CALLEE_LEGS",
        "> create one more callee legs >",
        "quizconnect_caller/CREATE_CALLEE_LEGS",
        "> create one more callee legs >",
        "quizconnect_caller/CREATE_CALLEE_LEGS",
        "> done creating callee legs >",
        "quizconnect_caller/WAIT_CALLEE",
    ] {
        monitor.add(CALLER, "dsm_stategraph", s);
    }
    monitor.set(CALLER, "dsm_state", "WAIT_CALLEE");
    monitor.set(GONE, "dir", "in");
    monitor.set(GONE, "dsm_state", "END");
    monitor.mark_finished(GONE, now);
}

/// A fake host set up like the quizconnect tutorial's server: three calls, the main scripts
/// `inbound_call`/`outbound_call`, the quizconnect bundle on disk, and a bundle that fails to
/// load with a located error.
pub fn quizconnect_host() -> FakeHost {
    let mut h = FakeHost {
        stats: CallStats {
            active: 3,
            total: 17,
            calls_avg: 2,
            calls_max: 5,
            cps_avg: 1,
            cps_max: 4,
        },
        cps: (10, 7),
        log_level: 2,
        ..FakeHost::default()
    };
    h.sessions.insert(quizconnect_ids::CALLER.to_string());
    h.sessions.insert(quizconnect_ids::CALLEE1.to_string());
    h.sessions.insert(quizconnect_ids::CALLEE2.to_string());
    h.main_dsms.insert("inbound_call".to_string());
    h.load_diags = vec!["inbound_call".to_string(), "outbound_call".to_string()];
    h.bundle_files.insert(
        "/usr/local/etc/sems/dsm/quizconnect.conf".to_string(),
        vec![
            "quizconnect_caller".to_string(),
            "quizconnect_callee".to_string(),
        ],
    );
    h.broken.insert(
        "/etc/dsmbox/dsm/broken.conf".to_string(),
        "/etc/dsmbox/dsm/broken.dsm:12:5: unknown action 'myslq.connect'".to_string(),
    );
    h
}

/// A server on its own thread and current-thread runtime, answering with a [`FakeHost`]:
/// for tests that drive it from outside (Python, `dsmbox ctl`, raw sockets).
pub struct TestServer {
    /// The bound address.
    pub addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<(FakeHost, super::MonitoringStore)>>,
}

impl TestServer {
    /// Starts a server with `cfg` (use port 0), `host`, and a store filled by `setup`. The
    /// store's garbage collector is off, so finished records stay put while a test runs.
    pub fn start(
        cfg: super::XmlRpcConfig,
        mut host: FakeHost,
        setup: impl FnOnce(&super::Monitor) + Send + 'static,
    ) -> std::io::Result<TestServer> {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("test runtime");
            rt.block_on(async move {
                let monitor = super::Monitor::new(super::MonitoringConfig {
                    run_garbage_collector: false,
                    ..super::MonitoringConfig::default()
                });
                setup(&monitor);
                let api = super::Api::new(cfg.export_di, &cfg.direct_export);
                match super::XmlRpcServer::bind(&cfg).await {
                    Ok((server, calls)) => {
                        let _ = addr_tx.send(server.local_addr());
                        tokio::select! {
                            () = super::serve(server, calls, &api, &mut host, &monitor) => {}
                            _ = stop_rx => {}
                        }
                    }
                    Err(e) => {
                        let _ = addr_tx.send(Err(std::io::Error::other(e.to_string())));
                    }
                }
                let store = monitor.with(|s| s.clone());
                (host, store)
            })
        });
        let addr = addr_rx
            .recv()
            .map_err(|_| std::io::Error::other("server thread died"))??;
        Ok(TestServer {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// Stops the server and returns the host and store as they ended.
    pub fn stop(mut self) -> (FakeHost, super::MonitoringStore) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_else(|| {
                (
                    FakeHost::default(),
                    super::MonitoringStore::new(super::MonitoringConfig::default()),
                )
            })
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
