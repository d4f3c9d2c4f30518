//! The RIFF/WAVE reader: chunk walk, `fmt ` validation, sample conversion and mix-down.
//!
//! Rules, from the Microsoft RIFF and `WAVEFORMATEXTENSIBLE` documentation:
//! * a chunk is a 4-byte id, a little-endian 32-bit size and the body, padded to an even length
//!   (the pad byte is not counted in the size);
//! * the RIFF size field is ignored: chunks are walked to the end of the bytes we were given,
//!   because writers that crash or stream leave it wrong;
//! * a `data` chunk that claims more bytes than remain is cut to what remains (`truncated`),
//!   rounded down to whole frames; a `fmt ` chunk that claims more is an error;
//! * unknown chunks (`LIST`, `fact`, `cue `, ...) are skipped; `fmt ` and `data` may come in
//!   either order.

use super::{Encoding, WavError, WavFormat, resample};
use crate::{SAMPLE_RATE, g711};

/// The sub-format GUID of `WAVE_FORMAT_EXTENSIBLE` after its first two bytes (the format tag):
/// `xxxx0000-0000-0010-8000-00aa00389b71`.
const EXTENSIBLE_GUID_TAIL: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];

const TAG_PCM: u16 = 1;
const TAG_FLOAT: u16 = 3;
const TAG_ALAW: u16 = 6;
const TAG_ULAW: u16 = 7;
const TAG_EXTENSIBLE: u16 = 0xFFFE;

/// Lowest and highest sample rate accepted.
const MIN_RATE: u32 = 4000;
const MAX_RATE: u32 = 384_000;
const MAX_CHANNELS: u16 = 8;

/// A parsed WAV file: its format and the bytes of whole frames of audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavView<'a> {
    /// The declared format.
    pub format: WavFormat,
    /// The audio bytes, a whole number of frames.
    pub data: &'a [u8],
    /// The `data` chunk claimed more bytes than the file holds.
    pub truncated: bool,
}

impl WavView<'_> {
    /// Frames (samples per channel) in [`WavView::data`].
    pub fn frames(&self) -> usize {
        self.data.len() / self.frame_bytes()
    }

    fn frame_bytes(&self) -> usize {
        self.format.encoding.bytes_per_sample() * usize::from(self.format.channels)
    }
}

/// A WAV file decoded to the media format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// 8 kHz mono 16-bit samples.
    pub samples: Vec<i16>,
    /// The format the file was stored in.
    pub source: WavFormat,
    /// The file was cut short: its `data` chunk claimed more bytes than it holds.
    pub truncated: bool,
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

/// Parse a RIFF/WAVE file held in memory. Never panics and never allocates.
pub fn parse(bytes: &[u8]) -> Result<WavView<'_>, WavError> {
    if bytes.len() < 12 {
        return Err(if bytes.starts_with(b"RIFF") {
            WavError::Truncated("RIFF")
        } else {
            WavError::NotWave
        });
    }
    if &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(WavError::NotWave);
    }

    let mut format: Option<WavFormat> = None;
    let mut data: Option<(&[u8], bool)> = None;
    let mut pos = 12usize;
    while let (Some(id), Some(size)) = (bytes.get(pos..pos + 4), le32(bytes, pos + 4)) {
        let body_start = pos + 8;
        let remaining = bytes.len() - body_start;
        // u32 always fits usize on the 32- and 64-bit targets we build for.
        let size = size as usize;
        match id {
            b"fmt " => {
                if size > remaining {
                    return Err(WavError::Truncated("fmt"));
                }
                format = Some(parse_fmt(&bytes[body_start..body_start + size])?);
            }
            b"data" => {
                let truncated = size > remaining;
                let len = size.min(remaining);
                data = Some((&bytes[body_start..body_start + len], truncated));
                if truncated {
                    break;
                }
            }
            _ => {}
        }
        if format.is_some() && data.is_some() {
            break;
        }
        // The body is padded to an even length; a chunk running past the end ends the walk.
        match body_start
            .checked_add(size)
            .and_then(|e| e.checked_add(size & 1))
        {
            Some(next) if next <= bytes.len() => pos = next,
            _ => break,
        }
    }

    let format = format.ok_or(WavError::MissingFmt)?;
    let (data, truncated) = data.ok_or(WavError::MissingData)?;
    let frame_bytes = format.encoding.bytes_per_sample() * usize::from(format.channels);
    let whole = data.len() - data.len() % frame_bytes;
    Ok(WavView {
        format,
        data: &data[..whole],
        truncated: truncated || whole != data.len(),
    })
}

fn parse_fmt(b: &[u8]) -> Result<WavFormat, WavError> {
    let field = |at| le16(b, at).ok_or(WavError::BadFmt("shorter than 16 bytes"));
    let mut tag = field(0)?;
    let channels = field(2)?;
    let sample_rate = le32(b, 4).ok_or(WavError::BadFmt("shorter than 16 bytes"))?;
    let bits = field(14)?;
    if tag == TAG_EXTENSIBLE {
        // WAVEFORMATEXTENSIBLE: cbSize (16), valid bits (18), channel mask (20), GUID (24..40).
        let guid = b.get(24..40).ok_or(WavError::BadFmt(
            "WAVE_FORMAT_EXTENSIBLE shorter than 40 bytes",
        ))?;
        if guid[2..] != EXTENSIBLE_GUID_TAIL {
            return Err(WavError::BadFmt(
                "unknown WAVE_FORMAT_EXTENSIBLE sub-format",
            ));
        }
        tag = u16::from_le_bytes([guid[0], guid[1]]);
    }
    if channels == 0 || channels > MAX_CHANNELS {
        return Err(WavError::UnsupportedChannels(channels));
    }
    if !(MIN_RATE..=MAX_RATE).contains(&sample_rate) {
        return Err(WavError::UnsupportedRate(sample_rate));
    }
    let encoding = match (tag, bits) {
        (TAG_PCM, 8) => Encoding::PcmU8,
        (TAG_PCM, 16) => Encoding::Pcm16,
        (TAG_PCM, 24) => Encoding::Pcm24,
        (TAG_PCM, 32) => Encoding::Pcm32,
        (TAG_FLOAT, 32) => Encoding::Float32,
        (TAG_ALAW, 8) => Encoding::Alaw,
        (TAG_ULAW, 8) => Encoding::Ulaw,
        (TAG_PCM | TAG_FLOAT | TAG_ALAW | TAG_ULAW, bits) => {
            return Err(WavError::UnsupportedBits { tag, bits });
        }
        (tag, _) => return Err(WavError::UnsupportedFormat(tag)),
    };
    // nBlockAlign is not trusted: it is derived from the encoding and channel count, which is
    // what every writer we have seen means by it.
    Ok(WavFormat {
        encoding,
        channels,
        sample_rate,
    })
}

/// One sample of one channel, on the 16-bit scale (±32768 full scale).
fn sample_value(encoding: Encoding, s: &[u8]) -> f64 {
    match *s {
        [b] if encoding == Encoding::Alaw => f64::from(g711::alaw_decode(b)),
        [b] if encoding == Encoding::Ulaw => f64::from(g711::ulaw_decode(b)),
        [b] => f64::from((i16::from(b) - 128) * 256),
        [a, b] => f64::from(i16::from_le_bytes([a, b])),
        [a, b, c] => f64::from(i32::from_le_bytes([0, a, b, c]) >> 8) / 256.0,
        [a, b, c, d] if encoding == Encoding::Float32 => {
            let v = f64::from(f32::from_le_bytes([a, b, c, d]));
            if v.is_finite() { v * 32768.0 } else { 0.0 }
        }
        [a, b, c, d] => f64::from(i32::from_le_bytes([a, b, c, d])) / 65536.0,
        _ => 0.0,
    }
}

fn to_i16(v: f64) -> i16 {
    // `as` saturates floats to the integer range; clamp first so the intent is explicit.
    v.round().clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
}

/// Decode a WAV file to 8 kHz mono 16-bit samples.
///
/// 8 kHz mono 16-bit PCM and G.711 are copied or table-decoded exactly. Everything else is
/// converted through `f64`: channels are averaged, then the rate is converted with
/// [`resample::to_8k`]. Allocation is bounded by the input length (at most twice the number of
/// frames present, for 4 kHz input), never by a size field.
pub fn decode(bytes: &[u8]) -> Result<Decoded, WavError> {
    let view = parse(bytes)?;
    let f = view.format;
    let bps = f.encoding.bytes_per_sample();
    let frame_bytes = view.frame_bytes();
    let samples = match (f.encoding, f.channels, f.sample_rate) {
        (Encoding::Pcm16, 1, SAMPLE_RATE) => view
            .data
            .chunks_exact(2)
            .map(|s| i16::from_le_bytes([s[0], s[1]]))
            .collect(),
        (Encoding::Alaw, 1, SAMPLE_RATE) => {
            view.data.iter().map(|&b| g711::alaw_decode(b)).collect()
        }
        (Encoding::Ulaw, 1, SAMPLE_RATE) => {
            view.data.iter().map(|&b| g711::ulaw_decode(b)).collect()
        }
        _ => {
            let channels = f64::from(f.channels);
            let mono: Vec<f64> = view
                .data
                .chunks_exact(frame_bytes)
                .map(|frame| {
                    frame
                        .chunks_exact(bps)
                        .map(|s| sample_value(f.encoding, s))
                        .sum::<f64>()
                        / channels
                })
                .collect();
            if f.sample_rate == SAMPLE_RATE {
                mono.into_iter().map(to_i16).collect()
            } else {
                resample::to_8k(&mono, f.sample_rate)?
            }
        }
    };
    Ok(Decoded {
        samples,
        source: f,
        truncated: view.truncated,
    })
}
