//! Everything the appliance reads from its configuration directories, loaded and validated
//! together: the main file, the DSM applications with all their scripts, the management port,
//! monitoring, and the installer's `callees.csv`.
//!
//! `dsmbox check` runs exactly this and prints every problem; `dsmbox run` runs it at start-up
//! and refuses to start on an error, naming file, line and column.

use std::path::PathBuf;

use dsm::ModuleRegistry;

use crate::apps::Apps;
use crate::config::{ConfFile, ConfigDirs, MainConfig};
use crate::db;
use crate::management::{MonitoringConfig, XmlRpcConfig};

/// The loaded configuration.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Where the files came from.
    pub dirs: Option<ConfigDirs>,
    /// `dsmbox.conf` / `sems.conf`.
    pub main: MainConfig,
    /// DSM applications.
    pub apps: Apps,
    /// The management port.
    pub xmlrpc: XmlRpcConfig,
    /// The monitoring store.
    pub monitoring: MonitoringConfig,
    /// The installer's callee table to import at start-up, if there is one.
    pub callees_csv: Option<PathBuf>,
}

fn flatten(e: crate::Error) -> Vec<String> {
    match e {
        crate::Error::Config(v) => v,
        other => vec![other.to_string()],
    }
}

impl Setup {
    /// The built-in configuration: everything on 127.0.0.1, no applications.
    pub fn embedded() -> Setup {
        Setup {
            dirs: None,
            main: MainConfig::embedded_default(),
            apps: Apps::empty(),
            xmlrpc: XmlRpcConfig::default(),
            monitoring: MonitoringConfig::default(),
            callees_csv: None,
        }
    }

    /// Loads everything from `dirs`; every problem found is returned.
    pub fn load(dirs: &ConfigDirs, registry: &ModuleRegistry) -> Result<Setup, Vec<String>> {
        let mut errors = Vec::new();
        let main = match dirs.main_file().and_then(|p| ConfFile::load(&p)) {
            Ok(conf) => match MainConfig::from_conf(&conf, |n| log::info!("{n}")) {
                Ok(m) => Some(m),
                Err(errs) => {
                    errors.extend(errs.iter().map(ToString::to_string));
                    None
                }
            },
            Err(e) => {
                errors.extend(flatten(e));
                None
            }
        };
        let apps = match Apps::load(dirs, registry) {
            Ok(a) => Some(a),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        let mgmt = match crate::management::load_configs_from(dirs) {
            Ok(m) => Some(m),
            Err(e) => {
                errors.extend(flatten(e));
                None
            }
        };
        let callees_csv = dirs.find("callees.csv");
        if let Some(path) = &callees_csv {
            match std::fs::read_to_string(path) {
                Ok(text) => {
                    if let Err(e) = db::parse_callees_csv(&path.display().to_string(), &text) {
                        errors.extend(e.to_string().lines().map(str::to_string));
                    }
                }
                Err(e) => errors.push(format!("{}: {e}", path.display())),
            }
        }
        if let Some(apps) = &apps
            && let Some(main) = &main
            && !main.application.is_empty()
            && !main.application.starts_with("$(")
            && apps.resolve(&main.application).is_none()
        {
            errors.push(format!(
                "application={} is not a registered DSM application (registered: {})",
                main.application,
                apps.app_names().join(", ")
            ));
        }
        match (main, apps, mgmt) {
            (Some(main), Some(apps), Some((xmlrpc, monitoring))) if errors.is_empty() => {
                Ok(Setup {
                    dirs: Some(dirs.clone()),
                    main,
                    apps,
                    xmlrpc,
                    monitoring,
                    callees_csv,
                })
            }
            _ => Err(errors),
        }
    }
}
