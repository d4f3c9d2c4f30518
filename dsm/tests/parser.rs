//! Spec §1: lexical structure, grammar and the parser's quirks, positive and negative, as
//! small scripts with the expected load result or run-time behaviour.

mod common;

use common::*;
use dsm::*;

fn errors(text: &str) -> Vec<String> {
    diagnostics(text)
        .into_iter()
        .filter(|d| !d.contains("warning:"))
        .collect()
}

fn warnings(text: &str) -> Vec<String> {
    diagnostics(text)
        .into_iter()
        .filter(|d| d.contains("warning:"))
        .collect()
}

fn loads(text: &str) {
    let e = errors(text);
    assert!(e.is_empty(), "{e:?}");
}

// ---- §1.1 preprocessing and #include ------------------------------------------------------

fn include_tree() -> MemoryLoader {
    MemoryLoader::new()
        .with_file(
            "/s/main.dsm",
            "#include \"states.dsm\"\n  #include 'trans'\n#include lib\n#include /abs/x.dsm\n",
        )
        .with_file("/s/states.dsm", "initial state A;\nstate B;\n")
        .with_file("/s/trans.dsm", "transition t A - hangup -> B;\n")
        .with_file("/s/lib/one.dsm", "transition u B - key -> A;\n")
        .with_file("/s/lib/README", "not a script\n")
        .with_file("/abs/x.dsm", "#include y.dsm\n")
        // Relative to the absolute include's directory, not /s/.
        .with_file("/abs/y.dsm", "state Y;\n")
}

#[test]
fn include_file_name_without_dsm_directory_and_absolute() {
    let c = Collection::load(&include_tree(), "/s", &["main"], &ModuleRegistry::new())
        .unwrap_or_else(|d| panic!("{}", render(&d)));
    assert_eq!(
        c.diagram("main").unwrap().state_names(),
        vec!["A", "B", "Y"]
    );
    let mut r = Run::with(std::sync::Arc::new(c), "main", SessionConfig::default());
    r.event(Event::hangup(""));
    assert_eq!(r.state(), "B");
    r.event(Event::key(1, 1));
    assert_eq!(r.state(), "A");
}

#[test]
fn errors_name_the_included_file_line_and_column() {
    let l = MemoryLoader::new()
        .with_file("/s/main.dsm", "initial state A;\n#include inc\n")
        .with_file("/s/inc.dsm", "\n\nstate B enter {\n   bogus(1);\n};\n");
    let d = Collection::load(&l, "/s/", &["main"], &ModuleRegistry::new()).unwrap_err();
    assert_eq!(
        render(&d),
        "/s/inc.dsm:4:4: could not find action for 'bogus(1)' (missing import?)\n"
    );
}

#[test]
fn include_errors() {
    let l = MemoryLoader::new()
        .with_file(
            "/s/a.dsm",
            "initial state A;\n#include b\n#include nope\n#include\n",
        )
        .with_file("/s/b.dsm", "#include a.dsm\n");
    let d = Collection::load(&l, "/s", &["a"], &ModuleRegistry::new()).unwrap_err();
    let text = render(&d);
    assert!(
        text.contains(
            "/s/b.dsm:1:1: recursive #include of '/s/a.dsm' (/s/a.dsm -> /s/b.dsm -> /s/a.dsm)"
        ),
        "{text}"
    );
    assert!(
        text.contains("/s/a.dsm:3:1: cannot open '/s/nope'"),
        "{text}"
    );
    assert!(
        text.contains("/s/a.dsm:4:1: missing include file name"),
        "{text}"
    );
    // A missing top-level script is one error, not a cascade.
    let d = Collection::load(&l, "/s", &["zzz"], &ModuleRegistry::new()).unwrap_err();
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].to_string(),
        "/s/zzz.dsm: cannot open '/s/zzz.dsm': No such file or directory"
    );
}

#[test]
fn functions_and_imports_are_per_top_level_file_includes_included() {
    let l = MemoryLoader::new()
        .with_file(
            "/s/a.dsm",
            "import(mod_utils);\nfunction f() { set($x=1); };\n#include b\n",
        )
        .with_file(
            "/s/b.dsm",
            "initial state A enter { f(); utils.add($x, 2); };\n",
        )
        .with_file("/s/c.dsm", "initial state C enter { f(); };\n");
    let c = Collection::load(&l, "/s", &["a"], &ModuleRegistry::new()).unwrap();
    let r = Run::with(std::sync::Arc::new(c), "a", SessionConfig::default());
    assert_eq!(r.var("x"), "3.000000");
    // `f` is unknown in another top-level file of the same bundle.
    let d = Collection::load(&l, "/s", &["a", "c"], &ModuleRegistry::new()).unwrap_err();
    assert_eq!(
        render(&d),
        "/s/c.dsm:1:25: could not find action for 'f()' (missing import?)\n"
    );
}

// ---- §1.2 tokens ------------------------------------------------------------------------------

#[test]
fn arguments_run_to_the_matching_paren_and_keep_unquoted_text() {
    let mut r = Run::new(
        "import(mod_dlg);\ninitial state A;\ntransition t A - invite / {\n  \
         dlg.reply(183, Session Progress);\n  set($sql=select a, b from t where (x=1) and y=';');\n} -> A;\n",
    );
    r.event(Event::invite(""));
    assert_eq!(
        r.drain()[0],
        Command::Reply {
            code: 183,
            reason: "Session Progress".into(),
            headers: String::new()
        }
    );
    assert_eq!(r.var("sql"), "select a, b from t where (x=1) and y=';'");
}

#[test]
fn quoted_names_lose_their_quotes() {
    let c = load(
        "initial state \"start state\";\ntransition 'a b' \"start state\" - hangup -> \"start state\";\n",
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
    r.event(Event::hangup(""));
    assert_eq!(
        r.session.dsm_stategraph(),
        ["main/start state", "> a b >", "main/start state"]
    );
}

#[test]
fn operators_need_surrounding_whitespace() {
    // `key(1)/log(x)` is one token: a `key` condition whose expression `1)/log(x` has no
    // operator (a warning; it never matches), and the transition has no actions.
    let text = "initial state A;\ntransition t A - key(1)/log(x) -> B;\nstate B;\n";
    assert_eq!(warnings(text).len(), 1, "{:?}", warnings(text));
    let mut r = Run::new(text);
    r.event(Event::key(1, 1));
    assert_eq!(r.state(), "A");
    // `A->B` is a single (source) token.
    let e = errors("initial state A;\ntransition t A->B;\nstate B;\n");
    assert!(
        e[0].contains("state 'A->B' for transition 't' not found"),
        "{e:?}"
    );
}

#[test]
fn an_apostrophe_swallows_text_up_to_the_next_one() {
    // The quote opened by "don't" runs to the apostrophe in "isn't": state B disappears into
    // the log's argument, so the transition's target is undefined.
    let text = "initial state A enter { log(1, don't); };\nstate B;\n\
                transition t A - hangup -> B; -- isn't\n";
    let e = errors(text);
    assert!(
        e.iter().any(|e| e.contains("state 'A' is not finished")),
        "{e:?}"
    );
}

#[test]
fn an_unbalanced_paren_swallows_the_rest_of_the_file() {
    let text = "initial state A enter { log(1, x; };\nstate B;\n";
    let d = diagnostics(text);
    assert!(
        d.iter()
            .any(|d| d.contains("warning: unterminated quote or parenthesis")),
        "{d:?}"
    );
    assert!(d.iter().any(|d| d.contains("is not finished")), "{d:?}");
    // SEMS-compatible mode: the loss is only warned about, as SEMS loads it silently.
    let d = diagnostics_with(
        text,
        LoadOptions {
            sems_compatible: true,
            ..Default::default()
        },
    );
    assert!(d.iter().all(|d| d.contains("warning:")), "{d:?}");
}

// ---- §1.3 reserved words and context ---------------------------------------------------------

#[test]
fn tokens_without_context_are_errors_bare_semicolons_are_not() {
    loads(";;\ninitial state A;;\n;\n");
    let e = errors("initial state A;\nhello;\n");
    assert_eq!(
        e,
        ["/t/main.dsm:2:1: without context I do not understand 'hello'"]
    );
}

#[test]
fn keywords_by_prefix_and_after_quote_stripping_are_fixed() {
    // SEMS takes any token starting with `import` as an import and `"state"` as the keyword;
    // both are plain names here (documented extension).
    loads(
        "initial state importantState;\ntransition \"state\" importantState - hangup -> importantState;\n",
    );
    // A real import of an unknown module names it.
    let e = errors("import(mod_py);\ninitial state A;\n");
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with("/t/main.dsm:1:1: import(mod_py): unknown module 'mod_py'"),
        "{e:?}"
    );
    assert_eq!(
        errors("import();\ninitial state A;\n"),
        ["/t/main.dsm:1:1: import needs a module name"]
    );
}

// ---- §1.4 states --------------------------------------------------------------------------

#[test]
fn state_tokens_other_than_enter_exit_are_ignored() {
    let text = "initial state A foo bar enter { set($x=1); };\n";
    assert_eq!(warnings(text).len(), 2);
    assert_eq!(Run::new(text).var("x"), "1");
}

#[test]
fn initial_applies_to_the_next_state_and_the_first_wins() {
    let text = "initial state A;\ninitial state B;\n";
    let e = errors(text);
    assert_eq!(
        e,
        [
            "/t/main.dsm:2:1: second initial state 'B' (the first, 'A', wins; SEMS logs an error and ignores this one)"
        ]
    );
    let d = diagnostics_with(
        text,
        LoadOptions {
            sems_compatible: true,
            ..Default::default()
        },
    );
    assert_eq!(d.len(), 1);
    assert!(d[0].contains("warning:"));
    // `initial` before a transition stays pending and marks the next state.
    let c = load("state A;\ninitial transition t A - hangup -> B;\nstate B;\n");
    assert_eq!(c.diagram("main").unwrap().initial_state(), Some("B"));
}

#[test]
fn missing_or_no_initial_state() {
    assert_eq!(
        errors("state A;\n"),
        ["/t/main.dsm:1:1: diagram 'main' has no initial state"]
    );
}

#[test]
fn duplicate_state_names_add_an_unreachable_copy() {
    let text = "initial state A enter { set($first=1); };\nstate A enter { set($second=1); };\n\
                transition t A - hangup -> A;\n";
    assert_eq!(warnings(text).len(), 1);
    let mut r = Run::new(text);
    r.event(Event::hangup(""));
    assert_eq!(r.var("second"), "<unset>");
}

#[test]
fn missing_semicolon_pushes_the_next_keyword() {
    // The transition completes first, while its source state is not yet registered.
    let e = errors("initial state A\ntransition t A - hangup -> A;\n;\n");
    assert_eq!(
        e,
        [
            "/t/main.dsm:2:14: state 'A' for transition 't' not found (a source state must be declared before its transitions)"
        ]
    );
}

#[test]
fn unfinished_elements_at_the_end_are_reported() {
    let e = errors("initial state A;\nstate B");
    assert_eq!(
        e,
        [
            "/t/main.dsm:2:7: state 'B' is not finished (missing ';' or '}') at the end of the file; SEMS silently drops it"
        ]
    );
}

// ---- §1.4 transitions -------------------------------------------------------------------------

#[test]
fn transition_forms() {
    let text = "initial state A;\nstate B;\nstate C;\nstate D;\n\
                transition \"t\" A --> B;\n\
                transition t2 B C;\n\
                transition t3 C - / set($x=1) -> D;\n\
                transition t4 D -/ set($y=1) -> A;\n";
    loads(text);
    let r = Run::new(text);
    // start: A --> B (no conditions), and nothing else runs on the same event.
    assert_eq!(r.state(), "B");
}

#[test]
fn multi_source_lists_trim_one_space_only() {
    let text = "initial state A;\nstate B;\nstate C;\n\
                transition t (A, B) - hangup -> C;\ntransition u C - key -> B;\n";
    let mut r = Run::new(text);
    r.event(Event::hangup(""));
    assert_eq!(r.state(), "C");
    r.event(Event::key(1, 1));
    r.event(Event::hangup(""));
    assert_eq!(r.state(), "C", "registered on B too");
    let e = errors("initial state A;\nstate B;\ntransition t (A,  B) - hangup -> A;\n");
    assert!(
        e[0].contains("state ' B' for transition 't' not found"),
        "{e:?}"
    );
}

#[test]
fn source_states_must_exist_targets_may_come_later() {
    loads("initial state A;\ntransition t A - hangup -> LATER;\nstate LATER;\n");
    let e = errors("initial state A;\ntransition t NOPE - hangup -> A;\n");
    assert_eq!(e.len(), 1);
    let e = errors("initial state A;\ntransition t A - hangup -> NOWHERE;\n");
    assert_eq!(
        e,
        ["/t/main.dsm:2:28: transition 't': destination state 'NOWHERE' is not defined"]
    );
    let e = errors("initial state A;\ntransition t A;\n");
    assert_eq!(e, ["/t/main.dsm:2:12: transition 't' has no target state"]);
    // A `;` inside a condition list is skipped, so this transition never ends.
    let e = errors("initial state A;\ntransition t A - hangup;\n");
    assert!(e[0].contains("transition 't' is not finished"), "{e:?}");
}

#[test]
fn unknown_target_at_run_time_in_compat_mode() {
    // SEMS loads it; at run time exit and transition actions run, then an error, no change.
    let l = MemoryLoader::new().with_file(
        "/t/main.dsm",
        "initial state A exit { set($exit=1); };\ntransition t A - hangup / set($tr=1) -> NOWHERE;\n",
    );
    let c = Collection::load_with(
        &l,
        "/t",
        &["main"],
        &ModuleRegistry::new(),
        LoadOptions {
            sems_compatible: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(c.warnings().len(), 1);
    let mut r = Run::with(std::sync::Arc::new(c), "main", SessionConfig::default());
    r.event(Event::hangup(""));
    assert_eq!(
        (
            r.var("exit").as_str(),
            r.var("tr").as_str(),
            r.state().as_str()
        ),
        ("1", "1", "A")
    );
    assert_eq!(
        r.logs(),
        ["script writer error: transition 't' from state 'A' to unknown state 'NOWHERE'"]
    );
}

#[test]
fn stray_tokens_after_the_target_are_ignored() {
    let text = "initial state A;\ntransition t A - hangup -> B C D;\nstate B;\n";
    assert_eq!(warnings(text).len(), 2);
}

// ---- §1.4 condition lists ---------------------------------------------------------------------

#[test]
fn not_toggles_the_next_condition_and_conditions_are_anded() {
    let text = "initial state A;\n\
                transition t A - not hangup; test($go==1) -> B;\n\
                transition u A - not not key; test(1==1) / set($go=1) -> A;\nstate B;\n";
    let mut r = Run::new(text);
    assert_eq!(r.state(), "A");
    r.event(Event::key(1, 1));
    assert_eq!(r.var("go"), "1");
    r.event(Event::hangup(""));
    assert_eq!(r.state(), "A", "not hangup fails on hangup");
    r.event(Event::key(2, 1));
    assert_eq!(r.state(), "B");
}

#[test]
fn braces_brackets_and_semicolons_are_ignored_in_condition_lists() {
    let mut r =
        Run::new("initial state A;\ntransition t A - { hangup; } / set($x=1) -> B;\nstate B;\n");
    r.event(Event::hangup(""));
    assert_eq!((r.var("x").as_str(), r.state().as_str()), ("1", "B"));
    let mut r = Run::new("initial state A;\ntransition t A - [ hangup ] -> B;\nstate B;\n");
    r.event(Event::hangup(""));
    assert_eq!(r.state(), "B");
}

#[test]
fn exception_may_appear_anywhere_in_the_list() {
    let mut r = Run::new(
        "initial state A;\ntransition t A - test(#type==x); exception -> B;\n\
         transition u A - hangup / throw(x) -> A;\nstate B;\n",
    );
    r.event(Event::hangup(""));
    assert_eq!(r.state(), "B");
}

// ---- §1.4 if / else ---------------------------------------------------------------------------

#[test]
fn if_else_and_bracketed_conditions() {
    let text = "initial state A;\ntransition t A - key / {\n \
                if test(#key==1) { set($r=one); } else { set($r=other); }\n \
                if [ test(#key==1); test(#duration==5) ] { set($both=1); }\n \
                if not test(#key==1) { set($not1=1); }\n} -> A;\n";
    let mut r = Run::new(text);
    r.event(Event::key(1, 5));
    assert_eq!(
        (
            r.var("r").as_str(),
            r.var("both").as_str(),
            r.var("not1").as_str()
        ),
        ("one", "1", "<unset>")
    );
    r.event(Event::key(2, 5));
    assert_eq!(
        (r.var("r").as_str(), r.var("not1").as_str()),
        ("other", "1")
    );
}

#[test]
fn a_bracketed_if_must_be_followed_by_a_brace() {
    let e = errors("initial state A enter { if [ test(1==1) ] set($x=1); };\n");
    assert!(
        e.iter()
            .any(|e| e.contains("got 'set($x=1)' after an if condition list")),
        "{e:?}"
    );
}

#[test]
fn else_must_follow_an_if_block() {
    let e = errors("initial state A enter { set($x=1); else { set($y=1); } };\n");
    assert_eq!(e, ["/t/main.dsm:1:36: syntax error: else without if block"]);
}

#[test]
fn there_is_no_else_if() {
    // `else if C {A} else {B}` leaves the outer else open: the next `}` closes it, so the
    // enter block needs one brace more than it looks.
    let text = "initial state A enter {\n if test($v==1) { set($r=1); } else if test($v==2) { set($r=2); } else { set($r=3); } }\n};\n";
    loads(text);
    let r = Run::new(text);
    assert_eq!(r.var("r"), "3");
    // Written as C would be, the enter block swallows the state's end.
    let e = errors(
        "initial state A enter {\n if test($v==1) { set($r=1); } else if test($v==2) { set($r=2); } else { set($r=3); }\n};\n",
    );
    assert!(e.iter().any(|e| e.contains("is not finished")), "{e:?}");
}

// ---- §1.4 for ---------------------------------------------------------------------------------

#[test]
fn the_three_for_forms() {
    let r = Run::new(
        "initial state A enter {\n set($a[0]=x); set($a[1]=y);\n for($v in $a) { append($s, $v); };\n \
         set($st.k1=1); set($st.k2=2);\n for($k,$w in $st) { append($t, $k); append($t, $w); };\n \
         for($i in range(3)) { append($u, $i); };\n for($i in range(3, 0)) { append($d, $i); };\n \
         set($n=2);\n for ($j in range(0, $n)) { append($e, $j); };\n};\n",
    );
    assert_eq!(r.var("s"), "xy");
    // The key is the name minus the struct name and one character.
    assert_eq!(r.var("t"), "k11k22");
    assert_eq!(r.var("u"), "012");
    assert_eq!(r.var("d"), "321");
    assert_eq!(r.var("e"), "01");
    // Loop variables are restored (here: removed) afterwards.
    assert_eq!(
        (
            r.var("v").as_str(),
            r.var("i").as_str(),
            r.var("k").as_str()
        ),
        ("<unset>", "<unset>", "<unset>")
    );
}

#[test]
fn for_struct_key_value_are_not_trimmed() {
    // `for($k, $v in $s)`: the value variable is " $v", i.e. "` $v`" minus nothing: a
    // variable whose name starts with a space.
    let r = Run::new(
        "initial state A enter {\n set($s.a=1);\n for($k, $v in $s) { set($got=$v); set($got2=$ $v); };\n};\n",
    );
    assert_eq!(r.var("got"), "", "$v is not the loop's value variable");
    assert_eq!(r.var("got2"), "1", "` $v` is");
}

#[test]
fn for_header_errors() {
    let e = errors("initial state A enter { for($x of $a) { set($y=1); }; };\n");
    assert_eq!(e.len(), 1);
    assert!(e[0].contains("syntax error in 'for ($x of $a)'"), "{e:?}");
}

#[test]
fn function_named_like_for_is_fixed() {
    // SEMS takes any action token starting with `for` as a for loop, so `format()` fails to
    // load; here only `for`/`for(` start a loop.
    let r = Run::new("function format() { set($f=1); };\ninitial state A enter { format(); };\n");
    assert_eq!(r.var("f"), "1");
}

// ---- §1.4 functions ---------------------------------------------------------------------------

#[test]
fn functions_are_inlined_macros_defined_earlier() {
    let r = Run::new(
        "function greet() { append($g, hi); };\nfunction twice() { greet(); greet(); };\n\
         initial state A enter { twice(any, args, ignored); };\n",
    );
    assert_eq!(r.var("g"), "hihi");
    let e = errors("initial state A enter { later(); };\nfunction later() { set($x=1); };\n");
    assert!(
        e[0].contains("could not find action for 'later()'"),
        "{e:?}"
    );
}

#[test]
fn functions_shadow_actions() {
    let r = Run::new(
        "function set() { append($shadow, 1); };\ninitial state A enter { set($x=1); };\n",
    );
    assert_eq!(
        (r.var("x").as_str(), r.var("shadow").as_str()),
        ("<unset>", "1")
    );
}

#[test]
fn function_trailing_semicolon_is_optional_here() {
    // SEMS requires `};` to register a function; dsmbox registers it when its body closes.
    let r = Run::new("function f() { set($x=1); }\ninitial state A enter { f(); };\n");
    assert_eq!(r.var("x"), "1");
    let e = errors("function { set($x=1); };\ninitial state A;\n");
    assert!(
        e[0].contains("function declarations must have a name"),
        "{e:?}"
    );
}

// ---- §1.5 names and arguments -----------------------------------------------------------------

#[test]
fn argument_splitting_examples() {
    let r = Run::new(
        "initial state A enter {\n set($a=b=c);\n set(b_leg_caller=quizconnect);\n \
         log(1, Session Progress, x);\n set($q=\"quoted, with comma\");\n \
         set('$w'='single');\n};\n",
    );
    assert_eq!(r.var("a"), "b=c");
    assert_eq!(r.var("b_leg_caller"), "quizconnect");
    assert_eq!(r.var("q"), "quoted, with comma");
    assert_eq!(r.var("w"), "single");
    let mut r = Run::new("initial state A enter { log(1, Session Progress, x); };\n");
    assert_eq!(r.logs(), ["FSM:  'Session Progress, x'"]);
}

#[test]
fn one_argument_actions_trim_and_unquote() {
    let r =
        Run::new("initial state A enter { set($v=\"\"x y\"\"); inc( \"$n\" ); inc('''n'''); };\n");
    assert_eq!(r.var("v"), "x y");
    assert_eq!(r.var("n"), "2");
}

#[test]
fn escapes_do_not_hide_a_separator() {
    // The scan ignores the backslash: the quote closes, the comma splits.
    let r = Run::new("initial state A enter { set(\"k\\\"=v\"=w); };\n");
    assert_eq!(r.var("k\\"), "v\"=w");
    let r = Run::new("initial state A enter { set($x=\"a\\\"b\"); };\n");
    assert_eq!(r.var("x"), "a\"b", "unquoting turns \\\" into a quote");
}

#[test]
fn missing_mandatory_second_argument_warns_and_runs_empty() {
    let text = "initial state A enter { set($x); append($y); };\n";
    assert_eq!(warnings(text).len(), 2);
    let r = Run::new(text);
    assert_eq!(r.var("x"), "<unset>");
    // SEMS creates the action with both parameters empty: `set` assigns "" to variable "".
    assert_eq!(r.var(""), "");
}

#[test]
fn module_names_are_looked_up_after_their_import_only() {
    let e = errors("initial state A enter { utils.rand($r); };\nimport(mod_utils);\n");
    assert!(
        e[0].contains("it is in mod_utils: missing import(mod_utils)?"),
        "{e:?}"
    );
    loads("import(mod_utils);\ninitial state A enter { utils.rand($r); };\n");
}

#[test]
fn imported_modules_override_core_names() {
    let mut reg = ModuleRegistry::new();
    let mut m = Module::new("mod_custom");
    m.action("log", ArgShape::One, |a: &Args, c: &mut ActionCtx<'_>| {
        c.set_var("custom_log", a.arg.clone());
        Ok(Flow::Continue)
    });
    reg.add_module(m);
    let l = MemoryLoader::new().with_file(
        "/t/main.dsm",
        "initial state A enter { log(1, core); import(mod_custom); log(mine); };\n",
    );
    let c = Collection::load(&l, "/t", &["main"], &reg).unwrap();
    let mut r = Run::with(std::sync::Arc::new(c), "main", SessionConfig::default());
    assert_eq!(r.var("custom_log"), "mine");
    assert_eq!(r.logs(), ["FSM:  'core'"]);
}

#[test]
fn every_error_is_reported_not_just_the_first() {
    let e = errors(
        "import(mod_nope);\ninitial state A enter { a1(); };\nstate B enter { else { a2(); } };\n\
         transition t X - c1 -> B;\ntransition u A - c2 / a3() -> Q;\n",
    );
    assert_eq!(e.len(), 9, "{e:#?}");
}

#[test]
fn function_inlining_is_bounded() {
    let mut text = String::from("function f0() { set($x=1); };\n");
    for i in 1..12 {
        let calls = format!("f{}(); ", i - 1).repeat(10);
        text.push_str(&format!("function f{i}() {{ {calls} }};\n"));
    }
    text.push_str("initial state A enter { f11(); };\n");
    let e = errors(&text);
    assert!(
        e.iter().any(|e| e.contains("after inlining functions")),
        "{e:?}"
    );
}

#[test]
fn exception_inside_if_is_parsed_and_ignored() {
    let r = Run::new("initial state A enter { if exception; test(1==1) { set($x=1); } };\n");
    assert_eq!(r.var("x"), "1", "the if runs as a plain condition list");
}
