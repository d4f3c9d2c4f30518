//! The jitter buffer: G.711 packets in, exactly one decoded 20 ms frame out per tick.
//!
//! # Shape
//! Samples are stored by RTP timestamp in a fixed ring of [`RING`] samples (512 ms), with one
//! validity bit each. That makes reordering, duplicates (samples already present), late
//! packets (behind the playout point) and re-framing of 10/30/40 ms packets into 20 ms frames
//! the same operation: write samples where their timestamp says. `pop` reads the 160 samples
//! at the playout point, conceals what is missing (`conceal.rs`) and advances by 160.
//! Nothing allocates; the whole buffer is about 9 KiB inline.
//!
//! # Delay: adaptive, driven by measured lateness
//! Every packet's *lead* is measured on arrival: how many samples ahead of the playout point
//! its first sample is. A lead below zero is a late packet.
//! - Grow: when the second-smallest lead of the last 64 packets falls below 10 ms (two
//!   packets arrived with less than 10 ms to spare), one frame is inserted (concealment
//!   without advancing), at a quiet frame if one comes within 100 ms.
//! - Shrink: when even the smallest lead of the last 8 seconds stayed above 40 ms, one frame
//!   is dropped, at a quiet (or missing) frame if one comes within 2 s.
//!
//! The same mechanism absorbs clock drift: a sender 0.1 % fast raises every lead by 8 samples
//! a second, so about every 30 s a quiet frame is dropped; a slow one gets a frame inserted.
//!
//! Why adaptive rather than fixed: a fixed delay has to be chosen for the worst trunk, and
//! then every LAN call pays it. Here a LAN call settles at 20-40 ms of buffering, an Internet
//! trunk with 50 ms of jitter at about 60-80 ms, bounded by [`JitterConfig::max_delay_ms`].
//! Why this simple rule rather than NetEQ-style statistics: it costs a few comparisons per
//! packet and a 64-entry scan per tick on the Pi's single core; growth reacts within a few
//! packets; shrinking needs 8 s of evidence, so the delay does not oscillate on bursty
//! links; and every adjustment is one whole frame at a frame boundary, preferably in
//! silence, so it is inaudible in normal speech.
//!
//! Timestamps wrap; all comparisons are wrapping differences. A timestamp far outside the
//! window (sender restart, long silence-suppression gap) re-anchors the buffer.

mod conceal;

use conceal::Concealer;

use crate::g711::Law;
use crate::{FRAME_SAMPLES, Frame};

/// Ring capacity in samples (512 ms at 8 kHz); a power of two so timestamp wrap is seamless.
pub const RING: usize = 4096;
const MASK: u32 = RING as u32 - 1;
const FRAME: i32 = FRAME_SAMPLES as i32;
/// Packets longer than this many samples (120 ms) are refused.
pub const MAX_PACKET_SAMPLES: usize = 960;
/// Leads remembered for the grow decision.
const LEAD_WINDOW: usize = 64;
/// Ticks per window of the shrink decision (1 s).
const SLOW_WINDOW_TICKS: u32 = 50;
/// Windows the shrink decision looks back over (8 s).
const SLOW_WINDOWS: usize = 8;
/// Grow when the 2nd-smallest recent lead is below this (10 ms).
const GROW_BELOW: i32 = 80;
/// Shrink when the smallest lead of 8 s is above this (40 ms).
const SHRINK_ABOVE: i32 = 320;
/// Wait this many ticks for a quiet frame before inserting anyway.
const INSERT_PATIENCE: u32 = 5;
/// Wait this many ticks for a quiet frame before dropping anyway.
const DROP_PATIENCE: u32 = 100;
/// A frame whose mean absolute sample is below this counts as quiet (about -45 dBFS).
const QUIET_MEAN_ABS: u32 = 180;
/// Packets this far behind the playout point (1 s) are not late but a restarted stream:
/// three in a row re-anchor the buffer.
const RESTART_BEHIND: i32 = 8000;

/// Tuning of the [`JitterBuffer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterConfig {
    /// Buffering before the first frame of a stream plays (ms).
    pub initial_delay_ms: u32,
    /// The delay is never grown beyond this (ms); at most `RING` (512 ms) minus a packet.
    pub max_delay_ms: u32,
}

impl Default for JitterConfig {
    fn default() -> Self {
        Self {
            initial_delay_ms: 40,
            max_delay_ms: 300,
        }
    }
}

/// What happened to a pushed packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Stored (wholly or partly).
    Stored,
    /// Every sample was already present.
    Duplicate,
    /// Entirely behind the playout point: too late to play.
    Late,
    /// The stream jumped; the buffer was re-anchored on this packet.
    Resynchronised,
    /// Empty or longer than [`MAX_PACKET_SAMPLES`].
    Refused,
}

/// Counters of the jitter buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JitterStats {
    /// Frames returned by `pop`.
    pub frames_out: u64,
    /// Frames with at least one concealed sample (lost or late audio, or a drift insert).
    pub frames_concealed: u64,
    /// Packets stored.
    pub packets_stored: u64,
    /// Packets entirely behind the playout point.
    pub packets_late: u64,
    /// Packets whose samples were all present already.
    pub packets_duplicate: u64,
    /// Packets refused (empty or too long).
    pub packets_refused: u64,
    /// Re-anchorings on a jumped stream.
    pub resyncs: u64,
    /// Frames dropped to shrink the delay or follow a fast sender clock.
    pub frames_dropped: u64,
    /// Frames inserted to grow the delay or follow a slow sender clock.
    pub frames_inserted: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Adjust {
    None,
    Insert { waited: u32 },
    Drop { waited: u32 },
}

/// The jitter buffer; see the module docs.
#[derive(Debug, Clone)]
pub struct JitterBuffer {
    config: JitterConfig,
    samples: [i16; RING],
    valid: [u64; RING / 64],
    started: bool,
    /// Timestamp of the next sample to play.
    play_ts: u32,
    /// One past the newest sample stored.
    newest_end: u32,
    /// Subtracted from incoming timestamps since a marker-bit rebase.
    ts_offset: u32,
    /// Timestamp of the first sample of the stream (or since the last re-anchoring): silence
    /// before it is pre-roll, not loss.
    audio_start: u32,
    leads: [i32; LEAD_WINDOW],
    leads_len: usize,
    leads_next: usize,
    window_mins: [Option<i32>; SLOW_WINDOWS],
    window_next: usize,
    current_min: Option<i32>,
    window_ticks: u32,
    adjust: Adjust,
    restart_votes: u8,
    last_frame_quiet: bool,
    concealer: Concealer,
    stats: JitterStats,
    /// Tests only: take the per-sample paths even where a fast path applies.
    #[cfg(test)]
    per_sample_only: bool,
}

impl Default for JitterBuffer {
    fn default() -> Self {
        Self::new(JitterConfig::default())
    }
}

impl JitterBuffer {
    /// An empty buffer: `pop` returns silence until the first packet.
    pub fn new(config: JitterConfig) -> Self {
        Self {
            config,
            samples: [0; RING],
            valid: [0; RING / 64],
            started: false,
            play_ts: 0,
            newest_end: 0,
            ts_offset: 0,
            audio_start: 0,
            leads: [0; LEAD_WINDOW],
            leads_len: 0,
            leads_next: 0,
            window_mins: [None; SLOW_WINDOWS],
            window_next: 0,
            current_min: None,
            window_ticks: 0,
            adjust: Adjust::None,
            restart_votes: 0,
            last_frame_quiet: true,
            concealer: Concealer::default(),
            stats: JitterStats::default(),
            #[cfg(test)]
            per_sample_only: false,
        }
    }

    /// Forgets the stream (new SSRC, new call), keeping the counters.
    pub fn reset(&mut self) {
        let stats = self.stats;
        #[cfg(test)]
        let per_sample_only = self.per_sample_only;
        *self = Self::new(self.config);
        self.stats = stats;
        #[cfg(test)]
        {
            self.per_sample_only = per_sample_only;
        }
    }

    /// The counters.
    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    /// Samples between the playout point and the newest sample stored (0 if none).
    pub fn buffered_samples(&self) -> u32 {
        let d = self.newest_end.wrapping_sub(self.play_ts) as i32;
        if self.started { d.max(0) as u32 } else { 0 }
    }

    fn samples_of_ms(ms: u32) -> i32 {
        ms.saturating_mul(crate::SAMPLE_RATE / 1000)
            .min(i32::MAX as u32) as i32
    }

    fn is_valid(&self, ts: u32) -> bool {
        let i = (ts & MASK) as usize;
        self.valid[i / 64] & (1 << (i % 64)) != 0
    }

    fn set_valid(&mut self, ts: u32, v: bool) {
        let i = (ts & MASK) as usize;
        if v {
            self.valid[i / 64] |= 1 << (i % 64);
        } else {
            self.valid[i / 64] &= !(1 << (i % 64));
        }
    }

    /// Calls `f(word_index, mask)` for the validity words covering `len` samples from `ts`
    /// (the ring wraps at a word boundary, so a range splits into whole-word pieces).
    fn for_valid_words(ts: u32, len: usize, mut f: impl FnMut(usize, u64)) {
        let mut pos = (ts & MASK) as usize;
        let mut left = len;
        while left > 0 {
            let bit = pos % 64;
            let take = (64 - bit).min(left);
            let mask = if take == 64 {
                u64::MAX
            } else {
                ((1u64 << take) - 1) << bit
            };
            f(pos / 64, mask);
            pos = (pos + take) & MASK as usize;
            left -= take;
        }
    }

    /// Whether every sample of the range is present.
    fn range_all_valid(&self, ts: u32, len: usize) -> bool {
        let mut all = true;
        Self::for_valid_words(ts, len, |w, m| all &= self.valid[w] & m == m);
        all
    }

    /// Whether no sample of the range is present.
    fn range_none_valid(&self, ts: u32, len: usize) -> bool {
        let mut none = true;
        Self::for_valid_words(ts, len, |w, m| none &= self.valid[w] & m == 0);
        none
    }

    fn set_range_valid(&mut self, ts: u32, len: usize, v: bool) {
        let valid = &mut self.valid;
        Self::for_valid_words(ts, len, |w, m| {
            if v {
                valid[w] |= m;
            } else {
                valid[w] &= !m;
            }
        });
    }

    /// Re-anchors the playout point so `ts` plays after the initial delay, emptying the ring.
    fn anchor(&mut self, ts: u32) {
        self.valid = [0; RING / 64];
        self.play_ts = ts.wrapping_sub(Self::samples_of_ms(self.config.initial_delay_ms) as u32);
        self.newest_end = self.play_ts;
        self.audio_start = ts;
        self.leads_len = 0;
        self.leads_next = 0;
        self.window_mins = [None; SLOW_WINDOWS];
        self.current_min = None;
        self.window_ticks = 0;
        self.adjust = Adjust::None;
        self.restart_votes = 0;
    }

    /// Stores one RTP payload of `law`-coded samples whose first sample has timestamp `ts`.
    /// `marker` is the RTP marker bit: a talkspurt start whose timestamp jumped (Asterisk
    /// does this after a transfer, some gateways after a codec change) is rebased to follow
    /// the audio already buffered, instead of leaving a gap or being dropped as late.
    pub fn push(&mut self, ts: u32, marker: bool, law: Law, payload: &[u8]) -> PushOutcome {
        let n = payload.len();
        if n == 0 || n > MAX_PACKET_SAMPLES {
            self.stats.packets_refused += 1;
            return PushOutcome::Refused;
        }
        let mut outcome = PushOutcome::Stored;
        if !self.started {
            self.started = true;
            self.ts_offset = 0;
            self.anchor(ts);
        }
        let mut ts = ts.wrapping_sub(self.ts_offset);
        let mut lead = ts.wrapping_sub(self.play_ts) as i32;
        let drained = (self.newest_end.wrapping_sub(self.play_ts) as i32) <= 0;
        let typical = self.max_recent_lead();
        let jumped = lead > typical + 2 * FRAME || lead + (n as i32) < -8 * FRAME;
        if marker && self.leads_len > 0 && jumped {
            let target = if drained {
                self.play_ts.wrapping_add(typical.max(0) as u32)
            } else {
                self.newest_end
            };
            self.ts_offset = self.ts_offset.wrapping_add(ts.wrapping_sub(target));
            ts = target;
            self.audio_start = ts;
            self.restart_votes = 0;
            self.stats.resyncs += 1;
            outcome = PushOutcome::Resynchronised;
        } else if lead + n as i32 > RING as i32 {
            // Too far ahead to store: the stream jumped forward.
            self.anchor(ts);
            self.stats.resyncs += 1;
            outcome = PushOutcome::Resynchronised;
        } else if drained && self.leads_len > 0 && lead > typical + 2 * FRAME {
            // Nothing left to play and the packet is far later in media time than packets
            // used to be (a sender pause that did not keep its clock, without marker bit).
            // Start it at the usual lead instead of waiting out the gap.
            self.play_ts = ts.wrapping_sub(typical.max(0) as u32);
            self.newest_end = self.play_ts;
            self.audio_start = ts;
            self.stats.resyncs += 1;
            outcome = PushOutcome::Resynchronised;
        } else if lead < -RESTART_BEHIND {
            self.restart_votes += 1;
            if self.restart_votes < 3 {
                self.stats.packets_late += 1;
                return PushOutcome::Late;
            }
            self.anchor(ts);
            self.stats.resyncs += 1;
            outcome = PushOutcome::Resynchronised;
        }
        lead = ts.wrapping_sub(self.play_ts) as i32;
        if lead + n as i32 <= 0 {
            self.record_lead(lead);
            self.stats.packets_late += 1;
            return PushOutcome::Late;
        }
        self.restart_votes = 0;
        // Fast path, the usual case: the whole packet is ahead of the playout point and none
        // of it is stored yet, so it is decoded straight into the ring.
        if lead >= 0 && !self.force_per_sample() && self.range_none_valid(ts, n) {
            let at = (ts & MASK) as usize;
            let first = n.min(RING - at);
            law.decode(&payload[..first], &mut self.samples[at..at + first]);
            law.decode(&payload[first..], &mut self.samples[..n - first]);
            self.set_range_valid(ts, n, true);
            return self.stored(ts, n, lead, outcome);
        }
        let mut decoded = [0i16; MAX_PACKET_SAMPLES];
        law.decode(payload, &mut decoded[..n]);
        let mut fresh = 0usize;
        for (i, &s) in decoded[..n].iter().enumerate() {
            let t = ts.wrapping_add(i as u32);
            if (t.wrapping_sub(self.play_ts) as i32).is_negative() || self.is_valid(t) {
                continue;
            }
            self.samples[(t & MASK) as usize] = s;
            self.set_valid(t, true);
            fresh += 1;
        }
        if fresh == 0 {
            self.stats.packets_duplicate += 1;
            return PushOutcome::Duplicate;
        }
        self.stored(ts, n, lead, outcome)
    }

    /// Bookkeeping after `n` samples from `ts` were stored.
    fn stored(&mut self, ts: u32, n: usize, lead: i32, outcome: PushOutcome) -> PushOutcome {
        let end = ts.wrapping_add(n as u32);
        if (end.wrapping_sub(self.newest_end) as i32) > 0 {
            self.newest_end = end;
        }
        self.record_lead(lead);
        self.stats.packets_stored += 1;
        outcome
    }

    /// Tests compare the fast paths against the per-sample paths they shortcut.
    #[cfg(test)]
    fn force_per_sample(&self) -> bool {
        self.per_sample_only
    }

    #[cfg(not(test))]
    fn force_per_sample(&self) -> bool {
        false
    }

    fn record_lead(&mut self, lead: i32) {
        self.leads[self.leads_next] = lead;
        self.leads_next = (self.leads_next + 1) % LEAD_WINDOW;
        self.leads_len = (self.leads_len + 1).min(LEAD_WINDOW);
        self.current_min = Some(self.current_min.map_or(lead, |m| m.min(lead)));
    }

    fn max_recent_lead(&self) -> i32 {
        self.leads[..self.leads_len]
            .iter()
            .copied()
            .max()
            .unwrap_or(0)
    }

    /// The second-smallest recent lead (the smallest with fewer than 8 samples).
    fn low_recent_lead(&self) -> Option<i32> {
        if self.leads_len < 8 {
            return None;
        }
        let (mut a, mut b) = (i32::MAX, i32::MAX);
        for &l in &self.leads[..self.leads_len] {
            if l < a {
                b = a;
                a = l;
            } else if l < b {
                b = l;
            }
        }
        Some(b)
    }

    /// The smallest lead over the last `SLOW_WINDOWS` full windows, if all had packets.
    fn low_slow_lead(&self) -> Option<i32> {
        let mut m = i32::MAX;
        for w in &self.window_mins {
            m = m.min((*w)?);
        }
        Some(m)
    }

    /// Moves every recorded lead by `delta` after the playout point moved by `-delta`.
    fn shift_leads(&mut self, delta: i32) {
        for l in &mut self.leads[..self.leads_len] {
            *l += delta;
        }
        for w in self.window_mins.iter_mut().flatten() {
            *w += delta;
        }
        if let Some(m) = &mut self.current_min {
            *m += delta;
        }
    }

    fn decide(&mut self) {
        if self.adjust != Adjust::None {
            return;
        }
        let max_lead = Self::samples_of_ms(self.config.max_delay_ms).min(RING as i32 - 2 * FRAME);
        if let Some(low) = self.low_recent_lead()
            && low < GROW_BELOW
            && self.max_recent_lead() + FRAME <= max_lead
        {
            self.adjust = Adjust::Insert { waited: 0 };
        } else if let Some(low) = self.low_slow_lead()
            && low > SHRINK_ABOVE
        {
            self.adjust = Adjust::Drop { waited: 0 };
        }
    }

    fn frame_is_quiet_or_missing(&self, start: u32) -> bool {
        let mut sum = 0u32;
        let mut present = 0u32;
        for i in 0..FRAME_SAMPLES as u32 {
            let t = start.wrapping_add(i);
            if self.is_valid(t) {
                sum += u32::from(self.samples[(t & MASK) as usize].unsigned_abs());
                present += 1;
            }
        }
        present == 0 || (present == FRAME_SAMPLES as u32 && sum / present < QUIET_MEAN_ABS)
    }

    /// The next 20 ms frame. Call exactly once per 20 ms tick: the tick is the buffer's clock.
    pub fn pop(&mut self) -> Frame {
        let mut out = [0i16; FRAME_SAMPLES];
        self.stats.frames_out += 1;
        if !self.started {
            return out;
        }
        self.window_ticks += 1;
        if self.window_ticks >= SLOW_WINDOW_TICKS {
            self.window_ticks = 0;
            self.window_mins[self.window_next] = self.current_min.take();
            self.window_next = (self.window_next + 1) % SLOW_WINDOWS;
        }
        self.decide();
        match self.adjust {
            Adjust::Insert { waited } => {
                if self.last_frame_quiet || waited >= INSERT_PATIENCE {
                    self.adjust = Adjust::None;
                    self.stats.frames_inserted += 1;
                    self.stats.frames_concealed += 1;
                    self.shift_leads(FRAME);
                    for o in out.iter_mut() {
                        *o = self.concealer.sample(None);
                    }
                    return out;
                }
                self.adjust = Adjust::Insert { waited: waited + 1 };
            }
            Adjust::Drop { waited } => {
                let quiet = self.frame_is_quiet_or_missing(self.play_ts);
                if quiet || waited >= DROP_PATIENCE {
                    self.adjust = Adjust::None;
                    self.stats.frames_dropped += 1;
                    self.shift_leads(-FRAME);
                    for i in 0..FRAME_SAMPLES as u32 {
                        self.set_valid(self.play_ts.wrapping_add(i), false);
                    }
                    self.play_ts = self.play_ts.wrapping_add(FRAME as u32);
                    // Whatever was skipped (a quiet frame, a lost one, or sound), cross-fade
                    // from the continuation of what was played into what comes next.
                    self.concealer.splice();
                } else {
                    self.adjust = Adjust::Drop { waited: waited + 1 };
                }
            }
            Adjust::None => {}
        }
        // Fast path, the usual case: the whole frame is present and no concealment is under
        // way, so it is copied out of the ring as it is.
        if !self.force_per_sample()
            && self.concealer.is_passing_through()
            && self.range_all_valid(self.play_ts, FRAME_SAMPLES)
        {
            let at = (self.play_ts & MASK) as usize;
            let first = FRAME_SAMPLES.min(RING - at);
            out[..first].copy_from_slice(&self.samples[at..at + first]);
            out[first..].copy_from_slice(&self.samples[..FRAME_SAMPLES - first]);
            self.set_range_valid(self.play_ts, FRAME_SAMPLES, false);
            self.concealer.pass_through(&out);
            self.play_ts = self.play_ts.wrapping_add(FRAME as u32);
            let sum: u32 = out.iter().map(|s| u32::from(s.unsigned_abs())).sum();
            self.last_frame_quiet = (sum / FRAME_SAMPLES as u32) < QUIET_MEAN_ABS;
            return out;
        }
        let mut concealed = false;
        let mut sum = 0u32;
        for (i, o) in out.iter_mut().enumerate() {
            let t = self.play_ts.wrapping_add(i as u32);
            let real = if self.is_valid(t) {
                self.set_valid(t, false);
                Some(self.samples[(t & MASK) as usize])
            } else {
                concealed |= (t.wrapping_sub(self.audio_start) as i32) >= 0;
                None
            };
            *o = self.concealer.sample(real);
            sum += u32::from(o.unsigned_abs());
        }
        self.play_ts = self.play_ts.wrapping_add(FRAME as u32);
        if concealed {
            self.stats.frames_concealed += 1;
        }
        self.last_frame_quiet = (sum / FRAME_SAMPLES as u32) < QUIET_MEAN_ABS
            || (concealed && self.concealer.is_silent());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::g711::ulaw_encode;

    fn packet(first_sample: u32, n: usize) -> Vec<u8> {
        // A ramp in the linear domain so every sample is distinguishable.
        (0..n)
            .map(|i| ulaw_encode((((first_sample as usize + i) % 200) as i16 - 100) * 50))
            .collect()
    }

    /// The fast paths (whole packet stored at once, whole frame copied out) must give exactly
    /// what the per-sample paths give, on streams with loss, reordering, duplicates, jitter,
    /// odd packet sizes, marker-bit jumps and timestamp wrap.
    #[test]
    fn fast_paths_match_the_per_sample_paths() {
        for seed in 1..=16u64 {
            let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let mut rnd = move |n: u64| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % n
            };
            let mut fast = JitterBuffer::default();
            let mut slow = JitterBuffer {
                per_sample_only: true,
                ..JitterBuffer::default()
            };
            let mut ts = 4_294_960_000u32.wrapping_add(rnd(100_000) as u32);
            let mut held: Vec<(u32, Vec<u8>)> = Vec::new();
            for tick in 0..2500u32 {
                let ptime = [80usize, 160, 160, 160, 240, 100][rnd(6) as usize];
                if rnd(40) == 0 {
                    ts = ts.wrapping_add(rnd(20_000) as u32); // a jump
                }
                let p = packet(tick.wrapping_mul(37), ptime);
                let marker = rnd(30) == 0;
                match rnd(12) {
                    0 => {}                          // lost
                    1 => held.push((ts, p.clone())), // delayed
                    2 => {
                        for jb in [&mut fast, &mut slow] {
                            jb.push(ts, marker, Law::Ulaw, &p);
                            jb.push(ts, false, Law::Ulaw, &p); // duplicated
                        }
                    }
                    _ => {
                        let a = fast.push(ts, marker, Law::Ulaw, &p);
                        let b = slow.push(ts, marker, Law::Ulaw, &p);
                        assert_eq!(a, b, "seed {seed} tick {tick}");
                    }
                }
                if rnd(3) == 0
                    && let Some((t, q)) = held.pop()
                {
                    assert_eq!(
                        fast.push(t, false, Law::Alaw, &q),
                        slow.push(t, false, Law::Alaw, &q)
                    );
                }
                ts = ts.wrapping_add(ptime as u32);
                for _ in 0..[1, 1, 1, 0, 2][rnd(5) as usize] {
                    assert_eq!(fast.pop(), slow.pop(), "seed {seed} tick {tick}");
                }
            }
            assert_eq!(fast.stats(), slow.stats(), "seed {seed}");
            assert!(fast.stats().packets_stored > 1000);
        }
    }

    #[test]
    fn silence_before_the_first_packet_and_one_frame_per_pop() {
        let mut jb = JitterBuffer::default();
        assert_eq!(jb.pop(), [0; FRAME_SAMPLES]);
        assert_eq!(jb.stats().frames_out, 1);
    }

    #[test]
    fn reorders_and_removes_duplicates() {
        let mut jb = JitterBuffer::default();
        let base = 4_294_967_000u32; // wraps during the test
        let order = [0u32, 2, 1, 3, 3, 5, 4, 6, 7];
        for &k in &order {
            let ts = base.wrapping_add(k * 160);
            jb.push(ts, false, Law::Ulaw, &packet(k * 160, 160));
        }
        assert_eq!(jb.stats().packets_duplicate, 1);
        // Initial delay 40 ms = 2 frames of silence, then the 8 packets in order.
        let mut all = Vec::new();
        for _ in 0..10 {
            all.extend_from_slice(&jb.pop());
        }
        let want: Vec<i16> = (0..8 * 160)
            .map(|i| crate::g711::ulaw_decode(ulaw_encode(((i % 200) as i16 - 100) * 50)))
            .collect();
        // The first 5 ms are faded in (a stream starting mid-sound must not click).
        assert_eq!(&all[320 + 40..], &want[40..]);
        assert_eq!(jb.stats().frames_concealed, 0);
    }

    #[test]
    fn reframes_10_30_and_40_ms_packets() {
        for ptime_samples in [80usize, 240, 320] {
            let mut jb = JitterBuffer::default();
            let mut out = Vec::new();
            let mut sent = 0usize;
            for _tick in 0..60 {
                // Deliver whatever the sender has produced by this tick.
                while sent + ptime_samples <= out.len() + 3 * 160 + ptime_samples {
                    let ts = 1000 + sent as u32;
                    jb.push(ts, false, Law::Ulaw, &packet(sent as u32, ptime_samples));
                    sent += ptime_samples;
                }
                out.extend_from_slice(&jb.pop());
            }
            let first = out.iter().position(|&s| s != 0).unwrap();
            let want: Vec<i16> = (0..out.len() - first)
                .map(|i| crate::g711::ulaw_decode(ulaw_encode(((i % 200) as i16 - 100) * 50)))
                .collect();
            assert_eq!(&out[first + 40..], &want[40..], "ptime {ptime_samples}");
            assert_eq!(jb.stats().frames_concealed, 0);
        }
    }

    #[test]
    fn late_packets_are_dropped_and_counted() {
        let mut jb = JitterBuffer::default();
        jb.push(0, false, Law::Ulaw, &packet(0, 160));
        for _ in 0..5 {
            jb.pop();
        }
        assert_eq!(
            jb.push(160, false, Law::Ulaw, &packet(160, 160)),
            PushOutcome::Late
        );
        assert_eq!(jb.stats().packets_late, 1);
    }

    #[test]
    fn refuses_empty_and_oversized() {
        let mut jb = JitterBuffer::default();
        assert_eq!(jb.push(0, false, Law::Ulaw, &[]), PushOutcome::Refused);
        assert_eq!(
            jb.push(0, false, Law::Ulaw, &[0xFF; 961]),
            PushOutcome::Refused
        );
    }

    #[test]
    fn a_far_jump_resynchronises() {
        let mut jb = JitterBuffer::default();
        jb.push(0, false, Law::Ulaw, &packet(0, 160));
        assert_eq!(
            jb.push(1_000_000, false, Law::Ulaw, &packet(0, 160)),
            PushOutcome::Resynchronised
        );
        // Three packets from far in the past re-anchor too (the sender restarted).
        let mut jb = JitterBuffer::default();
        jb.push(100_000, false, Law::Ulaw, &packet(0, 160));
        for _ in 0..5 {
            jb.pop();
        }
        assert_eq!(
            jb.push(0, false, Law::Ulaw, &packet(0, 160)),
            PushOutcome::Late
        );
        assert_eq!(
            jb.push(160, false, Law::Ulaw, &packet(0, 160)),
            PushOutcome::Late
        );
        assert_eq!(
            jb.push(320, false, Law::Ulaw, &packet(0, 160)),
            PushOutcome::Resynchronised
        );
    }
}
