//! Sending RFC 4733 events, one packet per 20 ms tick.
//!
//! For a digit of duration D starting at media time T (the tick it starts on):
//! - tick 0: start packet, marker bit, timestamp T, duration 160;
//! - tick k: update, timestamp T, duration 160·(k+1), while that is below D;
//! - then the end packet (E bit, duration D) on three consecutive ticks (§2.5.1.4: sent three
//!   times at the update interval, each with its own sequence number);
//! - the next digit starts no earlier than T + D + gap, with a new timestamp.
//!
//! The sender is "busy" from the start packet to the last end packet; the session suppresses
//! voice for that time (RFC 4733 §2.5.1.2).

use super::EventPayload;

/// Shortest digit we send; shorter requests are lengthened (receivers and DSP detectors
/// commonly ignore < 40 ms).
pub const MIN_DIGIT_MS: u16 = 40;
/// Longest digit we send: 8000 ms is 64 000 samples, below the 0xFFFF duration limit, so we
/// never need RFC 4733 §2.5.1.3 segments when sending.
pub const MAX_DIGIT_MS: u16 = 8000;

/// Volume field for our events: -10 dBm0, the usual DTMF level.
const VOLUME: u8 = 10;
/// Samples per tick (20 ms at 8 kHz).
const TICK: u32 = crate::FRAME_SAMPLES as u32;
/// Pending digits; a DSM script sends at most a short number.
const QUEUE: usize = 32;

/// One telephone-event packet to send, without its RTP sequence number and SSRC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPacket {
    /// RTP timestamp: the event's start.
    pub timestamp: u32,
    /// Marker bit: set on the first packet of an event.
    pub marker: bool,
    /// The payload.
    pub payload: EventPayload,
}

/// The digit queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("telephone-event queue full ({QUEUE} digits pending)")]
pub struct QueueFull;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    Playing {
        event: u8,
        timestamp: u32,
        duration: u16,
        elapsed: u32,
    },
    Ending {
        event: u8,
        timestamp: u32,
        duration: u16,
        repeats_left: u8,
    },
}

/// Queue and state machine for outgoing events; see the module docs.
#[derive(Debug, Clone)]
pub struct EventSender {
    queue: heapless::Deque<(u8, u16), QUEUE>,
    state: State,
    gap_samples: u32,
    /// Media time before which the next digit may not start.
    not_before: Option<u32>,
}

impl EventSender {
    /// A sender leaving `gap_ms` between the end of one digit and the start of the next.
    pub fn new(gap_ms: u16) -> Self {
        Self {
            queue: heapless::Deque::new(),
            state: State::Idle,
            gap_samples: u32::from(gap_ms) * (crate::SAMPLE_RATE / 1000),
            not_before: None,
        }
    }

    /// Queues an event of `duration_ms` (clamped to [`MIN_DIGIT_MS`]..=[`MAX_DIGIT_MS`]).
    pub fn queue(&mut self, event: u8, duration_ms: u16) -> Result<(), QueueFull> {
        let ms = duration_ms.clamp(MIN_DIGIT_MS, MAX_DIGIT_MS);
        let samples = u32::from(ms) * (crate::SAMPLE_RATE / 1000);
        // At most 64 000: fits.
        self.queue
            .push_back((event, samples as u16))
            .map_err(|_| QueueFull)
    }

    /// Whether an event is being sent (voice must be suppressed this tick).
    pub fn is_busy(&self) -> bool {
        self.state != State::Idle
    }

    /// Whether nothing is being sent or waiting.
    pub fn is_idle(&self) -> bool {
        self.state == State::Idle && self.queue.is_empty()
    }

    /// Drops the queue and any event in progress without sending its end (call teardown).
    pub fn clear(&mut self) {
        self.queue.clear();
        self.state = State::Idle;
    }

    /// One 20 ms tick whose first sample has media time `clock`: the packet to send, if any.
    pub fn tick(&mut self, clock: u32) -> Option<EventPacket> {
        if self.state == State::Idle {
            let may_start = self
                .not_before
                .is_none_or(|t| (clock.wrapping_sub(t) as i32) >= 0);
            if may_start && let Some((event, duration)) = self.queue.pop_front() {
                self.state = State::Playing {
                    event,
                    timestamp: clock,
                    duration,
                    elapsed: 0,
                };
            }
        }
        match self.state {
            State::Idle => None,
            State::Playing {
                event,
                timestamp,
                duration,
                elapsed,
            } => {
                let elapsed = elapsed + TICK;
                let marker = elapsed == TICK;
                if elapsed < u32::from(duration) {
                    self.state = State::Playing {
                        event,
                        timestamp,
                        duration,
                        elapsed,
                    };
                    Some(packet(timestamp, marker, event, false, elapsed as u16))
                } else {
                    self.state = State::Ending {
                        event,
                        timestamp,
                        duration,
                        repeats_left: 2,
                    };
                    self.not_before = Some(
                        timestamp
                            .wrapping_add(u32::from(duration))
                            .wrapping_add(self.gap_samples),
                    );
                    Some(packet(timestamp, marker, event, true, duration))
                }
            }
            State::Ending {
                event,
                timestamp,
                duration,
                repeats_left,
            } => {
                self.state = if repeats_left > 1 {
                    State::Ending {
                        event,
                        timestamp,
                        duration,
                        repeats_left: repeats_left - 1,
                    }
                } else {
                    State::Idle
                };
                Some(packet(timestamp, false, event, true, duration))
            }
        }
    }
}

fn packet(timestamp: u32, marker: bool, event: u8, end: bool, duration: u16) -> EventPacket {
    EventPacket {
        timestamp,
        marker,
        payload: EventPayload {
            event,
            end,
            volume: VOLUME,
            duration,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_digit_timeline() {
        let mut s = EventSender::new(100);
        s.queue(5, 100).unwrap();
        let mut clock = 1000u32;
        let mut out = Vec::new();
        for _ in 0..10 {
            out.push(s.tick(clock));
            clock += TICK;
        }
        let got: Vec<_> = out
            .iter()
            .map(|p| p.map(|p| (p.timestamp, p.marker, p.payload.end, p.payload.duration)))
            .collect();
        assert_eq!(
            got,
            vec![
                Some((1000, true, false, 160)),
                Some((1000, false, false, 320)),
                Some((1000, false, false, 480)),
                Some((1000, false, false, 640)),
                Some((1000, false, true, 800)),
                Some((1000, false, true, 800)),
                Some((1000, false, true, 800)),
                None,
                None,
                None,
            ]
        );
        assert!(s.is_idle());
    }
}
