//! The N−1 conference mixer: nobody hears itself, everyone hears the others at their level,
//! saturation, modes, click-free join and leave, room events, tee, and the file mix-in.

// Helpers outside #[test] functions unwrap too; a panic is a test failure.
#![allow(clippy::unwrap_used)]

use media::mixer::{
    Conference, ConferenceError, MixIn, Mode, Owner, ParticipantId, RoomEvent, RoomEventKind,
};
use media::playlist::{ExternalId, Item, LegAudio};
use media::{FRAME_SAMPLES, Frame};

fn amplitude_at(x: &[i16], freq: f64) -> f64 {
    let (mut a, mut b) = (0.0, 0.0);
    for (n, &s) in x.iter().enumerate() {
        let w = 2.0 * std::f64::consts::PI * freq * n as f64 / 8000.0;
        a += f64::from(s) * w.cos();
        b += f64::from(s) * w.sin();
    }
    2.0 * (a * a + b * b).sqrt() / x.len() as f64
}

/// Frame `t` of a sine (continuous across frames).
fn sine_frame(freq: f64, amp: f64, t: usize) -> Frame {
    let mut f = [0; FRAME_SAMPLES];
    for (i, s) in f.iter_mut().enumerate() {
        let n = (t * FRAME_SAMPLES + i) as f64;
        *s = (amp * (2.0 * std::f64::consts::PI * freq * n / 8000.0).sin()).round() as i16;
    }
    f
}

fn max_step(x: &[i16]) -> i32 {
    x.windows(2)
        .map(|w| (i32::from(w[1]) - i32::from(w[0])).abs())
        .max()
        .unwrap_or(0)
}

fn drain(c: &mut Conference) -> Vec<RoomEvent> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

#[test]
fn nobody_hears_itself_and_everyone_hears_the_exact_sum_of_the_others() {
    let freqs = [300.0, 500.0, 700.0, 1100.0, 1300.0, 1700.0, 2300.0];
    let mut c = Conference::new();
    let ids: Vec<ParticipantId> = (0..freqs.len())
        .map(|i| c.join("r", Owner(i as u64), Mode::SpeakAndListen).unwrap())
        .collect();
    let mut heard: Vec<Vec<i16>> = vec![Vec::new(); ids.len()];
    for t in 0..60 {
        let inputs: Vec<Frame> = freqs.iter().map(|&f| sine_frame(f, 3000.0, t)).collect();
        for (id, f) in ids.iter().zip(&inputs) {
            assert!(c.put(*id, f));
        }
        c.tick();
        for (j, id) in ids.iter().enumerate() {
            let mut out = [0; FRAME_SAMPLES];
            assert!(c.get(*id, &mut out));
            if t > 0 {
                // After the join fade, the output is bit-exactly the sum of the others.
                for k in 0..FRAME_SAMPLES {
                    let want: i32 = (0..ids.len())
                        .filter(|&i| i != j)
                        .map(|i| i32::from(inputs[i][k]))
                        .sum();
                    assert_eq!(i32::from(out[k]), want, "participant {j} tick {t}");
                }
                heard[j].extend_from_slice(&out);
            }
        }
    }
    for (j, h) in heard.iter().enumerate() {
        assert!(amplitude_at(h, freqs[j]) < 0.5, "{j} hears itself");
        for (i, &f) in freqs.iter().enumerate() {
            if i != j {
                assert!((amplitude_at(h, f) - 3000.0).abs() < 3.0, "{j} hears {i}");
            }
        }
    }
}

#[test]
fn three_participants_hear_each_others_tones_at_their_levels() {
    let tones = [(400.0, 4000.0), (1000.0, 2000.0), (1700.0, 1000.0)];
    let mut c = Conference::new();
    let ids: Vec<_> = (0..3)
        .map(|i| c.join("trio", Owner(i), Mode::SpeakAndListen).unwrap())
        .collect();
    let mut heard = vec![Vec::new(); 3];
    for t in 0..100 {
        for (id, &(f, a)) in ids.iter().zip(&tones) {
            c.put(*id, &sine_frame(f, a, t));
        }
        c.tick();
        for (j, id) in ids.iter().enumerate() {
            let mut out = [0; FRAME_SAMPLES];
            c.get(*id, &mut out);
            if t >= 1 {
                heard[j].extend_from_slice(&out);
            }
        }
    }
    for (j, h) in heard.iter().enumerate() {
        for (i, &(f, a)) in tones.iter().enumerate() {
            let got = amplitude_at(h, f);
            if i == j {
                assert!(got < 0.5, "{j} hears its own {f} Hz at {got}");
            } else {
                assert!(
                    (got - a).abs() / a < 0.002,
                    "{j} hears {f} Hz at {got}, want {a}"
                );
            }
        }
    }
}

fn run_tick(c: &mut Conference, inputs: &[(ParticipantId, Frame)]) -> Vec<Frame> {
    for (id, f) in inputs {
        c.put(*id, f);
    }
    c.tick();
    inputs
        .iter()
        .map(|(id, _)| {
            let mut out = [0; FRAME_SAMPLES];
            c.get(*id, &mut out);
            out
        })
        .collect()
}

#[test]
fn sums_accumulate_in_32_bits_and_saturate_only_at_the_output() {
    let mut c = Conference::new();
    let a = c.join("s", Owner(1), Mode::SpeakAndListen).unwrap();
    let b = c.join("s", Owner(2), Mode::SpeakAndListen).unwrap();
    let d = c.join("s", Owner(3), Mode::SpeakAndListen).unwrap();
    let l = c.join("s", Owner(4), Mode::ListenOnly).unwrap();
    let inputs = [
        (a, [30000; FRAME_SAMPLES]),
        (b, [30000; FRAME_SAMPLES]),
        (d, [-30000; FRAME_SAMPLES]),
    ];
    let mut with_l = inputs.to_vec();
    with_l.push((l, [0; FRAME_SAMPLES]));
    run_tick(&mut c, &with_l); // fade-in tick
    let out = run_tick(&mut c, &with_l);
    // a hears 30000 - 30000 = 0 although the room's sum passed through 60000.
    assert!(out[0].iter().all(|&s| s == 0));
    assert!(
        out[2].iter().all(|&s| s == 32767),
        "d hears 60000, saturated, not wrapped"
    );
    assert!(
        out[3].iter().all(|&s| s == 30000),
        "the listener hears the whole sum"
    );
    let neg = [
        (a, [-30000; FRAME_SAMPLES]),
        (b, [-30000; FRAME_SAMPLES]),
        (d, [0; FRAME_SAMPLES]),
        (l, [0; FRAME_SAMPLES]),
    ];
    let out = run_tick(&mut c, &neg);
    assert!(out[2].iter().all(|&s| s == -32768));
}

#[test]
fn listen_only_is_not_heard_and_speak_only_hears_nothing() {
    let mut c = Conference::new();
    let talker = c.join("m", Owner(1), Mode::SpeakAndListen).unwrap();
    let listener = c.join("m", Owner(2), Mode::ListenOnly).unwrap();
    let speaker = c.join("m", Owner(3), Mode::SpeakOnly).unwrap();
    assert_eq!(c.mode(listener), Some(Mode::ListenOnly));
    let mut outs = Vec::new();
    for _ in 0..3 {
        outs = run_tick(
            &mut c,
            &[
                (talker, [100; FRAME_SAMPLES]),
                (listener, [1000; FRAME_SAMPLES]),
                (speaker, [10; FRAME_SAMPLES]),
            ],
        );
    }
    assert!(
        outs[0].iter().all(|&s| s == 10),
        "talker hears the speaker, not the listener"
    );
    assert!(
        outs[1].iter().all(|&s| s == 110),
        "listener hears both speakers"
    );
    assert!(outs[2].iter().all(|&s| s == 0), "speak-only hears nothing");
    assert_eq!(Mode::from_sems(""), Some(Mode::SpeakAndListen));
    assert_eq!(Mode::from_sems("speakonly"), Some(Mode::SpeakOnly));
    assert_eq!(Mode::from_sems("listenonly"), Some(Mode::ListenOnly));
    assert_eq!(Mode::from_sems("mute"), None);
}

/// The largest sample-to-sample step of `sine_frame(1000.0, 8000.0, _)`.
const SINE_STEP: i32 = 5657; // samples 45° apart from phase 0: 8000 · sin(45°)

#[test]
fn join_and_leave_fade_over_one_frame_without_clicks() {
    let mut c = Conference::new();
    let talker = c.join("f", Owner(1), Mode::SpeakAndListen).unwrap();
    let listener = c.join("f", Owner(2), Mode::ListenOnly).unwrap();
    let mut heard = Vec::new();
    let mut t = 0;
    let mut tick =
        |c: &mut Conference, extra: Option<(ParticipantId, Frame)>, heard: &mut Vec<i16>| {
            let mut ins = vec![
                (talker, sine_frame(1000.0, 8000.0, t)),
                (listener, [0; FRAME_SAMPLES]),
            ];
            ins.extend(extra);
            let outs = run_tick(c, &ins);
            heard.extend_from_slice(&outs[1]);
            t += 1;
        };
    for _ in 0..5 {
        tick(&mut c, None, &mut heard);
    }
    // A participant with a huge DC offset joins: without a fade that would be a 20000 step.
    let dc = [20000i16; FRAME_SAMPLES];
    let newcomer = c.join("f", Owner(3), Mode::SpeakAndListen).unwrap();
    let join_at = heard.len();
    for _ in 0..5 {
        tick(&mut c, Some((newcomer, dc)), &mut heard);
    }
    // Full contribution after one frame.
    let after = &heard[join_at + FRAME_SAMPLES..join_at + 2 * FRAME_SAMPLES];
    let talker_part = sine_frame(1000.0, 8000.0, 6);
    for (h, s) in after.iter().zip(talker_part.iter()) {
        assert_eq!(i32::from(*h), i32::from(*s) + 20000);
    }
    // It leaves without putting again: faded out on its last frame reversed.
    c.leave(newcomer).unwrap();
    let leave_at = heard.len();
    for _ in 0..5 {
        tick(&mut c, None, &mut heard);
    }
    let gone = &heard[leave_at + FRAME_SAMPLES..leave_at + 2 * FRAME_SAMPLES];
    assert_eq!(
        gone,
        &sine_frame(1000.0, 8000.0, 12)[..],
        "gone after the fade frame"
    );

    let max_join = max_step(&heard[join_at - 1..join_at + FRAME_SAMPLES + 1]);
    let max_leave = max_step(&heard[leave_at - 1..leave_at + FRAME_SAMPLES + 1]);
    let ramp = 20000 / FRAME_SAMPLES as i32 + 1;
    assert!(max_join <= SINE_STEP + ramp + 2, "join step {max_join}");
    assert!(max_leave <= SINE_STEP + ramp + 2, "leave step {max_leave}");
    assert!(max_step(&heard) <= SINE_STEP + ramp + 2);
}

#[test]
fn leaving_with_a_fresh_input_fades_that_input() {
    let mut c = Conference::new();
    let a = c.join("x", Owner(1), Mode::SpeakAndListen).unwrap();
    let b = c.join("x", Owner(2), Mode::SpeakAndListen).unwrap();
    run_tick(
        &mut c,
        &[(a, [0; FRAME_SAMPLES]), (b, [16000; FRAME_SAMPLES])],
    );
    run_tick(
        &mut c,
        &[(a, [0; FRAME_SAMPLES]), (b, [16000; FRAME_SAMPLES])],
    );
    c.put(b, &[16000; FRAME_SAMPLES]);
    c.put(a, &[0; FRAME_SAMPLES]);
    // b leaves after putting: the put of a departed participant is refused...
    c.leave(b).unwrap();
    assert!(!c.put(b, &[1; FRAME_SAMPLES]));
    c.tick();
    let mut out = [0; FRAME_SAMPLES];
    c.get(a, &mut out);
    // ...but the input it gave before leaving fades from 16000 to 0.
    assert_eq!(out[0], (16000 * 159 / 160) as i16);
    assert_eq!(out[159], 0);
    assert!(max_step(&out) <= 101);
    let mut stale = [0; FRAME_SAMPLES];
    assert!(
        !c.get(b, &mut stale),
        "a departed participant has no output"
    );
}

#[test]
fn the_newcomer_hears_the_room_fade_in() {
    let mut c = Conference::new();
    let a = c.join("n", Owner(1), Mode::SpeakAndListen).unwrap();
    run_tick(&mut c, &[(a, [8000; FRAME_SAMPLES])]);
    let b = c.join("n", Owner(2), Mode::SpeakAndListen).unwrap();
    let outs = run_tick(
        &mut c,
        &[(a, [8000; FRAME_SAMPLES]), (b, [0; FRAME_SAMPLES])],
    );
    assert_eq!(outs[1][0], 50);
    assert_eq!(outs[1][159], 8000);
}

#[test]
fn room_events_follow_sems() {
    let mut c = Conference::new();
    let a = c.join("room", Owner(1), Mode::SpeakAndListen).unwrap();
    let ev = drain(&mut c);
    assert_eq!(
        ev.len(),
        1,
        "the first participant gets its own joined event"
    );
    assert_eq!(
        (
            ev[0].recipient,
            ev[0].kind,
            ev[0].participants,
            ev[0].subject
        ),
        (Owner(1), RoomEventKind::ParticipantJoined, 1, Owner(1))
    );
    assert_eq!(&*ev[0].room, "room");

    let _b = c.join("room", Owner(2), Mode::SpeakAndListen).unwrap();
    let ev = drain(&mut c);
    assert_eq!(ev.len(), 1, "only existing members are told");
    assert_eq!(
        (ev[0].recipient, ev[0].participants, ev[0].subject),
        (Owner(1), 2, Owner(2))
    );

    let cc = c.join("room", Owner(3), Mode::ListenOnly).unwrap();
    let recipients: Vec<_> = drain(&mut c)
        .iter()
        .map(|e| (e.recipient, e.participants))
        .collect();
    assert_eq!(recipients, vec![(Owner(1), 3), (Owner(2), 3)]);
    assert_eq!(c.size("room"), 3);

    assert_eq!(c.post_event("room", 42, Owner(2)), 3);
    let ev = drain(&mut c);
    assert_eq!(ev.len(), 3);
    assert!(ev.iter().all(|e| e.kind == RoomEventKind::Posted(42)
        && e.subject == Owner(2)
        && e.participants == 3));
    assert_eq!(RoomEventKind::Posted(42).sems_id(), 42);
    assert_eq!(RoomEventKind::ParticipantJoined.sems_id(), 1);
    assert_eq!(RoomEventKind::ParticipantLeft.sems_id(), 2);
    assert_eq!(c.post_event("nowhere", 1, Owner(2)), 0);

    c.leave(a).unwrap();
    let ev = drain(&mut c);
    let left: Vec<_> = ev
        .iter()
        .map(|e| (e.recipient, e.kind, e.participants, e.subject))
        .collect();
    assert_eq!(
        left,
        vec![
            (Owner(2), RoomEventKind::ParticipantLeft, 2, Owner(1)),
            (Owner(3), RoomEventKind::ParticipantLeft, 2, Owner(1)),
        ]
    );
    assert_eq!(c.size("room"), 2);
    assert_eq!(c.leave(a), Err(ConferenceError::UnknownParticipant));

    // rejoin = leave + join, with a new handle and mode.
    let cc2 = c.rejoin(cc, "other", Mode::SpeakAndListen).unwrap();
    assert_eq!(c.room_of(cc2), Some("other"));
    assert_eq!(c.size("room"), 1);
    assert_eq!(c.size("other"), 1);
    assert!(c.room_of(cc).is_none());
}

#[test]
fn joining_twice_is_refused_and_stale_handles_are_rejected() {
    let mut c = Conference::new();
    let a = c.join("r", Owner(1), Mode::SpeakAndListen).unwrap();
    assert_eq!(
        c.join("r", Owner(1), Mode::ListenOnly),
        Err(ConferenceError::AlreadyJoined(a))
    );
    c.leave(a).unwrap();
    c.tick();
    // The slot is reused by the next participant; the old handle stays dead.
    let b = c.join("r", Owner(2), Mode::SpeakAndListen).unwrap();
    assert_ne!(a, b);
    assert!(!c.put(a, &[0; FRAME_SAMPLES]));
    assert_eq!(c.leave(a), Err(ConferenceError::UnknownParticipant));
    c.leave_all(Owner(2));
    c.tick();
    assert_eq!(c.size("r"), 0);
    // A handle survives the ExternalId round trip.
    assert_eq!(ParticipantId::from(ExternalId::from(b)), b);
}

#[test]
fn rooms_are_independent() {
    let mut c = Conference::new();
    let a1 = c.join("one", Owner(1), Mode::SpeakAndListen).unwrap();
    let a2 = c.join("one", Owner(2), Mode::SpeakAndListen).unwrap();
    let b1 = c.join("two", Owner(3), Mode::SpeakAndListen).unwrap();
    let b2 = c.join("two", Owner(4), Mode::SpeakAndListen).unwrap();
    let mut outs = Vec::new();
    for _ in 0..2 {
        outs = run_tick(
            &mut c,
            &[
                (a1, [1; FRAME_SAMPLES]),
                (a2, [2; FRAME_SAMPLES]),
                (b1, [300; FRAME_SAMPLES]),
                (b2, [400; FRAME_SAMPLES]),
            ],
        );
    }
    assert_eq!(
        [outs[0][0], outs[1][0], outs[2][0], outs[3][0]],
        [2, 1, 400, 300]
    );
}

/// Three legs in a room through their playlists, one of them also teed into a second room,
/// driven in SEMS's order: put every leg, tick, get every leg.
#[test]
fn legs_conference_through_playlists_and_tee() {
    let mut conf = Conference::new();
    let mut legs: Vec<LegAudio> = (0..3).map(|_| LegAudio::new()).collect();
    for (i, leg) in legs.iter_mut().enumerate() {
        let id = conf
            .join("main", Owner(i as u64), Mode::SpeakAndListen)
            .unwrap();
        leg.playlist_mut()
            .add(Item::external(id.into(), true, true));
    }
    // Leg 0 also speaks into "side", where a listener sits.
    let tee = conf.join("side", Owner(0), Mode::SpeakOnly).unwrap();
    legs[0].tee_join(tee.into()).unwrap();
    let side_listener = conf.join("side", Owner(9), Mode::ListenOnly).unwrap();

    let voices = [100i16, 20, 3];
    let mut outs = [[0i16; FRAME_SAMPLES]; 3];
    let mut side = [0; FRAME_SAMPLES];
    for _ in 0..3 {
        for (leg, v) in legs.iter_mut().zip(voices) {
            leg.put(&[v; FRAME_SAMPLES], &mut conf);
        }
        conf.tick();
        for (leg, out) in legs.iter_mut().zip(outs.iter_mut()) {
            leg.get(out, &mut conf);
        }
        conf.get(side_listener, &mut side);
    }
    assert_eq!([outs[0][0], outs[1][0], outs[2][0]], [23, 103, 120]);
    assert_eq!(side[0], 100, "the tee room hears leg 0 only");
    assert_eq!(conf.size("side"), 2);
}

#[test]
fn mix_in_at_a_level_plays_once_when_immediate() {
    let mut m = MixIn::new(0.5, 0);
    let clip: Vec<i16> = vec![10000; 200];
    m.play(clip.into());
    let mut f = [8000; FRAME_SAMPLES];
    m.process(&mut f);
    assert!(f.iter().all(|&s| s == 4000 + 5000), "A·(1−l) + B·l");
    let mut f = [8000; FRAME_SAMPLES];
    m.process(&mut f);
    assert!(f[..40].iter().all(|&s| s == 9000));
    assert!(
        f[40..].iter().all(|&s| s == 4000),
        "the rest of the frame in which B ended"
    );
    let mut f = [8000; FRAME_SAMPLES];
    m.process(&mut f);
    assert!(f.iter().all(|&s| s == 8000), "once: A alone afterwards");
    assert!(!m.is_mixing());
}

#[test]
fn mix_in_repeats_every_interval_and_low_level_replaces() {
    let mut m = MixIn::new(0.0, 1); // replace, every second
    m.play(vec![7; 160].into());
    let mut starts = Vec::new();
    for t in 0..160 {
        let mut f = [1; FRAME_SAMPLES];
        m.process(&mut f);
        if f[0] == 7 {
            starts.push(t);
        } else {
            assert!(f.iter().all(|&s| s == 1));
        }
    }
    assert_eq!(
        starts,
        vec![50, 100, 150],
        "starts 1 s after play, then every second"
    );
}

#[test]
fn mix_in_list_keeps_mixing_and_can_be_flushed() {
    let mut m = MixIn::new(0.25, 0);
    m.play_list(vec![4000; 100].into(), false);
    let mut f = [4000; FRAME_SAMPLES];
    m.process(&mut f);
    assert_eq!(f[0], 3000 + 1000);
    assert_eq!(
        f[120], 3000,
        "list empty: silence mixed, A stays at 1−l (as SEMS)"
    );
    m.play_list(vec![4000; 10].into(), false);
    m.flush_list();
    let mut f = [4000; FRAME_SAMPLES];
    m.process(&mut f);
    assert_eq!(f[0], 3000);
}

#[test]
fn mix_in_on_a_leg_is_detached_by_set_in_out_playlist() {
    let mut leg = LegAudio::new();
    leg.playlist_mut()
        .add(Item::file(vec![1000; 1000].into(), false));
    leg.setup_mix_in(MixIn::new(0.5, 0));
    leg.mix_in_mut().unwrap().play(vec![3000; 1000].into());
    let mut out = [0; FRAME_SAMPLES];
    leg.get(&mut out, &mut media::playlist::NoExternal);
    assert_eq!(out[0], 500 + 1500);
    leg.set_in_out_playlist();
    leg.get(&mut out, &mut media::playlist::NoExternal);
    assert_eq!(out[0], 1000);
}
