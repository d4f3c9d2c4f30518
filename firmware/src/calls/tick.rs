//! The 20 ms media tick, in SEMS's order (ARCHITECTURE.md, `AmMediaProcessor`): read every
//! leg's input first, then mix the conferences, then produce and send every leg's output —
//! so a room hears all of a tick's voices before it mixes them.

use std::time::Instant;

use dsm::Event;
use media::dtmf::DtmfEvent;
use media::playlist::{NoAudioKind, PlaylistEvent};

use super::leg::LegId;
use super::{Switchboard, flush_leg_media, write_recording};

impl Switchboard {
    /// One media tick. Call it every 20 ms (a missed tick must still be run: the jitter
    /// buffers count ticks).
    pub fn tick(&mut self, now: Instant) {
        let mut ids: Vec<LegId> = std::mem::take(&mut self.tick_ids);
        ids.clear();
        ids.extend(
            self.legs
                .iter()
                .filter(|(_, l)| l.media.as_ref().is_some_and(|m| m.negotiated.is_some()))
                .map(|(id, _)| *id),
        );
        let mut frame = [0i16; media::FRAME_SAMPLES];
        // 0. Receive: drain every leg's RTP socket (and its RTCP socket every half second;
        // RTCP comes every 5 s). Legs still ringing are read too, for latching and early media.
        self.ticks += 1;
        let read_rtcp = self.ticks.is_multiple_of(25);
        for leg in self.legs.values_mut() {
            let Some(m) = &mut leg.media else { continue };
            while let Ok((n, from)) = m.rtp.recv_from(&mut self.rx_buf) {
                m.session.handle_rtp(now, from, &self.rx_buf[..n]);
            }
            if read_rtcp {
                while let Ok((n, from)) = m.rtcp.recv_from(&mut self.rx_buf) {
                    m.session.handle_rtcp(now, from, &self.rx_buf[..n]);
                }
            }
        }
        // 1. Read: what each caller said this tick.
        for id in &ids {
            let Some(leg) = self.legs.get_mut(id) else {
                continue;
            };
            let Some(m) = &mut leg.media else { continue };
            frame = m.session.pop_frame(now);
            if !m.running {
                continue;
            }
            if m.detect_inband && !m.out_of_band_seen {
                m.detector.handle_samples(&frame);
                while let Some(ev) = m.detector.poll_event() {
                    if let DtmfEvent::Ended { key, duration, .. } = ev {
                        let ms = DtmfEvent::samples_to_ms(duration);
                        self.events.push_back((*id, Event::key(key.code(), ms)));
                    }
                }
            }
            leg.audio.put(&frame, &mut self.services.conference);
        }
        // 2. Mix.
        self.services.conference.tick();
        // 3. Write: what each caller hears, encoded and sent.
        for id in &ids {
            let Some(leg) = self.legs.get_mut(id) else {
                continue;
            };
            if leg.media.as_ref().is_some_and(|m| m.running) {
                leg.audio.get(&mut frame, &mut self.services.conference);
                if let Some(m) = &mut leg.media {
                    m.session.push_frame(now, &frame);
                }
            }
            while let Some(ev) = leg.audio.poll_event() {
                let e = match ev {
                    PlaylistEvent::Separator(n) => Event::separator(&n.to_string()),
                    PlaylistEvent::NoAudio(kind) => Event::no_audio(kind == NoAudioKind::Cleared),
                };
                self.events.push_back((*id, e));
            }
            if let Some(rec) = leg.audio.recorder_mut() {
                write_recording(rec, leg.record_file.as_mut());
            }
            flush_leg_media(&mut self.scratch, &mut self.events, leg, now);
        }
        self.tick_ids = ids;
        self.settle(now);
    }
}
