//! RFC 4733: the payload reader and the receiver state machine fed a stream of
//! (timestamp, marker, payload, time step) records read from the input. Each finished event
//! must be reported with a sane duration, and never more events than packets.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use media::telephone_event::{EventPayload, EventReceiver};

fuzz_target!(|data: &[u8]| {
    let _ = EventPayload::parse(data);
    let mut r = EventReceiver::new();
    let mut now = Instant::now();
    let mut packets = 0u64;
    let mut reported = 0u64;
    // Records: ts (2 bytes, scaled), flags (1), payload length (1), payload.
    let mut rest = data;
    while let [t0, t1, flags, len, tail @ ..] = rest {
        let n = usize::from(*len % 8).min(tail.len());
        let (payload, next) = tail.split_at(n);
        rest = next;
        let ts = u32::from(u16::from_be_bytes([*t0, *t1])) * 80;
        let marker = flags & 1 != 0;
        now += Duration::from_millis(u64::from(flags >> 1) * 5);
        if r.on_packet(now, ts, marker, payload).is_ok() {
            packets += 1;
        }
        r.on_voice(ts.wrapping_add(u32::from(*flags) * 160));
        r.handle_timeout(now);
        while let Some(e) = r.poll_event() {
            reported += 1;
            assert!(e.duration <= 0xFFFF * 64 + 0xFFFF, "duration {}", e.duration);
        }
    }
    assert!(reported <= packets);
});
