//! A tiny seeded generator (SplitMix64) for initial SSRC, sequence number and timestamp
//! (RFC 3550 §5.1 wants them random) and for the RTCP interval jitter (§6.3.1). Seeded by the
//! caller so tests are deterministic and two sessions in one process never share state. Not
//! cryptographic: RTP without SRTP has no secrets to protect.

/// SplitMix64 (Steele, Lea and Flood 2014): one u64 of state, full period, good enough mixing
/// for identifiers.
#[derive(Debug, Clone)]
pub(crate) struct SeededRng(u64);

impl SeededRng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// A value in `[0, 1)`.
    pub(crate) fn next_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_distinct() {
        let mut a = SeededRng::new(7);
        let mut b = SeededRng::new(7);
        let mut c = SeededRng::new(8);
        let (x, y, z) = (a.next_u64(), b.next_u64(), c.next_u64());
        assert_eq!(x, y);
        assert_ne!(x, z);
        for _ in 0..1000 {
            let u = a.next_unit();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
