//! Board support for dsmbox: traits for analog audio in 20 ms frames and for the appliance's
//! I/O (hook switch, ring relay, LEDs), Linux implementations behind the `linux` feature
//! (ALSA through the `alsa` crate, GPIO through linux-embedded-hal's character-device pins),
//! and fakes for tests.

#![forbid(unsafe_code)]
