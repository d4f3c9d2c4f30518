//! WAV loading cost (done when a prompt is first played, never on the 20 ms path), beside
//! hound reading the same bytes as the reference.
//!
//! `cargo bench -p media --bench wav`
//!
//! For 8 kHz 16-bit mono the two do the same work (parse, convert to `Vec<i16>`). For 44.1 and
//! 48 kHz files hound only reads the samples, while `media::wav::decode` also mixes down and
//! resamples to 8 kHz, so the ratio there shows what the anti-alias filter costs; the last
//! column is the load time per second of audio.

use std::hint::black_box;
use std::io::Cursor;
use std::time::{Duration, Instant};

use media::wav;

fn file(rate: u32, channels: u16, seconds: u32) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut cur = Cursor::new(Vec::new());
    {
        let mut w = hound::WavWriter::new(&mut cur, spec).expect("writer");
        for n in 0..rate * seconds {
            let v = (8000.0
                * (2.0 * std::f64::consts::PI * 440.0 * f64::from(n) / f64::from(rate)).sin())
                as i16;
            for _ in 0..channels {
                w.write_sample(v).expect("write");
            }
        }
        w.finalize().expect("finalize");
    }
    cur.into_inner()
}

fn median_time(mut f: impl FnMut(), rounds: usize) -> Duration {
    let mut t: Vec<Duration> = (0..rounds)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    t[rounds / 2]
}

fn main() {
    let rounds = if std::env::args().any(|a| a == "--quick") {
        3
    } else {
        9
    };
    const SECONDS: u32 = 10;
    println!("loading a {SECONDS} s WAV file: media::wav::decode vs hound (median of {rounds})");
    println!(
        "{:>22} {:>11} {:>11} {:>9} {:>14}",
        "file", "ours ms", "hound ms", "ours/hound", "ours ms per s"
    );
    for (name, rate, ch) in [
        ("8 kHz mono s16", 8000u32, 1u16),
        ("16 kHz mono s16", 16000, 1),
        ("44.1 kHz stereo s16", 44100, 2),
        ("48 kHz mono s16", 48000, 1),
    ] {
        let bytes = file(rate, ch, SECONDS);
        let ours = median_time(
            || {
                black_box(wav::decode(black_box(&bytes)).expect("decode"));
            },
            rounds,
        );
        let hound = median_time(
            || {
                let mut r =
                    hound::WavReader::new(Cursor::new(black_box(&bytes[..]))).expect("hound");
                let v: Vec<i16> = r.samples::<i16>().map(|s| s.expect("sample")).collect();
                black_box(v);
            },
            rounds,
        );
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{:>22} {:>11.3} {:>11.3} {:>9.2}x {:>14.3}",
            name,
            ms(ours),
            ms(hound),
            ms(ours) / ms(hound),
            ms(ours) / f64::from(SECONDS)
        );
    }
}
