//! Media for dsmbox, sans-IO and allocation-free on the 20 ms path: RTP, SDP offer/answer
//! (RFC 3264), G.711, RFC 4733 telephone-events, a fixed-point Goertzel DTMF detector, a
//! jitter buffer, WAV playlist and recorder, tone generation and an N-1 conference mixer.
//!
//! Time is always an argument; buffers are owned by the caller. Audio moves in 20 ms frames of
//! [`FRAME_SAMPLES`] signed 16-bit samples at [`SAMPLE_RATE`] Hz.

#![forbid(unsafe_code)]

pub mod g711;

/// The media clock: 8 kHz narrowband, as G.711 and RFC 4733 use.
pub const SAMPLE_RATE: u32 = 8000;
/// Samples in one 20 ms frame at [`SAMPLE_RATE`].
pub const FRAME_SAMPLES: usize = 160;
/// One 20 ms frame of 16-bit linear audio.
pub type Frame = [i16; FRAME_SAMPLES];

pub mod dtmf;
pub mod jitter;
pub mod mixer;
pub mod playlist;
pub mod recorder;
pub mod rtcp;
pub mod rtp;
pub mod sdp;
pub mod telephone_event;
pub mod tone;
pub mod wav;
