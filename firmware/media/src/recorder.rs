//! The recorder behind DSM's `recordFile`: the leg's input, written as an 8 kHz 16-bit mono WAV.
//!
//! A [`Recorder`] is a [`StreamWriter`] with the session-input interface: the
//! leg hands it one frame per tick ([`Recorder::put`], allocation-free), and the firmware drains
//! positioned writes with [`Recorder::poll_write`] and performs them on the file it opened (at
//! least once a second, or samples are dropped and counted). `stopRecord` hands the recorder
//! back ([`crate::playlist::LegAudio::stop_record`]); the firmware then calls
//! [`Recorder::finish`] and drains until `poll_write` returns `None`. The file is valid WAV
//! after every write (see [`StreamWriter`]).
//!
//! `getRecordLength` and `getRecordDataSize` are [`Recorder::length_ms`] and
//! [`Recorder::data_size`]: what has been accepted, whether or not it reached the disk yet.

use crate::SAMPLE_RATE;
use crate::wav::{StreamWriter, WriteAt};

/// Why a frame was not (fully) recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The file reached its size limit (the writer's, at most the 4 GiB RIFF limit); SEMS
    /// treats a failing input as "audio cleared".
    #[error("recording reached its size limit")]
    Full,
    /// The write buffer was full because the firmware did not drain it; samples were dropped.
    #[error("recorder buffer overrun: samples dropped")]
    Overrun,
    /// `finish` was already called.
    #[error("recorder already finished")]
    Finished,
}

/// Writes the leg's input to a WAV file through positioned writes (sans-IO).
#[derive(Debug, Default)]
pub struct Recorder {
    writer: StreamWriter,
}

impl Recorder {
    /// A recorder buffering up to two seconds between drains, header patched every second.
    pub fn new() -> Self {
        Self::default()
    }

    /// A recorder over a configured [`StreamWriter`].
    pub fn with_writer(writer: StreamWriter) -> Self {
        Self { writer }
    }

    /// Record one chunk of input (normally a 20 ms frame). Never allocates.
    pub fn put(&mut self, samples: &[i16]) -> Result<(), RecordError> {
        if self.is_finished() {
            return Err(RecordError::Finished);
        }
        let n = self.writer.push(samples);
        if n == samples.len() {
            Ok(())
        } else if self.writer.is_full() {
            Err(RecordError::Full)
        } else {
            Err(RecordError::Overrun)
        }
    }

    /// The next write to perform on the file (see [`StreamWriter::poll_write`]).
    pub fn poll_write(&mut self, out: &mut Vec<u8>) -> Option<WriteAt> {
        self.writer.poll_write(out)
    }

    /// Stop recording: the remaining writes and the final header follow from `poll_write`.
    pub fn finish(&mut self) {
        self.writer.finish();
    }

    /// `finish` was called.
    pub fn is_finished(&self) -> bool {
        self.writer.is_finished()
    }

    /// Everything including the final header has been handed out.
    pub fn is_done(&self) -> bool {
        self.writer.is_done()
    }

    /// Bytes of audio recorded (`getRecordDataSize`).
    pub fn data_size(&self) -> u64 {
        self.writer.data_bytes()
    }

    /// Milliseconds of audio recorded (`getRecordLength`).
    pub fn length_ms(&self) -> u64 {
        self.writer.data_bytes() / 2 * 1000 / u64::from(SAMPLE_RATE)
    }

    /// Samples dropped because the buffer overran or the file was full.
    pub fn dropped_samples(&self) -> u64 {
        self.writer.dropped_samples()
    }
}
