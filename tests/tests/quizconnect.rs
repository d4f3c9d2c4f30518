//! quizconnect end to end: the real dsmbox binary with the shipped scripts (only addresses,
//! ports and the database file changed), a real SQLite file, and real phones (pjsua2, and
//! baresip as a caller) on loopback.
//!
//! The callees are one pjsua2 phone that receives every callee call (the scripts send all of
//! them to one `outbound_domain`); each call is told apart by its To user.

use std::time::{Duration, Instant};

use e2e::audio::{detect_dtmf, dtmf, read_wav, write_wav};
use e2e::peers::{Baresip, BaresipOptions, Pjsua, PjsuaOptions, port_block};
use e2e::quiz::QuizConfig;
use e2e::{TempDir, rms, xmlrpc};

const T: Duration = Duration::from_secs(20);
const TABLE: &str = "caller,callee,pin\n35,john,12345\n35,anna,54321\n36,bob,1\n";

struct Setup {
    dir: TempDir,
    callees: Pjsua,
    cfg: QuizConfig,
    xmlrpc_port: u16,
}

fn setup(tag: &str, auto_answer: u16, table: &str) -> Setup {
    let dir = TempDir::new(tag);
    let callees = Pjsua::start(PjsuaOptions {
        user: "callees".into(),
        auto_answer,
        record: Some(dir.path().join("callee-{n}.wav")),
        ..Default::default()
    });
    let xmlrpc_port = port_block();
    let cfg = QuizConfig::new(
        tag,
        &format!("127.0.0.1:{}", callees.port),
        port_block(),
        xmlrpc_port,
        table,
    );
    Setup {
        dir,
        callees,
        cfg,
        xmlrpc_port,
    }
}

/// [`Setup`] without the configuration (which the appliance keeps using from its files).
struct Parts {
    dir: TempDir,
    callees: Pjsua,
    xmlrpc_port: u16,
}

fn caller(dir: &TempDir) -> Pjsua {
    Pjsua::start(PjsuaOptions {
        user: "5".into(),
        record: Some(dir.path().join("caller-{n}.wav")),
        ..Default::default()
    })
}

/// Waits for the `incoming` events of `n` callee calls; returns (call number, To user).
fn ringing_callees(callees: &Pjsua, n: usize) -> Vec<(i64, String)> {
    (0..n)
        .map(|_| {
            let v = callees.wait_for(T, |v| v["ev"] == "incoming");
            let to = v["to"].as_str().unwrap_or_default();
            let user = to.split(['@', ':']).nth(1).unwrap_or_default().to_string();
            (v["call"].as_i64().unwrap_or(-1), user)
        })
        .collect()
}

fn call_of(calls: &[(i64, String)], user: &str) -> i64 {
    calls
        .iter()
        .find(|(_, u)| u == user)
        .map(|(c, _)| *c)
        .unwrap_or_else(|| panic!("no call to {user}: {calls:?}"))
}

/// The dsm_state of every live call, from the management port (Python's xmlrpc.client).
fn states(port: u16) -> Vec<(String, String)> {
    let v = xmlrpc(port, "getAttributeActive", "'dsm_state'");
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap_or("").to_string(),
                        p[1].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + T;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn early_media_parallel_callees_wrong_then_right_pin_bridge_and_bye_from_caller() {
    let s = setup("qc-happy", 200, TABLE);
    let Setup {
        dir,
        callees,
        cfg,
        xmlrpc_port,
    } = s;
    let mut s = Parts {
        dir,
        callees,
        xmlrpc_port,
    };
    let app = cfg.start();
    let mut caller = caller(&s.dir);
    caller.call(&format!("sip:35@{}", app.sip_addr));
    // 183 with SDP: the welcome prompt as early media.
    caller.wait_for(T, |v| v["ev"] == "state" && v["code"] == 183);
    caller.wait_for(T, |v| v["ev"] == "media");
    let calls = ringing_callees(&s.callees, 2);
    let (john, anna) = (call_of(&calls, "john"), call_of(&calls, "anna"));
    for c in [john, anna] {
        s.callees
            .wait_for(T, |v| v["ev"] == "media" && v["call"] == c);
    }
    // Monitoring shows the tutorial's picture: one caller waiting, two callees entering PINs.
    wait_until("WAIT_CALLEE and 2 x ENTER_PIN", || {
        let st = states(s.xmlrpc_port);
        st.iter().filter(|(_, s)| s == "ENTER_PIN").count() == 2
            && st.iter().any(|(_, s)| s == "WAIT_CALLEE")
    });
    std::thread::sleep(Duration::from_millis(1500));
    // anna types a wrong PIN and submits it with '#': she hears the sorry prompt.
    s.callees.send_dtmf_to(anna, "999#", "rfc2833");
    std::thread::sleep(Duration::from_millis(2500));
    // john types the right one: bridged; anna's call is ended.
    s.callees.send_dtmf_to(john, "12345", "rfc2833");
    caller.wait_for(T, |v| v["ev"] == "state" && v["state"] == "CONFIRMED");
    s.callees
        .wait_for(T, |v| v["ev"] == "disconnected" && v["call"] == anna);
    // Audio through the bridge, both ways: each side plays digits, the other hears them.
    let to_callee = s.dir.path().join("from-caller.wav");
    write_wav(&to_callee, &dtmf("159", 100, 100, 200));
    let to_caller = s.dir.path().join("from-callee.wav");
    write_wav(&to_caller, &dtmf("3A7", 100, 100, 200));
    std::thread::sleep(Duration::from_millis(500));
    caller.play(&to_callee);
    s.callees.play_to(john, &to_caller);
    std::thread::sleep(Duration::from_millis(2000));
    // BYE from the caller ends john's call too.
    caller.hangup();
    s.callees
        .wait_for(T, |v| v["ev"] == "disconnected" && v["call"] == john);
    wait_until("no live calls", || states(s.xmlrpc_port).is_empty());
    // The phones write their recordings out when they quit.
    drop(caller);
    drop(s.callees);
    let _ = app.terminate();

    let (rate, heard_by_caller) = read_wav(&s.dir.path().join("caller-0.wav"));
    assert_eq!(rate, 8000);
    assert!(
        rms(&heard_by_caller, 200, 2500) > 300.0,
        "the caller heard no welcome prompt"
    );
    assert!(
        detect_dtmf(&heard_by_caller, rate).contains("3A7"),
        "caller did not hear the callee's tones"
    );
    let (_, heard_by_john) = read_wav(&s.dir.path().join(format!("callee-{john}.wav")));
    assert!(
        rms(&heard_by_john, 200, 1500) > 300.0,
        "john heard no prompt"
    );
    assert!(
        detect_dtmf(&heard_by_john, rate).contains("159"),
        "john did not hear the caller's tones"
    );
    let (_, heard_by_anna) = read_wav(&s.dir.path().join(format!("callee-{anna}.wav")));
    // Her first key cut the welcome prompt; the speech at the end of her call is the sorry
    // prompt after her wrong PIN.
    let total_ms = heard_by_anna.len() / 8;
    assert!(
        total_ms > 3000,
        "anna's recording is too short: {total_ms} ms"
    );
    let tail = rms(
        &heard_by_anna,
        total_ms.saturating_sub(2200),
        total_ms.saturating_sub(200),
    );
    assert!(
        tail > 300.0,
        "anna did not hear the sorry prompt after her wrong PIN (rms {tail})"
    );
}

#[test]
fn inband_pin_from_a_wav_and_bye_from_the_callee() {
    let mut s = setup("qc-inband", 200, TABLE);
    let app = s.cfg.start();
    let mut caller = caller(&s.dir);
    caller.call(&format!("sip:35@{}", app.sip_addr));
    let calls = ringing_callees(&s.callees, 2);
    let john = call_of(&calls, "john");
    s.callees
        .wait_for(T, |v| v["ev"] == "media" && v["call"] == john);
    std::thread::sleep(Duration::from_millis(800));
    let pin = s.dir.path().join("pin.wav");
    write_wav(&pin, &dtmf("12345", 120, 120, 100));
    s.callees.play_to(john, &pin);
    caller.wait_for(T, |v| v["ev"] == "state" && v["state"] == "CONFIRMED");
    std::thread::sleep(Duration::from_millis(500));
    s.callees.hangup_call(john);
    let ev = caller.wait_for(T, |v| v["ev"] == "disconnected");
    assert_eq!(ev["code"], 200, "{}", caller.events());
    let _ = app.terminate();
}

#[test]
fn caller_cancel_while_callees_ring_cancels_every_callee() {
    let s = setup("qc-cancel", 0, TABLE);
    let app = s.cfg.start();
    let mut caller = caller(&s.dir);
    caller.call(&format!("sip:35@{}", app.sip_addr));
    let calls = ringing_callees(&s.callees, 2);
    caller.wait_for(T, |v| v["ev"] == "state" && v["code"] == 183);
    caller.hangup();
    let ev = caller.wait_for(T, |v| v["ev"] == "disconnected");
    assert_eq!(ev["code"], 487, "{}", caller.events());
    for (c, _) in calls {
        let ev = s
            .callees
            .wait_for(T, |v| v["ev"] == "disconnected" && v["call"] == c);
        assert_eq!(ev["code"], 487, "{}", s.callees.events());
    }
    wait_until("no live calls", || states(s.xmlrpc_port).is_empty());
    let _ = app.terminate();
}

fn expect_final(s: &Setup, user: &str, code: u16) {
    let app = s.cfg.start();
    let mut caller = caller(&s.dir);
    caller.call(&format!("sip:{user}@{}", app.sip_addr));
    let ev = caller.wait_for(T, |v| v["ev"] == "disconnected");
    assert_eq!(ev["code"], code, "{user}: {}", caller.events());
    let _ = app.terminate();
}

#[test]
fn zero_rows_gets_404_and_sql_in_the_user_part_reaches_no_callee() {
    let s = setup("qc-404", 200, TABLE);
    expect_final(&s, "99", 404);
    // Pasted into the tutorial's SQL this user part would select every row; bound as a
    // parameter it matches none.
    for evil in [
        "35/**/OR/**/1=1",
        "35%27%20OR%20%271%27=%271",
        "35%3BDELETE%20FROM%20callees%3B--",
    ] {
        expect_final(&s, evil, 404);
    }
    // And the table is intact.
    let out = std::process::Command::new(e2e::dsmbox_bin())
        .args([
            "callees",
            "export",
            "--db",
            &format!("sqlite://{}", s.cfg.db_path.display()),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 4);
}

#[test]
fn missing_prompt_gets_500() {
    let s = setup("qc-noprompt", 200, TABLE);
    s.cfg.set_bundle_key("prompt_path", "/nonexistent/prompts/");
    expect_final(&s, "35", 500);
}

#[test]
fn unreadable_database_gets_500() {
    let s = setup("qc-nodb", 200, TABLE);
    let junk = s.dir.path().join("junk.db");
    std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
    s.cfg
        .set_bundle_key("db_url", &format!("sqlite://{}", junk.display()));
    expect_final(&s, "35", 500);
}

#[test]
fn baresip_as_the_caller() {
    let mut s = setup("qc-baresip", 200, "caller,callee,pin\n36,bob,1\n");
    let app = s.cfg.start();
    let mut bs = Baresip::start(BaresipOptions::silent_caller("bee", s.dir.path(), 30));
    bs.command("dial", &format!("sip:36@{}", app.sip_addr));
    let calls = ringing_callees(&s.callees, 1);
    s.callees
        .wait_for(T, |v| v["ev"] == "media" && v["call"] == calls[0].0);
    std::thread::sleep(Duration::from_millis(500));
    s.callees.send_dtmf_to(calls[0].0, "1", "info");
    bs.wait_event("CALL_ESTABLISHED", T);
    bs.command("hangup", "");
    s.callees.wait_for(T, |v| v["ev"] == "disconnected");
    let _ = app.terminate();
}
