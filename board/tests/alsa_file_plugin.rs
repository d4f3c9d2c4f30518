//! Real ALSA, no sound card: ALSA's `file` plugin plays into a file and captures from one.
//!
//! The parent writes a private ALSA configuration (the system's `alsa.conf` plus one `file`
//! PCM with an `infile`) and re-executes this binary with `ALSA_CONFIG_PATH` pointing to it —
//! the only way to give libasound a configuration without touching the process environment
//! from inside. The child opens the device through `board::linux::AlsaAudio`, captures the
//! frames the parent prepared and plays them back; the parent checks both files.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use board::audio::{AudioDevice, FRAME_SAMPLES};
use board::linux::AlsaAudio;

const FRAMES: usize = 12;
const DEVICE: &str = "dsmbox_test";

fn pattern() -> Vec<i16> {
    // A 1 kHz sine at -6 dBFS plus a ramp, so ordering errors show.
    (0..FRAMES * FRAME_SAMPLES)
        .map(|i| {
            let s = (i as f64 * 2.0 * std::f64::consts::PI * 1000.0 / 8000.0).sin() * 16000.0;
            (s as i32 + (i as i32 % 97)) as i16
        })
        .collect()
}

fn child() -> Result<(), String> {
    let mut dev = AlsaAudio::open(Some(DEVICE), Some(DEVICE)).map_err(|e| e.to_string())?;
    let mut frame = [0i16; FRAME_SAMPLES];
    for _ in 0..FRAMES {
        dev.capture(&mut frame).map_err(|e| e.to_string())?;
        dev.playback(&frame).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn spawn_self(exe: &Path, conf: &Path) -> std::io::Result<std::process::Output> {
    let run = |cmd: &mut Command| {
        cmd.env("ALSA_CONFIG_PATH", conf)
            .env("DSMBOX_ALSA_CHILD", "1")
            .output()
    };
    // Under qemu-user without binfmt the kernel cannot exec this binary. Depending on how the
    // emulated spawn reports it, that is ENOEXEC or glibc's posix_spawn child exiting 127 with
    // no output; either way, run the child through the emulator instead.
    match run(&mut Command::new(exe)) {
        Err(e) if e.raw_os_error() == Some(8) => {}
        Ok(out)
            if out.status.code() == Some(127) && out.stdout.is_empty() && out.stderr.is_empty() => {
        }
        other => return other,
    }
    let qemu = match std::env::consts::ARCH {
        "aarch64" => "qemu-aarch64",
        "arm" => "qemu-arm",
        other => {
            return Err(std::io::Error::other(format!(
                "cannot exec self and no emulator for {other}"
            )));
        }
    };
    run(Command::new(qemu).arg(exe))
}

fn parent() -> Result<(), String> {
    let dir: PathBuf = std::env::temp_dir().join(format!("dsmbox-alsa-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let infile = dir.join("in.raw");
    let outfile = dir.join("out.raw");
    let conf = dir.join("asound.conf");
    let samples = pattern();
    let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    std::fs::write(&infile, &bytes).map_err(|e| e.to_string())?;
    std::fs::write(
        &conf,
        format!(
            "</usr/share/alsa/alsa.conf>\npcm.{DEVICE} {{\n type file\n slave.pcm null\n file \"{}\"\n infile \"{}\"\n format raw\n}}\n",
            outfile.display(),
            infile.display()
        ),
    )
    .map_err(|e| e.to_string())?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = spawn_self(&exe, &conf).map_err(|e| format!("re-exec: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "child failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr)
        ));
    }
    let played = std::fs::read(&outfile).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(&dir);
    if played.len() != bytes.len() {
        return Err(format!(
            "played {} bytes, expected {}",
            played.len(),
            bytes.len()
        ));
    }
    if played != bytes {
        let first = played
            .iter()
            .zip(&bytes)
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        return Err(format!(
            "played audio differs from captured audio at byte {first}"
        ));
    }
    Ok(())
}

fn main() -> ExitCode {
    let child_mode = std::env::var_os("DSMBOX_ALSA_CHILD").is_some();
    let result = if child_mode { child() } else { parent() };
    match result {
        Ok(()) => {
            if !child_mode {
                println!("test alsa_file_plugin::capture_then_playback_round_trip ... ok");
                println!();
                println!(
                    "test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out"
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("alsa_file_plugin: {e}");
            if !child_mode {
                println!(
                    "test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out"
                );
            }
            ExitCode::FAILURE
        }
    }
}
