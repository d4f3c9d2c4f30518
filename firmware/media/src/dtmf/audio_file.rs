//! Whole-file detection for the command line (`dsmbox dtmf-detect FILE`, the
//! `dtmf_detect` example and the scoring harness in `tools/dtmf-ref/`).
//!
//! A file is either a RIFF/WAVE file (mono 8000 Hz; 16-bit PCM, or 8-bit G.711 µ-law or
//! A-law) or, without a RIFF header, headerless signed 16-bit little-endian 8 kHz mono.
//! The reader handles only what the harness needs; `crate::wav` is the full reader.
//! This is not the 20 ms path: it allocates.

use super::{DtmfDetector, DtmfEvent};
use crate::FRAME_SAMPLES;
use crate::g711::{alaw_decode, ulaw_decode};

/// Why a file cannot be read as 8 kHz mono audio.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AudioFileError {
    /// The WAV `fmt ` chunk is not mono 8000 Hz.
    #[error("WAV must be mono 8000 Hz (has {channels} channel(s) at {rate} Hz)")]
    NotMono8k { channels: u16, rate: u32 },
    /// The WAV encoding is neither 16-bit PCM nor 8-bit G.711.
    #[error("WAV must be 16-bit PCM or 8-bit G.711 (format tag {format}, {bits} bits)")]
    UnsupportedEncoding { format: u16, bits: u16 },
    /// A `data` chunk came before any `fmt ` chunk.
    #[error("WAV data chunk before its fmt chunk")]
    DataBeforeFmt,
    /// The `fmt ` chunk is shorter than 16 bytes.
    #[error("WAV fmt chunk too short")]
    ShortFmt,
    /// No `data` chunk.
    #[error("WAV without a data chunk")]
    NoData,
}

#[derive(Clone, Copy)]
enum Encoding {
    Linear16,
    Ulaw,
    Alaw,
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn decode(data: &[u8], enc: Encoding) -> Vec<i16> {
    match enc {
        Encoding::Linear16 => data
            .chunks_exact(2)
            .map(|p| i16::from_le_bytes([p[0], p[1]]))
            .collect(),
        Encoding::Ulaw => data.iter().map(|&c| ulaw_decode(c)).collect(),
        Encoding::Alaw => data.iter().map(|&c| alaw_decode(c)).collect(),
    }
}

/// Decodes a WAV file or headerless s16le audio to 8 kHz linear samples.
///
/// A chunk that claims more bytes than the file holds is cut at the end of the file (streamed
/// or truncated WAVs); an odd trailing byte of 16-bit audio is ignored.
pub fn decode_audio_file(bytes: &[u8]) -> Result<Vec<i16>, AudioFileError> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Ok(decode(bytes, Encoding::Linear16));
    }
    let mut off = 12;
    let mut enc = None;
    while bytes.len().saturating_sub(off) >= 8 {
        let id = &bytes[off..off + 4];
        let claimed = le32(bytes, off + 4) as usize;
        let body = &bytes[off + 8..];
        let body = &body[..claimed.min(body.len())];
        if id == b"fmt " {
            if body.len() < 16 {
                return Err(AudioFileError::ShortFmt);
            }
            let mut format = le16(body, 0);
            let channels = le16(body, 2);
            let rate = le32(body, 4);
            let bits = le16(body, 14);
            if format == 0xFFFE && body.len() >= 26 {
                format = le16(body, 24); // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID's first field
            }
            if channels != 1 || rate != crate::SAMPLE_RATE {
                return Err(AudioFileError::NotMono8k { channels, rate });
            }
            enc = Some(match (format, bits) {
                (1, 16) => Encoding::Linear16,
                (7, 8) => Encoding::Ulaw,
                (6, 8) => Encoding::Alaw,
                _ => return Err(AudioFileError::UnsupportedEncoding { format, bits }),
            });
        } else if id == b"data" {
            let enc = enc.ok_or(AudioFileError::DataBeforeFmt)?;
            return Ok(decode(body, enc));
        }
        // Chunks are padded to an even length (RIFF).
        off = off
            .saturating_add(8)
            .saturating_add(body.len())
            .saturating_add(body.len() & 1);
    }
    Err(AudioFileError::NoData)
}

/// Runs a fresh detector over `pcm` in 20 ms frames and returns every event.
pub fn detect_events_in_pcm(pcm: &[i16]) -> Vec<DtmfEvent> {
    let mut det = DtmfDetector::new();
    let mut out = Vec::new();
    for frame in pcm.chunks(FRAME_SAMPLES) {
        det.handle_samples(frame);
        while let Some(ev) = det.poll_event() {
            out.push(ev);
        }
    }
    // Flush: the end of the audio ends a key still sounding.
    det.set_enabled(false);
    while let Some(ev) = det.poll_event() {
        out.push(ev);
    }
    out
}

/// The keys found in `pcm` (8 kHz linear, fed in 20 ms frames), in order, as a string of
/// `0-9 * # A-D`.
pub fn detect_digits_in_pcm(pcm: &[i16]) -> String {
    detect_events_in_pcm(pcm)
        .into_iter()
        .filter_map(|ev| match ev {
            DtmfEvent::Began { key, .. } => Some(key.to_char()),
            DtmfEvent::Ended { .. } => None,
        })
        .collect()
}

/// [`decode_audio_file`] then [`detect_digits_in_pcm`].
pub fn detect_digits_in_file(bytes: &[u8]) -> Result<String, AudioFileError> {
    Ok(detect_digits_in_pcm(&decode_audio_file(bytes)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::g711::{alaw_encode, ulaw_encode};

    fn wav(format: u16, channels: u16, rate: u32, bits: u16, data: &[u8]) -> Vec<u8> {
        let mut v = b"RIFF\0\0\0\0WAVE".to_vec();
        v.extend_from_slice(b"LIST\x03\0\0\0abc\0"); // an odd chunk, padded
        v.extend_from_slice(b"fmt \x10\0\0\0");
        v.extend_from_slice(&format.to_le_bytes());
        v.extend_from_slice(&channels.to_le_bytes());
        v.extend_from_slice(&rate.to_le_bytes());
        v.extend_from_slice(&(rate * u32::from(bits / 8)).to_le_bytes());
        v.extend_from_slice(&(bits / 8).to_le_bytes());
        v.extend_from_slice(&bits.to_le_bytes());
        v.extend_from_slice(b"data");
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn reads_raw_pcm_and_each_wav_encoding() {
        let pcm = [0i16, 1000, -1000, 32767, -32768];
        let raw: Vec<u8> = pcm.iter().flat_map(|s| s.to_le_bytes()).collect();
        assert_eq!(decode_audio_file(&raw).unwrap(), pcm);
        assert_eq!(decode_audio_file(&wav(1, 1, 8000, 16, &raw)).unwrap(), pcm);
        let u: Vec<u8> = pcm.iter().map(|&s| ulaw_encode(s)).collect();
        let a: Vec<u8> = pcm.iter().map(|&s| alaw_encode(s)).collect();
        let want_u: Vec<i16> = u.iter().map(|&c| ulaw_decode(c)).collect();
        let want_a: Vec<i16> = a.iter().map(|&c| alaw_decode(c)).collect();
        assert_eq!(decode_audio_file(&wav(7, 1, 8000, 8, &u)).unwrap(), want_u);
        assert_eq!(decode_audio_file(&wav(6, 1, 8000, 8, &a)).unwrap(), want_a);
    }

    #[test]
    fn rejects_what_it_cannot_read() {
        assert_eq!(
            decode_audio_file(&wav(1, 2, 8000, 16, &[])),
            Err(AudioFileError::NotMono8k {
                channels: 2,
                rate: 8000
            })
        );
        assert_eq!(
            decode_audio_file(&wav(1, 1, 16000, 16, &[])),
            Err(AudioFileError::NotMono8k {
                channels: 1,
                rate: 16000
            })
        );
        assert_eq!(
            decode_audio_file(&wav(3, 1, 8000, 32, &[])),
            Err(AudioFileError::UnsupportedEncoding {
                format: 3,
                bits: 32
            })
        );
        assert_eq!(
            decode_audio_file(b"RIFF\0\0\0\0WAVEdata\x02\0\0\0ab"),
            Err(AudioFileError::DataBeforeFmt)
        );
        assert_eq!(
            decode_audio_file(b"RIFF\0\0\0\0WAVE"),
            Err(AudioFileError::NoData)
        );
        assert_eq!(
            decode_audio_file(b"RIFF\0\0\0\0WAVEfmt \x04\0\0\0abcd"),
            Err(AudioFileError::ShortFmt)
        );
    }

    #[test]
    fn random_bytes_after_a_riff_header_do_not_panic() {
        // A deterministic stand-in for a fuzz target: 20000 random files, most of them with a
        // valid-looking RIFF/WAVE prefix and random chunk ids and sizes.
        let mut x = 0x853c_49e6_748f_ea9bu64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..20000 {
            let len = (next() % 96) as usize;
            let mut b: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if next() % 4 != 0 && b.len() >= 12 {
                b[0..4].copy_from_slice(b"RIFF");
                b[8..12].copy_from_slice(b"WAVE");
                for at in [12usize, 36] {
                    if b.len() >= at + 4 {
                        let id: &[u8; 4] = if next() % 2 == 0 { b"fmt " } else { b"data" };
                        b[at..at + 4].copy_from_slice(id);
                    }
                }
            }
            if let Ok(pcm) = decode_audio_file(&b) {
                let _ = detect_digits_in_pcm(&pcm);
            }
        }
    }

    #[test]
    fn truncated_and_hostile_headers_do_not_panic() {
        let full = wav(1, 1, 8000, 16, &[1, 0, 2, 0, 3, 0]);
        for cut in 0..full.len() {
            let _ = decode_audio_file(&full[..cut]);
        }
        let mut huge = full.clone();
        let at = huge.len() - 6 - 4;
        huge[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode_audio_file(&huge).unwrap(), [1, 2, 3]);
    }
}
