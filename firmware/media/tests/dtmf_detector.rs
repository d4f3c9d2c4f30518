//! Scenario tests for `media::dtmf`: generated tones through the public API, one assertion per
//! requirement of the spec (Q.23/Q.24 frequencies and tolerances, twist, ETSI timing, level
//! range, noise, talk-off). The real-audio corpus runs in `tools/dtmf-ref/score-ours.sh`.

use media::dtmf::{DtmfDetector, DtmfEvent, DtmfKey, detect_digits_in_pcm, detect_events_in_pcm};
use media::g711::{ulaw_decode, ulaw_encode};
use std::f64::consts::PI;

const KEYS: &str = "123A456B789C*0#D";
const ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
const COLS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];

/// Peak amplitude of a sine at `dbm0` (spandsp's convention: 0 dBm0 = 22827 peak).
fn amp(dbm0: f64) -> f64 {
    22827.0 * 10f64.powf(dbm0 / 20.0)
}

fn ms(v: f64) -> usize {
    (v * 8.0).round() as usize
}

/// A float track of audio that is quantised at the end.
struct Track {
    x: Vec<f64>,
    rng: u64,
}

impl Track {
    fn new(lead_ms: f64) -> Track {
        Track {
            x: vec![0.0; ms(lead_ms)],
            rng: 0x9e37_79b9_7f4a_7c15,
        }
    }

    fn random(&mut self) -> f64 {
        // xorshift64*: deterministic, uniform in [0, 1).
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        (self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn silence(&mut self, ms_: f64) {
        self.x.extend(std::iter::repeat_n(0.0, ms(ms_)));
    }

    /// Appends a tone pair: (frequency, dBm0) for each tone, with random start phases.
    fn pair(&mut self, (f1, l1): (f64, f64), (f2, l2): (f64, f64), on_ms: f64) {
        let (p1, p2) = (2.0 * PI * self.random(), 2.0 * PI * self.random());
        for i in 0..ms(on_ms) {
            let t = i as f64 / 8000.0;
            self.x.push(
                amp(l1) * (2.0 * PI * f1 * t + p1).sin() + amp(l2) * (2.0 * PI * f2 * t + p2).sin(),
            );
        }
    }

    fn key(&mut self, key: char, level: f64, on_ms: f64) {
        let (r, c) = freqs(key);
        self.pair((r, level), (c, level), on_ms);
    }

    /// Keys back to back: `on_ms` tone, `off_ms` pause.
    fn keys(&mut self, keys: &str, level: f64, on_ms: f64, off_ms: f64) {
        for k in keys.chars() {
            self.key(k, level, on_ms);
            self.silence(off_ms);
        }
    }

    /// Adds white noise at `dbm0` (power of a sine at that level) over the whole track.
    fn noise(&mut self, dbm0: f64) {
        let sigma = amp(dbm0) / 2f64.sqrt();
        for i in 0..self.x.len() {
            // Box-Muller.
            let (u1, u2) = (self.random().max(1e-12), self.random());
            self.x[i] += sigma * (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos();
        }
    }

    fn pcm(&self) -> Vec<i16> {
        self.x
            .iter()
            .map(|v| v.round().clamp(-32768.0, 32767.0) as i16)
            .collect()
    }

    fn ulaw(&self) -> Vec<i16> {
        self.pcm()
            .into_iter()
            .map(|s| ulaw_decode(ulaw_encode(s)))
            .collect()
    }
}

fn freqs(key: char) -> (f64, f64) {
    let i = KEYS.find(key).expect("a DTMF key");
    (ROWS[i / 4], COLS[i % 4])
}

fn detect(t: &Track) -> String {
    let lin = detect_digits_in_pcm(&t.pcm());
    let ulaw = detect_digits_in_pcm(&t.ulaw());
    assert_eq!(lin, ulaw, "linear and µ-law disagree");
    lin
}

#[test]
fn every_key_is_detected_with_its_code() {
    let mut t = Track::new(100.0);
    t.keys(KEYS, -10.0, 50.0, 50.0);
    assert_eq!(detect(&t), KEYS);
    for (i, c) in "0123456789*#ABCD".chars().enumerate() {
        let key = DtmfKey::from_char(c).unwrap();
        assert_eq!(key.code() as usize, i, "RFC 4733 code of {c}");
        assert_eq!(key.to_char(), c);
        assert_eq!(DtmfKey::from_code(i as u8), Some(key));
    }
    assert_eq!(DtmfKey::from_char('5').unwrap().frequencies(), (770, 1336));
    assert_eq!(DtmfKey::from_code(16), None);
    assert_eq!(DtmfKey::from_char('x'), None);
}

#[test]
fn levels_from_minus_3_to_minus_38_dbm0_are_detected() {
    for level in [-3.0, -10.0, -20.0, -25.0, -30.0, -35.0, -38.0] {
        let mut t = Track::new(100.0);
        t.keys(KEYS, level, 50.0, 50.0);
        assert_eq!(detect(&t), KEYS, "at {level} dBm0");
    }
}

#[test]
fn tones_below_minus_45_dbm0_are_ignored() {
    for level in [-46.0, -55.0, -70.0] {
        let mut t = Track::new(100.0);
        t.keys(KEYS, level, 60.0, 60.0);
        assert_eq!(detect(&t), "", "at {level} dBm0");
    }
}

#[test]
fn twist_up_to_8_db_normal_and_4_db_reverse_is_accepted() {
    for strong in [-4.0, -16.0] {
        for (lo, hi) in [(0.0, -8.0), (0.0, -6.0), (-4.0, 0.0), (-2.0, 0.0)] {
            for _ in 0..3 {
                let mut t = Track::new(100.0);
                for k in KEYS.chars() {
                    let (r, c) = freqs(k);
                    t.pair((r, strong + lo), (c, strong + hi), 50.0);
                    t.silence(50.0);
                }
                assert_eq!(
                    detect(&t),
                    KEYS,
                    "strong {strong} dBm0, row {lo} dB, column {hi} dB"
                );
            }
        }
    }
}

#[test]
fn twist_beyond_12_db_normal_or_8_db_reverse_is_rejected() {
    for (lo, hi) in [(0.0, -12.0), (-8.0, 0.0)] {
        let mut t = Track::new(100.0);
        for k in KEYS.chars() {
            let (r, c) = freqs(k);
            t.pair((r, -6.0 + lo), (c, -6.0 + hi), 60.0);
            t.silence(60.0);
        }
        assert_eq!(detect(&t), "", "row {lo} dB, column {hi} dB");
    }
}

#[test]
fn both_tones_1_5_percent_off_in_any_direction_are_accepted() {
    for (dr, dc) in [
        (1.5, 1.5),
        (-1.5, -1.5),
        (1.5, -1.5),
        (-1.5, 1.5),
        (1.5, 0.0),
        (0.0, -1.5),
    ] {
        let mut t = Track::new(100.0);
        for k in KEYS.chars() {
            let (r, c) = freqs(k);
            t.pair(
                (r * (1.0 + dr / 100.0), -10.0),
                (c * (1.0 + dc / 100.0), -10.0),
                50.0,
            );
            t.silence(50.0);
        }
        assert_eq!(detect(&t), KEYS, "row {dr}%, column {dc}%");
    }
}

#[test]
fn any_tone_3_5_percent_off_is_rejected() {
    // Each of the 8 frequencies, both directions, with the other tone exact; at two levels.
    for level in [-6.0, -20.0] {
        for dev in [-3.5, 3.5, -5.0, 5.0] {
            for group in 0..2 {
                let mut t = Track::new(100.0);
                for k in KEYS.chars() {
                    let (r, c) = freqs(k);
                    let (fr, fc) = if group == 0 {
                        (r * (1.0 + dev / 100.0), c)
                    } else {
                        (r, c * (1.0 + dev / 100.0))
                    };
                    t.pair((fr, level), (fc, level), 60.0);
                    t.silence(60.0);
                }
                assert_eq!(
                    detect(&t),
                    "",
                    "{} group {dev}% at {level} dBm0",
                    ["low", "high"][group]
                );
            }
        }
    }
}

#[test]
fn forty_ms_tones_always_register_and_twenty_ms_tones_never() {
    // Every alignment of the tone against the 102-sample blocks (steps of 3 samples).
    for lead in (0..102).step_by(3) {
        let mut t = Track::new(100.0);
        t.x.extend(std::iter::repeat_n(0.0, lead));
        t.keys(KEYS, -10.0, 40.0, 40.0);
        assert_eq!(detect(&t), KEYS, "40 ms tones, lead {lead}");

        let mut t = Track::new(100.0);
        t.x.extend(std::iter::repeat_n(0.0, lead));
        t.keys(KEYS, -4.0, 20.0, 40.0);
        assert_eq!(detect(&t), "", "20 ms tones, lead {lead}");
    }
}

#[test]
fn a_10_ms_break_is_bridged_and_a_40_ms_pause_splits() {
    for key in ['1', '5', '9', 'D', '*'] {
        for lead in (0..102).step_by(17) {
            let mut t = Track::new(100.0 + lead as f64 / 8.0);
            t.keys(&key.to_string().repeat(4), -10.0, 50.0, 10.0);
            assert_eq!(detect(&t), key.to_string(), "10 ms breaks, lead {lead}");

            let mut t = Track::new(100.0 + lead as f64 / 8.0);
            t.keys(&key.to_string().repeat(4), -10.0, 50.0, 40.0);
            assert_eq!(
                detect(&t),
                key.to_string().repeat(4),
                "40 ms pauses, lead {lead}"
            );
        }
    }
}

#[test]
fn a_new_key_after_a_short_pause_registers() {
    let mut t = Track::new(100.0);
    t.keys("1212", -10.0, 60.0, 20.0);
    assert_eq!(detect(&t), "1212");
}

#[test]
fn keys_in_white_noise_at_15_db_snr_are_detected() {
    let mut t = Track::new(100.0);
    t.keys(&KEYS.repeat(2), -10.0, 50.0, 50.0);
    t.noise(-25.0);
    assert_eq!(detect(&t), KEYS.repeat(2));
}

#[test]
fn noise_alone_gives_nothing() {
    for level in [-50.0, -30.0, -10.0, -3.0] {
        let mut t = Track::new(3000.0);
        t.noise(level);
        assert_eq!(detect(&t), "", "noise at {level} dBm0");
    }
}

#[test]
fn single_tones_call_progress_tones_and_same_group_pairs_are_ignored() {
    let mut t = Track::new(100.0);
    for f in ROWS.iter().chain(COLS.iter()) {
        t.pair((*f, -6.0), (*f, -60.0), 200.0);
        t.silence(100.0);
    }
    // Dial tone, ringback, busy, 425 Hz, two rows, two columns.
    for (a, b) in [
        (350.0, 440.0),
        (440.0, 480.0),
        (480.0, 620.0),
        (425.0, 425.0),
        (697.0, 852.0),
        (1209.0, 1477.0),
    ] {
        t.pair((a, -10.0), (b, -10.0), 1000.0);
        t.silence(100.0);
    }
    assert_eq!(detect(&t), "");
}

/// A crude voiced sound: a harmonic series on a gliding pitch with a spectral tilt, shaped by
/// two formant peaks at `f1` and `f2` (Lorentzian weights on the harmonics).
fn vowel(t: &mut Track, seconds: f64, f0_from: f64, f0_to: f64, f1: f64, f2: f64, dbm0: f64) {
    let n = ms(seconds * 1000.0);
    let mut phase = 0.0;
    let start = t.x.len();
    for i in 0..n {
        let f0 = f0_from + (f0_to - f0_from) * i as f64 / n as f64;
        phase += f0 / 8000.0;
        let mut x = 0.0;
        let mut h = 1.0;
        while h * f0 < 3400.0 {
            let f = h * f0;
            let formant = |c: f64, bw: f64| 1.0 / (1.0 + ((f - c) / bw).powi(2));
            let weight = (formant(f1, 80.0) + 0.6 * formant(f2, 100.0) + 0.05) / h.sqrt();
            x += weight * (2.0 * PI * h * phase).sin();
            h += 1.0;
        }
        t.x.push(x);
    }
    // Scale to the level's mean power.
    let p = t.x[start..].iter().map(|v| v * v).sum::<f64>() / n as f64;
    let g = amp(dbm0) / (2.0 * p).sqrt();
    t.x[start..].iter_mut().for_each(|v| *v *= g);
}

#[test]
fn speech_like_voiced_sounds_give_nothing() {
    // Formants of ordinary vowels (a, i, u, e, o), pitch gliding over male and female ranges.
    for (f1, f2) in [
        (730.0, 1090.0),
        (270.0, 2290.0),
        (300.0, 870.0),
        (530.0, 1840.0),
        (570.0, 840.0),
    ] {
        for (lo, hi) in [(90.0, 140.0), (180.0, 260.0)] {
            let mut t = Track::new(50.0);
            vowel(&mut t, 4.0, lo, hi, f1, f2, -12.0);
            assert_eq!(detect(&t), "", "vowel F1 {f1} F2 {f2}, pitch {lo}-{hi}");
        }
    }
}

#[test]
fn keys_over_speech_like_sound_10_db_below_are_detected() {
    let mut t = Track::new(0.0);
    vowel(&mut t, 5.0, 100.0, 180.0, 600.0, 1200.0, -20.0);
    let mut tones = Track::new(200.0);
    tones.keys(KEYS, -10.0, 60.0, 240.0);
    for (x, y) in t.x.iter_mut().zip(tones.x) {
        *x += y;
    }
    assert_eq!(detect(&t), KEYS);
}

#[test]
fn events_carry_onset_and_duration() {
    let mut t = Track::new(100.0);
    t.key('7', -10.0, 100.0);
    t.silence(100.0);
    t.key('#', -10.0, 60.0);
    t.silence(200.0);
    let evs = detect_events_in_pcm(&t.pcm());
    let seven = DtmfKey::from_char('7').unwrap();
    let hash = DtmfKey::from_char('#').unwrap();
    assert_eq!(evs.len(), 4, "{evs:?}");
    let check = |ev: &DtmfEvent, key: DtmfKey, onset: u64, length: u64| match *ev {
        DtmfEvent::Ended {
            key: k,
            start,
            duration,
        } => {
            assert_eq!(k, key);
            // Within one block (102 samples) of the truth.
            assert!(start.abs_diff(onset) <= 102, "start {start} vs {onset}");
            assert!(
                u64::from(duration).abs_diff(length) <= 2 * 102,
                "duration {duration} vs {length}"
            );
        }
        _ => panic!("expected an end, got {ev:?}"),
    };
    assert!(
        matches!(evs[0], DtmfEvent::Began { key, start } if key == seven && start.abs_diff(800) <= 102)
    );
    check(&evs[1], seven, 800, 800);
    assert!(matches!(evs[2], DtmfEvent::Began { key, .. } if key == hash));
    check(&evs[3], hash, 2400, 480);
    assert_eq!(DtmfEvent::samples_to_ms(800), 100);
}

#[test]
fn frame_size_does_not_change_the_result() {
    let mut t = Track::new(37.0);
    t.keys("159D*0#", -15.0, 45.0, 45.0);
    t.noise(-35.0);
    let pcm = t.pcm();
    let whole = detect_events_in_pcm(&pcm);
    for chunk in [1, 7, 80, 102, 160, 240] {
        let mut det = DtmfDetector::new();
        let mut evs = Vec::new();
        for c in pcm.chunks(chunk) {
            det.handle_samples(c);
            while let Some(e) = det.poll_event() {
                evs.push(e);
            }
        }
        det.set_enabled(false);
        while let Some(e) = det.poll_event() {
            evs.push(e);
        }
        assert_eq!(evs, whole, "chunks of {chunk}");
        assert_eq!(det.samples_fed(), pcm.len() as u64);
    }
}

#[test]
fn switching_off_ends_the_key_and_ignores_audio() {
    let mut t = Track::new(100.0);
    t.key('4', -10.0, 300.0);
    let pcm = t.pcm();
    let mut det = DtmfDetector::new();
    det.handle_samples(&pcm[..1600]);
    assert!(matches!(det.poll_event(), Some(DtmfEvent::Began { .. })));
    assert_eq!(det.active_key().map(|(k, _)| k.to_char()), Some('4'));
    det.set_enabled(false);
    assert!(!det.is_enabled());
    assert!(matches!(det.poll_event(), Some(DtmfEvent::Ended { .. })));
    det.handle_samples(&pcm[1600..]);
    assert_eq!(det.poll_event(), None);
    assert_eq!(det.samples_fed(), pcm.len() as u64);
    // Back on: the same key, still sounding, registers afresh.
    det.set_enabled(true);
    det.handle_samples(&pcm[800..2400]);
    assert!(matches!(det.poll_event(), Some(DtmfEvent::Began { .. })));
}

#[test]
fn reset_forgets_the_key_but_keeps_the_clock() {
    let mut t = Track::new(100.0);
    t.key('B', -10.0, 200.0);
    let pcm = t.pcm();
    let mut det = DtmfDetector::new();
    det.handle_samples(&pcm);
    assert!(det.active_key().is_some());
    det.reset();
    assert_eq!(det.active_key(), None);
    assert_eq!(det.poll_event(), None);
    assert_eq!(det.samples_fed(), pcm.len() as u64);
}

#[test]
fn hostile_input_never_panics() {
    let mut det = DtmfDetector::new();
    let mut t = Track::new(0.0);
    let mut noise = Vec::new();
    for _ in 0..16000 {
        noise.push(((t.random() - 0.5) * 65535.0) as i16);
    }
    det.handle_samples(&noise);
    det.handle_samples(&[i16::MIN; 4000]);
    det.handle_samples(&[i16::MAX; 4000]);
    let square: Vec<i16> = (0..8000)
        .map(|i| if (i / 3) % 2 == 0 { i16::MAX } else { i16::MIN })
        .collect();
    det.handle_samples(&square);
    det.handle_samples(&[]);
    while det.poll_event().is_some() {}
}

#[test]
fn the_detector_is_small() {
    // 288 bytes of filters, two-block state, key and events, and the 2 × 102 samples the
    // voicing test needs.
    let size = std::mem::size_of::<DtmfDetector>();
    assert!(size <= 720, "DtmfDetector is {size} bytes");
}
