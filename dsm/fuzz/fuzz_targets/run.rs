//! Load arbitrary text and, when it loads, run it: init, then a fixed sequence of events
//! and timeouts with a host that answers everything. The interpreter must not panic and
//! every event must end (the per-event step limit is lowered to keep iterations fast).

#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;

use dsm::{Collection, Event, EventKind, LoadOptions, ModuleRegistry, NullHost, Params, Session,
          SessionConfig};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let registry = ModuleRegistry::new();
    let options = LoadOptions {
        sems_compatible: true,
        warn_unhandled_hangup: false,
    };
    let Ok(c) = Collection::from_text("main", "/s/main.dsm", &text, &registry, options) else {
        return;
    };
    let mut cfg = SessionConfig {
        local_tag: "tag".into(),
        step_limit: Some(20_000),
        ..SessionConfig::default()
    };
    cfg.vars.insert("config.db_url".into(), "sqlite::memory:".into());
    let Ok(mut s) = Session::new(std::sync::Arc::new(c), "main", cfg) else {
        return;
    };
    let mut host = NullHost;
    let mut now = Instant::now();
    let _ = s.start(now, &mut host);
    let mut p = Params::new();
    p.insert("a_status".into(), "CANCEL".into());
    let events = [
        Event::invite("From: x\r\n"),
        Event::early_session(),
        Event::session_start(),
        Event::key(1, 100),
        Event::key(11, 100),
        Event::dsm_event(p),
        Event::with_params(EventKind::SipRequest, Params::new()),
        Event::hangup(""),
        Event::before_destroy(),
    ];
    for e in events {
        s.handle_event(now, e, &mut host);
        now += Duration::from_secs(1);
        s.handle_timeout(now, &mut host);
        while s.poll_command().is_some() {}
        let _ = (s.dsm_state(), s.dsm_stategraph().len(), s.poll_timeout());
    }
});
