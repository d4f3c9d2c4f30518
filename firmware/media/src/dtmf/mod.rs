//! In-band DTMF detection: a fixed-point Goertzel detector for 8 kHz audio in 20 ms frames.
//!
//! [`DtmfDetector`] is one leg's receiver. It is sans-IO: its clock is the number of samples
//! fed, it allocates nothing and holds 704 bytes of state on x86-64: the eight filters, the
//! previous block's powers and phasors for the two-block tests, the samples of the last two
//! blocks for the voicing test (408 bytes), the key in progress and a four-event queue. Feed it decoded audio with
//! [`DtmfDetector::handle_samples`] (a 20 ms frame at a time, as the media tick reads it) and
//! drain [`DtmfDetector::poll_event`] after every frame:
//!
//! ```
//! use media::dtmf::{DtmfDetector, DtmfEvent};
//! # let frames: Vec<[i16; 160]> = Vec::new();
//! let mut det = DtmfDetector::new();
//! for frame in &frames {
//!     det.handle_samples(frame);
//!     while let Some(ev) = det.poll_event() {
//!         match ev {
//!             // Start RFC 4733 events here; `start` is a sample count (8 kHz).
//!             DtmfEvent::Began { key, start } => println!("{} from {start}", key.to_char()),
//!             // Raise the DSM `key` event here: #key = key.code(), #duration = duration_ms.
//!             DtmfEvent::Ended { key, duration, .. } => {
//!                 println!("{} for {} ms", key.to_char(), DtmfEvent::samples_to_ms(duration))
//!             }
//!         }
//!     }
//! }
//! ```
//!
//! How it decides (details and measurements in `docs/dtmf-detector.md`):
//! - `goertzel` runs eight Goertzel filters over blocks of 102 samples (12.75 ms), Q14
//!   coefficients, i32 state, i64 powers and energy.
//! - `block` tests each block (level, twist, relative peak, purity: loose limits) and each
//!   pair of successive blocks with the same key (frequency errors from the phase advance
//!   within a 2.2 % circle, then twist, relative peak, purity and weak tone over residual on
//!   the two blocks together, corrected for the measured frequency error).
//! - `voicing` refuses an onset whose two tones are two harmonics of a voiced sound: the
//!   tones fit a small-integer ratio p:q, and the other harmonics of the implied pitch are
//!   there, loud and standing clear of the spectrum between them (talk-off by vowels).
//! - The hit logic here: a key begins when two successive blocks agree and pass the pair test
//!   (so every 40 ms tone registers and no 20 ms tone can), it ends after three blocks
//!   without it (so 10 ms breaks are bridged and 40 ms pauses split), and a different key that
//!   passes the pair test takes over at once.
//!
//! [`audio_file`] reads raw or WAV files for the command line (`dsmbox dtmf-detect`).

pub mod audio_file;
mod block;
mod goertzel;
mod voicing;

pub use audio_file::{
    AudioFileError, decode_audio_file, detect_digits_in_file, detect_digits_in_pcm,
    detect_events_in_pcm,
};

use block::Candidate;
use goertzel::{BLOCK_LEN, FilterBank};
use heapless::Deque;

/// A DTMF key. [`DtmfKey::code`] is the RFC 4733 §3.2 event code, which is also the number
/// SEMS puts in a DSM `key` event's `#key`: 0-9, `*` = 10, `#` = 11, A-D = 12-15.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DtmfKey(u8);

/// Event codes on the keypad ("123A456B789C*0#D") by row (697, 770, 852, 941 Hz) and
/// column (1209, 1336, 1477, 1633 Hz).
const KEYPAD_CODES: [u8; 16] = [1, 2, 3, 12, 4, 5, 6, 13, 7, 8, 9, 14, 10, 0, 11, 15];

impl DtmfKey {
    /// The key with RFC 4733 event code `code`, if it is one of the 16 DTMF codes.
    pub fn from_code(code: u8) -> Option<DtmfKey> {
        (code < 16).then_some(DtmfKey(code))
    }

    /// The key for `'0'..='9'`, `'*'`, `'#'`, `'A'..='D'` (either case).
    pub fn from_char(c: char) -> Option<DtmfKey> {
        let code = match c.to_ascii_uppercase() {
            d @ '0'..='9' => d as u8 - b'0',
            '*' => 10,
            '#' => 11,
            l @ 'A'..='D' => l as u8 - b'A' + 12,
            _ => return None,
        };
        Some(DtmfKey(code))
    }

    /// The RFC 4733 event code (and SEMS `#key`), 0-15.
    pub fn code(self) -> u8 {
        self.0
    }

    /// The key's character: `0-9 * # A-D`.
    pub fn to_char(self) -> char {
        match self.0 {
            d @ 0..=9 => char::from(b'0' + d),
            10 => '*',
            11 => '#',
            l => char::from(b'A' + l - 12),
        }
    }

    /// The low (row) and high (column) frequency in Hz (ITU-T Q.23).
    pub fn frequencies(self) -> (u32, u32) {
        let i = self.keypad_index();
        (goertzel::TONE_HZ[i / 4], goertzel::TONE_HZ[4 + i % 4])
    }

    /// Position on the keypad, `4·row + column`.
    fn keypad_index(self) -> usize {
        KEYPAD_CODES.iter().position(|&c| c == self.0).unwrap_or(0)
    }

    fn from_keypad_index(i: u8) -> DtmfKey {
        DtmfKey(KEYPAD_CODES[usize::from(i & 15)])
    }
}

impl core::fmt::Display for DtmfKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.to_char())
    }
}

/// What the detector reports. Times are sample counts since the detector was created (the
/// sample clock, 8000 per second); the caller maps them to its own clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtmfEvent {
    /// A key was recognised, 25-38 ms after it began. `start` is the first sample of the
    /// first block that held it (the onset, to within one 12.75 ms block).
    Began { key: DtmfKey, start: u64 },
    /// The key ended (three blocks without it, a different key, or detection switched off).
    /// `duration` in samples runs from `start` to the end of the last block that held it.
    Ended {
        key: DtmfKey,
        start: u64,
        duration: u32,
    },
}

impl DtmfEvent {
    /// Sample count to whole milliseconds at 8 kHz (for the DSM `#duration`).
    pub fn samples_to_ms(samples: u32) -> u32 {
        samples / (crate::SAMPLE_RATE / 1000)
    }

    /// The key of either event.
    pub fn key(&self) -> DtmfKey {
        match *self {
            DtmfEvent::Began { key, .. } | DtmfEvent::Ended { key, .. } => key,
        }
    }
}

/// Blocks without the key that end it: three blocks (38 ms) can only all miss when the break
/// is longer than about 20 ms, and always miss in a 40 ms pause (it covers two whole blocks
/// and more than half of a third).
const MISSES_TO_END: u8 = 3;

/// Events the detector holds until polled. One block can end a key and begin the next; a
/// 20 ms frame completes at most two blocks. Four covers frames of up to 40 ms.
const EVENT_QUEUE: usize = 4;

/// The key being heard.
#[derive(Debug, Clone, Copy)]
struct Active {
    key: DtmfKey,
    start: u64,
    /// End of the last block that held the key.
    last_hit_end: u64,
    misses: u8,
}

/// An in-band DTMF receiver for one leg: 8 kHz linear audio in, [`DtmfEvent`]s out.
///
/// Switch detection off and on with [`DtmfDetector::set_enabled`] (or simply stop feeding).
#[derive(Debug, Clone)]
pub struct DtmfDetector {
    bank: FilterBank,
    /// The samples of the block being filled and of the one before, for the voicing test.
    history: [[i16; BLOCK_LEN]; 2],
    /// Which of `history` is being filled.
    filling: usize,
    /// The previous block's result, for the two-block tests.
    prev: Option<Candidate>,
    active: Option<Active>,
    /// Samples fed since creation.
    clock: u64,
    enabled: bool,
    events: Deque<DtmfEvent, EVENT_QUEUE>,
}

impl Default for DtmfDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl DtmfDetector {
    /// A detector with its clock at sample 0, enabled.
    pub const fn new() -> DtmfDetector {
        DtmfDetector {
            bank: FilterBank::new(),
            history: [[0; BLOCK_LEN]; 2],
            filling: 0,
            prev: None,
            active: None,
            clock: 0,
            enabled: true,
            events: Deque::new(),
        }
    }

    /// Forgets everything heard so far (a key in progress ends without an event, pending
    /// events are dropped) and restarts the block grid. The sample clock keeps counting.
    pub fn reset(&mut self) {
        self.bank = FilterBank::new();
        self.prev = None;
        self.active = None;
        self.events.clear();
    }

    /// Switches detection on or off. Off, fed samples only advance the clock; switching off
    /// ends a key in progress with an [`DtmfEvent::Ended`], switching on starts afresh.
    pub fn set_enabled(&mut self, enabled: bool) {
        if self.enabled == enabled {
            return;
        }
        if !enabled && let Some(a) = self.active.take() {
            self.push(end_of(a));
        }
        let events = core::mem::take(&mut self.events);
        self.reset();
        self.events = events;
        self.enabled = enabled;
    }

    /// Whether detection is on.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Samples fed so far: the detector's clock.
    pub fn samples_fed(&self) -> u64 {
        self.clock
    }

    /// The key being heard now and the sample it began at, if any (for RFC 4733 updates).
    pub fn active_key(&self) -> Option<(DtmfKey, u64)> {
        self.active.map(|a| (a.key, a.start))
    }

    /// Feeds 8 kHz linear samples, normally one 20 ms frame ([`crate::FRAME_SAMPLES`]).
    /// Drain [`DtmfDetector::poll_event`] at least every 40 ms of audio: the queue holds four
    /// events and drops the oldest beyond that.
    pub fn handle_samples(&mut self, mut samples: &[i16]) {
        if !self.enabled {
            self.clock += samples.len() as u64;
            return;
        }
        while !samples.is_empty() {
            let n = samples.len().min(self.bank.room());
            let (now, rest) = samples.split_at(n);
            let at = BLOCK_LEN - self.bank.room();
            self.history[self.filling][at..at + n].copy_from_slice(now);
            self.bank.feed(now);
            self.clock += n as u64;
            samples = rest;
            if self.bank.room() == 0 {
                self.end_block();
            }
        }
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<DtmfEvent> {
        self.events.pop_front()
    }

    fn push(&mut self, ev: DtmfEvent) {
        if self.events.is_full() {
            log::warn!("DTMF event queue full, dropping the oldest event");
            self.events.pop_front();
        }
        // Cannot fail: there is room now.
        let _ = self.events.push_back(ev);
    }

    /// The hit logic, once per block.
    fn end_block(&mut self) {
        let spectrum = self.bank.finish();
        let cand = block::classify(&spectrum);
        let end = self.clock;
        let block_start = end - BLOCK_LEN as u64;
        let this_key = cand.map(|c| DtmfKey::from_keypad_index(c.keypad_index()));
        let active_key = self.active.map(|a| a.key);
        // A key confirmed by this block and the one before (same key, steady frequencies,
        // not a vowel's harmonics), looked for only where it would begin or take over.
        let confirmed = match (&self.prev, &cand) {
            (Some(p), Some(c)) if this_key != active_key => block::onset(p, c)
                .filter(|o| {
                    let newer = &self.history[self.filling];
                    let older = &self.history[self.filling ^ 1];
                    !voicing::is_voiced(older, newer, o.row_hz_q8, o.col_hz_q8)
                })
                .map(|_| DtmfKey::from_keypad_index(c.keypad_index())),
            _ => None,
        };
        match self.active {
            Some(mut a) if this_key == Some(a.key) => {
                a.misses = 0;
                a.last_hit_end = end;
                self.active = Some(a);
            }
            Some(mut a) => {
                a.misses += 1;
                let switch = confirmed.is_some();
                if switch || a.misses >= MISSES_TO_END {
                    self.active = None;
                    self.push(end_of(a));
                } else {
                    self.active = Some(a);
                }
            }
            None => {}
        }
        if self.active.is_none()
            && let Some(key) = confirmed
        {
            let start = block_start - BLOCK_LEN as u64;
            self.active = Some(Active {
                key,
                start,
                last_hit_end: end,
                misses: 0,
            });
            self.push(DtmfEvent::Began { key, start });
        }
        self.prev = cand;
        self.filling ^= 1;
    }
}

fn end_of(a: Active) -> DtmfEvent {
    let duration = u32::try_from(a.last_hit_end - a.start).unwrap_or(u32::MAX);
    DtmfEvent::Ended {
        key: a.key,
        start: a.start,
        duration,
    }
}
