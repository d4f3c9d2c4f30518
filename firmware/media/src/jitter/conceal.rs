//! Packet-loss concealment for G.711 audio, in the spirit of ITU-T G.711 Appendix I but much
//! smaller: when samples are missing, repeat the last pitch period of what was played (so a
//! voiced sound or a tone continues in phase instead of clicking), hold it at full level for
//! 10 ms, fade it linearly to silence by 60 ms, and cross-fade back into real audio over 5 ms
//! when packets return.

use crate::FRAME_SAMPLES;

/// Output history kept for the pitch search: two frames.
const HISTORY: usize = 2 * FRAME_SAMPLES;
/// Shortest pitch period searched: 16 samples (500 Hz).
const MIN_PERIOD: usize = 16;
/// Longest pitch period searched: 160 samples (50 Hz).
const MAX_PERIOD: usize = 160;
/// Samples compared when searching the period.
const MATCH_LEN: usize = 80;
/// Concealment plays at full level this long (10 ms)...
const HOLD: u32 = 80;
/// ...then fades to silence by this point (60 ms).
const SILENT_AFTER: u32 = 480;
/// Cross-fade from concealment back into real audio (5 ms).
const CROSSFADE: u32 = 40;

/// State of the concealment and of the output history it works from.
#[derive(Debug, Clone)]
pub(crate) struct Concealer {
    history: [i16; HISTORY],
    /// Next write position in `history` (a ring).
    history_pos: usize,
    /// Pitch period in use while concealing.
    period: usize,
    /// The repeated period, copied when concealment started.
    template: [i16; MAX_PERIOD],
    /// Samples concealed in the current run (0: not concealing).
    run: u32,
    /// Samples of cross-fade left after real audio resumed.
    fade_left: u32,
    /// Position in the template of the next concealed sample.
    phase: usize,
    /// The template is all zeros: concealment is silence (a stream start, a loss in
    /// silence). Returning audio is still cross-faded, which from silence is a 5 ms fade-in:
    /// a stream that starts mid-sound does not click either.
    template_silent: bool,
}

impl Default for Concealer {
    fn default() -> Self {
        Self {
            history: [0; HISTORY],
            history_pos: 0,
            period: MIN_PERIOD,
            template: [0; MAX_PERIOD],
            run: 0,
            fade_left: 0,
            phase: 0,
            template_silent: true,
        }
    }
}

impl Concealer {
    /// Sample `back` positions before the newest one in the history (1 = newest).
    fn past(&self, back: usize) -> i16 {
        self.history[(self.history_pos + HISTORY - back) % HISTORY]
    }

    fn remember(&mut self, s: i16) {
        self.history[self.history_pos] = s;
        self.history_pos = (self.history_pos + 1) % HISTORY;
    }

    /// Chooses the pitch period by normalised cross-correlation of the newest `MATCH_LEN`
    /// samples with the history `lag` samples earlier, and copies the last period.
    fn start(&mut self) {
        let mut best_lag = MAX_PERIOD;
        let (mut best_c, mut best_e) = (0f64, 1f64);
        let mut energy = 0f64;
        for k in 1..=MATCH_LEN {
            energy += f64::from(self.past(k)).powi(2);
        }
        if energy > 0.0 {
            for lag in MIN_PERIOD..=MAX_PERIOD {
                let (mut c, mut e) = (0f64, 0f64);
                for k in 1..=MATCH_LEN {
                    let a = f64::from(self.past(k));
                    let b = f64::from(self.past(k + lag));
                    c += a * b;
                    e += b * b;
                }
                // Maximise c / sqrt(e) for positive c: compare c²·e_best > c_best²·e.
                if c > 0.0 && e > 0.0 && c * c * best_e > best_c * best_c * e {
                    best_lag = lag;
                    best_c = c;
                    best_e = e;
                }
            }
        }
        self.period = best_lag;
        for i in 0..best_lag {
            self.template[i] = self.past(best_lag - i);
        }
        self.template_silent = self.template[..best_lag].iter().all(|&s| s == 0);
        self.phase = 0;
    }

    /// The next concealment sample, at the gain for how long concealment has run.
    fn next_concealed(&mut self) -> i16 {
        let s = self.template[self.phase];
        self.phase = (self.phase + 1) % self.period;
        let gain = if self.run < HOLD {
            1.0
        } else if self.run < SILENT_AFTER {
            1.0 - (self.run - HOLD) as f32 / (SILENT_AFTER - HOLD) as f32
        } else {
            0.0
        };
        self.run = self.run.saturating_add(1);
        (f32::from(s) * gain) as i16
    }

    /// Produces one output sample: the real one if `real` is `Some`, otherwise concealment.
    pub(crate) fn sample(&mut self, real: Option<i16>) -> i16 {
        let out = match real {
            None => {
                if self.run == 0 {
                    self.start();
                }
                self.fade_left = CROSSFADE;
                self.next_concealed()
            }
            Some(x) if self.run > 0 && self.fade_left > 0 => {
                // Back from concealment: blend the continued concealment into the real signal.
                let w = (CROSSFADE - self.fade_left + 1) as f32 / (CROSSFADE + 1) as f32;
                let c = self.next_concealed();
                self.fade_left -= 1;
                if self.fade_left == 0 {
                    self.run = 0;
                }
                (f32::from(x) * w + f32::from(c) * (1.0 - w)) as i16
            }
            Some(x) => {
                self.run = 0;
                x
            }
        };
        self.remember(out);
        out
    }

    /// Whether real samples would pass unchanged (no concealment or cross-fade under way).
    pub(crate) fn is_passing_through(&self) -> bool {
        self.run == 0
    }

    /// Records a frame of real samples that passed unchanged; the same as calling
    /// [`Concealer::sample`] with each while [`Concealer::is_passing_through`].
    pub(crate) fn pass_through(&mut self, frame: &[i16]) {
        // Only the newest HISTORY samples matter.
        let frame = &frame[frame.len().saturating_sub(HISTORY)..];
        let first = frame.len().min(HISTORY - self.history_pos);
        self.history[self.history_pos..self.history_pos + first].copy_from_slice(&frame[..first]);
        let rest = frame.len() - first;
        self.history[..rest].copy_from_slice(&frame[first..]);
        self.history_pos = (self.history_pos + frame.len()) % HISTORY;
    }

    /// Prepares a cross-fade from the current signal into whatever comes next, used when a
    /// frame was skipped in the middle of sound (a forced drift correction).
    pub(crate) fn splice(&mut self) {
        self.start();
        self.run = 1;
        self.fade_left = CROSSFADE;
    }

    /// Whether concealment is producing silence (faded out, or nothing to repeat).
    pub(crate) fn is_silent(&self) -> bool {
        self.run >= SILENT_AFTER || (self.run > 0 && self.template_silent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(n: usize, period: f64, amp: f64) -> i16 {
        (amp * (2.0 * std::f64::consts::PI * n as f64 / period).sin()) as i16
    }

    #[test]
    fn a_tone_continues_in_phase_then_fades() {
        let mut c = Concealer::default();
        // 440 Hz: 18.18 samples per period, not an integer.
        let period = 8000.0 / 440.0;
        for n in 0..400 {
            c.sample(Some(sine(n, period, 10_000.0)));
        }
        // 10 ms of loss: close to the true continuation.
        let mut err = 0f64;
        let mut sig = 0f64;
        for n in 400..480 {
            let want = f64::from(sine(n, period, 10_000.0));
            let got = f64::from(c.sample(None));
            err += (want - got).powi(2);
            sig += want * want;
        }
        let snr = 10.0 * (sig / err).log10();
        assert!(snr > 12.0, "SNR of concealment {snr:.1} dB");
        for _ in 480..1000 {
            c.sample(None);
        }
        assert!(c.is_silent());
        assert_eq!(c.sample(None), 0);
    }

    #[test]
    fn silence_conceals_as_silence() {
        let mut c = Concealer::default();
        for _ in 0..400 {
            c.sample(Some(0));
        }
        for _ in 0..200 {
            assert_eq!(c.sample(None), 0);
        }
    }
}
