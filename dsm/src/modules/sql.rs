//! Turning a `mysql.*` statement into SQL with bound parameters.
//!
//! SEMS (`replaceQueryParams`, spec §6.3) pastes `$name` and `#name` values into the SQL
//! text unescaped, so `where caller=$query_key` with a caller-controlled `@user` is SQL
//! injection. Here every reference becomes a `?` placeholder and its value a bound
//! parameter. References inside quoted SQL literals are bound too: `'$x'` becomes `?`,
//! `'%$x%'` becomes `('%' || ? || '%')`, so the statement keeps its meaning. The pasted text
//! is still computed (`legacy_text`) for logs and `mysql.resolveQueryParams`.
//!
//! Name rules follow SEMS: a reference ends at space `, ( ) $ #` tab `; ' "` (so `.`, `=`
//! and `[` are part of the name); a missing variable is created empty; `#name` is replaced
//! only when the event has params; `\$` and `\#` stay as written, backslash included.

use crate::runtime::event::Params;
use crate::runtime::host::{SqlStatement, SqlValue};
use crate::runtime::values::Vars;

const TERM: &[u8] = b" ,()$#\t;'\"";

enum Seg {
    Text(String),
    Value(SqlValue, String),
}

/// Binds the references of `template`. `file` is `mysql.putFileToDB`'s file: its
/// `__FILE__` marker becomes a placeholder for the file's bytes.
pub(crate) fn bind(
    template: &str,
    vars: &mut Vars,
    mut params: Option<&mut Params>,
    file: Option<&str>,
) -> SqlStatement {
    let b = template.as_bytes();
    let mut sql = String::with_capacity(template.len());
    let mut legacy = String::with_capacity(template.len());
    let mut values = Vec::new();
    let mut i = 0;
    let mut text_start = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\'' || c == b'"' {
            sql.push_str(&template[text_start..i]);
            legacy.push_str(&template[text_start..i]);
            let (end, closed) = literal_end(b, i);
            let content = &template[i + 1..end];
            let segs = segments(content, vars, params.as_deref_mut(), file);
            let quote = c as char;
            legacy.push(quote);
            for s in &segs {
                match s {
                    Seg::Text(t) => legacy.push_str(t),
                    Seg::Value(_, pasted) => legacy.push_str(pasted),
                }
            }
            if closed {
                legacy.push(quote);
            }
            if segs.iter().all(|s| matches!(s, Seg::Text(_))) {
                sql.push_str(&template[i..(if closed { end + 1 } else { end })]);
            } else {
                let parts: Vec<String> = segs
                    .into_iter()
                    .filter_map(|s| match s {
                        Seg::Text(t) if t.is_empty() => None,
                        Seg::Text(t) => Some(requote(&t, quote)),
                        Seg::Value(v, _) => {
                            values.push(v);
                            Some("?".to_string())
                        }
                    })
                    .collect();
                if parts.len() == 1 {
                    sql.push_str(&parts[0]);
                } else {
                    sql.push('(');
                    sql.push_str(&parts.join(" || "));
                    sql.push(')');
                }
            }
            i = if closed { end + 1 } else { end };
            text_start = i;
            continue;
        }
        if let Some((next, seg)) = reference(template, i, vars, params.as_deref_mut(), file) {
            sql.push_str(&template[text_start..i]);
            legacy.push_str(&template[text_start..i]);
            match seg {
                Seg::Value(v, pasted) => {
                    sql.push('?');
                    values.push(v);
                    legacy.push_str(&pasted);
                }
                Seg::Text(t) => {
                    sql.push_str(&t);
                    legacy.push_str(&t);
                }
            }
            i = next;
            text_start = i;
            continue;
        }
        i += 1;
    }
    sql.push_str(&template[text_start..]);
    legacy.push_str(&template[text_start..]);
    SqlStatement {
        template: template.to_string(),
        sql,
        params: values,
        legacy_text: legacy,
    }
}

/// The index of the closing quote of the literal opening at `start` (or the end of the
/// text, `closed = false`). A doubled quote and a backslash-escaped character stay inside.
fn literal_end(b: &[u8], start: usize) -> (usize, bool) {
    let q = b[start];
    let mut j = start + 1;
    while j < b.len() {
        if b[j] == b'\\' {
            j += 2;
            continue;
        }
        if b[j] == q {
            if b.get(j + 1) == Some(&q) {
                j += 2;
                continue;
            }
            return (j, true);
        }
        j += 1;
    }
    (b.len(), false)
}

/// A reference starting at `i`, if there is one: (end, segment).
fn reference(
    t: &str,
    i: usize,
    vars: &mut Vars,
    params: Option<&mut Params>,
    file: Option<&str>,
) -> Option<(usize, Seg)> {
    let b = t.as_bytes();
    if let Some(f) = file
        && b[i..].starts_with(b"__FILE__")
    {
        return Some((
            i + 8,
            Seg::Value(SqlValue::FileContents(f.to_string()), "__FILE__".into()),
        ));
    }
    let c = b[i];
    if c != b'$' && c != b'#' {
        return None;
    }
    if i > 0 && b[i - 1] == b'\\' {
        return None;
    }
    let end = b[i + 1..]
        .iter()
        .position(|x| TERM.contains(x))
        .map_or(b.len(), |p| i + 1 + p);
    let name = &t[i + 1..end];
    if c == b'$' {
        let v = vars.entry(name.to_string()).or_default().clone();
        Some((end, Seg::Value(SqlValue::Text(v.clone()), v)))
    } else {
        match params {
            Some(p) => {
                let v = p.entry(name.to_string()).or_default().clone();
                Some((end, Seg::Value(SqlValue::Text(v.clone()), v)))
            }
            None => Some((end, Seg::Text(t[i..end].to_string()))),
        }
    }
}

fn segments(
    content: &str,
    vars: &mut Vars,
    mut params: Option<&mut Params>,
    file: Option<&str>,
) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let b = content.as_bytes();
    while i < b.len() {
        if let Some((end, seg)) = reference(content, i, vars, params.as_deref_mut(), file) {
            out.push(Seg::Text(content[start..i].to_string()));
            match seg {
                Seg::Text(t) => out.push(Seg::Text(t)),
                v => out.push(v),
            }
            i = end;
            start = end;
            continue;
        }
        i += 1;
    }
    out.push(Seg::Text(content[start..].to_string()));
    // Merge adjacent text.
    let mut merged: Vec<Seg> = Vec::new();
    for s in out {
        match (merged.last_mut(), s) {
            (Some(Seg::Text(a)), Seg::Text(t)) => a.push_str(&t),
            (_, s) => merged.push(s),
        }
    }
    merged
}

/// A literal piece as an SQL single-quoted string.
fn requote(text: &str, quote: char) -> String {
    let inner = if quote == '"' {
        text.replace("\"\"", "\"").replace('\'', "''")
    } else {
        text.to_string()
    };
    format!("'{inner}'")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(t: &str, vars: &[(&str, &str)], params: Option<&[(&str, &str)]>) -> SqlStatement {
        let mut v: Vars = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut p: Option<Params> = params.map(|p| {
            p.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        });
        bind(t, &mut v, p.as_mut(), None)
    }

    #[test]
    fn tutorial_query() {
        let s = run(
            "select callee, pin from callees where caller=$query_key",
            &[("query_key", "35")],
            None,
        );
        assert_eq!(s.sql, "select callee, pin from callees where caller=?");
        assert_eq!(s.params, vec![SqlValue::Text("35".into())]);
        assert_eq!(
            s.legacy_text,
            "select callee, pin from callees where caller=35"
        );
    }

    #[test]
    fn injection_stays_data() {
        let s = run(
            "select * from t where name='$u' and x=#p",
            &[("u", "x' or '1'='1")],
            Some(&[("p", "1; drop table t")]),
        );
        assert_eq!(s.sql, "select * from t where name=? and x=?");
        assert_eq!(
            s.params,
            vec![
                SqlValue::Text("x' or '1'='1".into()),
                SqlValue::Text("1; drop table t".into())
            ]
        );
    }

    #[test]
    fn partial_literals_concatenate() {
        // `%` does not end a name (SEMS's terminators), so write `$x ` or `$(x)`-free forms.
        let s = run(
            "select * from t where a like '%$x %' and b=\"it's $y\"",
            &[("x", "q"), ("y", "z")],
            None,
        );
        assert_eq!(
            s.sql,
            "select * from t where a like ('%' || ? || ' %') and b=('it''s ' || ?)"
        );
        assert_eq!(s.params.len(), 2);
    }

    #[test]
    fn names_and_escapes() {
        let s = run("insert into t values($db.rows, \\$x, #p)", &[], None);
        assert_eq!(s.sql, "insert into t values(?, \\$x, #p)");
        assert_eq!(s.params, vec![SqlValue::Text(String::new())]);
        let mut v = Vars::new();
        let s = bind(
            "update t set b='__FILE__' where id=$id",
            &mut v,
            None,
            Some("/tmp/f"),
        );
        assert_eq!(s.sql, "update t set b=? where id=?");
        assert_eq!(s.params[0], SqlValue::FileContents("/tmp/f".into()));
        assert!(v.contains_key("id"), "missing variables are created");
    }
}
