//! mod_conference (spec §6.2): the mixer lives in `firmware`/`media`; these actions track
//! the little state the script can observe (joined or not, tee channels, mix-in set up) and
//! emit [`ConferenceCommand`]s.

use super::core::{COMMA_OPT, COMMA2, ONE, media};
use crate::registry::{Args, Flow, Module, Throw};
use crate::runtime::command::{Command, ConferenceCommand};
use crate::runtime::context::ActionCtx;
use crate::syntax::text::str2i;

type R = Result<Flow, Throw>;

const DEFAULT_TEE: &str = "conf.teechan";

pub(crate) fn module() -> Module {
    let mut m = Module::new("mod_conference");
    m.action(
        "conference.join",
        COMMA_OPT,
        |a: &Args, c: &mut ActionCtx<'_>| {
            media(c)?;
            let room = c.resolve(&a.p1);
            let mode = c.resolve(&a.p2);
            c.emit(Command::Conference(ConferenceCommand::Join { room, mode }));
            c.st.conference.joined = true;
            c.clear_errno();
            Ok(Flow::Continue)
        },
    )
    .action(
        "conference.rejoin",
        COMMA_OPT,
        |a: &Args, c: &mut ActionCtx<'_>| {
            media(c)?;
            let room = c.resolve(&a.p1);
            let mode = c.resolve(&a.p2);
            c.emit(Command::Conference(ConferenceCommand::Rejoin {
                room,
                mode,
            }));
            c.st.conference.joined = true;
            c.clear_errno();
            Ok(Flow::Continue)
        },
    )
    .action(
        "conference.leave",
        ONE,
        |_: &Args, c: &mut ActionCtx<'_>| {
            media(c)?;
            if !c.st.conference.joined {
                c.fail(
                    "script",
                    "trying to leave conference, but channel not found",
                );
                return Ok(Flow::Continue);
            }
            c.st.conference.joined = false;
            c.emit(Command::Conference(ConferenceCommand::Leave));
            c.clear_errno();
            Ok(Flow::Continue)
        },
    )
    .action(
        "conference.teejoin",
        COMMA_OPT,
        |a: &Args, c: &mut ActionCtx<'_>| {
            media(c)?;
            let room = c.resolve(&a.p1);
            let mut channel = c.resolve(&a.p2);
            if channel.is_empty() {
                channel = DEFAULT_TEE.into();
            }
            c.st.conference.tee_channels.insert(channel.clone());
            c.emit(Command::Conference(ConferenceCommand::TeeJoin {
                room,
                channel,
            }));
            Ok(Flow::Continue)
        },
    )
    .action(
        "conference.teeleave",
        ONE,
        |a: &Args, c: &mut ActionCtx<'_>| {
            media(c)?;
            let mut channel = c.resolve(&a.arg);
            if channel.is_empty() {
                channel = DEFAULT_TEE.into();
            }
            if !c.st.conference.tee_channels.remove(&channel) {
                c.fail(
                    "script",
                    "trying to leave tee conference, but channel not found",
                );
                return Ok(Flow::Continue);
            }
            c.emit(Command::Conference(ConferenceCommand::TeeLeave { channel }));
            c.clear_errno();
            Ok(Flow::Continue)
        },
    )
    .action(
        "conference.setupMixIn",
        COMMA_OPT,
        |a: &Args, c: &mut ActionCtx<'_>| {
            media(c)?;
            let level = c.resolve(&a.p1);
            let secs = c.resolve(&a.p2);
            let seconds = if secs.is_empty() {
                0
            } else {
                str2i(&secs).ok_or_else(|| {
                    Throw::new("conference").with("cause", "could not interpret seconds value")
                })?
            };
            c.st.conference.mixin = true;
            c.emit(Command::Conference(ConferenceCommand::SetupMixIn {
                level,
                seconds,
            }));
            Ok(Flow::Continue)
        },
    )
    .action(
        "conference.playMixIn",
        ONE,
        |a: &Args, c: &mut ActionCtx<'_>| mixin_file(c, c.resolve(&a.arg), None),
    )
    .action(
        "conference.playMixInList",
        COMMA_OPT,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let looped = c.resolve(&a.p2) == "true";
            mixin_file(c, c.resolve(&a.p1), Some(looped))
        },
    )
    .action(
        "conference.flushMixInList",
        ONE,
        |_: &Args, c: &mut ActionCtx<'_>| {
            media(c)?;
            c.emit(Command::Conference(ConferenceCommand::FlushMixInList));
            Ok(Flow::Continue)
        },
    )
    .action(
        "conference.postEvent",
        COMMA_OPT,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let room = c.resolve(&a.p1);
            let id_s = c.resolve(&a.p2);
            let Some(id) = str2i(&id_s) else {
                c.fail("arg", format!("decoding conference event id '{id_s}'"));
                return Ok(Flow::Continue);
            };
            c.emit(Command::Conference(ConferenceCommand::PostEvent {
                room,
                id,
            }));
            c.clear_errno();
            Ok(Flow::Continue)
        },
    )
    .action(
        "conference.size",
        COMMA2,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let room = c.resolve(&a.p1);
            let var = c.resolve(&a.p2);
            let n = c.host().conference_size(&room);
            c.set_var(crate::syntax::text::strip_dollar(&var), n.to_string());
            Ok(Flow::Continue)
        },
    )
    .action(
        "conference.setPlayoutType",
        ONE,
        |a: &Args, c: &mut ActionCtx<'_>| {
            media(c)?;
            let t = c.resolve(&a.arg);
            c.emit(Command::Conference(ConferenceCommand::SetPlayoutType(t)));
            Ok(Flow::Continue)
        },
    );
    m
}

fn mixin_file(c: &mut ActionCtx<'_>, path: String, list: Option<bool>) -> R {
    media(c)?;
    if !c.st.conference.mixin {
        return Err(Throw::new("conference").with("cause", "mixer not setup!"));
    }
    if !c.host().audio_file_openable(&path, false) {
        return Err(Throw::new("file").with("path", &path));
    }
    let cmd = match list {
        None => ConferenceCommand::PlayMixIn { path },
        Some(looped) => ConferenceCommand::PlayMixInList { path, looped },
    };
    c.emit(Command::Conference(cmd));
    Ok(Flow::Continue)
}
