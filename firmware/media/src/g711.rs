//! G.711 µ-law (PCMU) and A-law (PCMA), bit-exact with the ITU-T G.711 reference (the G.191
//! STL segment tables, as also used by Sun's `g711.c` and Python's `audioop`).
//!
//! 16-bit linear input is first reduced to the law's native width, 14 bits for µ-law and
//! 13 bits for A-law, with an arithmetic shift, as the reference does. All four directions are
//! table lookups built at compile time: 256-entry decode tables and 16 Ki / 8 Ki encode tables
//! (24 KiB of read-only data), so a 160-sample frame costs 160 loads.

/// µ-law bias added before the segment search (G.711 §2, in 16-bit units).
const ULAW_BIAS: i32 = 0x84;
/// Largest magnitude µ-law can represent, in 14-bit units.
const ULAW_CLIP_14: i32 = 8159;
/// Segment end points for µ-law (14-bit magnitudes plus bias/4).
const SEG_UEND: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];
/// Segment end points for A-law (13-bit magnitudes).
const SEG_AEND: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];

const fn search(val: i32, table: &[i32; 8]) -> usize {
    let mut i = 0;
    while i < 8 {
        if val <= table[i] {
            return i;
        }
        i += 1;
    }
    8
}

const fn ulaw_encode_14(pcm14: i32) -> u8 {
    let (mut v, mask) = if pcm14 < 0 {
        (-pcm14, 0x7F)
    } else {
        (pcm14, 0xFF)
    };
    if v > ULAW_CLIP_14 {
        v = ULAW_CLIP_14;
    }
    v += ULAW_BIAS >> 2;
    let seg = search(v, &SEG_UEND);
    if seg >= 8 {
        (0x7F ^ mask) as u8
    } else {
        let uval = ((seg as i32) << 4) | ((v >> (seg + 1)) & 0xF);
        (uval ^ mask) as u8
    }
}

const fn alaw_encode_13(pcm13: i32) -> u8 {
    let (v, mask) = if pcm13 >= 0 {
        (pcm13, 0xD5)
    } else {
        (-pcm13 - 1, 0x55)
    };
    let seg = search(v, &SEG_AEND);
    if seg >= 8 {
        (0x7F ^ mask) as u8
    } else {
        let mut aval = (seg as i32) << 4;
        if seg < 2 {
            aval |= (v >> 1) & 0xF;
        } else {
            aval |= (v >> seg) & 0xF;
        }
        (aval ^ mask) as u8
    }
}

const fn ulaw_decode_calc(code: u8) -> i16 {
    let u = !code as i32;
    let mut t = ((u & 0x0F) << 3) + ULAW_BIAS;
    t <<= (u & 0x70) >> 4;
    (if u & 0x80 != 0 {
        ULAW_BIAS - t
    } else {
        t - ULAW_BIAS
    }) as i16
}

const fn alaw_decode_calc(code: u8) -> i16 {
    let a = (code ^ 0x55) as i32;
    let mut t = (a & 0x0F) << 4;
    let seg = (a & 0x70) >> 4;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

static ULAW_DECODE: [i16; 256] = {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = ulaw_decode_calc(i as u8);
        i += 1;
    }
    t
};

static ALAW_DECODE: [i16; 256] = {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = alaw_decode_calc(i as u8);
        i += 1;
    }
    t
};

/// Indexed by the 14-bit sample + 8192.
static ULAW_ENCODE: [u8; 16384] = {
    let mut t = [0u8; 16384];
    let mut i = 0;
    while i < 16384 {
        t[i] = ulaw_encode_14(i as i32 - 8192);
        i += 1;
    }
    t
};

/// Indexed by the 13-bit sample + 4096.
static ALAW_ENCODE: [u8; 8192] = {
    let mut t = [0u8; 8192];
    let mut i = 0;
    while i < 8192 {
        t[i] = alaw_encode_13(i as i32 - 4096);
        i += 1;
    }
    t
};

/// Encodes one 16-bit linear sample as µ-law.
#[inline]
pub fn ulaw_encode(sample: i16) -> u8 {
    ULAW_ENCODE[((i32::from(sample) >> 2) + 8192) as usize]
}

/// Decodes one µ-law code to 16-bit linear.
#[inline]
pub fn ulaw_decode(code: u8) -> i16 {
    ULAW_DECODE[code as usize]
}

/// Encodes one 16-bit linear sample as A-law.
#[inline]
pub fn alaw_encode(sample: i16) -> u8 {
    ALAW_ENCODE[((i32::from(sample) >> 3) + 4096) as usize]
}

/// Decodes one A-law code to 16-bit linear.
#[inline]
pub fn alaw_decode(code: u8) -> i16 {
    ALAW_DECODE[code as usize]
}

/// The two G.711 laws, as negotiated in SDP (static payload types 0 and 8, RFC 3551 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Law {
    /// PCMU, payload type 0.
    Ulaw,
    /// PCMA, payload type 8.
    Alaw,
}

impl Law {
    /// The static RTP payload type (RFC 3551 table 4).
    pub fn payload_type(self) -> u8 {
        match self {
            Law::Ulaw => 0,
            Law::Alaw => 8,
        }
    }

    /// Encodes `pcm` into `out` (which must be at least as long); returns the bytes written.
    pub fn encode(self, pcm: &[i16], out: &mut [u8]) -> usize {
        let n = pcm.len().min(out.len());
        // One loop per law, so the encoder is inlined rather than called per sample.
        match self {
            Law::Ulaw => {
                for (o, s) in out[..n].iter_mut().zip(pcm) {
                    *o = ulaw_encode(*s);
                }
            }
            Law::Alaw => {
                for (o, s) in out[..n].iter_mut().zip(pcm) {
                    *o = alaw_encode(*s);
                }
            }
        }
        n
    }

    /// Decodes `codes` into `out` (which must be at least as long); returns the samples written.
    pub fn decode(self, codes: &[u8], out: &mut [i16]) -> usize {
        let n = codes.len().min(out.len());
        let table = match self {
            Law::Ulaw => &ULAW_DECODE,
            Law::Alaw => &ALAW_DECODE,
        };
        for (o, c) in out[..n].iter_mut().zip(codes) {
            *o = table[*c as usize];
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FNV-1a over a byte stream: a dependency-free digest for whole-table comparisons.
    fn fnv(bytes: impl IntoIterator<Item = u8>) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    }

    // The digests below were computed from Python 3.11's audioop (lin2ulaw, ulaw2lin,
    // lin2alaw, alaw2lin with width 2) over all 65 536 inputs and all 256 codes, in order;
    // see docs/g711.md for the script.
    #[test]
    fn ulaw_encode_all_65536_inputs_match_reference() {
        let d = fnv((i16::MIN..=i16::MAX).map(ulaw_encode));
        assert_eq!(d, ULAW_ENC_DIGEST);
    }

    #[test]
    fn alaw_encode_all_65536_inputs_match_reference() {
        let d = fnv((i16::MIN..=i16::MAX).map(alaw_encode));
        assert_eq!(d, ALAW_ENC_DIGEST);
    }

    #[test]
    fn decode_all_256_codes_match_reference() {
        let u = fnv((0..=255u8).flat_map(|c| ulaw_decode(c).to_le_bytes()));
        let a = fnv((0..=255u8).flat_map(|c| alaw_decode(c).to_le_bytes()));
        assert_eq!((u, a), (ULAW_DEC_DIGEST, ALAW_DEC_DIGEST));
    }

    #[test]
    fn known_points() {
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(ulaw_encode(-1), 0x7E); // -1 >> 2 is -1: the smallest negative step
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(ulaw_decode(0x00), -32124);
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(alaw_encode(-1), 0x55);
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_decode(0xAA), 32256);
        assert_eq!(alaw_decode(0x2A), -32256);
    }

    #[test]
    fn decode_then_encode_is_identity_on_codes() {
        for c in 0..=255u8 {
            let u = ulaw_encode(ulaw_decode(c));
            // 0x7F (-0) decodes to 0, which encodes as +0 (0xFF): the one non-identity.
            assert!(u == c || (c == 0x7F && u == 0xFF), "ulaw {c:#x} -> {u:#x}");
            assert_eq!(alaw_encode(alaw_decode(c)), c, "alaw {c:#x}");
        }
    }

    #[test]
    fn frame_helpers_round_trip() {
        let pcm: Vec<i16> = (0..160)
            .map(|i| ((i * 397) % 20000 - 10000) as i16)
            .collect();
        for law in [Law::Ulaw, Law::Alaw] {
            let mut codes = [0u8; 160];
            assert_eq!(law.encode(&pcm, &mut codes), 160);
            let mut back = [0i16; 160];
            assert_eq!(law.decode(&codes, &mut back), 160);
            for (a, b) in pcm.iter().zip(back.iter()) {
                // G.711 keeps at least ~5 % relative precision above the first segments.
                assert!(
                    (i32::from(*a) - i32::from(*b)).abs() <= (i32::from(*a).abs() / 16).max(16)
                );
            }
        }
    }

    const ULAW_ENC_DIGEST: u64 = 0xd5ee_23f7_d0ff_ae91;
    const ALAW_ENC_DIGEST: u64 = 0xf030_666e_b780_cf25;
    const ULAW_DEC_DIGEST: u64 = 0xb91e_65d6_8481_a1a8;
    const ALAW_DEC_DIGEST: u64 = 0x693a_40ca_62a3_d2a5;
}
