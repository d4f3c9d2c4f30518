//! The seed application: the quizconnect tutorial's caller and callee scripts, read from
//! `rootfs-overlay/usr/share/dsmbox/quizconnect/`, driven through event transcripts. Each
//! test asserts the exact command sequence of every leg and the final state graphs.
//!
//! The database is a real in-memory SQLite; the tutorial's query runs with `@user` bound as
//! a parameter.

mod common;

use common::*;
use dsm::*;

const PROMPTS: &str = "/usr/share/dsmbox/quizconnect/prompts";

fn log(level: LogLevel, text: &str) -> Command {
    Command::Log {
        level,
        text: text.to_string(),
    }
}

fn play(file: &str) -> Command {
    Command::Media(MediaCommand::PlayFile {
        path: format!("{PROMPTS}/{file}"),
        position: Position::Back,
        looped: false,
    })
}

fn post(target: &str, kv: &[(&str, &str)]) -> Command {
    Command::PostEvent {
        target: target.to_string(),
        params: params(kv),
    }
}

fn flush() -> Command {
    Command::Media(MediaCommand::FlushPlaylist)
}

fn join(room: &str) -> Command {
    Command::Conference(ConferenceCommand::Join {
        room: room.to_string(),
        mode: String::new(),
    })
}

fn reply(code: u16, reason: &str) -> Command {
    Command::Reply {
        code,
        reason: reason.to_string(),
        headers: String::new(),
    }
}

fn accept(code: u16, reason: &str) -> Command {
    Command::AcceptInvite {
        code,
        reason: reason.to_string(),
        headers: String::new(),
    }
}

fn stop(send_bye: bool) -> Command {
    Command::Stop { send_bye }
}

fn dialout(ltag: &str, callee: &str, pin: &str) -> Command {
    let domain = "192.168.5.106:5080";
    Command::Dialout(Box::new(Dialout {
        ltag: ltag.into(),
        requested_ltag: None,
        app: "quizconnect_callee".into(),
        caller: "quizconnect".into(),
        callee: callee.into(),
        domain: domain.into(),
        r_uri: format!("sip:{callee}@{domain}"),
        from: format!("<sip:quizconnect@{domain}>"),
        from_uri: format!("sip:quizconnect@{domain}"),
        to: format!("<sip:{callee}@{domain}>"),
        auth: None,
        headers: String::new(),
        vars: [("a_ltag", "caller"), ("pin", pin)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }))
}

/// Graph entries: `"S"` is a state of `diag`, `">t"` a transition.
fn graph(diag: &str, items: &[&str]) -> Vec<String> {
    items
        .iter()
        .map(|i| match i.strip_prefix('>') {
            Some(t) => format!("> {t} >"),
            None => format!("{diag}/{i}"),
        })
        .collect()
}

fn caller_graph(items: &[&str]) -> Vec<String> {
    graph("quizconnect_caller", items)
}

fn callee_graph(items: &[&str]) -> Vec<String> {
    graph("quizconnect_callee", items)
}

const TWO_ROWS: &[(&str, &str, &str)] = &[("35", "john", "12345"), ("35", "anna", "54321")];

/// The caller's commands up to WAIT_CALLEE with both callee legs dialled.
fn caller_setup() -> Vec<Command> {
    vec![
        log(LogLevel::Info, "FSM:  'got invite!'"),
        accept(183, "Session Progress"),
        Command::Media(MediaCommand::SetInOutPlaylist),
        play("welcome_caller.wav"),
        dialout("callee-1", "john", "12345"),
        log(LogLevel::Debug, "FSM: $b_leg_ltag 'callee-1'"),
        dialout("callee-2", "anna", "54321"),
        log(LogLevel::Debug, "FSM: $b_leg_ltag 'callee-2'"),
    ]
}

const CALLER_TO_WAIT: &[&str] = &[
    "START",
    ">got INVITE in caller leg",
    "RUN_INVITE",
    ">we have results",
    "CREATE_CALLEE_LEGS",
    ">create one more",
    "CREATE_CALLEE_LEGS",
    ">create one more",
    "CREATE_CALLEE_LEGS",
    ">done creating callee legs",
    "WAIT_CALLEE",
];

/// A caller that dialled both callees, which answered and hear the welcome prompt.
fn ringing_then_answered() -> Exchange {
    let mut ex = Exchange::new(quizconnect(), FakeHost::new(Db::Rows(TWO_ROWS.to_vec())));
    ex.spawn("caller", "quizconnect_caller", "35", &[]);
    ex.send("caller", Event::invite("To: <sip:35@dsmbox>\r\n"));
    assert_eq!(ex.commands("caller"), caller_setup());
    assert_eq!(ex.graph("caller"), caller_graph(CALLER_TO_WAIT));
    // The 183 completed offer/answer: `earlySession` came after the invite event, in
    // WAIT_CALLEE, where nothing handles it (in SEMS it ran nested in RUN_INVITE, §3.9).
    assert_eq!(ex.session("caller").dsm_state(), "WAIT_CALLEE");
    // Both legs run the callee diagram with $pin and $a_ltag passed.
    for (tag, pin) in [("callee-1", "12345"), ("callee-2", "54321")] {
        let s = ex.session(tag);
        assert_eq!(s.var("pin"), Some(pin));
        assert_eq!(s.var("a_ltag"), Some("caller"));
        assert_eq!(s.dsm_diag(), "quizconnect_callee");
        assert_eq!(s.dsm_state(), "START");
    }
    // The tutorial's SQL ran with @user bound, not pasted.
    assert!(ex.host.calls.contains(&HostCall::Query {
        sql: "select callee, pin from callees where caller=?".into(),
        params: vec![SqlValue::Text("35".into())],
    }));
    ex.send("callee-1", Event::session_start());
    ex.send("callee-2", Event::session_start());
    for tag in ["callee-1", "callee-2"] {
        assert_eq!(ex.commands(tag), vec![play("welcome_callee.wav")]);
        assert_eq!(ex.session(tag).dsm_state(), "ENTER_PIN");
    }
    ex
}

fn keys(ex: &mut Exchange, tag: &str, digits: &str) {
    for ch in digits.chars() {
        let k = match ch {
            '*' => 10,
            '#' => 11,
            d => d.to_digit(10).expect("digit") as u8,
        };
        ex.send(tag, Event::key(k, 100));
    }
}

fn digit_graph(n: usize, last_matches: bool) -> Vec<&'static str> {
    let mut g = Vec::new();
    for i in 0..n {
        g.push(">pressed a number");
        g.push("TEST_PIN");
        if last_matches && i + 1 == n {
            g.extend([
                ">pin matches",
                "MATCHING_PIN",
                ">ok, connected",
                "CONNECTED",
            ]);
        } else {
            g.extend([">pin doesn't match", "ENTER_PIN"]);
        }
    }
    g
}

/// Callee 1 enters a wrong PIN, submits it with `#`, then the right one: the caller cancels
/// the other callee, accepts and joins the room; then the caller hangs up.
#[test]
fn two_callees_wrong_then_right_pin_then_caller_bye() {
    let mut ex = ringing_then_answered();
    keys(&mut ex, "callee-1", "12346#");
    keys(&mut ex, "callee-1", "12345");

    let mut callee1 = vec![play("welcome_callee.wav")];
    callee1.extend(std::iter::repeat_n(flush(), 6));
    callee1.push(play("sorry_pin_wrong.wav"));
    callee1.extend(std::iter::repeat_n(flush(), 5));
    callee1.push(post(
        "caller",
        &[("b_status", "MATCHED"), ("b_ltag", "callee-1")],
    ));
    callee1.push(join("caller"));
    assert_eq!(ex.commands("callee-1"), callee1);

    let mut caller = caller_setup();
    caller.extend([
        post("callee-1", &[("a_status", "CANCEL")]),
        post("callee-2", &[("a_status", "CANCEL")]),
        flush(),
        accept(200, "OK"),
        join("caller"),
    ]);
    assert_eq!(ex.commands("caller"), caller);
    assert_eq!(ex.session("caller").var("b_ltag"), Some("callee-1"));
    // The other callee was cancelled; the winner ignores its CANCEL in CONNECTED.
    assert_eq!(
        ex.commands("callee-2"),
        vec![play("welcome_callee.wav"), stop(true)]
    );
    assert!(ex.session("callee-2").is_stopped());

    ex.send("caller", Event::hangup("Reason: Q.850;cause=16\r\n"));
    caller.extend([
        post("callee-1", &[("a_status", "BYE")]),
        stop(false),
        Command::DbClose { handle: 1 },
    ]);
    assert_eq!(ex.commands("caller"), caller);
    callee1.push(stop(true));
    assert_eq!(ex.commands("callee-1"), callee1);
    assert!(ex.sessions.values().all(Session::is_stopped));

    let mut g = CALLER_TO_WAIT.to_vec();
    g.extend([
        ">callee got it",
        "CANCEL_OTHER_CALLEES",
        ">one more to cancel",
        "CANCEL_OTHER_CALLEES",
        ">one more to cancel",
        "CANCEL_OTHER_CALLEES",
        ">canceled all",
        "CONNECTED",
        ">BYE received",
        "END",
    ]);
    assert_eq!(ex.graph("caller"), caller_graph(&g));

    let mut g = vec!["START", ">session starts in callee leg", "ENTER_PIN"];
    g.extend(digit_graph(5, false));
    g.extend([
        ">pressed hash or start",
        "TEST_PIN_FINAL",
        ">pin doesn't match",
        "ENTER_PIN",
    ]);
    g.extend(digit_graph(5, true));
    g.extend([">BYE in other leg", "END"]);
    assert_eq!(ex.graph("callee-1"), callee_graph(&g));
    assert_eq!(
        ex.graph("callee-2"),
        callee_graph(&[
            "START",
            ">session starts in callee leg",
            "ENTER_PIN",
            ">got cancel from A leg",
            "END"
        ])
    );
}

/// `*` submits (and clears) a wrong PIN too; callee 2 wins and later hangs up itself.
#[test]
fn star_submits_and_callee_bye_ends_the_call() {
    let mut ex = ringing_then_answered();
    keys(&mut ex, "callee-2", "9*54321");
    let mut callee2 = vec![
        play("welcome_callee.wav"),
        flush(),
        flush(),
        play("sorry_pin_wrong.wav"),
    ];
    callee2.extend(std::iter::repeat_n(flush(), 5));
    callee2.extend([
        post("caller", &[("b_status", "MATCHED"), ("b_ltag", "callee-2")]),
        join("caller"),
    ]);
    assert_eq!(ex.commands("callee-2"), callee2);
    assert_eq!(
        ex.commands("callee-1"),
        vec![play("welcome_callee.wav"), stop(true)]
    );

    ex.send("callee-2", Event::hangup(""));
    callee2.extend([post("caller", &[("b_status", "BYE")]), stop(false)]);
    assert_eq!(ex.commands("callee-2"), callee2);
    let mut caller = caller_setup();
    caller.extend([
        post("callee-1", &[("a_status", "CANCEL")]),
        post("callee-2", &[("a_status", "CANCEL")]),
        flush(),
        accept(200, "OK"),
        join("caller"),
        stop(true),
        Command::DbClose { handle: 1 },
    ]);
    assert_eq!(ex.commands("caller"), caller);

    let mut g = CALLER_TO_WAIT.to_vec();
    g.extend([
        ">callee got it",
        "CANCEL_OTHER_CALLEES",
        ">one more to cancel",
        "CANCEL_OTHER_CALLEES",
        ">one more to cancel",
        "CANCEL_OTHER_CALLEES",
        ">canceled all",
        "CONNECTED",
        ">BYE in other leg",
        "END",
    ]);
    assert_eq!(ex.graph("caller"), caller_graph(&g));
    let mut g = vec!["START", ">session starts in callee leg", "ENTER_PIN"];
    g.extend(digit_graph(1, false));
    g.extend([
        ">pressed hash or start",
        "TEST_PIN_FINAL",
        ">pin doesn't match",
        "ENTER_PIN",
    ]);
    g.extend(digit_graph(5, true));
    g.extend([">BYE received", "END"]);
    assert_eq!(ex.graph("callee-2"), callee_graph(&g));
}

/// The caller cancels while both callees still ring: 487 to the caller, a CANCEL event to
/// every callee, each of which ends its call.
#[test]
fn caller_cancel_while_callees_ring() {
    let mut ex = Exchange::new(quizconnect(), FakeHost::new(Db::Rows(TWO_ROWS.to_vec())));
    ex.spawn("caller", "quizconnect_caller", "35", &[]);
    ex.send("caller", Event::invite(""));
    ex.send("caller", Event::hangup(""));
    let mut caller = caller_setup();
    caller.extend([
        reply(487, "Request Terminated"),
        post("callee-1", &[("a_status", "CANCEL")]),
        post("callee-2", &[("a_status", "CANCEL")]),
        stop(false),
        Command::DbClose { handle: 1 },
    ]);
    assert_eq!(ex.commands("caller"), caller);
    for tag in ["callee-1", "callee-2"] {
        assert_eq!(ex.commands(tag), vec![stop(true)]);
        assert_eq!(
            ex.graph(tag),
            callee_graph(&["START", ">got cancel from A leg", "END"])
        );
    }
    let mut g = CALLER_TO_WAIT.to_vec();
    g.extend([
        ">CANCEL received",
        "CANCEL_CALLEES",
        ">one more to cancel",
        "CANCEL_CALLEES",
        ">one more to cancel",
        "CANCEL_CALLEES",
        ">canceled all",
        "END",
    ]);
    assert_eq!(ex.graph("caller"), caller_graph(&g));
}

fn failing_invite(db: Db, missing_prompt: bool, user: &str) -> Exchange {
    let mut host = FakeHost::new(db);
    if missing_prompt {
        host.missing_files
            .insert(format!("{PROMPTS}/welcome_caller.wav"));
    }
    let mut ex = Exchange::new(quizconnect(), host);
    ex.spawn("caller", "quizconnect_caller", user, &[]);
    ex.send("caller", Event::invite(""));
    assert!(ex.session("caller").is_stopped());
    assert_eq!(ex.sessions.len(), 1, "no callee is dialled");
    ex
}

/// The welcome prompt cannot be opened: `playFile` throws `file`, the exception transition
/// replies 500.
#[test]
fn missing_prompt_file_gives_500() {
    let ex = failing_invite(Db::Rows(TWO_ROWS.to_vec()), true, "35");
    assert_eq!(
        ex.commands("caller"),
        vec![
            log(LogLevel::Info, "FSM:  'got invite!'"),
            accept(183, "Session Progress"),
            Command::Media(MediaCommand::SetInOutPlaylist),
            log(LogLevel::Error, "FSM:  'error opening file!'"),
            reply(500, "Server Internal Error"),
            stop(false),
            Command::DbClose { handle: 1 },
        ]
    );
    assert_eq!(
        ex.graph("caller"),
        caller_graph(&[
            "START",
            ">got INVITE in caller leg",
            "RUN_INVITE",
            ">error opening file",
            "END"
        ])
    );
}

/// `mysql.connect()` fails: `$errno=connection`, `throwOnError()` throws, the exception's
/// params (`#type`, `#text`) are logged, 500.
#[test]
fn db_connect_failure_gives_500() {
    let ex = failing_invite(Db::ConnectFails, false, "35");
    assert_eq!(
        ex.commands("caller"),
        vec![
            log(LogLevel::Info, "FSM:  'got invite!'"),
            log(LogLevel::Error, "FSM:  'error connecting to DB!'"),
            log(LogLevel::Error, "FSM: params set ---"),
            log(
                LogLevel::Error,
                "FSM:  #text='unable to open database file'"
            ),
            log(LogLevel::Error, "FSM:  #type='connection'"),
            log(LogLevel::Error, "FSM: params end ---"),
            reply(500, "Server Internal Error"),
            stop(false),
        ]
    );
    assert_eq!(ex.session("caller").var("db.errno"), Some("14"));
    assert_eq!(
        ex.graph("caller"),
        caller_graph(&[
            "START",
            ">got INVITE in caller leg",
            "RUN_INVITE",
            ">DB error when connecting",
            "END"
        ])
    );
}

/// The query fails (`$errno=query`): the reposted invite takes "query failed", 500. (In SEMS
/// the nested `earlySession` bypassed this transition, §3.9.)
#[test]
fn query_error_gives_500() {
    let ex = failing_invite(Db::NoTable, false, "35");
    assert_eq!(
        ex.commands("caller"),
        vec![
            log(LogLevel::Info, "FSM:  'got invite!'"),
            accept(183, "Session Progress"),
            Command::Media(MediaCommand::SetInOutPlaylist),
            play("welcome_caller.wav"),
            log(LogLevel::Warn, "FSM:  'query failed!'"),
            log(LogLevel::Error, "FSM: no event params ---"),
            reply(500, "Server Internal Error"),
            stop(false),
            Command::DbClose { handle: 1 },
        ]
    );
    // dlg.reply cleared $errno again; the driver's message stays.
    assert_eq!(ex.session("caller").var("errno"), Some(""));
    assert_eq!(
        ex.session("caller").var("db.ereason"),
        Some("no such table: callees")
    );
    assert_eq!(
        ex.graph("caller"),
        caller_graph(&[
            "START",
            ">got INVITE in caller leg",
            "RUN_INVITE",
            ">query failed",
            "END"
        ])
    );
}

/// No callee is listed for the dialled number: 404.
#[test]
fn zero_rows_gives_404() {
    let ex = failing_invite(Db::Rows(TWO_ROWS.to_vec()), false, "36");
    assert_eq!(
        ex.commands("caller"),
        vec![
            log(LogLevel::Info, "FSM:  'got invite!'"),
            accept(183, "Session Progress"),
            Command::Media(MediaCommand::SetInOutPlaylist),
            play("welcome_caller.wav"),
            log(LogLevel::Debug, "FSM:  'no results'"),
            reply(404, "Not found"),
            stop(false),
            Command::DbClose { handle: 1 },
        ]
    );
    assert_eq!(ex.session("caller").var("db.rows"), Some("0"));
    assert_eq!(
        ex.graph("caller"),
        caller_graph(&[
            "START",
            ">got INVITE in caller leg",
            "RUN_INVITE",
            ">no results",
            "END"
        ])
    );
}

/// A hostile `@user` stays a value: with pasted SQL (SEMS) it would return every row.
#[test]
fn sql_injection_through_the_request_uri_is_inert() {
    let ex = failing_invite(Db::Rows(TWO_ROWS.to_vec()), false, "0 or 1=1");
    assert!(ex.commands("caller").contains(&reply(404, "Not found")));
    assert!(ex.host.calls.contains(&HostCall::Query {
        sql: "select callee, pin from callees where caller=?".into(),
        params: vec![SqlValue::Text("0 or 1=1".into())],
    }));
}

/// Both scripts load with no warning, and the bundle's apps are its diagrams.
#[test]
fn scripts_load_and_check_clean() {
    let c = quizconnect();
    assert_eq!(
        c.diagram_names(),
        vec!["quizconnect_caller", "quizconnect_callee"]
    );
    assert!(c.warnings().is_empty());
    assert!(
        c.missing_apps(&["quizconnect_caller", "quizconnect_callee"])
            .is_empty()
    );
    assert_eq!(c.missing_apps(&["quizconnect"]), vec!["quizconnect"]);
    let caller = c.diagram("quizconnect_caller").unwrap();
    assert_eq!(caller.initial_state(), Some("START"));
    assert_eq!(caller.modules(), ["mod_dlg", "mod_mysql", "mod_conference"]);
}
