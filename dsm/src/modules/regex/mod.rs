//! mod_regex (spec §6.8): named POSIX extended regular expressions.
//!
//! As in SEMS the table of named expressions is shared by every call (SEMS keeps it in a
//! global); here it belongs to the [`crate::ModuleRegistry`] and the collections loaded with
//! it, so two appliances in one process do not share it.
//!
//! `regex.match` as an action and as a condition both set `$regex.match` (`1`/`0`) and
//! `$regex.match[0]` (the whole match), `$regex.match[1]`... (the groups). SEMS's condition
//! asks for one group too few and leaves the last one unset; here every group is set.

mod engine;

pub use engine::Regex;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::core::{COMMA2, ONE};
use crate::registry::{Args, Flow, Module, Throw};
use crate::runtime::command::LogLevel;
use crate::runtime::context::ActionCtx;

/// Named compiled expressions, shared.
#[derive(Debug, Clone, Default)]
pub struct RegexTable {
    inner: Arc<Mutex<HashMap<String, Arc<Regex>>>>,
}

impl RegexTable {
    /// Compiles `re` and stores it under `name` (a failed compile removes `name`, as SEMS).
    pub fn compile(&self, name: &str, re: &str) -> Result<(), String> {
        let mut t = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match Regex::new(re) {
            Ok(r) => {
                t.insert(name.to_string(), Arc::new(r));
                Ok(())
            }
            Err(e) => {
                t.remove(name);
                Err(e)
            }
        }
    }

    /// The expression called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<Regex>> {
        let t = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        t.get(name).cloned()
    }

    /// Removes `name`.
    pub fn remove(&self, name: &str) {
        let mut t = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        t.remove(name);
    }
}

pub(crate) fn module() -> Module {
    let mut m = Module::new("mod_regex");
    m.action(
        "regex.compile",
        COMMA2,
        |a: &Args, c: &mut ActionCtx<'_>| {
            let name = c.resolve(&a.p1);
            // The expression is taken as written (SEMS does not resolve it).
            if let Err(e) = c.st.regexes.compile(&name, &a.p2) {
                c.set_errno("arg");
                c.log(
                    LogLevel::Error,
                    format!("compiling '{}' for regex '{name}': {e}", a.p2),
                );
            }
            Ok(Flow::Continue)
        },
    )
    .action(
        "regex.match",
        COMMA2,
        |a: &Args, c: &mut ActionCtx<'_>| -> Result<Flow, Throw> {
            run_match(a, c);
            Ok(Flow::Continue)
        },
    )
    .action("regex.clear", ONE, |a: &Args, c: &mut ActionCtx<'_>| {
        let name = c.resolve(&a.arg);
        c.st.regexes.remove(&name);
        Ok(Flow::Continue)
    });
    m.condition(
        "regex.match",
        COMMA2,
        None,
        |a: &Args, c: &mut ActionCtx<'_>| run_match(a, c).unwrap_or(false),
    );
    m
}

/// Matches and sets the result variables; `None` when the expression is unknown.
fn run_match(a: &Args, c: &mut ActionCtx<'_>) -> Option<bool> {
    let name = c.resolve(&a.p1);
    let text = c.resolve(&a.p2);
    let Some(re) = c.st.regexes.get(&name) else {
        c.log(
            LogLevel::Error,
            format!("regex '{name}' not found for matching '{text}'"),
        );
        return None;
    };
    let old: Vec<String> = c
        .vars()
        .range("regex.match[".to_string()..)
        .take_while(|(k, _)| k.starts_with("regex.match["))
        .map(|(k, _)| k.clone())
        .collect();
    for k in old {
        c.remove_var(&k);
    }
    match re.captures(&text) {
        Some(groups) => {
            c.set_var("regex.match", "1");
            for (i, g) in groups.iter().enumerate() {
                let v = g.map_or(String::new(), |(s, e)| text[s..e].to_string());
                c.set_var(&format!("regex.match[{i}]"), v);
            }
            Some(true)
        }
        None => {
            c.set_var("regex.match", "0");
            Some(false)
        }
    }
}
