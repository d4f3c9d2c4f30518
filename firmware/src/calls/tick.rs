//! The 20 ms media tick, in SEMS's order (ARCHITECTURE.md, `AmMediaProcessor`): read every
//! leg's input first, then mix the conferences, then produce and send every leg's output —
//! so a room hears all of a tick's voices before it mixes them.

use std::time::Instant;

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
