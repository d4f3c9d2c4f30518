//! Tone generation: SEMS's ringtone (`playRingtone`, `utils.playRingTone`), dial and ringback
//! tones, and in-band DTMF digits for a local analog leg.
//!
//! Oscillators are 32-bit phase accumulators reading a 1024-entry sine table built at compile
//! time, with linear interpolation between entries (error below 0.05 LSB of a full-scale
//! sine): no trigonometry on the 20 ms path, and the phase runs on across frames, so a tone is
//! continuous however the caller slices it. Each burst starts at phase 0 and is shaped by a
//! 1 ms linear ramp at both ends, so cadence edges do not click.
//!
//! Differences from SEMS's `AmRingTone`, on purpose:
//! * the cadence starts with the "on" period when the tone starts; SEMS takes the phase of the
//!   cadence from the session's media timestamp, so a ringtone can begin mid-pause;
//! * `length` ends the tone at that exact sample count; SEMS rounds up to whole 20 ms frames;
//! * bursts are ramped (1 ms) instead of switched.
//!
//! SEMS's levels are kept for the ringtone (peak 15000 per frequency), so a script sounds the
//! same; dial tone and DTMF use telephony levels in dBm0 instead (see [`dbm0_to_peak`]).

use crate::SAMPLE_RATE;

const TABLE_BITS: u32 = 10;
const TABLE_LEN: usize = 1 << TABLE_BITS;
/// Samples of the linear ramp at each end of a burst (1 ms).
const RAMP: u32 = SAMPLE_RATE / 1000;

/// `sin(x)` for |x| <= π by its Taylor series, usable in a `const` context.
const fn const_sin(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = x;
    let mut sum = x;
    let mut k = 1;
    while k < 30 {
        term = -term * x2 / (((2 * k) * (2 * k + 1)) as f64);
        sum += term;
        k += 1;
    }
    sum
}

/// One cycle of a sine, amplitude 32767, with one guard entry for interpolation.
const SINE: [i16; TABLE_LEN + 1] = {
    let mut t = [0i16; TABLE_LEN + 1];
    let mut i = 0;
    while i <= TABLE_LEN {
        // Reduce to [-π, π] so the series converges fast.
        let x = 2.0 * core::f64::consts::PI * (i as f64) / (TABLE_LEN as f64);
        let x = if x > core::f64::consts::PI {
            x - 2.0 * core::f64::consts::PI
        } else {
            x
        };
        let v = const_sin(x) * 32767.0;
        t[i] = if v >= 0.0 {
            (v + 0.5) as i16
        } else {
            (v - 0.5) as i16
        };
        i += 1;
    }
    t
};

/// Peak amplitude of a sine at `dbm0` dBm0 in 16-bit linear: 0 dBm0 is the G.711 digital
/// milliwatt, a sine of peak ≈ 22 627 (RMS 16 000), 3.17 dB below the µ-law clip level.
pub fn dbm0_to_peak(dbm0: f64) -> i16 {
    let peak = 16_000.0 * core::f64::consts::SQRT_2 * 10f64.powf(dbm0 / 20.0);
    peak.round().clamp(0.0, 32767.0) as i16
}

/// A phase-accumulator sine oscillator at 8 kHz.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Oscillator {
    phase: u32,
    step: u32,
    /// Peak amplitude (0..=32767).
    amplitude: i16,
}

impl Oscillator {
    /// A sine of `freq_hz` (0..4000) with peak `amplitude`, starting at phase 0.
    pub fn new(freq_hz: u32, amplitude: i16) -> Self {
        let step = ((u64::from(freq_hz.min(SAMPLE_RATE / 2)) << 32) + u64::from(SAMPLE_RATE) / 2)
            / u64::from(SAMPLE_RATE);
        Self {
            phase: 0,
            step: step as u32,
            amplitude: amplitude.max(0),
        }
    }

    /// Restart at phase 0.
    pub fn reset(&mut self) {
        self.phase = 0;
    }

    /// The next sample.
    #[inline]
    pub fn next_sample(&mut self) -> i32 {
        let idx = (self.phase >> (32 - TABLE_BITS)) as usize;
        let frac = ((self.phase >> (32 - TABLE_BITS - 16)) & 0xFFFF) as i32;
        let a = i32::from(SINE[idx]);
        let b = i32::from(SINE[idx + 1]);
        let s = a + (((b - a) * frac) >> 16);
        self.phase = self.phase.wrapping_add(self.step);
        (s * i32::from(self.amplitude)) >> 15
    }
}

/// SEMS's ringtone parameters (`playRingtone($r)` reads `$r.length .on .off .f .f2`;
/// `utils.playRingTone(length[, on, off, f, f2])`). The defaults are SEMS's code defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingtoneParams {
    /// Total length in ms; 0 plays until the item is flushed.
    pub length_ms: u32,
    /// Tone period in ms.
    pub on_ms: u32,
    /// Pause in ms.
    pub off_ms: u32,
    /// First frequency in Hz.
    pub f: u32,
    /// Second frequency in Hz; 0 for a single tone.
    pub f2: u32,
}

impl Default for RingtoneParams {
    fn default() -> Self {
        Self {
            length_ms: 0,
            on_ms: 2000,
            off_ms: 4000,
            f: 440,
            f2: 480,
        }
    }
}

/// In-band DTMF digit parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DtmfParams {
    /// Tone duration in ms (ITU-T Q.24: at least 40 ms).
    pub on_ms: u32,
    /// Silence after the tone in ms.
    pub off_ms: u32,
    /// Level of the low-group frequency in dBm0.
    pub low_dbm0: f64,
    /// Level of the high-group frequency in dBm0 (a couple of dB above the low group is the
    /// usual positive twist).
    pub high_dbm0: f64,
}

impl Default for DtmfParams {
    fn default() -> Self {
        Self {
            on_ms: 100,
            off_ms: 100,
            low_dbm0: -9.0,
            high_dbm0: -7.0,
        }
    }
}

/// The (low, high) frequency pair of a DTMF digit `0-9 * # A-D` (ITU-T Q.23), case-insensitive.
pub fn dtmf_frequencies(digit: char) -> Option<(u32, u32)> {
    const LOW: [u32; 4] = [697, 770, 852, 941];
    const HIGH: [u32; 4] = [1209, 1336, 1477, 1633];
    let (row, col) = match digit.to_ascii_uppercase() {
        '1' => (0, 0),
        '2' => (0, 1),
        '3' => (0, 2),
        'A' => (0, 3),
        '4' => (1, 0),
        '5' => (1, 1),
        '6' => (1, 2),
        'B' => (1, 3),
        '7' => (2, 0),
        '8' => (2, 1),
        '9' => (2, 2),
        'C' => (2, 3),
        '*' => (3, 0),
        '0' => (3, 1),
        '#' => (3, 2),
        'D' => (3, 3),
        _ => return None,
    };
    Some((LOW[row], HIGH[col]))
}

fn ms_to_samples(ms: u32) -> u64 {
    u64::from(ms) * u64::from(SAMPLE_RATE) / 1000
}

/// A cadenced one- or two-frequency tone: `on` samples of tone, `off` samples of silence,
/// repeated, for `length` samples or forever. A playlist item ([`crate::playlist::Item::tone`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToneGenerator {
    osc: [Oscillator; 2],
    /// Samples of tone per cycle; `u64::MAX` for a continuous tone.
    on: u64,
    /// Samples of silence per cycle.
    off: u64,
    /// Position in the current cycle.
    pos: u64,
    /// Samples left to play, or `None` for forever.
    remaining: Option<u64>,
}

impl ToneGenerator {
    /// A tone of `f1` (and `f2` if non-zero) with the given peak amplitudes, `on_ms` on and
    /// `off_ms` off (`off_ms == 0`: continuous), lasting `length_ms` (0: forever).
    pub fn new(
        (f1, amp1): (u32, i16),
        (f2, amp2): (u32, i16),
        on_ms: u32,
        off_ms: u32,
        length_ms: u32,
    ) -> Self {
        let (on, off) = if off_ms == 0 {
            (u64::MAX, 0)
        } else {
            (ms_to_samples(on_ms), ms_to_samples(off_ms))
        };
        Self {
            osc: [
                Oscillator::new(f1, amp1),
                Oscillator::new(f2, if f2 == 0 { 0 } else { amp2 }),
            ],
            on,
            off,
            pos: 0,
            remaining: (length_ms != 0).then(|| ms_to_samples(length_ms)),
        }
    }

    /// SEMS's ringtone (`AmRingTone`): peak 15000 per frequency, as SEMS.
    pub fn ringtone(p: &RingtoneParams) -> Self {
        const SEMS_PEAK: i16 = 15000;
        let on = if p.on_ms == 0 && p.off_ms == 0 {
            1 // SEMS's "sanity" rule: on=off=0 becomes on=1 ms
        } else {
            p.on_ms
        };
        Self::new(
            (p.f, SEMS_PEAK),
            (p.f2, SEMS_PEAK),
            on,
            p.off_ms,
            p.length_ms,
        )
    }

    /// North-American dial tone (350 + 440 Hz, continuous, -13 dBm0 per tone).
    pub fn dial_tone() -> Self {
        let a = dbm0_to_peak(-13.0);
        Self::new((350, a), (440, a), 1, 0, 0)
    }

    /// North-American ringback (440 + 480 Hz, 2 s on, 4 s off, -19 dBm0 per tone).
    pub fn ringback() -> Self {
        let a = dbm0_to_peak(-19.0);
        Self::new((440, a), (480, a), 2000, 4000, 0)
    }

    /// One in-band DTMF digit: the tone, then the pause; `None` for a character that is not a
    /// DTMF digit.
    pub fn dtmf(digit: char, p: &DtmfParams) -> Option<Self> {
        let (low, high) = dtmf_frequencies(digit)?;
        let mut g = Self::new(
            (low, dbm0_to_peak(p.low_dbm0)),
            (high, dbm0_to_peak(p.high_dbm0)),
            p.on_ms.max(1),
            p.off_ms.max(1),
            0,
        );
        g.remaining = Some(ms_to_samples(p.on_ms.max(1)) + ms_to_samples(p.off_ms.max(1)));
        Some(g)
    }

    /// A generator per DTMF digit of `digits`, skipping characters that are not digits.
    pub fn dtmf_sequence<'a>(
        digits: &'a str,
        p: &'a DtmfParams,
    ) -> impl Iterator<Item = ToneGenerator> + 'a {
        digits.chars().filter_map(move |d| Self::dtmf(d, p))
    }

    /// The tone has played its whole length.
    pub fn is_finished(&self) -> bool {
        self.remaining == Some(0)
    }

    /// Fill `out` from the start; returns the samples written, fewer than `out.len()` only
    /// when the tone ends. Never allocates.
    pub fn fill(&mut self, out: &mut [i16]) -> usize {
        let n = match self.remaining {
            Some(r) => out.len().min(r as usize),
            None => out.len(),
        };
        for o in &mut out[..n] {
            *o = self.next_sample();
        }
        if let Some(r) = &mut self.remaining {
            *r -= n as u64;
        }
        n
    }

    #[inline]
    fn next_sample(&mut self) -> i16 {
        let pos = self.pos;
        let v = if pos < self.on {
            if pos == 0 {
                self.osc[0].reset();
                self.osc[1].reset();
            }
            let s = self.osc[0].next_sample() + self.osc[1].next_sample();
            // 1 ms ramps at both ends of a burst.
            let ramp = u64::from(RAMP);
            let from_start = pos + 1;
            let to_end = self.on - pos;
            let g = from_start.min(to_end).min(ramp) as i32;
            (s * g / RAMP as i32).clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
        } else {
            0
        };
        self.pos = if self.on == u64::MAX {
            // Continuous: count up to the end of the ramp-in, then stay there.
            (pos + 1).min(u64::from(RAMP))
        } else if pos + 1 >= self.on + self.off {
            0
        } else {
            pos + 1
        };
        v
    }
}
