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
    let silence = silence_dir.path().join("s.wav");
    e2e::audio::write_wav(&silence, &vec![0; 8000 * 20]);
    let mut bs = Baresip::start(BaresipOptions {
        user: "bs".into(),
        auto_answer: false,
        audio_source: silence,
        ipv6: false,
    });
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
    let silence = dir.path().join("silence.wav");
    e2e::audio::write_wav(&silence, &vec![0; 8000 * 20]);
    let mut bs = Baresip::start(BaresipOptions {
        user: "bs6".into(),
        auto_answer: false,
        audio_source: silence,
        ipv6: true,
    });
    bs.command("dial", &format!("sip:answer@[::1]:{port}"));
    bs.wait_event("CALL_ESTABLISHED", T);
    std::thread::sleep(Duration::from_millis(500));
    bs.command("hangup", "");
    bs.wait_event("CALL_CLOSED", T);
    let _ = app.terminate();
}
