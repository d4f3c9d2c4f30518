//! Receiving RFC 4733 events: one report per event, whatever the network did to its packets.
//!
//! An event is identified by its RTP timestamp (RFC 4733 §2.5.1.2: every packet of one event,
//! start, updates and end, carries the event's start time). So:
//! - the first packet seen with a new timestamp starts the event, marker bit or not (the start
//!   packet may be lost);
//! - an end packet (E bit) reports it, once; its two retransmissions, and any late update,
//!   carry a timestamp already reported and are ignored (a short ring of recent timestamps);
//! - if every end packet is lost, the event is reported when a newer event starts, when voice
//!   resumes past its end, or after [`EVENT_SILENCE`] without a packet for it;
//! - a long event (more than 0xFFFF samples, 8.2 s at 8 kHz) arrives as segments whose
//!   timestamps are 0xFFFF apart, without marker bit and without E bit on the earlier ones
//!   (RFC 4733 §2.5.1.3): they are joined, and the event is reported once with the total.

use std::time::{Duration, Instant};

use super::{EventPayload, TelephoneEventError};

/// An event whose packets stopped arriving for this long is over even without an end packet.
/// RFC 4733 §2.5.1.2 has updates every 50 ms at most; 8 missing updates in a row is a
/// stopped sender, not loss.
pub const EVENT_SILENCE: Duration = Duration::from_millis(400);

/// Timestamps of ended events remembered for de-duplication.
const RECENT: usize = 4;

/// A segment this close to 0xFFFF may be followed by a continuation segment.
const SEGMENT_SLACK: u32 = 1600;

/// A finished event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceivedEvent {
    /// RFC 4733 event code.
    pub event: u8,
    /// Total duration in timestamp units (segments of long events added up).
    pub duration: u32,
    /// Whether an end packet was seen (false: ended by timeout, a newer event or voice).
    pub end_seen: bool,
}

#[derive(Debug, Clone, Copy)]
struct Active {
    timestamp: u32,
    event: u8,
    /// Largest duration seen in the current segment.
    duration: u16,
    /// Durations of earlier segments of the same long event.
    earlier_segments: u32,
    last_packet: Instant,
}

impl Active {
    fn finish(&self, end_seen: bool) -> ReceivedEvent {
        ReceivedEvent {
            event: self.event,
            duration: self.earlier_segments + u32::from(self.duration),
            end_seen,
        }
    }
}

/// Turns a telephone-event packet stream into finished events; see the module docs.
#[derive(Debug, Clone, Default)]
pub struct EventReceiver {
    active: Option<Active>,
    recent: [Option<u32>; RECENT],
    recent_next: usize,
    finished: heapless::Deque<ReceivedEvent, 4>,
}

impl EventReceiver {
    /// A receiver with no event in progress.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets everything (new SSRC, new call).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    fn remember(&mut self, ts: u32) {
        self.recent[self.recent_next] = Some(ts);
        self.recent_next = (self.recent_next + 1) % RECENT;
    }

    fn seen(&self, ts: u32) -> bool {
        self.recent.contains(&Some(ts))
    }

    fn finish_active(&mut self, end_seen: bool) {
        if let Some(a) = self.active.take() {
            self.remember(a.timestamp);
            if self.finished.is_full() {
                // Four unread events: drop the oldest rather than the newest.
                self.finished.pop_front();
            }
            let _ = self.finished.push_back(a.finish(end_seen));
        }
    }

    /// Handles one telephone-event packet. A payload shorter than 4 bytes is an error and
    /// changes nothing.
    pub fn on_packet(
        &mut self,
        now: Instant,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) -> Result<(), TelephoneEventError> {
        let p = EventPayload::parse(payload)?;
        if self.seen(timestamp) {
            return Ok(()); // a retransmitted end, or a late update, of a reported event
        }
        match self.active {
            Some(ref mut a) if a.timestamp == timestamp => {
                if p.event != a.event {
                    return Ok(()); // one timestamp, two codes: a broken sender; keep the first
                }
                a.duration = a.duration.max(p.duration);
                a.last_packet = now;
            }
            Some(a) => {
                let ahead = timestamp.wrapping_sub(a.timestamp);
                if ahead > u32::MAX / 2 {
                    return Ok(()); // older than the event in progress: a straggler
                }
                let continues = p.event == a.event
                    && !marker
                    && u32::from(a.duration) + SEGMENT_SLACK > 0xFFFF
                    && ahead.abs_diff(0xFFFF) <= SEGMENT_SLACK;
                if continues {
                    // Next segment of a long event (RFC 4733 §2.5.1.3).
                    self.remember(a.timestamp);
                    self.active = Some(Active {
                        timestamp,
                        event: a.event,
                        duration: p.duration,
                        earlier_segments: a.earlier_segments + ahead,
                        last_packet: now,
                    });
                } else {
                    // A new event: the previous one lost all its end packets.
                    self.finish_active(false);
                    self.start(now, timestamp, &p);
                }
            }
            None => self.start(now, timestamp, &p),
        }
        if p.end {
            self.finish_active(true);
        }
        Ok(())
    }

    fn start(&mut self, now: Instant, timestamp: u32, p: &EventPayload) {
        self.active = Some(Active {
            timestamp,
            event: p.event,
            duration: p.duration,
            earlier_segments: 0,
            last_packet: now,
        });
    }

    /// Tells the receiver that voice with this RTP timestamp arrived: an event whose end lies
    /// before it is over (its end packets were lost).
    pub fn on_voice(&mut self, timestamp: u32) {
        if let Some(a) = self.active {
            let past = timestamp.wrapping_sub(a.timestamp);
            if past < u32::MAX / 2 && past > u32::from(a.duration) + SEGMENT_SLACK {
                self.finish_active(false);
            }
        }
    }

    /// When [`EventReceiver::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.active.map(|a| a.last_packet + EVENT_SILENCE)
    }

    /// Ends an event whose packets stopped arriving.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(deadline) = self.poll_timeout()
            && now >= deadline
        {
            self.finish_active(false);
        }
    }

    /// The next finished event.
    pub fn poll_event(&mut self) -> Option<ReceivedEvent> {
        self.finished.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(event: u8, end: bool, duration: u16) -> [u8; 4] {
        EventPayload {
            event,
            end,
            volume: 10,
            duration,
        }
        .to_bytes()
    }

    #[test]
    fn one_report_despite_end_retransmissions() {
        let t = Instant::now();
        let mut r = EventReceiver::new();
        r.on_packet(t, 1000, true, &pkt(5, false, 160)).unwrap();
        r.on_packet(t, 1000, false, &pkt(5, false, 320)).unwrap();
        assert_eq!(r.poll_event(), None);
        for _ in 0..3 {
            r.on_packet(t, 1000, false, &pkt(5, true, 800)).unwrap();
        }
        assert_eq!(
            r.poll_event(),
            Some(ReceivedEvent {
                event: 5,
                duration: 800,
                end_seen: true
            })
        );
        assert_eq!(r.poll_event(), None);
        // A late update after the end changes nothing.
        r.on_packet(t, 1000, false, &pkt(5, false, 480)).unwrap();
        assert_eq!(r.poll_event(), None);
        assert_eq!(r.poll_timeout(), None);
    }

    #[test]
    fn short_payload_is_rejected_and_harmless() {
        let mut r = EventReceiver::new();
        let t = Instant::now();
        assert_eq!(
            r.on_packet(t, 1, true, &[5, 0x80]),
            Err(TelephoneEventError::TooShort(2))
        );
        assert_eq!(r.poll_timeout(), None);
    }

    #[test]
    fn lost_ends_are_closed_by_the_next_event_or_voice_or_silence() {
        let t = Instant::now();
        let mut r = EventReceiver::new();
        r.on_packet(t, 0, true, &pkt(1, false, 160)).unwrap();
        r.on_packet(t, 2000, true, &pkt(2, false, 160)).unwrap();
        assert_eq!(
            r.poll_event().map(|e| (e.event, e.end_seen)),
            Some((1, false))
        );
        r.on_voice(2000 + 160 + 1600 + 1);
        assert_eq!(r.poll_event().map(|e| e.event), Some(2));
        r.on_packet(t, 9000, false, &pkt(3, false, 480)).unwrap();
        r.handle_timeout(t + Duration::from_millis(100));
        assert_eq!(r.poll_event(), None);
        r.handle_timeout(t + EVENT_SILENCE);
        assert_eq!(
            r.poll_event().map(|e| (e.event, e.duration)),
            Some((3, 480))
        );
    }
}
