//! The Via header (RFC 3261 §20.42, §18.2.1) with the RFC 3581 `rport` parameter.

use std::fmt;
use std::net::IpAddr;

use nom::{Parser, bytes::complete::tag_no_case, character::complete::char};

use super::grammar::{header_params, lws, token};
use super::params::Params;
use super::uri::{Host, host_port};

/// The RFC 3261 branch prefix that marks a globally unique branch (§8.1.1.7).
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// One Via entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// Transport in upper case (`UDP`, `TCP`, `TLS`, `SCTP`, or anything else received).
    pub transport: String,
    /// `sent-by` host.
    pub host: Host,
    /// `sent-by` port, if given.
    pub port: Option<u16>,
    /// Parameters (`branch`, `received`, `rport`, `maddr`, `ttl`, …).
    pub params: Params,
}

/// A Via entry that did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed Via")]
pub struct ViaError;

impl Via {
    /// A UDP Via for `host:port` with a branch and an empty `rport` (RFC 3581 §3: a client
    /// asks for symmetric response routing by sending `rport` without a value).
    pub fn udp(host: Host, port: u16, branch: &str) -> Via {
        let mut params = Params::new();
        params.push("branch", Some(branch));
        params.push("rport", None);
        Via {
            transport: "UDP".into(),
            host,
            port: Some(port),
            params,
        }
    }

    /// Parses one Via entry (after splitting at top-level commas). Whitespace is allowed
    /// around the slashes of `SIP / 2.0 / UDP` (RFC 3261 §25.1 SLASH = SWS "/" SWS).
    pub fn parse(value: &str) -> Result<Via, ViaError> {
        let slash = |i| -> nom::IResult<&str, char> {
            let (i, _) = lws(i)?;
            let (i, c) = char('/').parse(i)?;
            let (i, _) = lws(i)?;
            Ok((i, c))
        };
        let parsed = (|| -> nom::IResult<&str, Via> {
            let (i, _) = lws(value)?;
            let (i, _) = tag_no_case("SIP").parse(i)?;
            let (i, _) = slash(i)?;
            let (i, _) = tag_no_case("2.0").parse(i)?;
            let (i, _) = slash(i)?;
            let (i, transport) = token(i)?;
            let (i, ws) = lws(i)?;
            if ws.is_empty() {
                return Err(nom::Err::Error(nom::error::Error::new(
                    i,
                    nom::error::ErrorKind::Space,
                )));
            }
            let (i, (host, port)) = host_port(i)?;
            let (i, params) = header_params(i)?;
            let (i, _) = lws(i)?;
            Ok((
                i,
                Via {
                    transport: transport.to_ascii_uppercase(),
                    host,
                    port,
                    params,
                },
            ))
        })();
        match parsed {
            Ok(("", via)) => Ok(via),
            _ => Err(ViaError),
        }
    }

    /// The `branch` parameter.
    pub fn branch(&self) -> Option<&str> {
        self.params.value("branch")
    }

    /// Whether the branch starts with the RFC 3261 magic cookie, which makes it usable as a
    /// transaction identifier (§17.2.3). Otherwise we fall back to RFC 2543 matching.
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch().is_some_and(|b| b.starts_with(MAGIC_COOKIE))
    }

    /// The `received` parameter as an address.
    pub fn received(&self) -> Option<IpAddr> {
        self.params
            .value("received")
            .and_then(|v| v.trim_start_matches('[').trim_end_matches(']').parse().ok())
    }

    /// `None` without `rport`, `Some(None)` for a bare `rport`, `Some(Some(port))` when filled.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.params
            .get("rport")
            .map(|v| v.and_then(|p| p.parse().ok()))
    }

    /// `sent-by` as a lower-cased `host:port` with the default port 5060 made explicit, used
    /// in transaction keys (§17.2.3 compares sent-by).
    pub fn sent_by_key(&self) -> String {
        format!("{}:{}", self.host.canonical(), self.port.unwrap_or(5060))
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIP/2.0/{} {}", self.transport, self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write!(f, "{}", self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_via() {
        let v = Via::parse("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;rport").unwrap();
        assert_eq!(v.transport, "UDP");
        assert_eq!(v.port, Some(5060));
        assert_eq!(v.branch(), Some("z9hG4bK776asdhds"));
        assert!(v.has_rfc3261_branch());
        assert_eq!(v.rport(), Some(None));
        assert_eq!(
            v.to_string(),
            "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;rport"
        );
    }

    #[test]
    fn whitespace_around_slashes_and_params() {
        let v =
            Via::parse("SIP  / 2.0  / TCP     spindle.example.com   ;  branch  =   z9hG4bK9ikj8  ")
                .unwrap();
        assert_eq!(v.transport, "TCP");
        assert_eq!(v.host, Host::Name("spindle.example.com".into()));
        assert_eq!(v.branch(), Some("z9hG4bK9ikj8"));
    }

    #[test]
    fn ipv6_sent_by_and_received() {
        let v = Via::parse(
            "SIP/2.0/UDP [2001:db8::9]:5070;branch=z9hG4bKx;received=[2001:db8::1];rport=5071",
        )
        .unwrap();
        assert_eq!(v.sent_by_key(), "[2001:db8::9]:5070");
        assert_eq!(v.received(), Some("2001:db8::1".parse().unwrap()));
        assert_eq!(v.rport(), Some(Some(5071)));
    }

    #[test]
    fn malformed_vias() {
        for bad in [
            "SIP/2.0/UDP 192.0.2.15;;",
            "SIP/2.0/UDP",
            "SIP/2.0 UDP host",
            "SIP/2.0/UDPhost",
            "SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw",
            "SIP/2.0/UDP host:port",
            "SIP/2.0/UDP host;branch=a b",
        ] {
            assert!(Via::parse(bad).is_err(), "{bad} parsed");
        }
    }
}
