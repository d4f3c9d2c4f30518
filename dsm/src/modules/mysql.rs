//! mod_mysql (spec §6.3) over the [`crate::Host`]'s database: same action names, `$errno`
//! codes and `$db.*` variables as SEMS, but every `$var`/`#param` of a statement is a bound
//! parameter (see [`super::sql`]). `firmware` runs it on SQLite (`db_url=sqlite:///path`).
//!
//! `mysql.escape` returns its value unchanged: values are never pasted into SQL here, so a
//! SEMS-style escaped value would be stored or compared with its escape characters.

use std::sync::Arc;

use super::core::{COMMA_OPT, EQ2, ONE, queue_file};
use super::sql::bind;
use crate::registry::{ArgShape, Args, Flow, Module, Throw};
use crate::runtime::command::Position;
use crate::runtime::context::ActionCtx;
use crate::runtime::host::{DbError, SqlStatement};
use crate::syntax::text::{str2i, strip_dollar};

type R = Result<Flow, Throw>;

pub(crate) fn module() -> Module {
    let mut m = Module::new("mod_mysql");
    m.action("mysql.connect", ONE, connect)
        .action("mysql.disconnect", ONE, disconnect)
        .action("mysql.execute", ONE, execute)
        .action("mysql.query", ONE, query)
        .action("mysql.queryGetResult", COMMA_OPT, query_get_result)
        .action("mysql.getResult", COMMA_OPT, get_result)
        .action(
            "mysql.getClientVersion",
            ONE,
            |a: &Args, c: &mut ActionCtx<'_>| {
                let Some(h) = connection(c) else {
                    return Ok(Flow::Continue);
                };
                let var = c.resolve(&a.arg);
                let v = c.host().db_client_version(h);
                c.set_var(&var, v);
                c.clear_errno();
                Ok(Flow::Continue)
            },
        )
        .action(
            "mysql.resolveQueryParams",
            ONE,
            |a: &Args, c: &mut ActionCtx<'_>| {
                let s = statement(c, &a.arg, None);
                c.set_var("db.qstr", s.legacy_text);
                Ok(Flow::Continue)
            },
        )
        .action(
            "mysql.saveResult",
            ONE,
            |a: &Args, c: &mut ActionCtx<'_>| {
                let name = c.resolve(&a.arg);
                let r = c.st.db.result.clone();
                c.st.db.saved.insert(name, r);
                Ok(Flow::Continue)
            },
        )
        .action("mysql.useResult", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
            let name = c.resolve(&a.arg);
            c.st.db.result = c.st.db.saved.get(&name).cloned().flatten();
            Ok(Flow::Continue)
        })
        .action(
            "mysql.playDBAudio",
            COMMA_OPT,
            |a: &Args, c: &mut ActionCtx<'_>| play_db_audio(a, c, Position::Back, false),
        )
        .action(
            "mysql.playDBAudioFront",
            COMMA_OPT,
            |a: &Args, c: &mut ActionCtx<'_>| play_db_audio(a, c, Position::Front, false),
        )
        .action(
            "mysql.playDBAudioLooped",
            COMMA_OPT,
            |a: &Args, c: &mut ActionCtx<'_>| play_db_audio(a, c, Position::Back, true),
        )
        .action("mysql.getFileFromDB", COMMA_OPT, get_file_from_db)
        .action("mysql.putFileToDB", COMMA_OPT, put_file_to_db)
        .action("mysql.escape", EQ2, |a: &Args, c: &mut ActionCtx<'_>| {
            if connection(c).is_none() {
                return Ok(Flow::Continue);
            }
            let v = c.resolve(&a.p2);
            c.set_var(strip_dollar(&a.p1), v);
            Ok(Flow::Continue)
        });
    m.condition(
        "mysql.hasResult",
        ArgShape::Raw,
        None,
        |_: &Args, c: &mut ActionCtx<'_>| match c.st.db.result.clone() {
            Some(r) => !r.rows.is_empty(),
            None => {
                c.fail("result", "No result available");
                false
            }
        },
    )
    .condition(
        "mysql.connected",
        ArgShape::Raw,
        None,
        |_: &Args, c: &mut ActionCtx<'_>| match connection(c) {
            Some(h) => c.host().db_connected(h),
            None => false,
        },
    );
    m
}

/// The session's connection, or `$errno=connection` (SEMS sets it whenever an action
/// finds no connection).
fn connection(c: &mut ActionCtx<'_>) -> Option<u64> {
    let h = c.st.db.handle;
    if h.is_none() {
        c.fail("connection", "No connection to database");
    }
    h
}

fn statement(c: &mut ActionCtx<'_>, template: &str, file: Option<&str>) -> SqlStatement {
    let st = &mut *c.st;
    bind(template, &mut st.vars, c.params.as_mut(), file)
}

fn db_error(c: &mut ActionCtx<'_>, e: DbError) {
    match e {
        DbError::BadUrl(m) => c.fail("arg", m),
        DbError::Config(m) => c.fail("config", m),
        DbError::Connection { code, message } => {
            c.fail("connection", message.clone());
            c.set_var("db.errno", code.to_string());
            c.set_var("db.ereason", message);
        }
        DbError::Query(m) => {
            c.fail("query", m.clone());
            c.set_var("db.ereason", m);
        }
        DbError::File(m) => c.fail("file", m),
    }
}

fn connect(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let arg = c.resolve(&a.arg);
    let url = if arg.is_empty() {
        c.var("config.db_url").unwrap_or("").to_string()
    } else {
        arg
    };
    if url.is_empty() {
        c.fail("arg", "missing correct db_url config or connect parameter");
        return Ok(Flow::Continue);
    }
    match c.host().db_connect(&url) {
        Ok(h) => {
            if let Some(old) = c.st.db.handle.replace(h) {
                let _ = c.host().db_disconnect(old);
            }
            c.clear_errno();
        }
        Err(e) => db_error(c, e),
    }
    Ok(Flow::Continue)
}

fn disconnect(_: &Args, c: &mut ActionCtx<'_>) -> R {
    let Some(h) = connection(c) else {
        return Ok(Flow::Continue);
    };
    match c.host().db_disconnect(h) {
        Ok(()) => {
            c.st.db.handle = None;
            c.clear_errno();
        }
        Err(DbError::Connection { message, .. } | DbError::Query(message)) => {
            c.fail("connection", message.clone());
            c.set_var("db.ereason", message);
        }
        Err(e) => db_error(c, e),
    }
    Ok(Flow::Continue)
}

fn execute(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let Some(h) = connection(c) else {
        return Ok(Flow::Continue);
    };
    let s = statement(c, &a.arg, None);
    match c.host().db_execute(h, &s) {
        Ok(e) => {
            c.clear_errno();
            if e.returned_rows {
                c.set_var("db.rows", "0");
                c.set_var("db.insert_id", "0");
            } else {
                c.set_var("db.rows", e.affected_rows.to_string());
                c.set_var("db.insert_id", e.insert_id.to_string());
            }
            c.set_var("db.info", "");
        }
        Err(e) => db_error(c, query_error(e)),
    }
    Ok(Flow::Continue)
}

/// Statement failures are `query` errors whatever the driver called them.
fn query_error(e: DbError) -> DbError {
    match e {
        DbError::Connection { message, .. } => DbError::Query(message),
        other => other,
    }
}

fn query(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let Some(h) = connection(c) else {
        return Ok(Flow::Continue);
    };
    let s = statement(c, &a.arg, None);
    match c.host().db_query(h, &s) {
        Ok(rows) => {
            let n = rows.rows.len();
            c.st.db.result = Some(Arc::new(rows));
            c.clear_errno();
            c.set_var("db.rows", n.to_string());
        }
        Err(e) => db_error(c, query_error(e)),
    }
    Ok(Flow::Continue)
}

fn row_index(c: &mut ActionCtx<'_>, text: &str) -> Option<usize> {
    let s = c.resolve(text);
    if s.is_empty() {
        return Some(0);
    }
    match str2i(&s) {
        Some(i) => Some(i as usize),
        None => {
            c.fail("arg", format!("row index '{s}' not understood"));
            None
        }
    }
}

fn query_get_result(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let Some(h) = connection(c) else {
        return Ok(Flow::Continue);
    };
    let s = statement(c, &a.p1, None);
    match c.host().db_query(h, &s) {
        Ok(rows) => {
            let Some(idx) = row_index(c, &a.p2) else {
                return Ok(Flow::Continue);
            };
            let Some(row) = rows.rows.get(idx) else {
                c.fail("result", "row index out of result rows bounds");
                return Ok(Flow::Continue);
            };
            for (col, v) in rows.columns.iter().zip(row) {
                c.set_var(col, v.clone());
            }
            c.clear_errno();
            c.set_var("db.rows", rows.rows.len().to_string());
        }
        Err(e) => db_error(c, query_error(e)),
    }
    Ok(Flow::Continue)
}

fn get_result(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let Some(res) = c.st.db.result.clone() else {
        c.fail("result", "No result available");
        return Ok(Flow::Continue);
    };
    let Some(idx) = row_index(c, &a.p1) else {
        return Ok(Flow::Continue);
    };
    let column = c.resolve(&a.p2);
    let Some(row) = res.rows.get(idx) else {
        c.fail("result", "row index out of result rows bounds");
        return Ok(Flow::Continue);
    };
    if column.is_empty() {
        for (col, v) in res.columns.iter().zip(row) {
            c.set_var(col, v.clone());
        }
    } else {
        match res.columns.iter().position(|x| *x == column) {
            Some(i) => {
                let v = row.get(i).cloned().unwrap_or_default();
                c.set_var(&column, v);
            }
            None => {
                c.fail("result", format!("bad field name '{column}'"));
                return Ok(Flow::Continue);
            }
        }
    }
    c.clear_errno();
    Ok(Flow::Continue)
}

fn play_db_audio(a: &Args, c: &mut ActionCtx<'_>, position: Position, looped: bool) -> R {
    let Some(h) = connection(c) else {
        return Ok(Flow::Continue);
    };
    let s = statement(c, &a.p1, None);
    let hint = a.p2.clone();
    match c.host().db_fetch_to_file(h, &s, None, &hint) {
        Ok(path) => {
            queue_file(c, path, position, looped)?;
            c.clear_errno();
        }
        Err(e) => db_error(c, query_error(e)),
    }
    Ok(Flow::Continue)
}

fn get_file_from_db(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let Some(h) = connection(c) else {
        return Ok(Flow::Continue);
    };
    let s = statement(c, &a.p1, None);
    let path = c.resolve(&a.p2);
    match c.host().db_fetch_to_file(h, &s, Some(&path), &path) {
        Ok(_) => c.clear_errno(),
        Err(e) => db_error(c, query_error(e)),
    }
    Ok(Flow::Continue)
}

fn put_file_to_db(a: &Args, c: &mut ActionCtx<'_>) -> R {
    let Some(h) = connection(c) else {
        return Ok(Flow::Continue);
    };
    let path = c.resolve(&a.p2);
    if !a.p1.contains("__FILE__") {
        c.fail(
            "arg",
            format!("missing __FILE__ in query string '{}'", a.p1),
        );
        return Ok(Flow::Continue);
    }
    let s = statement(c, &a.p1, Some(&path));
    match c.host().db_execute(h, &s) {
        Ok(e) if e.returned_rows => {
            c.fail("query", "mysql.putFileToDB query was a SELECT");
            c.set_var("db.info", "");
        }
        Ok(e) => {
            c.clear_errno();
            c.set_var("db.rows", "0");
            c.set_var("db.info", "");
            c.set_var("db.insert_id", e.insert_id.to_string());
        }
        Err(e) => db_error(c, query_error(e)),
    }
    Ok(Flow::Continue)
}
