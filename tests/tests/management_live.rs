//! The management port against live quizconnect calls: the seed's two Python scripts,
//! `dsmbox ctl`, hot reload that refuses a bad script without disturbing calls, and abuse of
//! the port while a call is running.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use e2e::peers::{Pjsua, PjsuaOptions, port_block};
use e2e::quiz::QuizConfig;
use e2e::{TempDir, dsmbox_bin, xmlrpc};

const T: Duration = Duration::from_secs(20);
const TABLE: &str = "caller,callee,pin\n35,john,12345\n35,anna,54321\n";

fn seed_script(port: u16, script: &str, args: &[&str]) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../firmware/tests/python");
    let out = Command::new("python3")
        .arg(dir.join("redirect_8090.py"))
        .arg(dir.join(script))
        .args(args)
        .env("DSMBOX_XMLRPC_PORT", port.to_string())
        .output()
        .expect("python3");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + T;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A quizconnect call with both callees answered and in ENTER_PIN.
struct Live {
    _dir: TempDir,
    cfg: QuizConfig,
    callees: Pjsua,
    caller: Pjsua,
    app: e2e::Appliance,
    port: u16,
    john: i64,
}

fn live(tag: &str) -> Live {
    let dir = TempDir::new(tag);
    let callees = Pjsua::start(PjsuaOptions {
        user: "callees".into(),
        auto_answer: 200,
        ..Default::default()
    });
    let port = port_block();
    let cfg = QuizConfig::new(
        tag,
        &format!("127.0.0.1:{}", callees.port),
        port_block(),
        port,
        TABLE,
    );
    let app = cfg.start();
    let mut caller = Pjsua::start(PjsuaOptions {
        user: "5".into(),
        ..Default::default()
    });
    caller.call(&format!("sip:35@{}", app.sip_addr));
    let mut john = -1;
    for _ in 0..2 {
        let v = callees.wait_for(T, |v| v["ev"] == "incoming");
        if v["to"].as_str().unwrap_or("").contains("john") {
            john = v["call"].as_i64().unwrap_or(-1);
        }
    }
    wait_until("two callees in ENTER_PIN", || {
        seed_script(port, "sems-sessions-states.py", &[])
            .matches("ENTER_PIN")
            .count()
            == 2
    });
    Live {
        _dir: dir,
        cfg,
        callees,
        caller,
        app,
        port,
        john,
    }
}

#[test]
fn seed_scripts_and_ctl_show_the_live_calls() {
    let l = live("mgmt-live");
    let out = seed_script(l.port, "sems-sessions-states.py", &[]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "calls: 3", "{out}");
    assert_eq!(lines[1], "call id state");
    let mut states: Vec<&str> = lines[2..]
        .iter()
        .filter_map(|l| l.split(' ').nth(1))
        .collect();
    states.sort();
    assert_eq!(
        states,
        vec!["ENTER_PIN", "ENTER_PIN", "WAIT_CALLEE"],
        "{out}"
    );
    let caller_id = lines[2..]
        .iter()
        .find(|l| l.ends_with("WAIT_CALLEE"))
        .and_then(|l| l.split(' ').next())
        .unwrap_or_default()
        .to_string();
    let callee_id = lines[2..]
        .iter()
        .find(|l| l.ends_with("ENTER_PIN"))
        .and_then(|l| l.split(' ').next())
        .unwrap_or_default()
        .to_string();

    let got = seed_script(l.port, "sems-get-session.py", &[&caller_id]);
    assert!(got.starts_with("calls: 3\nattrib val\n"), "{got}");
    let attr = |name: &str| {
        got.lines()
            .find(|line| line.starts_with(&format!("{name} ")))
            .map(|line| line[20..].to_string())
            .unwrap_or_else(|| panic!("no {name} in:\n{got}"))
    };
    assert_eq!(attr("dsm_state"), "WAIT_CALLEE");
    assert_eq!(attr("dsm_diag"), "quizconnect_caller");
    assert_eq!(attr("dir"), "in");
    assert_eq!(attr("app"), "quizconnect_caller");
    assert!(attr("ruri").starts_with("sip:35@127.0.0.1:"));
    let c = "quizconnect_caller";
    assert_eq!(
        attr("dsm_stategraph"),
        format!(
            "['{c}/START', '> got INVITE in caller leg >', '{c}/RUN_INVITE', '> we have results >', \
             '{c}/CREATE_CALLEE_LEGS', '> create one more >', '{c}/CREATE_CALLEE_LEGS', '> create one more >', \
             '{c}/CREATE_CALLEE_LEGS', '> done creating callee legs >', '{c}/WAIT_CALLEE']"
        )
    );
    let got_callee = seed_script(l.port, "sems-get-session.py", &[&callee_id]);
    assert!(
        got_callee.contains(
            "['quizconnect_callee/START', '> session starts in callee leg >', 'quizconnect_callee/ENTER_PIN']"
        ),
        "{got_callee}"
    );
    assert!(
        got_callee.contains("dir                 out"),
        "{got_callee}"
    );
    assert_eq!(
        seed_script(l.port, "sems-get-session.py", &["nope"]),
        "calls: 3\ncall not found\n"
    );

    // dsmbox ctl prints exactly what the Python scripts print.
    let ctl = |args: &[&str]| {
        let out = Command::new(dsmbox_bin())
            .arg("ctl")
            .args(args)
            .args(["--port", &l.port.to_string()])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let py = seed_script(l.port, "sems-sessions-states.py", &[]);
    assert_eq!(ctl(&["states"]), py);
    assert_eq!(
        ctl(&["get", &caller_id]),
        seed_script(l.port, "sems-get-session.py", &[&caller_id])
    );
    assert_eq!(ctl(&["calls"]).trim(), "calls: 3");
    drop(l);
}

#[test]
fn a_bad_reload_changes_nothing_and_a_good_one_serves_new_calls() {
    let mut l = live("mgmt-reload");
    let scripts = l.cfg.dir.path().join("scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    let ov = e2e::quiz::overlay().join("usr/share/dsmbox/quizconnect");
    for f in ["quizconnect_caller.dsm", "quizconnect_callee.dsm"] {
        std::fs::copy(ov.join(f), scripts.join(f)).unwrap();
    }
    let conf = l.cfg.dir.path().join("dsm/quizconnect.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    let text: String = text
        .lines()
        .map(|line| {
            if line.starts_with("diag_path=") {
                format!("diag_path={}/", scripts.display())
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&conf, text).unwrap();
    // A typo in the callee script.
    let callee = scripts.join("quizconnect_callee.dsm");
    let good = std::fs::read_to_string(&callee).unwrap();
    std::fs::write(&callee, good.replace("stop(true)", "stpo(true)")).unwrap();
    let conf_arg = format!("'{}', 'quizconnect.conf'", conf.display());
    let r = xmlrpc(l.port, "loadConfig", &conf_arg);
    assert_eq!(r[0], 500, "{r}");
    let msg = r[1].as_str().unwrap_or_default();
    assert!(
        msg.contains(&format!("{}:", callee.display())) && msg.contains("stpo"),
        "{msg}"
    );
    let r = xmlrpc(l.port, "reloadDSMs", "");
    assert_eq!(r[0], 500, "{r}");
    // The running call is untouched: john's PIN still connects.
    let john = l.john;
    l.callees.send_dtmf_to(john, "12345", "rfc2833");
    l.caller
        .wait_for(T, |v| v["ev"] == "state" && v["state"] == "CONFIRMED");
    l.caller.hangup();
    l.callees
        .wait_for(T, |v| v["ev"] == "disconnected" && v["call"] == john);
    // Fixed: the reload is accepted.
    std::fs::write(&callee, &good).unwrap();
    let r = xmlrpc(l.port, "loadConfig", &conf_arg);
    assert_eq!(r, serde_json::json!([200, "OK"]));
    let r = xmlrpc(l.port, "reloadDSMs", "");
    assert_eq!(r, serde_json::json!([200, "DSMs reloaded"]));
    drop(l);
}

#[test]
fn abuse_of_the_management_port_does_not_disturb_a_call() {
    let mut l = live("mgmt-abuse");
    let port = l.port;
    let abuse = std::thread::spawn(move || {
        let addr = format!("127.0.0.1:{port}");
        // Slow clients holding connections.
        let mut slow: Vec<TcpStream> = (0..20)
            .filter_map(|_| TcpStream::connect(&addr).ok())
            .collect();
        for s in &mut slow {
            let _ = s.write_all(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\n");
        }
        // A huge body, malformed XML, garbage.
        for payload in [
            format!("POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n", 50_000_000).into_bytes(),
            b"POST / HTTP/1.1\r\nContent-Type: text/xml\r\nContent-Length: 20\r\n\r\n<methodCall><<<<<<<<".to_vec(),
            vec![0xFFu8; 10_000],
        ] {
            if let Ok(mut s) = TcpStream::connect(&addr) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = s.write_all(&payload);
                let mut buf = [0u8; 256];
                let _ = s.read(&mut buf);
            }
        }
        std::thread::sleep(Duration::from_secs(3));
        drop(slow);
    });
    std::thread::sleep(Duration::from_millis(300));
    let john = l.john;
    l.callees.send_dtmf_to(john, "12345", "rfc2833");
    l.caller
        .wait_for(T, |v| v["ev"] == "state" && v["state"] == "CONFIRMED");
    l.callees.hangup_call(john);
    l.caller.wait_for(T, |v| v["ev"] == "disconnected");
    abuse.join().unwrap();
    // The port still answers.
    wait_until("the port answers again", || {
        Command::new("python3")
            .args([
                "-c",
                &format!("import xmlrpc.client; print(xmlrpc.client.ServerProxy('http://127.0.0.1:{port}').calls())"),
            ])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let _ = &l.app;
    drop(l);
}

#[test]
fn sighup_reloads_the_bundles() {
    let tag = "mgmt-hup";
    let port = port_block();
    let cfg = QuizConfig::new(tag, "127.0.0.1:9", port_block(), port, TABLE);
    let app = cfg.start();
    assert_eq!(xmlrpc(port, "hasDSM", "'extra'"), serde_json::json!(["0"]));
    // A new bundle appears in conf_dir; SIGHUP picks it up.
    let scripts = cfg.dir.path().join("extra");
    std::fs::create_dir_all(&scripts).unwrap();
    std::fs::write(
        scripts.join("extra.dsm"),
        "initial state A;\ntransition t A - hangup / stop(false) -> A;\n",
    )
    .unwrap();
    std::fs::write(
        cfg.dir.path().join("dsm/extra.conf"),
        format!(
            "diag_path={}/\nload_diags=extra\nregister_apps=extra\n",
            scripts.display()
        ),
    )
    .unwrap();
    let pid = app.pid().to_string();
    assert!(
        Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success()
    );
    wait_until("the new bundle after SIGHUP", || {
        xmlrpc(port, "hasDSM", "'extra'") == serde_json::json!(["1"])
    });
    let _ = app.terminate();
}
