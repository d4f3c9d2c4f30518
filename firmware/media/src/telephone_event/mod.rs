//! RFC 4733 telephone-events: DTMF carried as RTP packets of their own payload type.
//!
//! - [`EventPayload`]: the 4-byte payload (event, E bit, volume, duration), with the length
//!   checked. SEMS crashed on payloads shorter than 4 bytes (SEMS #552); here they are an
//!   error.
//! - [`EventReceiver`]: turns the packet stream (start, updates, end, the end's two
//!   retransmissions, any of them lost, reordered or repeated) into exactly one report per
//!   event, with its duration, de-duplicated by RTP timestamp. Long events split into
//!   0xFFFF-sample segments (RFC 4733 §2.5.1.3) are joined back into one.
//! - [`EventSender`]: sends digits or sequences with the asked duration: a start packet with
//!   the marker bit, an update every 20 ms sharing one timestamp, the end packet three times
//!   (§2.5.1.4), a new timestamp per digit and a gap between digits. While it is busy the
//!   voice stream is suppressed (§2.5.1.2 suggests not sending both).
//!
//! Event codes 0-15 are the DTMF digits ([`Digit`]); 16 is flash, higher codes are tones
//! (RFC 4733 §3.2, RFC 4734). Only digits are reported to a session's user.

mod receiver;
mod sender;

pub use receiver::{EventReceiver, ReceivedEvent};
pub use sender::{EventPacket, EventSender, MAX_DIGIT_MS, MIN_DIGIT_MS, QueueFull};

use thiserror::Error;

/// Length of one event block in a telephone-event payload.
pub const EVENT_PAYLOAD_LEN: usize = 4;

/// A telephone-event payload that cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TelephoneEventError {
    /// Fewer than the 4 bytes of one event (RFC 4733 §2.3).
    #[error("telephone-event payload of {0} bytes, at least 4 needed")]
    TooShort(usize),
}

/// One event block (RFC 4733 §2.3): event code, end bit, volume in -dBm0, duration in
/// timestamp units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPayload {
    /// Event code: 0-9, 10 `*`, 11 `#`, 12-15 `A`-`D`, 16 flash, ...
    pub event: u8,
    /// E bit: this packet ends the event (or its segment).
    pub end: bool,
    /// Power level in -dBm0, 0..=63 (RFC 4733 §2.3.4).
    pub volume: u8,
    /// Duration so far, in timestamp units from the packet's RTP timestamp.
    pub duration: u16,
}

impl EventPayload {
    /// Reads the first event block. Extra bytes are ignored: RFC 4733 §2.5.1.5 packs further
    /// blocks only with RFC 2198 redundancy, which is its own payload type.
    pub fn parse(payload: &[u8]) -> Result<Self, TelephoneEventError> {
        let b: &[u8; 4] = payload
            .get(..EVENT_PAYLOAD_LEN)
            .and_then(|b| b.try_into().ok())
            .ok_or(TelephoneEventError::TooShort(payload.len()))?;
        Ok(Self {
            event: b[0],
            end: b[1] & 0x80 != 0,
            volume: b[1] & 0x3F,
            duration: u16::from_be_bytes([b[2], b[3]]),
        })
    }

    /// The 4 payload bytes (R bit zero).
    pub fn to_bytes(self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | (self.volume & 0x3F),
            d[0],
            d[1],
        ]
    }
}

/// A DTMF digit: RFC 4733 event codes 0-15. The code is also SEMS's DSM `key` number
/// (0-9, `*` = 10, `#` = 11), so `firmware` can pass [`Digit::code`] straight to DSM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digit(u8);

impl Digit {
    /// The digit for an event code, if it is one (0..=15).
    pub fn from_code(code: u8) -> Option<Self> {
        (code <= 15).then_some(Self(code))
    }

    /// The digit for a keypad character: `0`-`9`, `*`, `#`, `A`-`D` (either case).
    pub fn from_char(c: char) -> Option<Self> {
        let code = match c {
            '0'..='9' => c as u8 - b'0',
            '*' => 10,
            '#' => 11,
            'A'..='D' => c as u8 - b'A' + 12,
            'a'..='d' => c as u8 - b'a' + 12,
            _ => return None,
        };
        Some(Self(code))
    }

    /// The RFC 4733 event code (and DSM key number).
    pub fn code(self) -> u8 {
        self.0
    }

    /// The keypad character.
    pub fn as_char(self) -> char {
        match self.0 {
            0..=9 => char::from(b'0' + self.0),
            10 => '*',
            11 => '#',
            _ => char::from(b'A' + self.0 - 12),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trip_and_short_rejected() {
        let p = EventPayload {
            event: 11,
            end: true,
            volume: 10,
            duration: 1600,
        };
        let b = p.to_bytes();
        assert_eq!(b, [11, 0x8A, 0x06, 0x40]);
        assert_eq!(EventPayload::parse(&b), Ok(p));
        for n in 0..4 {
            assert_eq!(
                EventPayload::parse(&b[..n]),
                Err(TelephoneEventError::TooShort(n))
            );
        }
        // R bit and extra bytes are ignored.
        assert_eq!(
            EventPayload::parse(&[1, 0xC5, 0, 160, 9, 9]),
            Ok(EventPayload {
                event: 1,
                end: true,
                volume: 5,
                duration: 160
            })
        );
    }

    #[test]
    fn digits() {
        let all: String = (0..16)
            .map(|c| Digit::from_code(c).unwrap().as_char())
            .collect();
        assert_eq!(all, "0123456789*#ABCD");
        for c in all.chars() {
            assert_eq!(Digit::from_char(c).unwrap().as_char(), c);
        }
        assert_eq!(Digit::from_char('d'), Digit::from_code(15));
        assert_eq!(Digit::from_code(16), None);
        assert_eq!(Digit::from_char('E'), None);
    }
}
