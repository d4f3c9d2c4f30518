//! The per-block decision: does this 12.75 ms block hold one DTMF key, and is a pair of
//! blocks a steady tone at the right frequencies? All tests compare powers with integer
//! multiplies; no float, no log, no division on the data.
//!
//! Per block (as spandsp and Asterisk, with wider limits: these only make a block a candidate
//! that keeps a key going or may start one):
//! 1. level: the best row and the best column each at least -42 dBm0;
//! 2. twist: row at most 10.5 dB above the column (normal), column at most 6.5 dB above the
//!    row (reverse);
//! 3. relative peak: every other row, and every other column, 6 dB below its group's best;
//! 4. purity: row + column hold at least 65 % of the block's AC energy (Parseval).
//!
//! Per pair of successive candidate blocks with the same key (the onset):
//! 5. frequency: the phase advance of each tone from one block to the next, less the filter's
//!    own, is its frequency error times 2πN/8000. The errors of the two tones, in percent,
//!    must lie within a circle of radius 2.2: that holds ±1.5 % on both tones at once (radius
//!    2.12) and rejects 2.2 % on one tone, well short of the 3.5 % that must be rejected.
//! 6. twist on the two blocks' summed powers, corrected for the measured frequency error:
//!    normal ≤ 9.5 dB, reverse ≤ 5.5 dB (the spec's 8 and 4 dB with 1.5 dB of margin);
//! 7. relative peak on the summed powers: the runner-up of each group 6 dB below its best;
//! 8. purity, corrected the same way, averaged over the two blocks: ≥ 85 %. A 20 ms tone
//!    fills at most 160 of the 204 samples, 78 %, so it cannot start a key;
//! 9. the weaker tone at least 3 dB above the residual (energy that is neither tone), over
//!    both blocks. Purity alone lets a weak tone drown: at 8 dB twist, 85 % purity leaves the
//!    weak tone 4 dB *below* the residual. The MT8870 must work with noise 12 dB below the
//!    weaker tone; 3 dB keeps 9 dB of margin to that and stops most voiced-speech pairs.
//!
//! Why the pair tests use two blocks: a rectangular 102-sample block lets each tone leak into
//! the other's filter through the sidelobes (up to -21 dB for 941/1209 Hz), so a single
//! block's twist wobbles by ±1.5 dB and its purity by ±20 %. The leak's phase turns by
//! 2π·(f_c - f_r)·N/8000 from one block to the next, nearly half a turn where the leak is
//! largest, so the sum (or mean) of two blocks cancels most of it. Not all of it: for the key
//! 0 (941/1336 Hz, 5.04 bins apart) the leaks into the 1209 Hz filter keep their phase from
//! block to block, and at 8 dB normal twist that filter sits only 7.2 dB below the weak
//! 1336 Hz tone; hence 6 dB, not spandsp's 8 dB, for the relative peak.

use super::goertzel::{BLOCK_LEN, BlockSpectrum, TONE_HZ};

/// Per-tone power of a sine at -42 dBm0 (amplitude 22827·10^(-42/20) ≈ 181.7): `A²N²/4`.
/// spandsp's convention: a sine of peak 32768 is +3.14 dBm0.
pub(crate) const MIN_TONE_POWER: i64 = 85_514_159;

/// Per-block normal twist limit, row/column power ≤ 1122/100 (10.5 dB).
const BLOCK_NORMAL_TWIST: (i64, i64) = (1122, 100);
/// Per-block reverse twist limit, column/row power ≤ 447/100 (6.5 dB).
const BLOCK_REVERSE_TWIST: (i64, i64) = (447, 100);
/// Per-block relative peak: the runner-up in a group is at most 100/398 of the best (6 dB).
const BLOCK_RELATIVE_PEAK: (i64, i64) = (398, 100);
/// Onset relative peak on two blocks: runner-up at most 100/398 of the best (6 dB). Not
/// 8 dB: for the key 0 at 8 dB normal twist the 1209 Hz filter sits only 7.2 dB below the
/// weak 1336 Hz tone (leaks of 941 and 1336 Hz that add up the same way in every block).
const RELATIVE_PEAK: (i64, i64) = (398, 100);
/// The weaker tone over the residual: ≥ 200/100 (3 dB).
const WEAK_TONE_OVER_RESIDUAL: (i128, i128) = (200, 100);
/// Per-block purity: (row + column) / (energy · N/2) ≥ 65/100.
const BLOCK_PURITY: (i64, i64) = (65, 100);

/// Onset normal twist limit on two blocks, row/column ≤ 891/100 (9.5 dB).
const NORMAL_TWIST: (i128, i128) = (891, 100);
/// Onset reverse twist limit on two blocks, column/row ≤ 355/100 (5.5 dB).
const REVERSE_TWIST: (i128, i128) = (355, 100);
/// Onset purity, the mean over the two blocks: ≥ 85/100.
const ONSET_PURITY: (i128, i128) = (85, 100);
/// Radius of the accepted frequency errors (row², column²) in percent: 2.2 %, squared, Q8.
const FREQ_RADIUS_SQ_Q8: i64 = 1239;

/// `e^{-j2πf_k N/8000}` in Q14 (cos, sin): the advance of an exact tone over one block.
const ADVANCE_Q14: [(i64, i64); 8] = [
    (12408, 10699),
    (6742, 14932),
    (10680, 12425),
    (16382, 232),
    (-14089, -8362),
    (16012, -3474),
    (8050, 14270),
    (7046, 14792),
];

/// `(8000·100 / (πN f_k))²` in Q8: turns the squared half phase error `x²` (rad²) into the
/// squared frequency error in percent, since `Δf/f = 2x · 8000 / (2πN f)`.
const PERCENT_SQ_PER_RAD_SQ_Q8: [i64; 8] = [3284, 2691, 2198, 1802, 1092, 894, 731, 598];

/// `x²/sin²x` for `sin²x = u = i/16`, Q14: a block loses `sinc²(δ) = sin²x/x²` of a tone's
/// power to a frequency error of δ bins, `x = πδ`, half the phase error between two blocks.
/// Linear interpolation in between.
const LOSS_Q14: [i64; 17] = [
    16384, 16737, 17116, 17525, 17967, 18449, 18977, 19561, 20213, 20948, 21791, 22775, 23956,
    25429, 27389, 30364, 40426,
];

/// A block that passed the per-block tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// Row 0..4 (697..941 Hz).
    pub row: u8,
    /// Column 0..4 (1209..1633 Hz).
    pub col: u8,
    /// The block's phasor at the row tone and at the column tone.
    row_phasor: (i32, i32),
    col_phasor: (i32, i32),
    /// Powers of the row and column tone, and the block's AC energy.
    row_power: i64,
    col_power: i64,
    /// The strongest other row and other column.
    row_rival: i64,
    col_rival: i64,
    energy: i64,
}

impl Candidate {
    /// The key index on the keypad, `4·row + col`: 0..16 for "123A456B789C*0#D".
    pub(crate) fn keypad_index(&self) -> u8 {
        4 * self.row + self.col
    }
}

fn best_of(p: &[i64]) -> usize {
    let mut best = 0;
    for i in 1..p.len() {
        if p[i] > p[best] {
            best = i;
        }
    }
    best
}

/// Applies the per-block tests 1-4.
pub(crate) fn classify(s: &BlockSpectrum) -> Option<Candidate> {
    let (rows, cols) = s.power.split_at(4);
    let (r, c) = (best_of(rows), best_of(cols));
    let (pr, pc) = (rows[r], cols[c]);
    if pr < MIN_TONE_POWER || pc < MIN_TONE_POWER {
        return None;
    }
    if pr * BLOCK_NORMAL_TWIST.1 > pc * BLOCK_NORMAL_TWIST.0
        || pc * BLOCK_REVERSE_TWIST.1 > pr * BLOCK_REVERSE_TWIST.0
    {
        return None;
    }
    let rival = |group: &[i64], best: usize| {
        group
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != best)
            .map(|(_, &p)| p)
            .max()
            .unwrap_or(0)
    };
    let (row_rival, col_rival) = (rival(rows, r), rival(cols, c));
    if row_rival * BLOCK_RELATIVE_PEAK.0 > pr * BLOCK_RELATIVE_PEAK.1
        || col_rival * BLOCK_RELATIVE_PEAK.0 > pc * BLOCK_RELATIVE_PEAK.1
    {
        return None;
    }
    // A pure pair gives (pr + pc) = energy · N/2.
    if 2 * (pr + pc) * BLOCK_PURITY.1 < BLOCK_PURITY.0 * BLOCK_LEN as i64 * s.energy {
        return None;
    }
    Some(Candidate {
        row: r as u8,
        col: c as u8,
        row_phasor: s.phasor(r),
        col_phasor: s.phasor(4 + c),
        row_power: pr,
        col_power: pc,
        row_rival,
        col_rival,
        energy: s.energy,
    })
}

/// `8000/(πN)` in Hz per radian, Q8: a half phase error of `x` rad between two blocks is a
/// frequency error of `x·8000/(πN)` Hz.
const HZ_PER_RAD_Q8: i64 = 6391;

/// A tone's frequency error between two blocks, from the phase advance.
#[derive(Debug, Clone, Copy)]
struct ToneError {
    /// `x²` in Q14, `x` half the phase error (`x = πδ` for an error of δ filter bins).
    x_sq: i64,
    /// `1/sinc²(δ) = x²/sin²x` in Q14: undoes the power the error cost each block.
    loss: i64,
    /// The error in Hz, Q8, signed (positive: the tone is above the filter).
    hz_q8: i32,
}

/// The frequency error of tone `tone` between block `prev` and block `cur`.
fn frequency_error(tone: usize, prev: (i32, i32), cur: (i32, i32)) -> Option<ToneError> {
    let (pr, pi) = (i64::from(prev.0), i64::from(prev.1));
    let (cr, ci) = (i64::from(cur.0), i64::from(cur.1));
    // z = cur · conj(prev): |components| ≤ 2·(1.3·10⁷)² < 2⁴⁹; scaled to < 2³⁵.
    let zr = (cr * pr + ci * pi) >> 14;
    let zi = (ci * pr - cr * pi) >> 14;
    // Take off the exact tone's advance: a + jb = z · e^{-jωN}, |a|, |b| < 2³⁶.
    let (c, s) = ADVANCE_Q14[tone];
    let a = (zr * c - zi * s) >> 14;
    let b = (zr * s + zi * c) >> 14;
    let norm_sq =
        u128::try_from(i128::from(a) * i128::from(a) + i128::from(b) * i128::from(b)).ok()?;
    let norm = i64::try_from(norm_sq.isqrt()).ok()?;
    if norm == 0 {
        return None;
    }
    // u = sin²x = (1 - cos 2x)/2 in Q14, with cos 2x = a/|z|.
    let cos = (a << 14) / norm;
    let u = (((1 << 14) - cos) / 2).clamp(0, 1 << 14);
    let i = ((u >> 10) as usize).min(15);
    let frac = u - ((i as i64) << 10);
    let loss = LOSS_Q14[i] + (((LOSS_Q14[i + 1] - LOSS_Q14[i]) * frac) >> 10);
    // x² = u · x²/sin²x; x (Q14) = √(x²·2¹⁴), with the sign of the phase error, sin 2x ~ b.
    let x_sq = (u * loss) >> 14;
    let x = i64::try_from((x_sq as u64 * (1 << 14)).isqrt()).unwrap_or(0);
    let hz = (x * HZ_PER_RAD_Q8) >> 14;
    Some(ToneError {
        x_sq,
        loss,
        hz_q8: if b < 0 { -hz } else { hz } as i32,
    })
}

/// Two blocks that passed the onset tests: the tones' measured frequencies, for the
/// voicing test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Onset {
    /// Row and column tone frequency in Hz, Q8, from the phase advance.
    pub row_hz_q8: u32,
    pub col_hz_q8: u32,
}

/// The onset tests 5-9 on two successive candidate blocks: may they start their key?
pub(crate) fn onset(prev: &Candidate, cur: &Candidate) -> Option<Onset> {
    if prev.row != cur.row || prev.col != cur.col {
        return None;
    }
    let (r, c) = (usize::from(cur.row), 4 + usize::from(cur.col));
    let er = frequency_error(r, prev.row_phasor, cur.row_phasor)?;
    let ec = frequency_error(c, prev.col_phasor, cur.col_phasor)?;
    let (xr, kr, xc, kc) = (er.x_sq, er.loss, ec.x_sq, ec.loss);
    // 5. (row error % )² + (column error %)² ≤ radius².
    let pct_sq =
        ((xr * PERCENT_SQ_PER_RAD_SQ_Q8[r]) >> 14) + ((xc * PERCENT_SQ_PER_RAD_SQ_Q8[c]) >> 14);
    if pct_sq > FREQ_RADIUS_SQ_Q8 {
        return None;
    }
    // 6. Twist on the corrected sums (each product < 2⁴⁷·2¹⁵).
    let row = i128::from(prev.row_power + cur.row_power) * i128::from(kr);
    let col = i128::from(prev.col_power + cur.col_power) * i128::from(kc);
    if row * NORMAL_TWIST.1 > col * NORMAL_TWIST.0 || col * REVERSE_TWIST.1 > row * REVERSE_TWIST.0
    {
        return None;
    }
    // 7. Relative peak on the sums (the sum of each block's runner-up: at least the
    // runner-up of the sums).
    let peaked = |best: i64, rival: i64| rival * RELATIVE_PEAK.0 <= best * RELATIVE_PEAK.1;
    if !peaked(
        prev.row_power + cur.row_power,
        prev.row_rival + cur.row_rival,
    ) || !peaked(
        prev.col_power + cur.col_power,
        prev.col_rival + cur.col_rival,
    ) {
        return None;
    }
    // 9. (before 8, it reuses the sums) The weaker tone over the residual, both scaled 2^14.
    let n = BLOCK_LEN as i128;
    let energy = i128::from(prev.energy + cur.energy) * n / 2 * (1 << 14);
    let residual = (energy - row - col).max(0);
    if row.min(col) * WEAK_TONE_OVER_RESIDUAL.1 < residual * WEAK_TONE_OVER_RESIDUAL.0 {
        return None;
    }
    // 8. Mean corrected purity: t1/e1 + t2/e2 ≥ 2·purity, with t = 2(row·kr + col·kc)/N.
    let tones = |b: &Candidate| {
        2 * (i128::from(b.row_power) * i128::from(kr) + i128::from(b.col_power) * i128::from(kc))
    };
    let (t1, t2) = (tones(prev), tones(cur));
    let (e1, e2) = (i128::from(prev.energy), i128::from(cur.energy));
    // Both sides scaled by N·2^14·e1·e2: < 2⁴⁷·2¹⁵·2³⁷·2⁷ - fits i128.
    if (t1 * e2 + t2 * e1) * ONSET_PURITY.1 < 2 * ONSET_PURITY.0 * n * (1 << 14) * e1 * e2 {
        return None;
    }
    let hz = |tone: usize, err: ToneError| {
        (i64::from(TONE_HZ[tone]) * 256 + i64::from(err.hz_q8)).max(0) as u32
    };
    Some(Onset {
        row_hz_q8: hz(r, er),
        col_hz_q8: hz(c, ec),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn tables_follow_from_the_constants() {
        let n = BLOCK_LEN as f64;
        for k in 0..8 {
            let f = f64::from(TONE_HZ[k]);
            let w = 2.0 * PI * f / 8000.0;
            let adv = (
                (16384.0 * (w * n).cos()).round() as i64,
                (-16384.0 * (w * n).sin()).round() as i64,
            );
            assert_eq!(ADVANCE_Q14[k], adv, "advance {k}");
            let pct = (8000.0 * 100.0 / (PI * n * f)).powi(2);
            assert_eq!(
                PERCENT_SQ_PER_RAD_SQ_Q8[k],
                (256.0 * pct).round() as i64,
                "pct {k}"
            );
        }
        for (i, &k) in LOSS_Q14.iter().enumerate() {
            let u = i as f64 / 16.0;
            let x = u.sqrt().asin();
            let want = if i == 0 { 1.0 } else { x * x / u };
            assert_eq!(k, (16384.0 * want).round() as i64, "loss {i}");
        }
        assert_eq!(FREQ_RADIUS_SQ_Q8, (2.2f64 * 2.2 * 256.0).round() as i64);
        assert_eq!(HZ_PER_RAD_Q8, (256.0 * 8000.0 / (PI * n)).round() as i64);
        let a = 22827.0 * 10f64.powf(-42.0 / 20.0);
        assert_eq!(MIN_TONE_POWER, (a * a * n * n / 4.0).round() as i64);
    }

    fn phasor(deg: f64) -> (i32, i32) {
        let r = 1.0e6;
        (
            (r * deg.to_radians().cos()) as i32,
            (r * deg.to_radians().sin()) as i32,
        )
    }

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn frequency_error_measures_the_phase_advance() {
        let n = BLOCK_LEN as f64;
        for k in 0..8 {
            let f = f64::from(TONE_HZ[k]);
            for pct in [-2.0, -1.0, 0.0, 0.5, 1.5] {
                let err = 2.0 * PI * f * pct / 100.0 * n / 8000.0;
                let wrapped = (err + PI).rem_euclid(2.0 * PI) - PI;
                let adv = (2.0 * PI * f * n / 8000.0 + err).to_degrees();
                let e = frequency_error(k, phasor(10.0), phasor(10.0 + adv)).unwrap();
                let (x2, loss) = (e.x_sq, e.loss);
                // The signed error in Hz, while the phase does not wrap.
                if wrapped == err {
                    let want_hz = f * pct / 100.0;
                    let got_hz = f64::from(e.hz_q8) / 256.0;
                    assert!(
                        (got_hz - want_hz).abs() < 0.3,
                        "tone {k} {pct}%: {got_hz} Hz"
                    );
                }
                let x = wrapped / 2.0;
                let want_x2 = x * x;
                assert!(
                    (x2 as f64 / 16384.0 - want_x2).abs() < 0.01,
                    "tone {k} {pct}%: {x2}"
                );
                let want_loss = if x == 0.0 { 1.0 } else { (x / x.sin()).powi(2) };
                assert!(
                    (loss as f64 / 16384.0 - want_loss).abs() < 0.02,
                    "tone {k} {pct}%: {loss}"
                );
            }
        }
    }
}
