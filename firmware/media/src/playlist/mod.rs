//! SEMS's playlist (`AmPlaylist`): the queue of audio a leg plays to the caller, and the leg's
//! audio routing around it ([`LegAudio`]: recorder, tee conference, mix-in).
//!
//! A [`Playlist`] holds [`Item`]s: a decoded file (from the [`PromptCache`], optionally
//! looped), silence, a separator, a tone generator, or an *external* item the firmware plugs
//! in (a conference channel). The current item provides what the caller hears
//! ([`Playlist::get`]) and receives what the caller says ([`Playlist::put`]): file, silence and
//! tone items ignore the input, an external item with `record` passes it on.
//!
//! External items are served by an [`ExternalAudio`] the caller passes to `get` and `put`
//! (normally the [`crate::mixer::Conference`]), so the playlist never owns the mixer and the
//! media tick keeps SEMS's order: `put` every leg, `Conference::tick`, `get` every leg.
//!
//! Semantics follow `core/AmPlaylist.cpp` (SEMS 2775036c):
//! * `add` appends; `add_front` makes the new item current and puts the interrupted one back
//!   at the head of the queue, where it later resumes from where it stopped;
//! * when the current item ends and nothing follows, one [`PlaylistEvent::NoAudio`] with
//!   [`NoAudioKind::NoAudio`] is raised (DSM `noAudio`, `#type=noAudio`); an idle playlist raises
//!   nothing more until an item is added and ends again;
//! * a separator raises [`PlaylistEvent::Separator`] when it is reached and takes no time; if it
//!   is the last item, `NoAudio` follows it;
//! * `flush` (DSM `flushPlaylist`, and `closePlaylist`, its deprecated alias) drops every item
//!   and raises nothing;
//! * [`NoAudioKind::Cleared`] is SEMS's `AmAudioEvent::cleared`, raised by
//!   [`LegAudio::clear_audio`] when the leg's audio is torn down (also when the recorder
//!   fails), never by the playlist running empty.
//!
//! Deliberate differences: items are concatenated sample-exactly (SEMS returns a short frame
//! at the end of a file, which the RTP layer pads), so the next item starts within the same
//! 20 ms frame; and the end of an item is noticed in the tick that plays its last sample, one
//! tick earlier than SEMS, which notices it when the next read comes back empty.
//!
//! `get` and `put` never allocate: events have room reserved whenever an item is added.

mod cache;
mod leg;

pub use cache::PromptCache;
pub use leg::{Input, LegAudio, MAX_TEES, Output, TeeError};

use std::collections::VecDeque;
use std::sync::Arc;

use crate::tone::ToneGenerator;
use crate::{FRAME_SAMPLES, Frame, SAMPLE_RATE};

/// Decoded audio at 8 kHz, shared between the cache and every item playing it.
pub type Clip = Arc<[i16]>;

/// Identifies the source or sink behind an external item, as the [`ExternalAudio`] knows it
/// (for the conference mixer, a [`crate::mixer::ParticipantId`] converted with `into()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExternalId(pub u64);

/// Audio the firmware plugs into playlists, frame by frame (a conference channel).
pub trait ExternalAudio {
    /// Fill `out` with what `id` plays this tick. `false`: `id` has ended (it left the room),
    /// and the item is dropped.
    fn get(&mut self, id: ExternalId, out: &mut Frame) -> bool;
    /// Hand `input` (what the caller said this tick) to `id`. `false`: `id` has ended.
    fn put(&mut self, id: ExternalId, input: &Frame) -> bool;
}

/// An [`ExternalAudio`] with no sources: every external item has ended.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoExternal;

impl ExternalAudio for NoExternal {
    fn get(&mut self, _: ExternalId, _: &mut Frame) -> bool {
        false
    }
    fn put(&mut self, _: ExternalId, _: &Frame) -> bool {
        false
    }
}

/// The `#type` of a DSM `noAudio` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoAudioKind {
    /// The playlist ran out of items.
    NoAudio,
    /// The leg's audio was cleared.
    Cleared,
}

impl NoAudioKind {
    /// The DSM `#type` parameter value.
    pub fn as_str(self) -> &'static str {
        match self {
            NoAudioKind::NoAudio => "noAudio",
            NoAudioKind::Cleared => "cleared",
        }
    }
}

/// What a playlist tells the DSM session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaylistEvent {
    /// A separator was reached (DSM `separator`, `#id`).
    Separator(u32),
    /// DSM `noAudio`.
    NoAudio(NoAudioKind),
}

/// One entry of a playlist.
#[derive(Debug, Clone)]
pub struct Item {
    kind: ItemKind,
}

#[derive(Debug, Clone)]
enum ItemKind {
    Clip {
        samples: Clip,
        pos: usize,
        looped: bool,
    },
    Silence {
        remaining: u64,
    },
    Separator(u32),
    Tone(ToneGenerator),
    External {
        id: ExternalId,
        play: bool,
        record: bool,
    },
}

impl Item {
    /// A decoded file (`playFile`, `playPrompt`); `looped` restarts it at its end forever
    /// (an empty clip never loops).
    pub fn file(samples: Clip, looped: bool) -> Self {
        Self {
            kind: ItemKind::Clip {
                samples,
                pos: 0,
                looped,
            },
        }
    }

    /// `ms` milliseconds of silence (`playSilence`).
    pub fn silence_ms(ms: u32) -> Self {
        Self {
            kind: ItemKind::Silence {
                remaining: u64::from(ms) * u64::from(SAMPLE_RATE) / 1000,
            },
        }
    }

    /// A separator (`addSeparator`): raises [`PlaylistEvent::Separator`] when reached.
    pub fn separator(id: u32) -> Self {
        Self {
            kind: ItemKind::Separator(id),
        }
    }

    /// A tone generator (`playRingtone`, dial tone, DTMF digits).
    pub fn tone(generator: ToneGenerator) -> Self {
        Self {
            kind: ItemKind::Tone(generator),
        }
    }

    /// An external source/sink (`conference.join`): `play` = the caller hears it (not
    /// speak-only), `record` = the caller's input goes to it (not listen-only). SEMS plays
    /// silence for an item without `play` and drops input for one without `record`.
    pub fn external(id: ExternalId, play: bool, record: bool) -> Self {
        Self {
            kind: ItemKind::External { id, play, record },
        }
    }

    /// The external id, if this is an external item.
    pub fn external_id(&self) -> Option<ExternalId> {
        match self.kind {
            ItemKind::External { id, .. } => Some(id),
            _ => None,
        }
    }

    /// Fill `out[from..]`; returns (samples written, the item has ended).
    fn fill<E: ExternalAudio + ?Sized>(
        &mut self,
        out: &mut Frame,
        from: usize,
        ext: &mut E,
        scratch: &mut Frame,
        events: &mut VecDeque<PlaylistEvent>,
    ) -> (usize, bool) {
        let dst = &mut out[from..];
        match &mut self.kind {
            ItemKind::Clip {
                samples,
                pos,
                looped,
            } => {
                let mut n = 0;
                loop {
                    let take = (samples.len() - *pos).min(dst.len() - n);
                    dst[n..n + take].copy_from_slice(&samples[*pos..*pos + take]);
                    n += take;
                    *pos += take;
                    if *pos < samples.len() {
                        return (n, false);
                    }
                    if !*looped || samples.is_empty() {
                        return (n, true);
                    }
                    *pos = 0;
                    if n == dst.len() {
                        return (n, false);
                    }
                }
            }
            ItemKind::Silence { remaining } => {
                let n = dst.len().min(*remaining as usize);
                dst[..n].fill(0);
                *remaining -= n as u64;
                (n, *remaining == 0)
            }
            ItemKind::Separator(id) => {
                events.push_back(PlaylistEvent::Separator(*id));
                (0, true)
            }
            ItemKind::Tone(g) => {
                let n = g.fill(dst);
                (n, g.is_finished())
            }
            ItemKind::External { id, play, .. } => {
                if !*play {
                    dst.fill(0);
                    return (dst.len(), false);
                }
                if ext.get(*id, scratch) {
                    // The source runs in real time: the part of its frame that falls before
                    // `from` was covered by the previous item and is skipped.
                    dst.copy_from_slice(&scratch[from..]);
                    (dst.len(), false)
                } else {
                    (0, true)
                }
            }
        }
    }
}

/// SEMS's `AmPlaylist`: see the module docs.
#[derive(Debug)]
pub struct Playlist {
    current: Option<Item>,
    queue: VecDeque<Item>,
    events: VecDeque<PlaylistEvent>,
    scratch: Frame,
}

impl Default for Playlist {
    fn default() -> Self {
        Self::new()
    }
}

impl Playlist {
    /// An empty playlist.
    pub fn new() -> Self {
        let mut p = Self {
            current: None,
            queue: VecDeque::new(),
            events: VecDeque::new(),
            scratch: [0; FRAME_SAMPLES],
        };
        p.reserve_events();
        p
    }

    fn reserve_events(&mut self) {
        // Each item consumed raises at most two events (a separator, then noAudio), plus one
        // `cleared`: reserving here keeps `get`/`put` free of allocation.
        self.events.reserve(2 * (self.queue.len() + 2) + 1);
    }

    /// Append an item (`playFile`, `playSilence`, `addSeparator`, `conference.join`, ...).
    pub fn add(&mut self, item: Item) {
        self.queue.push_back(item);
        self.reserve_events();
    }

    /// Play an item now (`playFileFront`, `playSilenceFront`, `addSeparator(id, true)`): the
    /// current item, if any, goes back to the head of the queue and resumes after it.
    pub fn add_front(&mut self, item: Item) {
        if let Some(cur) = self.current.replace(item) {
            self.queue.push_front(cur);
        }
        self.reserve_events();
    }

    /// Drop every item without raising an event (`flushPlaylist`, `closePlaylist`).
    pub fn flush(&mut self) {
        self.current = None;
        self.queue.clear();
    }

    /// SEMS `closePlaylist(false)`: an alias of [`Playlist::flush`].
    pub fn close(&mut self) {
        self.flush();
    }

    /// Drop every external item with this id (the conference channel was released).
    pub fn remove_external(&mut self, id: ExternalId) {
        if self.current.as_ref().and_then(Item::external_id) == Some(id) {
            self.current = None;
        }
        self.queue.retain(|i| i.external_id() != Some(id));
    }

    /// No current item and nothing queued.
    pub fn is_empty(&self) -> bool {
        self.current.is_none() && self.queue.is_empty()
    }

    /// Items left, the current one included.
    pub fn len(&self) -> usize {
        self.queue.len() + usize::from(self.current.is_some())
    }

    /// The next event for the DSM session.
    pub fn poll_event(&mut self) -> Option<PlaylistEvent> {
        self.events.pop_front()
    }

    pub(crate) fn push_event(&mut self, ev: PlaylistEvent) {
        self.events.push_back(ev);
    }

    /// The current item ended: move to the next, and raise `noAudio` if there is none
    /// (SEMS `gotoNextItem(true)`).
    fn next_item(&mut self) {
        self.current = self.queue.pop_front();
        if self.current.is_none() {
            self.events
                .push_back(PlaylistEvent::NoAudio(NoAudioKind::NoAudio));
        }
    }

    /// What the caller hears this tick: items are played back to back; silence when empty.
    pub fn get<E: ExternalAudio + ?Sized>(&mut self, out: &mut Frame, ext: &mut E) {
        let mut filled = 0;
        while filled < FRAME_SAMPLES {
            if self.current.is_none() {
                self.current = self.queue.pop_front();
            }
            let Some(item) = self.current.as_mut() else {
                break;
            };
            let (n, ended) = item.fill(out, filled, ext, &mut self.scratch, &mut self.events);
            filled += n;
            if ended {
                self.next_item();
            }
        }
        out[filled..].fill(0);
    }

    /// What the caller said this tick: handed to the current item if it records (an external
    /// item with `record`), otherwise dropped. An external sink that has ended is skipped
    /// (SEMS `put` moves on while `put` fails).
    pub fn put<E: ExternalAudio + ?Sized>(&mut self, input: &Frame, ext: &mut E) {
        loop {
            if self.current.is_none() {
                self.current = self.queue.pop_front();
            }
            let Some(Item {
                kind:
                    ItemKind::External {
                        id, record: true, ..
                    },
            }) = self.current
            else {
                return;
            };
            if ext.put(id, input) {
                return;
            }
            self.next_item();
        }
    }
}
