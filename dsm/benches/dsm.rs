//! Benchmarks: load+check of the quizconnect bundle (and of a 3-state script, the size SEMS
//! quotes 0.2 ms for on a 2 GHz Pentium-M), and event dispatch through a 10-state script.
//!
//! References measured in the same run: for loading, splitting the same text on whitespace
//! (the least any tokenizer does); for dispatch, a hand-written Rust state machine doing the
//! same per-event work (read `#key`, compare, increment a variable in a string map, change
//! state). Ratios are printed at the end.
//!
//! `cargo bench -p dsm --bench dsm -- --warm-up-time 1 --measurement-time 3`

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use dsm::{
    Collection, Event, LoadOptions, MemoryLoader, ModuleRegistry, NullHost, Session, SessionConfig,
};

const CALLER: &str =
    include_str!("../../rootfs-overlay/usr/share/dsmbox/quizconnect/quizconnect_caller.dsm");
const CALLEE: &str =
    include_str!("../../rootfs-overlay/usr/share/dsmbox/quizconnect/quizconnect_callee.dsm");

const THREE_STATES: &str = "import(mod_dlg);\ninitial state START;\n\
transition \"got call\" START - invite / { dlg.acceptInvite(); playFile($(config.prompt_path)/hello.wav); } -> PLAYING;\n\
state PLAYING;\ntransition \"done\" PLAYING - noAudio / stop(true) -> END;\n\
transition \"bye\" (START, PLAYING) - hangup / stop(false) -> END;\nstate END;\n";

fn quiz_loader() -> MemoryLoader {
    MemoryLoader::new()
        .with_file("/q/quizconnect_caller.dsm", CALLER)
        .with_file("/q/quizconnect_callee.dsm", CALLEE)
}

/// Ten states in a ring; each has two transitions that do not match a key event before the
/// one that does, so every event scans three transitions and runs one action.
fn ring_script() -> String {
    let mut s = String::from("initial state S0;\n");
    for i in 1..10 {
        s.push_str(&format!("state S{i};\n"));
    }
    for i in 0..10 {
        let next = (i + 1) % 10;
        s.push_str(&format!(
            "transition \"hangup {i}\" S{i} - hangup -> S{i};\n\
             transition \"timer {i}\" S{i} - timer(#id==9) -> S{i};\n\
             transition \"step {i}\" S{i} - key(#key==1) / inc($n) -> S{next};\n"
        ));
    }
    s
}

fn ring_session(registry: &ModuleRegistry) -> (Session, NullHost, Instant) {
    let c = Collection::from_text(
        "ring",
        "/r/ring.dsm",
        &ring_script(),
        registry,
        LoadOptions::default(),
    )
    .expect("ring script loads");
    let mut s = Session::new(Arc::new(c), "ring", SessionConfig::default()).expect("session");
    let mut host = NullHost;
    let now = Instant::now();
    s.start(now, &mut host).expect("start");
    (s, host, now)
}

/// The reference for dispatch: the same machine written by hand.
struct HandFsm {
    state: usize,
    vars: BTreeMap<String, String>,
}

impl HandFsm {
    fn event(&mut self, kind: u8, params: &BTreeMap<String, String>) {
        // hangup and timer(#id==9) come first in every state, as in the script.
        if kind == 0 {
            return;
        }
        if kind == 1 && params.get("id").map(String::as_str) == Some("9") {
            return;
        }
        if kind == 2 && params.get("key").map(String::as_str) == Some("1") {
            let n = self.vars.entry("n".into()).or_default();
            let v: u32 = n.parse().unwrap_or(0);
            *n = (v + 1).to_string();
            self.state = (self.state + 1) % 10;
        }
    }
}

fn bench(c: &mut Criterion) {
    let registry = ModuleRegistry::new();
    let loader = quiz_loader();
    let names = ["quizconnect_caller", "quizconnect_callee"];
    c.bench_function("load+check quizconnect bundle", |b| {
        b.iter(|| black_box(Collection::load(&loader, "/q", &names, &registry).expect("loads")))
    });
    c.bench_function("load+check 3-state script", |b| {
        b.iter(|| {
            black_box(
                Collection::from_text(
                    "s",
                    "/s.dsm",
                    THREE_STATES,
                    &registry,
                    LoadOptions::default(),
                )
                .expect("loads"),
            )
        })
    });
    c.bench_function("reference: split quizconnect text on whitespace", |b| {
        b.iter(|| black_box(CALLER.split_whitespace().count() + CALLEE.split_whitespace().count()))
    });

    let (mut s, mut host, now) = ring_session(&registry);
    c.bench_function("dispatch key event (10-state ring)", |b| {
        b.iter(|| {
            s.handle_event(now, Event::key(1, 100), &mut host);
            while s.poll_command().is_some() {}
        })
    });
    let mut fsm = HandFsm {
        state: 0,
        vars: BTreeMap::new(),
    };
    c.bench_function("reference: hand-written FSM, same event", |b| {
        b.iter(|| {
            let e = Event::key(1, 100);
            fsm.event(2, e.params.as_ref().expect("params"));
            black_box(fsm.state);
        })
    });
    ratios(&registry);
}

/// Times `f` over enough iterations for about `budget`, returns ns per iteration.
fn per_iter(budget: Duration, mut f: impl FnMut()) -> f64 {
    let mut n = 1u64;
    loop {
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        let e = t.elapsed();
        if e >= budget {
            return e.as_nanos() as f64 / n as f64;
        }
        n *= 2;
    }
}

fn ratios(registry: &ModuleRegistry) {
    let budget = Duration::from_millis(500);
    let loader = quiz_loader();
    let names = ["quizconnect_caller", "quizconnect_callee"];
    let load = per_iter(budget, || {
        black_box(Collection::load(&loader, "/q", &names, registry).ok());
    });
    let three = per_iter(budget, || {
        black_box(
            Collection::from_text(
                "s",
                "/s.dsm",
                THREE_STATES,
                registry,
                LoadOptions::default(),
            )
            .ok(),
        );
    });
    let split = per_iter(budget, || {
        black_box(CALLER.split_whitespace().count() + CALLEE.split_whitespace().count());
    });
    let (mut s, mut host, now) = ring_session(registry);
    let dispatch = per_iter(budget, || {
        s.handle_event(now, Event::key(1, 100), &mut host);
        while s.poll_command().is_some() {}
    });
    let mut fsm = HandFsm {
        state: 0,
        vars: BTreeMap::new(),
    };
    let hand = per_iter(budget, || {
        let e = Event::key(1, 100);
        fsm.event(2, e.params.as_ref().expect("params"));
        black_box(fsm.state);
    });
    println!("\n--- summary ---");
    println!(
        "load+check quizconnect bundle: {:.1} us ({:.0}x whitespace split of the same text, {:.2} us)",
        load / 1e3,
        load / split,
        split / 1e3
    );
    println!(
        "load+check 3-state script: {:.1} us (SEMS quotes 200 us on a 2 GHz Pentium-M)",
        three / 1e3
    );
    println!(
        "dispatch: {:.0} ns/event = {:.2} M events/s ({:.1}x the hand-written FSM, {:.0} ns)",
        dispatch,
        1e3 / dispatch,
        dispatch / hand,
        hand
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
