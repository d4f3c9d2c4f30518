//! The SDP subset a voice appliance reads and writes (RFC 4566), as plain values, and its
//! text form (`Display` writes CRLF-terminated lines in the RFC 4566 §5 order).

use std::fmt;
use std::net::IpAddr;

/// A whole session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// `o=`.
    pub origin: Origin,
    /// `s=`.
    pub session_name: String,
    /// Session-level `c=`, the default for media without their own.
    pub connection: Option<Connection>,
    /// `t=` start and stop (NTP seconds; 0 0 for a permanent session).
    pub timing: (u64, u64),
    /// Session-level attributes (a direction here applies to every medium without its own).
    pub attributes: Vec<Attribute>,
    /// `m=` sections, in order.
    pub media: Vec<MediaDescription>,
}

/// `o=<username> <sess-id> <sess-version> IN <addrtype> <address>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Username, `-` if none.
    pub username: String,
    /// Session id: digits, kept as text because peers send numbers beyond 64 bits.
    pub session_id: String,
    /// Session version, as text for the same reason; RFC 3264 §8 makes it grow per change.
    pub session_version: String,
    /// Address type and address of the originator.
    pub connection: Connection,
}

/// `c=IN <addrtype> <address>` (also the address part of `o=` and `a=rtcp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// `IP4`, `IP6`, or whatever the peer wrote.
    pub address_type: String,
    /// The address as written (an IP literal, rarely a host name; multicast `/ttl` kept).
    pub address: String,
}

impl Connection {
    /// A connection line for an IP address.
    pub fn from_ip(ip: IpAddr) -> Self {
        Self {
            address_type: if ip.is_ipv4() { "IP4" } else { "IP6" }.to_owned(),
            address: ip.to_string(),
        }
    }

    /// The address as an IP, if it is an IP literal (a multicast `/ttl` suffix is ignored).
    pub fn ip(&self) -> Option<IpAddr> {
        let a = self.address.split('/').next().unwrap_or("");
        a.parse().ok()
    }
}

/// Media direction (RFC 4566 §6, RFC 3264 §5.1), from the describing side's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// Sends and receives (the default).
    #[default]
    SendRecv,
    /// Only sends (e.g. the side putting the other on hold).
    SendOnly,
    /// Only receives.
    RecvOnly,
    /// Neither.
    Inactive,
}

impl Direction {
    /// From what the side does.
    pub fn from_flags(sends: bool, receives: bool) -> Self {
        match (sends, receives) {
            (true, true) => Self::SendRecv,
            (true, false) => Self::SendOnly,
            (false, true) => Self::RecvOnly,
            (false, false) => Self::Inactive,
        }
    }
    /// Whether this side sends media.
    pub fn sends(self) -> bool {
        matches!(self, Self::SendRecv | Self::SendOnly)
    }
    /// Whether this side receives media.
    pub fn receives(self) -> bool {
        matches!(self, Self::SendRecv | Self::RecvOnly)
    }
    /// The same stream seen from the other side (sendonly <-> recvonly).
    pub fn reversed(self) -> Self {
        Self::from_flags(self.receives(), self.sends())
    }
    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }
}

/// `a=rtpmap:<pt> <encoding>/<clock>[/<channels>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtpmap {
    /// Payload type.
    pub payload_type: u8,
    /// Encoding name as written (compare case-insensitively).
    pub encoding: String,
    /// Clock rate in Hz.
    pub clock_rate: u32,
    /// Channels, if given.
    pub channels: Option<u8>,
}

/// One `a=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attribute {
    /// `a=rtpmap`.
    Rtpmap(Rtpmap),
    /// `a=fmtp:<pt> <parameters>`.
    Fmtp {
        /// Payload type.
        payload_type: u8,
        /// Parameters, verbatim.
        parameters: String,
    },
    /// `a=ptime:<ms>`.
    Ptime(u32),
    /// `a=maxptime:<ms>`.
    MaxPtime(u32),
    /// `a=sendrecv` / `sendonly` / `recvonly` / `inactive`.
    Direction(Direction),
    /// `a=rtcp:<port> [IN <addrtype> <address>]` (RFC 3605).
    Rtcp {
        /// RTCP port.
        port: u16,
        /// RTCP address, when not the media address.
        connection: Option<Connection>,
    },
    /// `a=rtcp-mux` (RFC 5761 §5.1.1).
    RtcpMux,
    /// Anything else, kept verbatim (also known attributes whose value did not parse).
    Other {
        /// The name before `:`.
        name: String,
        /// The value after `:`, if any.
        value: Option<String>,
    },
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// `audio`, `video`, ...
    pub media: String,
    /// Transport port; 0 rejects or disables the stream (RFC 3264 §6).
    pub port: u16,
    /// `/<number of ports>`, if given.
    pub port_count: Option<u16>,
    /// `RTP/AVP`, `RTP/SAVP`, ...
    pub protocol: String,
    /// Formats (payload types for RTP), as written.
    pub formats: Vec<String>,
    /// Media-level `c=`, overriding the session's.
    pub connection: Option<Connection>,
    /// Media-level attributes.
    pub attributes: Vec<Attribute>,
}

impl MediaDescription {
    /// The `a=rtpmap` for a payload type, if present.
    pub fn rtpmap(&self, pt: u8) -> Option<&Rtpmap> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Rtpmap(m) if m.payload_type == pt => Some(m),
            _ => None,
        })
    }

    /// The `a=fmtp` parameters for a payload type, if present.
    pub fn fmtp(&self, pt: u8) -> Option<&str> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Fmtp {
                payload_type,
                parameters,
            } if *payload_type == pt => Some(parameters.as_str()),
            _ => None,
        })
    }

    /// The media-level direction attribute, if any.
    pub fn direction(&self) -> Option<Direction> {
        direction_of(&self.attributes)
    }

    /// `a=ptime`, if present.
    pub fn ptime(&self) -> Option<u32> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Ptime(p) => Some(*p),
            _ => None,
        })
    }

    /// `a=maxptime`, if present.
    pub fn max_ptime(&self) -> Option<u32> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::MaxPtime(p) => Some(*p),
            _ => None,
        })
    }

    /// `a=rtcp`, if present.
    pub fn rtcp(&self) -> Option<(u16, Option<&Connection>)> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Rtcp { port, connection } => Some((*port, connection.as_ref())),
            _ => None,
        })
    }

    /// Whether `a=rtcp-mux` is present.
    pub fn rtcp_mux(&self) -> bool {
        self.attributes.contains(&Attribute::RtcpMux)
    }
}

pub(crate) fn direction_of(attributes: &[Attribute]) -> Option<Direction> {
    attributes.iter().find_map(|a| match a {
        Attribute::Direction(d) => Some(*d),
        _ => None,
    })
}

impl SessionDescription {
    /// The direction of medium `index`: its own attribute, else the session's, else sendrecv.
    pub fn direction_of(&self, index: usize) -> Direction {
        self.media
            .get(index)
            .and_then(MediaDescription::direction)
            .or_else(|| direction_of(&self.attributes))
            .unwrap_or_default()
    }

    /// The connection of medium `index`: its own `c=` overrides the session's (RFC 4566 §5.7).
    pub fn connection_of(&self, index: usize) -> Option<&Connection> {
        self.media
            .get(index)
            .and_then(|m| m.connection.as_ref())
            .or(self.connection.as_ref())
    }
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IN {} {}", self.address_type, self.address)
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Attribute::Rtpmap(m) => {
                write!(
                    f,
                    "rtpmap:{} {}/{}",
                    m.payload_type, m.encoding, m.clock_rate
                )?;
                if let Some(c) = m.channels {
                    write!(f, "/{c}")?;
                }
                Ok(())
            }
            Attribute::Fmtp {
                payload_type,
                parameters,
            } => write!(f, "fmtp:{payload_type} {parameters}"),
            Attribute::Ptime(p) => write!(f, "ptime:{p}"),
            Attribute::MaxPtime(p) => write!(f, "maxptime:{p}"),
            Attribute::Direction(d) => f.write_str(d.as_str()),
            Attribute::Rtcp { port, connection } => {
                write!(f, "rtcp:{port}")?;
                if let Some(c) = connection {
                    write!(f, " {c}")?;
                }
                Ok(())
            }
            Attribute::RtcpMux => f.write_str("rtcp-mux"),
            Attribute::Other { name, value } => match value {
                Some(v) => write!(f, "{name}:{v}"),
                None => f.write_str(name),
            },
        }
    }
}

impl fmt::Display for SessionDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.origin;
        write!(f, "v=0\r\n")?;
        write!(
            f,
            "o={} {} {} {}\r\n",
            o.username, o.session_id, o.session_version, o.connection
        )?;
        write!(f, "s={}\r\n", self.session_name)?;
        if let Some(c) = &self.connection {
            write!(f, "c={c}\r\n")?;
        }
        write!(f, "t={} {}\r\n", self.timing.0, self.timing.1)?;
        for a in &self.attributes {
            write!(f, "a={a}\r\n")?;
        }
        for m in &self.media {
            write!(f, "m={} {}", m.media, m.port)?;
            if let Some(n) = m.port_count {
                write!(f, "/{n}")?;
            }
            write!(f, " {}", m.protocol)?;
            for fmt in &m.formats {
                write!(f, " {fmt}")?;
            }
            write!(f, "\r\n")?;
            if let Some(c) = &m.connection {
                write!(f, "c={c}\r\n")?;
            }
            for a in &m.attributes {
                write!(f, "a={a}\r\n")?;
            }
        }
        Ok(())
    }
}
