//! mod_uri (spec §6.7): SIP URI and name-addr parsing, `$hdrs` header lookup (the module's
//! INVITE hook fills `$hdrs`, see [`crate::Session::handle_event`]), URL encoding.

use super::core::{COMMA_OPT, COMMA2};
use crate::registry::{ArgShape, Args, Flow, Module, Throw};
use crate::runtime::context::ActionCtx;
use crate::syntax::text::strip_dollar;

type R = Result<Flow, Throw>;

const EQ2: ArgShape = ArgShape::Two {
    sep: '=',
    mandatory: true,
};

pub(crate) fn module() -> Module {
    let mut m = Module::new("mod_uri");
    m.action("uri.parse", COMMA_OPT, |a: &Args, c: &mut ActionCtx<'_>| {
        let uri = c.resolve(&a.p1);
        let prefix = c.resolve(&a.p2);
        match parse_uri(&uri) {
            Some(u) => {
                set_uri(c, &prefix, &u);
                c.clear_errno();
            }
            None => c.fail("general", format!("parsing URI '{uri}' failed")),
        }
        Ok(Flow::Continue)
    })
    .action(
        "uri.parseNameaddr",
        COMMA_OPT,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let na = c.resolve(&a.p1);
            let prefix = c.resolve(&a.p2);
            match parse_nameaddr(&na) {
                Some(n) => {
                    c.set_var(&format!("{prefix}display_name"), n.display_name.clone());
                    set_uri(c, &prefix, &n.uri);
                    for (k, v) in &n.params {
                        c.set_var(&format!("{prefix}uri_param.{k}"), v.clone());
                    }
                    c.clear_errno();
                }
                None => c.fail("general", format!("parsing nameaddr '{na}' failed")),
            }
            Ok(Flow::Continue)
        },
    )
    .action(
        "uri.getHeader",
        COMMA2,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let name = c.resolve(&a.p1);
            let dst = c.resolve(&a.p2);
            let hdrs = c.var("hdrs").unwrap_or("").to_string();
            c.set_var(&dst, get_header(&hdrs, &name).unwrap_or_default());
            Ok(Flow::Continue)
        },
    )
    .action("uri.encode", EQ2, |a: &Args, c: &mut ActionCtx<'_>| {
        let v = c.resolve(&a.p2);
        c.set_var(strip_dollar(&a.p1), url_encode(&v));
        Ok(Flow::Continue)
    })
    .action("uri.decode", EQ2, |a: &Args, c: &mut ActionCtx<'_>| -> R {
        let v = c.resolve(&a.p2);
        c.set_var(strip_dollar(&a.p1), url_decode(&v));
        Ok(Flow::Continue)
    });
    m
}

/// The parts of a SIP URI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Uri {
    pub user: String,
    pub host: String,
    pub port: String,
    pub headers: String,
    pub param: String,
}

fn set_uri(c: &mut ActionCtx<'_>, prefix: &str, u: &Uri) {
    c.set_var(&format!("{prefix}user"), u.user.clone());
    c.set_var(&format!("{prefix}host"), u.host.clone());
    c.set_var(&format!("{prefix}port"), u.port.clone());
    c.set_var(&format!("{prefix}headers"), u.headers.clone());
    c.set_var(&format!("{prefix}param"), u.param.clone());
}

/// `[scheme:][user@]host[:port][;params][?headers]`.
pub(crate) fn parse_uri(s: &str) -> Option<Uri> {
    let s = s.trim();
    let rest = match s.find(':') {
        Some(p)
            if ["sip", "sips", "tel"]
                .iter()
                .any(|x| s[..p].eq_ignore_ascii_case(x)) =>
        {
            &s[p + 1..]
        }
        _ => s,
    };
    let (before, headers) = match rest.find('?') {
        Some(p) => (&rest[..p], &rest[p + 1..]),
        None => (rest, ""),
    };
    let (user, hostpart) = match before.rfind('@') {
        Some(p) => (&before[..p], &before[p + 1..]),
        None => ("", before),
    };
    let (hostport, param) = match hostpart.find(';') {
        Some(p) => (&hostpart[..p], &hostpart[p + 1..]),
        None => (hostpart, ""),
    };
    let (host, port) = if let Some(r) = hostport.strip_prefix('[') {
        let close = r.find(']')?;
        let host = &hostport[..close + 2];
        let after = &r[close + 1..];
        (host, after.strip_prefix(':').unwrap_or(""))
    } else {
        match hostport.rfind(':') {
            Some(p) => (&hostport[..p], &hostport[p + 1..]),
            None => (hostport, ""),
        }
    };
    if host.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Uri {
        user: user.to_string(),
        host: host.to_string(),
        port: port.to_string(),
        headers: headers.to_string(),
        param: param.to_string(),
    })
}

/// A parsed name-addr.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NameAddr {
    pub display_name: String,
    pub uri: Uri,
    pub params: Vec<(String, String)>,
}

/// `["Display" | display] <uri>[;params]` or a bare addr-spec with header params.
pub(crate) fn parse_nameaddr(s: &str) -> Option<NameAddr> {
    let s = s.trim();
    let (display, uri_text, params_text) = if let Some(open) = s.find('<') {
        let close = open + s[open..].find('>')?;
        let d = s[..open].trim();
        let d = d
            .strip_prefix('"')
            .and_then(|x| x.strip_suffix('"'))
            .unwrap_or(d);
        (d.to_string(), &s[open + 1..close], &s[close + 1..])
    } else {
        match s.find(';') {
            Some(p) => (String::new(), &s[..p], &s[p..]),
            None => (String::new(), s, ""),
        }
    };
    let uri = parse_uri(uri_text)?;
    let mut params = Vec::new();
    for p in params_text
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match p.split_once('=') {
            Some((k, v)) => params.push((k.trim().to_string(), v.trim().to_string())),
            None => params.push((p.to_string(), String::new())),
        }
    }
    Some(NameAddr {
        display_name: display,
        uri,
        params,
    })
}

/// The first header called `name` (case-insensitive) in CRLF- or LF-separated lines.
pub(crate) fn get_header(hdrs: &str, name: &str) -> Option<String> {
    for line in hdrs.split('\n') {
        let line = line.trim_end_matches('\r');
        if let Some((n, v)) = line.split_once(':')
            && n.trim().eq_ignore_ascii_case(name)
        {
            return Some(v.trim().to_string());
        }
    }
    None
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` sequences (an invalid sequence stays as it is).
pub(crate) fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        let u = parse_uri("sip:john@192.168.5.106:5080;transport=udp?X=1").unwrap();
        assert_eq!(
            (
                u.user.as_str(),
                u.host.as_str(),
                u.port.as_str(),
                u.param.as_str(),
                u.headers.as_str()
            ),
            ("john", "192.168.5.106", "5080", "transport=udp", "X=1")
        );
        let u = parse_uri("sip:[::1]:5060").unwrap();
        assert_eq!((u.host.as_str(), u.port.as_str()), ("[::1]", "5060"));
        assert!(parse_uri("sip:").is_none());
        let n = parse_nameaddr("\"bee\" <sip:5@192.168.5.106>;tag=abc").unwrap();
        assert_eq!(n.display_name, "bee");
        assert_eq!(n.uri.user, "5");
        assert_eq!(n.params, vec![("tag".to_string(), "abc".to_string())]);
    }

    #[test]
    fn headers_and_encoding() {
        let h = "From: a\r\nP-App-Param: x=1\r\n";
        assert_eq!(get_header(h, "p-app-param").as_deref(), Some("x=1"));
        assert_eq!(url_encode("a b/c"), "a%20b%2Fc");
        assert_eq!(url_decode("a%20b%2fc%zz"), "a b/c%zz");
    }
}
