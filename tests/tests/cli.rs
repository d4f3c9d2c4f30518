//! The command line of the real binary: version, help, run on defaults and on a config
//! directory, and `check` naming file, line and column.

use std::process::Command;

use e2e::{Appliance, TempDir, dsmbox_bin};

#[test]
fn version_prints_package_version() {
    let out = Command::new(dsmbox_bin())
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("dsmbox {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_lists_commands_and_bad_usage_exits_2() {
    let out = Command::new(dsmbox_bin()).arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in ["run", "check", "--config"] {
        assert!(text.contains(cmd), "help lacks {cmd}");
    }
    let out = Command::new(dsmbox_bin())
        .arg("frobnicate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown command 'frobnicate'"));
}

#[test]
fn run_on_a_config_dir_listens_where_configured_and_stops_on_sigterm() {
    let dir = TempDir::new("run");
    dir.write(
        "sems.conf",
        "# a SEMS main file works as it is\nsip_ip=127.0.0.1\nsip_port=0\nload_plugins=wav;dsm\n",
    );
    let app = Appliance::start(&["--config", dir.path().to_str().unwrap()]);
    assert_eq!(app.sip_addr.ip().to_string(), "127.0.0.1");
    assert_ne!(app.sip_addr.port(), 0);
    // The socket is really there: a datagram to it is accepted.
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.send_to(b"OPTIONS sip:x SIP/2.0\r\n\r\n", app.sip_addr)
        .unwrap();
    let status = app.terminate();
    assert!(status.success(), "exit status {status}");
}

#[test]
fn check_reports_file_line_and_column() {
    let dir = TempDir::new("check");
    dir.write(
        "dsmbox.conf",
        "sip_ip=127.0.0.1\nsip_port=70000\nthis line is wrong\n",
    );
    let out = Command::new(dsmbox_bin())
        .args(["check", "--config", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let file = dir.path().join("dsmbox.conf");
    assert!(
        text.contains(&format!("{}:3:1: expected key=value", file.display())),
        "{text}"
    );

    dir.write("dsmbox.conf", "sip_ip=127.0.0.1\nsip_port=70000\n");
    let out = Command::new(dsmbox_bin())
        .args(["check", "--config", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "{}:2:10: sip_port: '70000' is not a port",
            file.display()
        )),
        "{text}"
    );
}

#[test]
fn callees_import_export_round_trip_and_errors_name_lines() {
    let dir = TempDir::new("callees");
    let db = format!("sqlite://{}/data.db", dir.path().display());
    let csv = dir.write(
        "callees.csv",
        "caller,callee,pin\n35,john,12345\n35,anna,54321\n",
    );
    let out = Command::new(dsmbox_bin())
        .args(["callees", "import", csv.to_str().unwrap(), "--db", &db])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = Command::new(dsmbox_bin())
        .args(["callees", "export", "--db", &db])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "caller,callee,pin\n35,john,12345\n35,anna,54321\n"
    );

    let bad = dir.write("bad.csv", "35,bob,1\n36,only-two\n");
    let out = Command::new(dsmbox_bin())
        .args(["callees", "import", bad.to_str().unwrap(), "--db", &db])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("bad.csv:2: expected 3 fields"));
    // A failed import changes nothing.
    let out = Command::new(dsmbox_bin())
        .args(["callees", "export", "--db", &db])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "caller,callee,pin\n35,john,12345\n35,anna,54321\n"
    );
}

#[test]
fn dtmf_detect_reads_digits_from_a_wav_and_raw_audio() {
    let dir = TempDir::new("dtmf-detect");
    let samples = e2e::audio::dtmf("147*0#", 60, 60, 200);
    let wav = dir.path().join("digits.wav");
    e2e::audio::write_wav(&wav, &samples);
    let out = Command::new(dsmbox_bin())
        .arg("dtmf-detect")
        .arg(&wav)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().next(),
        Some("147*0#")
    );
    let raw: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let raw_path = dir.path().join("digits.raw");
    std::fs::write(&raw_path, raw).unwrap();
    let out = Command::new(dsmbox_bin())
        .arg("dtmf-detect")
        .arg(&raw_path)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().next(),
        Some("147*0#")
    );
    let silence = dir.path().join("silence.wav");
    e2e::audio::write_wav(&silence, &vec![0; 8000]);
    let out = Command::new(dsmbox_bin())
        .arg("dtmf-detect")
        .arg(&silence)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "\n");
}

#[test]
fn check_reports_every_script_error_of_a_sems_directory() {
    let dir = TempDir::new("check-dsm");
    dir.write(
        "sems.conf",
        "sip_port=5060\napplication=a\nload_plugins=wav;dsm\n",
    );
    dir.write("dsm.conf", "diag_path=s\nload_diags=a,b\nregister_apps=a\n");
    dir.write(
        "s/a.dsm",
        "import(mod_py);\ninitial state A;\ntransition t A - hangup / py(x) -> B;\n",
    );
    dir.write(
        "s/b.dsm",
        "initial state A;\n  transition \"x\" B - hangup -> A;\n",
    );
    let out = Command::new(dsmbox_bin())
        .args(["check", "--config", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let s = dir.path().join("s");
    for expected in [
        format!(
            "{}/a.dsm:1:1: import(mod_py): unknown module 'mod_py'",
            s.display()
        ),
        format!(
            "{}/a.dsm:3:27: could not find action for 'py(x)'",
            s.display()
        ),
        format!(
            "{}/b.dsm:2:18: state 'B' for transition 'x' not found",
            s.display()
        ),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn check_accepts_the_shipped_configuration() {
    let overlay = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rootfs-overlay");
    let etc = overlay.join("etc/dsmbox");
    let fat = overlay.join("boot/firmware/dsmbox");
    let dir = TempDir::new("check-shipped");
    // The SD card's folder as shipped, its bundle pointed at the repository's scripts.
    for f in ["dsmbox.conf", "callees.csv"] {
        std::fs::copy(fat.join(f), dir.path().join(f)).unwrap();
    }
    let bundle = std::fs::read_to_string(fat.join("dsm/quizconnect.conf"))
        .unwrap()
        .replace(
            "/usr/share/dsmbox/",
            &format!("{}/usr/share/dsmbox/", overlay.display()),
        );
    dir.write("dsm/quizconnect.conf", &bundle);
    let out = Command::new(dsmbox_bin())
        .args([
            "check",
            "--config",
            dir.path().to_str().unwrap(),
            "--defaults",
            etc.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("quizconnect_caller"), "{text}");
}
