//! When to send our report and what goes in it: the RFC 3550 §6.2 schedule for a two-party
//! session, report blocks from [`ReceptionStats`], LSR/DLSR (§6.4.1) and the round-trip time
//! the peer's reports let us compute.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::parse::{ReportBlock, SenderInfo};
use super::write::{write_receiver_report, write_sdes_cname, write_sender_report};
use crate::rtp::rng::SeededRng;
use crate::rtp::{BufferTooSmall, ReceptionStats, RtpSender};

/// RFC 3550 §6.2: the minimum interval between compound RTCP packets.
const MIN_INTERVAL: Duration = Duration::from_secs(5);
/// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01.
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// A 64-bit NTP timestamp: seconds since 1900 in the high 32 bits, fraction in the low 32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct NtpTime(pub u64);

impl NtpTime {
    /// The NTP time of a wall-clock instant (times before 1970 map to the Unix epoch).
    pub fn from_system_time(t: SystemTime) -> Self {
        let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
        Self::from_duration_since_1900(d + Duration::from_secs(NTP_UNIX_OFFSET))
    }

    fn from_duration_since_1900(d: Duration) -> Self {
        let frac = (u64::from(d.subsec_nanos()) << 32) / 1_000_000_000;
        Self((d.as_secs() << 32) | frac)
    }

    /// The middle 32 bits, as LSR and round-trip computations use (RFC 3550 §6.4.1).
    pub fn middle32(self) -> u32 {
        (self.0 >> 16) as u32
    }
}

/// A duration in 1/65536 s, the unit of DLSR.
fn to_units_65536(d: Duration) -> u32 {
    let units = (d.as_nanos() << 16) / 1_000_000_000;
    units.min(u128::from(u32::MAX)) as u32
}

/// RTCP schedule and bookkeeping for one leg.
#[derive(Debug, Clone)]
pub struct RtcpReporter {
    epoch: Instant,
    wall_at_epoch: SystemTime,
    next_report: Instant,
    rng: SeededRng,
    /// LSR (middle 32 bits of the peer's last SR) and when it arrived.
    last_sr: Option<(u32, Instant)>,
    rtt: Option<Duration>,
}

impl RtcpReporter {
    /// A reporter whose first report falls due after half the minimum interval, randomised
    /// (RFC 3550 §6.2, §6.3.1). `wall_at_now` is the wall-clock time at `now`, used only for
    /// the NTP field of sender reports.
    pub fn new(now: Instant, wall_at_now: SystemTime, seed: u64) -> Self {
        let mut rng = SeededRng::new(seed ^ 0x5254_4350_5f52_4550);
        let first = Self::randomised(&mut rng, MIN_INTERVAL / 2);
        Self {
            epoch: now,
            wall_at_epoch: wall_at_now,
            next_report: now + first,
            rng,
            last_sr: None,
            rtt: None,
        }
    }

    /// `base` scaled by a uniform factor in [0.5, 1.5) (RFC 3550 §6.3.1), so that legs
    /// started together do not report in lockstep.
    fn randomised(rng: &mut SeededRng, base: Duration) -> Duration {
        base.mul_f64(0.5 + rng.next_unit())
    }

    /// When the next report is due.
    pub fn next_report(&self) -> Instant {
        self.next_report
    }

    /// Whether a report is due at `now`.
    pub fn is_due(&self, now: Instant) -> bool {
        now >= self.next_report
    }

    /// The NTP time at `now`, from the wall clock given at construction.
    pub fn ntp_at(&self, now: Instant) -> NtpTime {
        let wall = self.wall_at_epoch + now.saturating_duration_since(self.epoch);
        NtpTime::from_system_time(wall)
    }

    /// Records the peer's sender report (its NTP timestamp) for LSR/DLSR.
    pub fn on_sender_report(&mut self, now: Instant, ntp: u64) {
        self.last_sr = Some((NtpTime(ntp).middle32(), now));
    }

    /// Reads a report block about our stream: the round-trip time is A - LSR - DLSR in 1/65536 s
    /// (RFC 3550 §6.4.1).
    pub fn on_report_block(&mut self, now: Instant, block: &ReportBlock) {
        if block.last_sr == 0 {
            return;
        }
        let a = self.ntp_at(now).middle32();
        let rtt = a
            .wrapping_sub(block.last_sr)
            .wrapping_sub(block.delay_since_last_sr);
        // A negative result (clock trouble, a bogus peer) wraps to a huge value: ignore it.
        if rtt < 65536 * 60 {
            self.rtt = Some(Duration::from_nanos(u64::from(rtt) * 1_000_000_000 / 65536));
        }
    }

    /// The last round-trip time measured from the peer's reports.
    pub fn round_trip_time(&self) -> Option<Duration> {
        self.rtt
    }

    /// The report block about the source we receive, closing the loss interval.
    pub fn report_block(
        &self,
        now: Instant,
        remote_ssrc: u32,
        stats: &mut ReceptionStats,
    ) -> ReportBlock {
        let (last_sr, delay_since_last_sr) = match self.last_sr {
            Some((lsr, at)) => (lsr, to_units_65536(now.saturating_duration_since(at))),
            None => (0, 0),
        };
        ReportBlock {
            ssrc: remote_ssrc,
            fraction_lost: stats.take_fraction_lost(),
            cumulative_lost: stats.cumulative_lost().clamp(-0x80_0000, 0x7F_FFFF) as i32,
            extended_highest: stats.extended_highest(),
            jitter: stats.jitter(),
            last_sr,
            delay_since_last_sr,
        }
    }

    /// Writes our compound report (SR if we sent media since the last report, else RR; then
    /// SDES CNAME) into `out` and schedules the next one. Returns the length.
    pub fn write_report(
        &mut self,
        now: Instant,
        sender: &RtpSender,
        sent_since_last_report: bool,
        remote: Option<(u32, &mut ReceptionStats)>,
        cname: &[u8],
        out: &mut [u8],
    ) -> Result<usize, BufferTooSmall> {
        let mut blocks = heapless::Vec::<ReportBlock, 1>::new();
        if let Some((ssrc, stats)) = remote
            && stats.started()
        {
            // Capacity 1, first push: cannot fail.
            let _ = blocks.push(self.report_block(now, ssrc, stats));
        }
        let n = if sent_since_last_report {
            let info = SenderInfo {
                ntp: self.ntp_at(now).0,
                // The media clock of the frame being produced now: the same instant as
                // `ntp`, within one 20 ms tick.
                rtp_timestamp: sender.clock(),
                packet_count: sender.packets_sent(),
                octet_count: sender.octets_sent(),
            };
            write_sender_report(sender.ssrc(), &info, &blocks, out)?
        } else {
            write_receiver_report(sender.ssrc(), &blocks, out)?
        };
        let m = write_sdes_cname(sender.ssrc(), cname, &mut out[n..])?;
        let interval = Self::randomised(&mut self.rng, MIN_INTERVAL);
        self.next_report = now + interval;
        Ok(n + m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtcp::{RtcpPacket, packets};

    #[test]
    fn ntp_of_unix_epoch() {
        assert_eq!(
            NtpTime::from_system_time(UNIX_EPOCH).0,
            NTP_UNIX_OFFSET << 32
        );
        let half = UNIX_EPOCH + Duration::from_millis(500);
        assert_eq!(NtpTime::from_system_time(half).0 & 0xFFFF_FFFF, 1 << 31);
    }

    #[test]
    fn schedule_is_randomised_around_five_seconds() {
        let t0 = Instant::now();
        let mut r = RtcpReporter::new(t0, UNIX_EPOCH, 1);
        let first = r.next_report() - t0;
        assert!(first >= Duration::from_millis(1250) && first < Duration::from_millis(3750));
        let sender = RtpSender::new(1);
        let mut buf = [0u8; 128];
        let mut now = r.next_report();
        for _ in 0..50 {
            r.write_report(now, &sender, false, None, b"x", &mut buf)
                .unwrap();
            let gap = r.next_report() - now;
            assert!(gap >= Duration::from_millis(2500) && gap < Duration::from_millis(7500));
            now = r.next_report();
        }
    }

    #[test]
    fn lsr_dlsr_and_round_trip() {
        let t0 = Instant::now();
        let wall = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut us = RtcpReporter::new(t0, wall, 2);
        let mut peer = RtcpReporter::new(t0, wall, 3);
        // The peer's SR leaves at t0 and reaches us 40 ms later.
        let peer_ntp = peer.ntp_at(t0).0;
        us.on_sender_report(t0 + Duration::from_millis(40), peer_ntp);
        // We report 1 s later; it reaches the peer after another 40 ms.
        let mut stats = ReceptionStats::new();
        stats.on_sequence(1);
        let now = t0 + Duration::from_millis(1040);
        let block = us.report_block(now, 99, &mut stats);
        assert_eq!(block.last_sr, NtpTime(peer_ntp).middle32());
        assert_eq!(block.delay_since_last_sr, 65536);
        peer.on_report_block(now + Duration::from_millis(40), &block);
        let rtt = peer.round_trip_time().unwrap();
        assert!(
            rtt.abs_diff(Duration::from_millis(80)) < Duration::from_millis(1),
            "{rtt:?}"
        );
    }

    #[test]
    fn report_is_rr_then_sr_after_sending() {
        let t0 = Instant::now();
        let mut r = RtcpReporter::new(t0, UNIX_EPOCH, 4);
        let mut sender = RtpSender::new(5);
        let mut stats = ReceptionStats::new();
        stats.on_sequence(10);
        let mut buf = [0u8; 256];
        let n = r
            .write_report(t0, &sender, false, Some((77, &mut stats)), b"me", &mut buf)
            .unwrap();
        let first = packets(&buf[..n]).next().unwrap().unwrap();
        assert!(matches!(first, RtcpPacket::ReceiverReport { .. }));
        sender.record_sent(1234, 160);
        let n = r
            .write_report(t0, &sender, true, Some((77, &mut stats)), b"me", &mut buf)
            .unwrap();
        match packets(&buf[..n]).next().unwrap().unwrap() {
            RtcpPacket::SenderReport {
                info, mut blocks, ..
            } => {
                assert_eq!(info.packet_count, 1);
                assert_eq!(info.octet_count, 160);
                assert_eq!(blocks.next().unwrap().ssrc, 77);
            }
            other => panic!("{other:?}"),
        }
    }
}
