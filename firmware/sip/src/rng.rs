//! The seeded random source for tags, branches, Call-IDs, cnonces and retry jitter.
//!
//! xoshiro256** seeded through splitmix64: small, fast, and the same sequence for the same
//! seed, which is what deterministic scenario tests need. The driver seeds it from the OS
//! (`getrandom`) in production. It is not a cryptographic generator: identifiers in SIP
//! only need to be unique and hard to guess off-path, and the digest cnonce only needs to
//! vary (RFC 7616 §3.4); none of them protect a secret.

/// A deterministic pseudo-random generator.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

impl Rng {
    /// A generator whose whole output is determined by `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut next = || {
            // splitmix64
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniformly distributed float in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `len` characters of `[a-z0-9]` (token-safe everywhere in SIP).
    pub fn token(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| ALPHABET[(self.next_u64() % ALPHABET.len() as u64) as usize] as char)
            .collect()
    }

    /// A branch with the RFC 3261 magic cookie (§8.1.1.7).
    pub fn branch(&mut self) -> String {
        format!("{}{}", crate::msg::MAGIC_COOKIE, self.token(16))
    }

    /// A From/To tag (§19.3: at least 32 bits of randomness; we use ~51).
    pub fn tag(&mut self) -> String {
        self.token(10)
    }

    /// A Call-ID (§8.1.1.4).
    pub fn call_id(&mut self) -> String {
        self.token(24)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(a.branch(), b.branch());
        assert_eq!(a.next_u64(), b.next_u64());
        assert_ne!(Rng::new(8).next_u64(), Rng::new(7).next_u64());
    }

    #[test]
    fn tokens_have_the_right_shape() {
        let mut r = Rng::new(1);
        let b = r.branch();
        assert!(b.starts_with("z9hG4bK") && b.len() == 23);
        assert!(r.tag().chars().all(|c| c.is_ascii_alphanumeric()));
        let u = r.unit();
        assert!((0.0..1.0).contains(&u));
    }
}
