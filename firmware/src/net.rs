//! Small network helpers the runtime needs around the sans-IO cores: which local address
//! reaches a peer (for Via, Contact and SDP when bound to the wildcard address), and RTP port
//! pairs from the configured range.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

/// The local address the kernel would use to reach `peer`: a UDP socket is "connected" (no
/// packet is sent) and asked for its local address. Used when `sip_ip`/`media_ip` is the
/// wildcard, so that SIP and SDP carry an address the peer can answer to.
pub fn local_addr_towards(peer: IpAddr) -> Option<IpAddr> {
    let bind: SocketAddr = match peer {
        IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let s = UdpSocket::bind(bind).ok()?;
    s.connect((peer, 9)).ok()?;
    s.local_addr().ok().map(|a| a.ip())
}

/// Hands out RTP/RTCP port pairs (even RTP port, RTCP on the next one, RFC 3550 §11) from
/// `rtp_low_port..=rtp_high_port`, round robin, skipping pairs the OS reports busy.
#[derive(Debug)]
pub struct RtpPorts {
    ip: IpAddr,
    low: u16,
    high: u16,
    next: u16,
}

/// A bound RTP socket and its RTCP companion.
#[derive(Debug)]
pub struct RtpPair {
    /// The RTP socket (even port).
    pub rtp: UdpSocket,
    /// The RTCP socket (RTP port + 1).
    pub rtcp: UdpSocket,
    /// The RTP port.
    pub port: u16,
}

impl RtpPorts {
    /// A pool over `low..=high` on `ip` (a pool with fewer than two ports is empty).
    pub fn new(ip: IpAddr, low: u16, high: u16) -> RtpPorts {
        let low = low + (low % 2);
        RtpPorts {
            ip,
            low,
            high,
            next: low,
        }
    }

    /// How many pairs the range holds.
    pub fn capacity(&self) -> usize {
        if self.high <= self.low {
            0
        } else {
            usize::from(self.high - self.low).div_ceil(2)
        }
    }

    /// Binds the next free pair, or `None` when every pair of the range is taken.
    pub fn allocate(&mut self) -> Option<RtpPair> {
        for _ in 0..self.capacity() {
            let port = self.next;
            self.next = if u32::from(port) + 3 > u32::from(self.high) {
                self.low
            } else {
                port + 2
            };
            let Ok(rtp) = UdpSocket::bind((self.ip, port)) else {
                continue;
            };
            let Ok(rtcp) = UdpSocket::bind((self.ip, port + 1)) else {
                continue;
            };
            if rtp.set_nonblocking(true).is_err() || rtcp.set_nonblocking(true).is_err() {
                continue;
            }
            return Some(RtpPair { rtp, rtcp, port });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_reaches_loopback() {
        let lo = IpAddr::from([127, 0, 0, 1]);
        assert_eq!(local_addr_towards(lo), Some(lo));
    }

    #[test]
    fn pairs_are_even_distinct_and_skip_busy_ports() {
        let lo = IpAddr::from([127, 0, 0, 1]);
        // Find a free block of 8 ports to test in.
        let base = (40000u16..60000)
            .step_by(8)
            .find(|b| (0..8).all(|i| UdpSocket::bind((lo, b + i)).is_ok()))
            .unwrap();
        let busy = UdpSocket::bind((lo, base + 2)).unwrap();
        let mut pool = RtpPorts::new(lo, base, base + 7);
        assert_eq!(pool.capacity(), 4);
        let a = pool.allocate().unwrap();
        let b = pool.allocate().unwrap();
        assert_eq!(a.port, base);
        assert_eq!(b.port, base + 4, "base+2 is busy and must be skipped");
        assert_eq!(b.rtcp.local_addr().unwrap().port(), base + 5);
        let c = pool.allocate().unwrap();
        assert_eq!(c.port, base + 6);
        assert!(pool.allocate().is_none(), "all free pairs are taken");
        drop(a);
        assert_eq!(pool.allocate().unwrap().port, base);
        drop(busy);
    }
}
