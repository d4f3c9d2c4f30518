//! DSM applications: `dsm.conf`, the application bundles of its `conf_dir`, the loaded and
//! checked scripts, and which application serves a call.
//!
//! This follows SEMS's DSM plug-in (spec §7): `dsm.conf` may load scripts itself
//! (`diag_path`, `load_diags`, `register_apps`), and every `*.conf` file of `conf_dir` is a
//! bundle with its own scripts, its own `$config.*` variables and its own registered
//! application names. Everything is loaded and checked before anything is used: one error
//! anywhere fails the whole load (at start-up) or leaves the running set untouched (reload).
//!
//! Loaded sets are immutable and shared with `Arc`: a reload builds a new [`Apps`] value and
//! running calls keep the bundle they started with until they end (SEMS leaks old sets; here
//! the last call's `Arc` frees them).
//!
//! Differences from SEMS, on purpose:
//! - Relative paths (`diag_path`, `conf_dir`) are looked up in the configuration directories
//!   (the SD card's, then the defaults), so a configuration directory is self-contained.
//! - `reloadDSMs` and SIGHUP reload `dsm.conf`'s scripts *and* every bundle, all or nothing;
//!   SEMS reloads only `load_diags` of `dsm.conf`.
//! - Load errors carry `file:line:col`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use dsm::{Collection, LoadOptions, ModuleRegistry, PathKind, SourceLoader};

use crate::config::{ConfFile, ConfigDirs};

/// Reads scripts from the file system for the DSM loader.
#[derive(Debug, Clone, Copy, Default)]
pub struct FsLoader;

impl SourceLoader for FsLoader {
    fn read_to_string(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| e.to_string())
    }

    fn kind(&self, path: &str) -> Option<PathKind> {
        let m = std::fs::metadata(path).ok()?;
        if m.is_dir() {
            Some(PathKind::Directory)
        } else {
            Some(PathKind::File)
        }
    }

    fn list_dsm_files(&self, dir: &str) -> Result<Vec<String>, String> {
        let entries = std::fs::read_dir(dir).map_err(|e| e.to_string())?;
        Ok(entries
            .flatten()
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".dsm"))
            .collect())
    }
}

fn yes(v: Option<&str>) -> bool {
    matches!(v, Some("yes" | "true" | "1"))
}

fn list(v: Option<&str>) -> Vec<String> {
    v.map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

/// The global DSM settings of `dsm.conf`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DsmSettings {
    /// Record visited states in monitoring (`monitoring_full_stategraph`).
    pub full_stategraph: bool,
    /// Record transitions in monitoring (`monitoring_full_transitions`).
    pub full_transitions: bool,
    /// The bundle directory (`conf_dir`), if any.
    pub conf_dir: Option<String>,
}

/// One loaded bundle: a configuration file, its scripts and the applications it registers.
#[derive(Debug)]
pub struct Bundle {
    /// The script name: the file name without `.conf` (`main` for dsm.conf).
    pub name: String,
    /// The configuration file.
    pub conf_path: String,
    /// Every key of the file: becomes `$config.<key>` in calls of this bundle.
    pub config: BTreeMap<String, String>,
    /// Put P-App-Param values into variables (`set_param_variables`).
    pub set_param_variables: bool,
    /// System DSMs to start (`run_system_dsms`).
    pub run_system_dsms: Vec<String>,
    /// The checked scripts.
    pub collection: Arc<Collection>,
    /// Application names this bundle registers (`register_apps`).
    pub apps: Vec<String>,
}

/// Every loaded DSM application.
#[derive(Debug, Clone)]
pub struct Apps {
    /// Global settings.
    pub settings: DsmSettings,
    bundles: Vec<Arc<Bundle>>,
    by_app: BTreeMap<String, usize>,
}

/// Resolves a path from a configuration file: absolute as it is, relative in the
/// configuration directories (falling back to the first directory when nothing exists yet).
fn resolve_dir(dirs: &ConfigDirs, p: &str) -> String {
    if Path::new(p).is_absolute() {
        return p.to_string();
    }
    dirs.find(p)
        .or_else(|| dirs.dirs().first().map(|d| d.join(p)))
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| p.to_string())
}

fn load_bundle(
    name: &str,
    conf: &ConfFile,
    dirs: &ConfigDirs,
    registry: &ModuleRegistry,
    default_set_params: bool,
) -> Result<Bundle, Vec<String>> {
    let mut errors = Vec::new();
    // The mysql.* actions run on SQLite: a MySQL URL is caught here, with what to write instead,
    // rather than when the first call connects.
    if let Some(e) = conf.entry("db_url")
        && let Err(err) = crate::db::parse_db_url(&e.value, Path::new("."))
    {
        errors.push(conf.error_at(e, err.to_string()).to_string());
    }
    let config: BTreeMap<String, String> = conf
        .entries
        .iter()
        .map(|e| (e.key.clone(), e.value.clone()))
        .collect();
    let diags = list(conf.get("load_diags"));
    let apps = list(conf.get("register_apps"));
    let collection = if diags.is_empty() {
        Collection::default()
    } else {
        let Some(diag_entry) = conf.entry("diag_path") else {
            let e = conf
                .entry("load_diags")
                .map(|e| (e.line, e.value_col))
                .unwrap_or((1, 1));
            return Err(vec![format!(
                "{}:{}:{}: load_diags needs diag_path",
                conf.path, e.0, e.1
            )]);
        };
        let diag_path = resolve_dir(dirs, &diag_entry.value);
        let names: Vec<&str> = diags.iter().map(String::as_str).collect();
        match Collection::load_with(
            &FsLoader,
            &diag_path,
            &names,
            registry,
            LoadOptions::default(),
        ) {
            Ok(c) => c,
            Err(diags) => {
                for d in diags {
                    if d.is_error() {
                        errors.push(d.to_string());
                    }
                }
                Collection::default()
            }
        }
    };
    if errors.is_empty() {
        let app_refs: Vec<&str> = apps.iter().map(String::as_str).collect();
        for missing in collection.missing_apps(&app_refs) {
            let at = conf
                .entry("register_apps")
                .map(|e| (e.line, e.value_col))
                .unwrap_or((1, 1));
            errors.push(format!(
                "{}:{}:{}: register_apps names '{missing}', which no script in load_diags defines",
                conf.path, at.0, at.1
            ));
        }
        for w in collection.warnings() {
            log::warn!("{w}");
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Bundle {
        name: name.to_string(),
        conf_path: conf.path.clone(),
        set_param_variables: conf
            .get("set_param_variables")
            .map_or(default_set_params, |v| yes(Some(v))),
        run_system_dsms: list(conf.get("run_system_dsms")),
        config,
        collection: Arc::new(collection),
        apps,
    })
}

/// The bundle name SEMS derives from a configuration file name: the name minus its last five
/// characters (`.conf`).
pub fn bundle_name_of(conf_name: &str) -> String {
    let base = Path::new(conf_name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| conf_name.to_string());
    base.strip_suffix(".conf")
        .map(str::to_string)
        .unwrap_or(base)
}

impl Apps {
    /// No applications at all (a configuration without `dsm.conf`).
    pub fn empty() -> Apps {
        Apps {
            settings: DsmSettings::default(),
            bundles: Vec::new(),
            by_app: BTreeMap::new(),
        }
    }

    /// Loads `dsm.conf` (found in `dirs`) and every bundle of its `conf_dir`. Returns every
    /// error found, each `file:line:col: message`.
    pub fn load(dirs: &ConfigDirs, registry: &ModuleRegistry) -> Result<Apps, Vec<String>> {
        let Some(dsm_conf_path) = dirs.find("dsm.conf") else {
            return Ok(Apps::empty());
        };
        let main = ConfFile::load(&dsm_conf_path).map_err(|e| match e {
            crate::Error::Config(v) => v,
            other => vec![other.to_string()],
        })?;
        let settings = DsmSettings {
            full_stategraph: yes(main.get("monitoring_full_stategraph")),
            full_transitions: yes(main.get("monitoring_full_transitions")),
            conf_dir: main
                .get("conf_dir")
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        };
        let set_params = yes(main.get("set_param_variables"));
        let mut errors = Vec::new();
        let mut bundles = Vec::new();
        match load_bundle("main", &main, dirs, registry, set_params) {
            Ok(b) => bundles.push(b),
            Err(e) => errors.extend(e),
        }
        if let Some(conf_dir) = &settings.conf_dir {
            let files = dirs.conf_files_in(conf_dir);
            if files.is_empty() {
                log::warn!(
                    "{}: conf_dir '{conf_dir}' holds no *.conf bundle",
                    dsm_conf_path.display()
                );
            }
            for file in files {
                let conf = match ConfFile::load(&file) {
                    Ok(c) => c,
                    Err(crate::Error::Config(v)) => {
                        errors.extend(v);
                        continue;
                    }
                    Err(e) => {
                        errors.push(e.to_string());
                        continue;
                    }
                };
                let name = bundle_name_of(&file.display().to_string());
                match load_bundle(&name, &conf, dirs, registry, set_params) {
                    Ok(b) => bundles.push(b),
                    Err(e) => errors.extend(e),
                }
            }
        }
        let mut apps = Apps {
            settings,
            bundles: Vec::new(),
            by_app: BTreeMap::new(),
        };
        for b in bundles {
            if let Err(e) = apps.insert_bundle(b) {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            Ok(apps)
        } else {
            Err(errors)
        }
    }

    /// Adds a bundle; its application names must not be taken by another bundle. A bundle of
    /// the same name is replaced.
    fn insert_bundle(&mut self, bundle: Bundle) -> Result<(), String> {
        let replacing = self.bundles.iter().position(|b| b.name == bundle.name);
        for app in &bundle.apps {
            if let Some(&i) = self.by_app.get(app)
                && Some(i) != replacing
            {
                return Err(format!(
                    "{}: application '{app}' is already registered by {}",
                    bundle.conf_path, self.bundles[i].conf_path
                ));
            }
        }
        let idx = match replacing {
            Some(i) => {
                self.by_app.retain(|_, v| *v != i);
                self.bundles[i] = Arc::new(bundle);
                i
            }
            None => {
                self.bundles.push(Arc::new(bundle));
                self.bundles.len() - 1
            }
        };
        for app in &self.bundles[idx].apps {
            self.by_app.insert(app.clone(), idx);
        }
        Ok(())
    }

    /// The bundle that serves application `app`, and the diagram that starts it (SEMS: the
    /// diagram with the application's name).
    pub fn resolve(&self, app: &str) -> Option<Arc<Bundle>> {
        let b = self.by_app.get(app).map(|i| self.bundles[*i].clone())?;
        b.collection.has_diagram(app).then_some(b)
    }

    /// Every bundle.
    pub fn bundles(&self) -> &[Arc<Bundle>] {
        &self.bundles
    }

    /// Every registered application name.
    pub fn app_names(&self) -> Vec<String> {
        self.by_app.keys().cloned().collect()
    }

    /// DI `loadConfig(conf_path, conf_name)`: (re)loads one bundle. On error nothing changes
    /// and the first error is returned with its position.
    pub fn load_config(
        &self,
        conf_path: &str,
        conf_name: &str,
        dirs: &ConfigDirs,
        registry: &ModuleRegistry,
    ) -> Result<Apps, String> {
        let conf = ConfFile::load(Path::new(conf_path)).map_err(|e| e.to_string())?;
        let name = bundle_name_of(conf_name);
        let bundle = load_bundle(&name, &conf, dirs, registry, false).map_err(|e| e.join("\n"))?;
        let mut next = self.clone();
        next.insert_bundle(bundle)?;
        Ok(next)
    }

    /// DI `registerApplication(name[, bundle])`: registers a loaded diagram as an application.
    pub fn register_application(&self, app: &str, bundle: Option<&str>) -> Result<Apps, String> {
        let idx = match bundle {
            Some(b) => self.bundles.iter().position(|x| x.name == b),
            None => self
                .bundles
                .iter()
                .position(|x| x.collection.has_diagram(app)),
        }
        .filter(|i| self.bundles[*i].collection.has_diagram(app))
        .ok_or_else(|| "unknown application (DSM)".to_string())?;
        if self.by_app.contains_key(app) {
            return Err("registering application failed (already registered?)".to_string());
        }
        let mut next = self.clone();
        next.by_app.insert(app.to_string(), idx);
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn tmp(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("dsmbox-apps-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    const OK_SCRIPT: &str =
        "initial state START;\ntransition t START - hangup / stop(false) -> END;\nstate END;\n";

    #[test]
    fn loads_bundles_and_resolves_apps() {
        let d = tmp("ok");
        write(
            &d,
            "dsm.conf",
            "conf_dir=dsm\nmonitoring_full_stategraph=yes\n",
        );
        write(
            &d,
            "dsm/app.conf",
            "diag_path=scripts\nload_diags=a,b\nregister_apps=a\nprompt_path=/p/ # comment\n",
        );
        write(&d, "scripts/a.dsm", OK_SCRIPT);
        write(&d, "scripts/b.dsm", OK_SCRIPT);
        let dirs = ConfigDirs::new(Some(&d), None);
        let apps = Apps::load(&dirs, &ModuleRegistry::new()).unwrap();
        assert!(apps.settings.full_stategraph);
        let b = apps.resolve("a").unwrap();
        assert_eq!(b.name, "app");
        assert_eq!(b.config.get("prompt_path").map(String::as_str), Some("/p/"));
        assert!(
            apps.resolve("b").is_none(),
            "b is loaded but not registered"
        );
        let apps2 = apps.register_application("b", Some("app")).unwrap();
        assert!(apps2.resolve("b").is_some());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn every_error_is_reported_with_its_position() {
        let d = tmp("bad");
        write(&d, "dsm.conf", "conf_dir=dsm\n");
        write(
            &d,
            "dsm/one.conf",
            "diag_path=s\nload_diags=x\nregister_apps=x,nope\n",
        );
        write(
            &d,
            "dsm/two.conf",
            "diag_path=s\nload_diags=y\nregister_apps=y\n",
        );
        write(&d, "s/x.dsm", OK_SCRIPT);
        write(
            &d,
            "s/y.dsm",
            "initial state A;\ntransition t A - hangup / frobnicate() -> A;\n",
        );
        let dirs = ConfigDirs::new(Some(&d), None);
        let errs = Apps::load(&dirs, &ModuleRegistry::new()).unwrap_err();
        let all = errs.join("\n");
        assert!(
            all.contains("one.conf:3:15: register_apps names 'nope'"),
            "{all}"
        );
        assert!(all.contains("y.dsm:2:"), "{all}");
        assert!(all.contains("frobnicate"), "{all}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_mysql_url_is_refused_with_what_to_write() {
        let d = tmp("mysql");
        write(&d, "dsm.conf", "conf_dir=dsm\n");
        write(
            &d,
            "dsm/q.conf",
            "diag_path=s\nload_diags=q\nregister_apps=q\ndb_url=mysql://u:p@localhost/q\n",
        );
        write(&d, "s/q.dsm", OK_SCRIPT);
        let errs =
            Apps::load(&ConfigDirs::new(Some(&d), None), &ModuleRegistry::new()).unwrap_err();
        assert!(
            errs[0].contains("q.conf:4:8:") && errs[0].contains("db_url=sqlite:///"),
            "{errs:?}"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_failed_load_config_changes_nothing() {
        let d = tmp("reload");
        write(&d, "dsm.conf", "conf_dir=dsm\n");
        write(
            &d,
            "dsm/q.conf",
            "diag_path=s\nload_diags=q\nregister_apps=q\n",
        );
        write(&d, "s/q.dsm", OK_SCRIPT);
        let dirs = ConfigDirs::new(Some(&d), None);
        let reg = ModuleRegistry::new();
        let apps = Apps::load(&dirs, &reg).unwrap();
        let before = apps.resolve("q").unwrap();
        write(
            &d,
            "s/q.dsm",
            "initial state A;\ntransition t A - nosuchcond -> A;\n",
        );
        let conf = d.join("dsm/q.conf").display().to_string();
        let err = apps.load_config(&conf, "q.conf", &dirs, &reg).unwrap_err();
        assert!(err.contains("q.dsm:2:"), "{err}");
        assert!(Arc::ptr_eq(&apps.resolve("q").unwrap(), &before));
        write(&d, "s/q.dsm", OK_SCRIPT);
        let next = apps.load_config(&conf, "q.conf", &dirs, &reg).unwrap();
        assert!(!Arc::ptr_eq(&next.resolve("q").unwrap(), &before));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn shipped_configuration_loads() {
        let overlay = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rootfs-overlay");
        let etc = overlay.join("etc/dsmbox");
        // The shipped bundle points at /usr/share/dsmbox; check it against the overlay copy.
        let d = tmp("shipped");
        let text = std::fs::read_to_string(etc.join("dsm/quizconnect.conf"))
            .unwrap()
            .replace(
                "/usr/share/dsmbox/",
                &format!("{}/usr/share/dsmbox/", overlay.display()),
            );
        write(&d, "dsm/quizconnect.conf", &text);
        let dirs = ConfigDirs::new(Some(&d), Some(&etc));
        let apps = Apps::load(&dirs, &ModuleRegistry::new()).unwrap();
        assert!(apps.resolve("quizconnect_caller").is_some());
        assert!(apps.resolve("quizconnect_callee").is_some());
        std::fs::remove_dir_all(&d).unwrap();
    }
}
