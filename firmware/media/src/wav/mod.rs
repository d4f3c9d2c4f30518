//! WAV (RIFF) reading and writing for prompts and recordings.
//!
//! * [`parse`] checks a RIFF/WAVE file held in memory and returns its format and the audio bytes;
//!   [`decode`] turns any supported file into 8 kHz mono 16-bit samples, the media clock of this
//!   crate. The firmware reads the file and hands the bytes in; nothing here touches the disk.
//! * Supported encodings: PCM 8 (unsigned), 16, 24 and 32 bit, IEEE float 32 bit, G.711 A-law
//!   (format tag 6) and µ-law (tag 7), each also inside `WAVE_FORMAT_EXTENSIBLE` (tag 0xFFFE,
//!   sub-format GUID). Any channel count from 1 to 8 is mixed down to mono by averaging. Rates
//!   other than 8 kHz are resampled at load time ([`resample`]) with a Kaiser-windowed sinc
//!   low-pass (80 dB stop band from 4 kHz), so nothing above 4 kHz folds back into the band.
//! * [`encode`] writes a whole 8 kHz 16-bit mono file; [`StreamWriter`] writes one
//!   incrementally as a series of positioned writes, with a header that is valid at any moment
//!   (see its docs for the crash-safety argument).
//!
//! Why a hand-written reader rather than `hound`: hound rejects G.711 (tags 6 and 7), which is
//! what telephony prompts are mostly stored as; it reads through `io::Read` where we already
//! hold the bytes; and here a data chunk that is shorter than its header claims (a file cut off
//! by a crash or a partial copy) still plays what is there, flagged as `truncated`. The parser
//! is about 200 lines, never allocates from a size it read, and has a fuzz target
//! (`firmware/media/fuzz-wav`). hound is used in the tests as an independent oracle.
//!
//! Errors are values ([`WavError`]); malformed input never panics.

mod reader;
pub mod resample;
mod writer;

pub use reader::{Decoded, WavView, decode, parse};
pub use writer::{HEADER_LEN, MAX_DATA_BYTES, StreamWriter, WriteAt, encode, header};

/// How the samples of a WAV file are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// 8-bit unsigned linear PCM (offset 128).
    PcmU8,
    /// 16-bit signed little-endian linear PCM.
    Pcm16,
    /// 24-bit signed little-endian linear PCM.
    Pcm24,
    /// 32-bit signed little-endian linear PCM.
    Pcm32,
    /// 32-bit IEEE float, full scale ±1.0.
    Float32,
    /// G.711 A-law, 8 bits (format tag 6).
    Alaw,
    /// G.711 µ-law, 8 bits (format tag 7).
    Ulaw,
}

impl Encoding {
    /// Bytes per sample of one channel.
    pub fn bytes_per_sample(self) -> usize {
        match self {
            Encoding::PcmU8 | Encoding::Alaw | Encoding::Ulaw => 1,
            Encoding::Pcm16 => 2,
            Encoding::Pcm24 => 3,
            Encoding::Pcm32 | Encoding::Float32 => 4,
        }
    }
}

/// The format of a WAV file as its `fmt ` chunk declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavFormat {
    /// Sample encoding.
    pub encoding: Encoding,
    /// Interleaved channels (1..=8).
    pub channels: u16,
    /// Frames per second (4000..=384000).
    pub sample_rate: u32,
}

/// Why a WAV file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WavError {
    /// The bytes do not start with `RIFF....WAVE`.
    #[error("not a RIFF/WAVE file")]
    NotWave,
    /// The file ends inside a header (the RIFF header or the `fmt ` chunk).
    #[error("file ends inside the {0} header")]
    Truncated(&'static str),
    /// There is no `fmt ` chunk.
    #[error("no fmt chunk")]
    MissingFmt,
    /// There is no `data` chunk.
    #[error("no data chunk")]
    MissingData,
    /// The `fmt ` chunk is malformed.
    #[error("malformed fmt chunk: {0}")]
    BadFmt(&'static str),
    /// A format tag other than PCM, float, A-law or µ-law.
    #[error("unsupported format tag {0:#06x}")]
    UnsupportedFormat(u16),
    /// A supported format tag with a sample width we do not read.
    #[error("unsupported sample width: {bits} bits for format tag {tag:#06x}")]
    UnsupportedBits {
        /// The format tag (after resolving `WAVE_FORMAT_EXTENSIBLE`).
        tag: u16,
        /// `wBitsPerSample`.
        bits: u16,
    },
    /// Zero channels, or more than 8.
    #[error("unsupported channel count {0}")]
    UnsupportedChannels(u16),
    /// A sample rate outside 4000..=384000 Hz, or one whose ratio to 8000 Hz needs more than
    /// 1024 polyphase filters.
    #[error("unsupported sample rate {0} Hz")]
    UnsupportedRate(u32),
}
