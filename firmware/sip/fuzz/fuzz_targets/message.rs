//! Whole datagrams through the parser. Whatever parses must build (through rsip) into bytes
//! that parse back to the same message: the emitter and the parser agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip::msg::{Limits, parse};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Ok(msg) = parse(data, &limits) {
        let wire = msg.to_bytes();
        match parse(&wire, &limits) {
            Ok(again) => assert_eq!(again, msg, "round trip changed the message"),
            Err(e) => panic!(
                "we built something we cannot parse ({e}):\n{}",
                String::from_utf8_lossy(&wire)
            ),
        }
    }
});
