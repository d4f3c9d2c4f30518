//! `dsmbox demo`: the whole product in under a minute, on nothing but loopback.
//!
//! It writes the shipped quizconnect bundle (scripts and prompts are built into the binary),
//! a demo callee table and SEMS-style configuration files into a temporary directory, starts
//! the appliance on them, and drives one call through it with three scripted phones built
//! from our own SIP and media cores: a caller dials 35, john and anna ring in parallel and
//! hear their prompt, anna types a wrong PIN, john the right one, caller and john are bridged
//! and hear each other's tones, the caller hangs up. Along the way it prints the call flow and,
//! from the management port (real XML-RPC over HTTP), the live states and final state graphs.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedReceiver;

use crate::Error;
use crate::config::ConfigDirs;
use crate::management::Client;
use crate::management::value::Value;
use crate::phone::{Phone, PhoneEvent, drive};
use crate::runtime::{Listening, serve_until};
use crate::setup::Setup;

const CALLER_DSM: &str =
    include_str!("../../rootfs-overlay/usr/share/dsmbox/quizconnect/quizconnect_caller.dsm");
const CALLEE_DSM: &str =
    include_str!("../../rootfs-overlay/usr/share/dsmbox/quizconnect/quizconnect_callee.dsm");
const PROMPTS: [(&str, &[u8]); 3] = [
    (
        "welcome_caller.wav",
        include_bytes!(
            "../../rootfs-overlay/usr/share/dsmbox/quizconnect/prompts/welcome_caller.wav"
        ),
    ),
    (
        "welcome_callee.wav",
        include_bytes!(
            "../../rootfs-overlay/usr/share/dsmbox/quizconnect/prompts/welcome_callee.wav"
        ),
    ),
    (
        "sorry_pin_wrong.wav",
        include_bytes!(
            "../../rootfs-overlay/usr/share/dsmbox/quizconnect/prompts/sorry_pin_wrong.wav"
        ),
    ),
];
const DSM_CONF: &str = include_str!("../../rootfs-overlay/etc/dsmbox/dsm.conf");

fn io_err(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `dir/rel`, creating directories (for generated configurations).
pub(crate) fn write_file(dir: &Path, rel: &str, bytes: &[u8]) -> Result<(), Error> {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
    }
    std::fs::write(&p, bytes).map_err(|e| io_err(&p, e))
}

/// Writes the demo configuration directory; callees are called at `outbound`.
fn write_config(dir: &Path, outbound: std::net::SocketAddr) -> Result<(), Error> {
    let w = |rel: &str, bytes: &[u8]| write_file(dir, rel, bytes);
    let d = dir.display();
    w(
        "dsmbox.conf",
        format!(
            "# dsmbox demo: everything on 127.0.0.1\nsip_ip=127.0.0.1\nsip_port=0\nrtp_low_port=42000\n\
             rtp_high_port=42999\napplication=quizconnect_caller\nloglevel=1\ndb_url=sqlite://{d}/dsmbox.db\n"
        )
        .as_bytes(),
    )?;
    w("dsm.conf", DSM_CONF.as_bytes())?;
    w(
        "xmlrpc2di.conf",
        b"xmlrpc_port=0\nserver_ip=127.0.0.1\nexport_di=yes\ndirect_export=dsm;monitoring\n",
    )?;
    w(
        "dsm/quizconnect.conf",
        format!(
            "diag_path={d}/scripts/\nload_diags=quizconnect_caller,quizconnect_callee\n\
             register_apps=quizconnect_caller,quizconnect_callee\nprompt_path={d}/prompts/\n\
             db_url=sqlite://{d}/dsmbox.db\noutbound_domain={outbound}\n"
        )
        .as_bytes(),
    )?;
    w("scripts/quizconnect_caller.dsm", CALLER_DSM.as_bytes())?;
    w("scripts/quizconnect_callee.dsm", CALLEE_DSM.as_bytes())?;
    for (name, bytes) in PROMPTS {
        w(&format!("prompts/{name}"), bytes)?;
    }
    w(
        "callees.csv",
        b"caller,callee,pin\n35,john,12345\n35,anna,54321\n",
    )?;
    Ok(())
}

/// Level of the last `ms` milliseconds of `samples`, in dBFS (-99 for silence).
fn level_dbfs(samples: &[i16], ms: usize) -> f64 {
    let n = (ms * 8).min(samples.len());
    if n == 0 {
        return -99.0;
    }
    let tail = &samples[samples.len() - n..];
    let rms = (tail.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / n as f64).sqrt();
    if rms < 1.0 {
        -99.0
    } else {
        20.0 * (rms / 32768.0).log10()
    }
}

struct Clock(Instant);

impl Clock {
    fn say(&self, who: &str, what: impl std::fmt::Display) {
        println!("{:>6.2}s  {who:<8} {what}", self.0.elapsed().as_secs_f64());
    }
}

async fn next(rx: &mut UnboundedReceiver<PhoneEvent>, what: &str) -> Result<PhoneEvent, String> {
    match tokio::time::timeout(Duration::from_secs(15), rx.recv()).await {
        Ok(Some(e)) => Ok(e),
        _ => Err(format!("timed out waiting for {what}")),
    }
}

/// The state graph of every call the monitoring store knows, as lines.
fn graphs(client: &Client) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(Value::Array(ids)) = client.call("list", &[]) else {
        return out;
    };
    for id in ids {
        let Ok(Value::Array(recs)) = client.call("get", std::slice::from_ref(&id)) else {
            continue;
        };
        let Some(Value::Struct(rec)) = recs.into_iter().next() else {
            continue;
        };
        let s = |k: &str| rec.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let graph: Vec<String> = match rec.get("dsm_stategraph") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        out.push(format!(
            "{} {} ({}, {} -> {}), now {}:",
            id.as_str().unwrap_or("?"),
            s("app"),
            s("dir"),
            s("from"),
            s("ruri"),
            s("dsm_state")
        ));
        out.push(format!("    {}", graph.join(" ")));
    }
    out
}

async fn scenario(l: Listening, clock: Rc<Clock>, parts: DemoPhones) -> Result<(), String> {
    let DemoPhones {
        caller,
        mut caller_rx,
        callees,
        mut callees_rx,
    } = parts;
    let _tasks = (drive(caller.clone()), drive(callees.clone()));
    let client = l.xmlrpc.map(|a| Client::new(&a.ip().to_string(), a.port()));
    let now = Instant::now;

    clock.say("caller", format!("dials sip:35@{}", l.sip));
    let call = caller
        .borrow_mut()
        .dial(now(), &format!("sip:35@{}", l.sip), "5")
        .ok_or("the caller could not dial")?;
    // Callees ring; the caller gets early media.
    let (mut john, mut anna) = (None, None);
    while john.is_none()
        || anna.is_none()
        || !caller.borrow().heard(call).iter().any(|s| s.abs() > 200)
    {
        tokio::select! {
            e = next(&mut caller_rx, "the caller's 183") => {
                if let PhoneEvent::Progress { status, .. } = e? {
                    clock.say("caller", format!("{status} Session Progress: early media, the welcome prompt plays"));
                }
            }
            e = next(&mut callees_rx, "the callees to ring") => {
                if let PhoneEvent::Incoming { call: c, to_user } = e? {
                    clock.say(&to_user, "rings and answers");
                    if to_user == "john" { john = Some(c) } else { anna = Some(c) }
                }
            }
            () = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
    let (Some(john), Some(anna)) = (john, anna) else {
        return Err("callees missing".into());
    };
    tokio::time::sleep(Duration::from_millis(1200)).await;
    clock.say(
        "caller",
        format!(
            "hears the welcome prompt: {:.0} dBFS",
            level_dbfs(caller.borrow().heard(call), 1000)
        ),
    );
    for (who, c) in [("john", john), ("anna", anna)] {
        clock.say(
            who,
            format!(
                "hears \"please enter your PIN\": {:.0} dBFS",
                level_dbfs(callees.borrow().heard(c), 1000)
            ),
        );
    }
    if let Some(c) = client.clone() {
        clock.say("operator", "xmlrpc getAttributeActive('dsm_state'):");
        // The client blocks; the server answers on this thread, so ask from another one.
        let answer = tokio::task::spawn_blocking(move || {
            c.call("getAttributeActive", &[Value::String("dsm_state".into())])
        })
        .await;
        if let Ok(Ok(Value::Array(pairs))) = answer {
            for p in pairs {
                if let Value::Array(kv) = p {
                    println!(
                        "                   {} {}",
                        kv[0].as_str().unwrap_or(""),
                        kv[1].as_str().unwrap_or("")
                    );
                }
            }
        }
    }
    clock.say("anna", "types 999# (wrong PIN, RFC 4733)");
    callees.borrow_mut().send_dtmf(anna, "999#");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    clock.say(
        "anna",
        format!(
            "hears \"sorry, that PIN is wrong\": {:.0} dBFS",
            level_dbfs(callees.borrow().heard(anna), 800)
        ),
    );
    clock.say("john", "types 12345 (right PIN, RFC 4733)");
    callees.borrow_mut().send_dtmf(john, "12345");
    loop {
        tokio::select! {
            e = next(&mut caller_rx, "the caller to be connected") => {
                if let PhoneEvent::Answered { .. } = e? {
                    clock.say("caller", "200 OK: connected to john in conference room <caller's tag>");
                    break;
                }
            }
            e = next(&mut callees_rx, "anna's call to end") => {
                if let PhoneEvent::Ended { call: c, .. } = e? && c == anna {
                    clock.say("anna", "BYE: someone else knew the answer");
                }
            }
        }
    }
    // Each side plays digits; the other side's in-band detector reads them.
    let tones = |d: &str| {
        let params = media::tone::DtmfParams::default();
        let mut out = Vec::new();
        for mut g in media::tone::ToneGenerator::dtmf_sequence(d, &params) {
            let mut frame = [0i16; media::FRAME_SAMPLES];
            while !g.is_finished() {
                let n = g.fill(&mut frame);
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&frame[..n]);
            }
        }
        out
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    clock.say("caller", "plays tones 4 2 into the call");
    caller.borrow_mut().play(call, &tones("42"));
    clock.say("john", "plays tones 7 * into the call");
    callees.borrow_mut().play(john, &tones("7*"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let heard_by_john = media::dtmf::detect_digits_in_pcm(callees.borrow().heard(john));
    let heard_by_caller = media::dtmf::detect_digits_in_pcm(caller.borrow().heard(call));
    clock.say(
        "john",
        format!("heard the caller's tones: {heard_by_john:?}"),
    );
    clock.say("caller", format!("heard john's tones: {heard_by_caller:?}"));
    clock.say("caller", "hangs up (BYE)");
    caller.borrow_mut().hangup(now(), call);
    loop {
        if let PhoneEvent::Ended { call: c, .. } =
            next(&mut callees_rx, "john's call to end").await?
            && c == john
        {
            clock.say("john", "BYE: the caller hung up, so john's leg ends too");
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    if let Some(c) = client {
        println!(
            "\nFinal DSM state graphs (monitoring over XML-RPC, monitoring_full_stategraph=yes):"
        );
        for line in tokio::task::spawn_blocking(move || graphs(&c))
            .await
            .unwrap_or_default()
        {
            println!("  {line}");
        }
    }
    if !heard_by_john.contains("42") || !heard_by_caller.contains("7*") {
        return Err("the bridged audio did not carry the tones".into());
    }
    Ok(())
}

struct DemoPhones {
    caller: Rc<RefCell<Phone>>,
    caller_rx: UnboundedReceiver<PhoneEvent>,
    callees: Rc<RefCell<Phone>>,
    callees_rx: UnboundedReceiver<PhoneEvent>,
}

/// Runs the demo; `Ok(true)` when the call went as it should.
pub fn run() -> Result<bool, Error> {
    let dir: PathBuf = std::env::temp_dir().join(format!("dsmbox-demo-{}", std::process::id()));
    let seed = u64::from(std::process::id());
    let (caller, caller_rx) = Phone::new("caller", seed).map_err(|e| io_err(&dir, e))?;
    let (mut callees, callees_rx) =
        Phone::new("callees", seed ^ 0x55).map_err(|e| io_err(&dir, e))?;
    callees.auto_answer = true;
    callees.record = true;
    let mut caller = caller;
    caller.record = true;
    write_config(&dir, callees.sip_addr())?;
    let dirs = ConfigDirs::new(Some(&dir), None);
    let setup = Setup::load(&dirs, &dsm::ModuleRegistry::new()).map_err(Error::Config)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| io_err(&dir, e))?;
    let local = tokio::task::LocalSet::new();
    let clock = Rc::new(Clock(Instant::now()));
    let outcome = Rc::new(RefCell::new(Err::<(), String>(
        "the demo did not run".into(),
    )));
    let parts = DemoPhones {
        caller: Rc::new(RefCell::new(caller)),
        caller_rx,
        callees: Rc::new(RefCell::new(callees)),
        callees_rx,
    };
    let result = {
        let clock = clock.clone();
        let outcome = outcome.clone();
        local.block_on(
            &rt,
            serve_until(
                setup,
                |l| {
                    println!(
                        "dsmbox {} listening: sip udp {}",
                        env!("CARGO_PKG_VERSION"),
                        l.sip
                    );
                    if let Some(x) = l.xmlrpc {
                        println!(
                            "dsmbox management: xmlrpc http://{x}/ (dsm and monitoring exported)"
                        );
                    }
                    println!(
                        "demo configuration: {} (quizconnect bundle, callees 35 -> john, anna)\n",
                        dir.display()
                    );
                },
                move |l| async move {
                    *outcome.borrow_mut() = scenario(l, clock, parts).await;
                },
            ),
        )
    };
    let _ = std::fs::remove_dir_all(&dir);
    result?;
    match &*outcome.borrow() {
        Ok(()) => {
            println!(
                "\ndemo call completed in {:.1} s",
                clock.0.elapsed().as_secs_f64()
            );
            Ok(true)
        }
        Err(e) => {
            println!("\ndemo FAILED: {e}");
            Ok(false)
        }
    }
}
