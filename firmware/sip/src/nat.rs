//! Via `received`/`rport` (RFC 3261 §18.2.1, §18.2.2; RFC 3581 §4).
//!
//! On every request received we stamp the top Via: `received` when the sent-by host is not
//! the source address (or always, when the client asked with a bare `rport`), and `rport`
//! filled with the source port. Responses then go where the request came from: to
//! `received` and `rport` when present, else to sent-by. A sent-by host name is never
//! resolved (we have no resolver): the source address is used instead.

use std::net::{IpAddr, SocketAddr};

use crate::msg::Via;

/// Stamps the top Via of a received request (RFC 3261 §18.2.1, RFC 3581 §4).
pub(crate) fn stamp_received(via: &mut Via, source: SocketAddr) {
    let src_ip = source.ip();
    let wants_rport = via.rport() == Some(None);
    let sent_by_matches = via.host.ip().is_some_and(|ip| same_ip(ip, src_ip));
    if wants_rport {
        via.params.set("rport", Some(&source.port().to_string()));
    }
    if wants_rport || !sent_by_matches {
        // RFC 3261 §25.1: received carries an address without IPv6 brackets.
        via.params
            .set("received", Some(&canonical_ip(src_ip).to_string()));
    }
}

/// Where a response to a request with this (stamped) top Via goes (§18.2.2, RFC 3581 §4).
pub(crate) fn response_destination(via: &Via, source: SocketAddr) -> SocketAddr {
    let port_from_via = via.port.unwrap_or(5060);
    if let Some(ip) = via.received() {
        let port = match via.rport() {
            Some(Some(p)) => p,
            _ => port_from_via,
        };
        return SocketAddr::new(ip, port);
    }
    match via.host.ip() {
        Some(ip) => SocketAddr::new(ip, port_from_via),
        None => source,
    }
}

fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

fn same_ip(a: IpAddr, b: IpAddr) -> bool {
    canonical_ip(a) == canonical_ip(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn via(s: &str) -> Via {
        Via::parse(s).unwrap()
    }

    #[test]
    fn rport_is_filled_and_received_always_added() {
        let mut v = via("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;rport");
        let src: SocketAddr = "192.0.2.1:5060".parse().unwrap();
        stamp_received(&mut v, src);
        assert_eq!(v.rport(), Some(Some(5060)));
        assert_eq!(v.received(), Some(src.ip()));
        assert_eq!(response_destination(&v, src), src);
    }

    #[test]
    fn nat_rewrites_destination_to_source() {
        let mut v = via("SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKa;rport");
        let src: SocketAddr = "203.0.113.9:40123".parse().unwrap();
        stamp_received(&mut v, src);
        assert_eq!(
            v.to_string(),
            "SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKa;rport=40123;received=203.0.113.9"
        );
        assert_eq!(response_destination(&v, src), src);
    }

    #[test]
    fn without_rport_received_keeps_the_via_port() {
        let mut v = via("SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bKa");
        let src: SocketAddr = "203.0.113.9:40123".parse().unwrap();
        stamp_received(&mut v, src);
        assert_eq!(v.rport(), None);
        assert_eq!(
            response_destination(&v, src),
            "203.0.113.9:5070".parse().unwrap()
        );
    }

    #[test]
    fn matching_sent_by_gets_no_received() {
        let mut v = via("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa");
        let src: SocketAddr = "192.0.2.1:5060".parse().unwrap();
        stamp_received(&mut v, src);
        assert_eq!(v.received(), None);
        assert_eq!(response_destination(&v, src), src);
    }

    #[test]
    fn host_names_fall_back_to_the_source() {
        let mut v = via("SIP/2.0/UDP pc33.example.com;branch=z9hG4bKa");
        let src: SocketAddr = "192.0.2.7:5062".parse().unwrap();
        stamp_received(&mut v, src);
        // received was added (host name != source), port stays sent-by's default.
        assert_eq!(
            response_destination(&v, src),
            "192.0.2.7:5060".parse().unwrap()
        );
    }

    #[test]
    fn ipv6() {
        let mut v = via("SIP/2.0/UDP [2001:db8::5];branch=z9hG4bKa;rport");
        let src: SocketAddr = "[2001:db8::9]:5099".parse().unwrap();
        stamp_received(&mut v, src);
        assert!(v.to_string().ends_with(";rport=5099;received=2001:db8::9"));
        assert_eq!(response_destination(&v, src), src);
    }
}
