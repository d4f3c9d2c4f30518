//! `dsmbox load`: a load generator of our own, so installers can size their boards.
//!
//! It starts a dsmbox (this binary, `run`, as a child process, so its CPU time and memory
//! are measured alone from `/proc/<pid>`) on a quizconnect configuration, and drives it with
//! scripted phones built from our own cores:
//!
//! 1. **Concurrent quizconnect calls** at each level asked for (default 50, 100, 200): every
//!    call is a caller dialling 35, dsmbox looking the number up in SQLite and dialling the
//!    one callee listed, the callee typing its PIN, the two being bridged in a conference —
//!    RTP both ways on both legs, in-band DTMF detection on (the default). With all calls up,
//!    dsmbox's CPU share and resident memory are sampled over a hold period.
//! 2. **Short calls**: answer-and-hang-up calls to a script that only answers (SEMS's
//!    automatic 200), offered at increasing rates; completed calls per second and CPU seconds
//!    per 1000 calls are reported.
//!
//! The SEMS 2.1 figures from the same kind of machine are printed beside ours.

use std::cell::RefCell;
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::Error;
use crate::phone::{Phone, PhoneEvent, drive};

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Concurrent call levels.
    pub levels: Vec<usize>,
    /// Seconds to hold each level while measuring.
    pub hold_secs: u64,
    /// Offered rates (calls per second) for the short-call test.
    pub rates: Vec<u32>,
    /// Seconds per offered rate.
    pub rate_secs: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            levels: vec![50, 100, 200],
            hold_secs: 10,
            rates: vec![50, 100, 200, 400],
            rate_secs: 5,
        }
    }
}

const CALLER_DSM: &str =
    include_str!("../../rootfs-overlay/usr/share/dsmbox/quizconnect/quizconnect_caller.dsm");
const CALLEE_DSM: &str =
    include_str!("../../rootfs-overlay/usr/share/dsmbox/quizconnect/quizconnect_callee.dsm");
const ANSWER_DSM: &str = "import(mod_dlg);\ninitial state START;\n\
transition \"bye\" START - hangup / stop(false) -> END;\nstate END;\n";
/// SEMS's own benchmark shape: answer, play a prompt in a loop, RTP both ways, one leg.
const PLAY_DSM: &str = "import(mod_dlg);\ninitial state START;\n\
transition \"play\" START - sessionStart / playFile($config.prompt, true) -> PLAY;\n\
state PLAY;\ntransition \"bye\" PLAY - hangup / stop(false) -> END;\nstate END;\n";
const PROMPT: &[u8] =
    include_bytes!("../../rootfs-overlay/usr/share/dsmbox/quizconnect/prompts/welcome_callee.wav");

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source: e,
    }
}

fn write_config(dir: &Path, callee_phone: SocketAddr) -> Result<(), Error> {
    let w = |rel: &str, bytes: &[u8]| crate::demo::write_file(dir, rel, bytes);
    let d = dir.display();
    w(
        "dsmbox.conf",
        format!(
            "sip_ip=127.0.0.1\nsip_port=0\nrtp_low_port=20000\nrtp_high_port=29999\n\
             application=$(ruri.user)\nloglevel=1\ndb_url=sqlite://{d}/dsmbox.db\n"
        )
        .as_bytes(),
    )?;
    w(
        "dsm.conf",
        b"conf_dir=dsm\nmonitoring_full_stategraph=yes\nmonitoring_full_transitions=yes\n",
    )?;
    w("xmlrpc2di.conf", b"run_server=no\n")?;
    w(
        "monitoring.conf",
        b"run_garbage_collector=yes\ngarbage_collector_interval=1\n",
    )?;
    w(
        "dsm/quizconnect.conf",
        format!(
            "diag_path={d}/scripts/\nload_diags=quizconnect_caller,quizconnect_callee\n\
             register_apps=quizconnect_caller,quizconnect_callee\nprompt_path={d}/prompts/\n\
             db_url=sqlite://{d}/dsmbox.db\noutbound_domain={callee_phone}\n"
        )
        .as_bytes(),
    )?;
    w(
        "dsm/answer.conf",
        format!("diag_path={d}/scripts/\nload_diags=answer\nregister_apps=answer\n").as_bytes(),
    )?;
    w("scripts/quizconnect_caller.dsm", CALLER_DSM.as_bytes())?;
    w("scripts/quizconnect_callee.dsm", CALLEE_DSM.as_bytes())?;
    w("scripts/answer.dsm", ANSWER_DSM.as_bytes())?;
    w("scripts/play.dsm", PLAY_DSM.as_bytes())?;
    w(
        "dsm/play.conf",
        format!("diag_path={d}/scripts/\nload_diags=play\nregister_apps=play\nprompt={d}/prompts/welcome_callee.wav\n").as_bytes(),
    )?;
    // Both prompts the same short file: the load is in the media path, not in the words.
    for name in [
        "welcome_caller.wav",
        "welcome_callee.wav",
        "sorry_pin_wrong.wav",
    ] {
        w(&format!("prompts/{name}"), PROMPT)?;
    }
    w(
        "callees.csv",
        b"caller,callee,pin\nquizconnect_caller,agent,1\n",
    )?;
    Ok(())
}

/// CPU time (user + system, seconds) and resident memory (kB) of a process.
fn sample(pid: u32) -> Option<(f64, u64)> {
    sample_split(pid).map(|(u, s, rss)| (u + s, rss))
}

/// Private (anonymous) resident memory of a process, kB.
fn anon_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("RssAnon:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// User and system CPU time (seconds) and resident memory (kB) of a process.
fn sample_split(pid: u32) -> Option<(f64, f64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())?;
    // USER_HZ is 100 on every Linux architecture dsmbox targets.
    Some((utime / 100.0, stime / 100.0, rss))
}

struct Appliance {
    child: Child,
    sip: SocketAddr,
}

impl Drop for Appliance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_appliance(dir: &Path) -> Result<Appliance, Error> {
    let exe = std::env::current_exe().map_err(|e| io(dir, e))?;
    let mut child = Command::new(exe)
        .args(["run", "--config"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| io(dir, e))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| Error::Usage("no stdout".into()))?;
    let mut lines = BufReader::new(stdout).lines();
    loop {
        let line = lines
            .next()
            .and_then(Result::ok)
            .ok_or_else(|| Error::Usage("the appliance did not start".into()))?;
        if let Some(addr) = line.split("listening: sip udp ").nth(1) {
            let sip = addr
                .trim()
                .parse()
                .map_err(|_| Error::Usage(format!("bad listening line: {line}")))?;
            // Keep draining stdout so the child never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            return Ok(Appliance { child, sip });
        }
    }
}

/// One row of the concurrent-call table.
#[derive(Debug, Clone)]
pub struct LevelResult {
    /// Calls asked for.
    pub calls: usize,
    /// Calls that were up (bridged) when measuring.
    pub up: usize,
    /// dsmbox's share of one core over the hold period, in percent.
    pub cpu_percent: f64,
    /// The part of `cpu_percent` spent in the kernel (UDP send and receive, mostly).
    pub kernel_percent: f64,
    /// Of the 20 ms frames the callers played during the hold, the share concealed because
    /// dsmbox's audio came late or not at all (its punctuality under this load).
    pub concealed_percent: f64,
    /// The load generator's own CPU share: near 100 % it, not dsmbox, is the bottleneck.
    pub generator_percent: f64,
    /// dsmbox's resident memory with all calls up, in MB.
    pub rss_mb: f64,
}

/// One row of the short-call table.
#[derive(Debug, Clone)]
pub struct RateResult {
    /// Calls per second offered.
    pub offered: u32,
    /// Calls answered per second.
    pub completed_per_s: f64,
    /// Calls that failed or timed out.
    pub failed: usize,
    /// dsmbox CPU seconds per 1000 calls.
    pub cpu_s_per_1000: f64,
}

async fn concurrent(
    app: &str,
    sip: SocketAddr,
    pid: u32,
    level: usize,
    hold: Duration,
    caller: &Rc<RefCell<Phone>>,
    crx: &mut tokio::sync::mpsc::UnboundedReceiver<PhoneEvent>,
) -> LevelResult {
    let mut calls = HashSet::new();
    // Ramp at about 100 calls/s so the level, not the ramp, is measured.
    for i in 0..level {
        if let Some(c) = caller.borrow_mut().dial(
            Instant::now(),
            &format!("sip:{app}@{sip}"),
            &format!("load{i}"),
        ) {
            calls.insert(c);
        }
        if i % 10 == 9 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let mut up = HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while up.len() < calls.len() && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(5), crx.recv()).await {
            Ok(Some(PhoneEvent::Answered { call })) => {
                up.insert(call);
            }
            Ok(Some(PhoneEvent::Ended { call, .. })) => {
                calls.remove(&call);
            }
            Ok(Some(_)) => {}
            _ => break,
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let t0 = Instant::now();
    let s0 = sample_split(pid);
    let g0 = sample(std::process::id());
    let (played0, concealed0) = caller.borrow().frames_played_and_concealed();
    tokio::time::sleep(hold).await;
    let s1 = sample_split(pid);
    let g1 = sample(std::process::id());
    let (played1, concealed1) = caller.borrow().frames_played_and_concealed();
    let played = played1.saturating_sub(played0);
    let concealed_percent = if played > 0 {
        concealed1.saturating_sub(concealed0) as f64 / played as f64 * 100.0
    } else {
        f64::NAN
    };
    let wall = t0.elapsed().as_secs_f64();
    let (cpu_percent, kernel_percent, rss_mb) = match (s0, s1) {
        (Some((u0, k0, _)), Some((u1, k1, rss))) => (
            (u1 + k1 - u0 - k0) / wall * 100.0,
            (k1 - k0) / wall * 100.0,
            rss as f64 / 1024.0,
        ),
        _ => (f64::NAN, f64::NAN, f64::NAN),
    };
    let generator_percent = match (g0, g1) {
        (Some((c0, _)), Some((c1, _))) => (c1 - c0) / wall * 100.0,
        _ => f64::NAN,
    };
    for c in &calls {
        caller.borrow_mut().hangup(Instant::now(), *c);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut ended = 0;
    while ended < calls.len() && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(5), crx.recv()).await {
            Ok(Some(PhoneEvent::Ended { .. })) => ended += 1,
            Ok(Some(_)) => {}
            _ => break,
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    LevelResult {
        calls: level,
        up: up.len(),
        cpu_percent,
        kernel_percent,
        concealed_percent,
        generator_percent,
        rss_mb,
    }
}

async fn short_calls(
    sip: SocketAddr,
    pid: u32,
    rate: u32,
    secs: u64,
    caller: &Rc<RefCell<Phone>>,
    crx: &mut tokio::sync::mpsc::UnboundedReceiver<PhoneEvent>,
) -> RateResult {
    let total = (u64::from(rate) * secs) as usize;
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let s0 = sample(pid);
    let t0 = Instant::now();
    let mut pending = HashSet::new();
    let mut answered = 0usize;
    let mut failed = 0usize;
    let mut next = Instant::now();
    let mut sent = 0usize;
    while sent < total || !pending.is_empty() {
        if sent < total && Instant::now() >= next {
            if let Some(c) =
                caller
                    .borrow_mut()
                    .dial(Instant::now(), &format!("sip:answer@{sip}"), "short")
            {
                pending.insert(c);
            } else {
                failed += 1;
            }
            sent += 1;
            next += interval;
            continue;
        }
        let wait = if sent < total {
            next.saturating_duration_since(Instant::now())
        } else {
            Duration::from_secs(5)
        };
        match tokio::time::timeout(wait, crx.recv()).await {
            Ok(Some(PhoneEvent::Answered { call })) => {
                if pending.contains(&call) {
                    answered += 1;
                    caller.borrow_mut().hangup(Instant::now(), call);
                }
            }
            Ok(Some(PhoneEvent::Ended { call, status })) => {
                if pending.remove(&call) && status >= 300 {
                    failed += 1;
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) if sent >= total => {
                failed += pending.len();
                break;
            }
            Err(_) => {}
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = match (s0, sample(pid)) {
        (Some((a, _)), Some((b, _))) => b - a,
        _ => f64::NAN,
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    RateResult {
        offered: rate,
        completed_per_s: answered as f64 / wall,
        failed,
        cpu_s_per_1000: if answered > 0 {
            cpu / answered as f64 * 1000.0
        } else {
            f64::NAN
        },
    }
}

/// Runs the load test and prints the tables; `Ok(true)` when every call level came up.
pub fn run(opts: &LoadOptions) -> Result<bool, Error> {
    let dir: PathBuf = std::env::temp_dir().join(format!("dsmbox-load-{}", std::process::id()));
    let seed = u64::from(std::process::id()) << 8;
    let (caller, mut crx) = Phone::new("load-caller", seed).map_err(|e| io(&dir, e))?;
    let (mut callee, mut erx) =
        Phone::new("load-callee", seed ^ 0xABCD).map_err(|e| io(&dir, e))?;
    callee.auto_answer = true;
    write_config(&dir, callee.sip_addr())?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| io(&dir, e))?;
    let local = tokio::task::LocalSet::new();
    let caller = Rc::new(RefCell::new(caller));
    let callee = Rc::new(RefCell::new(callee));
    // Each kind of load gets a fresh appliance, so its memory figure is its own.
    let run_result: Result<_, Error> = local.block_on(&rt, async {
        let _t = (drive(caller.clone()), drive(callee.clone()));
        // The callee types its PIN (1) by RFC 4733 once the prompt plays.
        let c2 = callee.clone();
        tokio::task::spawn_local(async move {
            while let Some(ev) = erx.recv().await {
                if let PhoneEvent::Incoming { call, .. } = ev {
                    let c3 = c2.clone();
                    tokio::task::spawn_local(async move {
                        tokio::time::sleep(Duration::from_millis(400)).await;
                        c3.borrow_mut().send_dtmf(call, "1");
                    });
                }
            }
        });
        let mut idle = None;
        let mut levels = Vec::new();
        for (name, kind) in [("quizconnect_caller", "quizconnect"), ("play", "answer+play")] {
            let app = start_appliance(&dir)?;
            let pid = app.child.id();
            idle = idle.or_else(|| Some((sample(pid)?.1, anon_kb(pid)?)));
            for &level in &opts.levels {
                let r = concurrent(name, app.sip, pid, level, Duration::from_secs(opts.hold_secs), &caller, &mut crx).await;
                println!(
                    "{kind:>12} {:>4}: {:>4} up, dsmbox CPU {:>6.1} % of one core ({:.1} % in the kernel), RSS {:>6.1} MB, frames concealed at the callers {:.2} % (generator CPU {:.0} %)",
                    r.calls, r.up, r.cpu_percent, r.kernel_percent, r.rss_mb, r.concealed_percent, r.generator_percent
                );
                levels.push((kind, r));
            }
        }
        let app = start_appliance(&dir)?;
        let pid = app.child.id();
        let mut rates = Vec::new();
        for &rate in &opts.rates {
            let r = short_calls(app.sip, pid, rate, opts.rate_secs, &caller, &mut crx).await;
            println!(
                "short calls offered {:>4}/s: {:>6.1} completed/s, {:>4} failed, {:>5.2} CPU-s per 1000 calls",
                r.offered, r.completed_per_s, r.failed, r.cpu_s_per_1000
            );
            rates.push(r);
        }
        Ok((levels, rates, idle))
    });
    let _ = std::fs::remove_dir_all(&dir);
    let (levels, rates, idle) = run_result?;
    let (idle_mb, idle_anon_mb) = idle.map_or((f64::NAN, f64::NAN), |(rss, anon)| {
        (rss as f64 / 1024.0, anon as f64 / 1024.0)
    });
    println!(
        "\ndsmbox {} load test ({} cores)\n",
        env!("CARGO_PKG_VERSION"),
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    println!(
        "Concurrent calls with RTP both ways and in-band DTMF detection on. quizconnect: two legs per"
    );
    println!(
        "call (caller and callee) bridged in a conference; answer+play: one leg playing a prompt,"
    );
    println!("the shape of SEMS's own benchmark, which its figures describe.\n");
    println!(
        "| calls | kind | up | dsmbox CPU (% of one core) | of which kernel | per call | RSS (MB) | frames concealed at the callers | SEMS 2.1, quoted: CPU / RSS (ratio SEMS/ours) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (kind, r) in &levels {
        let sems_cpu = r.calls as f64 * 0.1;
        let sems_rss = 10.0 + 0.45 * r.calls as f64;
        println!(
            "| {} | {kind} | {} | {:.1} % | {:.1} % | {:.3} % | {:.1} | {:.2} % | ~{:.0} % / ~{:.0} MB ({:.1}x / {:.1}x) |",
            r.calls,
            r.up,
            r.cpu_percent,
            r.kernel_percent,
            r.cpu_percent / r.calls as f64,
            r.rss_mb,
            r.concealed_percent,
            sems_cpu,
            sems_rss,
            sems_cpu / r.cpu_percent,
            sems_rss / r.rss_mb
        );
    }
    println!(
        "\nidle RSS after start-up: {idle_mb:.1} MB (SEMS 2.1: about 10 MB), of which private \
         (anonymous) {idle_anon_mb:.1} MB; the rest is the binary's and libc's pages, shared \
         and clean\n"
    );
    println!(
        "| short answer-and-hang-up calls offered | completed per s | failed | dsmbox CPU-s per 1000 calls (SEMS 2.1: 1.3-1.9) |"
    );
    println!("|---|---|---|---|");
    for r in &rates {
        println!(
            "| {}/s | {:.1} | {} | {:.2} |",
            r.offered, r.completed_per_s, r.failed, r.cpu_s_per_1000
        );
    }
    Ok(levels.iter().all(|(_, r)| r.up == r.calls))
}
