//! SEMS-style configuration files: `key=value` lines, as SEMS's `AmConfigReader` reads them.
//!
//! One directory holds everything (`dsmbox run --config DIR`): the main file `dsmbox.conf`, or
//! `sems.conf` in its place so that a SEMS configuration directory works as it is.
//!
//! The line syntax follows SEMS: `#` starts a comment line, a value ends at the first
//! whitespace unless it is written in double quotes, and text after the value is ignored (so
//! trailing comments work). A line without `=` is an error. We are more forgiving than SEMS
//! where an SD card edited on another OS needs it: a UTF-8 byte-order mark and CRLF line ends
//! are accepted. Every error names the file, line and column.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::Error;

/// One `key=value` entry and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key, trimmed.
    pub key: String,
    /// The value, unquoted.
    pub value: String,
    /// 1-based line of the entry.
    pub line: usize,
    /// 1-based column where the value starts.
    pub value_col: usize,
}

/// A parsed configuration file. Later entries of the same key win, as in SEMS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfFile {
    /// The file name used in messages.
    pub path: String,
    /// Entries in file order.
    pub entries: Vec<Entry>,
}

/// A position in a configuration file, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// File name.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path, self.line, self.col, self.message
        )
    }
}

impl ConfFile {
    /// Parses configuration text. `path` is only used in messages.
    pub fn parse(path: &str, text: &str) -> Result<ConfFile, Vec<Located>> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut entries = Vec::new();
        let mut errors = Vec::new();
        for (idx, raw) in text.split('\n').enumerate() {
            let line_no = idx + 1;
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            let body = line.trim_start();
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            let indent = line.len() - body.len();
            let Some(eq) = body.find('=') else {
                errors.push(Located {
                    path: path.to_string(),
                    line: line_no,
                    col: indent + 1,
                    message: format!("expected key=value, found '{}'", body.trim_end()),
                });
                continue;
            };
            let key = body[..eq].trim();
            if key.is_empty() {
                errors.push(Located {
                    path: path.to_string(),
                    line: line_no,
                    col: indent + 1,
                    message: "missing key before '='".to_string(),
                });
                continue;
            }
            let after = &body[eq + 1..];
            let value_text = after.trim_start();
            let value_col = indent + eq + 1 + (after.len() - value_text.len()) + 1;
            let value = if let Some(quoted) = value_text.strip_prefix('"') {
                match quoted.find('"') {
                    Some(end) => quoted[..end].to_string(),
                    None => {
                        errors.push(Located {
                            path: path.to_string(),
                            line: line_no,
                            col: value_col,
                            message: "unterminated quoted value".to_string(),
                        });
                        continue;
                    }
                }
            } else {
                value_text
                    .split(|c: char| c.is_whitespace())
                    .next()
                    .unwrap_or("")
                    .to_string()
            };
            entries.push(Entry {
                key: key.to_string(),
                value,
                line: line_no,
                value_col,
            });
        }
        if errors.is_empty() {
            Ok(ConfFile {
                path: path.to_string(),
                entries,
            })
        } else {
            Err(errors)
        }
    }

    /// Reads and parses a file.
    pub fn load(path: &Path) -> Result<ConfFile, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        ConfFile::parse(&path.display().to_string(), &text)
            .map_err(|errs| Error::Config(errs.iter().map(ToString::to_string).collect()))
    }

    /// The value of `key`, the last one if it is given several times.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entry(key).map(|e| e.value.as_str())
    }

    /// The entry of `key`, the last one if it is given several times.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.key == key)
    }

    /// A message located at the value of `entry`.
    pub fn error_at(&self, entry: &Entry, message: impl Into<String>) -> Located {
        Located {
            path: self.path.clone(),
            line: entry.line,
            col: entry.value_col,
            message: message.into(),
        }
    }
}

/// Keys SEMS's `sems.conf` knows that dsmbox does not need: accepted with a notice, so a SEMS
/// configuration loads unchanged.
const SEMS_KEYS_IGNORED: &[&str] = &[
    "load_plugins",
    "exclude_plugins",
    "plugin_path",
    "plugin_config_path",
    "fork",
    "daemon",
    "stderr",
    "syslog_facility",
    "log_sessions",
    "log_events",
    "signature",
    "use_default_signature",
    "session_processor_threads",
    "media_processor_threads",
    "rtp_receiver_threads",
    "sip_server_threads",
    "max_shutdown_time",
    "shutdown_mode_reply",
    "options_transcoder_out_stats_hdr",
    "options_transcoder_in_stats_hdr",
    "transcoder_out_stats_hdr",
    "transcoder_in_stats_hdr",
    "unhandled_reply_loglevel",
    "use_raw_sockets",
    "ignore_sig_chld",
    "ignore_sig_pipe",
    "default_bl_ttl",
    "session_limit",
    "cps_limit",
    "options_session_limit",
    "no_ringing_timeout",
    "single_codec_in_ok",
    "codec_order",
    "exclude_payloads",
    "accept_forked_dialogs",
    "next_hop",
    "next_hop_1st_req",
    "proxy_sticky_auth",
    "force_outbound_if",
    "force_symmetric_rtp",
    "sip_nat_handling",
    "use_sdp_o_version",
    "interfaces",
    "wav_writer_codec",
    "enable_rtsp",
    "log_raw_messages",
    "log_stderr",
    "run_as_user",
    "run_as_group",
    "pid_file",
];

/// The settings of the main configuration file that dsmbox acts on, named as in `sems.conf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MainConfig {
    /// Address the SIP UDP socket binds to (`sip_ip`).
    pub sip_ip: IpAddr,
    /// SIP UDP port (`sip_port`, default 5060).
    pub sip_port: u16,
    /// An IPv6 address to listen on as well (`sip_ip6`, a dsmbox setting; same port), for
    /// phones and trunks that speak IPv6. Calls from IPv6 peers get RTP on `media_ip6`.
    pub sip_ip6: Option<IpAddr>,
    /// IPv6 address for RTP of IPv6 calls (`media_ip6`, default: `sip_ip6`).
    pub media_ip6: Option<IpAddr>,
    /// Address RTP binds to (`media_ip`, default: `sip_ip`).
    pub media_ip: IpAddr,
    /// Lowest RTP port (`rtp_low_port`).
    pub rtp_low_port: u16,
    /// Highest RTP port (`rtp_high_port`).
    pub rtp_high_port: u16,
    /// Address written into SIP and SDP instead of the bound one, for NAT (`public_ip`).
    pub public_ip: Option<IpAddr>,
    /// Which DSM application serves inbound calls (`application`).
    pub application: String,
    /// SEMS log level, 0 error .. 3 debug (`loglevel`).
    pub loglevel: u8,
    /// Seconds without RTP before `rtpTimeout` (`dead_rtp_time`, 0 = off).
    pub dead_rtp_time: u32,
    /// The appliance's database (`db_url`, a dsmbox setting): the callee table lives here and
    /// `callees.csv` is imported into it at start-up.
    pub db_url: String,
    /// The directory of the main file: relative paths in settings are relative to it.
    pub base_dir: PathBuf,
    /// Registrations to trunks or PBXs (`register.<n>.*`, a dsmbox setting).
    pub accounts: Vec<Account>,
}

/// One registration (`register.<n>.registrar`, `.user`, `.domain`, `.auth_user`,
/// `.password`, `.expires`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The block's name (`<n>` in `register.<n>.*`).
    pub name: String,
    /// Where REGISTER goes: `sip:host[:port]`.
    pub registrar: String,
    /// The user to register (the To/From user).
    pub user: String,
    /// The domain of the address of record (default: the registrar's host).
    pub domain: String,
    /// Digest user name (default: `user`).
    pub auth_user: String,
    /// Digest password (empty: no credentials).
    pub password: String,
    /// Lifetime asked for, in seconds.
    pub expires: u32,
}

fn parse_accounts(conf: &ConfFile, errors: &mut Vec<Located>) -> Vec<Account> {
    let mut by_name: std::collections::BTreeMap<String, (Account, usize, usize)> =
        std::collections::BTreeMap::new();
    for e in &conf.entries {
        let Some(rest) = e.key.strip_prefix("register.") else {
            continue;
        };
        let Some((name, field)) = rest.split_once('.') else {
            errors.push(conf.error_at(e, format!("'{}': write register.<name>.<field>", e.key)));
            continue;
        };
        let (acc, _, _) = by_name.entry(name.to_string()).or_insert_with(|| {
            (
                Account {
                    name: name.to_string(),
                    registrar: String::new(),
                    user: String::new(),
                    domain: String::new(),
                    auth_user: String::new(),
                    password: String::new(),
                    expires: 3600,
                },
                e.line,
                e.value_col,
            )
        });
        let v = e.value.clone();
        match field {
            "registrar" => acc.registrar = v,
            "user" => acc.user = v,
            "domain" => acc.domain = v,
            "auth_user" => acc.auth_user = v,
            "password" => acc.password = v,
            "expires" => match v.parse::<u32>() {
                Ok(x) if x > 0 => acc.expires = x,
                _ => errors
                    .push(conf.error_at(e, format!("{}: '{v}' is not a number of seconds", e.key))),
            },
            other => {
                errors.push(conf.error_at(e, format!("unknown registration setting '{other}'")))
            }
        }
    }
    let mut out = Vec::new();
    for (_, (mut acc, line, col)) in by_name {
        let at = |m: String| Located {
            path: conf.path.clone(),
            line,
            col,
            message: m,
        };
        if acc.registrar.is_empty() || acc.user.is_empty() {
            errors.push(at(format!(
                "register.{}: registrar and user are required",
                acc.name
            )));
            continue;
        }
        if !acc.registrar.starts_with("sip:") {
            errors.push(at(format!(
                "register.{}.registrar: write sip:host[:port]",
                acc.name
            )));
            continue;
        }
        if acc.domain.is_empty() {
            let host = acc.registrar.trim_start_matches("sip:");
            acc.domain = host.rsplit_once(':').map_or(host, |(h, _)| h).to_string();
        }
        if acc.auth_user.is_empty() {
            acc.auth_user = acc.user.clone();
        }
        out.push(acc);
    }
    out
}

impl MainConfig {
    /// The built-in defaults: everything on 127.0.0.1, so a first start never exposes a port.
    pub fn embedded_default() -> MainConfig {
        let lo = IpAddr::from([127, 0, 0, 1]);
        MainConfig {
            sip_ip: lo,
            sip_ip6: None,
            media_ip6: None,
            sip_port: 5060,
            media_ip: lo,
            rtp_low_port: 10000,
            rtp_high_port: 10999,
            public_ip: None,
            application: String::new(),
            loglevel: 2,
            dead_rtp_time: 300,
            db_url: "sqlite:///var/lib/dsmbox/dsmbox.db".to_string(),
            base_dir: PathBuf::from("."),
            accounts: Vec::new(),
        }
    }

    /// Reads the settings from a parsed main file; unknown keys are reported through `notice`.
    pub fn from_conf(
        conf: &ConfFile,
        mut notice: impl FnMut(Located),
    ) -> Result<MainConfig, Vec<Located>> {
        let mut cfg = MainConfig::embedded_default();
        cfg.base_dir = Path::new(&conf.path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut errors = Vec::new();
        let mut media_ip_set = false;
        for entry in &conf.entries {
            let value = entry.value.as_str();
            match entry.key.as_str() {
                "sip_ip" => match value.parse() {
                    Ok(ip) => cfg.sip_ip = ip,
                    Err(_) => errors.push(
                        conf.error_at(entry, format!("sip_ip: '{value}' is not an IP address")),
                    ),
                },
                "sip_ip6" | "media_ip6" if value.is_empty() => {}
                "sip_ip6" | "media_ip6" => match value.parse::<IpAddr>() {
                    Ok(ip @ IpAddr::V6(_)) => {
                        if entry.key == "sip_ip6" {
                            cfg.sip_ip6 = Some(ip)
                        } else {
                            cfg.media_ip6 = Some(ip)
                        }
                    }
                    _ => errors.push(conf.error_at(
                        entry,
                        format!("{}: '{value}' is not an IPv6 address", entry.key),
                    )),
                },
                "media_ip" => match value.parse() {
                    Ok(ip) => {
                        cfg.media_ip = ip;
                        media_ip_set = true;
                    }
                    Err(_) => errors.push(
                        conf.error_at(entry, format!("media_ip: '{value}' is not an IP address")),
                    ),
                },
                "public_ip" => {
                    if value.is_empty() {
                        cfg.public_ip = None;
                    } else {
                        match value.parse() {
                            Ok(ip) => cfg.public_ip = Some(ip),
                            Err(_) => errors.push(conf.error_at(
                                entry,
                                format!("public_ip: '{value}' is not an IP address"),
                            )),
                        }
                    }
                }
                "sip_port" => {
                    // 0 asks the OS for a free port (printed at start): for tests and demos.
                    match value.parse::<u16>() {
                        Ok(p) => cfg.sip_port = p,
                        Err(_) => errors.push(conf.error_at(
                            entry,
                            format!("sip_port: '{value}' is not a port (0..65535)"),
                        )),
                    }
                }
                "rtp_low_port" => parse_port(conf, entry, &mut cfg.rtp_low_port, &mut errors),
                "rtp_high_port" => parse_port(conf, entry, &mut cfg.rtp_high_port, &mut errors),
                "application" => cfg.application = value.to_string(),
                "db_url" => match crate::db::parse_db_url(value, &cfg.base_dir) {
                    Ok(_) => cfg.db_url = value.to_string(),
                    Err(e) => errors.push(conf.error_at(entry, e.to_string())),
                },
                "loglevel" => match value.parse::<u8>() {
                    Ok(l) if l <= 3 => cfg.loglevel = l,
                    _ => errors
                        .push(conf.error_at(entry, format!("loglevel: '{value}' is not 0..3"))),
                },
                "dead_rtp_time" => match value.parse() {
                    Ok(s) => cfg.dead_rtp_time = s,
                    Err(_) => errors.push(conf.error_at(
                        entry,
                        format!("dead_rtp_time: '{value}' is not a number of seconds"),
                    )),
                },
                key if SEMS_KEYS_IGNORED.contains(&key) => notice(conf.error_at(
                    entry,
                    format!("'{key}' is a SEMS setting dsmbox does not need; ignored"),
                )),
                key => notice(conf.error_at(entry, format!("unknown setting '{key}'; ignored"))),
            }
        }
        if !media_ip_set {
            cfg.media_ip = cfg.sip_ip;
        }
        if cfg.media_ip6.is_none() {
            cfg.media_ip6 = cfg.sip_ip6;
        }
        cfg.accounts = parse_accounts(conf, &mut errors);
        if cfg.rtp_low_port > cfg.rtp_high_port {
            let at = conf
                .entry("rtp_low_port")
                .or_else(|| conf.entry("rtp_high_port"))
                .map(|e| (e.line, e.value_col))
                .unwrap_or((1, 1));
            errors.push(Located {
                path: conf.path.clone(),
                line: at.0,
                col: at.1,
                message: format!(
                    "rtp_low_port {} is above rtp_high_port {}",
                    cfg.rtp_low_port, cfg.rtp_high_port
                ),
            });
        }
        if errors.is_empty() {
            Ok(cfg)
        } else {
            Err(errors)
        }
    }
}

fn parse_port(conf: &ConfFile, entry: &Entry, slot: &mut u16, errors: &mut Vec<Located>) {
    match entry.value.parse::<u16>() {
        Ok(p) if p > 0 => *slot = p,
        _ => errors.push(conf.error_at(
            entry,
            format!("{}: '{}' is not a port (1..65535)", entry.key, entry.value),
        )),
    }
}

/// Names the main file may have inside a configuration directory, in the order they are tried.
pub const MAIN_FILE_NAMES: &[&str] = &["dsmbox.conf", "sems.conf"];

/// Where configuration files are looked up: the installer's directory first (on the
/// appliance, `/boot/firmware/dsmbox` on the SD card's FAT partition), then the shipped
/// defaults (`/etc/dsmbox`). A file present in the first wins over the same name in the second,
/// file by file, so an installer copies only the files they change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigDirs {
    dirs: Vec<PathBuf>,
}

impl ConfigDirs {
    /// The search path `config` then `defaults`; a directory that does not exist is skipped
    /// (the FAT partition is mounted `nofail`: a missing card must not stop the appliance).
    pub fn new(config: Option<&Path>, defaults: Option<&Path>) -> ConfigDirs {
        ConfigDirs {
            dirs: config
                .into_iter()
                .chain(defaults)
                .map(Path::to_path_buf)
                .collect(),
        }
    }

    /// The directories searched, in order.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// The first existing file named `rel` (an absolute `rel` is taken as it is).
    pub fn find(&self, rel: &str) -> Option<PathBuf> {
        let rel_path = Path::new(rel);
        if rel_path.is_absolute() {
            return rel_path.exists().then(|| rel_path.to_path_buf());
        }
        self.dirs
            .iter()
            .map(|d| d.join(rel_path))
            .find(|p| p.exists())
    }

    /// The main configuration file: `dsmbox.conf` or `sems.conf`, from the first directory
    /// that has either.
    pub fn main_file(&self) -> Result<PathBuf, Error> {
        for dir in &self.dirs {
            for name in MAIN_FILE_NAMES {
                let p = dir.join(name);
                if p.is_file() {
                    return Ok(p);
                }
            }
        }
        let searched: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
        Err(Error::Config(vec![format!(
            "{}: no dsmbox.conf or sems.conf here",
            if searched.is_empty() {
                "(no configuration directory)".to_string()
            } else {
                searched.join(", ")
            }
        )]))
    }

    /// Every `*.conf` file of the directory `rel` (relative: in each search directory; absolute:
    /// that one), merged by file name with earlier directories winning, sorted by name. Dot
    /// files (`._x.conf` from macOS) are skipped.
    pub fn conf_files_in(&self, rel: &str) -> Vec<PathBuf> {
        let rel_path = Path::new(rel);
        let dirs: Vec<PathBuf> = if rel_path.is_absolute() {
            vec![rel_path.to_path_buf()]
        } else {
            self.dirs.iter().map(|d| d.join(rel_path)).collect()
        };
        let mut by_name: std::collections::BTreeMap<String, PathBuf> =
            std::collections::BTreeMap::new();
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') || !name.ends_with(".conf") || !e.path().is_file() {
                    continue;
                }
                by_name.entry(name).or_insert_with(|| e.path());
            }
        }
        by_name.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sems_syntax() {
        let text = "\u{feff}# comment\r\n  sip_ip = 10.0.0.1   # trailing\r\nsip_port=5080\napplication=\"$(ruri.user)\"\n\n";
        let c = ConfFile::parse("t.conf", text).unwrap();
        assert_eq!(c.get("sip_ip"), Some("10.0.0.1"));
        assert_eq!(c.get("sip_port"), Some("5080"));
        assert_eq!(c.get("application"), Some("$(ruri.user)"));
        let e = c.entry("sip_ip").unwrap();
        assert_eq!((e.line, e.value_col), (2, 12));
    }

    #[test]
    fn last_entry_wins() {
        let c = ConfFile::parse("t", "a=1\na=2\n").unwrap();
        assert_eq!(c.get("a"), Some("2"));
    }

    #[test]
    fn line_without_equals_is_located() {
        let errs = ConfFile::parse("x.conf", "a=1\n   garbage here\nb=\"open\n").unwrap_err();
        let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(
            msgs[0],
            "x.conf:2:4: expected key=value, found 'garbage here'"
        );
        assert_eq!(msgs[1], "x.conf:3:3: unterminated quoted value");
    }

    #[test]
    fn main_config_validates_values() {
        let c = ConfFile::parse(
            "s.conf",
            "sip_port=99999\nsip_ip=nope\nload_plugins=wav;dsm\nloglevel=3\n",
        )
        .unwrap();
        let mut notices = Vec::new();
        let errs = MainConfig::from_conf(&c, |n| notices.push(n.to_string())).unwrap_err();
        let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(
            msgs,
            vec![
                "s.conf:1:10: sip_port: '99999' is not a port (0..65535)",
                "s.conf:2:8: sip_ip: 'nope' is not an IP address"
            ]
        );
        assert_eq!(notices.len(), 1);
        assert!(notices[0].starts_with("s.conf:3:14: 'load_plugins' is a SEMS setting"));
    }

    #[test]
    fn config_dirs_merge_file_by_file() {
        let base = std::env::temp_dir().join(format!("dsmbox-cfgdirs-{}", std::process::id()));
        let (fat, etc) = (base.join("fat"), base.join("etc"));
        for d in [fat.join("dsm"), etc.join("dsm")] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(etc.join("dsmbox.conf"), "sip_port=1\n").unwrap();
        std::fs::write(etc.join("dsm/a.conf"), "").unwrap();
        std::fs::write(etc.join("dsm/b.conf"), "").unwrap();
        std::fs::write(fat.join("dsm/b.conf"), "").unwrap();
        std::fs::write(fat.join("dsm/._b.conf"), "").unwrap();
        let dirs = ConfigDirs::new(Some(&fat), Some(&etc));
        assert_eq!(dirs.main_file().unwrap(), etc.join("dsmbox.conf"));
        std::fs::write(fat.join("sems.conf"), "sip_port=2\n").unwrap();
        assert_eq!(dirs.main_file().unwrap(), fat.join("sems.conf"));
        assert_eq!(
            dirs.conf_files_in("dsm"),
            vec![etc.join("dsm/a.conf"), fat.join("dsm/b.conf")]
        );
        assert_eq!(dirs.find("dsm/a.conf"), Some(etc.join("dsm/a.conf")));
        assert_eq!(dirs.find("nope.conf"), None);
        let missing = ConfigDirs::new(Some(&base.join("no-card")), Some(&etc));
        assert_eq!(missing.main_file().unwrap(), etc.join("dsmbox.conf"));
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn registration_accounts() {
        let c = ConfFile::parse(
            "r.conf",
            "register.trunk.registrar=sip:192.0.2.10:5070\nregister.trunk.user=1001\nregister.trunk.password=pw\nregister.b.user=x\nregister.trunk.expires=600\n",
        )
        .unwrap();
        let errs = MainConfig::from_conf(&c, |_| {}).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert!(errs[0].to_string().starts_with("r.conf:4:"), "{}", errs[0]);
        let c = ConfFile::parse(
            "r.conf",
            "register.trunk.registrar=sip:192.0.2.10:5070\nregister.trunk.user=1001\nregister.trunk.password=pw\nregister.trunk.expires=600\n",
        )
        .unwrap();
        let cfg = MainConfig::from_conf(&c, |_| {}).unwrap();
        assert_eq!(
            cfg.accounts,
            vec![Account {
                name: "trunk".into(),
                registrar: "sip:192.0.2.10:5070".into(),
                user: "1001".into(),
                domain: "192.0.2.10".into(),
                auth_user: "1001".into(),
                password: "pw".into(),
                expires: 600,
            }]
        );
    }

    #[test]
    fn media_ip_follows_sip_ip() {
        let c = ConfFile::parse(
            "s.conf",
            "sip_ip=192.0.2.7\nrtp_low_port=20000\nrtp_high_port=20099\n",
        )
        .unwrap();
        let cfg = MainConfig::from_conf(&c, |_| {}).unwrap();
        assert_eq!(cfg.media_ip, "192.0.2.7".parse::<IpAddr>().unwrap());
        assert_eq!((cfg.rtp_low_port, cfg.rtp_high_port), (20000, 20099));
    }
}

#[cfg(test)]
mod robustness {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever is on the SD card, reading it never panics, and every error names the file
        /// and a line that exists.
        #[test]
        fn any_text_parses_or_is_located(text in "[ -~\\t\\r\\n\\u{feff}\"=#éß]{0,400}") {
            match ConfFile::parse("x.conf", &text) {
                Ok(c) => {
                    let _ = MainConfig::from_conf(&c, |_| {});
                }
                Err(errs) => {
                    let lines = text.split('\n').count();
                    for e in errs {
                        prop_assert!(e.path == "x.conf" && e.line >= 1 && e.line <= lines);
                    }
                }
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let text = String::from_utf8_lossy(&bytes);
            if let Ok(c) = ConfFile::parse("x.conf", &text) {
                let _ = MainConfig::from_conf(&c, |_| {});
            }
        }
    }
}
