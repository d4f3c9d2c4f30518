//! The test phones themselves, before they are pointed at dsmbox: baresip and pjsua2 call each
//! other on loopback, exchange RFC 4733 and in-band digits, and hang up. If this fails, the
//! problem is the harness or the peers, not dsmbox.

use std::time::Duration;

use e2e::TempDir;
use e2e::audio::{detect_dtmf, dtmf, read_wav, write_wav};
use e2e::peers::{Baresip, BaresipOptions, Pjsua, PjsuaOptions};

const T: Duration = Duration::from_secs(15);

#[test]
fn baresip_calls_pjsua_with_rfc4733_and_inband_digits() {
    let dir = TempDir::new("peers-selftest");
    let silence = dir.path().join("silence.wav");
    write_wav(&silence, &vec![0; 8000 * 60]);
    let tones = dir.path().join("tones.wav");
    write_wav(&tones, &dtmf("159#", 120, 120, 500));
    let heard = dir.path().join("heard-{n}.wav");

    let callee = Pjsua::start(PjsuaOptions {
        user: "callee".into(),
        auto_answer: 200,
        record: Some(heard.clone()),
        ..Default::default()
    });
    let mut caller = Baresip::start(BaresipOptions {
        user: "caller".into(),
        auto_answer: false,
        audio_source: silence.clone(),
        ipv6: false,
    });
    caller.command("dial", &callee.uri("callee"));
    caller.wait_event("CALL_ESTABLISHED", T);
    callee.wait_state("CONFIRMED", T);
    caller.command("sndcode", "12#");
    for d in ["1", "2", "#"] {
        callee.wait_for(T, |v| v["ev"] == "dtmf" && v["digit"] == d);
    }
    // In-band: switch the caller's microphone to the tone file.
    caller.command("ausrc", &format!("aufile,{}", tones.display()));
    std::thread::sleep(Duration::from_millis(2500));
    caller.command("hangup", "");
    callee.wait_for(T, |v| v["ev"] == "disconnected");
    drop(callee);
    let (rate, samples) = read_wav(&dir.path().join("heard-0.wav"));
    let digits = detect_dtmf(&samples, rate);
    assert!(digits.contains("159#"), "pjsua heard {digits:?}");
    drop(caller);
}

#[test]
fn pjsua_calls_baresip_and_cancels_while_ringing() {
    let dir = TempDir::new("peers-cancel");
    let silence = dir.path().join("silence.wav");
    write_wav(&silence, &vec![0; 8000 * 30]);
    let callee = Baresip::start(BaresipOptions {
        user: "ringer".into(),
        auto_answer: false,
        audio_source: silence,
        ipv6: false,
    });
    let mut caller = Pjsua::start(PjsuaOptions {
        user: "caller".into(),
        ..Default::default()
    });
    caller.call(&format!("sip:ringer@127.0.0.1:{}", callee.port));
    callee.wait_event("CALL_INCOMING", T);
    caller.wait_state("EARLY", T);
    caller.hangup();
    let ev = caller.wait_for(T, |v| v["ev"] == "disconnected");
    assert_eq!(ev["code"], 487, "{}", caller.events());
    callee.wait_event("CALL_CLOSED", T);
}
