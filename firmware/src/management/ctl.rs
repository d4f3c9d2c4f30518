//! `dsmbox ctl`: the seed's operator scripts as subcommands, over XML-RPC.
//!
//! `states` prints what `sems-sessions-states.py` prints and `get CALL_ID` what
//! `sems-get-session.py` prints, character for character: values are formatted as Python 3's
//! `str()` would format what `xmlrpc.client` returns (lists as `['a', 'b']`).

use std::io::Write;
use std::process::ExitCode;

use super::client::{Client, ClientError};
use super::value::Value;

/// Usage text of `dsmbox ctl`.
pub const CTL_HELP: &str = "\
dsmbox ctl: talk to a running dsmbox (or SEMS) over its XML-RPC port

Usage:
  dsmbox ctl [OPTIONS] calls               number of calls
  dsmbox ctl [OPTIONS] states              each call's DSM state (sems-sessions-states.py)
  dsmbox ctl [OPTIONS] get CALL_ID         a call's monitoring attributes (sems-get-session.py)
  dsmbox ctl [OPTIONS] reload              reload the main scripts (reloadDSMs)
  dsmbox ctl [OPTIONS] reload PATH NAME    (re)load a script bundle (loadConfig PATH NAME)
  dsmbox ctl [OPTIONS] call METHOD [ARG..] call any method; an ARG that looks like an
                                           integer is sent as one, anything else as a string

Options:
  --host HOST        default 127.0.0.1
  --port PORT        default 8090
  --user USER        HTTP basic auth (auth_user in xmlrpc2di.conf)
  --password PW      (or the environment variable DSMBOX_XMLRPC_PASSWORD)

Exit codes: 0 success, 1 the call failed or reported an error, 2 the command line is wrong.
";

/// Runs `dsmbox ctl` with `args` (the words after `ctl`), printing to stdout and stderr.
pub fn ctl_main(args: &[String]) -> ExitCode {
    let code = ctl_run(
        args,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code)
}

struct Opts {
    host: String,
    port: u16,
    user: Option<String>,
    password: Option<String>,
    words: Vec<String>,
}

fn parse_opts(args: &[String]) -> Result<Opts, String> {
    use lexopt::prelude::*;
    let mut p = lexopt::Parser::from_args(args.iter().cloned());
    let mut o = Opts {
        host: "127.0.0.1".to_string(),
        port: 8090,
        user: None,
        password: std::env::var("DSMBOX_XMLRPC_PASSWORD").ok(),
        words: Vec::new(),
    };
    let val = |p: &mut lexopt::Parser| -> Result<String, String> {
        p.value()
            .map_err(|e| e.to_string())?
            .string()
            .map_err(|e| e.to_string())
    };
    while let Some(arg) = p.next().map_err(|e| e.to_string())? {
        match arg {
            Long("host") => o.host = val(&mut p)?,
            Long("port") => {
                let v = val(&mut p)?;
                o.port = v
                    .parse()
                    .map_err(|_| format!("--port: '{v}' is not a port"))?;
            }
            Long("user") => o.user = Some(val(&mut p)?),
            Long("password") => o.password = Some(val(&mut p)?),
            Value(v) => o.words.push(v.string().map_err(|e| e.to_string())?),
            other => return Err(other.unexpected().to_string()),
        }
    }
    Ok(o)
}

/// Runs `dsmbox ctl`, writing to `out` and `err`; returns the exit code. Testable core of
/// [`ctl_main`].
pub fn ctl_run(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        let _ = write!(out, "{CTL_HELP}");
        return 0;
    }
    let opts = match parse_opts(args) {
        Ok(o) => o,
        Err(e) => {
            let _ = write!(err, "dsmbox ctl: {e}\n\n{CTL_HELP}");
            return 2;
        }
    };
    let mut client = Client::new(&opts.host, opts.port);
    if let Some(u) = &opts.user {
        client = client.with_auth(u, opts.password.as_deref().unwrap_or(""));
    }
    let words: Vec<&str> = opts.words.iter().map(String::as_str).collect();
    let result = match words.as_slice() {
        ["calls"] => calls(&client, out),
        ["states"] => states(&client, out),
        ["get", id] => get(&client, id, out),
        ["reload"] => status_call(&client, "reloadDSMs", &[], out),
        ["reload", path, name] => status_call(
            &client,
            "loadConfig",
            &[(*path).into(), (*name).into()],
            out,
        ),
        ["call", method, rest @ ..] => {
            let params: Vec<Value> = rest
                .iter()
                .map(|a| match a.parse::<i64>() {
                    Ok(i) => Value::Int(i),
                    Err(_) => Value::from(*a),
                })
                .collect();
            client.call(method, &params).map(|v| {
                let _ = writeln!(out, "{}", py_str(&v));
                0
            })
        }
        [] => {
            let _ = write!(err, "dsmbox ctl: no command given\n\n{CTL_HELP}");
            return 2;
        }
        _ => {
            let _ = write!(
                err,
                "dsmbox ctl: unknown command '{}'\n\n{CTL_HELP}",
                words.join(" ")
            );
            return 2;
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "dsmbox ctl: {e}");
            1
        }
    }
}

fn calls(client: &Client, out: &mut dyn Write) -> Result<u8, ClientError> {
    let n = client.call("calls", &[])?;
    let _ = writeln!(out, "calls: {}", py_str(&n));
    Ok(0)
}

/// `sems-sessions-states.py`.
fn states(client: &Client, out: &mut dyn Write) -> Result<u8, ClientError> {
    calls(client, out)?;
    let states = client.call("getAttributeActive", &["dsm_state".into()])?;
    let _ = writeln!(out, "call id state");
    for entry in states.as_array().unwrap_or(&[]) {
        let pair = entry.as_array().unwrap_or(&[]);
        let id = pair.first().map(py_str).unwrap_or_default();
        let state = pair.get(1).map(py_str).unwrap_or_default();
        let _ = writeln!(out, "{id} {state}");
    }
    Ok(0)
}

/// `sems-get-session.py`.
fn get(client: &Client, id: &str, out: &mut dyn Write) -> Result<u8, ClientError> {
    calls(client, out)?;
    let got = client.call("get", &[id.into()])?;
    let Some(first) = got.as_array().and_then(|a| a.first()) else {
        let _ = writeln!(out, "call not found");
        return Ok(1);
    };
    let _ = writeln!(out, "attrib val");
    if let Some(attrs) = first.as_struct() {
        for (k, v) in attrs {
            let _ = writeln!(out, "{:<20}{}", k, py_str(v));
        }
    }
    Ok(0)
}

/// Prints a SEMS `[code, text]` answer; exit 0 for code 200.
fn status_call(
    client: &Client,
    method: &str,
    params: &[Value],
    out: &mut dyn Write,
) -> Result<u8, ClientError> {
    let v = client.call(method, params)?;
    let _ = writeln!(out, "{}", py_str(&v));
    let ok = v.as_array().and_then(|a| a.first()).and_then(Value::as_int) == Some(200);
    Ok(if ok { 0 } else { 1 })
}

/// Python 3's `str()` of the value `xmlrpc.client` would return.
pub fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::DateTime(d) => d.to_string(),
        _ => py_repr(v),
    }
}

/// Python 3's `repr()` of the value `xmlrpc.client` would return.
pub fn py_repr(v: &Value) -> String {
    match v {
        Value::Nil => "0".to_string(), // sent as int 0
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        Value::Double(d) => py_float(*d),
        Value::String(s) => py_str_repr(s),
        Value::Base64(b) => format!("<xmlrpc.client.Binary {} bytes>", b.len()),
        Value::DateTime(d) => format!("<DateTime '{d}'>"),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(py_repr).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Struct(members) => {
            let inner: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("{}: {}", py_str_repr(k), py_repr(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// `repr(float)`: shortest round-trip digits, scientific below 1e-4 and from 1e16.
fn py_float(d: f64) -> String {
    if d.is_nan() {
        return "nan".to_string();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let a = d.abs();
    if a != 0.0 && !(1e-4..1e16).contains(&a) {
        let s = format!("{d:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(x) => ('-', x),
            None => ('+', exp),
        };
        format!("{mant}e{sign}{digits:0>2}")
    } else {
        format!("{d:?}")
    }
}

/// `repr(str)`: single quotes unless the text has a single quote and no double quote.
fn py_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..0xa0).contains(&(c as u32)) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_formatting() {
        assert_eq!(py_str(&"x y".into()), "x y");
        assert_eq!(py_repr(&"it's".into()), "\"it's\"");
        assert_eq!(py_repr(&"'a' \"b\"".into()), "'\\'a\\' \"b\"'");
        assert_eq!(py_repr(&"t\ta\\\n\u{1}é".into()), "'t\\ta\\\\\\n\\x01é'");
        assert_eq!(
            py_str(&Value::array([0.into(), "a".into(), Value::Bool(true)])),
            "[0, 'a', True]"
        );
        let mut m = std::collections::BTreeMap::new();
        m.insert("k".to_string(), Value::array([]));
        assert_eq!(py_str(&Value::Struct(m)), "{'k': []}");
        assert_eq!(py_float(1.0), "1.0");
        assert_eq!(py_float(0.1), "0.1");
        assert_eq!(py_float(1e16), "1e+16");
        assert_eq!(py_float(1.5e-5), "1.5e-05");
        assert_eq!(py_float(-2.5e300), "-2.5e+300");
        assert_eq!(py_float(123456.789), "123456.789");
    }

    #[test]
    fn usage_errors() {
        let run = |a: &[&str]| {
            let args: Vec<String> = a.iter().map(|s| s.to_string()).collect();
            let (mut o, mut e) = (Vec::new(), Vec::new());
            let code = ctl_run(&args, &mut o, &mut e);
            (
                code,
                String::from_utf8(o).unwrap(),
                String::from_utf8(e).unwrap(),
            )
        };
        assert_eq!(run(&[]).0, 2);
        assert_eq!(run(&["frob"]).0, 2);
        assert_eq!(run(&["get"]).0, 2);
        assert_eq!(run(&["--port", "x", "calls"]).0, 2);
        let (code, out, _) = run(&["--help"]);
        assert_eq!(code, 0);
        assert!(out.contains("sems-sessions-states.py"));
        // Nothing listens on port 1 of 127.0.0.1.
        let (code, _, err) = run(&["--port", "1", "calls"]);
        assert_eq!(code, 1);
        assert!(err.contains("127.0.0.1:1"), "{err}");
    }
}
