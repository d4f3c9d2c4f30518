//! The `dsmbox` command line. Each subcommand is a function that returns an exit code;
//! `main.rs` only calls [`main`].

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::{ConfFile, ConfigDirs, MainConfig};
use crate::setup::Setup;
use crate::{Error, db, logging, runtime};

const HELP: &str = "\
dsmbox: a programmable SIP voice appliance running SEMS DSM call flows

Usage:
  dsmbox run [--config DIR] [--defaults DIR] [--loglevel N]
                                             run the appliance (built-in defaults without --config)
  dsmbox check --config DIR                  check a configuration directory and its scripts
  dsmbox demo                                the appliance on its built-in demo configuration
  dsmbox callees import FILE.csv [--db URL]  replace the callee table (caller,callee,pin)
  dsmbox callees export [--db URL]           print the callee table as CSV
  dsmbox dtmf-detect FILE                    print the DTMF digits in a recording (WAV, or raw
                                             s16le 8 kHz mono)
  dsmbox load [--levels 50,100,200] [--hold S] [--rates 50,100,200,400]
                                             load-test a dsmbox on this machine (see docs/load.md)
  dsmbox ctl calls|states|get ID|reload [PATH NAME] [--host H --port P]
                                             talk to a running dsmbox's management port
  dsmbox --version                           print the version
  dsmbox --help                              print this help

Options:
  -c, --config DIR     configuration directory holding dsmbox.conf (or sems.conf)
  -d, --defaults DIR   where files missing from --config are taken from (e.g. /etc/dsmbox)
  -l, --loglevel N     0 error, 1 warning, 2 info, 3 debug (overrides the config file)
      --db URL         database (sqlite:///path.db); default: db_url of the main configuration

Exit codes: 0 success, 1 a check or run failed, 2 the command line is wrong.
";

/// Runs the command line given by `args` (including the program name).
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    // `ctl` has its own options (--host, --port, ...): hand it everything after the word.
    if args.get(1).is_some_and(|a| a == "ctl") {
        let rest: Vec<String> = args[2..]
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        return crate::management::ctl_main(&rest);
    }
    match dispatch(args) {
        Ok(code) => code,
        Err(Error::Usage(msg)) => {
            eprintln!("dsmbox: {msg}\n\n{HELP}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

fn usage(e: impl std::fmt::Display) -> Error {
    Error::Usage(e.to_string())
}

/// Options shared by the subcommands that load a configuration.
#[derive(Debug, Default)]
struct Common {
    config: Option<PathBuf>,
    defaults: Option<PathBuf>,
    loglevel: Option<u8>,
    db: Option<String>,
    load: crate::load::LoadOptions,
}

impl Common {
    fn dirs(&self) -> Option<ConfigDirs> {
        if self.config.is_none() && self.defaults.is_none() {
            return None;
        }
        Some(ConfigDirs::new(
            self.config.as_deref(),
            self.defaults.as_deref(),
        ))
    }
}

fn dispatch(args: impl IntoIterator<Item = OsString>) -> Result<ExitCode, Error> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_iter(args);
    let mut command: Option<String> = None;
    let mut rest: Vec<String> = Vec::new();
    let mut common = Common::default();
    while let Some(arg) = parser.next().map_err(usage)? {
        match arg {
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(ExitCode::SUCCESS);
            }
            Short('V') | Long("version") => {
                println!("dsmbox {}", env!("CARGO_PKG_VERSION"));
                return Ok(ExitCode::SUCCESS);
            }
            Short('c') | Long("config") => {
                common.config = Some(parser.value().map_err(usage)?.into())
            }
            Short('d') | Long("defaults") => {
                common.defaults = Some(parser.value().map_err(usage)?.into())
            }
            Short('l') | Long("loglevel") => {
                let v: String = parser.value().map_err(usage)?.string().map_err(usage)?;
                common.loglevel = Some(
                    v.parse::<u8>()
                        .ok()
                        .filter(|l| *l <= 4)
                        .ok_or_else(|| usage(format!("--loglevel: '{v}' is not 0..3")))?,
                );
            }
            Long("db") => common.db = Some(parser.value().map_err(usage)?.string().map_err(usage)?),
            Long("levels") | Long("rates") | Long("hold") => {
                let name = match &arg {
                    Long(n) => n.to_string(),
                    _ => String::new(),
                };
                let v: String = parser.value().map_err(usage)?.string().map_err(usage)?;
                let nums: Result<Vec<u64>, _> =
                    v.split(',').map(|x| x.trim().parse::<u64>()).collect();
                let nums =
                    nums.map_err(|_| usage(format!("--{name}: '{v}' is not a list of numbers")))?;
                match name.as_str() {
                    "levels" => common.load.levels = nums.iter().map(|n| *n as usize).collect(),
                    "rates" => common.load.rates = nums.iter().map(|n| *n as u32).collect(),
                    _ => common.load.hold_secs = nums.first().copied().unwrap_or(10),
                }
            }
            Value(v) if command.is_none() => command = Some(v.string().map_err(usage)?),
            Value(v) => rest.push(v.string().map_err(usage)?),
            other => return Err(usage(other.unexpected())),
        }
    }
    let no_args = |name: &str| {
        if rest.is_empty() {
            Ok(())
        } else {
            Err(usage(format!("{name} takes no argument '{}'", rest[0])))
        }
    };
    match command.as_deref() {
        Some("run") => no_args("run").and_then(|()| cmd_run(&common)),
        Some("check") => no_args("check").and_then(|()| cmd_check(&common)),
        Some("demo") => no_args("demo").and_then(|()| cmd_demo(&common)),
        Some("callees") => cmd_callees(&common, &rest),
        Some("dtmf-detect") => cmd_dtmf_detect(&rest),
        Some("load") => no_args("load").and_then(|()| {
            logging::init(common.loglevel.unwrap_or(1));
            Ok(if crate::load::run(&common.load)? {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }),
        Some(other) => Err(usage(format!("unknown command '{other}'"))),
        None => Err(usage("no command given")),
    }
}

/// Loads the main configuration from `dirs`, or the built-in defaults without any.
fn load_main_config(dirs: Option<&ConfigDirs>) -> Result<MainConfig, Error> {
    let Some(dirs) = dirs else {
        return Ok(MainConfig::embedded_default());
    };
    let path = dirs.main_file()?;
    let conf = ConfFile::load(&path)?;
    MainConfig::from_conf(&conf, |notice| log::info!("{notice}"))
        .map_err(|errs| Error::Config(errs.iter().map(ToString::to_string).collect()))
}

fn cmd_run(common: &Common) -> Result<ExitCode, Error> {
    logging::init(common.loglevel.unwrap_or(2));
    let setup = match common.dirs() {
        Some(dirs) => Setup::load(&dirs, &dsm::ModuleRegistry::new()).map_err(Error::Config)?,
        None => Setup::embedded(),
    };
    logging::set_level(common.loglevel.unwrap_or(setup.main.loglevel));
    runtime::run(setup)?;
    Ok(ExitCode::SUCCESS)
}

/// The README's first command: the appliance on embedded defaults, on 127.0.0.1.
fn cmd_demo(common: &Common) -> Result<ExitCode, Error> {
    if common.config.is_some() || common.defaults.is_some() {
        return Err(usage(
            "demo runs on the built-in configuration; use `run --config DIR` for yours",
        ));
    }
    logging::init(common.loglevel.unwrap_or(1));
    Ok(if crate::demo::run()? {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn cmd_check(common: &Common) -> Result<ExitCode, Error> {
    logging::init(common.loglevel.unwrap_or(1));
    let Some(dirs) = common.dirs() else {
        return Err(usage("check needs --config DIR"));
    };
    match Setup::load(&dirs, &dsm::ModuleRegistry::new()) {
        Ok(setup) => {
            let shown: Vec<String> = dirs
                .dirs()
                .iter()
                .map(|d| d.display().to_string())
                .collect();
            let apps = setup.apps.app_names();
            println!(
                "{}: ok ({} application{}: {})",
                shown.join(" + "),
                apps.len(),
                if apps.len() == 1 { "" } else { "s" },
                apps.join(", ")
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(errs) => {
            for e in &errs {
                println!("{e}");
            }
            println!(
                "{} error{}",
                errs.len(),
                if errs.len() == 1 { "" } else { "s" }
            );
            Ok(ExitCode::from(1))
        }
    }
}

/// `dsmbox callees import FILE` / `dsmbox callees export`: the installer's callee table.
fn cmd_callees(common: &Common, rest: &[String]) -> Result<ExitCode, Error> {
    logging::init(common.loglevel.unwrap_or(1));
    let (url, base) = match &common.db {
        Some(url) => (url.clone(), std::env::current_dir().unwrap_or_default()),
        None => {
            let Some(dirs) = common.dirs() else {
                return Err(usage("callees needs --db URL or --config DIR"));
            };
            let cfg = load_main_config(Some(&dirs))?;
            (cfg.db_url.clone(), cfg.base_dir.clone())
        }
    };
    let location = db::parse_db_url(&url, &base).map_err(|e| Error::Config(vec![e.to_string()]))?;
    let mut database =
        db::Database::open_or_create(&location).map_err(|e| Error::Config(vec![e.to_string()]))?;
    match rest {
        [verb, file] if verb == "import" => {
            let text = std::fs::read_to_string(file).map_err(|source| Error::Io {
                path: file.into(),
                source,
            })?;
            match database.import_callees_csv(file, &text) {
                Ok(n) => {
                    println!("imported {n} callees into {url}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    println!("{e}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        [verb] if verb == "export" => {
            let csv = database
                .export_callees_csv()
                .map_err(|e| Error::Config(vec![e.to_string()]))?;
            print!("{csv}");
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(usage(
            "use: dsmbox callees import FILE.csv | dsmbox callees export",
        )),
    }
}

/// `dsmbox dtmf-detect FILE`: the in-band detector on a recording. The digits go on the first
/// line of stdout (the contract of the DTMF scoring harness); WAVs of any common format and
/// rate are converted to 8 kHz first, anything else is read as raw s16le 8 kHz mono.
fn cmd_dtmf_detect(rest: &[String]) -> Result<ExitCode, Error> {
    let [path] = rest else {
        return Err(usage("use: dsmbox dtmf-detect FILE"));
    };
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })?;
    let pcm = if bytes.starts_with(b"RIFF") {
        media::wav::decode(&bytes)
            .map_err(|e| Error::Config(vec![format!("{path}: {e}")]))?
            .samples
    } else {
        media::dtmf::decode_audio_file(&bytes)
            .map_err(|e| Error::Config(vec![format!("{path}: {e}")]))?
    };
    println!("{}", media::dtmf::detect_digits_in_pcm(&pcm));
    Ok(ExitCode::SUCCESS)
}
