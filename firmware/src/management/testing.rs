//! A recording fake [`ManagementHost`] for tests of the management port (ours and the
//! lead's e2e tests). It models just enough: sessions by local tag, a main diagram
//! collection, bundles on "disk" that `loadConfig` can load, and files that fail to load.

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
        self.bundles.insert(script, diags);
        Ok(())
    }

    fn create_system_dsm(&mut self, conf_name: &str, start_diag: &str) -> Result<(), String> {
        self.journal
            .push(format!("create_system_dsm {conf_name} {start_diag}"));
        if conf_name == "main" || self.bundles.contains_key(conf_name) {
            self.system_dsms
                .push((conf_name.to_string(), start_diag.to_string()));
            Ok(())
        } else {
            let names: Vec<&str> = self.bundles.keys().map(String::as_str).collect();
            Err(format!(
                "Error: Script config '{conf_name}' not found, in [{}]",
                names.join(", ")
            ))
        }
    }
}
