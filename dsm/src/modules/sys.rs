//! mod_sys (spec §6.4): file operations, timestamps and (host permitting) `popen`/`system`,
//! all through the [`crate::Host`] since this crate does no I/O.

use std::time::UNIX_EPOCH;

use super::core::{COMMA_OPT, COMMA2, ONE};
use crate::registry::{ArgShape, Args, Flow, Module, Throw};
use crate::runtime::context::ActionCtx;
use crate::syntax::text::{atoi, str2i, strip_dollar};

type R = Result<Flow, Throw>;

pub(crate) fn module() -> Module {
    let mut m = Module::new("mod_sys");
    m.action("sys.mkdir", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
        let d = c.resolve(&a.arg);
        let r = c.host().mkdir(&d);
        file_result(c, r)
    })
    .action(
        "sys.mkdirRecursive",
        ONE,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let d = c.resolve(&a.arg);
            let r = c.host().mkdir_recursive(&d);
            file_result(c, r)
        },
    )
    .action(
        "sys.rename",
        COMMA_OPT,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let from = c.resolve(&a.p1);
            let to = c.resolve(&a.p2);
            let r = c.host().rename(&from, &to);
            file_result(c, r)
        },
    )
    .action("sys.unlink", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
        let f = c.resolve(&a.arg);
        if f.is_empty() {
            return Ok(Flow::Continue);
        }
        let r = c.host().unlink(&f);
        file_result(c, r)
    })
    .action(
        "sys.unlinkArray",
        COMMA_OPT,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let name = c.resolve(&a.p1);
            if name.is_empty() {
                return Ok(Flow::Continue);
            }
            let dir = c.resolve(&a.p2);
            let size_s = c.var(&format!("{name}_size")).unwrap_or("").to_string();
            let Some(size) = str2i(&size_s) else {
                c.set_errno("arg");
                return Ok(Flow::Continue);
            };
            c.set_errno("");
            for i in 0..size {
                let f = c.var(&format!("{name}_{i}")).unwrap_or("").to_string();
                if c.host().unlink(&format!("{dir}/{f}")).is_err() {
                    c.set_errno("file");
                }
            }
            Ok(Flow::Continue)
        },
    )
    .action("sys.tmpnam", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
        let v = c.resolve(&a.arg);
        match c.host().temp_file_name() {
            Ok(n) => {
                c.set_var(&v, n);
                c.set_errno("");
            }
            Err(_) => c.set_errno("file"),
        }
        Ok(Flow::Continue)
    })
    .action(
        "sys.popen",
        ArgShape::Two {
            sep: '=',
            mandatory: true,
        },
        popen,
    )
    .action(
        "sys.getTimestamp",
        ONE,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let v = c.resolve(&a.arg);
            let t = c
                .host()
                .wall_clock()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            c.set_var(&format!("{v}.tv_sec"), t.as_secs().to_string());
            c.set_var(&format!("{v}.tv_usec"), t.subsec_micros().to_string());
            Ok(Flow::Continue)
        },
    )
    .action("sys.subTimestamp", COMMA2, sub_timestamp);
    m.condition(
        "sys.file_exists",
        ONE,
        None,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let f = c.resolve(&a.arg);
            c.host().file_exists(&f)
        },
    )
    .condition(
        "sys.file_not_exists",
        ONE,
        None,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let f = c.resolve(&a.arg);
            !c.host().file_exists(&f)
        },
    )
    .condition(
        "sys.system",
        ONE,
        None,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let cmd = c.resolve(&a.arg);
            match c.host().system(&cmd) {
                Some(0) => true,
                Some(1) => false,
                other => {
                    c.log(
                        crate::runtime::command::LogLevel::Error,
                        format!("sys.system('{cmd}') returned {other:?}"),
                    );
                    false
                }
            }
        },
    );
    m
}

fn file_result(c: &mut ActionCtx<'_>, r: Result<(), String>) -> R {
    match r {
        Ok(()) => c.set_errno(""),
        Err(e) => c.fail("file", e),
    }
    Ok(Flow::Continue)
}

fn popen(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let dst = strip_dollar(&a.p1).to_string();
    let cmd = c.resolve(&a.p2);
    match c.host().popen(&cmd) {
        Ok((out, status)) => {
            c.set_var(&dst, out);
            c.set_var(&format!("{dst}.status"), status.to_string());
            Ok(Flow::Continue)
        }
        Err(e) => Err(Throw::new("popen").with("cause", &e)),
    }
}

fn sub_timestamp(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let t1 = c.resolve(&a.p1);
    let t2 = c.resolve(&a.p2);
    let get = |c: &ActionCtx<'_>, t: &str, f: &str| atoi(c.var(&format!("{t}.{f}")).unwrap_or(""));
    let a_us = get(c, &t1, "tv_sec")
        .saturating_mul(1_000_000)
        .saturating_add(get(c, &t1, "tv_usec"));
    let b_us = get(c, &t2, "tv_sec")
        .saturating_mul(1_000_000)
        .saturating_add(get(c, &t2, "tv_usec"));
    let d = a_us.saturating_sub(b_us);
    let (sec, usec) = (d.div_euclid(1_000_000), d.rem_euclid(1_000_000));
    c.set_var(&format!("{t1}.tv_sec"), sec.to_string());
    c.set_var(&format!("{t1}.tv_usec"), usec.to_string());
    c.set_var(
        &format!("{t1}.msec"),
        (sec * 1000 + usec / 1000).to_string(),
    );
    Ok(Flow::Continue)
}
