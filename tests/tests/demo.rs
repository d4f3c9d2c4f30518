//! The README's first command: `dsmbox demo` runs one quizconnect call end to end on its
//! built-in configuration and shows it.

use std::process::Command;

use e2e::dsmbox_bin;

#[test]
fn demo_runs_the_quizconnect_call_to_the_end() {
    let out = Command::new(dsmbox_bin())
        .arg("demo")
        .output()
        .expect("run dsmbox demo");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "listening: sip udp 127.0.0.1:",
        "183 Session Progress",
        "WAIT_CALLEE",
        "ENTER_PIN",
        "john     heard the caller's tones: \"42\"",
        "caller   heard john's tones: \"7*\"",
        "> pin matches > quizconnect_callee/MATCHING_PIN",
        "> got cancel from A leg > quizconnect_callee/END",
        "> canceled all > quizconnect_caller/CONNECTED > BYE received > quizconnect_caller/END",
        "demo call completed",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}
