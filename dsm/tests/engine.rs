//! Spec §3: engine semantics — transition order, exit/transition/enter actions, repost,
//! exceptions, stop, jumpFSM/callFSM/returnFSM, system DSMs, timers, monitoring data.

mod common;

use std::time::Duration;

use common::*;
use dsm::*;

fn graph_cfg() -> SessionConfig {
    SessionConfig {
        options: SessionOptions {
            full_stategraph: true,
            full_transitions: true,
        },
        ..Default::default()
    }
}

#[test]
fn first_matching_transition_in_declaration_order_wins() {
    let mut r = Run::new(
        "initial state A;\nstate B;\nstate C;\n\
         transition first A - hangup -> B;\ntransition second A - hangup -> C;\n\
         transition multi (B, C) - key -> A;\ntransition later B - key -> C;\n",
    );
    r.event(Event::hangup(""));
    assert_eq!(r.state(), "B");
    r.event(Event::key(1, 1));
    assert_eq!(
        r.state(),
        "A",
        "the multi-source transition sits first in B's list"
    );
}

#[test]
fn exit_then_transition_then_enter_with_the_event_params() {
    let mut r = Run::new(
        "initial state A exit { append($o, exit-#key-); };\n\
         transition t A - key / append($o, tr-) -> B;\n\
         state B enter { append($o, enter-#key); };\n",
    );
    r.event(Event::key(7, 1));
    // `append` resolves its value as a whole: `exit-#key-` is a literal.
    assert_eq!(r.var("o"), "exit-#key-tr-enter-#key");
    let mut r = Run::new(
        "initial state A exit { sets($o=$(o)x#(key)); };\n\
         transition t A - key -> A;\nstate A2;\n",
    );
    r.event(Event::key(7, 1));
    r.event(Event::key(8, 1));
    assert_eq!(r.var("o"), "x7x8", "self-transitions run exit (and enter)");
}

#[test]
fn repost_reevaluates_the_same_event_with_changed_params() {
    let mut r = Run::new(
        "initial state A;\ntransition t A - key / { set(#key=99); repost(); } -> B;\n\
         state B;\ntransition u B - key(#key==99) / set($seen=1) -> C;\nstate C;\n",
    );
    r.event(Event::key(1, 1));
    assert_eq!((r.state().as_str(), r.var("seen").as_str()), ("C", "1"));
}

#[test]
fn set_param_is_ignored_without_a_param_map() {
    let r = Run::new("initial state A enter { set(#x=1); sets(#y=2); };\n");
    assert_eq!(
        (r.var("x").as_str(), r.var("#x").as_str()),
        ("<unset>", "<unset>")
    );
}

#[test]
fn abort_in_exit_actions_skips_the_state_change() {
    let c = load_many(&[
        (
            "main",
            "initial state A exit { jumpFSM(other); set($never=1); };\n\
             transition t A - hangup / set($tr=1) -> B;\nstate B;\n",
        ),
        ("other", "initial state O enter { set($in_other=1); };\n"),
    ]);
    let mut r = Run::with(c, "main", SessionConfig::default());
    r.event(Event::hangup(""));
    assert_eq!(r.session.dsm_diag(), "other");
    assert_eq!(r.state(), "O");
    assert_eq!(
        (r.var("tr").as_str(), r.var("never").as_str()),
        ("<unset>", "<unset>")
    );
    assert_eq!(r.var("in_other"), "1");
}

#[test]
fn call_and_return_resume_the_remaining_actions() {
    let c = load_many(&[
        (
            "main",
            "initial state A;\ntransition t A - hangup / {\n append($o, 1);\n callFSM(sub);\n \
             append($o, 3);\n} -> B;\nstate B enter { append($o, B); };\n",
        ),
        (
            "sub",
            "initial state S enter { append($o, 2); };\n\
             transition back S - key / { returnFSM(); append($o, never); } -> S;\n",
        ),
    ]);
    let mut r = Run::with(c, "main", graph_cfg());
    r.event(Event::hangup(""));
    assert_eq!((r.session.dsm_diag(), r.state().as_str()), ("sub", "S"));
    assert_eq!(
        r.var("o"),
        "12",
        "the call aborted the transition: no 3, no B yet"
    );
    r.event(Event::key(1, 1));
    // Return restores A without its enter actions and runs the saved `append($o, 3)`.
    assert_eq!((r.session.dsm_diag(), r.state().as_str()), ("main", "A"));
    assert_eq!(r.var("o"), "123");
    assert_eq!(r.session.dsm_stategraph(), ["main/A", "sub/S", "main/A"]);
}

#[test]
fn call_inside_if_loses_the_actions_after_the_if_and_inside_for_the_loop_goes_on() {
    let c = load_many(&[
        (
            "main",
            "initial state A;\ntransition t A - hangup / {\n if test(1==1) { callFSM(sub); append($o, in-if); }\n \
             append($o, after-if);\n} -> A;\n\
             transition f A - key / { for($i in range(2)) { append($o, $i); callFSM(sub); }; append($o, end); } -> A;\n",
        ),
        (
            "sub",
            "initial state S;\ntransition r S - test(#x==1) / returnFSM() -> S;\n",
        ),
    ]);
    let mut r = Run::with(c, "main", SessionConfig::default());
    r.event(Event::hangup(""));
    r.ev(EventKind::DsmEvent, &[("x", "1")]);
    assert_eq!(
        r.var("o"),
        "in-if",
        "only the rest of the if's own block was saved"
    );
    let mut r = Run::with(
        r.session.collection().clone(),
        "main",
        SessionConfig::default(),
    );
    r.event(Event::key(1, 1));
    // The loop ran both iterations (each call pushed a frame), then `end`.
    assert_eq!(r.var("o"), "01end");
}

#[test]
fn flow_errors_are_logged_and_ignored() {
    let mut r = Run::new(
        "initial state A enter { returnFSM(); jumpFSM(nope); callFSM(nope); set($went_on=1); };\n",
    );
    assert_eq!(r.var("went_on"), "1");
    assert_eq!(
        r.logs(),
        [
            "returning from empty stack",
            "diag 'nope' not found.",
            "diag 'nope' not found."
        ]
    );
}

#[test]
fn exception_in_transition_actions_runs_exception_transitions_in_the_old_state() {
    let mut r = Run::new(
        "initial state A;\nstate B;\nstate C;\n\
         transition t A - hangup / { throw(mine, a=1;b=2;bad;c=); set($skipped=1); } -> B;\n\
         transition handler A - exception; test(#type==mine) / { set($a=#a); set($b=#b); set($c=#c); } -> C;\n\
         transition wrong B - exception -> A;\n",
    );
    r.event(Event::hangup(""));
    assert_eq!(r.state(), "C");
    assert_eq!(
        (
            r.var("skipped").as_str(),
            r.var("a").as_str(),
            r.var("b").as_str(),
            r.var("c").as_str()
        ),
        ("<unset>", "1", "2", "")
    );
}

#[test]
fn exception_in_an_enter_block_is_handled_in_the_new_state() {
    let mut r = Run::new(
        "initial state A;\ntransition t A - hangup -> B;\n\
         state B enter { throw(x); set($skipped=1); };\n\
         transition h B - exception -> C;\ntransition h2 A - exception -> A;\nstate C;\n",
    );
    r.event(Event::hangup(""));
    assert_eq!(
        (r.state().as_str(), r.var("skipped").as_str()),
        ("C", "<unset>")
    );
}

#[test]
fn exception_transitions_only_see_exceptions_and_exception_mode_ends_with_the_event() {
    let mut r = Run::new(
        "initial state A;\ntransition ex A - exception / set($handled=#type) -> A;\n\
         transition t A - hangup / throw(first) -> A;\ntransition any A - test(1==1) / inc($plain) -> A;\n",
    );
    assert_eq!(
        r.var("plain"),
        "1",
        "start ran the plain test transition, not the handler"
    );
    r.event(Event::hangup(""));
    assert_eq!(r.var("handled"), "first");
    assert_eq!(
        r.var("plain"),
        "1",
        "the exception round skipped plain transitions"
    );
    r.event(Event::key(1, 1));
    assert_eq!(r.var("plain"), "2");
}

#[test]
fn rethrowing_handlers_chain_and_a_loop_is_cut_off() {
    let mut r = Run::new(
        "initial state A;\ntransition t A - hangup / throw(one) -> A;\n\
         transition h1 A - exception; test(#type==one) / throw(two) -> A;\n\
         transition h2 A - exception; test(#type==two) / set($final=#type) -> A;\n",
    );
    r.event(Event::hangup(""));
    assert_eq!(r.var("final"), "two");
    // A handler that always rethrows would loop forever in SEMS.
    let mut r = Run::new(
        "initial state A;\ntransition t A - hangup / throw(x) -> A;\n\
         transition h A - exception / throw(x) -> A;\n",
    );
    r.event(Event::hangup(""));
    let logs = r.logs();
    assert!(logs[0].contains("event abandoned"), "{logs:?}");
    r.event(Event::key(1, 1));
    assert!(!r.session.is_stopped(), "the session survives");
}

#[test]
fn repost_loop_is_cut_off() {
    let mut r = Run::new("initial state A;\ntransition t A - hangup / repost() -> A;\n");
    r.event(Event::hangup(""));
    assert!(r.logs()[0].contains("more than"));
}

#[test]
fn exception_during_init_runs_start_in_exception_mode() {
    let r = Run::new(
        "initial state A enter { throw(boot, why=test); set($skipped=1); };\n\
         transition normal A - start / set($normal=1) -> A;\n\
         transition h A - exception; start; test(#type==boot) / set($why=#why) -> B;\nstate B;\n",
    );
    assert_eq!(r.state(), "B");
    assert_eq!(
        (
            r.var("why").as_str(),
            r.var("normal").as_str(),
            r.var("skipped").as_str()
        ),
        ("test", "<unset>", "<unset>")
    );
}

#[test]
fn throw_on_error_uses_errno_and_strerror() {
    let mut r = Run::new(
        "initial state A;\ntransition t A - hangup / { throwOnError(); setTimer(x, 1); throwOnError(); } -> A;\n\
         transition h A - exception / { set($t=#type); set($x=#text); } -> B;\nstate B;\n",
    );
    r.event(Event::hangup(""));
    assert_eq!(r.state(), "B");
    assert_eq!(r.var("t"), "arg");
    assert_eq!(r.var("x"), "timer id 'x' not decipherable");
}

#[test]
fn stop_lets_the_transition_finish_then_drops_events_but_before_destroy() {
    let mut r = Run::new(
        "initial state A;\ntransition t A - hangup / { stop(true); set($after=1); } -> B;\n\
         state B enter { set($entered=1); };\n\
         transition k B - key / set($key=1) -> B;\n\
         transition d B - beforeDestroy / set($destroyed=1) -> B;\n",
    );
    r.event(Event::hangup(""));
    assert!(r.session.is_stopped());
    assert_eq!(
        (r.var("after").as_str(), r.var("entered").as_str()),
        ("1", "1")
    );
    assert_eq!(r.drain(), [Command::Stop { send_bye: true }]);
    let out = r.event(Event::key(1, 1));
    assert!(!out.ran);
    assert_eq!(r.var("key"), "<unset>");
    let out = r.event(Event::before_destroy());
    assert!(out.ran);
    assert_eq!(r.var("destroyed"), "1");
    let r = Run::new("initial state A enter { stop(); stop(false); };\n");
    assert!(r.session.is_stopped());
}

#[test]
fn timers_fire_in_order_with_their_id() {
    let mut r = Run::new(
        "initial state A enter { setTimer(2, 10); setTimer(1, 5); setTimer(3, 20); removeTimer(3); };\n\
         transition t A - timer / append($fired, #id) -> B;\n\
         state B;\ntransition t2 B - timer / append($fired, #id) -> B;\n",
    );
    let t0 = r.now;
    assert_eq!(r.session.poll_timeout(), Some(t0 + Duration::from_secs(5)));
    r.session
        .handle_timeout(t0 + Duration::from_secs(4), &mut r.host);
    assert_eq!(r.var("fired"), "<unset>");
    r.session
        .handle_timeout(t0 + Duration::from_secs(30), &mut r.host);
    assert_eq!(r.var("fired"), "12");
    assert_eq!(r.session.poll_timeout(), None);
    // Setting an existing id replaces it; removeTimers clears all.
    let mut r = Run::new(
        "initial state A enter { setTimer(1, 5); setTimer(1, 50); setTimer(2, 1); removeTimers(); setTimer(7, 2); };\n\
         transition t A - timer(#id==7) / set($seven=1) -> A;\n",
    );
    assert_eq!(
        r.session.poll_timeout(),
        Some(r.now + Duration::from_secs(2))
    );
    let at = r.now + Duration::from_secs(2);
    r.session.handle_timeout(at, &mut r.host);
    assert_eq!(r.var("seven"), "1");
    let r = Run::new("initial state A enter { setTimer(1, soon); };\n");
    assert_eq!(r.var("errno"), "arg");
    assert_eq!(r.session.poll_timeout(), None);
}

#[test]
fn system_dsm_starts_with_startup_or_reload_and_has_no_media() {
    let text = "initial state S;\ntransition s S - startup / registerEventQueue(sysq) -> RUN;\n\
                transition r S - reload -> RELOADED;\n\
                state RUN;\ntransition e RUN - event(#cmd==play) / playFile(/x.wav) -> RUN;\n\
                transition ex RUN - exception / set($cause=#cause) -> FAILED;\n\
                transition sys RUN - system(#type==ServerShutdown) / stop() -> RUN;\n\
                state RELOADED;\nstate FAILED;\n";
    let c = load(text);
    let cfg = |reload| SessionConfig {
        local_tag: "SystemDSM_1".into(),
        kind: SessionKind::System { reload },
        ..Default::default()
    };
    let r = Run::with(c.clone(), "main", cfg(true));
    assert_eq!(r.state(), "RELOADED");
    let mut r = Run::with(c, "main", cfg(false));
    assert_eq!(r.state(), "RUN");
    assert_eq!(r.drain(), [Command::RegisterEventQueue("sysq".into())]);
    r.ev(EventKind::DsmEvent, &[("cmd", "play")]);
    assert_eq!(r.state(), "FAILED");
    assert_eq!(r.var("cause"), "not implemented in SystemDSM");
    assert!(r.drain().is_empty());
}

#[test]
fn monitoring_data_follows_jumps() {
    let c = load_many(&[
        (
            "main",
            "initial state A;\ntransition t A - hangup / jumpFSM(other) -> B;\nstate B;\n",
        ),
        (
            "other",
            "initial state O;\ntransition u O - key -> P;\nstate P;\n",
        ),
    ]);
    let mut r = Run::with(c.clone(), "main", graph_cfg());
    assert_eq!((r.session.dsm_diag(), r.session.dsm_state()), ("main", "A"));
    r.event(Event::hangup(""));
    r.event(Event::key(1, 1));
    assert_eq!(
        (r.session.dsm_diag(), r.session.dsm_state()),
        ("other", "P")
    );
    assert_eq!(
        r.session.dsm_stategraph(),
        ["main/A", "other/O", "> u >", "other/P"]
    );
    // Without the options, dsm_diag and dsm_state are kept but not the graph.
    let mut r = Run::with(c, "main", SessionConfig::default());
    r.event(Event::hangup(""));
    assert_eq!(r.session.dsm_state(), "O");
    assert!(r.session.dsm_stategraph().is_empty());
}

#[test]
fn sessions_keep_their_collection_across_reloads() {
    let old = load("initial state OLD;\n");
    let r = Run::with(old.clone(), "main", SessionConfig::default());
    let new = load("initial state NEW;\n");
    let r2 = Run::with(new, "main", SessionConfig::default());
    assert_eq!((r.state().as_str(), r2.state().as_str()), ("OLD", "NEW"));
    assert!(std::sync::Arc::ptr_eq(r.session.collection(), &old));
}

#[test]
fn loading_a_further_script_builds_a_new_collection() {
    let l = MemoryLoader::new()
        .with_file("/d/a.dsm", "initial state A;\n")
        .with_file("/d/b.dsm", "initial state B;\n");
    let reg = ModuleRegistry::new();
    let c = Collection::load(&l, "/d", &["a"], &reg).unwrap();
    let c2 = c
        .with_script(&l, "/d/", "b", &reg, LoadOptions::default())
        .unwrap();
    assert_eq!(c.diagram_names(), ["a"]);
    assert_eq!(c2.diagram_names(), ["a", "b"]);
    let e = c2
        .with_script(&l, "/d/", "b", &reg, LoadOptions::default())
        .unwrap_err();
    assert!(e[0].message.contains("already loaded"));
}

#[test]
fn session_construction_errors() {
    let c = load("initial state A;\n");
    assert_eq!(
        Session::new(c, "nope", SessionConfig::default()).unwrap_err(),
        Error::UnknownDiagram("nope".into())
    );
    let mut r = Run::new("initial state A;\n");
    assert_eq!(
        r.session.start(r.now, &mut r.host),
        Err(Error::Lifecycle("already started"))
    );
}

#[test]
fn jump_loops_between_initial_states_are_cut_off() {
    let c = load_many(&[
        ("a", "initial state A enter { jumpFSM(b); };\n"),
        ("b", "initial state B enter { jumpFSM(a); };\n"),
    ]);
    let mut r = Run::with(c, "a", SessionConfig::default());
    let logs = r.logs();
    assert!(
        logs.last().is_some_and(|l| l.contains("event abandoned")),
        "{logs:?}"
    );
}
