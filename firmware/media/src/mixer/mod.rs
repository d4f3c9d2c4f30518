//! The conference mixer (`mod_conference`): rooms by name, each participant hears the sum of
//! all the others (N−1), plus SEMS's mix-in of a file into one leg's output ([`MixIn`]).
//!
//! # The tick
//! One [`Conference`] holds every room. Per 20 ms media tick, in SEMS's order
//! (`core/AmMediaProcessor.h`): [`Conference::put`] every participant's input (normally
//! through its leg's playlist, the conference being the playlist's
//! [`ExternalAudio`]), then [`Conference::tick`] once, then [`Conference::get`] every output.
//! A participant that did not `put` this tick contributes silence.
//!
//! `tick` is O(N) per room, as SEMS's `AmMultiPartyMixer`: it sums every speaker into an
//! `i32` accumulator, then gives each listener the sum minus its own contribution, saturated
//! to `i16`. SEMS instead scales the mix by an adaptive factor that drops when a sample would
//! clip and creeps back up; we saturate, which keeps levels exact and the N−1 property
//! bit-exact as long as nothing clips. `tick`, `put` and `get` never allocate.
//!
//! # Modes
//! [`Mode::SpeakOnly`] is summed but hears silence; [`Mode::ListenOnly`] hears everyone and is
//! not summed (SEMS's `speakonly`/`listenonly` of `conference.join`).
//!
//! # Joining and leaving without clicks
//! A new participant's contribution, and what it hears, ramp linearly from 0 to full over its
//! first frame. After [`Conference::leave`] the participant is mixed one more frame, ramped
//! from full to 0: with its input of that tick if it still put one, otherwise with its last
//! frame played backwards, which starts exactly where its last sample ended. So the room's sum
//! never jumps by more than the signals themselves do.
//!
//! # Events
//! SEMS's `AmConferenceStatus` events, drained with [`Conference::poll_event`]: a join sends
//! [`RoomEventKind::ParticipantJoined`] to every other member, or to the newcomer itself if the
//! room was empty; a leave sends [`RoomEventKind::ParticipantLeft`] to those who remain;
//! [`Conference::post_event`] (`conference.postEvent`) sends [`RoomEventKind::Posted`] to all
//! members. Each carries the room size after the change. The firmware turns them into DSM
//! `event`s with `#type=conference_event` (ids: [`RoomEventKind::sems_id`]).
//!
//! # Tee
//! `conference.teejoin` is a [`Mode::SpeakOnly`] participant in the second room, fed through
//! [`crate::playlist::LegAudio::tee_join`].

mod mixin;

pub use mixin::MixIn;

use std::collections::HashMap;
use std::sync::Arc;

use crate::playlist::{ExternalAudio, ExternalId};
use crate::{FRAME_SAMPLES, Frame};

/// Who a participant belongs to: the firmware's key for the leg (SEMS uses the session's
/// local tag). Events are addressed to owners.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Owner(pub u64);

/// A participant handle, valid until the participant has left (a later participant reusing
/// the slot gets another generation, so a stale handle is rejected).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParticipantId {
    index: u32,
    generation: u32,
}

impl From<ParticipantId> for ExternalId {
    fn from(p: ParticipantId) -> Self {
        ExternalId((u64::from(p.generation) << 32) | u64::from(p.index))
    }
}

impl From<ExternalId> for ParticipantId {
    fn from(e: ExternalId) -> Self {
        ParticipantId {
            index: e.0 as u32,
            generation: (e.0 >> 32) as u32,
        }
    }
}

/// How a participant takes part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Speaks and listens (the default, `""`).
    SpeakAndListen,
    /// Summed into the room, hears silence (`speakonly`).
    SpeakOnly,
    /// Hears the room, not summed (`listenonly`).
    ListenOnly,
}

impl Mode {
    /// The mode argument of `conference.join`: `""`, `speakonly` or `listenonly`. `None` for
    /// anything else (SEMS then joins with neither direction connected).
    pub fn from_sems(s: &str) -> Option<Mode> {
        match s {
            "" => Some(Mode::SpeakAndListen),
            "speakonly" => Some(Mode::SpeakOnly),
            "listenonly" => Some(Mode::ListenOnly),
            _ => None,
        }
    }

    /// The participant's voice is summed.
    pub fn speaks(self) -> bool {
        self != Mode::ListenOnly
    }

    /// The participant hears the room.
    pub fn listens(self) -> bool {
        self != Mode::SpeakOnly
    }
}

/// What happened in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomEventKind {
    /// Someone joined (SEMS `ConfNewParticipant`).
    ParticipantJoined,
    /// Someone left (SEMS `ConfParticipantLeft`).
    ParticipantLeft,
    /// `conference.postEvent(room, id)`.
    Posted(i32),
}

impl RoomEventKind {
    /// SEMS's event id: 1 joined, 2 left, or the posted id.
    pub fn sems_id(self) -> i32 {
        match self {
            RoomEventKind::ParticipantJoined => 1,
            RoomEventKind::ParticipantLeft => 2,
            RoomEventKind::Posted(id) => id,
        }
    }
}

/// An event for one member of a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomEvent {
    /// Who receives it.
    pub recipient: Owner,
    /// The room.
    pub room: Arc<str>,
    /// What happened.
    pub kind: RoomEventKind,
    /// Members of the room after the change.
    pub participants: usize,
    /// Who joined, left or posted.
    pub subject: Owner,
}

/// Why a conference operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConferenceError {
    /// The handle does not name a current participant.
    #[error("no such participant")]
    UnknownParticipant,
    /// This owner is already a member of the room.
    #[error("already a member of this room")]
    AlreadyJoined(ParticipantId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    FadeIn,
    Steady,
    FadeOut,
    Gone,
}

impl Phase {
    fn active(self) -> bool {
        matches!(self, Phase::FadeIn | Phase::Steady)
    }
}

#[derive(Debug)]
struct Participant {
    room: usize,
    owner: Owner,
    mode: Mode,
    phase: Phase,
    has_input: bool,
    /// Two input frames used in turn: `frames[cur]` is this tick's input (after pass 1 of
    /// `tick`, its contribution, ramped while fading); the other is last tick's contribution,
    /// kept for the fade-out. Flipping `cur` saves copying a frame per tick.
    frames: [Frame; 2],
    cur: usize,
    output: Frame,
}

#[derive(Debug, Default)]
struct Slot {
    generation: u32,
    participant: Option<Box<Participant>>,
}

#[derive(Debug)]
struct Room {
    name: Arc<str>,
    /// Slot indices, in joining order.
    members: Vec<usize>,
}

/// Every conference room of the appliance: see the module docs.
#[derive(Debug, Default)]
pub struct Conference {
    slots: Vec<Slot>,
    free_slots: Vec<usize>,
    rooms: Vec<Option<Room>>,
    free_rooms: Vec<usize>,
    by_name: HashMap<Arc<str>, usize>,
    events: std::collections::VecDeque<RoomEvent>,
}

/// `x · (k+1)/N` for k = 0..N: 0 → 1 over a frame, reaching full gain on the last sample.
#[inline]
fn ramp_up(k: usize, x: i16) -> i16 {
    ((i32::from(x) * (k as i32 + 1)) / FRAME_SAMPLES as i32) as i16
}

/// `x · (N−1−k)/N`: 1 → 0 over a frame, silent on the last sample.
#[inline]
fn ramp_down(k: usize, x: i16) -> i16 {
    ((i32::from(x) * (FRAME_SAMPLES - 1 - k) as i32) / FRAME_SAMPLES as i32) as i16
}

impl Conference {
    /// No rooms.
    pub fn new() -> Self {
        Self::default()
    }

    fn participant(&self, id: ParticipantId) -> Option<&Participant> {
        let slot = self.slots.get(id.index as usize)?;
        if slot.generation != id.generation {
            return None;
        }
        slot.participant.as_deref()
    }

    fn participant_mut(&mut self, id: ParticipantId) -> Option<&mut Participant> {
        let slot = self.slots.get_mut(id.index as usize)?;
        if slot.generation != id.generation {
            return None;
        }
        slot.participant.as_deref_mut()
    }

    fn id_of(&self, index: usize) -> ParticipantId {
        ParticipantId {
            index: index as u32,
            generation: self.slots[index].generation,
        }
    }

    /// Active members (joined and not left) of room `r`, as (slot, owner).
    fn active_members(&self, r: usize) -> impl Iterator<Item = (usize, Owner)> + '_ {
        self.rooms[r]
            .iter()
            .flat_map(|room| room.members.iter())
            .filter_map(|&s| {
                let p = self.slots[s].participant.as_deref()?;
                p.phase.active().then_some((s, p.owner))
            })
    }

    /// Free the slots of participants whose fade-out is over, and rooms left empty. Runs at
    /// the start of every management call, never in `tick`, so the tick does not deallocate.
    fn reap(&mut self) {
        for r in 0..self.rooms.len() {
            let Some(room) = &mut self.rooms[r] else {
                continue;
            };
            let slots = &mut self.slots;
            let free = &mut self.free_slots;
            room.members.retain(|&s| {
                let gone = slots[s]
                    .participant
                    .as_ref()
                    .is_none_or(|p| p.phase == Phase::Gone);
                if gone {
                    slots[s].participant = None;
                    slots[s].generation = slots[s].generation.wrapping_add(1);
                    free.push(s);
                }
                !gone
            });
            if room.members.is_empty() {
                self.by_name.remove(&room.name);
                self.rooms[r] = None;
                self.free_rooms.push(r);
            }
        }
    }

    fn room_index(&mut self, name: &str) -> usize {
        if let Some(&r) = self.by_name.get(name) {
            return r;
        }
        let room = Room {
            name: Arc::from(name),
            members: Vec::new(),
        };
        let name = room.name.clone();
        let r = match self.free_rooms.pop() {
            Some(r) => {
                self.rooms[r] = Some(room);
                r
            }
            None => {
                self.rooms.push(Some(room));
                self.rooms.len() - 1
            }
        };
        self.by_name.insert(name, r);
        r
    }

    /// `conference.join(room, mode)`: add `owner` to `room` (created on first use).
    pub fn join(
        &mut self,
        room: &str,
        owner: Owner,
        mode: Mode,
    ) -> Result<ParticipantId, ConferenceError> {
        self.reap();
        let r = self.room_index(room);
        if let Some((s, _)) = self.active_members(r).find(|&(_, o)| o == owner) {
            return Err(ConferenceError::AlreadyJoined(self.id_of(s)));
        }
        let existing: Vec<Owner> = self.active_members(r).map(|(_, o)| o).collect();

        let participant = Box::new(Participant {
            room: r,
            owner,
            mode,
            phase: Phase::FadeIn,
            has_input: false,
            frames: [[0; FRAME_SAMPLES]; 2],
            cur: 0,
            output: [0; FRAME_SAMPLES],
        });
        let s = match self.free_slots.pop() {
            Some(s) => s,
            None => {
                self.slots.push(Slot::default());
                self.slots.len() - 1
            }
        };
        self.slots[s].participant = Some(participant);
        // `reap` pushes onto these from management calls only, but keep them sized so that
        // it never has to grow them either.
        self.free_slots.reserve(self.slots.len());
        self.free_rooms.reserve(self.rooms.len());
        if let Some(room_ref) = &mut self.rooms[r] {
            room_ref.members.push(s);
        }

        let name = self.room_name(r);
        let size = existing.len() + 1;
        if existing.is_empty() {
            // SEMS: "the first participant gets its own NewParticipant message".
            self.push_event(owner, &name, RoomEventKind::ParticipantJoined, size, owner);
        } else {
            for o in existing {
                self.push_event(o, &name, RoomEventKind::ParticipantJoined, size, owner);
            }
        }
        Ok(self.id_of(s))
    }

    fn room_name(&self, r: usize) -> Arc<str> {
        self.rooms[r]
            .as_ref()
            .map_or_else(|| Arc::from(""), |room| room.name.clone())
    }

    fn push_event(
        &mut self,
        recipient: Owner,
        room: &Arc<str>,
        kind: RoomEventKind,
        participants: usize,
        subject: Owner,
    ) {
        self.events.push_back(RoomEvent {
            recipient,
            room: room.clone(),
            kind,
            participants,
            subject,
        });
    }

    /// `conference.leave`: the participant fades out during the next tick and is gone; its
    /// handle is invalid from now on.
    pub fn leave(&mut self, id: ParticipantId) -> Result<(), ConferenceError> {
        self.reap();
        let p = self
            .participant_mut(id)
            .filter(|p| p.phase.active())
            .ok_or(ConferenceError::UnknownParticipant)?;
        // A participant that never got mixed has nothing to fade out.
        p.phase = if p.phase == Phase::FadeIn {
            Phase::Gone
        } else {
            Phase::FadeOut
        };
        let (r, owner) = (p.room, p.owner);
        let remaining: Vec<Owner> = self.active_members(r).map(|(_, o)| o).collect();
        let name = self.room_name(r);
        let size = remaining.len();
        for o in remaining {
            self.push_event(o, &name, RoomEventKind::ParticipantLeft, size, owner);
        }
        Ok(())
    }

    /// `conference.rejoin(room, mode)`: leave, then join.
    pub fn rejoin(
        &mut self,
        id: ParticipantId,
        room: &str,
        mode: Mode,
    ) -> Result<ParticipantId, ConferenceError> {
        let owner = self
            .participant(id)
            .filter(|p| p.phase.active())
            .map(|p| p.owner)
            .ok_or(ConferenceError::UnknownParticipant)?;
        self.leave(id)?;
        self.join(room, owner, mode)
    }

    /// Every participant of `owner` leaves (the leg ends).
    pub fn leave_all(&mut self, owner: Owner) {
        let ids: Vec<ParticipantId> = (0..self.slots.len())
            .filter(|&s| {
                self.slots[s]
                    .participant
                    .as_deref()
                    .is_some_and(|p| p.owner == owner && p.phase.active())
            })
            .map(|s| self.id_of(s))
            .collect();
        for id in ids {
            let _ = self.leave(id);
        }
    }

    /// `conference.postEvent(room, id)`: event `id` to every member; returns how many got it.
    pub fn post_event(&mut self, room: &str, event_id: i32, from: Owner) -> usize {
        self.reap();
        let Some(&r) = self.by_name.get(room) else {
            return 0;
        };
        let members: Vec<Owner> = self.active_members(r).map(|(_, o)| o).collect();
        let name = self.room_name(r);
        let size = members.len();
        for o in members {
            self.push_event(o, &name, RoomEventKind::Posted(event_id), size, from);
        }
        size
    }

    /// `conference.size(room)`: members, every mode and tee counted; 0 for an unknown room.
    pub fn size(&mut self, room: &str) -> usize {
        self.reap();
        self.by_name
            .get(room)
            .map_or(0, |&r| self.active_members(r).count())
    }

    /// The next room event.
    pub fn poll_event(&mut self) -> Option<RoomEvent> {
        self.events.pop_front()
    }

    /// The participant's mode, while it is a member.
    pub fn mode(&self, id: ParticipantId) -> Option<Mode> {
        self.participant(id)
            .filter(|p| p.phase.active())
            .map(|p| p.mode)
    }

    /// The participant's room, while it is a member.
    pub fn room_of(&self, id: ParticipantId) -> Option<&str> {
        let p = self.participant(id).filter(|p| p.phase.active())?;
        self.rooms[p.room].as_ref().map(|r| &*r.name)
    }

    /// Hand in this tick's input. `false` if the participant has left (or never existed).
    /// Never allocates.
    pub fn put(&mut self, id: ParticipantId, input: &Frame) -> bool {
        match self.participant_mut(id) {
            Some(p) if p.phase.active() => {
                p.frames[p.cur] = *input;
                p.has_input = true;
                true
            }
            _ => false,
        }
    }

    /// What the participant hears, as of the last `tick` (silence for speak-only). `false` if
    /// the participant has left. Never allocates.
    pub fn get(&self, id: ParticipantId, out: &mut Frame) -> bool {
        match self.participant(id) {
            Some(p) if p.phase.active() => {
                *out = p.output;
                true
            }
            _ => false,
        }
    }

    /// Mix every room: read all inputs, then write all outputs. Never allocates.
    pub fn tick(&mut self) {
        let slots = &mut self.slots;
        for room in self.rooms.iter().flatten() {
            let mut sum = [0i32; FRAME_SAMPLES];
            // Pass 1: contributions (ramped while fading), summed.
            for &s in &room.members {
                let Some(p) = slots[s].participant.as_deref_mut() else {
                    continue;
                };
                let cur = p.cur;
                let [a, b] = &mut p.frames;
                let (input, last) = if cur == 0 { (a, &*b) } else { (b, &*a) };
                if !p.has_input && p.phase != Phase::FadeOut {
                    *input = [0; FRAME_SAMPLES];
                }
                match p.phase {
                    Phase::Gone => continue,
                    Phase::Steady => {}
                    Phase::FadeIn => {
                        for (k, x) in input.iter_mut().enumerate() {
                            *x = ramp_up(k, *x);
                        }
                    }
                    Phase::FadeOut => {
                        if !p.has_input {
                            // Played backwards, the last frame starts where it ended.
                            for (x, l) in input.iter_mut().zip(last.iter().rev()) {
                                *x = *l;
                            }
                        }
                        for (k, x) in input.iter_mut().enumerate() {
                            *x = ramp_down(k, *x);
                        }
                    }
                }
                if p.mode.speaks() {
                    for (acc, &x) in sum.iter_mut().zip(input.iter()) {
                        *acc += i32::from(x);
                    }
                }
            }
            // Pass 2: each listener hears the sum minus itself.
            for &s in &room.members {
                let Some(p) = slots[s].participant.as_deref_mut() else {
                    continue;
                };
                if !p.phase.active() {
                    continue;
                }
                if !p.mode.listens() {
                    p.output = [0; FRAME_SAMPLES];
                    continue;
                }
                let own_gain = i32::from(p.mode.speaks());
                let fading_in = p.phase == Phase::FadeIn;
                let samples = p
                    .output
                    .iter_mut()
                    .zip(sum.iter().zip(p.frames[p.cur].iter()));
                for (k, (o, (&acc, &x))) in samples.enumerate() {
                    let v = (acc - own_gain * i32::from(x))
                        .clamp(i32::from(i16::MIN), i32::from(i16::MAX))
                        as i16;
                    *o = if fading_in { ramp_up(k, v) } else { v };
                }
            }
            // Pass 3: advance.
            for &s in &room.members {
                let Some(p) = slots[s].participant.as_deref_mut() else {
                    continue;
                };
                p.cur ^= 1; // this tick's contribution becomes "last"
                p.has_input = false;
                p.phase = match p.phase {
                    Phase::FadeIn | Phase::Steady => Phase::Steady,
                    Phase::FadeOut | Phase::Gone => Phase::Gone,
                };
            }
        }
    }
}

impl ExternalAudio for Conference {
    fn get(&mut self, id: ExternalId, out: &mut Frame) -> bool {
        Conference::get(self, id.into(), out)
    }

    fn put(&mut self, id: ExternalId, input: &Frame) -> bool {
        Conference::put(self, id.into(), input)
    }
}
