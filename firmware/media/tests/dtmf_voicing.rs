//! Voiced speech against `media::dtmf`: synthetic vowels whose harmonics and formants sit on a
//! DTMF pair must not register (talk-off), and keys sent over vowels 10 dB quieter must
//! (talk-down). The vowels are additive: every harmonic of a gliding, vibrating pitch with a
//! -6 dB/octave source slope, shaped by a cascade of second-order formant resonances.
//! Everything runs on linear and µ-law audio.

use media::dtmf::detect_digits_in_pcm;
use media::g711::{ulaw_decode, ulaw_encode};
use std::f64::consts::PI;

const KEYS: &str = "123A456B789C*0#D";
const ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
const COLS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];

fn freqs(key: char) -> (f64, f64) {
    let i = KEYS.find(key).expect("a DTMF key");
    (ROWS[i / 4], COLS[i % 4])
}

/// Peak amplitude of a sine at `dbm0` (0 dBm0 = 22827 peak).
fn amp(dbm0: f64) -> f64 {
    22827.0 * 10f64.powf(dbm0 / 20.0)
}

fn ms(v: f64) -> usize {
    (v * 8.0).round() as usize
}

/// `|H(f)|` of second-order resonances (centre, bandwidth) in cascade, unit gain at DC.
fn formant_gain(f: f64, formants: &[(f64, f64)]) -> f64 {
    formants
        .iter()
        .map(|&(c, bw)| 1.0 / (1.0 - (f / c).powi(2)).hypot(f * bw / (c * c)))
        .product()
}

/// A vowel of `n` samples with pitch `f0(i)` at sample `i`, scaled to a mean power of a sine
/// at `dbm0`. Harmonic amplitudes follow the pitch every 5 ms.
fn vowel(n: usize, f0: impl Fn(usize) -> f64, formants: &[(f64, f64)], dbm0: f64) -> Vec<f64> {
    let mut x = vec![0.0; n];
    let mut phase = 0.0;
    let mut amps: Vec<f64> = Vec::new();
    for (i, v) in x.iter_mut().enumerate() {
        let f = f0(i);
        if i % 40 == 0 {
            amps = (1..)
                .map(|h| f64::from(h) * f)
                .take_while(|&fh| fh < 3600.0)
                // -6 dB/octave source, a telephone line's high-pass below 250 Hz.
                .map(|fh| {
                    let hp = 1.0 / (1.0 + (250.0 / fh).powi(2));
                    hp * formant_gain(fh, formants) * 250.0 / fh
                })
                .collect();
        }
        phase += f / 8000.0;
        *v = amps
            .iter()
            .enumerate()
            .map(|(k, a)| a * (2.0 * PI * (k + 1) as f64 * phase + k as f64).sin())
            .sum();
    }
    let p = x.iter().map(|v| v * v).sum::<f64>() / n as f64;
    let g = amp(dbm0) / (2.0 * p).sqrt();
    x.iter_mut().for_each(|v| *v *= g);
    x
}

/// Digits found in the linear audio and in its µ-law round trip (they must agree).
fn detect(x: &[f64]) -> String {
    let pcm: Vec<i16> = x
        .iter()
        .map(|v| v.round().clamp(-32768.0, 32767.0) as i16)
        .collect();
    let ulaw: Vec<i16> = pcm.iter().map(|&s| ulaw_decode(ulaw_encode(s))).collect();
    let (a, b) = (detect_digits_in_pcm(&pcm), detect_digits_in_pcm(&ulaw));
    assert_eq!(a, b, "linear and µ-law disagree");
    a
}

/// The pitches that put harmonics `p` and `q` on a key's tones: the pair's best fit
/// `(fr + fc)/(p + q)`.
const PAIRS: [(char, u32, u32); 6] = [
    ('1', 4, 7),
    ('5', 4, 7),
    ('9', 4, 7),
    ('D', 4, 7),
    ('*', 7, 9),
    ('*', 4, 5),
];

#[test]
fn vowels_with_two_harmonics_on_a_key_give_nothing() {
    // F1 on the row tone, F2 on the column tone; the pitch glides through ±1.5 % around the
    // fundamental that fits the pair, with a 1 % vibrato, so that for a while both
    // harmonics sit inside the accepted band. Formant bandwidths from 70 to 150 Hz; also the
    // pitch an octave down (harmonics 2p and 2q on the pair).
    for (key, p, q) in PAIRS {
        let (fr, fc) = freqs(key);
        let fit = (fr + fc) / f64::from(p + q);
        for f0 in [fit, fit / 2.0] {
            for (b1, b2) in [(70.0, 90.0), (100.0, 120.0), (150.0, 150.0)] {
                for dbm0 in [-10.0, -20.0, -30.0] {
                    let n = ms(1500.0);
                    let pitch = |i: usize| {
                        let t = i as f64 / n as f64;
                        let vibrato = 0.01 * (2.0 * PI * 5.0 * i as f64 / 8000.0).sin();
                        f0 * (0.985 + 0.03 * t) * (1.0 + vibrato)
                    };
                    let forms = [(fr, b1), (fc, b2), (2600.0, 200.0), (3300.0, 250.0)];
                    let x = vowel(n, pitch, &forms, dbm0);
                    assert_eq!(
                        detect(&x),
                        "",
                        "key {key} as {p}:{q}, f0 {f0:.1} Hz, B {b1}/{b2} Hz, {dbm0} dBm0"
                    );
                }
            }
        }
    }
}

/// Formants (F1, F2, F3) of ordinary vowels (Peterson & Barney): a, e, i, o, u, er.
const VOWELS: [(f64, f64, f64); 6] = [
    (730.0, 1090.0, 2440.0),
    (530.0, 1840.0, 2480.0),
    (270.0, 2290.0, 3010.0),
    (570.0, 840.0, 2410.0),
    (300.0, 870.0, 2240.0),
    (490.0, 1350.0, 1690.0),
];

#[test]
fn keys_10_db_over_voiced_speech_are_detected() {
    // Every key, 60 ms on and 140 ms off, each tone 10 dB above a vowel whose pitch glides
    // from 90 to 300 Hz over the sequence (through the pitches that line its harmonics up
    // with the pairs), for six vowels and three levels.
    for (f1, f2, f3) in VOWELS {
        for tone_dbm0 in [-6.0, -15.0, -25.0] {
            let mut tones = vec![0.0; ms(200.0)];
            let mut phase = 0.3;
            for key in KEYS.chars() {
                let (fr, fc) = freqs(key);
                let a = amp(tone_dbm0);
                for i in 0..ms(60.0) {
                    let t = i as f64 / 8000.0;
                    tones.push(
                        a * (2.0 * PI * fr * t + phase).sin()
                            + a * (2.0 * PI * fc * t + 2.0 * phase).sin(),
                    );
                }
                tones.extend(std::iter::repeat_n(0.0, ms(140.0)));
                phase += 1.1;
            }
            let n = tones.len();
            let pitch = |i: usize| 90.0 * (300.0f64 / 90.0).powf(i as f64 / n as f64);
            let forms = [(f1, 80.0), (f2, 100.0), (f3, 150.0), (3300.0, 250.0)];
            let speech = vowel(n, pitch, &forms, tone_dbm0 - 10.0);
            let x: Vec<f64> = tones.iter().zip(&speech).map(|(a, b)| a + b).collect();
            assert_eq!(
                detect(&x),
                KEYS,
                "tones at {tone_dbm0} dBm0 over a vowel F1 {f1} F2 {f2} 10 dB down"
            );
        }
    }
}

#[test]
fn full_scale_and_clipped_voices_and_keys_do_not_panic() {
    // The voicing test's fixed-point ranges at their limits: vowels on the pairs with the
    // keys on top, each at -8 to +6 dBm0 (clipped at 0 and above), in debug builds with
    // overflow checks. At -8 and -4 dBm0 the comb is measured; clipped, the pair fits no
    // ratio any more.
    for (key, p, q) in PAIRS {
        let (fr, fc) = freqs(key);
        let f0 = (fr + fc) / f64::from(p + q);
        for dbm0 in [-8.0, -4.0, 0.0, 6.0] {
            let forms = [(fr, 60.0), (fc, 60.0), (2600.0, 200.0)];
            let mut x = vowel(ms(300.0), |_| f0, &forms, dbm0);
            let a = amp(dbm0);
            for (i, v) in x.iter_mut().enumerate() {
                let t = i as f64 / 8000.0;
                *v += a * ((2.0 * PI * fr * t).sin() + (2.0 * PI * fc * t).sin());
            }
            detect(&x);
        }
    }
}
