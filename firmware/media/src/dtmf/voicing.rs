//! The voicing test: are the two tones of an onset two harmonics of a voiced sound?
//!
//! A vowel is a harmonic comb: every multiple of its pitch f0, shaped by the formants. When
//! the pitch puts harmonics p and q on a DTMF pair (`fr ≈ p·f0`, `fc ≈ q·f0`) and the
//! formants F1 and F2 sit on those two, every single-pair test passes: the frequencies are
//! in the band, the twist is moderate and the two harmonics hold 90 % of the energy. The key
//! pairs invite it: 1, 5, 9 and D are within 0.9 % of 4:7, `*` within 0.07 % of 7:9, A
//! within 0.4 % of 3:7, 0 and 7 within 0.7 % of 7:10, 4, 8 and # within 0.2 % of 7:11; and
//! with the tones up to 1.5 % off, `*` reaches 4:5.
//!
//! What a dual tone lacks is the rest of the comb. So on an onset that would start a key,
//! this module windows the two blocks of the onset (204 samples, 25.5 ms, Hann) and:
//!
//! 1. **Measures both tones** from the three window bins around each (Grandke's exact
//!    interpolation for the Hann main lobe): to 0.04 Hz alone, to 0.3 Hz with a voice's
//!    harmonics 120 Hz away at -2 dB. The blocks' phase advance is only good to 0.5 %
//!    (5 Hz) there, because those harmonics leak into a rectangular 102-sample block.
//! 2. **Finds the ratios `p:q`** (p ≤ [`P_MAX`]) that the two fit to
//!    [`RATIO_TOLERANCE_PPM`] (0.5 %), with an implied pitch `f0 = (fr + fc)/(p + q)` of
//!    at least [`F0_MIN_HZ`]. Two harmonics of one voice fit their ratio exactly, and
//!    measured over 25 ms they stay within 0.3 % of it even when the pitch moves by 2 %
//!    inside the window (a 3 % vibrato at 5 Hz; the two harmonics slide along different
//!    formant slopes, which pulls their estimates apart). Not only coprime ratios: a vowel
//!    an octave below 4:5 has harmonics 8 and 10 on the pair, and its comb is that of 8:10
//!    (the comb of 4:5 would find its odd harmonics halfway between). A dual tone whose
//!    ratio fits no such `p:q` is not tested further: it cannot be two harmonics of one
//!    voice.
//! 3. **Level:** the harmonics next to the tones (p±1, q±1, those that are not tones) must
//!    hold at least [`COMB_LEVEL`] (-14 dB) of the weaker tone's power. A formant that lifts
//!    harmonic p lifts its neighbours too: a second-order resonance of bandwidth B puts a
//!    harmonic f0 away from its peak at `1/(1 + (2f0/B)²)`. At the highest pitch that puts
//!    two harmonics on a pair (240 Hz, 4:5 and 4:7 on the 941 Hz row) and B = 70 Hz, two
//!    neighbours come to -13.8 dB; lower pitches and wider formants give more. Talk-down the
//!    other way round: speech 10 dB below the tones must put 40 % of its power on exactly
//!    these harmonics, at this pitch, to reach the limit.
//! 4. **Comb:** the odd and the even harmonics (tones left out) must each hold on average
//!    [`COMB_CONTRAST`] (6 dB) the mean power found halfway between harmonics (halfway
//!    points next to a tone left out: the tone's own window leakage is there). Noise, and
//!    speech at another pitch, put about as much power between the harmonics as on them
//!    (within ±5 dB on the corpora). A steady vowel gives 15-50 dB at 200 Hz and up, but as
//!    little as 8 dB at 120 Hz: its harmonics are then three window bins apart and each
//!    leaks -15 dB into the halfway points beside it. Odd and even separately,
//!    because a voice at 2·f0 fills every even harmonic of f0 and none of the odd ones,
//!    and it is not this pair's comb: its harmonics cannot include both tones when p or q is
//!    odd.
//!
//! Steps 3 and 4 are tried for every ratio that fits; the onset is voiced, and refused, if
//! one passes both. Step 3 goes first: it takes four filters, step 4 up to sixty.
//!
//! Pitches below [`F0_MIN_HZ`] are not tested: their harmonics lie within 2.5 window bins of
//! each other, too close to tell apart in 25 ms, and so close to the tones that they fall
//! into the tone filters and fail the purity test already.
//!
//! Cost: per sample, a copy of the sample into the block history. The test itself runs
//! only on an onset pair that passed every other test and would start a key: 6 filters
//! over 204 samples for a dual tone whose ratio fits nothing, 4 more per fitting ratio, and
//! up to about 60 more when a comb must be measured.

use super::goertzel::BLOCK_LEN;

/// Samples analysed: the two blocks of the onset.
const SPAN: usize = 2 * BLOCK_LEN;

/// Lowest pitch tested (Hz). See the module docs.
const F0_MIN_HZ: u32 = 100;
/// Comb points are taken from this band (Hz): the telephone band, where a vowel's comb is.
const BAND_LO_HZ: u32 = 250;
const BAND_HI_HZ: u32 = 3400;
/// Largest harmonic number tried for the row tone (941 Hz / 9 = 104.6 Hz ≥ F0_MIN_HZ).
const P_MAX: u32 = 9;
/// The measured tones fit `p:q` if `|q·fr - p·fc| ≤ tolerance · p·fc`: 0.5 %.
const RATIO_TOLERANCE_PPM: u64 = 5_000;
/// Mean power on the odd (and on the even) harmonics over the mean power halfway between
/// harmonics: at least 4/1 (6 dB).
const COMB_CONTRAST: (i128, i128) = (4, 1);
/// Power of the harmonics next to the tones over the weaker tone's power: at least 1/25
/// (-14 dB).
const COMB_LEVEL: (i128, i128) = (1, 25);

/// Filters computed side by side in one pass over the samples.
const LANES: usize = 8;
/// Most comb points (harmonics and halfway points) in the band: 32 of each at f0 = 100 Hz.
const COMB_POINTS: usize = 64;

/// A tone frequency in Hz, Q8.
pub(crate) type HzQ8 = u32;

/// One bin of the [`SPAN`]-sample window, 8000/204 Hz, in Hz Q8.
const BIN_Q8: u32 = (8000 * 256 + SPAN as u32 / 2) / SPAN as u32;

/// `cos(π/2 · i/128)` in Q30, from a Taylor series evaluated at compile time.
const COS_Q30: [i32; 129] = cos_table();

const fn cos_taylor(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut k = 1;
    while k < 16 {
        term = -term * x2 / (((2 * k - 1) * (2 * k)) as f64);
        sum += term;
        k += 1;
    }
    sum
}

const fn round(v: f64) -> i64 {
    if v >= 0.0 {
        (v + 0.5) as i64
    } else {
        (v - 0.5) as i64
    }
}

const fn cos_table() -> [i32; 129] {
    let mut t = [0i32; 129];
    let mut i = 0;
    while i < 129 {
        let x = core::f64::consts::FRAC_PI_2 * i as f64 / 128.0;
        t[i] = round(cos_taylor(x) * (1u64 << 30) as f64) as i32;
        i += 1;
    }
    t
}

/// The Hann window over [`SPAN`] samples, `sin²(π(n + ½)/SPAN)` in Q15, first half (it is
/// symmetric).
const HANN_Q15: [i32; BLOCK_LEN] = hann_table();

const fn hann_table() -> [i32; BLOCK_LEN] {
    let mut t = [0i32; BLOCK_LEN];
    let mut n = 0;
    while n < BLOCK_LEN {
        // sin²(x) = (1 - cos 2x)/2, 2x = 2π(n + ½)/SPAN ∈ (0, π).
        let two_x = core::f64::consts::PI * (2 * n + 1) as f64 / SPAN as f64;
        t[n] = round((1.0 - cos_taylor(two_x)) / 2.0 * 32768.0) as i32;
        n += 1;
    }
    t
}

/// `cos(2π·phase/2³²)` in Q30, by linear interpolation in [`COS_Q30`] (error < 2·10⁻⁵).
fn cos_q30(phase: u32) -> i64 {
    // Fold onto the first quadrant: cos is even and cos(π - x) = -cos x.
    let quadrant = phase >> 30;
    let within = phase & ((1 << 30) - 1);
    let (x, negate) = match quadrant {
        0 => (within, false),
        1 => ((1 << 30) - within, true),
        2 => (within, true),
        _ => ((1 << 30) - within, false),
    };
    // x in [0, 2³⁰] is the angle in units of (π/2)/2³⁰: 128 segments of 2²³.
    let i = (x >> 23) as usize;
    let frac = i64::from(x & ((1 << 23) - 1));
    let a = i64::from(COS_Q30[i]);
    let b = i64::from(COS_Q30[(i + 1).min(128)]);
    let v = a + (((b - a) * frac) >> 23);
    if negate { -v } else { v }
}

/// The two stored blocks, windowed once: `x[n]·w[n]`, rounded to integers.
struct Windowed([i32; SPAN]);

impl Windowed {
    fn new(older: &[i16; BLOCK_LEN], newer: &[i16; BLOCK_LEN]) -> Windowed {
        let mut out = [0i32; SPAN];
        for n in 0..BLOCK_LEN {
            out[n] = (i32::from(older[n]) * HANN_Q15[n] + (1 << 14)) >> 15;
            out[SPAN - 1 - n] =
                (i32::from(newer[BLOCK_LEN - 1 - n]) * HANN_Q15[n] + (1 << 14)) >> 15;
        }
        Windowed(out)
    }

    /// `|Σ x[n]w[n] e^{-j2πfn/8000}|²` at each of `hz` (Q8) into `out`, by Goertzel filters
    /// with Q30 coefficients, [`LANES`] at a time in one pass over the samples (each
    /// filter's recurrence is a chain of dependent multiplies; side by side they overlap).
    /// With |x·w| < 2¹⁵ and f ≥ 200 Hz the state stays below 2²⁵, so the products stay
    /// below 2⁵⁶.
    fn powers(&self, hz: &[HzQ8], out: &mut [i64]) {
        for (freqs, outs) in hz.chunks(LANES).zip(out.chunks_mut(LANES)) {
            let mut c = [0i64; LANES];
            for (c, &f) in c.iter_mut().zip(freqs) {
                // Phase increment per sample, Q32: f/8000 · 2³².
                *c = 2 * cos_q30(((u64::from(f) << 24) / 8000) as u32);
            }
            let (mut s1, mut s2) = ([0i64; LANES], [0i64; LANES]);
            for &x in &self.0 {
                for k in 0..LANES {
                    let s0 = i64::from(x) + ((c[k] * s1[k]) >> 30) - s2[k];
                    s2[k] = s1[k];
                    s1[k] = s0;
                }
            }
            for (k, o) in outs.iter_mut().enumerate() {
                *o = s1[k] * s1[k] + s2[k] * s2[k] - (((c[k] * s1[k]) >> 30) * s2[k]);
            }
        }
    }

    /// The power at one frequency (see [`Windowed::powers`]).
    #[cfg(test)]
    fn power(&self, hz: HzQ8) -> i64 {
        let mut out = [0];
        self.powers(&[hz], &mut out);
        out[0]
    }

    /// The tones near `row` and `col` (Q8, each within a bin): their frequencies and powers.
    /// The Hann window's main lobe gives a tone's offset from the three bins around it
    /// exactly (Grandke): δ = 2(|X₊| - |X₋|)/(|X₋| + 2|X₀| + |X₊|) bins of 8000/SPAN Hz.
    fn refine(&self, row: HzQ8, col: HzQ8) -> [(HzQ8, i64); 2] {
        let near = |hz: HzQ8| [hz.saturating_sub(BIN_Q8), hz, hz + BIN_Q8];
        let (r, c) = (near(row), near(col));
        let mut p = [0i64; 6];
        self.powers(&[r[0], r[1], r[2], c[0], c[1], c[2]], &mut p);
        let mag = |v: i64| i64::try_from(v.max(0).unsigned_abs().isqrt()).unwrap_or(0);
        let shifted = |hz: HzQ8, [below, at, above]: [i64; 3]| {
            let (below, at, above) = (mag(below), mag(at), mag(above));
            let den = below + 2 * at + above;
            if den == 0 {
                return hz;
            }
            // δ·BIN in Hz Q8, |δ| ≤ 1.
            let bin = i64::from(BIN_Q8);
            let shift = (2 * (above - below) * bin / den).clamp(-bin, bin);
            (i64::from(hz) + shift).max(1) as u32
        };
        let fr = shifted(row, [p[0], p[1], p[2]]);
        let fc = shifted(col, [p[3], p[4], p[5]]);
        let mut at = [0i64; 2];
        self.powers(&[fr, fc], &mut at);
        [(fr, at[0]), (fc, at[1])]
    }
}

/// Whether the onset pair with measured tone frequencies `row` and `col` (Hz, Q8) over the
/// two blocks `older`, `newer` is a voiced sound's harmonic comb rather than a dual tone.
pub(crate) fn is_voiced(
    older: &[i16; BLOCK_LEN],
    newer: &[i16; BLOCK_LEN],
    row: HzQ8,
    col: HzQ8,
) -> bool {
    if row == 0 || col <= row {
        return false;
    }
    let x = Windowed::new(older, newer);
    let [(row, p_row), (col, p_col)] = x.refine(row, col);
    let weak = p_row.min(p_col);
    if weak <= 0 {
        return false;
    }
    let (fr, fc) = (u64::from(row), u64::from(col));
    (1..=u64::from(P_MAX)).any(|p| {
        // q = round(p·fc/fr).
        let q = (2 * p * fc + fr) / (2 * fr);
        if q <= p {
            return false;
        }
        if (q * fr).abs_diff(p * fc) * 1_000_000 > RATIO_TOLERANCE_PPM * p * fc {
            return false;
        }
        // The fundamental that fits both tones best: (fr + fc)/(p + q).
        let f0 = (fr + fc) / (p + q);
        f0 >= u64::from(F0_MIN_HZ) << 8 && is_comb(&x, f0, p, q, weak)
    })
}

/// Steps 3 and 4 of the module docs for the comb of `f0` (Hz, Q8) with the tones at
/// harmonics `p < q`.
fn is_comb(x: &Windowed, f0: u64, p: u64, q: u64, weak: i64) -> bool {
    let in_band = |hz: u64| (u64::from(BAND_LO_HZ) << 8..=u64::from(BAND_HI_HZ) << 8).contains(&hz);
    // 3. The harmonics next to the tones (p+1 may be q-1; neither may be a tone).
    let mut next = [0; 4];
    let mut n = 0;
    for (i, h) in [p - 1, p + 1, q - 1, q + 1].into_iter().enumerate() {
        let repeat = i == 2 && h == p + 1;
        if h != 0 && h != p && h != q && !repeat && in_band(h * f0) {
            // Below 3400 Hz · 2⁸: fits u32.
            next[n] = (h * f0) as HzQ8;
            n += 1;
        }
    }
    let mut power = [0i64; 4];
    x.powers(&next[..n], &mut power[..n]);
    let adjacent: i128 = power[..n].iter().map(|&v| i128::from(v)).sum();
    if adjacent * COMB_LEVEL.1 < COMB_LEVEL.0 * i128::from(weak) {
        return false;
    }
    // 4. Mean power on the odd and on the even harmonics (the tones left out), each against
    // the mean power halfway between harmonics (the halfway points next to a tone left out).
    // Class 0: even harmonics, 1: odd harmonics, 2: halfway points.
    let mut freqs = [0; COMB_POINTS];
    let mut class = [0u8; COMB_POINTS];
    let mut n = 0;
    let mut add = |hz: u64, c: u8| {
        if n < COMB_POINTS {
            freqs[n] = hz as HzQ8;
            class[n] = c;
            n += 1;
        }
    };
    let mut h = 1;
    while h * f0 <= u64::from(BAND_HI_HZ) << 8 {
        if in_band(h * f0) && h != p && h != q {
            add(h * f0, (h & 1) as u8);
        }
        let half = h * f0 + f0 / 2;
        if in_band(half) && ![p - 1, p, q - 1, q].contains(&h) {
            add(half, 2);
        }
        h += 1;
    }
    let mut power = [0i64; COMB_POINTS];
    x.powers(&freqs[..n], &mut power[..n]);
    let mut sums = [(0i128, 0i128); 3];
    for (&c, &v) in class[..n].iter().zip(&power[..n]) {
        sums[usize::from(c)].0 += i128::from(v);
        sums[usize::from(c)].1 += 1;
    }
    let (between, n_between) = sums[2];
    n_between > 0
        && sums[..2].iter().all(|&(sum, n)| {
            n > 0 && sum * n_between * COMB_CONTRAST.1 >= COMB_CONTRAST.0 * between * n
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn tables_match_f64() {
        for (i, &c) in COS_Q30.iter().enumerate() {
            let want = (PI / 2.0 * i as f64 / 128.0).cos() * f64::from(1u32 << 30);
            assert!((f64::from(c) - want).abs() <= 1.0, "cos {i}: {c} vs {want}");
        }
        for (n, &w) in HANN_Q15.iter().enumerate() {
            let want = (PI * (n as f64 + 0.5) / SPAN as f64).sin().powi(2) * 32768.0;
            assert!(
                (f64::from(w) - want).abs() <= 0.5,
                "hann {n}: {w} vs {want}"
            );
        }
        for k in 0..4096u32 {
            let phase = k.wrapping_mul(1_048_573);
            let want = (2.0 * PI * f64::from(phase) / 2f64.powi(32)).cos();
            let got = cos_q30(phase) as f64 / f64::from(1u32 << 30);
            assert!(
                (got - want).abs() < 2e-5,
                "cos_q30({phase}): {got} vs {want}"
            );
        }
    }

    fn blocks(f: impl Fn(f64) -> f64) -> ([i16; BLOCK_LEN], [i16; BLOCK_LEN]) {
        let mut a = [0i16; BLOCK_LEN];
        let mut b = [0i16; BLOCK_LEN];
        for n in 0..BLOCK_LEN {
            a[n] = f(n as f64 / 8000.0).round() as i16;
            b[n] = f((n + BLOCK_LEN) as f64 / 8000.0).round() as i16;
        }
        (a, b)
    }

    #[test]
    fn windowed_power_of_a_sine_is_a_over_2_times_the_window_sum_squared() {
        for f in [200.0, 697.0, 1633.0, 3400.0] {
            let (a, b) = blocks(|t| 10000.0 * (2.0 * PI * f * t + 0.7).sin());
            let x = Windowed::new(&a, &b);
            let got = x.power((f * 256.0) as u32) as f64;
            // Σw = SPAN/2, so |X| = A/2 · SPAN/2.
            let want = (10000.0 / 2.0 * SPAN as f64 / 2.0f64).powi(2);
            assert!((got / want - 1.0).abs() < 0.01, "{f} Hz: {got} vs {want}");
            // Two harmonics of 100 Hz away, the Hann leakage is below -40 dB.
            let off = x.power(((f + 200.0) * 256.0) as u32) as f64;
            assert!(off < want * 1e-4, "{f} Hz: leakage {off}");
        }
    }

    /// A comb of harmonics of `f0` with the given amplitudes (harmonic number, amplitude).
    fn comb(f0: f64, harmonics: &[(u32, f64)]) -> ([i16; BLOCK_LEN], [i16; BLOCK_LEN]) {
        blocks(|t| {
            harmonics
                .iter()
                .map(|&(h, a)| a * (2.0 * PI * f64::from(h) * f0 * t + f64::from(h)).sin())
                .sum()
        })
    }

    #[test]
    fn refine_measures_a_tone_to_a_fraction_of_a_hertz() {
        for f in [697.0 * 0.985, 941.0 * 1.013, 1633.0 * 1.015] {
            // Alone, and with the harmonics of a 120 Hz voice beside it at -2 dB.
            for neighbours in [0.0, 8000.0] {
                let (a, b) = blocks(|t| {
                    10000.0 * (2.0 * PI * f * t + 0.4).sin()
                        + neighbours * (2.0 * PI * (f - 120.0) * t + 1.0).sin()
                        + neighbours * (2.0 * PI * (f + 120.0) * t + 2.0).sin()
                });
                let x = Windowed::new(&a, &b);
                // The block phasors' estimate may be a few Hz off.
                for off in [-6.0, 0.0, 6.0] {
                    let hz = ((f + off) * 256.0) as u32;
                    let [(got, power), _] = x.refine(hz, hz);
                    let err = f64::from(got) / 256.0 - f;
                    let limit = if neighbours == 0.0 { 0.05 } else { 0.5 };
                    assert!(err.abs() < limit, "{f:.1} Hz from {off:+}: {err:+.2} Hz");
                    let want = (10000.0 / 2.0 * SPAN as f64 / 2.0f64).powi(2);
                    assert!((power as f64 / want - 1.0).abs() < 0.05, "{f:.1} Hz power");
                }
            }
        }
    }

    #[test]
    fn a_voice_at_twice_the_implied_pitch_is_not_the_pairs_comb() {
        // `*` is 7:9 of 134.4 Hz. A voice at 268.9 Hz puts harmonics on 6, 8 and 10 of
        // 134.4 Hz, right beside the tones, but none on the odd ones.
        let f0 = (941.0 + 1209.0) / 16.0;
        let (row, col) = ((941.0 * 256.0) as u32, (1209.0 * 256.0) as u32);
        let voice = |pitch: f64| {
            blocks(move |t| {
                8000.0 * (2.0 * PI * 941.0 * t).sin()
                    + 8000.0 * (2.0 * PI * 1209.0 * t + 1.0).sin()
                    + (1..=12)
                        .map(|h| f64::from(h) * pitch)
                        .filter(|&f| (f - 941.0).abs() > 20.0 && (f - 1209.0).abs() > 20.0)
                        .map(|f| 2000.0 * (2.0 * PI * f * t + f).sin())
                        .sum::<f64>()
            })
        };
        let (a, b) = voice(2.0 * f0);
        assert!(!is_voiced(&a, &b, row, col), "a voice an octave up");
        let (a, b) = voice(f0);
        assert!(is_voiced(&a, &b, row, col), "a voice at the implied pitch");
    }

    #[test]
    fn a_comb_at_the_implied_pitch_is_voiced_and_a_clean_pair_is_not() {
        // 941 = 4 · 235.25, 1646.7 = 7 · 235.25: D's row, and its column 0.8 % high.
        let f0 = 941.0 / 4.0;
        let (row, col) = ((941.0 * 256.0) as u32, (7.0 * f0 * 256.0) as u32);
        let tones = [(4, 8000.0), (7, 5000.0)];
        let (a, b) = comb(f0, &tones);
        assert!(!is_voiced(&a, &b, row, col), "a clean pair");
        // Harmonics 3, 5, 6 and 8 each 14 dB below the weak tone (-8 dB together): a vowel.
        let vowel = [
            (3, 1000.0),
            (4, 8000.0),
            (5, 1000.0),
            (6, 1000.0),
            (7, 5000.0),
            (8, 1000.0),
        ];
        let (a, b) = comb(f0, &vowel);
        assert!(is_voiced(&a, &b, row, col), "a vowel");
        // The same harmonics 24 dB below the weak tone (-18 dB together): too weak to count.
        let quiet = [
            (3, 300.0),
            (4, 8000.0),
            (5, 300.0),
            (6, 300.0),
            (7, 5000.0),
            (8, 300.0),
        ];
        let (a, b) = comb(f0, &quiet);
        assert!(!is_voiced(&a, &b, row, col), "a weak comb");
        // The same comb with a pitch that does not fit the tones: not this pair's comb.
        let (a, b) = blocks(|t| {
            8000.0 * (2.0 * PI * 941.0 * t).sin()
                + 5000.0 * (2.0 * PI * 7.0 * f0 * t + 1.0).sin()
                + [3.3, 5.3, 6.3, 8.3]
                    .iter()
                    .map(|h| 1000.0 * (2.0 * PI * h * f0 * t + h).sin())
                    .sum::<f64>()
        });
        assert!(!is_voiced(&a, &b, row, col), "harmonics of another pitch");
    }
}
