//! `cargo bench -p media --bench dtmf [-- FILE]`: our DTMF detector against spandsp's
//! `dtmf_rx` on the same audio, in one run, as CPU time per sample.
//!
//! spandsp runs in the vendored harness (`tools/dtmf-ref/dtmf_ref_detect --bench`, built here
//! with `make` if needed; it needs libspandsp-dev), which reports its own best of 5 rounds of
//! thread CPU time. Ours runs in this process, measured the same way (thread CPU time from
//! `/proc/thread-self/schedstat`, best of 5 rounds of the same number of passes, each pass a
//! fresh detector fed in 160-sample frames). The two alternate three times and the best of
//! each is kept, because the machine is shared. Without FILE the bench synthesises 20 s of
//! audio (DTMF over noise and a gliding harmonic "vowel"), written under `target/`.

use media::dtmf::{DtmfDetector, decode_audio_file};
use std::path::{Path, PathBuf};
use std::process::Command;

const PASSES: usize = 40;
const ROUNDS: usize = 5;
const ALTERNATIONS: usize = 3;

/// CPU time this thread has run, in ns (Linux scheduler accounting).
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn run_ours(pcm: &[i16]) -> usize {
    let mut det = DtmfDetector::new();
    let mut digits = 0;
    for frame in pcm.chunks(media::FRAME_SAMPLES) {
        det.handle_samples(frame);
        while let Some(ev) = det.poll_event() {
            digits += usize::from(matches!(ev, media::dtmf::DtmfEvent::Began { .. }));
        }
    }
    digits
}

/// Best-of-ROUNDS ns/sample for PASSES passes over `pcm`.
fn bench_ours(pcm: &[i16]) -> Option<f64> {
    let mut best = f64::INFINITY;
    let mut sink = 0;
    for _ in 0..ROUNDS {
        let t0 = thread_cpu_ns()?;
        for _ in 0..PASSES {
            sink += run_ours(std::hint::black_box(pcm));
        }
        let dt = thread_cpu_ns()? - t0;
        best = best.min(dt as f64 / (PASSES * pcm.len()) as f64);
    }
    std::hint::black_box(sink);
    Some(best)
}

/// spandsp's figures from the harness: (dtmf_rx, bare Q14 Goertzel, bare f32 Goertzel).
fn bench_spandsp(harness: &Path, file: &Path) -> Option<(f64, f64, f64)> {
    let out = Command::new(harness)
        .arg("--bench")
        .arg(PASSES.to_string())
        .arg(file)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| -> Option<f64> {
        let at = text.find(name)? + name.len();
        text[at..].split_whitespace().next()?.parse().ok()
    };
    Some((
        field("spandsp_dtmf_rx_ns_per_sample=")?,
        field("floor_goertzel8_q14_ns_per_sample=")?,
        field("floor_goertzel8_f32_ns_per_sample=")?,
    ))
}

/// 20 s of deterministic test audio: a DTMF digit every second over white noise, with a
/// harmonic "vowel" (F0 gliding 100..250 Hz) in between.
fn synthesize(path: &Path) -> std::io::Result<()> {
    let n = 20 * 8000;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut noise = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 40) as f64 / (1u64 << 24) as f64 - 0.5
    };
    let (rows, cols) = (
        [697.0, 770.0, 852.0, 941.0],
        [1209.0, 1336.0, 1477.0, 1633.0],
    );
    let mut phase = 0.0f64;
    let mut bytes = Vec::with_capacity(2 * n);
    for i in 0..n {
        let t = i as f64 / 8000.0;
        let mut x = 300.0 * noise();
        let in_second = t.fract();
        if in_second < 0.08 {
            let k = (t as usize) % 16;
            let (fr, fc) = (rows[k / 4], cols[k % 4]);
            x += 4000.0
                * ((2.0 * std::f64::consts::PI * fr * t).sin()
                    + (2.0 * std::f64::consts::PI * fc * t).sin());
        } else if in_second > 0.2 {
            let f0 = 100.0 + 150.0 * t / 20.0;
            phase += f0 / 8000.0;
            for h in 1..20 {
                x += 1500.0 / h as f64 * (2.0 * std::f64::consts::PI * h as f64 * phase).sin();
            }
        }
        bytes.extend_from_slice(&(x.clamp(-32768.0, 32767.0) as i16).to_le_bytes());
    }
    std::fs::write(path, bytes)
}

fn main() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // `cargo bench` passes `--bench`; any other argument is the audio file.
    let file = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .map(PathBuf::from);
    let file = match file {
        Some(f) => f,
        None => {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| manifest.join("../../target"));
            let f = target.join("dtmf-bench-20s.raw");
            if let Err(e) = synthesize(&f) {
                eprintln!("cannot write {}: {e}", f.display());
                std::process::exit(1);
            }
            f
        }
    };
    let pcm = match std::fs::read(&file).map(|b| decode_audio_file(&b)) {
        Ok(Ok(p)) if !p.is_empty() => p,
        _ => {
            eprintln!("cannot read audio from {}", file.display());
            std::process::exit(1);
        }
    };
    let tools = manifest.join("tools/dtmf-ref");
    let harness = tools.join("dtmf_ref_detect");
    let built = Command::new("make")
        .arg("-s")
        .arg("-C")
        .arg(&tools)
        .arg("dtmf_ref_detect")
        .status();
    let have_spandsp = matches!(built, Ok(s) if s.success()) && harness.exists();
    if !have_spandsp {
        eprintln!("spandsp reference not built (apt-get install libspandsp-dev); timing ours only");
    }

    println!(
        "file {} ({:.1} s), {PASSES} passes x {ROUNDS} rounds, best of {ALTERNATIONS} alternations",
        file.display(),
        pcm.len() as f64 / 8000.0
    );
    let (mut ours, mut sp, mut fq, mut ff) =
        (f64::INFINITY, f64::INFINITY, f64::INFINITY, f64::INFINITY);
    for _ in 0..ALTERNATIONS {
        if have_spandsp && let Some((a, b, c)) = bench_spandsp(&harness, &file) {
            (sp, fq, ff) = (sp.min(a), fq.min(b), ff.min(c));
        }
        match bench_ours(&pcm) {
            Some(t) => ours = ours.min(t),
            None => {
                eprintln!("no /proc/thread-self/schedstat: cannot measure CPU time");
                std::process::exit(1);
            }
        }
    }
    println!("digits found by ours: {}", run_ours(&pcm));
    println!("ours   media::dtmf         {ours:7.3} ns/sample");
    if sp.is_finite() {
        println!("spandsp dtmf_rx (0.0.6)    {sp:7.3} ns/sample");
        println!("floor, bare 8 Goertzels    {fq:7.3} (Q14 int)  {ff:7.3} (f32) ns/sample");
        println!("ratio ours/spandsp         {:7.3}", ours / sp);
    }
}
