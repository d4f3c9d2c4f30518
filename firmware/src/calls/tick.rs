//! The 20 ms media tick, in SEMS's order (ARCHITECTURE.md, `AmMediaProcessor`): read every
//! leg's input first, then mix the conferences, then produce and send every leg's output —
//! so a room hears all of a tick's voices before it mixes them.

use std::time::{Duration, Instant};

use dsm::Event;
use media::dtmf::DtmfEvent;
use media::playlist::{NoAudioKind, PlaylistEvent};

use super::{Switchboard, flush_leg_media, write_recording};

impl Switchboard {
    /// One media tick. Call it every 20 ms (a missed tick must still be run: the jitter
    /// buffers count ticks).
    ///
    /// Two passes over the legs, each a straight walk of the leg table: with hundreds of
    /// legs the tick is bound by cache misses on the legs themselves, so each leg is visited
    /// once per half of the tick rather than looked up again per step.
    pub fn tick(&mut self, now: Instant) {
        self.ticks += 1;
        // RTCP comes every 5 s; its sockets are read every half second.
        let read_rtcp = self.ticks.is_multiple_of(25);
        let Self {
            legs,
            services,
            events,
            rx_buf,
            scratch,
            ..
        } = self;
        // 1. Receive and read: drain each leg's RTP socket (legs still ringing too, for
        // latching and early media), then take what its caller said this tick to the
        // detector and to the leg's input (playlist, recorder or conference).
        for leg in legs.values_mut() {
            let Some(m) = &mut leg.media else { continue };
            while let Ok((n, from)) = m.rtp.recv_from(rx_buf) {
                m.session.handle_rtp(now, from, &rx_buf[..n]);
            }
            if read_rtcp {
                while let Ok((n, from)) = m.rtcp.recv_from(rx_buf) {
                    m.session.handle_rtcp(now, from, &rx_buf[..n]);
                }
            }
            if m.negotiated.is_none() {
                continue;
            }
            let frame = m.session.pop_frame(now);
            if !m.running {
                continue;
            }
            if m.detect_inband && !m.out_of_band_seen {
                m.detector.handle_samples(&frame);
                while let Some(ev) = m.detector.poll_event() {
                    if let DtmfEvent::Ended { key, duration, .. } = ev {
                        let ms = DtmfEvent::samples_to_ms(duration);
                        events.push_back((leg.id, Event::key(key.code(), ms)));
                    }
                }
            }
            leg.audio.put(&frame, &mut services.conference);
        }
        // 2. Mix: every room has heard all of this tick's voices.
        services.conference.tick();
        // 3. Write: what each caller hears, encoded and sent.
        let mut frame = [0i16; media::FRAME_SAMPLES];
        for leg in legs.values_mut() {
            let Some(m) = &leg.media else { continue };
            if m.negotiated.is_none() {
                continue;
            }
            if m.running {
                leg.audio.get(&mut frame, &mut services.conference);
                if let Some(m) = &mut leg.media {
                    m.session.push_frame(now, &frame);
                }
            }
            while let Some(ev) = leg.audio.poll_event() {
                let e = match ev {
                    PlaylistEvent::Separator(n) => Event::separator(&n.to_string()),
                    PlaylistEvent::NoAudio(kind) => Event::no_audio(kind == NoAudioKind::Cleared),
                };
                events.push_back((leg.id, e));
            }
            if let Some(rec) = leg.audio.recorder_mut() {
                write_recording(rec, leg.record_file.as_mut());
            }
            flush_leg_media(scratch, events, leg, now);
        }
        self.settle(now);
    }
}

/// How punctual the media tick is: a tick that runs more than [`TickHealth::LATE`] after its
/// due time means every leg's audio left late (the phones' jitter buffers conceal it). The
/// runtime records each tick here and logs what [`TickHealth::record`] returns, so an
/// overloaded board says so in its log instead of only sounding bad.
#[derive(Debug, Default)]
pub struct TickHealth {
    window_start: Option<Instant>,
    ticks: u32,
    late: u32,
    worst_late: Duration,
    worst_busy: Duration,
}

impl TickHealth {
    /// Half a frame: later than this, a phone with a small jitter buffer hears a gap.
    pub const LATE: Duration = Duration::from_millis(10);
    /// Reports are made at most once per window.
    pub const WINDOW: Duration = Duration::from_secs(10);

    /// Records a tick that ran `late_by` after its due time and took `busy`; when a window
    /// with late ticks closes, returns a line for the log.
    pub fn record(&mut self, now: Instant, late_by: Duration, busy: Duration) -> Option<String> {
        let start = *self.window_start.get_or_insert(now);
        self.ticks += 1;
        if late_by > Self::LATE {
            self.late += 1;
        }
        self.worst_late = self.worst_late.max(late_by);
        self.worst_busy = self.worst_busy.max(busy);
        if now.saturating_duration_since(start) < Self::WINDOW {
            return None;
        }
        let report = (self.late > 0).then(|| {
            format!(
                "media tick: {} of {} ticks ran more than {} ms late (worst {} ms late; \
                 longest tick {} ms): the board is overloaded or was stalled",
                self.late,
                self.ticks,
                Self::LATE.as_millis(),
                self.worst_late.as_millis(),
                self.worst_busy.as_millis()
            )
        });
        *self = TickHealth {
            window_start: Some(now),
            ..TickHealth::default()
        };
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TICK: Duration = Duration::from_millis(20);

    #[test]
    fn punctual_ticks_are_not_reported_and_late_ones_are_once_per_window() {
        let t0 = Instant::now();
        let mut h = TickHealth::default();
        let busy = Duration::from_millis(2);
        for i in 0..1000u32 {
            assert_eq!(
                h.record(t0 + TICK * i, Duration::from_millis(3), busy),
                None
            );
        }
        // Two late ticks in the next window: one report when it closes, then quiet again.
        let base = t0 + TICK * 1000;
        let mut reports = Vec::new();
        for i in 0..1000u32 {
            let late = if i == 10 || i == 11 { 35 } else { 1 };
            reports.extend(h.record(base + TICK * i, Duration::from_millis(late), busy));
        }
        assert_eq!(reports.len(), 1, "{reports:?}");
        assert!(
            reports[0].starts_with("media tick: 2 of "),
            "{}",
            reports[0]
        );
        assert!(reports[0].contains("worst 35 ms late"), "{}", reports[0]);
        let base = base + TICK * 1000;
        for i in 0..1000u32 {
            assert_eq!(h.record(base + TICK * i, Duration::ZERO, busy), None);
        }
    }
}
