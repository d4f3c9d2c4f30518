//! Conference mixer cost per 20 ms tick, beside a naive O(N²) N−1 mix as the reference.
//!
//! `cargo bench -p media --bench mixer`
//!
//! For each room size N the timed tick is the whole mixer path of one media tick: `put` every
//! participant's frame, `Conference::tick`, `get` every participant's output. The reference
//! computes each listener's output directly as the saturated sum of the N−1 other inputs. Both
//! read the same inputs and write N output frames. Reported: the median over rounds of the
//! mean time per tick, the ratio reference / ours, and the share of the 20 ms tick budget.

use std::hint::black_box;
use std::time::{Duration, Instant};

use media::mixer::{Conference, Mode, Owner};
use media::{FRAME_SAMPLES, Frame};

fn inputs(n: usize) -> Vec<Frame> {
    (0..n)
        .map(|p| {
            let mut f = [0; FRAME_SAMPLES];
            for (k, s) in f.iter_mut().enumerate() {
                let w = 2.0 * std::f64::consts::PI * (200.0 + 37.0 * p as f64) * k as f64 / 8000.0;
                *s = (2000.0 * w.sin()) as i16;
            }
            f
        })
        .collect()
}

/// The reference: every listener sums every other input, frame by frame into an `i32`
/// accumulator (written so the compiler can vectorise it, to keep the comparison fair).
fn naive_mix(inputs: &[Frame], outputs: &mut [Frame]) {
    for (j, out) in outputs.iter_mut().enumerate() {
        let mut acc = [0i32; FRAME_SAMPLES];
        for (i, input) in inputs.iter().enumerate() {
            if i != j {
                for (a, &x) in acc.iter_mut().zip(input.iter()) {
                    *a += i32::from(x);
                }
            }
        }
        for (o, &a) in out.iter_mut().zip(acc.iter()) {
            *o = a.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
        }
    }
}

/// Median over `rounds` of the mean ns per call of `f`, each round lasting about `round_time`.
fn measure(mut f: impl FnMut(), rounds: usize, round_time: Duration) -> f64 {
    // Calibrate the number of calls per round.
    let mut calls = 1u64;
    loop {
        let t = Instant::now();
        for _ in 0..calls {
            f();
        }
        if t.elapsed() >= round_time / 10 {
            calls = (calls * 10).max(1);
            break;
        }
        calls *= 2;
    }
    let mut per_call: Vec<f64> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..calls {
                f();
            }
            t.elapsed().as_nanos() as f64 / calls as f64
        })
        .collect();
    per_call.sort_by(f64::total_cmp);
    per_call[rounds / 2]
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (rounds, round_time) = if quick {
        (3, Duration::from_millis(50))
    } else {
        (7, Duration::from_millis(300))
    };
    println!("conference mixer, one 20 ms tick (put all + tick + get all) vs naive O(N^2) N-1 mix");
    println!(
        "{:>5} {:>14} {:>14} {:>9} {:>12}",
        "N", "ours ns/tick", "naive ns/tick", "naive/us", "budget used"
    );
    for n in [2usize, 8, 32, 128] {
        let ins = inputs(n);
        let mut conf = Conference::new();
        let ids: Vec<_> = (0..n)
            .map(|i| {
                conf.join("bench", Owner(i as u64), Mode::SpeakAndListen)
                    .expect("join")
            })
            .collect();
        let mut outs = vec![[0i16; FRAME_SAMPLES]; n];
        let ours = measure(
            || {
                for (id, f) in ids.iter().zip(&ins) {
                    conf.put(*id, black_box(f));
                }
                conf.tick();
                for (id, o) in ids.iter().zip(outs.iter_mut()) {
                    conf.get(*id, o);
                }
                black_box(&outs);
            },
            rounds,
            round_time,
        );
        let mut naive_outs = vec![[0i16; FRAME_SAMPLES]; n];
        let naive = measure(
            || {
                naive_mix(black_box(&ins), &mut naive_outs);
                black_box(&naive_outs);
            },
            rounds,
            round_time,
        );
        // Same answer (after the join fade) from both.
        assert_eq!(outs, naive_outs, "N={n}: mixer and reference disagree");
        println!(
            "{:>5} {:>14.0} {:>14.0} {:>8.2}x {:>11.3}%",
            n,
            ours,
            naive,
            naive / ours,
            ours / 20_000_000.0 * 100.0
        );
    }
}
