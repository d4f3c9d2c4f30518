//! A quizconnect installation for end-to-end tests: the shipped configuration and scripts
//! from `rootfs-overlay/`, unchanged except for the addresses, ports and the database file,
//! in a temporary directory.

use std::path::{Path, PathBuf};

use crate::{Appliance, TempDir};

/// The repository's `rootfs-overlay/`.
pub fn overlay() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../rootfs-overlay")
}

/// A configuration directory for one test run.
pub struct QuizConfig {
    /// The directory (removed on drop).
    pub dir: TempDir,
    /// SIP port dsmbox will listen on (0: any).
    pub db_path: PathBuf,
}

impl QuizConfig {
    /// The shipped quizconnect configuration with dsmbox on 127.0.0.1 (a free port),
    /// callees called at `outbound` (host:port), RTP ports from `rtp_base`, the management
    /// port on `xmlrpc_port`, and `callees` (CSV rows `caller,callee,pin`) as callees.csv.
    pub fn new(
        tag: &str,
        outbound: &str,
        rtp_base: u16,
        xmlrpc_port: u16,
        callees: &str,
    ) -> QuizConfig {
        let dir = TempDir::new(tag);
        let ov = overlay();
        let db_path = dir.path().join("dsmbox.db");
        dir.write(
            "dsmbox.conf",
            &format!(
                "sip_ip=127.0.0.1\nsip_port=0\nrtp_low_port={rtp_base}\nrtp_high_port={}\n\
                 application=quizconnect_caller\nloglevel=2\ndb_url=sqlite://{}\n",
                rtp_base + 99,
                db_path.display()
            ),
        );
        dir.write("xmlrpc2di.conf", &format!("xmlrpc_port={xmlrpc_port}\nserver_ip=127.0.0.1\nexport_di=yes\ndirect_export=dsm;monitoring\n"));
        let shipped = std::fs::read_to_string(ov.join("etc/dsmbox/dsm/quizconnect.conf"))
            .expect("shipped bundle");
        let bundle: String = shipped
            .lines()
            .map(|l| {
                if l.starts_with("db_url=") {
                    format!("db_url=sqlite://{}", db_path.display())
                } else if l.starts_with("outbound_domain=") {
                    format!("outbound_domain={outbound}")
                } else {
                    l.replace(
                        "/usr/share/dsmbox/",
                        &format!("{}/usr/share/dsmbox/", ov.display()),
                    )
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        dir.write("dsm/quizconnect.conf", &bundle);
        dir.write("callees.csv", callees);
        QuizConfig { dir, db_path }
    }

    /// Starts dsmbox on this configuration, with the shipped defaults behind it.
    pub fn start(&self) -> Appliance {
        let defaults = overlay().join("etc/dsmbox");
        Appliance::start(&[
            "--config",
            self.dir.path().to_str().unwrap_or_default(),
            "--defaults",
            defaults.to_str().unwrap_or_default(),
        ])
    }

    /// Replaces a line of the bundle configuration (e.g. to break `prompt_path`).
    pub fn set_bundle_key(&self, key: &str, value: &str) {
        let p = self.dir.path().join("dsm/quizconnect.conf");
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        let out: Vec<String> = text
            .lines()
            .map(|l| {
                if l.starts_with(&format!("{key}=")) {
                    format!("{key}={value}")
                } else {
                    l.to_string()
                }
            })
            .collect();
        std::fs::write(p, out.join("\n")).expect("write bundle");
    }
}
