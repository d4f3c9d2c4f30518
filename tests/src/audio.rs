//! Test audio: WAV files to play into calls (DTMF digits, tones, silence) and checks on what
//! a phone recorded. The DTMF reader here is deliberately simple and independent of dsmbox's
//! own detector (the peers.md recipe: 20 ms Goertzel blocks, the two strongest of the eight
//! DTMF tones must carry most of the block's energy, two blocks in a row make a digit), so it
//! can judge dsmbox's audio path without trusting dsmbox's code.

use std::f64::consts::PI;
use std::path::Path;

const RATE: u32 = 8000;
const ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
const COLS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
const KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// Writes 8 kHz 16-bit mono samples as a WAV file.
pub fn write_wav(path: &Path, samples: &[i16]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    for s in samples {
        w.write_sample(*s).expect("write sample");
    }
    w.finalize().expect("finalize wav");
}

/// Reads a 16-bit mono WAV file (any rate; returned as recorded).
pub fn read_wav(path: &Path) -> (u32, Vec<i16>) {
    let mut r = hound::WavReader::open(path).expect("open wav");
    let rate = r.spec().sample_rate;
    let samples = r.samples::<i16>().map(|s| s.unwrap_or(0)).collect();
    (rate, samples)
}

/// A sine of `freq` Hz at `amplitude` (peak) for `ms` milliseconds.
pub fn sine(freq: f64, amplitude: f64, ms: u32) -> Vec<i16> {
    let n = (RATE * ms / 1000) as usize;
    (0..n)
        .map(|i| (amplitude * (2.0 * PI * freq * i as f64 / f64::from(RATE)).sin()) as i16)
        .collect()
}

/// DTMF digits, each `on_ms` of tone and `off_ms` of silence, with `lead_ms` of silence before
/// and after; each tone at about -10 dBm0.
pub fn dtmf(digits: &str, on_ms: u32, off_ms: u32, lead_ms: u32) -> Vec<i16> {
    let mut out = vec![0i16; (RATE * lead_ms / 1000) as usize];
    for d in digits.chars() {
        let Some((r, c)) = (0..16)
            .map(|i| (i / 4, i % 4))
            .find(|(r, c)| KEYS[*r][*c] == d)
        else {
            panic!("not a DTMF digit: {d}");
        };
        let a = sine(ROWS[r], 7200.0, on_ms);
        let b = sine(COLS[c], 7200.0, on_ms);
        out.extend(a.iter().zip(&b).map(|(x, y)| x.saturating_add(*y)));
        out.extend(std::iter::repeat_n(0, (RATE * off_ms / 1000) as usize));
    }
    out.extend(std::iter::repeat_n(0, (RATE * lead_ms / 1000) as usize));
    out
}

fn goertzel_power(block: &[i16], freq: f64, rate: u32) -> f64 {
    let w = 2.0 * PI * freq / f64::from(rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for x in block {
        let s = f64::from(*x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    s1 * s1 + s2 * s2 - coeff * s1 * s2
}

/// The DTMF digits in a recording (independent reference detector, see the module docs).
pub fn detect_dtmf(samples: &[i16], rate: u32) -> String {
    let block = (rate / 50) as usize;
    let mut out = String::new();
    let mut last: Option<char> = None;
    let mut run = 0;
    for chunk in samples.chunks_exact(block) {
        let energy: f64 =
            chunk.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>() * block as f64 / 2.0;
        let rp: Vec<f64> = ROWS
            .iter()
            .map(|f| goertzel_power(chunk, *f, rate))
            .collect();
        let cp: Vec<f64> = COLS
            .iter()
            .map(|f| goertzel_power(chunk, *f, rate))
            .collect();
        let (ri, rmax) = rp
            .iter()
            .enumerate()
            .fold((0, 0.0), |a, (i, p)| if *p > a.1 { (i, *p) } else { a });
        let (ci, cmax) = cp
            .iter()
            .enumerate()
            .fold((0, 0.0), |a, (i, p)| if *p > a.1 { (i, *p) } else { a });
        let hit = (energy > 1e6 && rmax + cmax > 0.6 * energy).then(|| KEYS[ri][ci]);
        if hit.is_some() && hit == last {
            run += 1;
            if run == 2 {
                out.push(hit.unwrap_or('?'));
            }
        } else {
            run = 1;
        }
        last = hit;
    }
    out
}

/// The level of `freq` in `samples`: the tone's share of the total energy (0..1).
pub fn tone_share(samples: &[i16], rate: u32, freq: f64) -> f64 {
    let energy: f64 = samples.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>();
    if energy == 0.0 {
        return 0.0;
    }
    goertzel_power(samples, freq, rate) * 2.0 / (samples.len() as f64 * energy)
}
