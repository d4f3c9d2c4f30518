//! The 20 ms media path allocates nothing: a whole conference of legs with playlists, a
//! recorder, a tee and a mix-in, ticked under a counting global allocator. One test in this
//! binary, so no other test thread allocates while the counter runs.

use std::alloc::System;

use media::mixer::{Conference, MixIn, Mode, Owner};
use media::playlist::{Item, LegAudio, PromptCache};
use media::recorder::Recorder;
use media::tone::{DtmfParams, RingtoneParams, ToneGenerator};
use media::{FRAME_SAMPLES, Frame, wav};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn the_media_tick_does_not_allocate() {
    // Set-up may allocate: decode prompts, join rooms, fill playlists.
    let mut cache = PromptCache::new();
    let prompt = cache
        .insert("/prompts/hello.wav", &wav::encode(&vec![1000i16; 1234]))
        .expect("valid WAV");
    let mut conf = Conference::new();
    let mut legs: Vec<LegAudio> = (0..8).map(|_| LegAudio::new()).collect();
    for (i, leg) in legs.iter_mut().enumerate() {
        let p = leg.playlist_mut();
        // Items that end during the measured ticks (raising separator and noAudio events
        // is part of the path), then a conference channel.
        p.add(Item::file(prompt.clone(), false));
        p.add(Item::separator(i as u32));
        p.add(Item::silence_ms(30));
        p.add(Item::tone(ToneGenerator::ringtone(&RingtoneParams {
            length_ms: 500,
            ..RingtoneParams::default()
        })));
        for t in ToneGenerator::dtmf_sequence("1#", &DtmfParams::default()) {
            p.add(Item::tone(t));
        }
        let mode = [Mode::SpeakAndListen, Mode::ListenOnly, Mode::SpeakOnly][i % 3];
        let id = conf.join("room", Owner(i as u64), mode).expect("join");
        p.add(Item::external(id.into(), mode.listens(), mode.speaks()));
        if i == 7 {
            // The last leg plays a short file and then runs empty: a noAudio event.
            p.flush();
            p.add(Item::file(prompt.clone(), false));
            p.add_front(Item::silence_ms(50));
        }
    }
    let tee = conf.join("side", Owner(0), Mode::SpeakOnly).expect("tee");
    legs[0].tee_join(tee.into()).expect("tee");
    legs[1].record_file(Recorder::new());
    legs[2].setup_mix_in(MixIn::new(0.3, 1));
    if let Some(m) = legs[2].mix_in_mut() {
        m.play(prompt.clone());
    }
    let leaver = conf
        .join("room", Owner(99), Mode::SpeakAndListen)
        .expect("join");
    while conf.poll_event().is_some() {}
    let mut write_buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut input: Frame = [0; FRAME_SAMPLES];
    let mut output: Frame = [0; FRAME_SAMPLES];
    let mut playlist_events = 0;
    let mut recorder_writes = 0;

    let region = Region::new(GLOBAL);
    for t in 0..500u32 {
        for (i, leg) in legs.iter_mut().enumerate() {
            input.fill((t as i16).wrapping_mul(i as i16));
            leg.put(&input, &mut conf);
        }
        conf.put(leaver, &input);
        conf.tick();
        for leg in legs.iter_mut() {
            leg.get(&mut output, &mut conf);
            while leg.poll_event().is_some() {
                playlist_events += 1;
            }
        }
        if let Some(rec) = legs[1].recorder_mut() {
            while rec.poll_write(&mut write_buf).is_some() {
                recorder_writes += 1;
            }
        }
    }
    let stats = region.change();

    assert_eq!(stats.allocations, 0, "{stats:?}");
    assert_eq!(stats.reallocations, 0, "{stats:?}");
    assert_eq!(stats.deallocations, 0, "{stats:?}");
    // The path did do the work it claims to (items ended, events raised, bytes written).
    assert_eq!(playlist_events, 7 + 1, "seven separators and one noAudio");
    assert!(recorder_writes > 500, "{recorder_writes}");
    assert_eq!(legs[1].record_length_ms(), 10_000);
}
