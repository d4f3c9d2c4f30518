//! Spec §5 (core actions) and §6 (modules): each action's commands, variables and `$errno`.

mod common;

use common::*;
use dsm::*;

fn media(m: MediaCommand) -> Command {
    Command::Media(m)
}

fn non_log(cmds: Vec<Command>) -> Vec<Command> {
    cmds.into_iter()
        .filter(|c| !matches!(c, Command::Log { .. }))
        .collect()
}

// ---- core: playlist, media, DTMF ------------------------------------------------------------

#[test]
fn playlist_and_media_commands() {
    let mut r = Run::new(
        "initial state A enter {\n playFile(/a.wav); playFile(/b.wav, true); playFileFront(/c.wav);\n \
         playSilence(300); playSilenceFront(5);\n set($r.length=1000); set($r.on=100); playRingtone($r, true);\n \
         addSeparator(sep1); addSeparator(s2, true);\n recordFile(/rec.wav); stopRecord();\n \
         flushPlaylist(); closePlaylist(false); setInOutPlaylist(); setInputPlaylist(); setOutputPlaylist();\n \
         connectMedia(); disconnectMedia(); mute(); unmute();\n enableReceiving(); disableReceiving();\n \
         enableForceDTMFReceiving(); disableForceDTMFReceiving(); monitorRTPTimeout(true);\n \
         enableDTMFDetection(); disableDTMFDetection();\n sendDTMF(11); sendDTMF(3, 250);\n \
         sendDTMFSequence(1*#Z, 100);\n};\n",
    );
    use MediaCommand::*;
    use Position::*;
    let f = |p: &str, position, looped| {
        media(PlayFile {
            path: p.into(),
            position,
            looped,
        })
    };
    assert_eq!(
        r.drain(),
        vec![
            f("/a.wav", Back, false),
            f("/b.wav", Back, true),
            f("/c.wav", Front, false),
            media(PlaySilence {
                ms: 300,
                position: Back
            }),
            media(PlaySilence {
                ms: 5,
                position: Front
            }),
            media(PlayRingtone {
                length_ms: 1000,
                on_ms: 100,
                off_ms: 4000,
                f1: 440,
                f2: 480,
                position: Front
            }),
            media(AddSeparator {
                id: "sep1".into(),
                position: Back
            }),
            media(AddSeparator {
                id: "s2".into(),
                position: Front
            }),
            media(RecordFile {
                path: "/rec.wav".into()
            }),
            media(StopRecord),
            media(FlushPlaylist),
            media(FlushPlaylist),
            media(SetInOutPlaylist),
            media(SetInputPlaylist),
            media(SetOutputPlaylist),
            media(ConnectMedia),
            media(DisconnectMedia),
            media(Mute),
            media(Unmute),
            media(Receiving(true)),
            media(Receiving(false)),
            media(ForceDtmfReceiving(true)),
            media(ForceDtmfReceiving(false)),
            media(MonitorRtpTimeout(true)),
            media(DtmfDetection(true)),
            media(DtmfDetection(false)),
            media(SendDtmf {
                event: 11,
                duration_ms: 500
            }),
            media(SendDtmf {
                event: 3,
                duration_ms: 250
            }),
            media(SendDtmf {
                event: 1,
                duration_ms: 100
            }),
            media(SendDtmf {
                event: 10,
                duration_ms: 100
            }),
            media(SendDtmf {
                event: 11,
                duration_ms: 100
            }),
        ]
    );
}

#[test]
fn media_exceptions() {
    let check = |action: &str, host: fn(&mut FakeHost), ty: &str, key: &str, val: &str| {
        let text = format!(
            "initial state A;\ntransition t A - hangup / {action} -> A;\n\
             transition h A - exception / {{ set($t=#type); set($v=#{key}); }} -> A;\n"
        );
        let c = load(&text);
        let mut r = Run::with(c, "main", SessionConfig::default());
        host(&mut r.host);
        r.event(Event::hangup(""));
        assert_eq!(
            (r.var("t").as_str(), r.var("v").as_str()),
            (ty, val),
            "{action}"
        );
    };
    check(
        "playFile(/missing.wav)",
        |h| {
            h.missing_files.insert("/missing.wav".into());
        },
        "file",
        "path",
        "/missing.wav",
    );
    check(
        "recordFile(/ro/x.wav)",
        |h| {
            h.missing_files.insert("/ro/x.wav".into());
        },
        "file",
        "path",
        "/ro/x.wav",
    );
    check("playPrompt(hello)", |_| {}, "prompt", "name", "hello");
    check("setPrompts(de)", |_| {}, "prompt", "name", "de");
    check(
        "playSilence(x)",
        |_| {},
        "core",
        "cause",
        "cannot parse number",
    );
    check("sendDTMF(A)", |_| {}, "core", "cause", "invalid DTMF:A");
    check(
        "sendDTMF(1, x)",
        |_| {},
        "core",
        "cause",
        "invalid DTMF duration:x",
    );
    check(
        "createSystemDSM(a, )",
        |_| {},
        "core",
        "cause",
        "parameters missing - need both conf_name and script_name for createSystemDSM",
    );
}

#[test]
fn prompts_through_the_host() {
    let c = load(
        "initial state A;\ntransition t A - hangup / { playPrompt(welcome); playPromptLooped(ring); } -> A;\n",
    );
    let mut r = Run::with(c, "main", SessionConfig::default());
    r.host.prompts.insert("welcome".into());
    r.host.prompts.insert("ring".into());
    r.event(Event::hangup(""));
    assert_eq!(
        r.drain(),
        vec![
            media(MediaCommand::PlayPrompt {
                name: "welcome".into(),
                prompt_set: None,
                position: Position::Back,
                looped: false
            }),
            media(MediaCommand::PlayPrompt {
                name: "ring".into(),
                prompt_set: None,
                position: Position::Back,
                looped: true
            }),
        ]
    );
}

// ---- core: events, queues, DI ---------------------------------------------------------------

#[test]
fn post_event_copies_variables_by_name() {
    let mut r = Run::new(
        "initial state A enter {\n set($x=X); set($y=Y); set($s.a=1); set($s.b=2);\n \
         postEvent(tag, x;y);\n postEvent(tag, s.);\n set($names=x); postEvent(tag, $names);\n \
         postEvent(tag, $x);\n postEvent(tag);\n postEvent(unknown, x);\n};\n",
    );
    let p = |kv: &[(&str, &str)]| Command::PostEvent {
        target: "tag".into(),
        params: params(kv),
    };
    assert_eq!(
        r.drain(),
        vec![
            p(&[("x", "X"), ("y", "Y")]),
            p(&[("s.a", "1"), ("s.b", "2")]),
            p(&[("x", "X")]),
            // `$x` resolves to "X", and the variable named "X" (created empty) is copied.
            p(&[("X", "")]),
            p(&[]),
        ]
    );
    assert_eq!(r.var("errno"), "arg", "unknown target");
    assert_eq!(r.var("X"), "", "SEMS creates the missing variable");
    let mut r = Run::new("initial state A enter { set($v=1); postEvent(tag, var); };\n");
    match &r.drain()[0] {
        Command::PostEvent { params, .. } => {
            assert_eq!(params.get("v").map(String::as_str), Some("1"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn event_queues_and_objects() {
    let mut r = Run::new(
        "initial state A enter { registerEventQueue(q1); unregisterEventQueue(q1); trackObject(x); freeObject(x); releaseObject(x); };\n",
    );
    assert_eq!(
        r.drain(),
        vec![
            Command::RegisterEventQueue("q1".into()),
            Command::UnregisterEventQueue("q1".into())
        ]
    );
}

#[test]
fn di_calls_go_to_the_host() {
    struct DiHost(Vec<(String, String, Vec<DiArg>)>);
    impl Host for DiHost {
        fn di_call(&mut self, f: &str, func: &str, args: &[DiArg]) -> Result<DiValue, String> {
            self.0.push((f.into(), func.into(), args.to_vec()));
            Ok(DiValue::Array(vec![
                DiValue::Str("a".into()),
                DiValue::Int(7),
            ]))
        }
    }
    let c = load(
        "initial state A;\ntransition t A - hangup / {\n set($n=5); set($st.k=v); set($ar[0]=z);\n \
         DIgetResult(fact, fn, \"lit\", (int)$n, (struct)st, (array)ar, $n);\n \
         DIgetResultArray(fact, fn2);\n DI(x);\n} -> A;\n",
    );
    let mut host = DiHost(Vec::new());
    let mut s = Session::new(c, "main", SessionConfig::default()).unwrap();
    let now = std::time::Instant::now();
    s.start(now, &mut host).unwrap();
    s.handle_event(now, Event::hangup(""), &mut host);
    assert_eq!(
        host.0[0],
        (
            "fact".to_string(),
            "fn".to_string(),
            vec![
                DiArg::Str("lit".into()),
                DiArg::Int(5),
                DiArg::Struct([("k".to_string(), "v".to_string())].into_iter().collect()),
                DiArg::Array(vec!["z".into()]),
                DiArg::Str("5".into()),
            ]
        )
    );
    assert_eq!(s.var("DI_res0"), Some("a"));
    assert_eq!(s.var("DI_res1"), Some("7"));
    assert_eq!(s.var("DI_res[1]"), Some("7"));
    assert_eq!(s.var("DI_res_size"), Some("2"));
    assert_eq!(s.var("errno"), Some("arg"), "DI(x) lacks a function name");
}

#[test]
fn b2b_actions() {
    let mut r = Run::new(
        "initial state A enter {\n set($b2b_local_party=me); B2B.connectCallee(<sip:b@x>, sip:b@x);\n \
         B2B.terminateOtherLeg(); B2B.sendReinvite(true, $raw); B2B.addHeader(X-A: 1);\n \
         B2B.removeHeader(X-A); B2B.clearHeaders(); B2B.setHeaders(X-B: 2\\r\\n, true);\n \
         B2B.enableEarlyMediaRelay(true); B2B.setRelayOnly(false); set($e=1); B2B.relayEvent(e);\n};\n",
    );
    use B2BCommand::*;
    assert_eq!(
        r.drain()
            .into_iter()
            .map(|c| match c {
                Command::B2B(b) => b,
                other => panic!("{other:?}"),
            })
            .collect::<Vec<_>>(),
        vec![
            ConnectCallee {
                party: "<sip:b@x>".into(),
                uri: "sip:b@x".into(),
                relayed: false,
                vars: [("b2b_local_party".to_string(), "me".to_string())]
                    .into_iter()
                    .collect()
            },
            TerminateOtherLeg,
            SendReinvite {
                update_sdp: true,
                headers: "$raw".into()
            },
            AddHeader("X-A: 1".into()),
            RemoveHeader("X-A".into()),
            ClearHeaders,
            SetHeaders {
                headers: "X-B: 2\\r\\n".into(),
                replace_crlf: true
            },
            EnableEarlyMediaRelay(true),
            SetRelayOnly(false),
            RelayEvent(params(&[("e", "1")])),
        ]
    );
}

// ---- mod_dlg ----------------------------------------------------------------------------------

#[test]
fn dlg_replies() {
    let mut r = Run::new(
        "import(mod_dlg);\ninitial state A;\ntransition early A - hangup / dlg.reply(486, Busy) -> A;\n\
         transition t A - invite / {\n dlg.reply(100, Trying);\n set($dlg.reply.hdrs=X-A: 1\\r\\nX-B: 2);\n \
         dlg.reply(180, Ringing);\n dlg.reply(abc, Bad);\n set($e1=$errno);\n dlg.acceptInvite();\n \
         dlg.acceptInvite(183, Early);\n dlg.bye(X-Reason: done);\n} -> B;\nstate B;\n",
    );
    r.event(Event::hangup(""));
    assert_eq!(r.var("errno"), "general", "no INVITE to reply to yet");
    assert!(r.drain().is_empty());
    r.event(Event::invite(""));
    let h = "X-A: 1\r\nX-B: 2\r\n".to_string();
    assert_eq!(
        non_log(r.drain()),
        vec![
            Command::Reply {
                code: 100,
                reason: "Trying".into(),
                headers: String::new()
            },
            Command::Reply {
                code: 180,
                reason: "Ringing".into(),
                headers: h.clone()
            },
            Command::AcceptInvite {
                code: 200,
                reason: "OK".into(),
                headers: h.clone()
            },
            Command::AcceptInvite {
                code: 183,
                reason: "Early".into(),
                headers: h
            },
            Command::Bye {
                headers: "X-Reason: done".into()
            },
        ]
    );
    assert_eq!(r.var("e1"), "arg");
}

#[test]
fn dlg_request_events_and_bodies() {
    let mut r = Run::new(
        "import(mod_dlg);\ninitial state A;\n\
         transition r A - sipRequest; dlg.requestHasContentType(application/dtmf-relay) / {\n \
         dlg.getRequestBody(application/dtmf-relay, body);\n dlg.replyRequest(200, OK);\n \
         set(#processed=true);\n} -> A;\n\
         transition k A - key / dlg.replyRequest(200, OK) -> A;\n\
         transition ex A - exception / set($ex=#type) -> A;\n",
    );
    let out = r.event(
        Event::with_params(EventKind::SipRequest, params(&[("method", "INFO")]))
            .with_body("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n"),
    );
    assert!(out.processed);
    assert_eq!(r.var("body"), "Signal=5\r\nDuration=160\r\n");
    assert_eq!(
        r.drain(),
        vec![Command::ReplyRequest {
            code: 200,
            reason: "OK".into(),
            headers: String::new()
        }]
    );
    r.event(Event::key(1, 1));
    assert_eq!(r.var("ex"), "dlg", "no request in a key event");
}

#[test]
fn dlg_dialout_variables() {
    let mut r = Run::new(
        "import(mod_dlg);\ninitial state A enter {\n set(x_caller=alice); set(x_callee=bob); \
         set(x_domain=example.org); set(x_app=leg);\n set(x_r_uri=sip:bob@10.0.0.1); set(x_auth_user=u); \
         set(x_auth_pwd=p);\n set(x_hdrs=X-A: 1\\r\\nX-B: 2); set(x_var.pin=1234); set(x_var.a.b=nested);\n \
         set(x_ltag=wanted);\n dlg.dialout(x);\n set(y_caller=only);\n dlg.dialout(y);\n};\n",
    );
    let cmds = r.drain();
    assert_eq!(
        cmds[0],
        Command::Dialout(Box::new(Dialout {
            ltag: "wanted".into(),
            requested_ltag: Some("wanted".into()),
            app: "leg".into(),
            caller: "alice".into(),
            callee: "bob".into(),
            domain: "example.org".into(),
            r_uri: "sip:bob@10.0.0.1".into(),
            from: "<sip:alice@example.org>".into(),
            from_uri: "sip:alice@example.org".into(),
            to: "<sip:bob@example.org>".into(),
            auth: Some(("u".into(), "p".into())),
            headers: "X-A: 1\r\nX-B: 2".into(),
            vars: [("a.b", "nested"), ("pin", "1234")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }))
    );
    assert_eq!(r.var("x_ltag"), "wanted");
    assert_eq!(r.var("errno"), "arg", "y lacks callee, domain and app");
    assert_eq!(
        cmds[1],
        Command::Log {
            level: LogLevel::Warn,
            text: "need y_callee set for dlg.dialout(y)".into()
        }
    );
}

// ---- mod_conference --------------------------------------------------------------------------

#[test]
fn conference_actions() {
    let mut r = Run::new(
        "import(mod_conference);\ninitial state A enter {\n conference.leave(); set($e1=$errno);\n \
         conference.join(room1); conference.join(room2, listenonly); conference.leave();\n \
         conference.teejoin(tee); conference.teeleave(); conference.teeleave(); set($e2=$errno);\n \
         conference.postEvent(room1, 5); conference.setPlayoutType(jb);\n conference.setupMixIn(0.5, 0);\n \
         conference.playMixIn(/m.wav); conference.flushMixInList(); conference.size(room1, n);\n};\n",
    );
    use ConferenceCommand::*;
    assert_eq!(
        r.drain()
            .into_iter()
            .map(|c| match c {
                Command::Conference(x) => x,
                other => panic!("{other:?}"),
            })
            .collect::<Vec<_>>(),
        vec![
            Join {
                room: "room1".into(),
                mode: String::new()
            },
            Join {
                room: "room2".into(),
                mode: "listenonly".into()
            },
            Leave,
            TeeJoin {
                room: "tee".into(),
                channel: "conf.teechan".into()
            },
            TeeLeave {
                channel: "conf.teechan".into()
            },
            PostEvent {
                room: "room1".into(),
                id: 5
            },
            SetPlayoutType("jb".into()),
            SetupMixIn {
                level: "0.5".into(),
                seconds: 0
            },
            PlayMixIn {
                path: "/m.wav".into()
            },
            FlushMixInList,
        ]
    );
    assert_eq!(
        (r.var("e1").as_str(), r.var("e2").as_str()),
        ("script", "script")
    );
    assert_eq!(r.var("n"), "0");
    let mut r = Run::new(
        "import(mod_conference);\ninitial state A;\ntransition t A - hangup / conference.playMixIn(/x.wav) -> A;\n\
         transition e A - exception / set($c=#cause) -> A;\n",
    );
    r.event(Event::hangup(""));
    assert_eq!(r.var("c"), "mixer not setup!");
}

// ---- mod_mysql ------------------------------------------------------------------------------

fn db_run(text: &str) -> Run {
    let c = load(text);
    let mut cfg = SessionConfig::default();
    cfg.vars
        .insert("config.db_url".into(), "sqlite::memory:".into());
    let mut r = Run {
        session: Session::new(c, "main", cfg).expect("session"),
        host: FakeHost::new(Db::Rows(vec![
            ("35", "john", "12345"),
            ("35", "anna", "54321"),
        ])),
        now: std::time::Instant::now(),
    };
    r.session.start(r.now, &mut r.host).expect("start");
    r
}

#[test]
fn mysql_query_and_results() {
    let r = db_run(
        "import(mod_mysql);\ninitial state A enter {\n set($c=35); mysql.query(select 1); set($e0=$errno);\n \
         mysql.connect();\n mysql.query(select callee, pin from callees where caller='$c' order by id);\n \
         set($rows=$db.rows);\n mysql.getResult(1);\n mysql.getResult(0, pin);\n mysql.getResult(5);\n \
         set($e1=$errno);\n mysql.getResult(0, nope); set($e2=$errno);\n mysql.saveResult(first);\n \
         mysql.queryGetResult(select count(*) as n from callees);\n mysql.query(select 1 where 0);\n \
         mysql.useResult(first); mysql.getResult(0, callee);\n \
         mysql.execute(insert into callees (caller, callee, pin) values ($c, 'it''s $who', 'p'));\n \
         set($ins=$db.insert_id); set($aff=$db.rows);\n mysql.resolveQueryParams(where a=$c and b=$undef);\n \
         set($name=\"O'Brien\"); mysql.escape($esc=$name);\n};\n",
    );
    let v = |k: &str| r.session.var(k).unwrap_or("<unset>").to_string();
    assert_eq!(v("e0"), "connection");
    assert_eq!(v("rows"), "2");
    assert_eq!(
        v("pin"),
        "12345",
        "getResult(0, pin) ran after getResult(1)"
    );
    assert_eq!(v("e1"), "result");
    assert_eq!(v("e2"), "result");
    assert_eq!(v("n"), "2");
    assert_eq!(v("callee"), "john", "useResult restored the first result");
    assert_eq!((v("ins").as_str(), v("aff").as_str()), ("3", "1"));
    assert_eq!(v("db.qstr"), "where a=35 and b=");
    assert_eq!(
        v("esc"),
        "O'Brien",
        "values are bound, so escaping is the identity"
    );
    assert!(r.host.calls.contains(&HostCall::Execute {
        sql: "insert into callees (caller, callee, pin) values (?, ('it''s ' || ?), 'p')".into(),
        params: vec![SqlValue::Text("35".into()), SqlValue::Text(String::new())],
    }));
}

#[test]
fn mysql_conditions_and_errors() {
    let mut r = db_run(
        "import(mod_mysql);\ninitial state A;\n\
         transition c A - hangup; not mysql.connected() / mysql.connect(mysql://u:p@h/db) -> A;\n\
         transition d A - key; mysql.connected(); not mysql.hasResult() / mysql.query(select * from callees) -> HAS;\n\
         state HAS;\ntransition e HAS - key; mysql.hasResult() / mysql.disconnect() -> A;\n",
    );
    r.event(Event::hangup(""));
    assert_eq!(
        r.var("errno"),
        "arg",
        "a mysql:// URL is refused by this host"
    );
    assert_eq!(r.var("strerror"), "unsupported db_url 'mysql://u:p@h/db'");
    r.event(Event::key(1, 1));
    assert_eq!(r.state(), "A", "not connected");
    let mut r = db_run(
        "import(mod_mysql);\ninitial state A;\n\
         transition c A - hangup; not mysql.connected() / mysql.connect() -> A;\n\
         transition d A - key; mysql.connected(); not mysql.hasResult() / mysql.query(select * from callees) -> HAS;\n\
         state HAS;\ntransition e HAS - key; mysql.hasResult() / mysql.disconnect() -> A;\n",
    );
    r.event(Event::hangup(""));
    assert_eq!(r.var("errno"), "");
    r.event(Event::key(1, 1));
    assert_eq!(
        (r.state().as_str(), r.var("db.rows").as_str()),
        ("HAS", "2")
    );
    r.event(Event::key(1, 1));
    assert_eq!(r.state(), "A");
    assert_eq!(r.session.db_handle(), None);
}

// ---- mod_monitoring ---------------------------------------------------------------------------

#[test]
fn monitoring_actions() {
    let mut r = Run::new(
        "import(mod_monitoring);\ninitial state A enter {\n monitoring.set(a, 1); monitoring.log(b, $x);\n \
         monitoring.add(c, 2); monitoring.setGlobal(id1, k, v); monitoring.inc(id1, cnt);\n \
         monitoring.dec(id1, cnt); set($only=1); monitoring.logVars();\n};\n",
    );
    use MonitoringCommand::*;
    let m = |c: MonitoringCommand| Command::Monitoring(c);
    assert_eq!(
        r.drain(),
        vec![
            m(Set {
                id: None,
                attr: "a".into(),
                value: "1".into()
            }),
            m(Set {
                id: None,
                attr: "b".into(),
                value: String::new()
            }),
            m(Add {
                id: None,
                attr: "c".into(),
                value: "2".into()
            }),
            m(Set {
                id: Some("id1".into()),
                attr: "k".into(),
                value: "v".into()
            }),
            m(Inc {
                id: "id1".into(),
                attr: "cnt".into()
            }),
            m(Dec {
                id: "id1".into(),
                attr: "cnt".into()
            }),
            m(Set {
                id: None,
                attr: "only".into(),
                value: "1".into()
            }),
        ]
    );
}

// ---- mod_utils -------------------------------------------------------------------------------

#[test]
fn utils_actions() {
    // A JSON text has commas outside quotes, so it must come from a variable (as in SEMS).
    let mut cfg = SessionConfig::default();
    cfg.vars.insert(
        "json".into(),
        r#"{"a":1,"b":[true,"s"],"c":{"d":null}}"#.into(),
    );
    let mut r = Run::with(
        load(
            "import(mod_utils);\ninitial state A enter {\n utils.getCountRight(42, /n/);\n \
         set($a=1.5); utils.add($a, 2); set($s=7); utils.sub($s, 2.5); set($m=6); utils.mul($m, 7);\n \
         utils.int($i, 3.9); utils.md5($h, abc);\n set($str=a-b-c); utils.replace($str, -=>+);\n \
         set($t=x,y,,z); utils.splitString($t, \",\");\n set($lines=l1\n); utils.spell(ab, /sp/);\n \
         utils.decodeJson($json, $j);\n \
         utils.rand(r1, 10); utils.rand(r2); utils.getNewId(id);\n utils.playCountLeft(42, /n/);\n};\n",
        ),
        "main",
        cfg,
    );
    let v = |k: &str| r.var(k);
    assert_eq!(
        (v("count_file[0]"), v("count_file[1]")),
        ("/n/40.wav".into(), "/n/x2.wav".into())
    );
    assert_eq!(v("a"), "3.500000");
    assert_eq!(v("s"), "4.500000");
    assert_eq!(v("m"), "42");
    assert_eq!(v("i"), "3");
    assert_eq!(v("h"), "900150983cd24fb0d6963f7d28e17f72");
    assert_eq!(v("str"), "a+b+c");
    assert_eq!(
        (v("t[0]"), v("t[1]"), v("t[2]"), v("t[3]")),
        ("x".into(), "y".into(), "".into(), "z".into())
    );
    assert_eq!(
        (v("j.a"), v("j.b[0]"), v("j.b[1]"), v("j.c.d")),
        ("1".into(), "true".into(), "s".into(), "".into())
    );
    let r1: u32 = v("r1").parse().unwrap();
    assert!(r1 < 10);
    assert!(!v("id").is_empty());
    let files: Vec<String> = r
        .drain()
        .into_iter()
        .filter_map(|c| match c {
            Command::Media(MediaCommand::PlayFile { path, .. }) => Some(path),
            _ => None,
        })
        .collect();
    assert_eq!(files, ["/sp/a.wav", "/sp/b.wav", "/n/x2.wav", "/n/40.wav"]);
}

#[test]
fn utils_rand_is_seeded_per_session() {
    let text = "import(mod_utils);\ninitial state A enter { utils.rand(r); };\n";
    let cfg = |seed| SessionConfig {
        rng_seed: seed,
        ..Default::default()
    };
    let a = Run::with(load(text), "main", cfg(1)).var("r");
    let b = Run::with(load(text), "main", cfg(1)).var("r");
    let c = Run::with(load(text), "main", cfg(2)).var("r");
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn utils_conditions_and_crlf() {
    let mut r = Run::new(
        "import(mod_utils);\ninitial state A;\n\
         transition t A - utils.isInList(b, \"a, b ,c\"); utils.startsWith(#p, +49) / {\n \
         set($x=a\\r\\nb); utils.unescapeCRLF($x); set($y=$x); utils.escapeCRLF($y);\n} -> B;\nstate B;\n",
    );
    r.ev(EventKind::DsmEvent, &[("p", "+4930")]);
    assert_eq!(r.state(), "B");
    assert_eq!(r.var("x"), "a\r\nb");
    assert_eq!(r.var("y"), "a\\r\\nb");
}

// ---- mod_uri --------------------------------------------------------------------------------

#[test]
fn uri_actions_and_the_invite_hook() {
    // SPLIT_ARGS would strip the display name's leading quote: pass it in a variable.
    let mut cfg = SessionConfig::default();
    cfg.vars
        .insert("na".into(), "\"Bee\" <sip:5@example.org>;tag=xy".into());
    let mut r = Run::with(
        load(
            "import(mod_uri);\ninitial state A;\ntransition t A - invite / {\n \
         uri.parse(sip:john@10.0.0.1:5080;transport=udp, u_);\n \
         uri.parseNameaddr($na, n_);\n uri.getHeader(P-App-Param, pap);\n \
         uri.encode($enc=a b&c); uri.decode($dec=a%20b); uri.parse(sip:, bad_);\n} -> A;\n",
        ),
        "main",
        cfg,
    );
    r.event(Event::invite("From: x\r\nP-App-Param: a=1;b=2\r\n"));
    for (k, v) in [
        ("u_user", "john"),
        ("u_host", "10.0.0.1"),
        ("u_port", "5080"),
        ("u_param", "transport=udp"),
        ("n_display_name", "Bee"),
        ("n_user", "5"),
        ("n_uri_param.tag", "xy"),
        ("pap", "a=1;b=2"),
        ("enc", "a%20b%26c"),
        ("dec", "a b"),
        ("errno", "general"),
        ("hdrs", "From: x\r\nP-App-Param: a=1;b=2\r\n"),
    ] {
        assert_eq!(r.var(k), v, "{k}");
    }
}

// ---- mod_regex ------------------------------------------------------------------------------

#[test]
fn regex_compile_match_and_condition() {
    let mut r = Run::new(
        "import(mod_regex);\ninitial state A enter {\n regex.compile(sipuri, ^sip:([^@]+)@(.*)$);\n \
         regex.match(sipuri, sip:alice@example.org);\n set($u=$regex.match[1]); set($d=$regex.match[2]);\n \
         regex.compile(alt, a|ab); regex.match(alt, xabx); set($w=$regex.match[0]);\n \
         regex.compile(bad, [a); set($e=$errno);\n};\n\
         transition t A - regex.match(sipuri, #uri) / set($host=$regex.match[2]) -> B;\nstate B;\n",
    );
    assert_eq!(
        (r.var("u").as_str(), r.var("d").as_str()),
        ("alice", "example.org")
    );
    assert_eq!(r.var("w"), "ab", "POSIX leftmost-longest");
    assert_eq!(r.var("e"), "arg");
    r.ev(EventKind::DsmEvent, &[("uri", "tel:123")]);
    assert_eq!(
        (r.state().as_str(), r.var("regex.match").as_str()),
        ("A", "0")
    );
    r.ev(EventKind::DsmEvent, &[("uri", "sip:bob@host")]);
    assert_eq!((r.state().as_str(), r.var("host").as_str()), ("B", "host"));
}

#[test]
fn regex_table_is_shared_by_the_registry() {
    let reg = ModuleRegistry::new();
    reg.preload_regex("digits", "^[0-9]+$").unwrap();
    let l = MemoryLoader::new().with_file(
        "/t/main.dsm",
        "import(mod_regex);\ninitial state A enter { regex.match(digits, 12345); };\n",
    );
    let c = std::sync::Arc::new(Collection::load(&l, "/t", &["main"], &reg).unwrap());
    let r = Run::with(c, "main", SessionConfig::default());
    assert_eq!(r.var("regex.match"), "1");
}

// ---- mod_sys --------------------------------------------------------------------------------

#[test]
fn sys_actions_through_the_host() {
    let c = load(
        "import(mod_sys);\ninitial state A;\n\
         transition t A - hangup; sys.file_exists(/there) / { sys.mkdir(/d); set($e=$errno); \
         set($ts.tv_sec=10); set($ts.tv_usec=500000); set($t0.tv_sec=8); set($t0.tv_usec=750000); \
         sys.subTimestamp(ts, t0); } -> B;\n\
         state B;\ntransition p B - key / sys.popen($out=ls) -> B;\n\
         transition x B - exception / set($ex=#type) -> B;\n",
    );
    let mut r = Run::with(c, "main", SessionConfig::default());
    r.event(Event::hangup(""));
    assert_eq!(r.state(), "A");
    r.host.files.insert("/there".into());
    r.event(Event::hangup(""));
    assert_eq!(r.state(), "B");
    assert_eq!(r.var("e"), "file");
    assert_eq!(
        (
            r.var("ts.tv_sec").as_str(),
            r.var("ts.tv_usec").as_str(),
            r.var("ts.msec").as_str()
        ),
        ("1", "750000", "1750")
    );
    r.event(Event::key(1, 1));
    assert_eq!(r.var("ex"), "popen", "the default host refuses popen");
}
