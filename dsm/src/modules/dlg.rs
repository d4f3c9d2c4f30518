//! mod_dlg (spec §6.1): replies, BYE, REFER/INFO, dial-out and message bodies. The SIP
//! side is `firmware`'s: every effect is a [`Command`]; only the dial-out's new local tag
//! comes back synchronously through [`crate::Host::reserve_dialout`].

use super::core::{COMMA_OPT, COMMA2, ONE, connect_callee, media};
use crate::registry::{ArgShape, Args, Flow, Module, Throw};
use crate::runtime::command::{Command, Dialout};
use crate::runtime::context::ActionCtx;
use crate::syntax::text::str2i;

type R = Result<Flow, Throw>;

pub(crate) fn module() -> Module {
    let mut m = Module::new("mod_dlg");
    m.action("dlg.reply", COMMA_OPT, reply)
        .action("dlg.acceptInvite", COMMA_OPT, accept_invite)
        .action("dlg.replyRequest", COMMA_OPT, reply_request)
        .action("dlg.relayError", COMMA2, relay_error)
        .action("dlg.relayReply", ONE, |_: &Args, c: &mut ActionCtx<'_>| {
            media(c)?;
            c.emit(Command::RelayReply {
                code: 0,
                reason: String::new(),
            });
            Ok(Flow::Continue)
        })
        .action("dlg.bye", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
            let headers = c.resolve(&a.arg);
            c.emit(Command::Bye { headers });
            c.clear_errno();
            Ok(Flow::Continue)
        })
        .action("dlg.refer", COMMA_OPT, refer)
        .action("dlg.info", COMMA_OPT, info)
        .action("dlg.dialout", ONE, dialout)
        .action(
            "dlg.connectCalleeRelayed",
            COMMA2,
            |a: &Args, c: &mut ActionCtx<'_>| connect_callee(a, c, true),
        )
        .action("dlg.getOtherId", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
            let v = c.resolve(&a.arg);
            let other = c.var("b2b_other_id").unwrap_or("").to_string();
            c.set_var(&v, other);
            Ok(Flow::Continue)
        })
        .action(
            "dlg.getRtpRelayMode",
            ONE,
            |a: &Args, c: &mut ActionCtx<'_>| {
                let v = c.resolve(&a.arg);
                c.set_var(&v, "RTP_Direct");
                Ok(Flow::Continue)
            },
        )
        .action(
            "dlg.getRequestBody",
            COMMA2,
            |a: &Args, c: &mut ActionCtx<'_>| get_body(a, c, true),
        )
        .action(
            "dlg.getReplyBody",
            COMMA2,
            |a: &Args, c: &mut ActionCtx<'_>| get_body(a, c, false),
        )
        .action(
            "dlg.addReplyBodyPart",
            COMMA2,
            |_: &Args, _: &mut ActionCtx<'_>| {
                // Acts on a mutable reply object, which only mod_sbc provides.
                Err(Throw::new("dlg").with("cause", "no mutable reply"))
            },
        )
        .action(
            "dlg.deleteReplyBodyPart",
            ONE,
            |_: &Args, _: &mut ActionCtx<'_>| {
                Err(Throw::new("dlg").with("cause", "no mutable reply"))
            },
        );
    m.condition(
        "dlg.replyHasContentType",
        ArgShape::Raw,
        None,
        |a: &Args, c: &mut ActionCtx<'_>| has_content_type(a, c, false),
    )
    .condition(
        "dlg.requestHasContentType",
        ArgShape::Raw,
        None,
        |a: &Args, c: &mut ActionCtx<'_>| has_content_type(a, c, true),
    );
    m
}

/// `$dlg.reply.hdrs` with literal `\r\n` turned into CRLF and a final CRLF appended (SEMS
/// `replaceLineEnds`).
fn reply_headers(c: &ActionCtx<'_>) -> String {
    let input = c.var("dlg.reply.hdrs").unwrap_or("");
    let mut out = String::new();
    let mut rest = input;
    while let Some(p) = rest.find("\\r\\n") {
        out.push_str(&rest[..p]);
        out.push_str("\r\n");
        rest = &rest[p + 4..];
    }
    if !rest.is_empty() {
        out.push_str(rest);
        out.push_str("\r\n");
    }
    out
}

fn code_of(c: &mut ActionCtx<'_>, code: &str) -> Option<u16> {
    match str2i(code).and_then(|v| u16::try_from(v).ok()) {
        Some(v) => Some(v),
        None => {
            c.fail("arg", format!("decoding reply code '{code}'"));
            None
        }
    }
}

fn reply(a: &Args, c: &mut ActionCtx<'_>) -> R {
    if !c.st.has_last_request {
        c.fail("general", "no last request to reply");
        return Ok(Flow::Continue);
    }
    let code = c.resolve(&a.p1);
    let reason = c.resolve(&a.p2);
    let headers = reply_headers(c);
    let Some(code) = code_of(c, &code) else {
        return Ok(Flow::Continue);
    };
    c.emit(Command::Reply {
        code,
        reason,
        headers,
    });
    c.clear_errno();
    Ok(Flow::Continue)
}

fn accept_invite(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let code_s = c.resolve(&a.p1);
    let headers = reply_headers(c);
    let (code, reason) = if code_s.is_empty() {
        (200, "OK".to_string())
    } else {
        let reason = c.resolve(&a.p2);
        let Some(code) = code_of(c, &code_s) else {
            return Ok(Flow::Continue);
        };
        (code, reason)
    };
    if !c.st.has_last_request {
        c.fail("general", "no last request to reply");
        return Ok(Flow::Continue);
    }
    // Success leaves $errno unchanged, as in SEMS.
    c.emit(Command::AcceptInvite {
        code,
        reason,
        headers,
    });
    Ok(Flow::Continue)
}

fn reply_request(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let is_request = c.st.message.as_ref().is_some_and(|m| m.is_request)
        && c.event() == crate::runtime::event::EventKind::SipRequest;
    if !is_request {
        return Err(Throw::new("dlg").with("cause", "no request"));
    }
    let code = c.resolve(&a.p1);
    let reason = c.resolve(&a.p2);
    let headers = reply_headers(c);
    let Some(code) = code_of(c, &code) else {
        return Ok(Flow::Continue);
    };
    c.emit(Command::ReplyRequest {
        code,
        reason,
        headers,
    });
    c.clear_errno();
    Ok(Flow::Continue)
}

fn relay_error(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let code = c.resolve(&a.p1);
    let reason = c.resolve(&a.p2);
    let Some(code) = str2i(&code).and_then(|v| u16::try_from(v).ok()) else {
        return Err(Throw::new("param").with("cause", "invalid reply code"));
    };
    c.emit(Command::RelayReply { code, reason });
    Ok(Flow::Continue)
}

fn refer(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let to = c.resolve(&a.p1);
    if to.is_empty() {
        return Err(Throw::new("param").with("cause", "missing refer target"));
    }
    let expires = c.resolve(&a.p2);
    let expires = if expires.is_empty() {
        None
    } else {
        match str2i(&expires) {
            Some(e) => Some(e),
            None => return Err(Throw::new("param").with("cause", "invalid expires")),
        }
    };
    c.emit(Command::Refer { to, expires });
    c.clear_errno();
    Ok(Flow::Continue)
}

fn info(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let content_type = c.resolve(&a.p1);
    let body = c.resolve(&a.p2);
    c.emit(Command::Info { content_type, body });
    c.clear_errno();
    Ok(Flow::Continue)
}

fn dialout(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let x = c.resolve(&a.arg);
    let get = |c: &ActionCtx<'_>, suffix: &str| c.var(&format!("{x}{suffix}")).map(str::to_string);
    let mut mandatory = Vec::new();
    for suffix in ["_caller", "_callee", "_domain", "_app"] {
        match get(c, suffix) {
            Some(v) => mandatory.push(v),
            None => {
                c.log(
                    crate::runtime::command::LogLevel::Warn,
                    format!("need {x}{suffix} set for dlg.dialout({x})"),
                );
                c.set_errno("arg");
                return Ok(Flow::Continue);
            }
        }
    }
    let [caller, callee, domain, app] = <[String; 4]>::try_from(mandatory)
        .map_err(|_| Throw::new("core").with("cause", "internal: dialout arguments"))?;
    let auth = match (get(c, "_auth_user"), get(c, "_auth_pwd")) {
        (Some(u), Some(p)) if !u.is_empty() && !p.is_empty() => Some((u, p)),
        _ => None,
    };
    let headers = get(c, "_hdrs")
        .unwrap_or_default()
        .replace("\\r\\n", "\r\n");
    let prefix = format!("{x}_var.");
    let vars = c
        .vars()
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, v)| (k[prefix.len()..].to_string(), v.clone()))
        .collect();
    let mut request = Dialout {
        ltag: String::new(),
        requested_ltag: get(c, "_ltag").filter(|t| !t.is_empty()),
        r_uri: get(c, "_r_uri").unwrap_or_else(|| format!("sip:{callee}@{domain}")),
        from: get(c, "_from").unwrap_or_else(|| format!("<sip:{caller}@{domain}>")),
        from_uri: get(c, "_from_uri").unwrap_or_else(|| format!("sip:{caller}@{domain}")),
        to: get(c, "_to").unwrap_or_else(|| format!("<sip:{callee}@{domain}>")),
        app,
        caller,
        callee,
        domain,
        auth,
        headers,
        vars,
    };
    match c.host().reserve_dialout(&request) {
        Some(tag) => {
            c.set_var(&format!("{x}_ltag"), tag.clone());
            request.ltag = tag;
            c.emit(Command::Dialout(Box::new(request)));
        }
        None => {
            c.set_var(&format!("{x}_ltag"), "");
            c.set_errno("general");
        }
    }
    Ok(Flow::Continue)
}

fn get_body(a: &Args, c: &mut ActionCtx<'_>, request: bool) -> R {
    let Some(msg) =
        c.st.message
            .as_ref()
            .filter(|m| if request { m.is_request } else { m.is_reply })
    else {
        return Err(
            Throw::new("dlg").with("cause", if request { "no request" } else { "no reply" })
        );
    };
    let bodies = msg.bodies.clone();
    let ct = c.resolve(&a.p1);
    let dst = c.resolve(&a.p2);
    match bodies.iter().find(|(t, _)| t.eq_ignore_ascii_case(&ct)) {
        Some((_, payload)) => c.set_var(&dst, payload.clone()),
        None => c.remove_var(&dst),
    }
    Ok(Flow::Continue)
}

fn has_content_type(a: &Args, c: &mut ActionCtx<'_>, request: bool) -> bool {
    let Some(msg) =
        c.st.message
            .as_ref()
            .filter(|m| if request { m.is_request } else { m.is_reply })
    else {
        c.log(
            crate::runtime::command::LogLevel::Error,
            format!(
                "DSM script error: dlg.{}HasContentType condition used for other event than {} event",
                if request { "request" } else { "reply" },
                if request { "sipRequest" } else { "sipReply" }
            ),
        );
        return false;
    };
    msg.bodies
        .iter()
        .any(|(t, _)| t.eq_ignore_ascii_case(&a.raw))
}
