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

/// Any media error, for callers that handle them alike. Each module returns its own precise
/// error (a parser's, a negotiation's, a file's); this enum gathers them with `?`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An RTP packet could not be read.
    #[error(transparent)]
    Rtp(#[from] rtp::RtpParseError),
    /// An RTCP packet could not be read.
    #[error(transparent)]
    Rtcp(#[from] rtcp::RtcpParseError),
    /// A telephone-event payload could not be read.
    #[error(transparent)]
    TelephoneEvent(#[from] telephone_event::TelephoneEventError),
    /// A DTMF digit could not be sent.
    #[error(transparent)]
    DtmfSend(#[from] rtp::DtmfSendError),
    /// An SDP body could not be read.
    #[error(transparent)]
    Sdp(#[from] sdp::SdpParseError),
    /// An offer or answer cannot be served (a SIP 488).
    #[error(transparent)]
    Negotiation(#[from] sdp::NegotiationError),
    /// A WAV file could not be read.
    #[error(transparent)]
    Wav(#[from] wav::WavError),
    /// Recording stopped.
    #[error(transparent)]
    Record(#[from] recorder::RecordError),
    /// A conference operation failed.
    #[error(transparent)]
    Conference(#[from] mixer::ConferenceError),
    /// A tee channel could not be added.
    #[error(transparent)]
    Tee(#[from] playlist::TeeError),
    /// A recording for `dtmf-detect` could not be read.
    #[error(transparent)]
    AudioFile(#[from] dtmf::AudioFileError),
}
