//! The management port: SEMS-compatible XML-RPC (xmlrpc2di with the DI interfaces `dsm` and
//! `monitoring`), the monitoring store, and the `dsmbox ctl` client. `docs/management.md`
//! lists the configuration keys, every method with its return shape, and where we differ
//! from SEMS.
//!
//! # Layout
//! - [`value`], [`xmlrpc`], [`base64`]: the XML-RPC value model and codec (sans-IO).
//! - [`http`]: the HTTP/1.1 subset the server speaks (sans-IO).
//! - [`monitoring`]: the per-call attribute store ([`MonitoringStore`], time passed in) and
//!   its cheap handle [`Monitor`] for the call code.
//! - [`host`]: [`ManagementHost`], the boundary to the rest of the firmware.
//! - [`api`]: the method table; decoded call + host + store in, value or fault out.
//! - [`server`]: the tokio server (connections, limits, auth) feeding a [`CallQueue`].
//! - [`config`]: `xmlrpc2di.conf`; [`monitoring::MonitoringConfig`] reads `monitoring.conf`.
//! - [`client`], [`ctl`]: the blocking client and `dsmbox ctl`.
//! - [`testing`]: a fake host, the quizconnect tutorial's records and a threaded test server.
//!
//! # Wiring (firmware runtime)
//! 1. `let (xcfg, mcfg) = management::load_configs(dir)?;` (defaults without the files).
//! 2. `let monitor = Monitor::new(mcfg);` and hand clones to the call code, which calls
//!    `monitor.set(ltag, "dsm_state", "X")`, `monitor.add(ltag, "dsm_stategraph", ..)` and
//!    `monitor.mark_finished(ltag, SystemTime::now())` when the session ends.
//! 3. If `xcfg.run_server`: `let api = Api::new(xcfg.export_di, &xcfg.direct_export);`
//!    `let (server, mut calls) = XmlRpcServer::bind(&xcfg).await?; tokio::spawn(server.run());`
//! 4. In the main `select!`: `Some(c) = calls.recv() => c.answer(&api, &mut host, &monitor,
//!    SystemTime::now())`, and a timer on `monitor.poll_timeout()` that calls
//!    `monitor.handle_timeout(SystemTime::now())` (the garbage collector).
//!
//! Everything here runs on the one current-thread runtime. The connection tasks are `Send`
//! and touch neither the host nor the store; the store is behind an `Rc<RefCell<_>>` that is
//! borrowed only inside single, non-reentrant method calls.

pub mod api;
pub mod base64;
pub mod client;
pub mod config;
pub mod ctl;
pub mod host;
pub mod http;
pub mod monitoring;
pub mod posix_bre;
pub mod server;
pub mod testing;
pub mod value;
pub mod xmlrpc;

use std::path::Path;

pub use api::Api;
pub use client::{Client, ClientError};
pub use config::XmlRpcConfig;
pub use ctl::ctl_main;
pub use host::{CallStats, ManagementHost, Status};
pub use monitoring::{Monitor, MonitoringConfig, MonitoringStore};
pub use server::{CallQueue, PendingCall, XmlRpcServer, serve};
pub use value::{DateTime, Value};
pub use xmlrpc::{Fault, MethodCall};

/// Reads `DIR/xmlrpc2di.conf` and `DIR/monitoring.conf`; each is optional.
pub fn load_configs(dir: &Path) -> Result<(XmlRpcConfig, MonitoringConfig), crate::Error> {
    Ok((XmlRpcConfig::load(dir)?, MonitoringConfig::load(dir)?))
}

/// The same from a search path: each file from the first directory that has it.
pub fn load_configs_from(
    dirs: &crate::config::ConfigDirs,
) -> Result<(XmlRpcConfig, MonitoringConfig), crate::Error> {
    let dir_of = |name: &str| {
        dirs.find(name)
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_default()
    };
    let x = match dirs.find(config::XMLRPC2DI_CONF) {
        Some(_) => XmlRpcConfig::load(&dir_of(config::XMLRPC2DI_CONF))?,
        None => XmlRpcConfig::default(),
    };
    let m = match dirs.find(monitoring::MONITORING_CONF) {
        Some(_) => MonitoringConfig::load(&dir_of(monitoring::MONITORING_CONF))?,
        None => MonitoringConfig::default(),
    };
    Ok((x, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_load_from_a_directory() {
        let dir = std::env::temp_dir().join(format!("dsmbox-mgmt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let _ = std::fs::remove_file(dir.join("xmlrpc2di.conf"));
        let _ = std::fs::remove_file(dir.join("monitoring.conf"));
        let (x, m) = load_configs(&dir).unwrap();
        assert_eq!(
            (x, m),
            (XmlRpcConfig::default(), MonitoringConfig::default())
        );
        std::fs::write(dir.join("xmlrpc2di.conf"), "run_server=no\nxmlrpc_port=9\n").unwrap();
        std::fs::write(
            dir.join("monitoring.conf"),
            "garbage_collector_interval=x\n",
        )
        .unwrap();
        match load_configs(&dir) {
            Err(crate::Error::Config(e)) => {
                assert!(e[0].ends_with("monitoring.conf:1:28: garbage_collector_interval: 'x' is not a number of seconds (1 or more)"), "{e:?}");
            }
            other => panic!("{other:?}"),
        }
        std::fs::write(dir.join("monitoring.conf"), "run_garbage_collector=yes\n").unwrap();
        let (x, _) = load_configs(&dir).unwrap();
        assert!(!x.run_server);
        assert_eq!(x.xmlrpc_port, 9);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
