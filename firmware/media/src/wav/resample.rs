//! Sample-rate conversion to 8 kHz, done once when a file is loaded (never on the 20 ms path).
//!
//! A rational polyphase resampler: with `g = gcd(rate, 8000)`, the input is (conceptually)
//! upsampled by `L = 8000 / g`, low-pass filtered and downsampled by `M = rate / g`. Only the
//! `L` filter phases that are actually used are computed, each normalised to unity DC gain.
//!
//! The filter is a Kaiser-windowed sinc (Kaiser's design formulas, e.g. Oppenheim & Schafer
//! §7.5.3): stop band from the lower Nyquist frequency `min(rate, 8000) / 2` (4 kHz when
//! downsampling), pass band to 87.5 % of it (3.5 kHz), 80 dB stop-band attenuation. So a
//! component at 6 kHz in a 48 kHz file, which a plain decimator would fold to 2 kHz, is at
//! least 80 dB down. The window is about 10 ms long: 482 taps per output sample at 48 kHz.

use super::WavError;
use crate::SAMPLE_RATE;

/// Stop-band attenuation in dB.
const ATTENUATION_DB: f64 = 80.0;
/// Pass-band edge as a fraction of the lower Nyquist frequency.
const PASS_FRACTION: f64 = 0.875;
/// More phases than this means an odd rate (e.g. 44 056 Hz): refuse rather than build a huge table.
const MAX_PHASES: u64 = 1024;

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Zeroth-order modified Bessel function of the first kind, by its power series.
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let half = x / 2.0;
    for k in 1..64 {
        let kf = f64::from(k);
        term *= (half / kf) * (half / kf);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        1.0
    } else {
        let px = core::f64::consts::PI * x;
        px.sin() / px
    }
}

/// Dot product with eight independent partial sums, so the compiler can vectorise it (a
/// single running sum is a serial chain of dependent additions).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (xa, xb) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += xa[k] * xb[k];
        }
    }
    acc.iter().sum::<f64>() + tail
}

/// Resample mono audio (on the 16-bit scale) from `rate` Hz to 8000 Hz, rounding and saturating
/// to `i16`. The output has `ceil(len * 8000 / rate)` samples and no delay: output sample `n`
/// is centred on input time `n / 8000` s.
pub fn to_8k(input: &[f64], rate: u32) -> Result<Vec<i16>, WavError> {
    let rate_u = u64::from(rate);
    if rate == 0 {
        return Err(WavError::UnsupportedRate(rate));
    }
    let out_rate = u64::from(SAMPLE_RATE);
    let g = gcd(rate_u, out_rate);
    let up = out_rate / g;
    let down = rate_u / g;
    if up > MAX_PHASES {
        return Err(WavError::UnsupportedRate(rate));
    }

    let rate_f = f64::from(rate);
    let nyquist = f64::from(rate.min(SAMPLE_RATE)) / 2.0;
    let pass = nyquist * PASS_FRACTION;
    let cutoff = (pass + nyquist) / 2.0;
    let transition = nyquist - pass;
    // Kaiser: length (in seconds) and beta for the wanted attenuation.
    let beta = 0.1102 * (ATTENUATION_DB - 8.7);
    let length_s = (ATTENUATION_DB - 7.95) / (2.285 * 2.0 * core::f64::consts::PI * transition);
    let half_s = length_s / 2.0;
    // Taps on each side of the centre, in input samples.
    let half_taps = (half_s * rate_f).ceil() as i64;
    let taps = (2 * half_taps + 1) as usize;
    let i0_beta = bessel_i0(beta);

    // coefficient[phase][j] weighs input sample (base - half_taps + j) for an output centred
    // at base + phase / up.
    let phases = up as usize;
    let mut table = vec![0.0f64; phases * taps];
    for phase in 0..phases {
        let frac = phase as f64 / up as f64;
        let row = &mut table[phase * taps..(phase + 1) * taps];
        let mut sum = 0.0;
        for (j, c) in row.iter_mut().enumerate() {
            let d = (j as i64 - half_taps) as f64 - frac; // input samples from the centre
            let t = d / rate_f;
            let u = t / half_s;
            let w = if u.abs() >= 1.0 {
                0.0
            } else {
                bessel_i0(beta * (1.0 - u * u).sqrt()) / i0_beta
            };
            *c = sinc(2.0 * cutoff * t) * w;
            sum += *c;
        }
        for c in row.iter_mut() {
            *c /= sum;
        }
    }

    let in_len = input.len() as u64;
    let out_len = (in_len * up).div_ceil(down) as usize;
    let mut out = Vec::with_capacity(out_len);
    for n in 0..out_len as u64 {
        let num = n * down;
        let base = (num / up) as i64;
        let phase = (num % up) as usize;
        let row = &table[phase * taps..(phase + 1) * taps];
        let first = base - half_taps;
        // Clip the tap range to the signal; outside it the input is silence.
        let j0 = (-first).max(0) as usize;
        let j1 = ((input.len() as i64 - first).min(taps as i64)).max(0) as usize;
        let j1 = j1.max(j0);
        let x0 = (first + j0 as i64) as usize;
        let acc = dot(&row[j0..j1], &input[x0..x0 + (j1 - j0)]);
        out.push(acc.round().clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16);
    }
    Ok(out)
}
