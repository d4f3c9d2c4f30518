//! The sending side of one RTP stream: our SSRC, sequence numbers and the media clock.
//!
//! The timestamp advances with the sampling clock whether or not a packet goes out (RFC 3550
//! §5.1: silence, mute, hold and RFC 4733 events all keep the clock running), and the first
//! voice packet after a pause carries the marker bit (RFC 3551 §4.1, talkspurt start).

use super::packet::RtpHeader;
use super::rng::SeededRng;

/// SSRC, next sequence number and media clock of the stream we send.
#[derive(Debug, Clone)]
pub struct RtpSender {
    ssrc: u32,
    next_sequence: u16,
    /// Media timestamp of the next 20 ms frame handed to us.
    clock: u32,
    /// The next voice packet starts a talkspurt.
    talkspurt_start: bool,
    packets_sent: u32,
    octets_sent: u32,
    /// RTP timestamp of the last packet sent (for sender reports).
    last_timestamp: u32,
    sent_any: bool,
}

impl RtpSender {
    /// A sender with random SSRC, initial sequence number and timestamp drawn from `seed`
    /// (RFC 3550 §5.1 asks for random initial values).
    pub fn new(seed: u64) -> Self {
        let mut rng = SeededRng::new(seed);
        let ssrc = rng.next_u32();
        let next_sequence = rng.next_u32() as u16;
        let clock = rng.next_u32();
        Self {
            ssrc,
            next_sequence,
            clock,
            talkspurt_start: true,
            packets_sent: 0,
            octets_sent: 0,
            last_timestamp: clock,
            sent_any: false,
        }
    }

    /// Our synchronisation source.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Media timestamp of the next frame.
    pub fn clock(&self) -> u32 {
        self.clock
    }

    /// Advances the media clock by `samples` (one frame) without sending anything; the next
    /// voice packet will start a talkspurt.
    pub fn skip(&mut self, samples: u32) {
        self.clock = self.clock.wrapping_add(samples);
        self.talkspurt_start = true;
    }

    /// Advances the media clock by `samples` after a frame was consumed by the packetiser.
    pub fn advance(&mut self, samples: u32) {
        self.clock = self.clock.wrapping_add(samples);
    }

    /// Marks that the next voice packet starts a talkspurt (after DTMF, mute, hold).
    pub fn start_talkspurt(&mut self) {
        self.talkspurt_start = true;
    }

    /// Header for a voice packet with the given timestamp; consumes a sequence number and
    /// sets the marker bit on a talkspurt's first packet.
    pub fn voice_header(&mut self, payload_type: u8, timestamp: u32) -> RtpHeader {
        let marker = core::mem::take(&mut self.talkspurt_start);
        self.header(payload_type, timestamp, marker)
    }

    /// Header for any packet (RFC 4733 events set their own marker); consumes a sequence
    /// number.
    pub fn header(&mut self, payload_type: u8, timestamp: u32, marker: bool) -> RtpHeader {
        let sequence = self.next_sequence;
        self.next_sequence = self.next_sequence.wrapping_add(1);
        RtpHeader {
            marker,
            payload_type,
            sequence,
            timestamp,
            ssrc: self.ssrc,
        }
    }

    /// Records a packet as sent, for the sender report's counts (RFC 3550 §6.4.1).
    pub fn record_sent(&mut self, timestamp: u32, payload_len: usize) {
        self.packets_sent = self.packets_sent.wrapping_add(1);
        self.octets_sent = self.octets_sent.wrapping_add(payload_len as u32);
        self.last_timestamp = timestamp;
        self.sent_any = true;
    }

    /// Packets sent so far (wraps, as the SR field does).
    pub fn packets_sent(&self) -> u32 {
        self.packets_sent
    }

    /// Payload octets sent so far (wraps, as the SR field does).
    pub fn octets_sent(&self) -> u32 {
        self.octets_sent
    }

    /// Whether anything was sent yet (an SR is sent instead of an RR once we have).
    pub fn has_sent(&self) -> bool {
        self.sent_any
    }

    /// RTP timestamp of the last packet sent.
    pub fn last_timestamp(&self) -> u32 {
        self.last_timestamp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_start_and_wrapping_sequence() {
        let a = RtpSender::new(1);
        let b = RtpSender::new(2);
        assert_ne!(a.ssrc(), b.ssrc());
        let mut s = RtpSender::new(3);
        let first = s.voice_header(0, s.clock());
        assert!(first.marker, "first packet starts a talkspurt");
        let second = s.voice_header(0, s.clock());
        assert!(!second.marker);
        assert_eq!(second.sequence, first.sequence.wrapping_add(1));
        for _ in 0..70_000 {
            s.header(0, 0, false);
        }
        let later = s.header(0, 0, false);
        assert_eq!(
            later.sequence,
            first
                .sequence
                .wrapping_add(2)
                .wrapping_add(70_000u32 as u16)
        );
    }

    #[test]
    fn clock_runs_while_silent() {
        let mut s = RtpSender::new(9);
        let t0 = s.clock();
        s.voice_header(0, t0);
        s.advance(160);
        s.skip(160);
        s.skip(160);
        assert_eq!(s.clock(), t0.wrapping_add(480));
        assert!(s.voice_header(0, s.clock()).marker);
    }
}
