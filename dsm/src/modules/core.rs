//! The core module (SEMS `DSMCoreModule`): flow control, variables, logging, playlist and
//! media, timers, events, DI and B2B actions (spec §5), and the event conditions with their
//! `test()` expressions (spec §4).

use crate::registry::{ArgShape, Args, Flow, Module, Throw};
use crate::runtime::command::{B2BCommand, Command, LogLevel, MediaCommand, Position};
use crate::runtime::context::ActionCtx;
use crate::runtime::event::{EventKind, Params};
use crate::runtime::host::{DiArg, DiValue};
use crate::syntax::text::{explode, str2i, str2int, strip_dollar, strtol_whole, trim};

type R = Result<Flow, Throw>;

pub(crate) const ONE: ArgShape = ArgShape::One;
pub(crate) const EQ2: ArgShape = ArgShape::Two {
    sep: '=',
    mandatory: true,
};
pub(crate) const COMMA2: ArgShape = ArgShape::Two {
    sep: ',',
    mandatory: true,
};
pub(crate) const COMMA_OPT: ArgShape = ArgShape::Two {
    sep: ',',
    mandatory: false,
};

/// Builds the core module.
pub(crate) fn module() -> Module {
    let mut m = Module::new("core");
    // Flow.
    m.action("repost", ONE, |_: &Args, _: &mut ActionCtx<'_>| {
        Ok(Flow::Repost)
    })
    .action("jumpFSM", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
        Ok(Flow::Jump(c.resolve(&a.arg)))
    })
    .action("callFSM", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
        Ok(Flow::Call(c.resolve(&a.arg)))
    })
    .action("returnFSM", ONE, |_: &Args, _: &mut ActionCtx<'_>| {
        Ok(Flow::Return)
    })
    .action("break", ONE, |_: &Args, _: &mut ActionCtx<'_>| {
        Ok(Flow::Break)
    })
    .action("stop", ONE, stop)
    .action("throw", COMMA_OPT, throw)
    .action("throwOnError", ONE, throw_on_error);
    // Values.
    m.action("set", EQ2, set)
        .action("sets", EQ2, sets)
        .action("eval", EQ2, eval)
        .action("setVar", EQ2, set_var)
        .action("var", EQ2, get_var)
        .action("param", EQ2, get_param)
        .action("append", COMMA2, append)
        .action("substr", COMMA2, substr)
        .action("inc", ONE, inc)
        .action("clear", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
            c.remove_var(strip_dollar(&a.arg));
            Ok(Flow::Continue)
        })
        .action("clearStruct", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
            remove_prefix(c, &format!("{}.", strip_dollar(&a.arg)));
            Ok(Flow::Continue)
        })
        .action("clearArray", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
            remove_prefix(c, &format!("{}[", strip_dollar(&a.arg)));
            Ok(Flow::Continue)
        })
        .action("size", COMMA2, size)
        .action("arrayIndex", COMMA2, array_index);
    // Logging.
    m.action("log", COMMA2, log)
        .action("logs", COMMA2, logs)
        .action("dbg", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
            log_text(a, c, LogLevel::Debug)
        })
        .action("info", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
            log_text(a, c, LogLevel::Info)
        })
        .action("warn", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
            log_text(a, c, LogLevel::Warn)
        })
        .action("error", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
            log_text(a, c, LogLevel::Error)
        })
        .action("logVars", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
            if let Some(l) = level(a, c) {
                log_vars(c, l);
            }
            Ok(Flow::Continue)
        })
        .action("logParams", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
            if let Some(l) = level(a, c) {
                log_params(c, l);
            }
            Ok(Flow::Continue)
        })
        .action("logSelects", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
            if let Some(l) = level(a, c) {
                log_selects(c, l);
            }
            Ok(Flow::Continue)
        })
        .action("logAll", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
            if let Some(l) = level(a, c) {
                log_vars(c, l);
                log_params(c, l);
                log_selects(c, l);
            }
            Ok(Flow::Continue)
        });
    // Audio.
    m.action("playPrompt", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
        play_prompt(a, c, Position::Back, false)
    })
    .action("playPromptFront", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
        play_prompt(a, c, Position::Front, false)
    })
    .action(
        "playPromptLooped",
        ONE,
        |a: &Args, c: &mut ActionCtx<'_>| play_prompt(a, c, Position::Back, true),
    )
    .action("setPrompts", ONE, set_prompts)
    .action("playFile", COMMA_OPT, |a: &Args, c: &mut ActionCtx<'_>| {
        play_file(a, c, Position::Back)
    })
    .action(
        "playFileFront",
        COMMA_OPT,
        |a: &Args, c: &mut ActionCtx<'_>| play_file(a, c, Position::Front),
    )
    .action("playSilence", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
        play_silence(a, c, Position::Back)
    })
    .action(
        "playSilenceFront",
        ONE,
        |a: &Args, c: &mut ActionCtx<'_>| play_silence(a, c, Position::Front),
    )
    .action("playRingtone", COMMA_OPT, play_ringtone)
    .action(
        "addSeparator",
        COMMA_OPT,
        |a: &Args, c: &mut ActionCtx<'_>| {
            media(c)?;
            let position = if c.resolve(&a.p2) == "true" {
                Position::Front
            } else {
                Position::Back
            };
            let id = c.resolve(&a.p1);
            c.emit(Command::Media(MediaCommand::AddSeparator { id, position }));
            Ok(Flow::Continue)
        },
    )
    .action("recordFile", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
        media(c)?;
        let path = c.resolve(&a.arg);
        if !c.host().audio_file_openable(&path, true) {
            return Err(Throw::new("file").with("path", &path));
        }
        c.emit(Command::Media(MediaCommand::RecordFile { path }));
        Ok(Flow::Continue)
    })
    .action("getRecordLength", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
        media(c)?;
        let mut v = c.resolve(&a.arg);
        if v.is_empty() {
            v = "record_length".into();
        }
        let n = c.host().record_length_ms();
        c.set_var(&v, n.to_string());
        Ok(Flow::Continue)
    })
    .action(
        "getRecordDataSize",
        ONE,
        |a: &Args, c: &mut ActionCtx<'_>| {
            media(c)?;
            let mut v = c.resolve(&a.arg);
            if v.is_empty() {
                v = "record_data_size".into();
            }
            let n = c.host().record_data_size();
            c.set_var(&v, n.to_string());
            Ok(Flow::Continue)
        },
    );
    // Playlist, media, RTP, DTMF: plain commands.
    let simple: [(&str, MediaCommand); 16] = [
        ("stopRecord", MediaCommand::StopRecord),
        ("flushPlaylist", MediaCommand::FlushPlaylist),
        ("closePlaylist", MediaCommand::FlushPlaylist),
        ("setInOutPlaylist", MediaCommand::SetInOutPlaylist),
        ("setInputPlaylist", MediaCommand::SetInputPlaylist),
        ("setOutputPlaylist", MediaCommand::SetOutputPlaylist),
        ("connectMedia", MediaCommand::ConnectMedia),
        ("disconnectMedia", MediaCommand::DisconnectMedia),
        ("mute", MediaCommand::Mute),
        ("unmute", MediaCommand::Unmute),
        ("enableReceiving", MediaCommand::Receiving(true)),
        ("disableReceiving", MediaCommand::Receiving(false)),
        (
            "enableForceDTMFReceiving",
            MediaCommand::ForceDtmfReceiving(true),
        ),
        (
            "disableForceDTMFReceiving",
            MediaCommand::ForceDtmfReceiving(false),
        ),
        ("enableDTMFDetection", MediaCommand::DtmfDetection(true)),
        ("disableDTMFDetection", MediaCommand::DtmfDetection(false)),
    ];
    for (name, cmd) in simple {
        m.action(name, ONE, move |_: &Args, c: &mut ActionCtx<'_>| {
            media(c)?;
            c.emit(Command::Media(cmd.clone()));
            Ok(Flow::Continue)
        });
    }
    m.action(
        "monitorRTPTimeout",
        ONE,
        |a: &Args, c: &mut ActionCtx<'_>| {
            media(c)?;
            let on = c.resolve(&a.arg) == "true";
            c.emit(Command::Media(MediaCommand::MonitorRtpTimeout(on)));
            Ok(Flow::Continue)
        },
    )
    .action("sendDTMF", COMMA_OPT, send_dtmf)
    .action("sendDTMFSequence", COMMA_OPT, send_dtmf_sequence);
    // Timers.
    m.action("setTimer", COMMA2, set_timer)
        .action("removeTimer", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
            let id = c.resolve(&a.arg);
            match str2i(&id) {
                Some(i) => {
                    c.remove_timer(i);
                    c.clear_errno();
                }
                None => c.fail("arg", format!("timer id '{id}' not decipherable")),
            }
            Ok(Flow::Continue)
        })
        .action("removeTimers", ONE, |_: &Args, c: &mut ActionCtx<'_>| {
            c.remove_timers();
            c.clear_errno();
            Ok(Flow::Continue)
        });
    // Events and queues.
    m.action("postEvent", COMMA_OPT, post_event)
        .action(
            "registerEventQueue",
            ONE,
            |a: &Args, c: &mut ActionCtx<'_>| {
                let q = c.resolve(&a.arg);
                c.emit(Command::RegisterEventQueue(q));
                Ok(Flow::Continue)
            },
        )
        .action(
            "unregisterEventQueue",
            ONE,
            |a: &Args, c: &mut ActionCtx<'_>| {
                let q = c.resolve(&a.arg);
                c.emit(Command::UnregisterEventQueue(q));
                Ok(Flow::Continue)
            },
        )
        .action(
            "createSystemDSM",
            COMMA2,
            |a: &Args, c: &mut ActionCtx<'_>| {
                let conf = c.resolve(&a.p1);
                let script = c.resolve(&a.p2);
                if conf.is_empty() || script.is_empty() {
                    return Err(Throw::new("core").with(
                    "cause",
                    "parameters missing - need both conf_name and script_name for createSystemDSM",
                ));
                }
                match c.host().create_system_dsm(&conf, &script) {
                    Ok(()) => Ok(Flow::Continue),
                    Err(e) => Err(Throw::new("core").with("cause", &e)),
                }
            },
        );
    // DI.
    m.action(
        "DI",
        ArgShape::CommaList,
        |a: &Args, c: &mut ActionCtx<'_>| di(a, c, DiResult::None),
    )
    .action(
        "DIgetResult",
        ArgShape::CommaList,
        |a: &Args, c: &mut ActionCtx<'_>| di(a, c, DiResult::Plain),
    )
    .action(
        "DIgetResultArray",
        ArgShape::CommaList,
        |a: &Args, c: &mut ActionCtx<'_>| di(a, c, DiResult::Array),
    );
    // B2B.
    m.action(
        "B2B.connectCallee",
        COMMA2,
        |a: &Args, c: &mut ActionCtx<'_>| connect_callee(a, c, false),
    )
    .action(
        "B2B.terminateOtherLeg",
        ONE,
        |_: &Args, c: &mut ActionCtx<'_>| b2b(c, B2BCommand::TerminateOtherLeg),
    )
    .action(
        "B2B.sendReinvite",
        COMMA_OPT,
        |a: &Args, c: &mut ActionCtx<'_>| {
            // Arguments are taken raw, as in SEMS.
            b2b(
                c,
                B2BCommand::SendReinvite {
                    update_sdp: a.p1 == "true",
                    headers: a.p2.clone(),
                },
            )
        },
    )
    .action("B2B.addHeader", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
        let h = c.resolve(&a.arg);
        b2b(c, B2BCommand::AddHeader(h))
    })
    .action(
        "B2B.removeHeader",
        ONE,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let h = c.resolve(&a.arg);
            b2b(c, B2BCommand::RemoveHeader(h))
        },
    )
    .action(
        "B2B.clearHeaders",
        ONE,
        |_: &Args, c: &mut ActionCtx<'_>| b2b(c, B2BCommand::ClearHeaders),
    )
    .action(
        "B2B.setHeaders",
        COMMA_OPT,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let headers = c.resolve(&a.p1);
            let replace_crlf = c.resolve(&a.p2) == "true";
            b2b(
                c,
                B2BCommand::SetHeaders {
                    headers,
                    replace_crlf,
                },
            )
        },
    )
    .action(
        "B2B.enableEarlyMediaRelay",
        ONE,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let on = c.resolve(&a.arg) == "true";
            b2b(c, B2BCommand::EnableEarlyMediaRelay(on))
        },
    )
    .action(
        "B2B.setRelayOnly",
        ONE,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let on = c.resolve(&a.arg) == "true";
            b2b(c, B2BCommand::SetRelayOnly(on))
        },
    )
    .action("B2B.relayEvent", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
        let names = c.resolve(&a.arg);
        let p = event_params(c, &names);
        b2b(c, B2BCommand::RelayEvent(p))
    });
    // Objects: memory management in SEMS; nothing to do here.
    for name in ["trackObject", "releaseObject", "freeObject"] {
        m.action(name, ONE, |_: &Args, _: &mut ActionCtx<'_>| {
            Ok(Flow::Continue)
        });
    }

    // Conditions.
    m.condition("test", ArgShape::Test, None, test_condition);
    let typed: [(&str, EventKind); 34] = [
        ("start", EventKind::Start),
        ("invite", EventKind::Invite),
        ("sessionStart", EventKind::SessionStart),
        ("earlySession", EventKind::EarlySession),
        ("early", EventKind::EarlySession),
        ("ringing", EventKind::Ringing),
        ("failed", EventKind::Failed),
        ("hangup", EventKind::Hangup),
        ("key", EventKind::Key),
        ("keyTest", EventKind::Key),
        ("timer", EventKind::Timer),
        ("timerTest", EventKind::Timer),
        ("noAudio", EventKind::NoAudio),
        ("noAudioTest", EventKind::NoAudio),
        ("separator", EventKind::Separator),
        ("separatorTest", EventKind::Separator),
        ("event", EventKind::DsmEvent),
        ("eventTest", EventKind::DsmEvent),
        ("B2Bevent", EventKind::B2BEvent),
        ("B2B.otherReply", EventKind::B2BOtherReply),
        ("B2B.otherBye", EventKind::B2BOtherBye),
        ("B2B.otherRequest", EventKind::B2BOtherRequest),
        ("sipRequest", EventKind::SipRequest),
        ("sipReply", EventKind::SipReply),
        ("remoteDisappeared", EventKind::RemoteDisappeared),
        ("sessionTimeout", EventKind::SessionTimeout),
        // SEMS maps this name twice and the first mapping is an event type nothing raises
        // (spec §4.2); here it matches the RTP timeout event.
        ("rtpTimeout", EventKind::RtpTimeout),
        ("system", EventKind::System),
        ("jsonRpcRequest", EventKind::JsonRpcRequest),
        ("jsonRpcResponse", EventKind::JsonRpcResponse),
        ("subscription", EventKind::Subscription),
        ("startup", EventKind::Startup),
        ("reload", EventKind::Reload),
        ("beforeDestroy", EventKind::BeforeDestroy),
    ];
    for (name, kind) in typed {
        m.condition(name, ArgShape::Test, Some(kind), test_condition);
    }
    m.condition(
        "keyPress",
        ArgShape::Raw,
        Some(EventKind::Key),
        |a: &Args, c: &mut ActionCtx<'_>| match c.params() {
            None => true,
            Some(p) => p.get("key").is_some_and(|k| *k == a.raw),
        },
    );
    m
}

/// Throws `core` for media actions in a system DSM (SEMS: "not implemented in SystemDSM").
pub(crate) fn media(c: &ActionCtx<'_>) -> Result<(), Throw> {
    if c.is_system() {
        Err(Throw::new("core").with("cause", "not implemented in SystemDSM"))
    } else {
        Ok(())
    }
}

fn b2b(c: &mut ActionCtx<'_>, cmd: B2BCommand) -> R {
    media(c)?;
    c.emit(Command::B2B(cmd));
    Ok(Flow::Continue)
}

fn stop(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let send_bye = c.resolve(&a.arg) == "true";
    c.emit(Command::Stop { send_bye });
    c.set_stopped();
    Ok(Flow::Continue)
}

fn throw(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let mut t = Throw::new(&c.resolve(&a.p1));
    let extra = c.resolve(&a.p2);
    for item in explode(&extra, ";") {
        let kv = explode(item, "=");
        if kv.len() == 2 {
            t.params.insert(kv[0].to_string(), kv[1].to_string());
        }
    }
    Err(t)
}

fn throw_on_error(_: &Args, c: &mut ActionCtx<'_>) -> R {
    // SEMS reads both through map::operator[], which creates them when missing.
    let errno = c.vars_mut().entry("errno".into()).or_default().clone();
    if errno.is_empty() {
        return Ok(Flow::Continue);
    }
    let text = c.vars_mut().entry("strerror".into()).or_default().clone();
    Err(Throw::new(&errno).with("text", &text))
}

fn set(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let v = c.resolve(&a.p2);
    assign(c, &a.p1, v);
    Ok(Flow::Continue)
}

fn sets(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let v = c.interpolate(&a.p2);
    assign(c, &a.p1, v);
    Ok(Flow::Continue)
}

/// `set`/`sets` target: `#p` sets an event param (ignored if the event has none), anything
/// else a variable (one `$` optional).
fn assign(c: &mut ActionCtx<'_>, target: &str, value: String) {
    if let Some(p) = target.strip_prefix('#') {
        if let Some(params) = c.params_mut() {
            params.insert(p.to_string(), value);
        }
    } else {
        c.set_var(strip_dollar(target), value);
    }
}

fn eval(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let v = c.eval(&a.p2);
    c.set_var(strip_dollar(&a.p1), v);
    Ok(Flow::Continue)
}

fn set_var(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let name = c.resolve(&a.p1);
    let v = c.resolve(&a.p2);
    c.set_var(&name, v);
    Ok(Flow::Continue)
}

fn get_var(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let name = c.resolve(&a.p2);
    // map::operator[] creates the source variable when it is missing.
    let v = c.vars_mut().entry(name).or_default().clone();
    c.set_var(strip_dollar(&a.p1), v);
    Ok(Flow::Continue)
}

fn get_param(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let name = c.resolve(&a.p2);
    let v = c.param(&name).unwrap_or("").to_string();
    c.set_var(strip_dollar(&a.p1), v);
    Ok(Flow::Continue)
}

fn append(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let v = c.resolve(&a.p2);
    c.vars_mut()
        .entry(strip_dollar(&a.p1).to_string())
        .or_default()
        .push_str(&v);
    Ok(Flow::Continue)
}

fn floor(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn substr(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let name = strip_dollar(&a.p1).to_string();
    let (pos_s, len_s) = match a.p2.find(',') {
        Some(i) => (&a.p2[..i], Some(&a.p2[i + 1..])),
        None => (a.p2.as_str(), None),
    };
    let pos_v = c.resolve(pos_s);
    let Some(pos) = str2i(&pos_v) else {
        c.log(
            LogLevel::Error,
            format!("substr length '{pos_v}' unparseable"),
        );
        return Ok(Flow::Continue);
    };
    let len = match len_s {
        Some(l) => {
            let lv = c.resolve(l);
            match str2i(&lv) {
                Some(v) => v,
                None => {
                    c.log(LogLevel::Error, format!("substr length '{lv}' unparseable"));
                    return Ok(Flow::Continue);
                }
            }
        }
        None => 0,
    };
    let cur = c.vars_mut().entry(name.clone()).or_default().clone();
    let pos = pos as usize;
    if pos > cur.len() {
        c.log(LogLevel::Error, "in substr");
        return Ok(Flow::Continue);
    }
    let start = floor(&cur, pos);
    let end = if len == 0 {
        cur.len()
    } else {
        floor(&cur, pos.saturating_add(len as usize))
    };
    let v = cur[start..end.max(start)].to_string();
    c.set_var(&name, v);
    Ok(Flow::Continue)
}

fn inc(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let name = strip_dollar(&a.arg).to_string();
    let v = c.var(&name).and_then(str2i).unwrap_or(0);
    c.set_var(&name, v.wrapping_add(1).to_string());
    Ok(Flow::Continue)
}

fn remove_prefix(c: &mut ActionCtx<'_>, prefix: &str) {
    let keys: Vec<String> = c
        .vars()
        .range(prefix.to_string()..)
        .take_while(|(k, _)| k.starts_with(prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for k in keys {
        c.remove_var(&k);
    }
}

fn has_prefix(c: &ActionCtx<'_>, prefix: &str) -> bool {
    c.vars()
        .range(prefix.to_string()..)
        .next()
        .is_some_and(|(k, _)| k.starts_with(prefix))
}

fn size(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let array = strip_dollar(&a.p1);
    let mut n: u32 = 0;
    while has_prefix(c, &format!("{array}[{n}]")) {
        n += 1;
    }
    c.set_var(strip_dollar(&a.p2), n.to_string());
    Ok(Flow::Continue)
}

fn array_index(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let array = strip_dollar(&a.p1).to_string();
    let key = c.resolve(&a.p2);
    let dst = if a.p2.starts_with('$') {
        format!("{}.index", strip_dollar(&a.p2))
    } else {
        "index".to_string()
    };
    let mut found = None;
    let mut i: u32 = 0;
    while let Some(v) = c.var(&format!("{array}[{i}]")) {
        if v == key {
            found = Some(i);
            break;
        }
        i += 1;
    }
    c.set_var(&dst, found.map_or("nil".to_string(), |i| i.to_string()));
    Ok(Flow::Continue)
}

fn level(a: &Args, c: &mut ActionCtx<'_>) -> Option<LogLevel> {
    let l = c.resolve(&a.arg);
    match str2i(&l) {
        Some(n) => Some(LogLevel::from_number(n)),
        None => {
            c.log(LogLevel::Error, format!("unknown log level '{}'", a.arg));
            None
        }
    }
}

fn log(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let l = c.resolve(&a.p1);
    let Some(n) = str2i(&l) else {
        c.log(LogLevel::Error, format!("unknown log level '{}'", a.p1));
        return Ok(Flow::Continue);
    };
    let line = c.resolve(&a.p2);
    let raw = if a.p2 != line { a.p2.as_str() } else { "" };
    c.log(LogLevel::from_number(n), format!("FSM: {raw} '{line}'"));
    Ok(Flow::Continue)
}

fn logs(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let l = c.resolve(&a.p1);
    let Some(n) = str2i(&l) else {
        c.log(LogLevel::Error, format!("unknown log level '{}'", a.p1));
        return Ok(Flow::Continue);
    };
    let line = c.interpolate(&a.p2);
    c.log(LogLevel::from_number(n), format!("FSM: '{line}'"));
    Ok(Flow::Continue)
}

fn log_text(a: &Args, c: &mut ActionCtx<'_>, level: LogLevel) -> R {
    let line = c.interpolate(&a.arg);
    c.log(level, format!("FSM: '{line}'"));
    Ok(Flow::Continue)
}

fn log_vars(c: &mut ActionCtx<'_>, l: LogLevel) {
    c.log(l, "FSM: variables set ---");
    let lines: Vec<String> = c
        .vars()
        .iter()
        .map(|(k, v)| format!("FSM:  ${k}='{v}'"))
        .collect();
    for line in lines {
        c.log(l, line);
    }
    c.log(l, "FSM: variables end ---");
}

fn log_params(c: &mut ActionCtx<'_>, l: LogLevel) {
    let Some(p) = c.params() else {
        c.log(l, "FSM: no event params ---");
        return;
    };
    let lines: Vec<String> = p.iter().map(|(k, v)| format!("FSM:  #{k}='{v}'")).collect();
    c.log(l, "FSM: params set ---");
    for line in lines {
        c.log(l, line);
    }
    c.log(l, "FSM: params end ---");
}

fn log_selects(c: &mut ActionCtx<'_>, l: LogLevel) {
    c.log(l, "FSM: selects set ---");
    for s in [
        "local_tag",
        "user",
        "domain",
        "remote_tag",
        "callid",
        "local_uri",
        "local_party",
        "remote_uri",
        "remote_party",
    ] {
        let v = c.resolve(&format!("@{s}"));
        c.log(l, format!("FSM:  @{s}='{v}'"));
    }
    c.log(l, "FSM: selects end ---");
}

fn play_prompt(a: &Args, c: &mut ActionCtx<'_>, position: Position, looped: bool) -> R {
    media(c)?;
    let name = c.resolve(&a.arg);
    let set = c.st.prompt_set.clone();
    let mut prompt_set = set.clone();
    if !c.host().prompt_exists(set.as_deref(), &name) {
        let fallback = set.is_some()
            && c.var("prompts.default_fallback") == Some("yes")
            && c.host().prompt_exists(None, &name);
        if !fallback {
            return Err(Throw::new("prompt").with("name", &name));
        }
        prompt_set = None;
    }
    c.emit(Command::Media(MediaCommand::PlayPrompt {
        name,
        prompt_set,
        position,
        looped,
    }));
    Ok(Flow::Continue)
}

fn set_prompts(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let name = c.resolve(&a.arg);
    if !c.host().prompt_set_exists(&name) {
        return Err(Throw::new("prompt").with("name", &name));
    }
    c.st.prompt_set = Some(name);
    Ok(Flow::Continue)
}

/// Queues a file for playback after checking it can be opened (SEMS opens it here and
/// throws `file` if that fails). Shared by mod_utils and mod_mysql.
pub(crate) fn queue_file(
    c: &mut ActionCtx<'_>,
    path: String,
    position: Position,
    looped: bool,
) -> R {
    media(c)?;
    if !c.host().audio_file_openable(&path, false) {
        return Err(Throw::new("file").with("path", &path));
    }
    c.emit(Command::Media(MediaCommand::PlayFile {
        path,
        position,
        looped,
    }));
    Ok(Flow::Continue)
}

fn play_file(a: &Args, c: &mut ActionCtx<'_>, position: Position) -> R {
    let looped = c.resolve(&a.p2) == "true";
    let path = c.resolve(&a.p1);
    queue_file(c, path, position, looped)
}

fn play_silence(a: &Args, c: &mut ActionCtx<'_>, position: Position) -> R {
    media(c)?;
    let s = c.resolve(&a.arg);
    let Some(ms) = str2int(&s) else {
        return Err(Throw::new("core").with("cause", "cannot parse number"));
    };
    c.emit(Command::Media(MediaCommand::PlaySilence {
        ms: ms.max(0) as u32,
        position,
    }));
    Ok(Flow::Continue)
}

fn play_ringtone(a: &Args, c: &mut ActionCtx<'_>) -> R {
    media(c)?;
    let r = strip_dollar(&a.p1).to_string();
    let get = |c: &ActionCtx<'_>, field: &str, default: i32| -> i32 {
        c.var(&format!("{r}.{field}"))
            .and_then(str2int)
            .unwrap_or(default)
    };
    let cmd = MediaCommand::PlayRingtone {
        length_ms: get(c, "length", 0),
        on_ms: get(c, "on", 2000),
        off_ms: get(c, "off", 4000),
        f1: get(c, "f", 440),
        f2: get(c, "f2", 480),
        position: if c.resolve(&a.p2) == "true" {
            Position::Front
        } else {
            Position::Back
        },
    };
    c.emit(Command::Media(cmd));
    Ok(Flow::Continue)
}

fn send_dtmf(a: &Args, c: &mut ActionCtx<'_>) -> R {
    media(c)?;
    let event = c.resolve(&a.p1);
    let duration = c.resolve(&a.p2);
    let ev = str2i(&event)
        .and_then(|e| u8::try_from(e).ok())
        .ok_or_else(|| Throw::new("core").with("cause", &format!("invalid DTMF:{event}")))?;
    let duration_ms = dtmf_duration(&duration)?;
    c.emit(Command::Media(MediaCommand::SendDtmf {
        event: ev,
        duration_ms,
    }));
    Ok(Flow::Continue)
}

fn dtmf_duration(d: &str) -> Result<u32, Throw> {
    if d.is_empty() {
        return Ok(500);
    }
    str2i(d).ok_or_else(|| Throw::new("core").with("cause", &format!("invalid DTMF duration:{d}")))
}

fn send_dtmf_sequence(a: &Args, c: &mut ActionCtx<'_>) -> R {
    media(c)?;
    let events = c.resolve(&a.p1);
    let duration = c.resolve(&a.p2);
    let duration_ms = dtmf_duration(&duration)?;
    for ch in events.bytes() {
        let event = match ch {
            b'0'..=b'9' => ch - b'0',
            b'*' => 10,
            b'#' => 11,
            b'A'..=b'F' => 12 + (ch - b'A'),
            _ => continue,
        };
        c.emit(Command::Media(MediaCommand::SendDtmf {
            event,
            duration_ms,
        }));
    }
    Ok(Flow::Continue)
}

fn set_timer(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let id_s = c.resolve(&a.p1);
    let Some(id) = str2i(&id_s) else {
        c.fail("arg", format!("timer id '{id_s}' not decipherable"));
        return Ok(Flow::Continue);
    };
    let t_s = c.resolve(&a.p2);
    let Some(secs) = str2i(&t_s) else {
        c.fail("arg", format!("timeout value '{t_s}' not decipherable"));
        return Ok(Flow::Continue);
    };
    c.set_timer(id, std::time::Duration::from_secs(u64::from(secs)));
    c.clear_errno();
    Ok(Flow::Continue)
}

/// The params of `postEvent`/`B2B.relayEvent` from a `;`-separated list of *variable
/// names* (`var` copies every variable, a name ending in `.` copies that struct).
pub(crate) fn event_params(c: &mut ActionCtx<'_>, names: &str) -> Params {
    let mut p = Params::new();
    if names.is_empty() {
        return p;
    }
    if names == "var" {
        return c.vars().clone();
    }
    for name in explode(names, ";") {
        if name.ends_with('.') {
            for (k, v) in c
                .vars()
                .range(name.to_string()..)
                .take_while(|(k, _)| k.starts_with(name))
            {
                p.insert(k.clone(), v.clone());
            }
        } else {
            // map::operator[]: a missing variable is created empty.
            let v = c.vars_mut().entry(name.to_string()).or_default().clone();
            p.insert(name.to_string(), v);
        }
    }
    p
}

fn post_event(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let target = c.resolve(&a.p1);
    let names = c.resolve(&a.p2);
    let params = event_params(c, &names);
    if c.host().event_target_exists(&target) {
        c.emit(Command::PostEvent { target, params });
        c.clear_errno();
    } else {
        c.fail("arg", "event could not be posted");
    }
    Ok(Flow::Continue)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DiResult {
    None,
    Plain,
    Array,
}

fn di(a: &Args, c: &mut ActionCtx<'_>, want: DiResult) -> R {
    if a.list.len() < 2 {
        c.fail("arg", "DI needs at least: mod_name, function_name");
        return Ok(Flow::Continue);
    }
    let factory = trim(&a.list[0], " \"").to_string();
    let function = trim(&a.list[1], " \"").to_string();
    let mut args = Vec::new();
    for p in &a.list[2..] {
        let p = trim(p, " \t");
        if p.starts_with('"') {
            args.push(DiArg::Str(trim(p, "\"").to_string()));
        } else if let Some(v) = p.strip_prefix("(int)").filter(|_| p.len() > 5) {
            let v = c.resolve(v);
            match strtol_whole(&v).filter(|_| !v.is_empty()) {
                Some(i) => args.push(DiArg::Int(i)),
                None => {
                    c.fail("arg", format!("converting value '{v}' to int"));
                    return Ok(Flow::Continue);
                }
            }
        } else if let Some(name) = p.strip_prefix("(struct)").filter(|_| p.len() > 8) {
            let prefix = format!("{name}.");
            let m = c
                .vars()
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .map(|(k, v)| (k[prefix.len()..].to_string(), v.clone()))
                .collect();
            args.push(DiArg::Struct(m));
        } else if let Some(name) = p.strip_prefix("(array)").filter(|_| p.len() > 7) {
            let mut v = Vec::new();
            while let Some(x) = c.var(&format!("{name}[{}]", v.len())) {
                v.push(x.to_string());
            }
            args.push(DiArg::Array(v));
        } else if let Some(j) = p.strip_prefix("(json)").filter(|_| p.len() > 6) {
            let j = if j.starts_with('"') {
                trim(j, "\"").to_string()
            } else {
                c.resolve(j)
            };
            args.push(DiArg::Json(j));
        } else {
            args.push(DiArg::Str(c.resolve(p)));
        }
    }
    let res = match c.host().di_call(&factory, &function, &args) {
        Ok(r) => r,
        Err(e) => {
            c.fail("config", e);
            return Ok(Flow::Continue);
        }
    };
    let mut error = false;
    let scalar = |v: &DiValue| match v {
        DiValue::Str(s) => Some(s.clone()),
        DiValue::Int(i) => Some(i.to_string()),
        _ => None,
    };
    match want {
        DiResult::None => {}
        DiResult::Plain => match &res {
            DiValue::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    match scalar(v) {
                        Some(s) => c.set_var(&format!("DI_res{i}"), s),
                        None => error = true,
                    }
                }
            }
            other => match scalar(other) {
                Some(s) => c.set_var("DI_res", s),
                None => error = true,
            },
        },
        DiResult::Array => match &res {
            DiValue::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    match scalar(v) {
                        Some(s) => c.set_var(&format!("DI_res[{i}]"), s),
                        None => error = true,
                    }
                }
                c.set_var("DI_res_size", items.len().to_string());
            }
            _ => error = true,
        },
    }
    if error {
        c.fail("arg", "unsupported AmArg return type");
    } else {
        c.clear_errno();
    }
    Ok(Flow::Continue)
}

pub(crate) fn connect_callee(a: &Args, c: &mut ActionCtx<'_>, relayed: bool) -> R {
    let party = c.resolve(&a.p1);
    let uri = c.resolve(&a.p2);
    let vars = c
        .vars()
        .range("b2b_".to_string()..)
        .take_while(|(k, _)| k.starts_with("b2b_"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    b2b(
        c,
        B2BCommand::ConnectCallee {
            party,
            uri,
            relayed,
            vars,
        },
    )
}

/// A compiled `test()` expression (spec §4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestExpr {
    op: TestOp,
    lhs: String,
    rhs: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TestOp {
    Always,
    Malformed,
    Eq,
    Neq,
    Lt,
    Gt,
}

impl TestExpr {
    /// Compiles an expression: the first `==`, else `!=`, else `<`, else `>` splits it.
    pub fn parse(expr: &str) -> Self {
        if expr.is_empty() {
            return Self {
                op: TestOp::Always,
                lhs: String::new(),
                rhs: String::new(),
            };
        }
        let found = [
            ("==", TestOp::Eq),
            ("!=", TestOp::Neq),
            ("<", TestOp::Lt),
            (">", TestOp::Gt),
        ]
        .into_iter()
        .find_map(|(s, op)| expr.find(s).map(|p| (p, p + s.len(), op)));
        match found {
            Some((p, p2, op)) => Self {
                op,
                lhs: trim(&expr[..p], " ").to_string(),
                rhs: trim(&expr[p2..], " ").to_string(),
            },
            None => Self {
                op: TestOp::Malformed,
                lhs: String::new(),
                rhs: String::new(),
            },
        }
    }

    /// Whether the expression had no operator (it never matches).
    pub fn is_malformed(&self) -> bool {
        self.op == TestOp::Malformed
    }

    fn operand(&self, s: &str, c: &ActionCtx<'_>) -> String {
        if s.len() > 5 && s.starts_with("len(") && s.ends_with(')') {
            // SEMS turns a right-hand len() into a one-character string whose code is the
            // length; here both sides give the decimal length.
            c.resolve(&s[4..s.len() - 1]).len().to_string()
        } else {
            c.resolve(s)
        }
    }

    /// Evaluates against the session (the event type is checked by the engine).
    pub(crate) fn matches(&self, c: &ActionCtx<'_>) -> bool {
        match self.op {
            TestOp::Always => return true,
            TestOp::Malformed => return false,
            _ => {}
        }
        let l = self.operand(&self.lhs, c);
        let r = self.operand(&self.rhs, c);
        match self.op {
            TestOp::Eq => match r.find('*') {
                None => l == r,
                Some(star) => l.len() >= star && l.as_bytes()[..star] == r.as_bytes()[..star],
            },
            TestOp::Neq => l != r,
            TestOp::Lt | TestOp::Gt => {
                let less = match (strtol_whole(&l), strtol_whole(&r)) {
                    (Some(a), Some(b)) => (a < b, a > b),
                    _ => (l < r, l > r),
                };
                if self.op == TestOp::Lt {
                    less.0
                } else {
                    less.1
                }
            }
            TestOp::Always | TestOp::Malformed => false,
        }
    }
}

fn test_condition(a: &Args, c: &mut ActionCtx<'_>) -> bool {
    a.test.as_ref().is_some_and(|t| t.matches(c))
}
