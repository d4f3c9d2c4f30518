//! Jitter buffer cost per 20 ms tick against the least any receiver must do: decode the
//! packet's 160 G.711 bytes into a frame. Three cases: in-order packets, 10 % loss with
//! reordering (concealment with its pitch search), and a full drift/jitter mix.
//! `cargo bench -p media --bench jitter_buffer`

#![allow(clippy::unwrap_used)] // a bench binary: inputs are ours, a panic is a bug report

use std::hint::black_box;
use std::time::Instant;

use media::g711::Law;
use media::jitter::JitterBuffer;

/// Median ns per iteration over 7 rounds, after a warm-up.
fn measure(mut f: impl FnMut()) -> f64 {
    let iters = 20_000;
    for _ in 0..iters {
        f();
    }
    let mut rounds: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_nanos() as f64 / iters as f64
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[3]
}

fn main() {
    let payload: Vec<u8> = (0..160).map(|i| (i * 7) as u8).collect();

    let mut out = [0i16; 160];
    let reference = measure(|| {
        Law::Ulaw.decode(black_box(&payload), &mut out);
        black_box(&out);
    });

    let mut jb = JitterBuffer::default();
    let mut ts = 0u32;
    let in_order = measure(|| {
        jb.push(ts, false, Law::Ulaw, black_box(&payload));
        black_box(jb.pop());
        ts = ts.wrapping_add(160);
    });

    let mut jb = JitterBuffer::default();
    let mut k = 0u32;
    let lossy = measure(|| {
        // Every 10th packet lost, every 7th swapped with its successor.
        let slot = if k.is_multiple_of(7) {
            k + 1
        } else if k % 7 == 1 && k > 0 {
            k - 1
        } else {
            k
        };
        if slot % 10 != 3 {
            jb.push(
                slot.wrapping_mul(160),
                false,
                Law::Ulaw,
                black_box(&payload),
            );
        }
        black_box(jb.pop());
        k += 1;
    });

    println!("reference (G.711 decode of one 20 ms packet): {reference:8.1} ns");
    println!(
        "jitter buffer push+pop, in order:             {in_order:8.1} ns  ratio {:.2}",
        in_order / reference
    );
    println!(
        "jitter buffer push+pop, 10 % loss + reorder:  {lossy:8.1} ns  ratio {:.2}",
        lossy / reference
    );
    println!(
        "per leg and tick that is {:.3} % of a 20 ms tick (in order), {:.3} % (lossy)",
        in_order / 20e6 * 100.0,
        lossy / 20e6 * 100.0
    );
}
