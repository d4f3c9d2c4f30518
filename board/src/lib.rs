//! Board support for dsmbox: what the appliance needs from the hardware of a Raspberry
//! Pi-class board, as traits with Linux implementations and fakes.
//!
//! - [`audio`]: a sound device that captures and plays 20 ms frames of 8 kHz mono audio (a USB
//!   sound card, an FXS adapter or a line input) — the analog leg of a call.
//! - [`line`]: the telephone-line I/O around it: a debounced hook switch (with flash-hook), a
//!   ring relay with a ring cadence, and status LEDs. Generic over `embedded-hal` pins, and
//!   sans-IO in time (`now` in milliseconds is an argument), so the logic is tested with fakes.
//! - [`fake`]: in-memory pins and audio devices for tests of the layers above.
//! - `linux` (feature `linux`): ALSA PCM devices through the `alsa` crate and GPIO lines through
//!   linux-embedded-hal's character-device pins (`/dev/gpiochipN`; sysfs GPIO is deprecated).
//!
//! Pins and devices are named in one place only: the firmware's configuration.

#![forbid(unsafe_code)]

pub mod audio;
pub mod error;
pub mod fake;
pub mod line;
#[cfg(feature = "linux")]
pub mod linux;

pub use error::Error;
