//! The filter bank: eight Goertzel filters (the Q.23 row and column tones) and the block's
//! energy, run over one block of [`BLOCK_LEN`] samples in fixed point.
//!
//! Numbers (Q14 coefficients, i32 state, i64 products):
//! - The Goertzel state of tone `k` obeys `s[n] = x[n] + 2cos(ω_k)·s[n-1] - s[n-2]`. Its impulse
//!   response is `sin((n+1)ω)/sin ω`, so over 102 samples of full-scale input `|s| ≤
//!   32768·102/sin(ω_697) ≈ 6.4·10⁶` (23 bits): i32 with 8 bits of headroom.
//! - `2cos(ω)·s` needs 38 bits: the product is taken in i64 and shifted back by 14. The Q14
//!   rounding of the coefficient moves a filter by less than 0.03 Hz.
//! - Powers reach about 4·10¹³ and the energy 1.1·10¹¹: both i64.

/// Samples per analysis block (12.75 ms). Any length from 81 to 107 lets two whole blocks fit
/// in every 40 ms tone (3N-1 ≤ 320) and never in a 20 ms one (2N > 160); 102 is spandsp's and
/// Asterisk's choice and leaves a 5-sample margin on the 40 ms side.
pub(crate) const BLOCK_LEN: usize = 102;

/// The eight DTMF frequencies (ITU-T Q.23): rows 0..4, columns 4..8.
pub(crate) const TONE_HZ: [u32; 8] = [697, 770, 852, 941, 1209, 1336, 1477, 1633];

/// `round(2^14 · 2cos(2π f / 8000))` for each tone.
pub(crate) const COEF_Q14: [i32; 8] = [27980, 26956, 25701, 24219, 19073, 16325, 13085, 9315];

/// `round(2^14 · cos(2π f / 8000))` and `round(2^14 · sin(2π f / 8000))`: turn the last two
/// states into the block's complex DFT value (see [`FilterBank::phasor`]).
const COS_Q14: [i32; 8] = [13990, 13478, 12851, 12109, 9536, 8162, 6542, 4657];
const SIN_Q14: [i32; 8] = [8528, 9315, 10163, 11036, 13323, 14206, 15021, 15708];

/// Running state of the eight filters over the current block: 8·(4+4) + 8 + 4 + 1 bytes.
#[derive(Debug, Clone)]
pub(crate) struct FilterBank {
    /// `s[n-1]` per tone.
    s1: [i32; 8],
    /// `s[n-2]` per tone.
    s2: [i32; 8],
    /// Σx² over the block.
    energy: i64,
    /// Σx over the block (for the DC correction of the energy).
    sum: i32,
    /// Samples in the block so far, `0..=BLOCK_LEN`.
    len: u8,
}

/// The result of one finished block.
#[derive(Debug, Clone)]
pub(crate) struct BlockSpectrum {
    /// `|X_k|²` per tone, where a sine of amplitude A at the filter frequency gives `A²N²/4`.
    pub power: [i64; 8],
    /// Σx² - (Σx)²/N: the block's AC energy; a sine of amplitude A gives `A²N/2`.
    pub energy: i64,
    /// The final states, kept for [`FilterBank::phasor`].
    s1: [i32; 8],
    s2: [i32; 8],
}

impl FilterBank {
    /// An empty bank at the start of a block.
    pub(crate) const fn new() -> FilterBank {
        FilterBank {
            s1: [0; 8],
            s2: [0; 8],
            energy: 0,
            sum: 0,
            len: 0,
        }
    }

    /// Samples still missing before the block is complete.
    #[inline]
    pub(crate) fn room(&self) -> usize {
        BLOCK_LEN - usize::from(self.len)
    }

    /// Runs the filters over `xs`, which must fit in the block (`xs.len() <= self.room()`).
    ///
    /// This is the only per-sample code of the detector: per sample and tone one i64 multiply,
    /// one shift and two adds; the eight recurrences are independent, so the CPU overlaps them.
    #[inline]
    pub(crate) fn feed(&mut self, xs: &[i16]) {
        debug_assert!(xs.len() <= self.room());
        let mut a = self.s1;
        let mut b = self.s2;
        let mut energy = self.energy;
        let mut sum = self.sum;
        for &x in xs {
            let x = i32::from(x);
            sum += x;
            energy += i64::from(x * x);
            for k in 0..8 {
                // x - s[n-2] does not depend on the multiply, so it is off the critical path.
                let t = x - b[k];
                b[k] = a[k];
                a[k] = ((i64::from(COEF_Q14[k]) * i64::from(a[k])) >> 14) as i32 + t;
            }
        }
        self.s1 = a;
        self.s2 = b;
        self.energy = energy;
        self.sum = sum;
        // At most BLOCK_LEN (102) by the precondition.
        self.len += xs.len() as u8;
    }

    /// Ends the block: returns its spectrum and clears the bank for the next one.
    pub(crate) fn finish(&mut self) -> BlockSpectrum {
        let mut power = [0i64; 8];
        for (k, p) in power.iter_mut().enumerate() {
            let (s1, s2) = (i64::from(self.s1[k]), i64::from(self.s2[k]));
            // |y|² = s1² + s2² - 2cos(ω)·s1·s2, y = s1 - e^{-jω}·s2 (see `phasor`).
            *p = s1 * s1 + s2 * s2 - ((i64::from(COEF_Q14[k]) * s1) >> 14) * s2;
        }
        let n = i64::from(self.len.max(1));
        let sum = i64::from(self.sum);
        let spectrum = BlockSpectrum {
            power,
            energy: self.energy - sum * sum / n,
            s1: self.s1,
            s2: self.s2,
        };
        *self = FilterBank::new();
        spectrum
    }
}

impl BlockSpectrum {
    /// The block's complex DFT value at tone `k`, up to a phase factor that is the same for
    /// every block: `y = s[N-1] - e^{-jω}·s[N-2] = e^{jω(N-1)} · Σ x[n] e^{-jωn}`.
    ///
    /// Two successive blocks of a steady tone at frequency `f` have `y₂/y₁ = e^{j2πfN/8000}`;
    /// the detector compares that advance with the filter's own (see `frequency`).
    /// Components stay below 2·6.4·10⁶, so i32 holds them.
    pub(crate) fn phasor(&self, k: usize) -> (i32, i32) {
        let (s1, s2) = (i64::from(self.s1[k]), i64::from(self.s2[k]));
        let re = s1 - ((i64::from(COS_Q14[k]) * s2) >> 14);
        let im = (i64::from(SIN_Q14[k]) * s2) >> 14;
        (re as i32, im as i32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn tables_match_the_tone_frequencies() {
        for k in 0..8 {
            let w = 2.0 * PI * f64::from(TONE_HZ[k]) / 8000.0;
            assert_eq!(
                COEF_Q14[k],
                (16384.0 * 2.0 * w.cos()).round() as i32,
                "coef {k}"
            );
            assert_eq!(COS_Q14[k], (16384.0 * w.cos()).round() as i32, "cos {k}");
            assert_eq!(SIN_Q14[k], (16384.0 * w.sin()).round() as i32, "sin {k}");
        }
    }

    fn block_of(f: f64, amp: f64, phase: f64) -> BlockSpectrum {
        let xs: Vec<i16> = (0..BLOCK_LEN)
            .map(|n| (amp * (2.0 * PI * f * n as f64 / 8000.0 + phase).sin()).round() as i16)
            .collect();
        let mut bank = FilterBank::new();
        bank.feed(&xs[..40]);
        bank.feed(&xs[40..]);
        assert_eq!(bank.room(), 0);
        bank.finish()
    }

    #[test]
    fn a_tone_on_a_filter_gives_a2n2_over_4_and_energy_a2n_over_2() {
        for (k, &f) in TONE_HZ.iter().enumerate() {
            let s = block_of(f64::from(f), 10000.0, 0.3);
            let n = BLOCK_LEN as f64;
            let want = 1e8 * n * n / 4.0;
            let got = s.power[k] as f64;
            assert!((got / want - 1.0).abs() < 0.03, "tone {f}: {got} vs {want}");
            let e = s.energy as f64 / (1e8 * n / 2.0);
            assert!((e - 1.0).abs() < 0.03, "energy {e}");
        }
    }

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn full_scale_input_does_not_overflow() {
        // The worst case for |s|: the input follows the sign of the impulse response.
        for k in 0..8 {
            let w = 2.0 * PI * f64::from(TONE_HZ[k]) / 8000.0;
            let xs: Vec<i16> = (0..BLOCK_LEN)
                .map(|n| {
                    let h = ((BLOCK_LEN - n) as f64 * w).sin();
                    if h >= 0.0 { i16::MAX } else { i16::MIN }
                })
                .collect();
            let mut bank = FilterBank::new();
            bank.feed(&xs);
            let s = bank.finish();
            assert!(s.power.iter().all(|&p| p >= 0));
            assert!(s.energy > 0);
        }
    }

    #[test]
    fn dc_does_not_count_as_energy() {
        let mut bank = FilterBank::new();
        bank.feed(&[1000i16; BLOCK_LEN]);
        let s = bank.finish();
        assert_eq!(s.energy, 0);
    }

    #[test]
    fn successive_blocks_advance_the_phase_by_the_tone_frequency() {
        // A tone 10 Hz above 697 Hz: the phasor advance, less the filter's own, is 2π·10·N/8000.
        let f = 707.0;
        let phase0 = 0.4;
        let a = block_of(f, 8000.0, phase0).phasor(0);
        let b = block_of(f, 8000.0, phase0 + 2.0 * PI * f * BLOCK_LEN as f64 / 8000.0).phasor(0);
        let pa = f64::from(a.1).atan2(f64::from(a.0));
        let pb = f64::from(b.1).atan2(f64::from(b.0));
        let advance = (pb - pa - 2.0 * PI * 697.0 * BLOCK_LEN as f64 / 8000.0).rem_euclid(2.0 * PI);
        let want = 2.0 * PI * 10.0 * BLOCK_LEN as f64 / 8000.0;
        assert!((advance - want).abs() < 0.03, "{advance} vs {want}");
    }
}
