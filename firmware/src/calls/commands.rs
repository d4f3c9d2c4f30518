//! DSM commands carried out: replies, BYE, dial-out, playlist and recorder, conference,
//! events between legs, monitoring, logging.

use std::time::Instant;

use dsm::{Command, ConferenceCommand, Event, LogLevel, MediaCommand, MonitoringCommand, Position};
use media::mixer::{MixIn, Mode, Owner};
use media::playlist::Item;
use media::tone::{RingtoneParams, ToneGenerator};

use super::host::load_prompt;
use super::leg::{LegId, SipState};
use super::{Switchboard, write_recording};

impl Switchboard {
    pub(super) fn apply(&mut self, now: Instant, id: LegId, cmd: Command) {
        let tag = self
            .legs
            .get(&id)
            .map(|l| l.tag.clone())
            .unwrap_or_default();
        match cmd {
            Command::Reply {
                code,
                reason,
                headers,
            } => {
                // SEMS's AmSession attaches the SDP answer to 183 and 2xx replies to the INVITE.
                self.reply_invite(now, id, code, &reason, &headers, true);
            }
            Command::AcceptInvite {
                code,
                reason,
                headers,
            } => {
                self.reply_invite(now, id, code, &reason, &headers, true);
            }
            Command::ReplyRequest { code, .. } => {
                log::warn!(
                    "leg {tag}: dlg.replyRequest({code}): in-dialog requests are answered by dsmbox itself"
                );
            }
            Command::RelayReply { .. } | Command::B2B(_) => {
                log::warn!("leg {tag}: B2BUA actions are not supported by dsmbox; ignored");
            }
            Command::Bye { .. } => self.hang_up(now, id),
            Command::Refer { to, expires } => {
                // RFC 3515: the peer answers 202 and reports the transfer by NOTIFY (answered
                // 200 in `in_dialog_request`). The target goes in as the script wrote it, as
                // SEMS's AmSipDialog::refer does.
                if let Some(call) = self.legs.get(&id).and_then(|l| l.call) {
                    let mut r = sip::InDialogRequest::new(sip::msg::Method::Refer);
                    r.headers.push(sip::msg::HeaderName::ReferTo, to);
                    if let Some(e) = expires.filter(|e| *e > 0) {
                        r.headers.push(sip::msg::HeaderName::Expires, e.to_string());
                    }
                    if let Err(e) = self.sip.send_request(now, call, r) {
                        log::warn!("leg {tag}: dlg.refer: {e}");
                    }
                }
            }
            Command::Info { content_type, body } => {
                if let Some(call) = self.legs.get(&id).and_then(|l| l.call) {
                    let mut r = sip::InDialogRequest::new(sip::msg::Method::Info);
                    r.body = Some(sip::msg::Body::new(content_type, body.into_bytes()));
                    if let Err(e) = self.sip.send_request(now, call, r) {
                        log::warn!("leg {tag}: dlg.info: {e}");
                    }
                }
            }
            Command::Stop { send_bye } => {
                if let Some(leg) = self.legs.get_mut(&id) {
                    leg.stop = Some(send_bye);
                }
                if send_bye {
                    self.hang_up(now, id);
                }
            }
            Command::Dialout(d) => self.dialout(now, *d),
            Command::Media(m) => self.apply_media(now, id, m),
            Command::Conference(c) => self.apply_conference(id, c),
            Command::PostEvent { target, params } => {
                let to = self
                    .tags
                    .get(&target)
                    .or_else(|| self.queues.get(&target))
                    .copied();
                match to {
                    Some(to) => self.events.push_back((to, Event::dsm_event(params))),
                    None => log::info!("leg {tag}: postEvent to unknown '{target}'"),
                }
            }
            Command::RegisterEventQueue(name) => {
                self.queues.insert(name.clone(), id);
                if let Some(leg) = self.legs.get_mut(&id) {
                    leg.queues.push(name);
                }
            }
            Command::UnregisterEventQueue(name) => {
                if self.queues.get(&name) == Some(&id) {
                    self.queues.remove(&name);
                }
            }
            Command::Monitoring(m) => match m {
                MonitoringCommand::Set {
                    id: rid,
                    attr,
                    value,
                } => self
                    .monitor
                    .set(rid.as_deref().unwrap_or(&tag), &attr, value),
                MonitoringCommand::Add {
                    id: rid,
                    attr,
                    value,
                } => self
                    .monitor
                    .add(rid.as_deref().unwrap_or(&tag), &attr, value),
                MonitoringCommand::Inc { id: rid, attr } => self.monitor.add_count(&rid, &attr, 1),
                MonitoringCommand::Dec { id: rid, attr } => self.monitor.add_count(&rid, &attr, -1),
            },
            Command::DbClose { handle } => self.services.db.close(handle),
            Command::Log { level, text } => {
                let lvl = match level {
                    LogLevel::Error => log::Level::Error,
                    LogLevel::Warn => log::Level::Warn,
                    LogLevel::Info => log::Level::Info,
                    LogLevel::Debug => log::Level::Debug,
                };
                log::log!(target: "dsm", lvl, "{tag}: {text}");
            }
            #[allow(unreachable_patterns)]
            other => log::debug!("leg {tag}: unhandled command {other:?}"),
        }
    }

    /// BYE when answered, CANCEL while ours rings, 487 while theirs rings (SEMS `bye()`).
    pub(super) fn hang_up(&mut self, now: Instant, id: LegId) {
        let Some(leg) = self.legs.get_mut(&id) else {
            return;
        };
        let Some(call) = leg.call else { return };
        let r = match leg.sip {
            SipState::Offered => self.sip.reject(now, call, 487, Some("Request Terminated")),
            SipState::Calling | SipState::Connected => self.sip.hangup(now, call),
            SipState::Ended => Ok(()),
        };
        if let Err(e) = r {
            log::debug!("leg {}: hang up: {e}", leg.tag);
        }
    }

    fn apply_media(&mut self, now: Instant, id: LegId, m: MediaCommand) {
        let Some(mut leg) = self.legs.remove(&id) else {
            return;
        };
        let add = |leg: &mut super::Leg, item: Item, pos: Position| match pos {
            Position::Back => leg.audio.playlist_mut().add(item),
            Position::Front => leg.audio.playlist_mut().add_front(item),
        };
        match m {
            MediaCommand::PlayFile {
                path,
                position,
                looped,
            } => match load_prompt(&mut self.services.prompts, &path) {
                Ok(clip) => add(&mut leg, Item::file(clip, looped), position),
                Err(e) => log::warn!("leg {}: playFile: {e}", leg.tag),
            },
            MediaCommand::PlayPrompt { name, .. } => {
                log::warn!(
                    "leg {}: playPrompt({name}): no prompt collections are configured",
                    leg.tag
                );
            }
            MediaCommand::PlaySilence { ms, position } => {
                add(&mut leg, Item::silence_ms(ms), position)
            }
            MediaCommand::PlayRingtone {
                length_ms,
                on_ms,
                off_ms,
                f1,
                f2,
                position,
            } => {
                if length_ms >= 0 {
                    let mut p = RingtoneParams::default();
                    p.length_ms = u32::try_from(length_ms).unwrap_or(0);
                    p.on_ms = u32::try_from(on_ms).unwrap_or(p.on_ms);
                    p.off_ms = u32::try_from(off_ms).unwrap_or(p.off_ms);
                    p.f = u32::try_from(f1).unwrap_or(p.f);
                    p.f2 = u32::try_from(f2).unwrap_or(p.f2);
                    add(&mut leg, Item::tone(ToneGenerator::ringtone(&p)), position);
                }
            }
            MediaCommand::AddSeparator { id: sid, position } => match sid.trim().parse::<u32>() {
                Ok(n) => add(&mut leg, Item::separator(n), position),
                Err(_) => log::warn!(
                    "leg {}: addSeparator('{sid}'): the id must be a number",
                    leg.tag
                ),
            },
            MediaCommand::FlushPlaylist => leg.audio.playlist_mut().flush(),
            MediaCommand::RecordFile { path } => {
                if let Some(mut old) = leg.audio.stop_record() {
                    old.finish();
                    write_recording(&mut old, leg.record_file.as_mut());
                }
                match std::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(&path)
                {
                    Ok(f) => {
                        leg.record_file = Some(f);
                        leg.audio.record_file(media::recorder::Recorder::new());
                    }
                    Err(e) => log::warn!("leg {}: recordFile({path}): {e}", leg.tag),
                }
            }
            MediaCommand::StopRecord => {
                if let Some(mut rec) = leg.audio.stop_record() {
                    rec.finish();
                    write_recording(&mut rec, leg.record_file.as_mut());
                }
                leg.record_file = None;
                leg.audio.set_input_playlist();
            }
            MediaCommand::SetInOutPlaylist => leg.audio.set_in_out_playlist(),
            MediaCommand::SetInputPlaylist => leg.audio.set_input_playlist(),
            MediaCommand::SetOutputPlaylist => leg.audio.set_output_playlist(),
            MediaCommand::ConnectMedia => {
                leg.audio.set_in_out_playlist();
                if let Some(m) = &mut leg.media
                    && m.negotiated.is_some()
                {
                    m.running = true;
                }
            }
            MediaCommand::DisconnectMedia => {
                if let Some(m) = &mut leg.media {
                    m.running = false;
                }
            }
            MediaCommand::Mute | MediaCommand::Unmute => {
                let mute = matches!(m, MediaCommand::Mute);
                if let Some(md) = &mut leg.media {
                    md.muted = mute;
                    md.session.set_muted(mute);
                }
            }
            MediaCommand::DtmfDetection(on) => {
                if let Some(md) = &mut leg.media {
                    md.detect_inband = on;
                    md.detector.set_enabled(on);
                }
            }
            MediaCommand::SendDtmf { event, duration_ms } => {
                if let (Some(md), Some(d)) = (
                    &mut leg.media,
                    media::telephone_event::Digit::from_code(event),
                ) && let Err(e) = md
                    .session
                    .send_dtmf(d, u16::try_from(duration_ms).unwrap_or(u16::MAX))
                {
                    log::warn!("leg {}: sendDTMF: {e}", leg.tag);
                }
            }
            MediaCommand::Receiving(_)
            | MediaCommand::ForceDtmfReceiving(_)
            | MediaCommand::MonitorRtpTimeout(_) => {}
            #[allow(unreachable_patterns)]
            other => log::debug!("leg {}: media command {other:?} not supported", leg.tag),
        }
        let _ = now;
        self.legs.insert(id, leg);
    }

    fn apply_conference(&mut self, id: LegId, c: ConferenceCommand) {
        let Some(mut leg) = self.legs.remove(&id) else {
            return;
        };
        let conf = &mut self.services.conference;
        match c {
            ConferenceCommand::Join { room, mode } | ConferenceCommand::Rejoin { room, mode } => {
                for (_, pid) in leg.seats.drain(..) {
                    let _ = conf.leave(pid);
                    leg.audio.playlist_mut().remove_external(pid.into());
                }
                let mode = Mode::from_sems(&mode).unwrap_or(Mode::SpeakAndListen);
                match conf.join(&room, Owner(id), mode) {
                    Ok(pid) => {
                        leg.audio.playlist_mut().add(Item::external(
                            pid.into(),
                            mode.listens(),
                            mode.speaks(),
                        ));
                        leg.seats.push((room, pid));
                    }
                    Err(e) => log::warn!("leg {}: conference.join({room}): {e}", leg.tag),
                }
            }
            ConferenceCommand::Leave => {
                for (_, pid) in leg.seats.drain(..) {
                    let _ = conf.leave(pid);
                    leg.audio.playlist_mut().remove_external(pid.into());
                }
            }
            ConferenceCommand::TeeJoin { room, channel } => {
                match conf.join(&room, Owner(id), Mode::SpeakOnly) {
                    Ok(pid) => {
                        if let Err(e) = leg.audio.tee_join(pid.into()) {
                            log::warn!("leg {}: teejoin: {e}", leg.tag);
                            let _ = conf.leave(pid);
                        } else {
                            leg.seats.push((format!("tee:{channel}"), pid));
                        }
                    }
                    Err(e) => log::warn!("leg {}: teejoin({room}): {e}", leg.tag),
                }
            }
            ConferenceCommand::TeeLeave { channel } => {
                let key = format!("tee:{channel}");
                if let Some(i) = leg.seats.iter().position(|(r, _)| *r == key) {
                    let (_, pid) = leg.seats.remove(i);
                    leg.audio.tee_leave(pid.into());
                    let _ = conf.leave(pid);
                }
            }
            ConferenceCommand::SetupMixIn { level, seconds } => {
                let level = level.trim().parse::<f64>().unwrap_or(0.5);
                leg.audio.setup_mix_in(MixIn::new(level, seconds));
            }
            ConferenceCommand::PlayMixIn { path } => {
                match load_prompt(&mut self.services.prompts, &path) {
                    Ok(clip) => {
                        if let Some(m) = leg.audio.mix_in_mut() {
                            m.play(clip);
                        }
                    }
                    Err(e) => log::warn!("leg {}: playMixIn: {e}", leg.tag),
                }
            }
            ConferenceCommand::PlayMixInList { path, looped } => {
                match load_prompt(&mut self.services.prompts, &path) {
                    Ok(clip) => {
                        if let Some(m) = leg.audio.mix_in_mut() {
                            m.play_list(clip, looped);
                        }
                    }
                    Err(e) => log::warn!("leg {}: playMixInList: {e}", leg.tag),
                }
            }
            ConferenceCommand::FlushMixInList => {
                if let Some(m) = leg.audio.mix_in_mut() {
                    m.flush_list();
                }
            }
            ConferenceCommand::PostEvent { room, id: ev } => {
                conf.post_event(&room, i32::try_from(ev).unwrap_or(i32::MAX), Owner(id));
            }
            ConferenceCommand::SetPlayoutType(_) => {}
        }
        self.legs.insert(id, leg);
    }
}
