//! Any bytes given to the WAV reader: an error or a bounded decode, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(view) = media::wav::parse(data) {
        assert!(view.data.len() <= data.len());
    }
    if let Ok(decoded) = media::wav::decode(data) {
        // Output is bounded by the input (4 kHz is the lowest rate, doubled to 8 kHz).
        assert!(decoded.samples.len() <= 2 * data.len() + 1);
    }
});
