//! Spec §0: the twelve things most likely to bite a reimplementation, one test (or more)
//! each, as small scripts with their expected results.

mod common;

use common::*;
use dsm::*;

fn logs_of(cmds: &[Command]) -> Vec<String> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Log { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// §0.1: comments are whole lines starting with `--` or `#` (but not `#include`); a line
/// starting with `-->` is a comment too. A `#param` continuation line disappears. A trailing
/// `-- comment` is a load error in SEMS; dsmbox accepts it (documented extension).
#[test]
fn item01_comments_are_whole_lines() {
    let mut r = Run::new(
        "  -- a comment\n\t# another\n-->also a comment\ninitial state A\n enter {\n  set($x=1);\n  \
         log(1,\n  #x\n  );\n };\n",
    );
    // The `#x` line vanished: the action is `log(1,\n  )`, which logs an empty value.
    assert_eq!(r.var("x"), "1");
    // (SEMS trims only spaces and tabs, so the value is the newline.)
    assert_eq!(r.logs(), vec!["FSM:  '\n'"]);
    // Extension: trailing comments.
    let d = diagnostics("initial state A; -- the start\ntransition t A - hangup -> A; -- loop\n");
    assert!(d.is_empty(), "{d:?}");
}

/// §0.2: init runs once, with `start`; `invite` and `sessionStart` are ordinary events in the
/// current state (no re-initialisation as in the 2010 engine).
#[test]
fn item02_engine_is_initialised_once() {
    let c = load(
        "initial state START;\ntransition \"got INVITE\" START - invite -> RUN;\n\
         transition \"session start\" START - sessionStart -> WAIT;\n\
         state RUN; state WAIT;\n",
    );
    let mut r = Run::with(
        c,
        "main",
        SessionConfig {
            options: SessionOptions {
                full_stategraph: true,
                full_transitions: true,
            },
            ..Default::default()
        },
    );
    r.event(Event::invite(""));
    r.event(Event::session_start());
    assert_eq!(r.state(), "RUN");
    assert_eq!(
        r.session.dsm_stategraph(),
        ["main/START", "> got INVITE >", "main/RUN"]
    );
}

/// §0.3: `$connect_session=0` does not suppress the automatic 200; a reply sent from the
/// script does. The host learns which through `EventOutcome::dialog_touched`.
#[test]
fn item03_connect_session_does_not_suppress_200() {
    let mut r = Run::new(
        "import(mod_dlg);\ninitial state A;\n\
         transition t A - invite / set($connect_session=0) -> A;\n",
    );
    let out = r.event(Event::invite(""));
    assert!(!out.dialog_touched, "no reply sent: the host sends 200 OK");
    let mut r = Run::new(
        "import(mod_dlg);\ninitial state A;\n\
         transition t A - invite / dlg.acceptInvite(183, Session Progress) -> A;\n",
    );
    let out = r.event(Event::invite(""));
    assert!(out.dialog_touched, "a 183 was sent: no automatic 200");
}

/// §0.4: a reply with SDP completes offer/answer; SEMS runs the resulting `earlySession`
/// nested inside the running action. dsmbox queues it: the host feeds it after the event.
/// `doc/dsm/examples/183_early_establish.dsm`'s pattern still works.
#[test]
fn item04_early_session_is_not_nested() {
    let mut r = Run::new(
        "import(mod_dlg);\ninitial state START;\n\
         transition t START - invite -> RUN;\n\
         state RUN enter {\n dlg.acceptInvite(183, Session Progress);\n set($after=1);\n repost();\n};\n\
         transition \"early\" RUN - earlySession -> EARLY;\n\
         transition \"repost\" RUN - test($after==1) -> QUERIED;\n\
         state EARLY; state QUERIED;\n\
         transition \"on sess start\" QUERIED - earlySession -> ESTABLISHED;\n\
         state ESTABLISHED;\n",
    );
    r.event(Event::invite(""));
    // The whole invite event ran first, including the repost, in RUN.
    assert_eq!(r.state(), "QUERIED");
    r.event(Event::early_session());
    assert_eq!(r.state(), "ESTABLISHED");
}

/// §0.5: a transition without conditions matches every event, `start` included; `test()`
/// matches every event type.
#[test]
fn item05_unconditioned_transitions_match_everything() {
    let r = Run::new("initial state A;\ntransition t A --> B;\nstate B;\n");
    assert_eq!(r.state(), "B", "taken on the start event");
    let r = Run::new("initial state A;\ntransition t A - test(1 == 1) -> B;\nstate B;\n");
    assert_eq!(r.state(), "B");
    let mut r = Run::new("initial state A;\ntransition t A - hangup -> B;\nstate B;\n");
    assert_eq!(r.state(), "A", "typed conditions need their event");
    r.event(Event::hangup(""));
    assert_eq!(r.state(), "B");
}

/// §0.6: `set()` resolves the whole value and does not interpolate; `sets()` does.
#[test]
fn item06_set_does_not_interpolate() {
    let r = Run::new(
        "initial state A enter {\n set($y=Y);\n set($a=hello $y);\n sets($b=hello $y);\n \
         set($c=\"$y\");\n set($d=$y);\n};\n",
    );
    assert_eq!(r.var("a"), "hello $y");
    assert_eq!(r.var("b"), "hello Y");
    assert_eq!(r.var("c"), "Y", "quoting does not prevent resolution");
    assert_eq!(r.var("d"), "Y");
}

/// §0.7: an unknown action or condition is fatal at load; a malformed `test()` is not (it
/// never matches; dsmbox warns at load).
#[test]
fn item07_unknown_names_are_load_errors_malformed_test_is_not() {
    let d = diagnostics("initial state A enter { noSuchAction(1); };\n");
    assert_eq!(
        d,
        ["/t/main.dsm:1:25: could not find action for 'noSuchAction(1)' (missing import?)"]
    );
    let d = diagnostics("initial state A;\ntransition t A - nosuchcond -> A;\n");
    assert_eq!(
        d,
        ["/t/main.dsm:2:18: could not find condition for 'nosuchcond' (missing import?)"]
    );
    let text = "initial state A;\ntransition t A - exception; test(#type=\"file\") -> B;\n\
                transition u A - test(1==1) / throw(file) -> A;\nstate B;\n";
    let d = diagnostics(text);
    assert_eq!(d.len(), 1);
    assert!(
        d[0].contains("warning: expression '#type=\"file\"' not understood"),
        "{d:?}"
    );
    let mut r = Run::new(
        "initial state A;\ntransition t A - exception; test(#type=\"file\") -> B;\n\
                          transition u A - hangup / throw(file) -> A;\nstate B;\n",
    );
    r.event(Event::hangup(""));
    assert_eq!(r.state(), "A", "the malformed test never matches");
}

/// §0.8: SEMS's `rtpTimeout` never fires. dsmbox's does (documented difference), untyped
/// `test(#type==rtp_timeout)` still sees the event, and `#processed` reaches the host.
#[test]
fn item08_rtp_timeout_fires() {
    let mut r = Run::new(
        "initial state A;\ntransition t A - rtpTimeout / set(#processed=true) -> B;\nstate B;\n\
         transition u B - test(#type==rtp_timeout) -> C;\nstate C;\n",
    );
    let out = r.event(Event::rtp_timeout(30));
    assert_eq!(r.state(), "B");
    assert!(out.processed);
    let out = r.event(Event::rtp_timeout(30));
    assert_eq!(r.state(), "C");
    assert!(
        !out.processed,
        "not set: the host applies its default (BYE and stop)"
    );
}

/// §0.9: `$X_ltag` is input and output of `dlg.dialout`: without `clear()` the second
/// dialout asks for the first leg's tag and fails.
#[test]
fn item09_dialout_ltag_must_be_cleared() {
    let script = |clear: &str| {
        format!(
            "import(mod_dlg);\ninitial state A enter {{\n set(b_caller=me); set(b_callee=you);\n \
             set(b_domain=example.org); set(b_app=leg);\n dlg.dialout(b);\n set($first=$b_ltag);\n \
             {clear}\n dlg.dialout(b);\n set($second=$b_ltag);\n}};\n"
        )
    };
    let mut r = Run::new(&script(""));
    assert_eq!(r.var("first"), "callee-1");
    assert_eq!(
        r.var("second"),
        "",
        "the tag is in use: the call is not placed"
    );
    assert_eq!(r.var("errno"), "general");
    assert_eq!(
        r.drain()
            .iter()
            .filter(|c| matches!(c, Command::Dialout(_)))
            .count(),
        1
    );
    let r = Run::new(&script("clear($b_ltag);"));
    assert_eq!(r.var("second"), "callee-2");
}

/// §0.10: `break` outside a `for` aborts the transition: the remaining actions *and* the
/// state change are skipped.
#[test]
fn item10_break_outside_for_aborts_the_transition() {
    let mut r = Run::new(
        "initial state A;\ntransition t A - hangup / { set($x=1); break; set($y=1); } -> B;\n\
         state B;\n",
    );
    r.event(Event::hangup(""));
    assert_eq!(r.var("x"), "1");
    assert_eq!(r.var("y"), "<unset>");
    assert_eq!(r.state(), "A");
    // Inside a for loop, break ends only the loop.
    let r = Run::new(
        "initial state A enter {\n for($i in range(5)) {\n  append($s, $i);\n  \
         if test($i==2) { break; }\n };\n set($after=1);\n};\n",
    );
    assert_eq!(r.var("s"), "012");
    assert_eq!(r.var("after"), "1");
}

/// §0.11: `repost()` in the enter block of an initial state entered by init, `jumpFSM` or
/// `callFSM` is ignored.
#[test]
fn item11_repost_in_initial_enter_is_ignored() {
    let c = load_many(&[
        (
            "main",
            "initial state A enter { repost(); };\n\
             transition t A - start / inc($n) -> B;\nstate B;\n\
             transition t2 B - start / inc($n) -> C;\nstate C;\n\
             transition k B - key / jumpFSM(sub) -> B;\n",
        ),
        (
            "sub",
            "initial state S enter { repost(); };\ntransition t S - key -> T;\nstate T;\n",
        ),
    ]);
    let mut r = Run::with(c, "main", SessionConfig::default());
    assert_eq!(r.state(), "B", "start ran once, not reposted");
    assert_eq!(r.var("n"), "1");
    r.event(Event::key(1, 100));
    assert_eq!(r.session.dsm_diag(), "sub");
    assert_eq!(r.state(), "S", "the key event was not reposted in sub");
}

/// §0.12: an exception without a matching exception transition is dropped silently.
#[test]
fn item12_unhandled_exceptions_are_dropped() {
    let mut r = Run::new(
        "initial state A;\ntransition t A - hangup / { throw(oops, k=v); set($never=1); } -> B;\n\
         state B;\ntransition u A - key -> C;\nstate C;\n",
    );
    r.event(Event::hangup(""));
    assert_eq!(r.state(), "A");
    assert_eq!(r.var("never"), "<unset>");
    assert!(logs_of(&r.drain()).is_empty());
    r.event(Event::key(1, 100));
    assert_eq!(r.state(), "C", "the session carries on");
}
