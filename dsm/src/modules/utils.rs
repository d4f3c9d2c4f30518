//! mod_utils (spec §6.5): number prompts, arithmetic, strings, JSON, ring tones.
//!
//! `utils.rand` uses the session's seeded generator, so `utils.srand()` does nothing
//! (results are reproducible in tests; seed each session differently in `firmware`).

use md5::{Digest, Md5};

use super::core::{COMMA_OPT, COMMA2, ONE, media, queue_file};
use crate::registry::{Args, Flow, Module, Throw};
use crate::runtime::command::{Command, MediaCommand, Position};
use crate::runtime::context::ActionCtx;
use crate::syntax::text::{atof, atoi, double2str, explode, str2i, str2int, strip_dollar, trim};

type R = Result<Flow, Throw>;

pub(crate) fn module() -> Module {
    let mut m = Module::new("mod_utils");
    m.action(
        "utils.playCountRight",
        COMMA_OPT,
        |a: &Args, c: &mut ActionCtx<'_>| play_count(a, c, true),
    )
    .action(
        "utils.playCountLeft",
        COMMA_OPT,
        |a: &Args, c: &mut ActionCtx<'_>| play_count(a, c, false),
    )
    .action(
        "utils.getCountRight",
        COMMA_OPT,
        |a: &Args, c: &mut ActionCtx<'_>| get_count(a, c, ".wav", true),
    )
    .action(
        "utils.getCountLeft",
        COMMA_OPT,
        |a: &Args, c: &mut ActionCtx<'_>| get_count(a, c, ".wav", false),
    )
    .action(
        "utils.getCountRightNoSuffix",
        COMMA_OPT,
        |a: &Args, c: &mut ActionCtx<'_>| get_count(a, c, "", true),
    )
    .action(
        "utils.getCountLeftNoSuffix",
        COMMA_OPT,
        |a: &Args, c: &mut ActionCtx<'_>| get_count(a, c, "", false),
    )
    .action("utils.getNewId", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
        let d = c.resolve(&a.arg);
        let id = format!("{:08X}-{:08X}-{:08X}", c.random(), c.random(), c.random());
        c.set_var(&d, id);
        Ok(Flow::Continue)
    })
    .action(
        "utils.spell",
        COMMA_OPT,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let basedir = c.resolve(&a.p2);
            let word = c.resolve(&a.p1);
            for ch in word.chars() {
                queue_file(c, format!("{basedir}{ch}.wav"), Position::Back, false)?;
            }
            Ok(Flow::Continue)
        },
    )
    .action(
        "utils.rand",
        COMMA_OPT,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let var = c.resolve(&a.p1);
            let m = c.resolve(&a.p2);
            let modulo = if m.is_empty() {
                0
            } else {
                str2i(&m).unwrap_or(0)
            };
            let r = c.random() & 0x7fff_ffff;
            let v = if modulo != 0 { r % modulo } else { r };
            c.set_var(&var, v.to_string());
            Ok(Flow::Continue)
        },
    )
    .action("utils.srand", ONE, |_: &Args, _: &mut ActionCtx<'_>| {
        Ok(Flow::Continue)
    })
    .action("utils.add", COMMA2, |a: &Args, c: &mut ActionCtx<'_>| {
        float_op(a, c, |x, y| x + y)
    })
    .action("utils.sub", COMMA2, |a: &Args, c: &mut ActionCtx<'_>| {
        float_op(a, c, |x, y| x - y)
    })
    .action("utils.mul", COMMA2, |a: &Args, c: &mut ActionCtx<'_>| {
        let x = atoi(&c.resolve(&a.p1)) as i32;
        let y = atoi(&c.resolve(&a.p2)) as i32;
        c.set_var(strip_dollar(&a.p1), x.wrapping_mul(y).to_string());
        Ok(Flow::Continue)
    })
    .action("utils.int", COMMA2, |a: &Args, c: &mut ActionCtx<'_>| {
        let v = atof(&c.resolve(&a.p2));
        c.set_var(strip_dollar(&a.p1), (v as i32).to_string());
        Ok(Flow::Continue)
    })
    .action("utils.md5", COMMA2, |a: &Args, c: &mut ActionCtx<'_>| {
        let v = c.resolve(&a.p2);
        let digest = Md5::digest(v.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        c.set_var(strip_dollar(&a.p1), hex);
        Ok(Flow::Continue)
    })
    .action("utils.replace", COMMA2, replace)
    .action("utils.splitStringCR", COMMA_OPT, split_cr)
    .action("utils.splitString", COMMA_OPT, split_string)
    .action("utils.decodeJson", COMMA_OPT, decode_json)
    .action(
        "utils.escapeCRLF",
        ONE,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let v = c
                .vars_mut()
                .entry(strip_dollar(&a.arg).to_string())
                .or_default();
            *v = v.replace("\r\n", "\\r\\n");
            Ok(Flow::Continue)
        },
    )
    .action(
        "utils.unescapeCRLF",
        ONE,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let v = c
                .vars_mut()
                .entry(strip_dollar(&a.arg).to_string())
                .or_default();
            *v = v.replace("\\r\\n", "\r\n");
            Ok(Flow::Continue)
        },
    )
    .action("utils.playRingTone", COMMA_OPT, play_ring_tone);
    m.condition(
        "utils.isInList",
        COMMA2,
        None,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let key = c.resolve(&a.p1);
            let list = c.resolve(&a.p2);
            explode(&list, ",")
                .into_iter()
                .any(|i| trim(i, " \t") == key)
        },
    )
    .condition(
        "utils.startsWith",
        COMMA2,
        None,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let s = c.resolve(&a.p1);
            let prefix = c.resolve(&a.p2);
            s.as_bytes().starts_with(prefix.as_bytes())
        },
    );
    m
}

/// The file names of SEMS's count prompts (`utils_get_count_files`).
fn count_files(mut cnt: u32, basedir: &str, suffix: &str, right: bool) -> Vec<String> {
    let mut res = Vec::new();
    if cnt <= 20 {
        res.push(format!("{basedir}{cnt}{suffix}"));
        return res;
    }
    for i in (2..=9).rev() {
        let p = 10u32.pow(i);
        let q = cnt / p;
        if q != 0 {
            res.push(format!("{basedir}{}{suffix}", q * p));
        }
        cnt %= p;
    }
    if cnt == 0 {
        return res;
    }
    if cnt <= 20 || cnt.is_multiple_of(10) {
        res.push(format!("{basedir}{cnt}{suffix}"));
        return res;
    }
    let tens = format!("{basedir}{}{suffix}", cnt / 10 * 10);
    let ones = format!("{basedir}x{}{suffix}", cnt % 10);
    if right {
        res.push(tens);
        res.push(ones);
    } else {
        res.push(ones);
        res.push(tens);
    }
    res
}

fn count_arg(a: &Args, c: &mut ActionCtx<'_>) -> Option<(u32, String)> {
    let s = c.resolve(&a.p1);
    let basedir = c.resolve(&a.p2);
    match str2i(&s) {
        Some(n) => Some((n, basedir)),
        None => {
            c.fail("arg", format!("could not parse count '{s}'"));
            None
        }
    }
}

fn play_count(a: &Args, c: &mut ActionCtx<'_>, right: bool) -> R {
    let Some((n, dir)) = count_arg(a, c) else {
        return Ok(Flow::Continue);
    };
    for f in count_files(n, &dir, ".wav", right) {
        queue_file(c, f, Position::Back, false)?;
    }
    c.clear_errno();
    Ok(Flow::Continue)
}

fn get_count(a: &Args, c: &mut ActionCtx<'_>, suffix: &str, right: bool) -> R {
    let Some((n, dir)) = count_arg(a, c) else {
        return Ok(Flow::Continue);
    };
    for (i, f) in count_files(n, &dir, suffix, right).into_iter().enumerate() {
        c.set_var(&format!("count_file[{i}]"), f);
    }
    c.clear_errno();
    Ok(Flow::Continue)
}

fn float_op(a: &Args, c: &mut ActionCtx<'_>, op: fn(f64, f64) -> f64) -> R {
    let x = atof(&c.resolve(&a.p1));
    let y = atof(&c.resolve(&a.p2));
    c.set_var(strip_dollar(&a.p1), double2str(op(x, y)));
    Ok(Flow::Continue)
}

fn replace(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let mut subject = c.resolve(&a.p1);
    let parts = explode(&a.p2, "=>");
    if parts.len() != 2 {
        c.fail("arg", format!("could not parse search=>replace '{}'", a.p2));
        return Ok(Flow::Continue);
    }
    let search = if parts[0].starts_with('$') {
        let s = c.resolve(parts[0]);
        if s.is_empty() {
            c.fail("arg", format!("search var '{}' value is empty", parts[0]));
            return Ok(Flow::Continue);
        }
        s
    } else {
        parts[0].to_string()
    };
    let replacement = if parts[1].starts_with('$') {
        c.resolve(parts[1])
    } else {
        parts[1].to_string()
    };
    let mut pos = 0;
    while let Some(p) = subject.get(pos..).and_then(|s| s.find(&search)) {
        let at = pos + p;
        subject.replace_range(at..at + search.len(), &replacement);
        pos = at + replacement.len();
    }
    c.set_var(strip_dollar(&a.p1), subject);
    Ok(Flow::Continue)
}

fn split_cr(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let s = c.resolve(&a.p1);
    let dst = strip_dollar(if a.p2.is_empty() { &a.p1 } else { &a.p2 }).to_string();
    let mut pieces: Vec<&str> = s.split('\n').collect();
    if pieces.last().is_some_and(|l| l.is_empty()) {
        pieces.pop();
    }
    for (i, p) in pieces.into_iter().enumerate() {
        c.set_var(&format!("{dst}[{i}]"), p);
    }
    Ok(Flow::Continue)
}

fn split_string(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let s = c.resolve(&a.p1);
    let delim = c.resolve(&a.p2);
    if a.p1.is_empty() {
        c.fail("arg", "varname is empty");
        return Ok(Flow::Continue);
    }
    let name = strip_dollar(&a.p1).to_string();
    if delim.is_empty() {
        for (i, ch) in s.chars().enumerate() {
            c.set_var(&format!("{name}[{i}]"), ch.to_string());
        }
    } else {
        for (i, p) in s.split(delim.as_str()).enumerate() {
            c.set_var(&format!("{name}[{i}]"), p);
        }
    }
    Ok(Flow::Continue)
}

fn decode_json(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let text = c.resolve(&a.p1);
    if a.p2.is_empty() {
        c.fail("arg", "struct name is empty");
        return Ok(Flow::Continue);
    }
    let prefix = strip_dollar(&a.p2).to_string();
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) => set_json(c, &prefix, &v),
        Err(_) => c.fail("arg", "failed to decode json string"),
    }
    Ok(Flow::Continue)
}

fn set_json(c: &mut ActionCtx<'_>, prefix: &str, v: &serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                set_json(c, &format!("{prefix}.{k}"), v);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                set_json(c, &format!("{prefix}[{i}]"), v);
            }
        }
        Value::String(s) => c.set_var(prefix, s.clone()),
        Value::Null => c.set_var(prefix, ""),
        other => c.set_var(prefix, other.to_string()),
    }
}

fn play_ring_tone(a: &Args, c: &mut ActionCtx<'_>) -> R {
    media(c)?;
    let length = str2int(&c.resolve(&a.p1)).unwrap_or(0);
    let mut p = [2000, 4000, 440, 480];
    for (i, item) in explode(&a.p2, ",").into_iter().take(4).enumerate() {
        let v = c.resolve(item);
        if v.is_empty() {
            continue;
        }
        if let Some(n) = str2int(&v) {
            p[i] = n;
        }
    }
    c.emit(Command::Media(MediaCommand::PlayRingtone {
        length_ms: length,
        on_ms: p[0],
        off_ms: p[1],
        f1: p[2],
        f2: p[3],
        position: Position::Back,
    }));
    Ok(Flow::Continue)
}

#[cfg(test)]
mod tests {
    use super::count_files;

    #[test]
    fn count_prompts() {
        assert_eq!(count_files(7, "d/", ".wav", true), vec!["d/7.wav"]);
        assert_eq!(count_files(42, "", "", true), vec!["40", "x2"]);
        assert_eq!(count_files(42, "", "", false), vec!["x2", "40"]);
        assert_eq!(count_files(1230, "", "", true), vec!["1000", "200", "30"]);
        assert_eq!(count_files(315, "", "", true), vec!["300", "15"]);
    }
}
