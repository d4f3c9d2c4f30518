//! Linux implementations: ALSA sound devices and GPIO character-device lines.
//!
//! ALSA device names are the usual ones: `default`, `plughw:1,0` for a USB sound card,
//! `null`, or `file:FILE=/tmp/out.raw` (ALSA's file plugin) for tests without hardware. GPIO
//! lines are opened by chip path (`/dev/gpiochip0`) and line offset, never through the
//! deprecated sysfs interface (whose numbers moved on 6.6+ Raspberry Pi kernels).

mod alsa_audio;
mod gpio;

pub use alsa_audio::AlsaAudio;
pub use gpio::{open_input, open_output};
