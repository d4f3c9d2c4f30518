//! The board's error type.

/// Why a board operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The sound device could not be opened or configured.
    #[error("audio device '{device}': {reason}")]
    AudioOpen {
        /// The ALSA device name.
        device: String,
        /// What ALSA said.
        reason: String,
    },
    /// Reading or writing audio failed and could not be recovered.
    #[error("audio I/O: {0}")]
    AudioIo(String),
    /// A GPIO line could not be opened or used.
    #[error("gpio {chip} line {line}: {reason}")]
    Gpio {
        /// The character device, e.g. `/dev/gpiochip0`.
        chip: String,
        /// The line offset.
        line: u32,
        /// What the kernel said.
        reason: String,
    },
    /// A pin operation failed (embedded-hal error).
    #[error("pin: {0}")]
    Pin(String),
}
