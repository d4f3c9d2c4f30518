//! DTMF carried in SIP INFO bodies (RFC 6086 INFO; the de-facto `application/dtmf-relay`
//! body of Cisco and pjsip, and `application/dtmf`).
//!
//! ```text
//! application/dtmf-relay:  Signal=5\r\nDuration=160\r\n     (Duration in ms, optional)
//! application/dtmf:        5                               (a key, or an event number)
//! ```
//! Keys are returned as RFC 4733 event numbers: 0-9, `*` = 10, `#` = 11, A-D = 12-15.

/// One key press from an INFO request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dtmf {
    /// RFC 4733 event number, 0..=15.
    pub event: u8,
    /// How long the key was held, if the sender said.
    pub duration_ms: Option<u32>,
}

impl Dtmf {
    /// The key as a character: `0`-`9`, `*`, `#`, `A`-`D`.
    pub fn key(&self) -> char {
        match self.event {
            0..=9 => (b'0' + self.event) as char,
            10 => '*',
            11 => '#',
            12..=15 => (b'A' + self.event - 12) as char,
            _ => '?',
        }
    }
}

/// Why an INFO body is not DTMF we understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DtmfError {
    /// Not UTF-8 text, or no `Signal=` line.
    #[error("malformed DTMF body")]
    Malformed,
    /// A key outside 0-9, *, #, A-D (and event numbers above 15).
    #[error("unknown DTMF key")]
    UnknownKey,
}

/// Whether the content type is one of the two DTMF INFO types.
pub fn is_dtmf_content_type(content_type: &str) -> bool {
    let mt = crate::msg::media_type(content_type);
    mt == "application/dtmf-relay" || mt == "application/dtmf"
}

fn key_to_event(s: &str) -> Result<u8, DtmfError> {
    let s = s.trim();
    if s.len() == 1 {
        let c = s.as_bytes()[0];
        return match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'*' => Ok(10),
            b'#' => Ok(11),
            b'A'..=b'D' => Ok(c - b'A' + 12),
            b'a'..=b'd' => Ok(c - b'a' + 12),
            _ => Err(DtmfError::UnknownKey),
        };
    }
    // Some senders give the event number ("10" for *, "11" for #).
    match s.parse::<u8>() {
        Ok(n) if n <= 15 => Ok(n),
        Ok(_) => Err(DtmfError::UnknownKey),
        Err(_) => Err(DtmfError::Malformed),
    }
}

/// Parses an INFO body of type `application/dtmf-relay` or `application/dtmf`.
pub fn parse_dtmf_body(content_type: &str, body: &[u8]) -> Result<Dtmf, DtmfError> {
    let text = std::str::from_utf8(body).map_err(|_| DtmfError::Malformed)?;
    if crate::msg::media_type(content_type) == "application/dtmf" {
        return Ok(Dtmf {
            event: key_to_event(text)?,
            duration_ms: None,
        });
    }
    let mut event = None;
    let mut duration_ms = None;
    for line in text.lines() {
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        match name.trim().to_ascii_lowercase().as_str() {
            "signal" => event = Some(key_to_event(value)?),
            "duration" => duration_ms = value.trim().parse::<u32>().ok(),
            _ => {}
        }
    }
    Ok(Dtmf {
        event: event.ok_or(DtmfError::Malformed)?,
        duration_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtmf_relay_bodies() {
        let d = parse_dtmf_body("application/dtmf-relay", b"Signal=5\r\nDuration=160\r\n").unwrap();
        assert_eq!((d.event, d.duration_ms, d.key()), (5, Some(160), '5'));
        let d = parse_dtmf_body("Application/DTMF-Relay", b"signal= #\nduration = 250").unwrap();
        assert_eq!((d.key(), d.duration_ms), ('#', Some(250)));
        let d = parse_dtmf_body("application/dtmf-relay", b"Signal=11\r\n").unwrap();
        assert_eq!(d.key(), '#');
        let d = parse_dtmf_body("application/dtmf-relay", b"Signal=d\r\nDuration=x\r\n").unwrap();
        assert_eq!((d.key(), d.duration_ms), ('D', None));
    }

    #[test]
    fn dtmf_bodies() {
        assert_eq!(
            parse_dtmf_body("application/dtmf", b"*").unwrap().key(),
            '*'
        );
        assert_eq!(
            parse_dtmf_body("application/dtmf", b"10\r\n")
                .unwrap()
                .key(),
            '*'
        );
    }

    #[test]
    fn bad_bodies() {
        assert_eq!(
            parse_dtmf_body("application/dtmf-relay", b"Duration=160"),
            Err(DtmfError::Malformed)
        );
        assert_eq!(
            parse_dtmf_body("application/dtmf-relay", b"Signal=X"),
            Err(DtmfError::UnknownKey)
        );
        assert_eq!(
            parse_dtmf_body("application/dtmf-relay", b"Signal=16"),
            Err(DtmfError::UnknownKey)
        );
        assert_eq!(
            parse_dtmf_body("application/dtmf", &[0xff]),
            Err(DtmfError::Malformed)
        );
        assert_eq!(
            parse_dtmf_body("application/dtmf", b""),
            Err(DtmfError::Malformed)
        );
    }
}
