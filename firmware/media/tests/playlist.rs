//! The playlist against SEMS's `AmPlaylist` semantics, the prompt cache, and a leg's audio
//! routing (recorder swap, tees, clear).

// Helpers outside #[test] functions unwrap too; a panic is a test failure.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::Arc;

use media::playlist::{
    Clip, ExternalAudio, ExternalId, Input, Item, LegAudio, NoAudioKind, NoExternal, Playlist,
    PlaylistEvent, PromptCache,
};
use media::recorder::Recorder;
use media::tone::{RingtoneParams, ToneGenerator};
use media::wav::{self, WavError};
use media::{FRAME_SAMPLES, Frame};

const NO_AUDIO: PlaylistEvent = PlaylistEvent::NoAudio(NoAudioKind::NoAudio);

/// A clip whose samples count up from `start`, so every sample says where it came from.
fn counting(start: i16, len: usize) -> Clip {
    (0..len)
        .map(|i| start + i as i16)
        .collect::<Vec<_>>()
        .into()
}

fn get(p: &mut Playlist) -> Frame {
    let mut f = [0x5555; FRAME_SAMPLES];
    p.get(&mut f, &mut NoExternal);
    f
}

fn events(p: &mut Playlist) -> Vec<PlaylistEvent> {
    std::iter::from_fn(|| p.poll_event()).collect()
}

#[test]
fn items_play_back_to_back_in_order_and_silence_follows() {
    let mut p = Playlist::new();
    p.add(Item::file(counting(1000, 200), false));
    p.add(Item::file(counting(5000, 100), false));
    p.add(Item::silence_ms(10)); // 80 samples
    p.add(Item::file(counting(9000, 30), false));

    let f1 = get(&mut p);
    assert_eq!(f1[..], counting(1000, 160)[..]);
    assert!(events(&mut p).is_empty());

    let f2 = get(&mut p);
    assert_eq!(f2[..40], counting(1160, 40)[..]);
    assert_eq!(f2[40..140], counting(5000, 100)[..]);
    assert!(
        f2[140..].iter().all(|&s| s == 0),
        "silence starts in the same frame"
    );
    assert!(events(&mut p).is_empty());

    let f3 = get(&mut p);
    assert!(
        f3[..60].iter().all(|&s| s == 0),
        "the rest of the 80 samples of silence"
    );
    assert_eq!(f3[60..90], counting(9000, 30)[..]);
    assert!(f3[90..].iter().all(|&s| s == 0));
    assert_eq!(
        events(&mut p),
        vec![NO_AUDIO],
        "raised in the tick that plays the last sample"
    );
    assert!(p.is_empty());
}

#[test]
fn the_empty_event_is_raised_exactly_once_per_emptying() {
    let mut p = Playlist::new();
    // An idle playlist never raises anything.
    for _ in 0..5 {
        assert!(get(&mut p).iter().all(|&s| s == 0));
    }
    assert!(events(&mut p).is_empty());

    p.add(Item::silence_ms(20));
    get(&mut p);
    assert_eq!(events(&mut p), vec![NO_AUDIO]);
    for _ in 0..50 {
        get(&mut p);
    }
    assert!(events(&mut p).is_empty(), "no repeat while idle");

    p.add(Item::file(counting(1, 10), false));
    get(&mut p);
    assert_eq!(
        events(&mut p),
        vec![NO_AUDIO],
        "again after the next item ends"
    );
}

#[test]
fn front_insertion_interrupts_and_the_interrupted_item_resumes() {
    let mut p = Playlist::new();
    p.add(Item::file(counting(0, 400), false));
    p.add(Item::file(counting(20_000, 10), false));
    let f1 = get(&mut p);
    assert_eq!(f1[..], counting(0, 160)[..]);

    p.add_front(Item::file(counting(10_000, 100), false));
    let f2 = get(&mut p);
    assert_eq!(f2[..100], counting(10_000, 100)[..]);
    assert_eq!(f2[100..], counting(160, 60)[..], "resumes where it stopped");
    let f3 = get(&mut p);
    assert_eq!(f3[..160], counting(220, 160)[..]);
    let f4 = get(&mut p);
    assert_eq!(f4[..20], counting(380, 20)[..]);
    assert_eq!(
        f4[20..30],
        counting(20_000, 10)[..],
        "then the rest of the queue"
    );
    assert_eq!(events(&mut p), vec![NO_AUDIO]);
}

#[test]
fn front_insertion_into_an_empty_playlist_plays_first() {
    let mut p = Playlist::new();
    p.add(Item::file(counting(100, 10), false));
    p.add_front(Item::file(counting(200, 10), false));
    let f = get(&mut p);
    assert_eq!(f[..10], counting(200, 10)[..]);
    assert_eq!(f[10..20], counting(100, 10)[..]);
}

#[test]
fn looped_files_repeat_seamlessly_until_flushed_without_event() {
    let mut p = Playlist::new();
    p.add(Item::file(counting(0, 70), true));
    p.add(Item::file(counting(9000, 5), false));
    let mut all = Vec::new();
    for _ in 0..10 {
        all.extend_from_slice(&get(&mut p));
    }
    for (i, &s) in all.iter().enumerate() {
        assert_eq!(s, (i % 70) as i16);
    }
    assert!(events(&mut p).is_empty(), "a loop never ends");
    p.flush();
    assert!(p.is_empty());
    assert!(get(&mut p).iter().all(|&s| s == 0));
    assert!(events(&mut p).is_empty(), "flush raises no event");
}

#[test]
fn an_empty_looped_file_does_not_hang() {
    let mut p = Playlist::new();
    p.add(Item::file(Arc::from(Vec::<i16>::new()), true));
    get(&mut p);
    assert_eq!(events(&mut p), vec![NO_AUDIO]);
}

#[test]
fn separators_raise_their_id_when_reached_and_take_no_time() {
    let mut p = Playlist::new();
    p.add(Item::file(counting(0, 200), false));
    p.add(Item::separator(7));
    p.add(Item::file(counting(5000, 50), false));
    p.add(Item::separator(8));

    get(&mut p);
    assert!(events(&mut p).is_empty());
    let f2 = get(&mut p);
    assert_eq!(
        f2[40..90],
        counting(5000, 50)[..],
        "no gap at the separator"
    );
    // Separator 8 is last, so noAudio follows it, in that order (SEMS: separator read,
    // then gotoNextItem finds nothing).
    assert_eq!(
        events(&mut p),
        vec![
            PlaylistEvent::Separator(7),
            PlaylistEvent::Separator(8),
            NO_AUDIO
        ]
    );
}

#[test]
fn separator_at_the_front_fires_on_the_next_tick() {
    let mut p = Playlist::new();
    p.add(Item::file(counting(0, 1000), false));
    get(&mut p);
    p.add_front(Item::separator(42));
    let f = get(&mut p);
    assert_eq!(f[..], counting(160, 160)[..]);
    assert_eq!(events(&mut p), vec![PlaylistEvent::Separator(42)]);
}

#[test]
fn close_is_flush() {
    let mut p = Playlist::new();
    p.add(Item::silence_ms(1000));
    p.add(Item::separator(1));
    get(&mut p);
    p.close();
    assert!(p.is_empty());
    get(&mut p);
    assert!(events(&mut p).is_empty());
}

#[test]
fn tone_items_play_for_their_length() {
    let mut p = Playlist::new();
    p.add(Item::tone(ToneGenerator::ringtone(&RingtoneParams {
        length_ms: 30,
        ..RingtoneParams::default()
    })));
    let f1 = get(&mut p);
    assert!(f1.iter().any(|&s| s != 0));
    let f2 = get(&mut p);
    assert!(f2[..80].iter().any(|&s| s != 0));
    assert!(f2[80..].iter().all(|&s| s == 0));
    assert_eq!(events(&mut p), vec![NO_AUDIO]);
}

/// An external source/sink for tests: plays `value` for each id, records what it was given.
#[derive(Default)]
struct FakeRoom {
    alive: HashMap<u64, i16>,
    heard: Vec<(u64, i16)>,
}

impl ExternalAudio for FakeRoom {
    fn get(&mut self, id: ExternalId, out: &mut Frame) -> bool {
        match self.alive.get(&id.0) {
            Some(&v) => {
                for (i, o) in out.iter_mut().enumerate() {
                    *o = v + i as i16;
                }
                true
            }
            None => false,
        }
    }
    fn put(&mut self, id: ExternalId, input: &Frame) -> bool {
        if self.alive.contains_key(&id.0) {
            self.heard.push((id.0, input[0]));
            true
        } else {
            false
        }
    }
}

#[test]
fn external_items_get_the_input_and_provide_the_output() {
    let mut room = FakeRoom::default();
    room.alive.insert(1, 100);
    let mut p = Playlist::new();
    p.add(Item::external(ExternalId(1), true, true));
    p.put(&[7; FRAME_SAMPLES], &mut room);
    let mut out = [0; FRAME_SAMPLES];
    p.get(&mut out, &mut room);
    assert_eq!(room.heard, vec![(1, 7)]);
    assert_eq!(out[0], 100);
    assert_eq!(out[159], 259);

    // The source ends (the participant left): the item is dropped, noAudio raised.
    room.alive.clear();
    p.get(&mut out, &mut room);
    assert!(out.iter().all(|&s| s == 0));
    assert_eq!(events(&mut p), vec![NO_AUDIO]);
}

#[test]
fn listen_only_and_speak_only_external_items() {
    let mut room = FakeRoom::default();
    room.alive.insert(1, 100);
    let mut listen = Playlist::new();
    listen.add(Item::external(ExternalId(1), true, false));
    listen.put(&[7; FRAME_SAMPLES], &mut room);
    assert!(room.heard.is_empty(), "listen-only: input dropped");

    let mut speak = Playlist::new();
    speak.add(Item::external(ExternalId(1), false, true));
    speak.put(&[9; FRAME_SAMPLES], &mut room);
    let mut out = [1; FRAME_SAMPLES];
    speak.get(&mut out, &mut room);
    assert_eq!(room.heard, vec![(1, 9)]);
    assert!(
        out.iter().all(|&s| s == 0),
        "speak-only: silence, and the item stays"
    );
    assert_eq!(speak.len(), 1);
}

#[test]
fn file_items_ignore_input_and_an_external_after_a_file_starts_mid_frame() {
    let mut room = FakeRoom::default();
    room.alive.insert(3, 1000);
    let mut p = Playlist::new();
    p.add(Item::file(counting(0, 100), false));
    p.add(Item::external(ExternalId(3), true, true));
    p.put(&[5; FRAME_SAMPLES], &mut room);
    assert!(room.heard.is_empty(), "the file is current: input dropped");
    let mut out = [0; FRAME_SAMPLES];
    p.get(&mut out, &mut room);
    assert_eq!(out[..100], counting(0, 100)[..]);
    // The real-time source's frame is used from the same position on.
    assert_eq!(out[100], 1100);
    p.put(&[6; FRAME_SAMPLES], &mut room);
    assert_eq!(room.heard, vec![(3, 6)]);
    p.remove_external(ExternalId(3));
    assert!(p.is_empty());
}

#[test]
fn put_moves_past_an_ended_sink() {
    let mut room = FakeRoom::default();
    room.alive.insert(2, 0);
    let mut p = Playlist::new();
    p.add(Item::external(ExternalId(1), true, true)); // gone
    p.add(Item::external(ExternalId(2), true, true));
    p.put(&[4; FRAME_SAMPLES], &mut room);
    assert_eq!(room.heard, vec![(2, 4)]);
    assert_eq!(p.len(), 1);
    assert!(
        events(&mut p).is_empty(),
        "not empty afterwards, so no noAudio"
    );
}

#[test]
fn recording_replaces_the_input_and_stop_restores_it() {
    let mut room = FakeRoom::default();
    room.alive.insert(1, 0);
    let mut leg = LegAudio::new();
    leg.playlist_mut()
        .add(Item::external(ExternalId(1), true, true));
    leg.put(&[1; FRAME_SAMPLES], &mut room);
    assert_eq!(room.heard.len(), 1);

    assert!(leg.record_file(Recorder::new()).is_none());
    assert_eq!(leg.input(), Input::Recorder);
    for _ in 0..50 {
        leg.put(&[2; FRAME_SAMPLES], &mut room);
        let mut out = [0; FRAME_SAMPLES];
        leg.get(&mut out, &mut room);
    }
    assert_eq!(
        room.heard.len(),
        1,
        "the conference no longer hears the caller"
    );
    assert_eq!(leg.record_length_ms(), 1000);
    assert_eq!(leg.record_data_size(), 16_000);

    let mut rec = leg.stop_record().unwrap();
    assert_eq!(leg.input(), Input::Playlist);
    leg.put(&[3; FRAME_SAMPLES], &mut room);
    assert_eq!(
        room.heard.last(),
        Some(&(1, 3)),
        "the playlist is the input again"
    );
    assert_eq!(leg.record_length_ms(), 0);

    rec.finish();
    let mut file = Vec::new();
    let mut buf = Vec::new();
    while let Some(at) = rec.poll_write(&mut buf) {
        let at = at.offset as usize;
        if file.len() < at + buf.len() {
            file.resize(at + buf.len(), 0);
        }
        file[at..at + buf.len()].copy_from_slice(&buf);
    }
    let d = wav::decode(&file).unwrap();
    assert_eq!(d.samples.len(), 8000);
    assert!(d.samples.iter().all(|&s| s == 2));
}

#[test]
fn tees_receive_the_input_before_the_playlist() {
    let mut room = FakeRoom::default();
    room.alive.insert(1, 0);
    room.alive.insert(9, 0);
    let mut leg = LegAudio::new();
    leg.playlist_mut()
        .add(Item::external(ExternalId(1), true, true));
    leg.tee_join(ExternalId(9)).unwrap();
    assert!(leg.tee_join(ExternalId(9)).is_err());
    leg.put(&[5; FRAME_SAMPLES], &mut room);
    assert_eq!(room.heard, vec![(9, 5), (1, 5)]);
    // SEMS's teeleave: setInOutPlaylist drops the tee.
    leg.set_in_out_playlist();
    leg.put(&[6; FRAME_SAMPLES], &mut room);
    assert_eq!(room.heard.last(), Some(&(1, 6)));
    assert_eq!(room.heard.len(), 3);
    // A tee whose room is gone is dropped by itself.
    leg.tee_join(ExternalId(77)).unwrap();
    leg.put(&[7; FRAME_SAMPLES], &mut room);
    assert!(!leg.tee_leave(ExternalId(77)));
}

#[test]
fn clear_audio_raises_cleared_and_silences_the_leg() {
    let mut leg = LegAudio::new();
    leg.playlist_mut().add(Item::file(counting(1, 1000), false));
    leg.clear_audio();
    let mut out = [1; FRAME_SAMPLES];
    leg.get(&mut out, &mut NoExternal);
    assert!(out.iter().all(|&s| s == 0));
    assert_eq!(
        leg.poll_event(),
        Some(PlaylistEvent::NoAudio(NoAudioKind::Cleared))
    );
    assert_eq!(leg.poll_event(), None);
    assert_eq!(NoAudioKind::Cleared.as_str(), "cleared");
    assert_eq!(NoAudioKind::NoAudio.as_str(), "noAudio");
}

#[test]
fn prompt_cache_decodes_once_and_shares() {
    let mut cache = PromptCache::new();
    assert!(cache.get("/p/hello.wav").is_none());
    let bytes = wav::encode(&[1, 2, 3]);
    let a = cache.insert("/p/hello.wav", &bytes).unwrap();
    let b = cache.get("/p/hello.wav").unwrap().unwrap();
    assert!(Arc::ptr_eq(&a, &b), "one decoded copy, shared");
    assert_eq!(&a[..], &[1, 2, 3]);

    assert_eq!(cache.insert("/p/bad.wav", b"junk"), Err(WavError::NotWave));
    assert!(cache.contains("/p/bad.wav"));
    assert_eq!(
        cache.get("/p/bad.wav"),
        Some(Err(WavError::NotWave)),
        "the error is cached"
    );
    assert!(cache.remove("/p/bad.wav"));
    assert!(!cache.contains("/p/bad.wav"));
    assert_eq!(cache.decoded_bytes(), 6);
    cache.clear();
    assert!(cache.is_empty());
    assert_eq!(
        &b[..],
        &[1, 2, 3],
        "a playing clip outlives the cache entry"
    );
}

#[test]
fn prompt_cache_budget_evicts_unused_entries_oldest_first() {
    let mut cache = PromptCache::with_budget_bytes(4000);
    let f = wav::encode(&[0; 1000]); // 2000 bytes decoded
    let playing = cache.insert("a", &f).unwrap();
    cache.insert("b", &f).unwrap();
    cache.insert("c", &f).unwrap();
    // "a" is in use, so "b" (the oldest unused) went.
    assert!(cache.contains("a"));
    assert!(!cache.contains("b"));
    assert!(cache.contains("c"));
    assert!(cache.decoded_bytes() <= 4000);
    drop(playing);
    let big = wav::encode(&[0; 3000]);
    assert!(
        cache.insert("big", &big).is_ok(),
        "returned even when too big to keep"
    );
    assert!(!cache.contains("big"));
}
