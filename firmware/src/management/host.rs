//! The boundary between the management port and the rest of the firmware.
//!
//! Everything the XML-RPC methods need that is not in this module (call counts, DSM script
//! operations, shutdown mode) comes through [`ManagementHost`]. The firmware implements it on
//! its call/DSM state; tests use [`crate::management::testing::FakeHost`]. Methods are called
//! on the runtime thread, one request at a time, and must not block.
//!
//! Hot-reload contract (the firmware implements it; the port only carries the results): a
//! script or config that does not load changes nothing, running calls keep the scripts they
//! started with, and the error names the place: `file:line:col: message`.

/// A SEMS DI status: `[code, text]` on the wire, e.g. `[200, 'loaded x from /p/x.dsm']`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// 200 success, 400 refused (e.g. already loaded), 500 failed.
    pub code: i32,
    /// The text SEMS would give (see `docs/management.md` for each method).
    pub text: String,
}

impl Status {
    /// Code 200 with this text.
    pub fn ok(text: impl Into<String>) -> Status {
        Status::new(200, text)
    }

    /// Any code with this text.
    pub fn new(code: i32, text: impl Into<String>) -> Status {
        Status {
            code,
            text: text.into(),
        }
    }
}

/// Session statistics, as SEMS's `AmSession`/`AmSessionContainer` keep them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallStats {
    /// Sessions running now (`calls`).
    pub active: u32,
    /// Sessions created since start (`get_sessioncount`).
    pub total: u32,
    /// Average concurrent sessions (`get_callsavg`).
    pub calls_avg: u32,
    /// Most concurrent sessions (`get_callsmax`).
    pub calls_max: u32,
    /// Average calls per second (`get_cpsavg`).
    pub cps_avg: u32,
    /// Most calls per second (`get_cpsmax`).
    pub cps_max: u32,
}

/// What the firmware provides to the management port.
pub trait ManagementHost {
    /// Current statistics. `&mut` so an implementation may reset "since last query" maxima,
    /// as SEMS does.
    fn call_stats(&mut self) -> CallStats;

    /// `get_cpslimit`: the configured limit and the one in force now (SEMS sends them as the
    /// string `"<limit> <current>"`).
    fn cps_limit(&self) -> (u32, u32);

    /// `set_cpslimit`.
    fn set_cps_limit(&mut self, limit: u32);

    /// `get_shutdownmode`: whether new calls are refused while running ones finish.
    fn shutdown_mode(&self) -> bool;

    /// `set_shutdownmode`.
    fn set_shutdown_mode(&mut self, on: bool);

    /// `get_loglevel` in SEMS numbering (0 error .. 3 debug, 4 trace).
    fn log_level(&self) -> u8 {
        crate::logging::level()
    }

    /// `set_loglevel`; the value is already clamped to 0..=4.
    fn set_log_level(&mut self, level: u8) {
        crate::logging::set_level(level);
    }

    /// `postDSMEvent`: queues a DSM `event` with these parameters for the session whose local
    /// tag is `ltag`. `false` if there is no such session.
    fn post_dsm_event(&mut self, ltag: &str, params: &[(String, String)]) -> bool;

    /// `reloadDSMs`: re-reads the main `load_diags` into a new collection for new calls.
    /// `Err("file:line:col: message")` when a script does not load (nothing changes then).
    fn reload_dsms(&mut self) -> Result<(), String>;

    /// `loadDSM`: loads `diag_path/<name>.dsm` into the main collection.
    /// 200 `loaded <name> from <file>`, 400 `DSM named '<name>' already loaded (use reloadDSMs
    /// to reload all)`, 500 `<file:line:col: message>`.
    fn load_dsm(&mut self, name: &str) -> Status;

    /// `loadDSMWithPath`: as `load_dsm`, from `<diag_path><name>.dsm` (no `/` added, as SEMS).
    fn load_dsm_with_path(&mut self, name: &str, diag_path: &str, mod_path: &str) -> Status;

    /// `preloadModules`: preloads the main config's `preload_mods`.
    fn preload_modules(&mut self) -> Result<(), String>;

    /// `preloadModule`: preloads one module from a path.
    fn preload_module(&mut self, name: &str, path: &str) -> Result<(), String>;

    /// `hasDSM`: whether the diagram is loaded in the main collection, or in the collection
    /// of bundle/application `config` when given.
    fn has_dsm(&self, name: &str, config: Option<&str>) -> bool;

    /// `listDSMs`: diagram names of the main collection, or of application `app`.
    fn list_dsms(&self, app: Option<&str>) -> Vec<String>;

    /// `registerApplication`: 200 `registered DSM application`, 400 `unknown application
    /// (DSM)`, 500 `Error registering DSM application (already registered?)`.
    fn register_application(&mut self, name: &str, config: Option<&str>) -> Status;

    /// `loadConfig`: (re)loads the bundle `conf_path` under `conf_name` (SEMS strips the
    /// last five characters, `.conf`, for the script name). New calls use the new scripts.
    /// `Err("file:line:col: message")` when anything in the bundle does not load.
    fn load_config(&mut self, conf_path: &str, conf_name: &str) -> Result<(), String>;

    /// `createSystemDSM`: starts a system DSM from bundle `conf_name` (`main` = dsm.conf).
    /// `Err("Error: Script config 'x' not found, in [a, b]")` as SEMS words it.
    fn create_system_dsm(&mut self, conf_name: &str, start_diag: &str) -> Result<(), String>;
}
