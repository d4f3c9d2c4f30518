//! Tone generation: frequency, level, cadence, length, phase continuity, DTMF digits.

// Helpers outside #[test] functions unwrap too; a panic is a test failure.
#![allow(clippy::unwrap_used)]

use media::tone::{
    DtmfParams, Oscillator, RingtoneParams, ToneGenerator, dbm0_to_peak, dtmf_frequencies,
};

fn amplitude_at(x: &[i16], freq: f64) -> f64 {
    let (mut a, mut b) = (0.0, 0.0);
    for (n, &s) in x.iter().enumerate() {
        let w = 2.0 * std::f64::consts::PI * freq * n as f64 / 8000.0;
        a += f64::from(s) * w.cos();
        b += f64::from(s) * w.sin();
    }
    2.0 * (a * a + b * b).sqrt() / x.len() as f64
}

fn render(g: &mut ToneGenerator, n: usize) -> Vec<i16> {
    let mut out = vec![0i16; n];
    let written = g.fill(&mut out);
    out.truncate(written);
    out
}

fn max_step(x: &[i16]) -> i32 {
    x.windows(2)
        .map(|w| (i32::from(w[1]) - i32::from(w[0])).abs())
        .max()
        .unwrap_or(0)
}

#[test]
fn oscillator_is_accurate_and_clean() {
    let mut o = Oscillator::new(1000, 10000);
    let x: Vec<i16> = (0..8000).map(|_| o.next_sample() as i16).collect();
    let a = amplitude_at(&x, 1000.0);
    assert!((a - 10000.0).abs() < 2.0, "level {a}");
    // Harmonics and table spurs far down (< -80 dB).
    for f in [2000.0, 3000.0, 500.0, 1500.0] {
        assert!(amplitude_at(&x, f) < 1.0, "spur at {f}");
    }
    // Exact to the sample against f64 sine (interpolated table: within 1 LSB + rounding).
    for (n, &s) in x.iter().enumerate() {
        let want = 10000.0 * (2.0 * std::f64::consts::PI * 1000.0 * n as f64 / 8000.0).sin();
        assert!(
            (f64::from(s) - want).abs() <= 1.5,
            "sample {n}: {s} vs {want}"
        );
    }
}

#[test]
fn output_does_not_depend_on_how_it_is_sliced() {
    let p = RingtoneParams::default();
    let mut whole = ToneGenerator::ringtone(&p);
    let reference = render(&mut whole, 60_000);
    let mut sliced = ToneGenerator::ringtone(&p);
    let mut got = Vec::new();
    let sizes = [160, 7, 13, 1, 333];
    let mut i = 0;
    while got.len() < 60_000 {
        let n = sizes[i % sizes.len()].min(60_000 - got.len());
        got.extend(render(&mut sliced, n));
        i += 1;
    }
    assert_eq!(got, reference);
}

#[test]
fn ringtone_follows_sems_defaults() {
    let p = RingtoneParams::default();
    assert_eq!(
        (p.length_ms, p.on_ms, p.off_ms, p.f, p.f2),
        (0, 2000, 4000, 440, 480)
    );
    let mut g = ToneGenerator::ringtone(&p);
    let x = render(&mut g, 8000 * 14);
    // On for 2 s, off for 4 s, on again at 6 s and 12 s.
    let on = &x[800..15_200];
    assert!((amplitude_at(on, 440.0) - 15000.0).abs() < 20.0);
    assert!((amplitude_at(on, 480.0) - 15000.0).abs() < 20.0);
    assert!(x[16_000..48_000].iter().all(|&s| s == 0));
    assert!(x[48_000..64_000].iter().any(|&s| s != 0));
    assert!(x[64_000..96_000].iter().all(|&s| s == 0));
    assert!(x[96_000..].iter().any(|&s| s != 0));
    assert!(!g.is_finished());
    // Burst edges are ramped: the first sample is tiny and the steps stay below the
    // largest slope of the two sines (2π·(440+480)/8000·15000 ≈ 10 800).
    assert!(x[0].abs() < 100);
    assert!(max_step(&x) < 11_000);
    assert!(
        x[15_999].abs() < 2000,
        "ramped down at the end of the burst"
    );
}

#[test]
fn ringtone_length_ends_the_item_exactly() {
    let p = RingtoneParams {
        length_ms: 1010,
        ..RingtoneParams::default()
    };
    let mut g = ToneGenerator::ringtone(&p);
    let x = render(&mut g, 20_000);
    assert_eq!(x.len(), 8080);
    assert!(g.is_finished());
    assert_eq!(g.fill(&mut [0; 160]), 0);
}

#[test]
fn sems_sanity_rule_for_zero_cadence_gives_a_continuous_tone() {
    let p = RingtoneParams {
        on_ms: 0,
        off_ms: 0,
        f2: 0,
        ..RingtoneParams::default()
    };
    let x = render(&mut ToneGenerator::ringtone(&p), 16_000);
    let a = amplitude_at(&x[8..], 440.0);
    assert!((a - 15000.0).abs() < 20.0, "{a}");
    assert!(
        amplitude_at(&x[8..], 480.0) < 10.0,
        "f2 = 0 is a single tone"
    );
}

#[test]
fn dial_tone_and_ringback_levels() {
    assert!((i32::from(dbm0_to_peak(0.0)) - 22_627).abs() <= 1);
    let x = render(&mut ToneGenerator::dial_tone(), 16_000);
    let want = f64::from(dbm0_to_peak(-13.0));
    for f in [350.0, 440.0] {
        // 2 s hold whole periods of both tones, so the two do not leak into each other.
        let a = amplitude_at(&x, f);
        assert!((a - want).abs() < want * 0.005, "{f}: {a} vs {want}");
    }
    assert!(
        x.iter().skip(8).filter(|&&s| s == 0).count() < 200,
        "continuous"
    );
    let r = render(&mut ToneGenerator::ringback(), 8000 * 6);
    assert!(r[16_000..].iter().all(|&s| s == 0));
    assert!((amplitude_at(&r[8..15_992], 480.0) - f64::from(dbm0_to_peak(-19.0))).abs() < 3.0);
}

#[test]
fn all_sixteen_dtmf_digits_have_the_right_pair_level_and_timing() {
    const ALL: [f64; 8] = [697.0, 770.0, 852.0, 941.0, 1209.0, 1336.0, 1477.0, 1633.0];
    let p = DtmfParams::default();
    for d in "0123456789*#ABCD".chars() {
        let (lo, hi) = dtmf_frequencies(d).unwrap();
        let mut g = ToneGenerator::dtmf(d, &p).unwrap();
        let x = render(&mut g, 10_000);
        assert_eq!(x.len(), 1600, "{d}: 100 ms on + 100 ms off");
        assert!(g.is_finished());
        assert!(x[800..].iter().all(|&s| s == 0), "{d}: pause");
        let tone = &x[8..792];
        let levels: Vec<f64> = ALL.iter().map(|&f| amplitude_at(tone, f)).collect();
        for (&f, &a) in ALL.iter().zip(&levels) {
            if f == f64::from(lo) {
                let want = f64::from(dbm0_to_peak(p.low_dbm0));
                assert!((a - want).abs() < want * 0.025, "{d}: low {a} vs {want}");
            } else if f == f64::from(hi) {
                let want = f64::from(dbm0_to_peak(p.high_dbm0));
                assert!((a - want).abs() < want * 0.025, "{d}: high {a} vs {want}");
            } else {
                // Other DTMF frequencies only see the short window's leakage (< -25 dB).
                assert!(a < 500.0, "{d}: {f} Hz at {a}");
            }
        }
    }
    assert!(ToneGenerator::dtmf('x', &p).is_none());
    assert_eq!(dtmf_frequencies('a'), dtmf_frequencies('A'));
    let seq: Vec<_> = ToneGenerator::dtmf_sequence("1x2#", &p).collect();
    assert_eq!(seq.len(), 3);
}

#[test]
fn dtmf_durations_and_levels_are_configurable() {
    let p = DtmfParams {
        on_ms: 40,
        off_ms: 60,
        low_dbm0: -20.0,
        high_dbm0: -18.0,
    };
    let x = render(&mut ToneGenerator::dtmf('5', &p).unwrap(), 10_000);
    assert_eq!(x.len(), 800);
    assert!(x[320..].iter().all(|&s| s == 0));
    assert!(x[..320].iter().any(|&s| s != 0));
    let a = amplitude_at(&x[8..312], 770.0);
    assert!((a - f64::from(dbm0_to_peak(-20.0))).abs() < 100.0, "{a}");
}
