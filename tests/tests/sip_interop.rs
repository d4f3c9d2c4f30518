//! SIP against real third-party phones and a digest-demanding registrar, with the real
//! binary: calls in both directions, BYE, hold by re-INVITE, registration with MD5 and
//! SHA-256 digest authentication and de-registration on shutdown, an authenticated dial-out.

use std::time::Duration;

use e2e::peers::{Baresip, BaresipOptions, Challenger, Pjsua, PjsuaOptions, port_block};
use e2e::{Appliance, TempDir, config_dir};

const T: Duration = Duration::from_secs(20);

/// A script that lets SEMS's automatic 200 OK answer the call (it does not touch the
/// dialog during `invite`), then waits for the BYE.
const ANSWER: &str = "import(mod_dlg);\ninitial state START;\n\
transition \"bye\" START - hangup / stop(false) -> END;\nstate END;\n";

fn answering_box(
    tag: &str,
    extra_main: &str,
    scripts: &[(&str, &str)],
    apps: &str,
    bundle_extra: &str,
) -> (TempDir, Appliance) {
    let rtp = port_block();
    let main = format!(
        "sip_ip=127.0.0.1\nsip_port=0\nrtp_low_port={rtp}\nrtp_high_port={}\napplication=$(ruri.user)\nloglevel=2\n{extra_main}",
        rtp + 19
    );
    let names: Vec<&str> = scripts.iter().map(|(n, _)| *n).collect();
    let bundle = format!(
        "diag_path=scripts\nload_diags={}\nregister_apps={apps}\n{bundle_extra}",
        names.join(",")
    );
    let mut files: Vec<(String, String)> = vec![
        ("dsmbox.conf".into(), main),
        ("dsm.conf".into(), "conf_dir=dsm\n".into()),
        ("xmlrpc2di.conf".into(), "run_server=no\n".into()),
        ("dsm/test.conf".into(), bundle),
    ];
    for (n, text) in scripts {
        files.push((format!("scripts/{n}.dsm"), text.to_string()));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = config_dir(tag, &refs);
    let app = Appliance::start(&["--config", dir.path().to_str().expect("utf-8 temp path")]);
    (dir, app)
}

#[test]
fn pjsua_and_baresip_call_in_are_answered_hold_and_hang_up() {
    let (_dir, app) = answering_box("sip-answer", "", &[("answer", ANSWER)], "answer", "");
    let mut pj = Pjsua::start(PjsuaOptions {
        user: "pj".into(),
        ..Default::default()
    });
    pj.call(&format!("sip:answer@{}", app.sip_addr));
    pj.wait_for(T, |v| v["ev"] == "media");
    pj.wait_state("CONFIRMED", T);
    // Hold and resume by re-INVITE: answered, the call stays up.
    pj.hold();
    pj.wait_for(T, |v| v["ev"] == "media_update");
    pj.unhold();
    pj.wait_for(T, |v| v["ev"] == "media_update");
    pj.hangup();
    let ev = pj.wait_for(T, |v| v["ev"] == "disconnected");
    assert_eq!(ev["code"], 200, "{}", pj.events());

    let silence_dir = TempDir::new("sip-answer-bs");
    let mut bs = Baresip::start(BaresipOptions::silent_caller("bs", silence_dir.path(), 20));
    bs.command("dial", &format!("sip:answer@{}", app.sip_addr));
    bs.wait_event("CALL_ESTABLISHED", T);
    bs.command("hangup", "");
    bs.wait_event("CALL_CLOSED", T);
    // Unknown application: 404.
    pj.call(&format!("sip:nosuchapp@{}", app.sip_addr));
    let ev = pj.wait_for(T, |v| v["ev"] == "disconnected");
    assert_eq!(ev["code"], 404);
    let _ = app.terminate();
}

fn registration(algorithm: &str) {
    let reg = Challenger::start("1001", "s3cret", algorithm, 60);
    let main = format!(
        "register.trunk.registrar=sip:127.0.0.1:{}\nregister.trunk.user=1001\nregister.trunk.password=s3cret\nregister.trunk.expires=120\n",
        reg.port
    );
    let (_dir, app) = answering_box("sip-reg", &main, &[("answer", ANSWER)], "answer", "");
    reg.wait_for(T, |v| v["ev"] == "challenge" && v["method"] == "REGISTER");
    let ok = reg.wait_for(T, |v| v["ev"] == "register");
    assert_eq!(ok["auth_ok"], true);
    assert_eq!(
        ok["expires"], 60,
        "the registrar granted 60 of the 120 s asked"
    );
    assert_eq!(ok["nc"], "00000001");
    // Shutdown de-registers (Expires: 0).
    let status = app.terminate();
    assert!(status.success());
    reg.wait_for(T, |v| v["ev"] == "register" && v["expires"] == 0);
}

#[test]
fn registration_with_md5_digest_and_deregistration() {
    registration("MD5");
}

#[test]
fn registration_with_sha256_digest() {
    registration("SHA-256");
}

#[test]
fn dialout_answers_a_proxy_challenge_with_the_scripts_credentials() {
    let callee = Challenger::start("alice", "wonder", "MD5", 60);
    // The inbound call makes the script dial out with $b_auth_user/$b_auth_pwd; the B leg
    // hangs up once connected, the A leg on BYE.
    let caller_dsm = "import(mod_dlg);\ninitial state START;\n\
transition \"dial\" START - invite / {\n set(b_caller=dsmbox);\n set(b_callee=alice);\n\
 set(b_domain=$config.trunk);\n set(b_app=bleg);\n set(b_auth_user=alice);\n set(b_auth_pwd=wonder);\n\
 dlg.dialout(b);\n} -> WAIT;\nstate WAIT;\ntransition \"bye\" WAIT - hangup / stop(false) -> END;\nstate END;\n";
    let bleg_dsm = "import(mod_dlg);\ninitial state START;\n\
transition \"up\" START - sessionStart / stop(true) -> END;\n\
transition \"failed\" START - failed / log(0, #code) -> END;\nstate END;\n";
    let (_dir, app) = answering_box(
        "sip-auth-out",
        "",
        &[("authdial", caller_dsm), ("bleg", bleg_dsm)],
        "authdial,bleg",
        &format!("trunk=127.0.0.1:{}\n", callee.port),
    );
    let mut pj = Pjsua::start(PjsuaOptions {
        user: "pj".into(),
        ..Default::default()
    });
    pj.call(&format!("sip:authdial@{}", app.sip_addr));
    pj.wait_state("CONFIRMED", T);
    callee.wait_for(T, |v| v["ev"] == "challenge" && v["method"] == "INVITE");
    let inv = callee.wait_for(T, |v| v["ev"] == "invite");
    assert_eq!(inv["auth_ok"], true);
    callee.wait_for(T, |v| v["ev"] == "ack");
    callee.wait_for(T, |v| v["ev"] == "bye");
    pj.hangup();
    pj.wait_for(T, |v| v["ev"] == "disconnected");
    let _ = app.terminate();
}

/// A callee that never sends RTP: after `dead_rtp_time` the leg gets `rtpTimeout` (dead in
/// SEMS, spec §4.2) and, unless the script sets `#processed`, dsmbox hangs up.
#[test]
fn rtp_timeout_fires_and_hangs_up_unless_processed() {
    for (processed, expect_bye) in [(false, true), (true, false)] {
        let callee = Challenger::start("alice", "wonder", "MD5", 60);
        let caller_dsm = "import(mod_dlg);\ninitial state START;\n\
transition \"dial\" START - invite / {\n set(b_caller=dsmbox);\n set(b_callee=alice);\n\
 set(b_domain=$config.trunk);\n set(b_app=bleg);\n set(b_auth_user=alice);\n set(b_auth_pwd=wonder);\n\
 dlg.dialout(b);\n} -> WAIT;\nstate WAIT;\ntransition \"bye\" WAIT - hangup / stop(false) -> END;\nstate END;\n";
        let bleg_dsm = format!(
            "import(mod_dlg);\ninitial state START;\ntransition \"up\" START - sessionStart -> UP;\nstate UP;\n\
transition \"rtp gone\" UP - rtpTimeout / {{\n log(1, rtp timeout);\n {}\n}} -> UP;\n",
            if processed {
                "set(#processed=true);"
            } else {
                ""
            }
        );
        let (_dir, app) = answering_box(
            "sip-rtp-timeout",
            "dead_rtp_time=2\n",
            &[("authdial", caller_dsm), ("bleg", &bleg_dsm)],
            "authdial,bleg",
            &format!("trunk=127.0.0.1:{}\n", callee.port),
        );
        let mut pj = Pjsua::start(PjsuaOptions {
            user: "pj".into(),
            ..Default::default()
        });
        pj.call(&format!("sip:authdial@{}", app.sip_addr));
        callee.wait_for(T, |v| v["ev"] == "ack");
        let started = std::time::Instant::now();
        if expect_bye {
            callee.wait_for(Duration::from_secs(10), |v| v["ev"] == "bye");
            let waited = started.elapsed();
            assert!(
                waited >= Duration::from_millis(1500),
                "BYE after {waited:?}, before the timeout"
            );
        } else {
            std::thread::sleep(Duration::from_secs(5));
            // No BYE: the script handled the timeout.
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                callee.wait_for(Duration::from_millis(100), |v| v["ev"] == "bye")
            }));
            assert!(
                r.is_err(),
                "dsmbox hung up although the script set #processed"
            );
        }
        pj.hangup();
        let _ = app.terminate();
    }
}

#[test]
fn an_ipv6_phone_calls_the_ipv6_socket() {
    let (dir, app) = answering_box(
        "sip-ipv6",
        "sip_ip6=::1\n",
        &[("answer", ANSWER)],
        "answer",
        "",
    );
    let port = app.sip_addr.port();
    let mut bs = Baresip::start(BaresipOptions {
        ipv6: true,
        ..BaresipOptions::silent_caller("bs6", dir.path(), 20)
    });
    bs.command("dial", &format!("sip:answer@[::1]:{port}"));
    bs.wait_event("CALL_ESTABLISHED", T);
    std::thread::sleep(Duration::from_millis(500));
    bs.command("hangup", "");
    bs.wait_event("CALL_CLOSED", T);
    let _ = app.terminate();
}

/// Garbage on the SIP port and on every RTP port of the range while a call is up: the
/// appliance answers what it can with 400, drops the rest, and the call carries on.
#[test]
fn garbage_on_every_port_does_not_disturb_a_call() {
    let (_dir, app) = answering_box("sip-garbage", "", &[("answer", ANSWER)], "answer", "");
    let mut pj = Pjsua::start(PjsuaOptions {
        user: "pj".into(),
        ..Default::default()
    });
    pj.call(&format!("sip:answer@{}", app.sip_addr));
    pj.wait_for(T, |v| v["ev"] == "media");
    pj.wait_state("CONFIRMED", T);
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let invite = format!(
        "INVITE sip:answer@{0} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:answer@{0}>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 400\r\n\r\nv=0\r\n",
        app.sip_addr
    );
    // Spray the whole configured RTP range: the call's RTP and RTCP ports are in it.
    let cfg = std::fs::read_to_string(_dir.path().join("dsmbox.conf")).unwrap();
    let low: u16 = cfg
        .lines()
        .find_map(|l| l.strip_prefix("rtp_low_port="))
        .and_then(|v| v.parse().ok())
        .unwrap();
    for i in 0..3000u32 {
        let len = (rnd() % 300) as usize;
        let mut buf: Vec<u8> = (0..len).map(|_| rnd() as u8).collect();
        if i % 3 == 0 {
            // Truncated and mutated SIP.
            buf = invite.as_bytes()[..(rnd() as usize % invite.len())].to_vec();
            if let Some(b) = buf.get_mut(rnd() as usize % invite.len().max(1)) {
                *b = rnd() as u8;
            }
            let _ = s.send_to(&buf, app.sip_addr);
        } else if i % 3 == 1 {
            // RTP-looking: version 2, random rest.
            if !buf.is_empty() {
                buf[0] = 0x80;
            }
            let _ = s.send_to(&buf, ("127.0.0.1", low + (rnd() % 20) as u16));
        } else {
            let _ = s.send_to(&buf, ("127.0.0.1", low + (rnd() % 20) as u16));
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    pj.hangup();
    let ev = pj.wait_for(T, |v| v["ev"] == "disconnected");
    assert_eq!(ev["code"], 200, "{}", pj.events());
    // Still serving new calls.
    pj.call(&format!("sip:answer@{}", app.sip_addr));
    pj.wait_state("CONFIRMED", T);
    pj.hangup();
    let status = app.terminate();
    assert!(status.success(), "{status}");
}

/// `dlg.refer`: dsmbox answers a baresip call and transfers it (RFC 3515) to a pjsua phone;
/// baresip accepts the REFER, reports progress by NOTIFY (which dsmbox answers) and calls
/// the target, which sees the call come from baresip.
#[test]
fn dlg_refer_transfers_the_caller_to_another_phone() {
    let mut target = Pjsua::start(PjsuaOptions {
        user: "target".into(),
        auto_answer: 200,
        ..Default::default()
    });
    let xfer = "import(mod_dlg);\ninitial state START;\n\
transition \"up\" START - sessionStart / setTimer(1, 1) -> UP;\nstate UP;\n\
transition \"transfer\" UP - timer(#id == 1) / dlg.refer($config.target) -> REFERRED;\nstate REFERRED;\n\
transition \"bye\" REFERRED - hangup / stop(false) -> END;\nstate END;\n";
    let (_dir, app) = answering_box(
        "sip-refer",
        "",
        &[("xfer", xfer)],
        "xfer",
        &format!("target={}\n", target.uri("target")),
    );
    let silence_dir = TempDir::new("sip-refer-bs");
    let mut bs = Baresip::start(BaresipOptions::silent_caller(
        "transferee",
        silence_dir.path(),
        20,
    ));
    bs.command("dial", &format!("sip:xfer@{}", app.sip_addr));
    bs.wait_event("CALL_ESTABLISHED", T);
    let incoming = target.wait_for(T, |v| v["ev"] == "incoming");
    let from = incoming["from"].as_str().unwrap_or_default().to_owned();
    assert!(from.contains("transferee"), "target called by {from}");
    target.wait_state("CONFIRMED", T);
    target.hangup();
    let _ = app.terminate();
}
