//! Lenient SDP parsing with nom (RFC 4566 §5 and §9).
//!
//! Lenient means: CRLF or bare LF line ends, blank lines and trailing spaces ignored, line
//! types we do not use (`i=`, `u=`, `e=`, `p=`, `b=`, `z=`, `k=`, `r=`) and lines that are not
//! `x=...` at all skipped, attributes we do not know kept verbatim, and a known attribute whose
//! value does not parse kept as [`Attribute::Other`]. Strict where we must understand the
//! line to answer correctly: `o=`, `c=` and `m=` must parse, and there must be an `o=`.

use nom::bytes::complete::{tag, take_till1, take_while1};
use nom::character::complete::{
    char, space1, u8 as dec_u8, u16 as dec_u16, u32 as dec_u32, u64 as dec_u64,
};
use nom::combinator::{all_consuming, opt, rest};
use nom::multi::many1;
use nom::sequence::preceded;
use nom::{IResult, Parser};
use thiserror::Error;

use super::model::{
    Attribute, Connection, Direction, MediaDescription, Origin, Rtpmap, SessionDescription,
};

/// Why an SDP body was refused; `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SdpParseError {
    /// The body is not UTF-8.
    #[error("SDP is not UTF-8")]
    NotUtf8,
    /// No `o=` line.
    #[error("SDP has no o= line")]
    MissingOrigin,
    /// An `o=` line that does not parse.
    #[error("line {line}: malformed o= line")]
    Origin {
        /// Line number.
        line: usize,
    },
    /// A `c=` line that does not parse.
    #[error("line {line}: malformed c= line")]
    Connection {
        /// Line number.
        line: usize,
    },
    /// An `m=` line that does not parse.
    #[error("line {line}: malformed m= line")]
    Media {
        /// Line number.
        line: usize,
    },
}

fn token(i: &str) -> IResult<&str, &str> {
    take_while1(|c: char| !c.is_ascii_whitespace()).parse(i)
}

/// `IN <addrtype> <address>`.
fn connection(i: &str) -> IResult<&str, Connection> {
    let (i, (_, _, address_type, _, address)) =
        (tag("IN"), space1, token, space1, token).parse(i)?;
    Ok((
        i,
        Connection {
            address_type: address_type.to_owned(),
            address: address.to_owned(),
        },
    ))
}

fn origin(i: &str) -> IResult<&str, Origin> {
    let (i, (username, _, session_id, _, session_version, _, connection)) =
        (token, space1, token, space1, token, space1, connection).parse(i)?;
    Ok((
        i,
        Origin {
            username: username.to_owned(),
            session_id: session_id.to_owned(),
            session_version: session_version.to_owned(),
            connection,
        },
    ))
}

/// `<media> <port>[/<count>] <proto> <fmt> ...`
fn media(i: &str) -> IResult<&str, MediaDescription> {
    let (i, (media, _, port, port_count, _, protocol, formats)) = (
        token,
        space1,
        dec_u16,
        opt(preceded(char('/'), dec_u16)),
        space1,
        token,
        many1(preceded(space1, token)),
    )
        .parse(i)?;
    Ok((
        i,
        MediaDescription {
            media: media.to_owned(),
            port,
            port_count,
            protocol: protocol.to_owned(),
            formats: formats.into_iter().map(str::to_owned).collect(),
            connection: None,
            attributes: Vec::new(),
        },
    ))
}

fn timing(i: &str) -> IResult<&str, (u64, u64)> {
    let (i, (start, _, stop)) = (dec_u64, space1, dec_u64).parse(i)?;
    Ok((i, (start, stop)))
}

/// `<pt> <encoding>/<clock>[/<channels>]`
fn rtpmap(i: &str) -> IResult<&str, Rtpmap> {
    let (i, (payload_type, _, encoding, _, clock_rate, channels)) = (
        dec_u8,
        space1,
        take_till1(|c: char| c == '/' || c.is_ascii_whitespace()),
        char('/'),
        dec_u32,
        opt(preceded(char('/'), dec_u8)),
    )
        .parse(i)?;
    Ok((
        i,
        Rtpmap {
            payload_type,
            encoding: encoding.to_owned(),
            clock_rate,
            channels,
        },
    ))
}

/// `<pt> <parameters>`
fn fmtp(i: &str) -> IResult<&str, (u8, &str)> {
    let (i, (pt, _, params)) = (dec_u8, space1, rest).parse(i)?;
    Ok((i, (pt, params)))
}

/// `<port> [IN <addrtype> <address>]`
fn rtcp(i: &str) -> IResult<&str, (u16, Option<Connection>)> {
    (dec_u16, opt(preceded(space1, connection))).parse(i)
}

fn full<'a, O>(
    mut p: impl Parser<&'a str, Output = O, Error = nom::error::Error<&'a str>>,
    i: &'a str,
) -> Option<O> {
    all_consuming(|x| p.parse(x))
        .parse(i.trim_end())
        .ok()
        .map(|(_, o)| o)
}

fn attribute(value: &str) -> Attribute {
    let (name, arg) = match value.split_once(':') {
        Some((n, v)) => (n, Some(v)),
        None => (value, None),
    };
    let known = match (name, arg) {
        ("rtpmap", Some(v)) => full(rtpmap, v).map(Attribute::Rtpmap),
        ("fmtp", Some(v)) => full(fmtp, v).map(|(payload_type, p)| Attribute::Fmtp {
            payload_type,
            parameters: p.to_owned(),
        }),
        ("ptime", Some(v)) => full(dec_u32, v.trim()).map(Attribute::Ptime),
        ("maxptime", Some(v)) => full(dec_u32, v.trim()).map(Attribute::MaxPtime),
        ("rtcp", Some(v)) => {
            full(rtcp, v.trim()).map(|(port, connection)| Attribute::Rtcp { port, connection })
        }
        ("rtcp-mux", None) => Some(Attribute::RtcpMux),
        ("sendrecv", None) => Some(Attribute::Direction(Direction::SendRecv)),
        ("sendonly", None) => Some(Attribute::Direction(Direction::SendOnly)),
        ("recvonly", None) => Some(Attribute::Direction(Direction::RecvOnly)),
        ("inactive", None) => Some(Attribute::Direction(Direction::Inactive)),
        _ => None,
    };
    known.unwrap_or_else(|| Attribute::Other {
        name: name.to_owned(),
        value: arg.map(str::to_owned),
    })
}

impl SessionDescription {
    /// Parses an SDP body (see the module docs for what is lenient).
    pub fn parse(body: &[u8]) -> Result<Self, SdpParseError> {
        let text = std::str::from_utf8(body).map_err(|_| SdpParseError::NotUtf8)?;
        Self::parse_str(text)
    }

    /// Parses SDP text.
    pub fn parse_str(text: &str) -> Result<Self, SdpParseError> {
        let mut origin_line = None;
        let mut session_name = String::new();
        let mut connection = None;
        let mut times = (0, 0);
        let mut attributes = Vec::new();
        let mut media: Vec<MediaDescription> = Vec::new();
        for (index, raw) in text.split('\n').enumerate() {
            let line_no = index + 1;
            let line = raw.trim_end_matches(['\r', ' ', '\t']);
            let Some((kind, value)) = line.split_once('=') else {
                continue; // blank or garbage line
            };
            let in_media = !media.is_empty();
            match kind.trim() {
                "o" if !in_media => {
                    let o = full(origin, value).ok_or(SdpParseError::Origin { line: line_no })?;
                    origin_line = Some(o);
                }
                "s" if !in_media => session_name = value.to_owned(),
                "t" if !in_media => {
                    if let Some(t) = full(self::timing, value) {
                        times = t;
                    }
                }
                "c" => {
                    let c = full(self::connection, value)
                        .ok_or(SdpParseError::Connection { line: line_no })?;
                    match media.last_mut() {
                        Some(m) => m.connection = Some(c),
                        None => connection = Some(c),
                    }
                }
                "m" => {
                    let m =
                        full(self::media, value).ok_or(SdpParseError::Media { line: line_no })?;
                    media.push(m);
                }
                "a" => {
                    let a = attribute(value);
                    match media.last_mut() {
                        Some(m) => m.attributes.push(a),
                        None => attributes.push(a),
                    }
                }
                _ => {} // v=, i=, u=, e=, p=, b=, z=, k=, r= and unknown types
            }
        }
        Ok(Self {
            origin: origin_line.ok_or(SdpParseError::MissingOrigin)?,
            session_name,
            connection,
            timing: times,
            attributes,
            media,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_minimal_body_with_lf_only() {
        let s =
            "v=0\no=- 1 2 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\nt=0 0\nm=audio 4000 RTP/AVP 0\n";
        let d = SessionDescription::parse_str(s).unwrap();
        assert_eq!(d.origin.session_version, "2");
        assert_eq!(d.media.len(), 1);
        assert_eq!(d.media[0].port, 4000);
        assert_eq!(d.media[0].formats, vec!["0"]);
        assert_eq!(
            d.connection_of(0).and_then(Connection::ip),
            "10.0.0.1".parse().ok()
        );
    }

    #[test]
    fn attributes_known_unknown_and_malformed() {
        assert_eq!(
            attribute("rtpmap:101 telephone-event/8000"),
            Attribute::Rtpmap(Rtpmap {
                payload_type: 101,
                encoding: "telephone-event".into(),
                clock_rate: 8000,
                channels: None
            })
        );
        assert_eq!(
            attribute("rtpmap:9 G722/8000/1").clone(),
            Attribute::Rtpmap(Rtpmap {
                payload_type: 9,
                encoding: "G722".into(),
                clock_rate: 8000,
                channels: Some(1)
            })
        );
        assert_eq!(
            attribute("fmtp:101 0-16"),
            Attribute::Fmtp {
                payload_type: 101,
                parameters: "0-16".into()
            }
        );
        assert_eq!(attribute("ptime:30"), Attribute::Ptime(30));
        assert_eq!(
            attribute("rtcp:5001 IN IP6 ::1"),
            Attribute::Rtcp {
                port: 5001,
                connection: Some(Connection {
                    address_type: "IP6".into(),
                    address: "::1".into()
                })
            }
        );
        assert_eq!(
            attribute("rtpmap:banana"),
            Attribute::Other {
                name: "rtpmap".into(),
                value: Some("banana".into())
            }
        );
        assert_eq!(
            attribute("X-nat:0"),
            Attribute::Other {
                name: "X-nat".into(),
                value: Some("0".into())
            }
        );
        assert_eq!(
            attribute("sendonly"),
            Attribute::Direction(Direction::SendOnly)
        );
    }

    #[test]
    fn strict_where_it_matters() {
        assert_eq!(
            SessionDescription::parse_str("v=0\ns=x\n"),
            Err(SdpParseError::MissingOrigin)
        );
        assert_eq!(
            SessionDescription::parse_str("v=0\no=- 1 1 IN IP4 1.2.3.4\nm=audio x RTP/AVP 0\n"),
            Err(SdpParseError::Media { line: 3 })
        );
        assert_eq!(
            SessionDescription::parse(&[0xFF, 0xFE]),
            Err(SdpParseError::NotUtf8)
        );
    }
}
