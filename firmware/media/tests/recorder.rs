//! The streaming WAV writer and the recorder: the file is valid after every write (a crash at
//! any point leaves a playable file), the finished file is exact, and limits are reported.

// Helpers outside #[test] functions unwrap too; a panic is a test failure.
#![allow(clippy::unwrap_used)]

use media::playlist::{Input, LegAudio, NoAudioKind, NoExternal, PlaylistEvent};
use media::recorder::{RecordError, Recorder};
use media::wav::{self, StreamWriter};
use media::{FRAME_SAMPLES, Frame};

/// A file on a simulated disk: positioned writes.
#[derive(Default)]
struct Disk {
    file: Vec<u8>,
    writes: Vec<(u64, usize)>,
}

impl Disk {
    fn write(&mut self, offset: u64, bytes: &[u8]) {
        let at = offset as usize;
        if self.file.len() < at + bytes.len() {
            self.file.resize(at + bytes.len(), 0);
        }
        self.file[at..at + bytes.len()].copy_from_slice(bytes);
        self.writes.push((offset, bytes.len()));
    }
}

fn samples(n: usize) -> Vec<i16> {
    (0..n).map(|i| ((i * 7919) % 65536) as u16 as i16).collect()
}

#[test]
fn a_file_cut_after_any_write_is_valid_and_holds_a_prefix() {
    let all = samples(8000 * 3 + 123);
    // Patch the header every 0.25 s of audio.
    let mut w = StreamWriter::with_limits(4000, 4000, wav::MAX_DATA_BYTES);
    let mut disk = Disk::default();
    let mut buf = Vec::new();
    let check = |disk: &Disk| {
        let d = wav::decode(&disk.file).unwrap();
        assert_eq!(
            d.samples[..],
            all[..d.samples.len()],
            "a prefix of what was recorded"
        );
        assert!(
            !d.truncated,
            "the header never claims bytes that are not there"
        );
        let r = hound::WavReader::new(std::io::Cursor::new(disk.file.clone())).unwrap();
        assert_eq!(r.len() as usize, d.samples.len(), "hound agrees");
        d.samples.len()
    };
    let mut covered = Vec::new();
    let mut pushed = 0;
    for chunk in all.chunks(FRAME_SAMPLES) {
        assert_eq!(w.push(chunk), chunk.len());
        pushed += chunk.len();
        while let Some(at) = w.poll_write(&mut buf) {
            disk.write(at.offset, &buf);
            covered.push(check(&disk));
        }
        // After a full drain the header lags the data by less than the patch interval.
        assert!(pushed - covered.last().unwrap() < 2000);
    }
    w.finish();
    assert_eq!(w.push(&[1, 2, 3]), 0, "nothing after finish");
    while let Some(at) = w.poll_write(&mut buf) {
        disk.write(at.offset, &buf);
        covered.push(check(&disk));
    }
    assert!(w.is_done());
    assert_eq!(disk.file, wav::encode(&all), "the finished file is exact");
    // Initial header, one patch per 2000+ samples (checked after whole frames: every 13
    // frames = 2080 samples), and the final one.
    let header_writes = disk.writes.iter().filter(|(o, _)| *o == 0).count();
    assert_eq!(header_writes, 1 + all.len() / 2080 + 1);
    assert!(covered.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn overrun_when_the_firmware_does_not_drain() {
    let mut r = Recorder::with_writer(StreamWriter::with_limits(
        2 * FRAME_SAMPLES,
        16_000,
        wav::MAX_DATA_BYTES,
    ));
    let f: Frame = [3; FRAME_SAMPLES];
    assert_eq!(r.put(&f), Ok(()));
    assert_eq!(r.put(&f), Err(RecordError::Overrun));
    assert_eq!(r.dropped_samples(), 160);
    let mut buf = Vec::new();
    while r.poll_write(&mut buf).is_some() {}
    assert_eq!(r.put(&f), Ok(()), "room again after draining");
    assert_eq!(r.data_size(), 640);
    assert_eq!(r.length_ms(), 40);
    r.finish();
    assert!(r.is_finished());
    assert_eq!(r.put(&f), Err(RecordError::Finished));
}

#[test]
fn size_limit_stops_the_recording_and_clears_the_leg() {
    // 0.1 s limit.
    let rec = Recorder::with_writer(StreamWriter::with_limits(32_000, 16_000, 1600));
    let mut leg = LegAudio::new();
    leg.record_file(rec);
    let f: Frame = [9; FRAME_SAMPLES];
    for _ in 0..4 {
        leg.put(&f, &mut NoExternal);
    }
    assert!(leg.poll_event().is_none());
    leg.put(&f, &mut NoExternal);
    leg.put(&f, &mut NoExternal);
    assert_eq!(
        leg.poll_event(),
        Some(PlaylistEvent::NoAudio(NoAudioKind::Cleared))
    );
    assert_eq!(leg.input(), Input::Detached);
    assert_eq!(leg.record_data_size(), 1600);
    // The recorder was finished by clear_audio; drain it into a valid, exact file.
    let mut rec = leg.stop_record().unwrap();
    assert!(rec.is_finished());
    let mut disk = Disk::default();
    let mut buf = Vec::new();
    while let Some(at) = rec.poll_write(&mut buf) {
        disk.write(at.offset, &buf);
    }
    let d = wav::decode(&disk.file).unwrap();
    assert_eq!(d.samples, vec![9; 800]);
}

#[test]
fn header_values_are_canonical() {
    let h = wav::header(1000);
    assert_eq!(&h[0..4], b"RIFF");
    assert_eq!(u32::from_le_bytes(h[4..8].try_into().unwrap()), 1036);
    assert_eq!(&h[8..16], b"WAVEfmt ");
    assert_eq!(u32::from_le_bytes(h[24..28].try_into().unwrap()), 8000);
    assert_eq!(u32::from_le_bytes(h[28..32].try_into().unwrap()), 16000);
    assert_eq!(&h[36..40], b"data");
    assert_eq!(u32::from_le_bytes(h[40..44].try_into().unwrap()), 1000);
}

#[test]
fn a_second_record_file_hands_back_the_first_recorder() {
    let mut leg = LegAudio::new();
    assert!(leg.record_file(Recorder::new()).is_none());
    leg.put(&[1; FRAME_SAMPLES], &mut NoExternal);
    let first = leg.record_file(Recorder::new()).unwrap();
    assert_eq!(first.data_size(), 320);
    assert_eq!(leg.record_data_size(), 0);
}
