//! Jitter-buffer scenarios on a virtual clock: a sender streams a 440 Hz sine as G.711
//! packets over a seeded network model (delay, jitter that reorders, loss, duplicates, a
//! sender clock off by ±0.1 %), the receiver pops one frame per 20 ms tick. Checked: exactly
//! one frame per tick, the buffer neither grows without bound nor starves, concealment keeps
//! a lost packet from being a gap or a click, and the delay adapts to the link.

#![allow(clippy::unwrap_used)] // a test binary: a panic is the failure report

use media::g711::Law;
use media::jitter::{JitterBuffer, JitterStats};
use media::{FRAME_SAMPLES, Frame};

/// SplitMix64: the network model's dice.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Clone, Copy)]
struct Link {
    seconds: u32,
    loss: f64,
    duplicate: f64,
    base_delay_ms: f64,
    /// Uniform extra delay 0..jitter_ms per packet (reorders when above the packet interval).
    jitter_ms: f64,
    /// Sender clock rate error: +0.001 is a sender 0.1 % fast.
    drift: f64,
    ptime_samples: usize,
    seed: u64,
    /// At this many seconds, the sender's timestamps jump by this many samples, with or
    /// without the marker bit on the first packet after the jump.
    ts_jump: Option<(f64, i64, bool)>,
}

const LAN: Link = Link {
    seconds: 60,
    loss: 0.0,
    duplicate: 0.0,
    base_delay_ms: 1.0,
    jitter_ms: 2.0,
    drift: 0.0,
    ptime_samples: 160,
    seed: 1,
    ts_jump: None,
};

const AMPLITUDE: f64 = 8000.0;
const FREQ: f64 = 440.0;

fn sine(n: u64) -> i16 {
    (AMPLITUDE * (2.0 * std::f64::consts::PI * FREQ * n as f64 / 8000.0).sin()) as i16
}

struct Outcome {
    out: Vec<i16>,
    ticks: u64,
    stats: JitterStats,
    /// Buffered samples after each pop.
    depth: Vec<u32>,
    packets_sent: u64,
}

fn run(link: Link) -> Outcome {
    let mut rng = Rng(link.seed);
    let mut jb = JitterBuffer::default();
    let ptime_s = link.ptime_samples as f64 / 8000.0;
    let total_s = f64::from(link.seconds);
    // Every arrival: (time, timestamp, payload).
    let mut arrivals: Vec<(f64, u32, bool, Vec<u8>)> = Vec::new();
    let ts0: u32 = 0xFFFF_0000; // wraps about 8 s in
    let mut k: u64 = 0;
    loop {
        let send_at = k as f64 * ptime_s / (1.0 + link.drift);
        if send_at > total_s {
            break;
        }
        let first = k * link.ptime_samples as u64;
        let mut payload = vec![0u8; link.ptime_samples];
        let pcm: Vec<i16> = (0..link.ptime_samples as u64)
            .map(|i| sine(first + i))
            .collect();
        Law::Ulaw.encode(&pcm, &mut payload);
        let mut ts = ts0.wrapping_add(first as u32);
        let mut marker = false;
        if let Some((at, jump, with_marker)) = link.ts_jump
            && send_at >= at
        {
            ts = ts.wrapping_add(jump as u32);
            marker = with_marker && (send_at - at) < ptime_s;
        }
        if rng.unit() >= link.loss || marker {
            let at = send_at + (link.base_delay_ms + rng.unit() * link.jitter_ms) / 1000.0;
            arrivals.push((at, ts, marker, payload.clone()));
            if rng.unit() < link.duplicate {
                let again = send_at + (link.base_delay_ms + rng.unit() * link.jitter_ms) / 1000.0;
                arrivals.push((again, ts, marker, payload));
            }
        }
        k += 1;
    }
    let packets_sent = k;
    arrivals.sort_by(|a, b| a.0.total_cmp(&b.0));
    let ticks = u64::from(link.seconds) * 50;
    let mut out = Vec::with_capacity(ticks as usize * FRAME_SAMPLES);
    let mut depth = Vec::with_capacity(ticks as usize);
    let mut next = 0;
    // The receiver's tick phase is arbitrary relative to the sender.
    let phase = 0.0073;
    for j in 0..ticks {
        let now = phase + j as f64 * 0.020;
        while next < arrivals.len() && arrivals[next].0 <= now {
            let (_, ts, marker, ref p) = arrivals[next];
            jb.push(ts, marker, Law::Ulaw, p);
            next += 1;
        }
        let f: Frame = jb.pop();
        out.extend_from_slice(&f);
        depth.push(jb.buffered_samples());
    }
    Outcome {
        out,
        ticks,
        stats: jb.stats(),
        depth,
        packets_sent,
    }
}

/// Largest step between neighbouring samples, relative to the sine's own largest step.
fn worst_step(out: &[i16]) -> f64 {
    let sine_step = AMPLITUDE * 2.0 * std::f64::consts::PI * FREQ / 8000.0;
    out.windows(2)
        .map(|w| (f64::from(w[1]) - f64::from(w[0])).abs())
        .fold(0.0, f64::max)
        / sine_step
}

/// Fraction of 20 ms frames (after the start) whose energy is mostly at 440 Hz.
fn tonal_fraction(out: &[i16]) -> f64 {
    let frames: Vec<&[i16]> = out.chunks(FRAME_SAMPLES).skip(10).collect();
    let good = frames
        .iter()
        .filter(|f| {
            let w = 2.0 * std::f64::consts::PI * FREQ / 8000.0;
            let (mut re, mut im, mut e) = (0.0, 0.0, 0.0);
            for (n, &s) in f.iter().enumerate() {
                let s = f64::from(s);
                re += s * (w * n as f64).cos();
                im += s * (w * n as f64).sin();
                e += s * s;
            }
            // Power at 440 Hz over the frame's total: 1.0 for a pure tone.
            e > 0.0 && 2.0 * (re * re + im * im) / (FRAME_SAMPLES as f64 * e) > 0.8
        })
        .count();
    good as f64 / frames.len() as f64
}

fn rms(out: &[i16]) -> f64 {
    let tail = &out[out.len() / 10..];
    (tail.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / tail.len() as f64).sqrt()
}

fn report(name: &str, o: &Outcome) {
    let s = o.stats;
    let max_depth = o.depth[o.depth.len() / 4..].iter().max().unwrap();
    eprintln!(
        "{name}: ticks {} sent {} stored {} late {} dup {} concealed {} dropped {} inserted {} \
         resync {} max depth {:.1} ms worst step {:.2} tonal {:.3} rms {:.0}",
        o.ticks,
        o.packets_sent,
        s.packets_stored,
        s.packets_late,
        s.packets_duplicate,
        s.frames_concealed,
        s.frames_dropped,
        s.frames_inserted,
        s.resyncs,
        f64::from(*max_depth) / 8.0,
        worst_step(&o.out),
        tonal_fraction(&o.out),
        rms(&o.out),
    );
}

fn common_checks(o: &Outcome) {
    assert_eq!(o.stats.frames_out, o.ticks, "one frame per tick");
    assert_eq!(o.out.len() as u64, o.ticks * FRAME_SAMPLES as u64);
}

#[test]
fn clean_lan_plays_bit_exact_after_the_initial_delay() {
    let o = run(LAN);
    report("lan", &o);
    common_checks(&o);
    assert_eq!(o.stats.frames_concealed, 0);
    assert_eq!(o.stats.frames_dropped + o.stats.frames_inserted, 0);
    // The output is the decoded sine, delayed.
    let start = o.out.iter().position(|&s| s != 0).unwrap();
    let decoded = |n: u64| media::g711::ulaw_decode(media::g711::ulaw_encode(sine(n)));
    // sine(0) is 0: the first non-zero output is sample 1 of the stream, faded in over
    // 5 ms (40 samples); from then on the output is exact.
    for (i, &s) in o.out[start..].iter().enumerate().skip(40) {
        assert_eq!(s, decoded(i as u64 + 1), "sample {i}");
    }
    // LAN delay: 20-60 ms of buffering.
    assert!(start <= 60 * 8, "initial delay {} ms", start / 8);
    assert!(*o.depth[100..].iter().max().unwrap() <= 60 * 8);
}

#[test]
fn reordering_and_duplicates_are_absorbed() {
    let link = Link {
        jitter_ms: 45.0, // up to two packet intervals: frequent reordering
        base_delay_ms: 20.0,
        duplicate: 0.05,
        seed: 2,
        ..LAN
    };
    let o = run(link);
    report("reorder+dup", &o);
    common_checks(&o);
    assert!(o.stats.packets_duplicate > 100);
    // Reordering alone loses nothing once the delay has adapted (first seconds excluded).
    assert!(
        (o.stats.frames_concealed as f64) < 0.01 * o.ticks as f64,
        "concealed {}",
        o.stats.frames_concealed
    );
    assert!(tonal_fraction(&o.out) > 0.98);
    // The delay grew to cover the jitter but stayed bounded.
    let max_depth = *o.depth[o.depth.len() / 4..].iter().max().unwrap();
    assert!(
        (45 * 8..=140 * 8).contains(&max_depth),
        "depth {} ms",
        max_depth / 8
    );
}

#[test]
fn five_percent_loss_is_concealed_without_clicks() {
    let link = Link {
        loss: 0.05,
        jitter_ms: 10.0,
        seed: 3,
        ..LAN
    };
    let o = run(link);
    report("loss 5%", &o);
    common_checks(&o);
    let lost = o.packets_sent - o.stats.packets_stored;
    let concealed = o.stats.frames_concealed;
    assert!(
        concealed >= lost * 9 / 10 && concealed <= lost * 12 / 10 + 10,
        "concealed {concealed}, lost {lost}"
    );
    assert!(tonal_fraction(&o.out) > 0.97, "concealment keeps the tone");
    assert!(rms(&o.out) > 0.9 * AMPLITUDE / 2f64.sqrt(), "no holes");
    assert!(
        worst_step(&o.out) < 1.3,
        "no click: worst step {}",
        worst_step(&o.out)
    );
}

#[test]
fn twenty_percent_loss_still_one_frame_per_tick_and_no_clicks() {
    let link = Link {
        loss: 0.20,
        jitter_ms: 30.0,
        base_delay_ms: 15.0,
        duplicate: 0.02,
        seed: 4,
        ..LAN
    };
    let o = run(link);
    report("loss 20%", &o);
    common_checks(&o);
    let lost_fraction = 1.0 - o.stats.packets_stored as f64 / o.packets_sent as f64;
    let concealed_fraction = o.stats.frames_concealed as f64 / o.ticks as f64;
    assert!(
        concealed_fraction < lost_fraction + 0.05,
        "concealed {concealed_fraction:.3} for loss {lost_fraction:.3}"
    );
    assert!(tonal_fraction(&o.out) > 0.85);
    assert!(
        worst_step(&o.out) < 1.3,
        "worst step {}",
        worst_step(&o.out)
    );
}

fn drift_run(drift: f64, seed: u64) -> Outcome {
    let link = Link {
        seconds: 600, // 10 minutes: 0.1 % is 600 ms of drift
        drift,
        jitter_ms: 10.0,
        loss: 0.01,
        seed,
        ..LAN
    };
    run(link)
}

#[test]
fn sender_clock_fast_by_a_tenth_of_a_percent() {
    let o = drift_run(0.001, 5);
    report("drift +0.1%", &o);
    common_checks(&o);
    // 600 ms of surplus audio over 10 minutes, 20 ms per dropped frame: about 30 drops.
    assert!(
        (25..=40).contains(&o.stats.frames_dropped),
        "dropped {}",
        o.stats.frames_dropped
    );
    let max_depth = *o.depth[o.depth.len() / 10..].iter().max().unwrap();
    assert!(
        max_depth <= 80 * 8,
        "no unbounded growth: {} ms",
        max_depth / 8
    );
    assert!(o.stats.frames_concealed < o.ticks * 3 / 100);
    assert!(
        worst_step(&o.out) < 1.3,
        "worst step {}",
        worst_step(&o.out)
    );
}

#[test]
fn sender_clock_slow_by_a_tenth_of_a_percent() {
    let o = drift_run(-0.001, 6);
    report("drift -0.1%", &o);
    common_checks(&o);
    assert!(
        (25..=40).contains(&o.stats.frames_inserted),
        "inserted {}",
        o.stats.frames_inserted
    );
    // No starvation: apart from the 1 % loss and the ~30 inserts, every frame is real audio.
    let concealed = o.stats.frames_concealed as f64 / o.ticks as f64;
    assert!(concealed < 0.02 + 0.005, "concealed {concealed:.4}");
    let min_depth = *o.depth[o.depth.len() / 10..].iter().min().unwrap();
    let max_depth = *o.depth[o.depth.len() / 10..].iter().max().unwrap();
    assert!(max_depth <= 80 * 8, "{} ms", max_depth / 8);
    eprintln!("min depth {} samples", min_depth);
    assert!(
        worst_step(&o.out) < 1.3,
        "worst step {}",
        worst_step(&o.out)
    );
}

#[test]
fn ptime_10_30_40_are_reframed_under_jitter() {
    for (ptime, seed) in [(80usize, 7u64), (240, 8), (320, 9)] {
        let link = Link {
            ptime_samples: ptime,
            jitter_ms: 15.0,
            seconds: 30,
            seed,
            ..LAN
        };
        let o = run(link);
        report(&format!("ptime {}", ptime / 8), &o);
        common_checks(&o);
        assert!(
            (o.stats.frames_concealed as f64) < 0.01 * o.ticks as f64,
            "ptime {ptime}: concealed {}",
            o.stats.frames_concealed
        );
        assert!(tonal_fraction(&o.out) > 0.99);
    }
}

#[test]
fn deterministic_for_a_seed() {
    let a = run(Link {
        loss: 0.1,
        jitter_ms: 30.0,
        seconds: 10,
        seed: 11,
        ..LAN
    });
    let b = run(Link {
        loss: 0.1,
        jitter_ms: 30.0,
        seconds: 10,
        seed: 11,
        ..LAN
    });
    assert_eq!(a.out, b.out);
}

#[test]
fn internet_jitter_grows_the_delay_but_keeps_it_bounded() {
    let link = Link {
        seconds: 120,
        base_delay_ms: 40.0,
        jitter_ms: 120.0, // six packet intervals of spread: heavy reordering
        loss: 0.01,
        seed: 12,
        ..LAN
    };
    let o = run(link);
    report("internet", &o);
    common_checks(&o);
    let max_depth = *o.depth[o.depth.len() / 10..].iter().max().unwrap();
    assert!(
        max_depth <= 300 * 8 + 160,
        "within max_delay: {} ms",
        max_depth / 8
    );
    assert!(
        max_depth >= 100 * 8,
        "grew to cover the jitter: {} ms",
        max_depth / 8
    );
    // Late loss is a small addition to the 1 % network loss once adapted.
    let late = o.stats.packets_late as f64 / o.packets_sent as f64;
    assert!(late < 0.02, "late {late:.4}");
    assert!(
        worst_step(&o.out) < 1.3,
        "worst step {}",
        worst_step(&o.out)
    );
    assert!(tonal_fraction(&o.out) > 0.95);
}

/// Longest run of frames that are not mostly the tone, after the first second.
fn longest_non_tonal_run(out: &[i16]) -> usize {
    let w = 2.0 * std::f64::consts::PI * FREQ / 8000.0;
    let mut longest = 0;
    let mut run = 0;
    for f in out.chunks(FRAME_SAMPLES).skip(50) {
        let (mut re, mut im, mut e) = (0.0, 0.0, 0.0);
        for (n, &s) in f.iter().enumerate() {
            let s = f64::from(s);
            re += s * (w * n as f64).cos();
            im += s * (w * n as f64).sin();
            e += s * s;
        }
        let tonal = e > 1e6 && 2.0 * (re * re + im * im) / (FRAME_SAMPLES as f64 * e) > 0.8;
        run = if tonal { 0 } else { run + 1 };
        longest = longest.max(run);
    }
    longest
}

#[test]
fn timestamp_jump_with_marker_is_rebased_without_a_gap() {
    for jump in [1600i64, 200_000, -40_000] {
        let link = Link {
            seconds: 20,
            jitter_ms: 10.0,
            ts_jump: Some((10.0, jump, true)),
            seed: 13,
            ..LAN
        };
        let o = run(link);
        report(&format!("jump {jump} with marker"), &o);
        common_checks(&o);
        assert!(o.stats.resyncs >= 1);
        assert!(
            longest_non_tonal_run(&o.out) <= 2,
            "jump {jump}: {} frames without the tone",
            longest_non_tonal_run(&o.out)
        );
        let max_depth = *o.depth[o.depth.len() / 2..].iter().max().unwrap();
        assert!(
            max_depth <= 80 * 8,
            "jump {jump}: delay {} ms",
            max_depth / 8
        );
    }
}

#[test]
fn timestamp_jump_without_marker_recovers() {
    // Far outside the ring: re-anchored at once. Far behind: after three packets.
    for jump in [100_000i64, -100_000] {
        let link = Link {
            seconds: 20,
            jitter_ms: 10.0,
            ts_jump: Some((10.0, jump, false)),
            seed: 14,
            ..LAN
        };
        let o = run(link);
        report(&format!("jump {jump} without marker"), &o);
        common_checks(&o);
        assert!(o.stats.resyncs >= 1);
        assert!(
            longest_non_tonal_run(&o.out) <= 8,
            "jump {jump}: {} frames without the tone",
            longest_non_tonal_run(&o.out)
        );
    }
}
