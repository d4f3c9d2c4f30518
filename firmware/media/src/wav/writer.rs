//! Writing 8 kHz 16-bit mono WAV files: all at once ([`encode`]) or streamed ([`StreamWriter`]).

use crate::SAMPLE_RATE;

/// Length of the canonical 44-byte header this module writes (RIFF, `fmt ` of 16, `data`).
pub const HEADER_LEN: usize = 44;

/// Largest data chunk whose RIFF size (`36 + data`) still fits 32 bits, rounded down to whole
/// samples: about 74 hours at 8 kHz.
pub const MAX_DATA_BYTES: u64 = (u32::MAX as u64 - 36) & !1;

/// The header of an 8 kHz 16-bit mono file with `data_bytes` bytes of samples.
pub fn header(data_bytes: u32) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    let mut put = |at: usize, b: &[u8]| h[at..at + b.len()].copy_from_slice(b);
    put(0, b"RIFF");
    put(4, &data_bytes.saturating_add(36).to_le_bytes());
    put(8, b"WAVE");
    put(12, b"fmt ");
    put(16, &16u32.to_le_bytes());
    put(20, &1u16.to_le_bytes()); // PCM
    put(22, &1u16.to_le_bytes()); // mono
    put(24, &SAMPLE_RATE.to_le_bytes());
    put(28, &(SAMPLE_RATE * 2).to_le_bytes()); // byte rate
    put(32, &2u16.to_le_bytes()); // block align
    put(34, &16u16.to_le_bytes()); // bits
    put(36, b"data");
    put(40, &data_bytes.to_le_bytes());
    h
}

/// A whole 8 kHz 16-bit mono WAV file. Samples beyond [`MAX_DATA_BYTES`] are dropped.
pub fn encode(samples: &[i16]) -> Vec<u8> {
    let n = samples.len().min((MAX_DATA_BYTES / 2) as usize);
    let mut out = Vec::with_capacity(HEADER_LEN + 2 * n);
    out.extend_from_slice(&header((2 * n) as u32));
    for s in &samples[..n] {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// Where the bytes returned by [`StreamWriter::poll_write`] go in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteAt {
    /// Byte offset from the start of the file (a `pwrite`/seek-then-write offset).
    pub offset: u64,
}

/// Streams an 8 kHz 16-bit mono WAV file as a sequence of positioned writes, sans-IO.
///
/// The caller pushes samples ([`StreamWriter::push`], allocation-free: the buffer is reserved up
/// front) and drains writes with [`StreamWriter::poll_write`], each a byte run and the file
/// offset to write it at. The first write is the header claiming zero data bytes; then come the
/// samples in order; after every `patch_interval` bytes of samples, and once more after
/// [`StreamWriter::finish`], a fresh 44-byte header is written at offset 0 with the sizes of the
/// data already handed out.
///
/// **Crash safety.** The header on disk never claims more data than was handed out *before*
/// it, so if the caller performs the writes in order, a file cut off at any point (power loss,
/// a killed process) is a valid WAV file. It is missing at most the audio written since the
/// last header patch (one second by default) from the header's point of view; the bytes are
/// still in the file, and a reader that trusts the file length over the header can recover
/// them. Patching every second costs one 44-byte write per second. The alternative, a header
/// saying "unknown length" (0xFFFFFFFF), is not accepted by every reader and never becomes
/// exact, so we chose periodic patches.
#[derive(Debug)]
pub struct StreamWriter {
    pending: Vec<u8>,
    header_written: bool,
    /// Data bytes handed out by `poll_write`.
    flushed: u64,
    /// Data bytes accepted by `push` (flushed + pending).
    accepted: u64,
    /// Data bytes the header on disk claims.
    covered: u64,
    patch_interval: u64,
    max_data: u64,
    finished: bool,
    dropped: u64,
}

impl Default for StreamWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamWriter {
    /// Buffer for two seconds of audio; header patched after every second of audio.
    pub fn new() -> Self {
        Self::with_limits(
            2 * 2 * SAMPLE_RATE as usize,
            2 * u64::from(SAMPLE_RATE),
            MAX_DATA_BYTES,
        )
    }

    /// `buffer_bytes` of samples may wait between two drains (more are dropped and counted);
    /// the header is patched after every `patch_interval` data bytes (at least 2); the file
    /// stops growing at `max_data_bytes` of samples (capped at [`MAX_DATA_BYTES`]), a limit on
    /// recording size for a board with little storage.
    pub fn with_limits(buffer_bytes: usize, patch_interval: u64, max_data_bytes: u64) -> Self {
        Self {
            pending: Vec::with_capacity(buffer_bytes.max(2)),
            header_written: false,
            flushed: 0,
            accepted: 0,
            covered: 0,
            patch_interval: patch_interval.max(2),
            max_data: max_data_bytes.min(MAX_DATA_BYTES) & !1,
            finished: false,
            dropped: 0,
        }
    }

    /// Queue samples. Returns how many were accepted: fewer when the buffer is full (the caller
    /// has not drained) or the file has reached its size limit, or none after `finish`.
    /// Never allocates.
    pub fn push(&mut self, samples: &[i16]) -> usize {
        if self.finished {
            return 0;
        }
        let room_buffer = (self.pending.capacity() - self.pending.len()) / 2;
        let room_file = ((self.max_data - self.accepted) / 2) as usize;
        let n = samples.len().min(room_buffer).min(room_file);
        for s in &samples[..n] {
            self.pending.extend_from_slice(&s.to_le_bytes());
        }
        self.accepted += 2 * n as u64;
        self.dropped += (samples.len() - n) as u64;
        n
    }

    /// No more samples: the next drains flush what is pending and write the final header.
    pub fn finish(&mut self) {
        self.finished = true;
    }

    /// The next write to perform, in order: its bytes replace the contents of `out`. `None`
    /// when there is nothing to write now.
    pub fn poll_write(&mut self, out: &mut Vec<u8>) -> Option<WriteAt> {
        out.clear();
        if !self.header_written {
            self.header_written = true;
            out.extend_from_slice(&header(0));
            return Some(WriteAt { offset: 0 });
        }
        if !self.pending.is_empty() {
            out.extend_from_slice(&self.pending);
            let offset = HEADER_LEN as u64 + self.flushed;
            self.flushed += self.pending.len() as u64;
            self.pending.clear();
            return Some(WriteAt { offset });
        }
        let due = self.flushed - self.covered >= self.patch_interval
            || (self.finished && self.flushed != self.covered);
        if due {
            self.covered = self.flushed;
            // max_data <= MAX_DATA_BYTES keeps this within u32.
            out.extend_from_slice(&header(self.covered as u32));
            return Some(WriteAt { offset: 0 });
        }
        None
    }

    /// Data bytes accepted so far (what the finished file's `data` chunk will hold).
    pub fn data_bytes(&self) -> u64 {
        self.accepted
    }

    /// Samples refused by [`StreamWriter::push`] because the buffer or the file was full.
    pub fn dropped_samples(&self) -> u64 {
        self.dropped
    }

    /// `finish` was called.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The file has reached its size limit.
    pub fn is_full(&self) -> bool {
        self.max_data - self.accepted < 2
    }

    /// `finish` was called and every write, including the final header, has been handed out.
    pub fn is_done(&self) -> bool {
        self.finished
            && self.header_written
            && self.pending.is_empty()
            && self.covered == self.flushed
    }
}
