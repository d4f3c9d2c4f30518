//! Spec §2 (values and variables) and §4 (conditions), through scripts.

mod common;

use common::*;
use dsm::*;

fn run_with_user(text: &str) -> Run {
    let mut cfg = SessionConfig::default();
    cfg.dialog.user = "35".into();
    cfg.dialog.domain = "example.org".into();
    cfg.vars.insert("config.prompt_path".into(), "/p".into());
    Run::with(load(text), "main", cfg)
}

#[test]
fn whole_value_resolution() {
    let r = run_with_user(
        "initial state A enter {\n set($a.b=1); set($x=$a.b); set($u=@user); set($d=@domain);\n \
         set($t=@local_tag); set($none=@nope); set($at=@); set($dd=$$x); set($lit=\"quoted\");\n \
         set($c=$config.prompt_path); set($single='x');\n};\n",
    );
    for (k, v) in [
        ("x", "1"),
        ("u", "35"),
        ("d", "example.org"),
        ("t", "tag"),
        ("none", ""),
        ("at", "@"),
        ("dd", "$"),
        ("lit", "quoted"),
        ("c", "/p"),
        ("single", "x"),
    ] {
        assert_eq!(r.var(k), v, "${k}");
    }
}

#[test]
fn eval_arithmetic() {
    let r = Run::new(
        "initial state A enter {\n set($n=10);\n eval($a=5-2-1);\n eval($b=$n + 5);\n eval($c=$n-x);\n \
         eval($d=3-5);\n};\n",
    );
    assert_eq!(r.var("a"), "4");
    assert_eq!(r.var("b"), "15");
    assert_eq!(
        r.var("c"),
        "",
        "not numbers: `$n-x` resolves as the variable `n-x`"
    );
    assert_eq!(r.var("d"), "-2");
}

#[test]
fn interpolation_rules() {
    let mut r = run_with_user(
        "initial state A;\ntransition t A - key / {\n set($v=V); set($s.x=S);\n \
         sets($a=$(config.prompt_path)/w.wav);\n sets($b=$config.prompt_path/w.wav);\n \
         sets($c=k=#key u=@user $v,$(v)x);\n sets($d=100$$ and \\$v);\n \
         sets($e=#(key)#(nope)|);\n logs(2, key #key);\n} -> A;\n",
    );
    r.event(Event::key(4, 1));
    assert_eq!(r.var("a"), "/p/w.wav");
    assert_eq!(
        r.var("b"),
        "",
        "`.` does not end a name: config.prompt_path/w.wav"
    );
    assert_eq!(r.var("c"), "k=4 u=35 V,Vx");
    assert_eq!(r.var("d"), "100$ and \\$v");
    assert_eq!(r.var("e"), "4|");
    assert_eq!(r.logs(), ["FSM: 'key 4'"]);
    // No event params at all: `#x` stays as written.
    let r = Run::new("initial state A enter { sets($x=a#b); };\n");
    assert_eq!(r.var("x"), "a#b");
}

#[test]
fn indirection_var_setvar_param() {
    let mut r = Run::new(
        "initial state A;\ntransition t A - event / {\n set($i=2);\n \
         sets($name=arr[$(i)]);\n setVar($name=hello);\n var($copy=$name);\n \
         param($p=which); set($which=#which); param($q=$which);\n} -> A;\n",
    );
    r.ev(EventKind::DsmEvent, &[("which", "k"), ("k", "value")]);
    assert_eq!(r.var("arr[2]"), "hello");
    assert_eq!(r.var("copy"), "hello");
    assert_eq!(r.var("p"), "k");
    assert_eq!(r.var("q"), "value");
}

#[test]
fn change_actions() {
    let r = Run::new(
        "initial state A enter {\n set($s=abcdef);\n set($s2=abcdef);\n set($s3=abc);\n \
         substr($s, 2);\n substr($s2, 1, 3);\n substr($s3, 9);\n append($ap, x); append($ap, $s);\n \
         inc($n); inc($n); set($m=7x); inc($m);\n};\n",
    );
    assert_eq!(r.var("s"), "cdef");
    assert_eq!(r.var("s2"), "bcd");
    assert_eq!(r.var("s3"), "abc", "out of range: unchanged");
    assert_eq!(r.var("ap"), "xcdef");
    assert_eq!(r.var("n"), "2");
    assert_eq!(r.var("m"), "1", "a non-number counts as 0");
}

#[test]
fn arrays_and_structs() {
    let r = Run::new(
        "initial state A enter {\n set($a[0]=x); set($a[1]=y); set($a[2]=z); set($a[4]=gap);\n \
         size($a, $n);\n arrayIndex($a, y); set($k=z); arrayIndex($a, $k); arrayIndex($a, w);\n \
         set($s.one=1); set($s.two=2); set($sx=other);\n clearStruct($s);\n \
         set($b[0]=1); set($b[1]=2); set($b.keep=1); clearArray($b);\n};\n",
    );
    assert_eq!(r.var("n"), "3", "counts up to the first gap");
    assert_eq!(r.var("k.index"), "2");
    assert_eq!(
        r.var("index"),
        "nil",
        "the last lookup of a literal key wins"
    );
    assert_eq!(
        (r.var("s.one").as_str(), r.var("sx").as_str()),
        ("<unset>", "other")
    );
    assert_eq!(
        (r.var("b[0]").as_str(), r.var("b.keep").as_str()),
        ("<unset>", "1")
    );
}

#[test]
fn array_for_walks_the_ordered_map() {
    let mut text = String::from("initial state A enter {\n");
    for i in 0..12 {
        text.push_str(&format!(" set($a[{i}]={i});\n"));
    }
    text.push_str(" set($a[1].f=F);\n for($v in $a) { append($o, $v,); };\n};\n");
    let r = Run::new(&text);
    // SEMS's map order (bytewise): a[10] and a[11] sort before a[1] and a[2]; a[1].f is
    // visited too. (`append`
    // resolves `$v,` as the variable "v," so only the commas would show; use sets.)
    let mut text2 = text.replace("append($o, $v,)", "sets($o=$(o)$(v),)");
    text2.push('\n');
    let r2 = Run::new(&text2);
    assert_eq!(r2.var("o"), "0,10,11,1,F,2,3,4,5,6,7,8,9,");
    assert_eq!(r.var("o"), "");
}

#[test]
fn logging_forms_and_levels() {
    let mut r = run_with_user(
        "initial state A;\ntransition t A - key / {\n set($v=V);\n log(3, $v);\n log(0, plain);\n \
         log(x, nope);\n dbg(d $v); info(i); warn(w); error(e);\n logVars(1);\n logParams(2);\n \
         logSelects(3);\n} -> A;\n",
    );
    r.event(Event::key(1, 20));
    let cmds = r.drain();
    let levels: Vec<(LogLevel, String)> = cmds
        .into_iter()
        .filter_map(|c| match c {
            Command::Log { level, text } => Some((level, text)),
            _ => None,
        })
        .collect();
    let expect = [
        (LogLevel::Debug, "FSM: $v 'V'"),
        (LogLevel::Error, "FSM:  'plain'"),
        (LogLevel::Error, "unknown log level 'x'"),
        (LogLevel::Debug, "FSM: 'd V'"),
        (LogLevel::Info, "FSM: 'i'"),
        (LogLevel::Warn, "FSM: 'w'"),
        (LogLevel::Error, "FSM: 'e'"),
        (LogLevel::Warn, "FSM: variables set ---"),
        (LogLevel::Warn, "FSM:  $config.prompt_path='/p'"),
        (LogLevel::Warn, "FSM:  $v='V'"),
        (LogLevel::Warn, "FSM: variables end ---"),
        (LogLevel::Info, "FSM: params set ---"),
        (LogLevel::Info, "FSM:  #duration='20'"),
        (LogLevel::Info, "FSM:  #key='1'"),
        (LogLevel::Info, "FSM: params end ---"),
        (LogLevel::Debug, "FSM: selects set ---"),
        (LogLevel::Debug, "FSM:  @local_tag='tag'"),
        (LogLevel::Debug, "FSM:  @user='35'"),
        (LogLevel::Debug, "FSM:  @domain='example.org'"),
        (LogLevel::Debug, "FSM:  @remote_tag=''"),
        (LogLevel::Debug, "FSM:  @callid=''"),
        (LogLevel::Debug, "FSM:  @local_uri=''"),
        (LogLevel::Debug, "FSM:  @local_party=''"),
        (LogLevel::Debug, "FSM:  @remote_uri=''"),
        (LogLevel::Debug, "FSM:  @remote_party=''"),
        (LogLevel::Debug, "FSM: selects end ---"),
    ];
    let got: Vec<(LogLevel, &str)> = levels.iter().map(|(l, t)| (*l, t.as_str())).collect();
    assert_eq!(got, expect);
}

// ---- §4 conditions --------------------------------------------------------------------------

fn cond(expr: &str, vars: &[(&str, &str)]) -> bool {
    let mut text = String::from("initial state A enter {\n");
    for (k, v) in vars {
        text.push_str(&format!(" set(${k}={v});\n"));
    }
    text.push_str("};\n");
    text.push_str(&format!(
        "transition t A - test({expr}) -> YES;\nstate YES;\n"
    ));
    Run::new(&text).state() == "YES"
}

#[test]
fn test_operators() {
    assert!(cond("$a == x", &[("a", "x")]));
    assert!(!cond("$a == x", &[("a", "y")]));
    assert!(cond("$a != x", &[("a", "y")]));
    assert!(cond("$a == ab*", &[("a", "abc")]), "prefix wildcard");
    assert!(cond("$a == *", &[("a", "anything")]));
    assert!(!cond("$a == abc*", &[("a", "ab")]));
    assert!(
        cond("$a != *", &[("a", "x")]),
        "no wildcard in !=: 'x' != '*'"
    );
    assert!(!cond("$a != *", &[("a", "*")]));
    assert!(cond("$a < 10", &[("a", "9")]), "numeric");
    assert!(
        cond("$a > 10", &[("a", "9x")]),
        "lexicographic: '9x' > '10'"
    );
    assert!(cond("$a < 1", &[]), "the empty string parses as 0");
    assert!(cond("$a > -1", &[("a", "0")]));
    // No `<=`: this is `$a < "= 5"`, compared as text ('4' < '=').
    assert!(cond("$a <= 5", &[("a", "4")]));
    assert!(cond("$a <= 5", &[("a", "9")]));
    assert!(cond("len($a) == 3", &[("a", "abc")]));
    assert!(
        cond("3 == len($a)", &[("a", "abc")]),
        "len() on the right works here (SEMS bug fixed)"
    );
    assert!(
        !cond("$a == 'x'", &[("a", "x")]),
        "test() does not strip single quotes: x != 'x'"
    );
    assert!(
        cond("$a == \"x\"", &[("a", "x")]),
        "double quotes are stripped by resolution"
    );
    assert!(!cond("$a=x", &[("a", "x")]), "no operator: never matches");
}

#[test]
fn typed_conditions_match_only_their_event() {
    let mut r = Run::new(
        "initial state A;\ntransition h A - hangup -> H;\ntransition k A - key(#key<10) -> DIGIT;\n\
         transition k2 A - key -> OTHERKEY;\ntransition kp A - keyPress(5) -> NEVER;\n\
         state H;\nstate DIGIT;\nstate OTHERKEY;\nstate NEVER;\n",
    );
    r.event(Event::key(11, 1));
    assert_eq!(r.state(), "OTHERKEY", "#key 11 is '#'");
    let mut r = Run::new("initial state A;\ntransition kp A - keyPress(5) -> FIVE;\nstate FIVE;\n");
    r.event(Event::key(4, 1));
    assert_eq!(r.state(), "A");
    r.event(Event::key(5, 1));
    assert_eq!(r.state(), "FIVE");
    let mut r = Run::new(
        "initial state A;\ntransition t A - timer(#id==2) -> T;\ntransition n A - noAudio(#type==cleared) -> N;\n\
         transition s A - separator(#id==s1) -> S;\nstate T; state N; state S;\n",
    );
    r.event(Event::no_audio(false));
    assert_eq!(r.state(), "A");
    r.event(Event::no_audio(true));
    assert_eq!(r.state(), "N");
}

#[test]
fn every_event_condition_name_is_known() {
    for name in [
        "start",
        "invite",
        "sessionStart",
        "earlySession",
        "early",
        "ringing",
        "failed",
        "hangup",
        "key",
        "keyTest",
        "timer",
        "timerTest",
        "noAudio",
        "noAudioTest",
        "separator",
        "separatorTest",
        "event",
        "eventTest",
        "B2Bevent",
        "B2B.otherReply",
        "B2B.otherBye",
        "B2B.otherRequest",
        "sipRequest",
        "sipReply",
        "remoteDisappeared",
        "sessionTimeout",
        "rtpTimeout",
        "system",
        "jsonRpcRequest",
        "jsonRpcResponse",
        "subscription",
        "startup",
        "reload",
        "beforeDestroy",
    ] {
        let d = diagnostics(&format!(
            "initial state A;\ntransition t A - {name} -> A;\n"
        ));
        assert!(d.is_empty(), "{name}: {d:?}");
    }
}

#[test]
fn processed_flag_reaches_the_host() {
    let mut r = Run::new(
        "initial state A;\ntransition t A - sipRequest(#method==OPTIONS) / set(#processed=true) -> A;\n",
    );
    let out = r.ev(EventKind::SipRequest, &[("method", "OPTIONS")]);
    assert!(out.processed);
    let out = r.ev(EventKind::SipRequest, &[("method", "INFO")]);
    assert!(!out.processed);
}
