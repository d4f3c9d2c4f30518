//! Python's real `xmlrpc.client` against the management port: every method with SEMS's
//! argument and return types, fault codes, basic auth, and the quizconnect tutorial's two
//! operator scripts (ported to Python 3 only where its syntax forces it), whose output must
//! also be what `dsmbox ctl` prints.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::SystemTime;

use firmware::management::config::BasicAuth;
use firmware::management::ctl::ctl_run;
use firmware::management::testing::{
    TestServer, quizconnect_host, quizconnect_ids::*, seed_quizconnect,
};
use firmware::management::{Value, XmlRpcConfig};

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(name)
}

fn test_config() -> XmlRpcConfig {
    XmlRpcConfig {
        xmlrpc_port: 0,
        ..XmlRpcConfig::default()
    }
}

fn quizconnect_server() -> TestServer {
    TestServer::start(test_config(), quizconnect_host(), |m| {
        seed_quizconnect(m, SystemTime::now())
    })
    .unwrap()
}

fn python(args: &[&str], port: u16) -> Output {
    Command::new("python3")
        .args(args)
        .env("DSMBOX_XMLRPC_PORT", port.to_string())
        .output()
        .expect("python3 is installed")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Runs a seed script through the redirect wrapper (it hard-codes port 8090).
fn seed_script(name: &str, args: &[&str], port: u16) -> Output {
    let wrapper = script("redirect_8090.py");
    let s = script(name);
    let mut all = vec![wrapper.to_str().unwrap(), s.to_str().unwrap()];
    all.extend_from_slice(args);
    python(&all, port)
}

fn ctl(args: &[&str], port: u16) -> (u8, String, String) {
    let mut all: Vec<String> = vec!["--port".into(), port.to_string()];
    all.extend(args.iter().map(|s| s.to_string()));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = ctl_run(&all, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn python_calls_every_method() {
    let server = quizconnect_server();
    let out = python(
        &[
            script("all_methods.py").to_str().unwrap(),
            &server.addr.port().to_string(),
        ],
        server.addr.port(),
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains(", 0 failed"), "{stdout}");
    let (host, store) = server.stop();
    // The calls reached the host as the firmware would see them.
    assert_eq!(
        host.events,
        vec![(
            CALLER.to_string(),
            vec![
                ("action".to_string(), "take".to_string()),
                ("roomname".to_string(), "realworld".to_string())
            ]
        )]
    );
    assert!(
        host.journal.contains(
            &"load_config /usr/local/etc/sems/dsm/quizconnect.conf quizconnect".to_string()
        )
    );
    assert_eq!(host.log_level, 3);
    assert!(store.is_empty(), "the script ends with clear()");
}

#[test]
fn sessions_states_script_and_ctl_states_agree() {
    let server = quizconnect_server();
    let port = server.addr.port();
    let out = seed_script("sems-sessions-states.py", &[], port);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let expected = format!(
        "calls: 3\ncall id state\n{CALLEE1} ENTER_PIN\n{CALLEE2} ENTER_PIN\n{CALLER} WAIT_CALLEE\n"
    );
    assert_eq!(stdout, expected, "the finished call is not listed");
    let (code, ctl_out, _) = ctl(&["states"], port);
    assert_eq!(code, 0);
    assert_eq!(ctl_out, stdout);
    let (code, calls, _) = ctl(&["calls"], port);
    assert_eq!((code, calls.as_str()), (0, "calls: 3\n"));
}

#[test]
fn get_session_script_and_ctl_get_agree() {
    let server = quizconnect_server();
    let port = server.addr.port();
    let out = seed_script("sems-get-session.py", &[CALLER], port);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let expected = "calls: 3\nattrib val\n\
        app                 quizconnect_caller\n\
        dir                 in\n\
        dsm_diag            quizconnect_caller\n\
        dsm_state           WAIT_CALLEE\n\
        dsm_stategraph      ['quizconnect_caller/START', '> got INVITE in caller leg >', \
        'quizconnect_caller/RUN_INVITE', '> we have results >', 'quizconnect_caller/CREATE_CALLEE_LEGS', \
        '> create one more callee legs >', 'quizconnect_caller/CREATE_CALLEE_LEGS', \
        '> create one more callee legs >', 'quizconnect_caller/CREATE_CALLEE_LEGS', \
        '> done creating callee legs >', 'quizconnect_caller/WAIT_CALLEE']\n\
        from                'bee' <sip:5@192.168.5.106>\n\
        ruri                sip:35@192.168.5.106\n\
        to                  <sip:35@192.168.5.106>\n";
    assert_eq!(stdout, expected);
    let (code, ctl_out, _) = ctl(&["get", CALLER], port);
    assert_eq!(code, 0);
    assert_eq!(ctl_out, stdout);

    // Unknown call: both print "call not found" and exit 1.
    let out = seed_script("sems-get-session.py", &["nope"], port);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out).0, "calls: 3\ncall not found\n");
    let (code, ctl_out, _) = ctl(&["get", "nope"], port);
    assert_eq!((code, ctl_out.as_str()), (1, "calls: 3\ncall not found\n"));
    // No argument: the script's usage line.
    let out = seed_script("sems-get-session.py", &[], port);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).0.starts_with("usage: "));
}

#[test]
fn ctl_reload_and_call() {
    let server = quizconnect_server();
    let port = server.addr.port();
    assert_eq!(
        ctl(&["reload"], port),
        (0, "[200, 'DSMs reloaded']\n".into(), String::new())
    );
    assert_eq!(
        ctl(
            &[
                "reload",
                "/usr/local/etc/sems/dsm/quizconnect.conf",
                "quizconnect.conf"
            ],
            port
        ),
        (0, "[200, 'OK']\n".into(), String::new())
    );
    let (code, out, _) = ctl(
        &["reload", "/etc/dsmbox/dsm/broken.conf", "broken.conf"],
        port,
    );
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "[500, \"/etc/dsmbox/dsm/broken.dsm:12:5: unknown action 'myslq.connect'\"]\n"
    );
    assert_eq!(
        ctl(&["call", "getSingle", CALLER, "dir"], port),
        (0, "['in']\n".into(), String::new())
    );
    assert_eq!(ctl(&["call", "set_cpslimit", "5"], port).1, "200 OK\n");
    let (code, _, err) = ctl(&["call", "nope"], port);
    assert_eq!(code, 1);
    assert!(err.contains("fault 504"), "{err}");
    let (host, _) = server.stop();
    assert_eq!(host.cps.0, 5);
    assert!(host.scripts.contains("quizconnect"));
}

#[test]
fn basic_auth_from_python_and_ctl() {
    let cfg = XmlRpcConfig {
        auth: Some(BasicAuth {
            user: "admin".into(),
            password: "s3cret".into(),
        }),
        ..test_config()
    };
    let server = TestServer::start(cfg, quizconnect_host(), |_| {}).unwrap();
    let port = server.addr.port();
    let out = python(
        &[
            script("auth.py").to_str().unwrap(),
            &port.to_string(),
            "admin",
            "s3cret",
        ],
        port,
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    let (code, _, err) = ctl(&["calls"], port);
    assert_eq!(code, 1);
    assert!(err.contains("HTTP 401"), "{err}");
    let (code, out, _) = ctl(&["--user", "admin", "--password", "s3cret", "calls"], port);
    assert_eq!((code, out.as_str()), (0, "calls: 3\n"));
}

#[test]
fn direct_export_off_leaves_builtins_and_di() {
    let cfg = XmlRpcConfig {
        direct_export: vec![],
        ..test_config()
    };
    let server = TestServer::start(cfg, quizconnect_host(), |m| {
        seed_quizconnect(m, SystemTime::now())
    })
    .unwrap();
    let port = server.addr.port();
    let (code, _, err) = ctl(&["call", "list"], port);
    assert_eq!(code, 1);
    assert!(err.contains("504"), "{err}");
    let (code, out, _) = ctl(
        &["call", "di", "monitoring", "getSingle", CALLER, "dsm_state"],
        port,
    );
    assert_eq!((code, out.as_str()), (0, "['WAIT_CALLEE']\n"));
    let c = firmware::management::Client::new("127.0.0.1", port);
    assert_eq!(c.call("calls", &[]), Ok(Value::Int(3)));
}
