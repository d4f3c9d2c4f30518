//! Real third-party SIP phones for end-to-end tests: pjsua2 (PJSIP, driven through
//! `tests/peers/pjpeer.py` over JSON lines) and baresip (driven through its `ctrl_tcp` module).
//! See `../shared/docs/peers.md` for how each was validated and its quirks.
//!
//! Each phone is a child process with its own SIP port and RTP range on 127.0.0.1, killed when
//! the handle drops. Events are collected by a reader thread; `wait_for` blocks until one
//! matches or the timeout passes, and then panics with everything the phone said.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::TempDir;

/// Hands out distinct port blocks of 20 in 30000-59999, offset by the process id so that test
/// binaries running at the same time rarely meet. Each block is checked free before use.
pub fn port_block() -> u16 {
    static NEXT: OnceLock<AtomicU16> = OnceLock::new();
    let next =
        NEXT.get_or_init(|| AtomicU16::new(30000 + ((std::process::id() * 97) % 1400) as u16 * 20));
    loop {
        let mut base = next.fetch_add(20, Ordering::SeqCst);
        if base >= 59980 {
            next.store(30000, Ordering::SeqCst);
            base = 30000;
        }
        let free = (0..20).all(|i| std::net::UdpSocket::bind(("127.0.0.1", base + i)).is_ok())
            && std::net::TcpListener::bind(("127.0.0.1", base)).is_ok();
        if free {
            return base;
        }
    }
}

fn workspace_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The Python interpreter of a virtualenv with pjsua2 (`target/peers-venv`), created on first
/// use (PyPI is reachable where the tests run; `tests/run-all.sh` creates it up front).
/// `$DSMBOX_PJSUA_PYTHON` overrides.
pub fn pjsua_python() -> PathBuf {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        if let Some(p) = std::env::var_os("DSMBOX_PJSUA_PYTHON") {
            return PathBuf::from(p);
        }
        let venv = workspace_dir().join("target/peers-venv");
        let py = venv.join("bin/python");
        let ok = |py: &Path| {
            Command::new(py)
                .args(["-c", "import pjsua2"])
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        };
        if ok(&py) {
            return py;
        }
        // Several test binaries may get here at once: one creates the venv, the others wait.
        let lock = venv.with_extension("lock");
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            if std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&lock)
                .is_ok()
            {
                break;
            }
            if ok(&py) {
                return py;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {}",
                lock.display()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        let result = (|| {
            if !ok(&py) {
                let st = Command::new("python3")
                    .arg("-m")
                    .arg("venv")
                    .arg(&venv)
                    .status()
                    .ok()?;
                st.success().then_some(())?;
                let st = Command::new(venv.join("bin/pip"))
                    .args(["install", "-q", "pjsua2-python==2.15.1.post1"])
                    .status()
                    .ok()?;
                st.success().then_some(())?;
            }
            Some(())
        })();
        let _ = std::fs::remove_file(&lock);
        assert!(
            result.is_some() && ok(&py),
            "could not set up pjsua2 in {}",
            venv.display()
        );
        py
    })
    .clone()
}

/// Events a phone has reported, shared with its reader thread.
#[derive(Debug, Default, Clone)]
struct EventLog(Arc<Mutex<Vec<Value>>>);

impl EventLog {
    fn push(&self, v: Value) {
        if let Ok(mut l) = self.0.lock() {
            l.push(v);
        }
    }
    fn dump(&self) -> String {
        self.0
            .lock()
            .map(|l| {
                l.iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    }
}

/// Waits for an event matching `pred`. Events that do not match are kept in `backlog` (not
/// dropped), so a test may wait for events in any order.
fn wait_on(
    rx: &Receiver<Value>,
    backlog: &Mutex<VecDeque<Value>>,
    log: &EventLog,
    who: &str,
    timeout: Duration,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    if let Ok(mut b) = backlog.lock()
        && let Some(i) = b.iter().position(&pred)
        && let Some(v) = b.remove(i)
    {
        return v;
    }
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(v) if pred(&v) => return v,
            Ok(v) => {
                if let Ok(mut b) = backlog.lock() {
                    b.push_back(v);
                }
            }
            Err(RecvTimeoutError::Timeout) => panic!(
                "{who}: timed out after {timeout:?}; events so far:\n{}",
                log.dump()
            ),
            Err(RecvTimeoutError::Disconnected) => {
                panic!("{who}: phone exited; events so far:\n{}", log.dump())
            }
        }
    }
}

/// Options for a pjsua2 phone.
#[derive(Debug, Clone, Default)]
pub struct PjsuaOptions {
    /// SIP user name in its own URI.
    pub user: String,
    /// Answer incoming calls with this code (0: wait for [`Pjsua::answer`]).
    pub auto_answer: u16,
    /// Seconds to ring before auto-answering.
    pub answer_delay: f64,
    /// Record what the phone hears, one WAV per call (`{n}` = call number).
    pub record: Option<PathBuf>,
    /// Play this WAV into every call once media is up.
    pub play: Option<PathBuf>,
    /// Send 183 with SDP before answering.
    pub early_media: bool,
}

/// A pjsua2 phone.
pub struct Pjsua {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    backlog: Mutex<VecDeque<Value>>,
    log: EventLog,
    /// Its SIP port on 127.0.0.1.
    pub port: u16,
    name: String,
}

impl Pjsua {
    /// Starts a phone and waits until it is ready.
    pub fn start(opts: PjsuaOptions) -> Pjsua {
        let block = port_block();
        let port = block;
        let user = if opts.user.is_empty() {
            "peer".to_string()
        } else {
            opts.user.clone()
        };
        let script = workspace_dir().join("tests/peers/pjpeer.py");
        let mut cmd = Command::new(pjsua_python());
        cmd.arg(&script)
            .args([
                "--port",
                &port.to_string(),
                "--rtp-port",
                &(block + 2).to_string(),
            ])
            .args(["--auto-answer", &opts.auto_answer.to_string()])
            .args(["--answer-delay", &opts.answer_delay.to_string()])
            .args(["--user", &user]);
        if let Some(r) = &opts.record {
            cmd.arg("--record").arg(r);
        }
        if let Some(p) = &opts.play {
            cmd.arg("--play").arg(p);
        }
        if opts.early_media {
            cmd.arg("--early-media");
        }

        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start pjpeer.py");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        let log = EventLog::default();
        let log2 = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // pjlib prints a few non-JSON lines at start-up; keep only events.
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    log2.push(v.clone());
                    if tx.send(v).is_err() {
                        break;
                    }
                }
            }
        });
        let name = format!("pjsua {user}@{port}");
        let p = Pjsua {
            child,
            stdin,
            rx,
            backlog: Mutex::default(),
            log,
            port,
            name,
        };
        p.wait_for(Duration::from_secs(20), |v| v["ev"] == "ready");
        p
    }

    /// Its address of record.
    pub fn uri(&self, user: &str) -> String {
        format!("sip:{user}@127.0.0.1:{}", self.port)
    }

    fn send(&mut self, cmd: Value) {
        writeln!(self.stdin, "{cmd}").expect("write to pjpeer");
        self.stdin.flush().expect("flush pjpeer");
    }

    /// Places a call.
    pub fn call(&mut self, uri: &str) {
        self.send(json!({"cmd": "call", "uri": uri}));
    }
    /// Answers the newest incoming call.
    pub fn answer(&mut self, code: u16) {
        self.send(json!({"cmd": "answer", "code": code}));
    }
    /// Hangs up the newest call (CANCEL before answer, BYE after).
    pub fn hangup(&mut self) {
        self.send(json!({"cmd": "hangup"}));
    }
    /// Sends digits: `method` is "rfc2833", "info" or "inband".
    pub fn dtmf(&mut self, digits: &str, method: &str) {
        self.send(json!({"cmd": "dtmf", "digits": digits, "method": method}));
    }
    /// Sends digits in call number `call`.
    pub fn send_dtmf_to(&mut self, call: i64, digits: &str, method: &str) {
        self.send(json!({"cmd": "dtmf", "call": call, "digits": digits, "method": method}));
    }
    /// Hangs up call number `call`.
    pub fn hangup_call(&mut self, call: i64) {
        self.send(json!({"cmd": "hangup", "call": call}));
    }
    /// Plays a WAV into call number `call`.
    pub fn play_to(&mut self, call: i64, wav: &Path) {
        self.send(json!({"cmd": "play", "call": call, "file": wav}));
    }
    /// Puts the newest call on hold (re-INVITE with a=sendonly).
    pub fn hold(&mut self) {
        self.send(json!({"cmd": "hold"}));
    }
    /// Takes the newest call off hold (re-INVITE with a=sendrecv).
    pub fn unhold(&mut self) {
        self.send(json!({"cmd": "unhold"}));
    }
    /// Plays a WAV into the newest call.
    pub fn play(&mut self, wav: &Path) {
        self.send(json!({"cmd": "play", "file": wav}));
    }

    /// Waits for an event matching `pred`.
    pub fn wait_for(&self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        wait_on(
            &self.rx,
            &self.backlog,
            &self.log,
            &self.name,
            timeout,
            pred,
        )
    }

    /// Waits for a call-state event with the given state text (e.g. "CONFIRMED").
    pub fn wait_state(&self, state: &str, timeout: Duration) -> Value {
        self.wait_for(timeout, |v| v["ev"] == "state" && v["state"] == state)
    }

    /// Everything the phone reported so far.
    pub fn events(&self) -> String {
        self.log.dump()
    }
}

impl Drop for Pjsua {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "{}", json!({"cmd": "quit"}));
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Options for a baresip phone.
#[derive(Debug, Clone)]
pub struct BaresipOptions {
    /// SIP user name of its account.
    pub user: String,
    /// Answer calls automatically.
    pub auto_answer: bool,
    /// The "microphone": a WAV file (8 kHz mono). baresip hangs up when it ends, so use a
    /// long one unless that is wanted.
    pub audio_source: PathBuf,
    /// Use IPv6 on `::1` instead of 127.0.0.1 (the pjsua2 wheel is built without IPv6).
    pub ipv6: bool,
}

impl BaresipOptions {
    /// A phone that dials out (no auto-answer) and says nothing for `seconds`: its
    /// "microphone" is a silent WAV written into `dir` (baresip hangs up when it ends).
    pub fn silent_caller(user: &str, dir: &Path, seconds: usize) -> BaresipOptions {
        let silence = dir.join(format!("{user}-silence.wav"));
        crate::audio::write_wav(&silence, &vec![0; 8000 * seconds]);
        BaresipOptions {
            user: user.into(),
            auto_answer: false,
            audio_source: silence,
            ipv6: false,
        }
    }
}

/// A baresip phone.
pub struct Baresip {
    child: Child,
    ctrl: TcpStream,
    rx: Receiver<Value>,
    backlog: Mutex<VecDeque<Value>>,
    log: EventLog,
    dir: TempDir,
    /// Its SIP port on 127.0.0.1.
    pub port: u16,
    name: String,
}

fn netstring(v: &Value) -> Vec<u8> {
    let body = v.to_string();
    format!("{}:{},", body.len(), body).into_bytes()
}

fn read_netstring(r: &mut impl Read) -> Option<Value> {
    let mut len = Vec::new();
    let mut b = [0u8; 1];
    loop {
        r.read_exact(&mut b).ok()?;
        if b[0] == b':' {
            break;
        }
        len.push(b[0]);
    }
    let n: usize = std::str::from_utf8(&len).ok()?.trim().parse().ok()?;
    let mut body = vec![0u8; n + 1];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body[..n]).ok()
}

impl Baresip {
    /// Starts a baresip instance with its own config directory and waits for its control port.
    pub fn start(opts: BaresipOptions) -> Baresip {
        let block = port_block();
        let port = block;
        // baresip also takes TCP on the SIP port and TLS on the port after it.
        let ctrl_port = block + 2;
        let dir = TempDir::new(&format!("baresip-{}", opts.user));
        let rec = dir.path().join("rec");
        std::fs::create_dir_all(&rec).expect("rec dir");
        // peers.md: net_interface pins SDP to loopback; aubridge,nil avoids a busy-looping
        // null player; aufile paces the source (alsa,null would not).
        let (iface, listen_host) = if opts.ipv6 {
            ("::1", "[::1]")
        } else {
            ("127.0.0.1", "127.0.0.1")
        };
        let config = format!(
            "poll_method epoll\nnet_interface {iface}\nsip_listen {listen_host}:{port}\n\
             audio_player aubridge,nil\naudio_alert aubridge,nil\naudio_source aufile,{src}\n\
             ausrc_srate 8000\nauplay_srate 8000\nausrc_channels 1\nauplay_channels 1\n\
             rtp_ports {r0}-{r1}\nmodule_path /usr/lib/baresip/modules\nmodule g711.so\n\
             module aubridge.so\nmodule aufile.so\nmodule sndfile.so\nmodule ctrl_tcp.so\n\
             module_tmp account.so\nmodule_app menu.so\nctrl_tcp_listen 127.0.0.1:{ctrl_port}\n\
             snd_path {rec}\n",
            src = opts.audio_source.display(),
            r0 = block + 4,
            r1 = block + 19,
            rec = rec.display(),
        );
        dir.write("config", &config);
        dir.write(
            "accounts",
            &format!(
                "<sip:{}@{listen_host}:{port}>;regint=0;answermode={};audio_codecs=pcmu,pcma\n",
                opts.user,
                if opts.auto_answer { "auto" } else { "manual" }
            ),
        );
        dir.write("contacts", "");
        let log_file = std::fs::File::create(dir.path().join("baresip.log")).expect("log file");
        let child = Command::new("baresip")
            .arg("-f")
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log"))
            .stderr(log_file)
            .spawn()
            .expect("start baresip (apt-get install baresip-core)");
        let deadline = Instant::now() + Duration::from_secs(10);
        let ctrl = loop {
            if let Ok(s) = TcpStream::connect(("127.0.0.1", ctrl_port)) {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "baresip control port did not open"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut reader = ctrl.try_clone().expect("ctrl clone");
        let (tx, rx) = channel();
        let log = EventLog::default();
        let log2 = log.clone();
        std::thread::spawn(move || {
            while let Some(v) = read_netstring(&mut reader) {
                log2.push(v.clone());
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Baresip {
            child,
            ctrl,
            rx,
            backlog: Mutex::default(),
            log,
            dir,
            port,
            name: format!("baresip {}@{port}", opts.user),
        }
    }

    /// Sends a control command (`dial`, `hangup`, `sndcode`, `accept`, `ausrc`, ...).
    pub fn command(&mut self, command: &str, params: &str) {
        let msg = json!({"command": command, "params": params, "token": "t"});
        self.ctrl
            .write_all(&netstring(&msg))
            .expect("baresip ctrl write");
    }

    /// Waits for an event of type `kind` (e.g. "CALL_ESTABLISHED", "CALL_CLOSED").
    pub fn wait_event(&self, kind: &str, timeout: Duration) -> Value {
        self.wait_for(timeout, |v| v["event"] == true && v["type"] == kind)
    }

    /// Waits for any message matching `pred`.
    pub fn wait_for(&self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        wait_on(
            &self.rx,
            &self.backlog,
            &self.log,
            &self.name,
            timeout,
            pred,
        )
    }

    /// The WAV files of what this phone heard (`dump-*-dec.wav`).
    pub fn heard_recordings(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("rec"))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        v.retain(|p| p.to_string_lossy().ends_with("-dec.wav"));
        v.sort();
        v
    }

    /// Everything the phone reported so far, plus its log file.
    pub fn events(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("baresip.log")).unwrap_or_default();
        format!("{}\n--- log ---\n{log}", self.log.dump())
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        self.command("quit", "");
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The digest-demanding registrar and callee of `tests/peers/challenger.py`.
pub struct Challenger {
    child: Child,
    rx: Receiver<Value>,
    backlog: Mutex<VecDeque<Value>>,
    log: EventLog,
    /// Its SIP port on 127.0.0.1.
    pub port: u16,
}

impl Challenger {
    /// Starts it for `user`/`password` with `algorithm` (MD5 or SHA-256).
    pub fn start(user: &str, password: &str, algorithm: &str, expires: u32) -> Challenger {
        let port = port_block();
        let script = workspace_dir().join("tests/peers/challenger.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args([
                "--port",
                &port.to_string(),
                "--user",
                user,
                "--password",
                password,
            ])
            .args(["--algorithm", algorithm, "--expires", &expires.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start challenger.py");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        let log = EventLog::default();
        let log2 = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    log2.push(v.clone());
                    if tx.send(v).is_err() {
                        break;
                    }
                }
            }
        });
        let c = Challenger {
            child,
            rx,
            backlog: Mutex::default(),
            log,
            port,
        };
        c.wait_for(Duration::from_secs(10), |v| v["ev"] == "ready");
        c
    }

    /// Waits for an event matching `pred`.
    pub fn wait_for(&self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        wait_on(
            &self.rx,
            &self.backlog,
            &self.log,
            "challenger",
            timeout,
            pred,
        )
    }
}

impl Drop for Challenger {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
