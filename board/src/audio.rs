//! Analog audio in 20 ms frames: the contract between a sound device and the media tick.
//!
//! A device delivers and consumes [`AudioFrame`]s of [`FRAME_SAMPLES`] signed 16-bit samples
//! at [`SAMPLE_RATE`] Hz, mono. Real devices block (ALSA paces the caller), so the firmware runs
//! them on a thread of their own and hands frames to the media tick through a queue; fakes
//! never block.

/// The analog clock: 8 kHz narrowband, the rate of G.711 calls.
pub const SAMPLE_RATE: u32 = 8000;
/// Samples in one 20 ms frame.
pub const FRAME_SAMPLES: usize = 160;
/// One 20 ms frame of 16-bit mono audio.
pub type AudioFrame = [i16; FRAME_SAMPLES];

/// A full-duplex sound device.
pub trait AudioDevice {
    /// Reads the next captured frame (what the microphone or line input heard).
    fn capture(&mut self, frame: &mut AudioFrame) -> Result<(), crate::Error>;
    /// Plays one frame (what the caller on the far end says).
    fn playback(&mut self, frame: &AudioFrame) -> Result<(), crate::Error>;
}
