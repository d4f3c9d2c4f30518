//! The switchboard as the management port sees it ([`ManagementHost`]): statistics, DSM
//! events from outside, and hot reload.
//!
//! Reloads build a new [`crate::apps::Apps`] and swap it in only when everything loaded:
//! running calls hold an `Arc` of the bundle they started with and finish on it; new calls
//! get the new scripts; the old set is freed when its last call ends.

use std::time::{Duration, Instant};

use dsm::Event;

use crate::apps::Apps;
use crate::management::{CallStats, ManagementHost, Status};

use super::Switchboard;

impl Switchboard {
    /// `reloadDSMs` and SIGHUP: `dsm.conf` and every bundle, all or nothing.
    pub fn reload(&mut self) -> Result<(), String> {
        let Some(dirs) = &self.dirs else {
            return Err("running on built-in defaults: there is nothing to reload".into());
        };
        match Apps::load(dirs, &self.registry) {
            Ok(apps) => {
                self.services.apps = apps;
                // Prompt files may have changed with the scripts.
                self.services.prompts.clear();
                log::info!(
                    "DSM applications reloaded: {}",
                    self.services.apps.app_names().join(", ")
                );
                Ok(())
            }
            Err(errors) => {
                for e in &errors {
                    log::error!("reload refused: {e}");
                }
                Err(errors.join("\n"))
            }
        }
    }

    /// Runs the work an external event caused (the management port is outside the pump).
    pub fn after_management(&mut self, now: Instant) {
        self.settle(now);
    }
}

impl ManagementHost for Switchboard {
    fn call_stats(&mut self) -> CallStats {
        let active = u32::try_from(self.legs.values().filter(|l| l.call.is_some()).count())
            .unwrap_or(u32::MAX);
        let minute = self.counters.recent_starts.len();
        CallStats {
            active,
            total: u32::try_from(self.counters.total).unwrap_or(u32::MAX),
            calls_avg: active,
            calls_max: u32::try_from(self.counters.max_active).unwrap_or(u32::MAX),
            cps_avg: u32::try_from(minute / 60).unwrap_or(0),
            cps_max: self.counters.cps_max,
        }
    }

    fn cps_limit(&self) -> (u32, u32) {
        (self.cps_limit, self.cps_limit)
    }

    fn set_cps_limit(&mut self, limit: u32) {
        self.cps_limit = limit;
    }

    fn shutdown_mode(&self) -> bool {
        self.shutdown
    }

    fn set_shutdown_mode(&mut self, on: bool) {
        // SEMS's shutdown mode refuses new calls and lets running ones finish.
        self.shutdown = on;
    }

    fn post_dsm_event(&mut self, ltag: &str, params: &[(String, String)]) -> bool {
        let Some(id) = self
            .tags
            .get(ltag)
            .or_else(|| self.queues.get(ltag))
            .copied()
        else {
            return false;
        };
        let p = params.iter().cloned().collect();
        self.events.push_back((id, Event::dsm_event(p)));
        true
    }

    fn reload_dsms(&mut self) -> Result<(), String> {
        self.reload()
    }

    fn load_dsm(&mut self, name: &str) -> Status {
        let Some(main) = self
            .services
            .apps
            .bundles()
            .iter()
            .find(|b| b.name == "main")
            .cloned()
        else {
            return Status::new(500, "no dsm.conf loaded");
        };
        if main.collection.has_diagram(name) {
            return Status::new(
                400,
                format!("DSM named '{name}' already loaded (use reloadDSMs to reload all)"),
            );
        }
        Status::new(
            500,
            format!("error loading {name}: use loadConfig with a bundle, or reloadDSMs"),
        )
    }

    fn load_dsm_with_path(&mut self, name: &str, _diag_path: &str, _mod_path: &str) -> Status {
        self.load_dsm(name)
    }

    fn preload_modules(&mut self) -> Result<(), String> {
        // Modules are built in: nothing to load.
        Ok(())
    }

    fn preload_module(&mut self, name: &str, _path: &str) -> Result<(), String> {
        if self.registry.module(name).is_some()
            || self.registry.module(&format!("mod_{name}")).is_some()
        {
            Ok(())
        } else {
            Err(format!("module '{name}' is not built into dsmbox"))
        }
    }

    fn has_dsm(&self, name: &str, config: Option<&str>) -> bool {
        match config {
            Some(app) => self
                .services
                .apps
                .resolve(app)
                .is_some_and(|b| b.collection.has_diagram(name)),
            None => self
                .services
                .apps
                .bundles()
                .iter()
                .any(|b| b.collection.has_diagram(name)),
        }
    }

    fn list_dsms(&self, app: Option<&str>) -> Vec<String> {
        match app {
            Some(app) => self
                .services
                .apps
                .resolve(app)
                .map(|b| {
                    b.collection
                        .diagram_names()
                        .into_iter()
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            None => self
                .services
                .apps
                .bundles()
                .iter()
                .flat_map(|b| {
                    b.collection
                        .diagram_names()
                        .into_iter()
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                })
                .collect(),
        }
    }

    fn register_application(&mut self, name: &str, config: Option<&str>) -> Status {
        match self.services.apps.register_application(name, config) {
            Ok(apps) => {
                self.services.apps = apps;
                Status::ok("registered DSM application")
            }
            Err(e) if e.starts_with("unknown") => Status::new(400, e),
            Err(e) => Status::new(500, e),
        }
    }

    fn load_config(&mut self, conf_path: &str, conf_name: &str) -> Result<(), String> {
        let Some(dirs) = &self.dirs else {
            return Err("running on built-in defaults: no configuration directory".into());
        };
        let next = self
            .services
            .apps
            .load_config(conf_path, conf_name, dirs, &self.registry)?;
        self.services.apps = next;
        self.services.prompts.clear();
        log::info!(
            "loaded {conf_path} as '{}'",
            crate::apps::bundle_name_of(conf_name)
        );
        Ok(())
    }

    fn create_system_dsm(&mut self, conf_name: &str, start_diag: &str) -> Result<(), String> {
        super::host::check_system_dsm(&self.services.apps, conf_name, start_diag)?;
        self.services
            .pending_system
            .push((conf_name.to_string(), start_diag.to_string()));
        let _ = Duration::ZERO;
        Ok(())
    }
}
