//! SEMS's `AmAudioMixIn` (`conference.setupMixIn(level, seconds)`, `playMixIn`,
//! `playMixInList`, `flushMixInList`): a file mixed into what the caller hears.
//!
//! While a mix-in plays, the output is `A·(1−l) + B·l` (A = the leg's output, B = the file,
//! `l` = level), saturated to 16 bits; a level below 0.01 means B *replaces* A. With
//! `seconds == 0` the file starts at once and plays once. Otherwise it starts `seconds` after
//! `playMixIn` and then again every `seconds` from each start (back to back if the file is
//! longer). Time is counted in processed frames (20 ms each), the media clock.
//!
//! `playMixInList` mixes a playlist in instead. As in SEMS that list never "ends" (an empty
//! playlist plays silence), so once started it keeps A at `1−l` until the mix-in is replaced.

use crate::playlist::{Clip, Item, NoExternal, Playlist};
use crate::{FRAME_SAMPLES, Frame};

/// Frames per second at 20 ms.
const FRAMES_PER_SECOND: u64 = 50;
/// Unity gain in Q15.
const ONE_Q15: i32 = 1 << 15;

#[derive(Debug)]
enum Source {
    Clip { samples: Clip, pos: usize },
    List,
}

/// A file (or list) mixed into a leg's output: see the module docs.
#[derive(Debug)]
pub struct MixIn {
    /// `l` in Q15 (0..=32768).
    level_q15: i32,
    /// `l < 0.01`: B replaces A.
    replace: bool,
    interval: u64,
    once_immediate: bool,
    source: Option<Source>,
    list: Option<Playlist>,
    mixing: bool,
    next_start: Option<u64>,
    clock: u64,
    scratch: Frame,
}

impl MixIn {
    /// `conference.setupMixIn(level, seconds)`; `level` is clamped to 0..=1.
    pub fn new(level: f64, seconds: u32) -> Self {
        let level = if level.is_finite() {
            level.clamp(0.0, 1.0)
        } else {
            0.0
        };
        Self {
            level_q15: (level * f64::from(ONE_Q15)).round() as i32,
            replace: level < 0.01,
            interval: u64::from(seconds) * FRAMES_PER_SECOND,
            once_immediate: seconds == 0,
            source: None,
            list: None,
            mixing: false,
            next_start: None,
            clock: 0,
            scratch: [0; FRAME_SAMPLES],
        }
    }

    /// `conference.playMixIn(file)`: mix `clip` in (replacing the current one) and restart
    /// the schedule.
    pub fn play(&mut self, clip: Clip) {
        self.source = Some(Source::Clip {
            samples: clip,
            pos: 0,
        });
        self.mixing = false;
        self.next_start = None;
    }

    /// `conference.playMixInList(file, loop)`: append to the mix-in list; the first call makes
    /// the list the mixed-in source (later calls only append, as SEMS).
    pub fn play_list(&mut self, clip: Clip, looped: bool) {
        match &mut self.list {
            Some(list) => list.add(Item::file(clip, looped)),
            None => {
                let mut list = Playlist::new();
                list.add(Item::file(clip, looped));
                self.list = Some(list);
                self.source = Some(Source::List);
                self.mixing = false;
                self.next_start = None;
            }
        }
    }

    /// `conference.flushMixInList`.
    pub fn flush_list(&mut self) {
        if let Some(list) = &mut self.list {
            list.flush();
        }
    }

    /// A mix-in is currently sounding.
    pub fn is_mixing(&self) -> bool {
        self.mixing && self.source.is_some()
    }

    /// Mix into `out` (the leg's output for this tick). Never allocates.
    pub fn process(&mut self, out: &mut Frame) {
        let now = self.clock;
        self.clock += 1;
        if self.source.is_none() {
            return;
        }
        if !self.mixing {
            let start = *self.next_start.get_or_insert(if self.once_immediate {
                now
            } else {
                now + self.interval
            });
            if now >= start {
                self.mixing = true;
                self.next_start = Some(now + self.interval);
            }
        }
        if !self.mixing {
            return;
        }
        let (n, ended) = match &mut self.source {
            Some(Source::Clip { samples, pos }) => {
                let n = (samples.len() - *pos).min(FRAME_SAMPLES);
                self.scratch[..n].copy_from_slice(&samples[*pos..*pos + n]);
                *pos += n;
                (n, *pos >= samples.len())
            }
            Some(Source::List) => match &mut self.list {
                Some(list) => {
                    list.get(&mut self.scratch, &mut NoExternal);
                    while list.poll_event().is_some() {}
                    (FRAME_SAMPLES, false)
                }
                None => (0, true),
            },
            None => (0, true),
        };
        if self.replace {
            out[..n].copy_from_slice(&self.scratch[..n]);
        } else {
            let l = self.level_q15;
            for (i, o) in out.iter_mut().enumerate() {
                let a = (i32::from(*o) * (ONE_Q15 - l)) >> 15;
                let b = if i < n {
                    (i32::from(self.scratch[i]) * l) >> 15
                } else {
                    0
                };
                *o = (a + b).clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
            }
        }
        if ended {
            self.mixing = false;
            if self.once_immediate {
                self.source = None;
            } else if let Some(Source::Clip { pos, .. }) = &mut self.source {
                *pos = 0;
            }
        }
    }
}
