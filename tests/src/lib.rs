//! Harness for whole-appliance tests: finds (building it if needed) and starts the real `dsmbox`
//! binary, and, in later tiers, the third-party SIP phones that call it. The tests themselves are
//! in `tests/tests/`.

#![forbid(unsafe_code)]

pub mod audio;
pub mod peers;
pub mod quiz;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The `dsmbox` binary under test: `$DSMBOX_BIN` if set; otherwise cargo builds it (once per
/// test process) in the profile this test was built with, so the binary is never stale.
pub fn dsmbox_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("DSMBOX_BIN") {
            return PathBuf::from(p);
        }
        // Test binaries live in target/<profile>/deps/.
        let exe = std::env::current_exe().expect("test binary path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>");
        let profile = profile_dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("debug");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--quiet", "-p", "firmware", "--bin", "dsmbox"]);
        if profile != "debug" {
            cmd.args(["--profile", profile]);
        }
        let status = cmd
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build of dsmbox failed");
        profile_dir.join("dsmbox")
    })
    .clone()
}

/// A temporary directory removed on drop; named after the test so leftovers are traceable.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates a fresh directory under the system temp dir.
    pub fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!("dsmbox-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `text` to `name` inside the directory.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create parent");
        }
        std::fs::write(&p, text).expect("write file");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `dsmbox` process, killed on drop.
pub struct Appliance {
    child: Child,
    stdout: BufReader<ChildStdout>,
    /// The SIP address it printed on start.
    pub sip_addr: std::net::SocketAddr,
}

impl Appliance {
    /// Starts `dsmbox run` with `args` and waits (up to 20 s) for its "listening" line.
    pub fn start(args: &[&str]) -> Appliance {
        let mut child = Command::new(dsmbox_bin())
            .arg("run")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn dsmbox");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut line = String::new();
        let sip_addr = loop {
            line.clear();
            let n = stdout.read_line(&mut line).expect("read dsmbox stdout");
            assert!(n > 0, "dsmbox exited before listening");
            if let Some(rest) = line.trim().split("listening: sip udp ").nth(1) {
                break rest.parse().expect("listening address");
            }
            assert!(Instant::now() < deadline, "dsmbox did not start");
        };
        Appliance {
            child,
            stdout,
            sip_addr,
        }
    }

    /// Sends SIGTERM and waits for the exit status (up to 10 s).
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait dsmbox") {
                return status;
            }
            assert!(Instant::now() < deadline, "dsmbox did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The rest of stdout, for tests that read more lines.
    pub fn stdout(&mut self) -> &mut BufReader<ChildStdout> {
        &mut self.stdout
    }
}

impl Drop for Appliance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Calls the management port with Python's real `xmlrpc.client` and returns the result as
/// JSON. `args` is a Python expression list, e.g. `"'35', 1"`.
pub fn xmlrpc(port: u16, method: &str, args: &str) -> serde_json::Value {
    let code = format!(
        "import json, xmlrpc.client\n\
         s = xmlrpc.client.ServerProxy('http://127.0.0.1:{port}')\n\
         print(json.dumps(getattr(s, '{method}')({args})))\n"
    );
    let out = Command::new("python3")
        .args(["-c", &code])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "xmlrpc {method}({args}) failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json from python")
}

/// Root-mean-square level of `samples[from_ms..to_ms]` at 8 kHz.
pub fn rms(samples: &[i16], from_ms: usize, to_ms: usize) -> f64 {
    let a = (from_ms * 8).min(samples.len());
    let b = (to_ms * 8).min(samples.len());
    if b <= a {
        return 0.0;
    }
    let sum: f64 = samples[a..b].iter().map(|s| f64::from(*s).powi(2)).sum();
    (sum / (b - a) as f64).sqrt()
}

/// A configuration directory with the given files (path relative to the directory, text).
pub fn config_dir(tag: &str, files: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new(tag);
    for (name, text) in files {
        dir.write(name, text);
    }
    dir
}
