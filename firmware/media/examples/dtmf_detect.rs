//! `dtmf_detect [--events] FILE`: prints the DTMF keys found in FILE on the first line of
//! stdout (the contract of `tools/dtmf-ref/score.py` and `sweep.py`).
//!
//! FILE is headerless s16le 8 kHz mono, or a WAV (16-bit PCM or 8-bit G.711, mono 8 kHz).
//! The audio goes through `media::dtmf::DtmfDetector` in 160-sample (20 ms) frames.
//! `--events` also prints every begin/end with its time to stderr.

use media::dtmf::{DtmfEvent, decode_audio_file, detect_events_in_pcm};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut events = false;
    let mut path = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--events" => events = true,
            a if a.starts_with("--") => {
                eprintln!("usage: dtmf_detect [--events] FILE");
                return ExitCode::from(2);
            }
            _ => path = Some(arg),
        }
    }
    let Some(path) = path else {
        eprintln!("usage: dtmf_detect [--events] FILE");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("dtmf_detect: {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let pcm = match decode_audio_file(&bytes) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("dtmf_detect: {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let evs = detect_events_in_pcm(&pcm);
    let digits: String = evs
        .iter()
        .filter(|e| matches!(e, DtmfEvent::Began { .. }))
        .map(|e| e.key().to_char())
        .collect();
    println!("{digits}");
    if events {
        for e in &evs {
            match *e {
                DtmfEvent::Began { key, start } => {
                    eprintln!("{:9.2} ms  on  '{key}'", start as f64 / 8.0)
                }
                DtmfEvent::Ended {
                    key,
                    start,
                    duration,
                } => eprintln!(
                    "{:9.2} ms  off '{key}'  duration {} ms",
                    (start + u64::from(duration)) as f64 / 8.0,
                    DtmfEvent::samples_to_ms(duration)
                ),
            }
        }
    }
    ExitCode::SUCCESS
}
