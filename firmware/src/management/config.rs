//! `xmlrpc2di.conf`: the XML-RPC server's settings, with SEMS's keys and dsmbox's limits.
//!
//! The file is optional: without it the server runs with the defaults below, which make the
//! seed's scripts work out of the box (`direct_export=dsm;monitoring`) while listening only on
//! 127.0.0.1.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use super::monitoring::parse_yes_no;
use crate::Error;
use crate::config::{ConfFile, Located};

/// The name of the file in the configuration directory.
pub const XMLRPC2DI_CONF: &str = "xmlrpc2di.conf";

/// HTTP basic-auth credentials (`auth_user`, `auth_password`).
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth")
            .field("user", &self.user)
            .field("password", &"***")
            .finish()
    }
}

/// Resource limits that keep management traffic from starving calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// `max_connections` (default 8): connections served at once; more are answered 503 and
    /// closed.
    pub max_connections: usize,
    /// `max_header_bytes` (default 8192): request line plus headers.
    pub max_header_bytes: usize,
    /// `max_request_bytes` (default 262144): the XML body.
    pub max_request_bytes: usize,
    /// `request_timeout` in seconds (default 10): from a request's first byte to its last,
    /// and for writing the response. Defeats slowloris.
    pub request_timeout: Duration,
    /// `keepalive_timeout` in seconds (default 30): an idle kept-alive connection is closed.
    pub keepalive_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 8,
            max_header_bytes: 8192,
            max_request_bytes: 256 * 1024,
            request_timeout: Duration::from_secs(10),
            keepalive_timeout: Duration::from_secs(30),
        }
    }
}

/// The settings of the XML-RPC server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlRpcConfig {
    /// `run_server` (default yes).
    pub run_server: bool,
    /// `server_ip` (default 127.0.0.1; SEMS's empty value means the same here, write
    /// `0.0.0.0` to listen everywhere).
    pub server_ip: IpAddr,
    /// `xmlrpc_port` (default 8090; 0 picks a free port, for tests).
    pub xmlrpc_port: u16,
    /// `export_di` (default yes): the generic `di(iface, method, args...)`.
    pub export_di: bool,
    /// `direct_export` (default `dsm;monitoring`): interfaces whose methods are exported by
    /// name and as `iface.method`.
    pub direct_export: Vec<String>,
    /// `auth_user` + `auth_password`: HTTP basic auth; off unless both are set.
    pub auth: Option<BasicAuth>,
    /// Resource limits.
    pub limits: Limits,
}

impl Default for XmlRpcConfig {
    fn default() -> XmlRpcConfig {
        XmlRpcConfig {
            run_server: true,
            server_ip: IpAddr::from([127, 0, 0, 1]),
            xmlrpc_port: 8090,
            export_di: true,
            direct_export: vec!["dsm".to_string(), "monitoring".to_string()],
            auth: None,
            limits: Limits::default(),
        }
    }
}

/// SEMS keys that have no meaning on one event loop; accepted with a notice.
const SEMS_KEYS_IGNORED: &[&str] = &[
    "multithreaded",
    "threads",
    "server_timeout",
    "server_retry_after",
    "debug_server_params",
    "debug_server_result",
];

impl XmlRpcConfig {
    /// Reads the settings from a parsed `xmlrpc2di.conf`; unknown keys go to `notice`.
    pub fn from_conf(
        conf: &ConfFile,
        mut notice: impl FnMut(Located),
    ) -> Result<XmlRpcConfig, Vec<Located>> {
        let mut cfg = XmlRpcConfig::default();
        let mut errors = Vec::new();
        let mut user = None;
        let mut password = None;
        for entry in &conf.entries {
            let v = entry.value.as_str();
            let key = entry.key.as_str();
            let mut bad = |what: &str| {
                errors.push(conf.error_at(entry, format!("{key}: '{v}' is not {what}")));
            };
            match key {
                "run_server" => match parse_yes_no(v) {
                    Some(b) => cfg.run_server = b,
                    None => bad("yes or no"),
                },
                "export_di" => match parse_yes_no(v) {
                    Some(b) => cfg.export_di = b,
                    None => bad("yes or no"),
                },
                "server_ip" => {
                    if v.is_empty() {
                        cfg.server_ip = IpAddr::from([127, 0, 0, 1]);
                    } else {
                        match v.parse() {
                            Ok(ip) => cfg.server_ip = ip,
                            Err(_) => bad("an IP address"),
                        }
                    }
                }
                "xmlrpc_port" => match v.parse::<u16>() {
                    Ok(p) => cfg.xmlrpc_port = p,
                    Err(_) => bad("a port (0..65535)"),
                },
                "direct_export" => {
                    cfg.direct_export = v
                        .split(';')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect();
                }
                "auth_user" => user = Some(v.to_string()),
                "auth_password" => password = Some(v.to_string()),
                "max_connections" => match v.parse::<usize>() {
                    Ok(n) if (1..=1024).contains(&n) => cfg.limits.max_connections = n,
                    _ => bad("a count (1..1024)"),
                },
                "max_header_bytes" => match v.parse::<usize>() {
                    Ok(n) if (256..=1 << 20).contains(&n) => cfg.limits.max_header_bytes = n,
                    _ => bad("a size (256..1048576)"),
                },
                "max_request_bytes" => match v.parse::<usize>() {
                    Ok(n) if (256..=64 << 20).contains(&n) => cfg.limits.max_request_bytes = n,
                    _ => bad("a size (256..67108864)"),
                },
                "request_timeout" => match v.parse::<u64>() {
                    Ok(s) if (1..=3600).contains(&s) => {
                        cfg.limits.request_timeout = Duration::from_secs(s);
                    }
                    _ => bad("a number of seconds (1..3600)"),
                },
                "keepalive_timeout" => match v.parse::<u64>() {
                    Ok(s) if (1..=3600).contains(&s) => {
                        cfg.limits.keepalive_timeout = Duration::from_secs(s);
                    }
                    _ => bad("a number of seconds (1..3600)"),
                },
                k if SEMS_KEYS_IGNORED.contains(&k) => notice(conf.error_at(
                    entry,
                    format!("'{k}' is a SEMS setting dsmbox does not need (one event loop serves every connection); ignored"),
                )),
                k => notice(conf.error_at(entry, format!("unknown setting '{k}'; ignored"))),
            }
        }
        match (user, password) {
            (Some(u), Some(p)) if !u.is_empty() && !p.is_empty() => {
                cfg.auth = Some(BasicAuth {
                    user: u,
                    password: p,
                });
            }
            (None, None) => {}
            (Some(u), None) if u.is_empty() => {}
            (None, Some(p)) if p.is_empty() => {}
            (Some(u), Some(p)) if u.is_empty() && p.is_empty() => {}
            _ => {
                let at = conf
                    .entry("auth_user")
                    .or_else(|| conf.entry("auth_password"));
                let (line, col) = at.map(|e| (e.line, e.value_col)).unwrap_or((1, 1));
                errors.push(Located {
                    path: conf.path.clone(),
                    line,
                    col,
                    message: "auth_user and auth_password must both be set (or neither)"
                        .to_string(),
                });
            }
        }
        if errors.is_empty() {
            Ok(cfg)
        } else {
            Err(errors)
        }
    }

    /// Reads `DIR/xmlrpc2di.conf`; the defaults if there is no such file.
    pub fn load(dir: &Path) -> Result<XmlRpcConfig, Error> {
        let path = dir.join(XMLRPC2DI_CONF);
        if !path.exists() {
            return Ok(XmlRpcConfig::default());
        }
        let conf = ConfFile::load(&path)?;
        XmlRpcConfig::from_conf(&conf, |n| log::info!("{n}"))
            .map_err(|errs| Error::Config(errs.iter().map(ToString::to_string).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<XmlRpcConfig, Vec<String>> {
        let conf = ConfFile::parse("xmlrpc2di.conf", text).unwrap();
        XmlRpcConfig::from_conf(&conf, |_| {})
            .map_err(|e| e.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn tutorial_file_and_defaults() {
        let cfg = parse("export_di=yes\ndirect_export=dsm;monitoring\n").unwrap();
        assert_eq!(cfg, XmlRpcConfig::default());
        assert_eq!(cfg.server_ip, IpAddr::from([127, 0, 0, 1]));
        assert_eq!(cfg.xmlrpc_port, 8090);
    }

    #[test]
    fn sems_keys_and_ours() {
        let conf = ConfFile::parse(
            "x.conf",
            "xmlrpc_port=9000\nserver_ip=0.0.0.0\nmultithreaded=yes\nthreads=5\nrun_server=no\n\
             direct_export=\nauth_user=admin\nauth_password=\"s3cret pw\"\nmax_connections=2\n\
             request_timeout=3\nkeepalive_timeout=4\nmax_request_bytes=4096\nmax_header_bytes=1024\n",
        )
        .unwrap();
        let mut notices = Vec::new();
        let cfg = XmlRpcConfig::from_conf(&conf, |n| notices.push(n.to_string())).unwrap();
        assert_eq!(cfg.xmlrpc_port, 9000);
        assert_eq!(cfg.server_ip, IpAddr::from([0, 0, 0, 0]));
        assert!(!cfg.run_server);
        assert!(cfg.direct_export.is_empty());
        let auth = cfg.auth.unwrap();
        assert_eq!(
            (auth.user.as_str(), auth.password.as_str()),
            ("admin", "s3cret pw")
        );
        assert_eq!(cfg.limits.max_connections, 2);
        assert_eq!(cfg.limits.request_timeout, Duration::from_secs(3));
        assert_eq!(cfg.limits.keepalive_timeout, Duration::from_secs(4));
        assert_eq!(cfg.limits.max_request_bytes, 4096);
        assert_eq!(cfg.limits.max_header_bytes, 1024);
        assert_eq!(notices.len(), 2, "{notices:?}");
    }

    #[test]
    fn errors_are_located() {
        let e = parse("xmlrpc_port=80a\nexport_di=maybe\nauth_user=x\n").unwrap_err();
        assert_eq!(
            e,
            vec![
                "xmlrpc2di.conf:1:13: xmlrpc_port: '80a' is not a port (0..65535)",
                "xmlrpc2di.conf:2:11: export_di: 'maybe' is not yes or no",
                "xmlrpc2di.conf:3:11: auth_user and auth_password must both be set (or neither)",
            ]
        );
    }
}
