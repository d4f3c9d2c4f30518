//! Reception statistics for one remote source, exactly as RFC 3550 Appendix A computes them:
//! sequence validation and the extended highest sequence number (A.1), expected and lost
//! packets with the loss fraction per report interval (A.3), and interarrival jitter (A.8).
//! RTCP receiver reports are built from these numbers, and the session's counters read them.

/// RFC 3550 A.1: a jump of fewer than this many sequence numbers is a gap (lost packets).
const MAX_DROPOUT: u16 = 3000;
/// RFC 3550 A.1: a step back of up to this many is a late or duplicate packet.
const MAX_MISORDER: u16 = 100;
const SEQ_MOD: u32 = 1 << 16;

/// What [`ReceptionStats::on_sequence`] made of a packet's sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceCheck {
    /// The first packet seen, or the sender restarted its sequence (two packets in a row
    /// confirmed a large jump, RFC 3550 A.1). Statistics were reset.
    Restarted,
    /// A new highest sequence number (possibly after a gap).
    Advanced,
    /// Older than the highest: reordered or duplicated. Still valid media.
    Older,
    /// A large jump not yet confirmed by the next packet; RFC 3550 A.1 drops it.
    Rejected,
}

/// RFC 3550 Appendix A state for one source. No probation: a voice leg plays the first packet
/// at once (the peer was negotiated in SDP and latched by address already).
#[derive(Debug, Clone, Default)]
pub struct ReceptionStats {
    started: bool,
    max_seq: u16,
    cycles: u32,
    base_seq: u32,
    bad_seq: u32,
    received: u64,
    expected_prior: u32,
    received_prior: u64,
    /// Interarrival jitter scaled by 16, as in A.8's integer form.
    jitter_q4: u32,
    last_transit: Option<u32>,
}

impl ReceptionStats {
    /// Fresh statistics: nothing received.
    pub fn new() -> Self {
        Self::default()
    }

    fn init_seq(&mut self, seq: u16) {
        self.started = true;
        self.base_seq = u32::from(seq);
        self.max_seq = seq;
        self.bad_seq = SEQ_MOD + 1;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
        self.last_transit = None;
        self.jitter_q4 = 0;
    }

    /// RFC 3550 A.1 `update_seq`. Counts the packet as received unless it is
    /// [`SequenceCheck::Rejected`].
    pub fn on_sequence(&mut self, seq: u16) -> SequenceCheck {
        if !self.started {
            self.init_seq(seq);
            self.received = 1;
            return SequenceCheck::Restarted;
        }
        let udelta = seq.wrapping_sub(self.max_seq);
        let verdict = if udelta == 0 {
            SequenceCheck::Older // an exact duplicate of the highest
        } else if udelta < MAX_DROPOUT {
            if seq < self.max_seq {
                // Wrapped: one more cycle of 65536.
                self.cycles = self.cycles.wrapping_add(SEQ_MOD);
            }
            self.max_seq = seq;
            SequenceCheck::Advanced
        } else if u32::from(udelta) <= SEQ_MOD - u32::from(MAX_MISORDER) {
            // A very large jump: accept only if the next packet confirms it.
            if u32::from(seq) == self.bad_seq {
                self.init_seq(seq);
                self.received = 1;
                return SequenceCheck::Restarted;
            }
            self.bad_seq = (u32::from(seq) + 1) & (SEQ_MOD - 1);
            return SequenceCheck::Rejected;
        } else {
            SequenceCheck::Older
        };
        self.received += 1;
        verdict
    }

    /// RFC 3550 A.8: updates the interarrival jitter from one packet's arrival time and RTP
    /// timestamp, both in the payload's clock units (8 kHz here). Call only for packets that
    /// were sampled at their timestamp: not for RFC 4733 updates, which all repeat one
    /// timestamp.
    pub fn on_transit(&mut self, arrival: u32, rtp_timestamp: u32) {
        let transit = arrival.wrapping_sub(rtp_timestamp);
        if let Some(last) = self.last_transit {
            let d = (transit.wrapping_sub(last) as i32).unsigned_abs();
            // J += (|D| - J) / 16, in the scaled integer form of A.8.
            let j = self.jitter_q4;
            self.jitter_q4 = j.wrapping_add(d).wrapping_sub((j + 8) >> 4);
        }
        self.last_transit = Some(transit);
    }

    /// Whether any packet has been counted.
    pub fn started(&self) -> bool {
        self.started
    }

    /// Packets counted as received (duplicates included, as A.3 says).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The extended highest sequence number received: cycles in the high 16 bits.
    pub fn extended_highest(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_seq))
    }

    /// Packets expected since the first (A.3).
    pub fn expected(&self) -> u32 {
        if !self.started {
            return 0;
        }
        self.extended_highest()
            .wrapping_sub(self.base_seq)
            .wrapping_add(1)
    }

    /// Cumulative packets lost (A.3); negative when duplicates outnumber losses.
    pub fn cumulative_lost(&self) -> i64 {
        i64::from(self.expected()) - self.received as i64
    }

    /// Interarrival jitter in timestamp units.
    pub fn jitter(&self) -> u32 {
        self.jitter_q4 >> 4
    }

    /// The fraction lost since the previous call, in 1/256 (A.3), and starts a new interval.
    pub fn take_fraction_lost(&mut self) -> u8 {
        let expected = self.expected();
        let expected_interval = expected.wrapping_sub(self.expected_prior);
        self.expected_prior = expected;
        let received_interval = self.received.wrapping_sub(self.received_prior);
        self.received_prior = self.received;
        let lost_interval = i64::from(expected_interval) - received_interval as i64;
        if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / i64::from(expected_interval)).min(255) as u8
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_loss_across_wrap() {
        let mut s = ReceptionStats::new();
        assert_eq!(s.on_sequence(65530), SequenceCheck::Restarted);
        for seq in [65531u16, 65533, 65534, 65535, 0, 2, 3] {
            assert_eq!(s.on_sequence(seq), SequenceCheck::Advanced);
        }
        // 65530..=3 is 10 packets, 8 received.
        assert_eq!(s.expected(), 10);
        assert_eq!(s.cumulative_lost(), 2);
        assert_eq!(s.extended_highest(), (1 << 16) + 3);
        assert_eq!(s.take_fraction_lost(), (2 * 256 / 10) as u8);
        // Next interval: nothing lost.
        s.on_sequence(4);
        assert_eq!(s.take_fraction_lost(), 0);
    }

    #[test]
    fn reordered_and_duplicate_are_older() {
        let mut s = ReceptionStats::new();
        s.on_sequence(10);
        s.on_sequence(12);
        assert_eq!(s.on_sequence(11), SequenceCheck::Older);
        assert_eq!(s.on_sequence(12), SequenceCheck::Older);
        assert_eq!(s.expected(), 3);
        assert_eq!(s.cumulative_lost(), -1);
    }

    #[test]
    fn large_jump_needs_confirmation() {
        let mut s = ReceptionStats::new();
        s.on_sequence(100);
        assert_eq!(s.on_sequence(30_000), SequenceCheck::Rejected);
        assert_eq!(s.on_sequence(30_001), SequenceCheck::Restarted);
        assert_eq!(s.expected(), 1);
    }

    #[test]
    fn jitter_of_a_regular_stream_is_zero_and_grows_with_variation() {
        let mut s = ReceptionStats::new();
        for i in 0..100u32 {
            s.on_transit(1000 + i * 160, 5000 + i * 160);
        }
        assert_eq!(s.jitter(), 0);
        for i in 0..200u32 {
            let wobble = if i % 2 == 0 { 0 } else { 80 };
            s.on_transit(1000 + i * 160 + wobble, 5000 + i * 160);
        }
        // Alternating ±80 units converges towards 80.
        assert!((70..=80).contains(&s.jitter()), "{}", s.jitter());
    }
}
