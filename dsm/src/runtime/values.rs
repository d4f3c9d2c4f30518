//! How argument text becomes a value (spec §2): whole-value resolution (`resolveVars`),
//! `eval` arithmetic, `$(name)` interpolation (`replaceParams`) and the `@` selects.

use std::collections::BTreeMap;

use super::event::Params;
use crate::syntax::text::trim;

/// Session variables (`$name`), ordered as SEMS's `map<string,string>`.
pub type Vars = BTreeMap<String, String>;

/// The dialog fields the `@` selects read (spec §2.1). `firmware` keeps them current with
/// [`crate::Session::dialog_mut`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DialogInfo {
    /// `@user`: the user part of the request URI (UAS) or of the From URI (UAC).
    pub user: String,
    /// `@domain`.
    pub domain: String,
    /// `@remote_tag`.
    pub remote_tag: String,
    /// `@callid`.
    pub callid: String,
    /// `@local_uri`.
    pub local_uri: String,
    /// `@local_party`.
    pub local_party: String,
    /// `@remote_uri`.
    pub remote_uri: String,
    /// `@remote_party`.
    pub remote_party: String,
}

/// What a value can be resolved against.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    /// `$` variables.
    pub vars: &'a Vars,
    /// `#` params of the current event, if it has a map.
    pub params: Option<&'a Params>,
    /// `@local_tag`.
    pub local_tag: &'a str,
    /// The other selects.
    pub dialog: &'a DialogInfo,
}

impl Scope<'_> {
    /// The value of select `name` (`@name`), or `""` for an unknown select.
    pub fn select(&self, name: &str) -> String {
        let d = self.dialog;
        match name {
            "local_tag" => self.local_tag,
            "user" => &d.user,
            "domain" => &d.domain,
            "remote_tag" => &d.remote_tag,
            "callid" => &d.callid,
            "local_uri" => &d.local_uri,
            "local_party" => &d.local_party,
            "remote_uri" => &d.remote_uri,
            "remote_party" => &d.remote_party,
            _ => "",
        }
        .to_string()
    }

    /// Whole-value resolution (§2.1): only the first character of the whole argument counts.
    pub fn resolve(&self, s: &str) -> String {
        let b = s.as_bytes();
        match b.first() {
            None => String::new(),
            Some(b'$') => {
                if b.get(1) == Some(&b'$') {
                    return "$".to_string();
                }
                self.vars.get(&s[1..]).cloned().unwrap_or_default()
            }
            Some(b'#') => {
                if b.get(1) == Some(&b'#') {
                    return "#".to_string();
                }
                self.params
                    .and_then(|p| p.get(&s[1..]).cloned())
                    .unwrap_or_default()
            }
            Some(b'@') => {
                if b.get(1) == Some(&b'@') || b.len() < 2 {
                    return "@".to_string();
                }
                self.select(&s[1..])
            }
            Some(_) => trim(s, "\"").to_string(),
        }
    }

    /// `eval($v=expr)` (§2.1): spaces removed, split at the first `-` (else the first `+`),
    /// each side evaluated, the operation applied only when both sides are unsigned digit
    /// strings; otherwise the space-stripped text is resolved as a whole.
    pub fn eval(&self, s: &str) -> String {
        let s: String = s.chars().filter(|c| *c != ' ').collect();
        // SEMS recurses on the right-hand side; this folds from the right instead, so a long
        // expression cannot exhaust the stack.
        let parts: Vec<&str> = s.split('-').collect();
        let n = parts.len();
        let mut acc = self.eval_plus(parts[n - 1]);
        for k in (0..n - 1).rev() {
            let a = self.eval_plus(parts[k]);
            acc = if is_number(&a) && is_number(&acc) {
                c_int(&a).wrapping_sub(c_int(&acc)).to_string()
            } else {
                // Resolve the whole suffix text starting at part k.
                let start: usize = parts[..k].iter().map(|p| p.len() + 1).sum();
                self.resolve(&s[start..])
            };
        }
        acc
    }

    fn eval_plus(&self, s: &str) -> String {
        let parts: Vec<&str> = s.split('+').collect();
        let n = parts.len();
        let mut acc = self.resolve(parts[n - 1]);
        for k in (0..n - 1).rev() {
            let a = self.resolve(parts[k]);
            acc = if is_number(&a) && is_number(&acc) {
                c_int(&a).wrapping_add(c_int(&acc)).to_string()
            } else {
                let start: usize = parts[..k].iter().map(|p| p.len() + 1).sum();
                self.resolve(&s[start..])
            };
        }
        acc
    }

    /// `$(name)` interpolation (§2.2), used by `sets`, `logs`, `dbg`, `info`, `warn`,
    /// `error`.
    ///
    /// Differences from SEMS (see the README): the replacement text is not scanned again
    /// (SEMS re-scans it, which can loop forever on a value that contains its own
    /// reference), a single-character `$(x)` works (SEMS needs two characters), and an empty
    /// replacement does not hide the next reference.
    pub fn interpolate(&self, s: &str) -> String {
        const TERM: &[u8] = b" ,()[]$#@\t;:'\"";
        let mut res = s.to_string();
        let mut pos = 0;
        while pos < res.len() {
            let Some(off) = res.as_bytes()[pos..]
                .iter()
                .position(|c| matches!(c, b'$' | b'#' | b'@'))
            else {
                break;
            };
            let rstart = pos + off;
            let b = res.as_bytes();
            let sigil = b[rstart];
            if rstart > 0 && b[rstart - 1] == b'\\' {
                pos = rstart + 1;
                continue;
            }
            if b.get(rstart + 1) == Some(&sigil) {
                if rstart > 0 {
                    // A doubled sigil is one literal sigil.
                    res.remove(rstart);
                    pos = rstart + 1;
                } else {
                    // At position 0 SEMS parses the first sigil as an empty name: `$` (and
                    // `#` when the event has params) is dropped and the scan steps over the
                    // second; `@` resolves to itself and the second is read as a select.
                    match sigil {
                        b'@' => pos = 1,
                        b'#' if self.params.is_none() => pos = 2,
                        _ => {
                            res.remove(0);
                            pos = 1;
                        }
                    }
                }
                continue;
            }
            let from = if matches!(b.get(rstart + 1), Some(b'(' | b'"' | b'\'')) {
                rstart + 2
            } else {
                rstart + 1
            };
            let mut rend = b
                .get(from..)
                .and_then(|t| t.iter().position(|c| TERM.contains(c)))
                .map_or(b.len(), |p| from + p);
            let mut key_start = rstart + 1;
            let key_end = rend;
            let key = &b[rstart + 1..rend];
            if key.len() >= 2 {
                let at_end = b.get(rend).copied().unwrap_or(0);
                if (key[0] == b'(' && at_end == b')')
                    || (key[0] == at_end && (key[0] == b'"' || key[0] == b'\''))
                {
                    key_start += 1;
                    if rend != b.len() {
                        rend += 1;
                    }
                }
            }
            let name = res[key_start..key_end].to_string();
            let replacement = match sigil {
                b'$' => Some(self.vars.get(&name).cloned().unwrap_or_default()),
                b'#' => self
                    .params
                    .map(|p| p.get(&name).cloned().unwrap_or_default()),
                _ => Some(self.resolve(&format!("@{name}"))),
            };
            match replacement {
                Some(r) => {
                    res.replace_range(rstart..rend, &r);
                    pos = rstart + r.len();
                }
                None => pos = rstart + 1,
            }
        }
        res
    }
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
}

/// glibc `atoi` on a digit string: `(int) strtol(...)`, i.e. saturate to 64 bits, keep the
/// low 32.
fn c_int(s: &str) -> i32 {
    let mut v: i64 = 0;
    for c in s.bytes() {
        v = v.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    v as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<R>(
        vars: &[(&str, &str)],
        params: Option<&[(&str, &str)]>,
        f: impl FnOnce(Scope<'_>) -> R,
    ) -> R {
        let vars: Vars = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let params: Option<Params> = params.map(|p| {
            p.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        });
        let dialog = DialogInfo {
            user: "35".into(),
            ..Default::default()
        };
        f(Scope {
            vars: &vars,
            params: params.as_ref(),
            local_tag: "tag1",
            dialog: &dialog,
        })
    }

    #[test]
    fn resolve_whole_values() {
        with(
            &[("a.b", "1"), ("foo bar", "2")],
            Some(&[("p", "3")]),
            |s| {
                assert_eq!(s.resolve("$a.b"), "1");
                assert_eq!(s.resolve("$foo bar"), "2");
                assert_eq!(s.resolve("$missing"), "");
                assert_eq!(s.resolve("$$x"), "$");
                assert_eq!(s.resolve("#p"), "3");
                assert_eq!(s.resolve("##"), "#");
                assert_eq!(s.resolve("@user"), "35");
                assert_eq!(s.resolve("@local_tag"), "tag1");
                assert_eq!(s.resolve("@"), "@");
                assert_eq!(s.resolve("@nope"), "");
                assert_eq!(s.resolve("\"text\""), "text");
                assert_eq!(s.resolve("hello $y"), "hello $y");
                assert_eq!(s.resolve("'x'"), "'x'");
            },
        );
        with(&[], None, |s| assert_eq!(s.resolve("#p"), ""));
    }

    #[test]
    fn eval_is_right_associative() {
        with(&[("n", "7")], None, |s| {
            assert_eq!(s.eval("5-2-1"), "4");
            assert_eq!(s.eval("1 + 2"), "3");
            assert_eq!(s.eval("$n-2"), "5");
            assert_eq!(s.eval("$n+1+1"), "9");
            assert_eq!(s.eval("a-1"), "a-1");
            assert_eq!(s.eval("-1"), "-1");
        });
    }

    #[test]
    fn interpolation() {
        with(
            &[("config.prompt_path", "/p/"), ("a", "A"), ("x", "X")],
            Some(&[("k", "K")]),
            |s| {
                assert_eq!(
                    s.interpolate("$(config.prompt_path)/welcome.wav"),
                    "/p//welcome.wav"
                );
                assert_eq!(s.interpolate("$config.prompt_path/x.wav"), "");
                assert_eq!(s.interpolate("b_ltags[$(a)]"), "b_ltags[A]");
                assert_eq!(s.interpolate("v=$a, k=#k, u=@user"), "v=A, k=K, u=35");
                assert_eq!(s.interpolate("cost $$5"), "cost $5");
                assert_eq!(s.interpolate("\\$a"), "\\$a");
                // `-` does not end a name: this looks up `nope-`.
                assert_eq!(s.interpolate("$nope-$a"), "A");
                assert_eq!(s.interpolate("$nope $a"), " A");
                assert_eq!(s.interpolate("$$x"), "$x");
                assert_eq!(s.interpolate("$a$x"), "AX");
            },
        );
        with(&[], None, |s| {
            assert_eq!(s.interpolate("#k and ##"), "#k and #")
        });
    }
}
