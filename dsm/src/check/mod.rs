//! The load-time checker: resolves every name of a parsed [`Script`] against the module
//! registry, registers states and transitions in SEMS's order, and builds the executable
//! [`Diagram`]. It reports everything it finds, each with file, line and column.
//!
//! Errors (the script is rejected): everything SEMS rejects (parse errors, unknown actions,
//! conditions or modules, unknown source states) plus, unless the collection is loaded in
//! SEMS-compatible mode, a missing or second initial state, undefined target states and
//! elements left unfinished at the end of the file, which SEMS only logs and that leave a
//! script that cannot work as written.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Diagnostic, Location, Span};
use crate::program::{ActionCall, Block, ConditionCall, Diagram, Element, State, Transition};
use crate::registry::{Args, Module, ModuleRegistry};
use crate::source::SourceMap;
use crate::syntax::ast::{ActionRef, CondRef, Item, Script, Stmt};
use crate::syntax::text::{explode, split_cmd};
use crate::syntax::{IssueLevel, parse};

/// How strict loading is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoadOptions {
    /// Accept what SEMS accepts: a missing or second initial state, undefined target
    /// states and unfinished elements at the end of a file become warnings.
    pub sems_compatible: bool,
    /// Warn about states without a `hangup` transition (SEMS's third consistency check).
    pub warn_unhandled_hangup: bool,
}

/// A transition waiting for its target: (source states, transition, target token, name span).
type Pending = (Vec<usize>, Transition, Option<(String, Span)>, Span);

struct Checker<'a> {
    text: &'a str,
    map: &'a SourceMap,
    registry: &'a ModuleRegistry,
    options: LoadOptions,
    imports: Vec<Option<Arc<Module>>>,
    functions: Vec<Block>,
    diags: Vec<Diagnostic>,
    /// Elements produced so far (functions are macros: nested calls multiply).
    elements: usize,
    too_big: bool,
}

/// Limit on action elements of one script after function inlining (an extension: a chain of
/// functions that each call the previous one many times grows exponentially).
const MAX_ELEMENTS: usize = 1_000_000;

/// Parses and checks one preprocessed script. Returns the diagram (possibly partial) and
/// every diagnostic.
pub(crate) fn check_script(
    name: &str,
    text: &str,
    map: &SourceMap,
    registry: &ModuleRegistry,
    options: LoadOptions,
) -> (Diagram, Vec<Diagnostic>) {
    let parsed = parse(text);
    let mut c = Checker {
        text,
        map,
        registry,
        options,
        imports: Vec::new(),
        functions: Vec::new(),
        diags: Vec::new(),
        elements: 0,
        too_big: false,
    };
    for issue in &parsed.issues {
        match issue.level {
            IssueLevel::Error => c.error(issue.span, issue.message.clone()),
            IssueLevel::Strict => c.strict(issue.span, issue.message.clone()),
            IssueLevel::Warning => c.warn(issue.span, issue.message.clone()),
        }
    }
    let diagram = c.build(name, &parsed.script);
    (diagram, c.diags)
}

impl Checker<'_> {
    fn loc(&self, span: Span) -> Location {
        self.map.locate(self.text, span.start)
    }

    fn error(&mut self, span: Span, msg: impl Into<String>) {
        let d = Diagnostic::error(self.loc(span), msg);
        self.diags.push(d);
    }

    fn warn(&mut self, span: Span, msg: impl Into<String>) {
        let d = Diagnostic::warning(self.loc(span), msg);
        self.diags.push(d);
    }

    fn strict(&mut self, span: Span, msg: impl Into<String>) {
        if self.options.sems_compatible {
            self.warn(span, msg);
        } else {
            self.error(span, msg);
        }
    }

    fn build(&mut self, name: &str, script: &Script) -> Diagram {
        let mut modules = Vec::new();
        for imp in &script.imports {
            match self.registry.module(&imp.module) {
                Some(m) => {
                    self.imports.push(Some(m.clone()));
                    if !modules.contains(&imp.module) {
                        modules.push(imp.module.clone());
                    }
                }
                None => {
                    self.imports.push(None);
                    self.error(
                        imp.span,
                        format!(
                            "import({}): unknown module '{}' (available: {})",
                            imp.module,
                            imp.module,
                            self.registry.module_names().join(", ")
                        ),
                    );
                }
            }
        }
        for f in &script.functions {
            let body = self.block(&f.body);
            self.functions.push(body);
        }

        let mut states: Vec<State> = Vec::new();
        let mut initial: Option<usize> = None;
        // (source state indices, transition without its target resolved)
        let mut pending: Vec<Pending> = Vec::new();
        // First state of each name (SEMS's getState returns the first).
        let mut first_index: HashMap<String, usize> = HashMap::new();

        for item in &script.items {
            match item {
                Item::State(s) => {
                    if first_index.contains_key(&s.name) {
                        self.warn(
                            s.name_span,
                            format!(
                                "duplicate state '{}': this second declaration is unreachable",
                                s.name
                            ),
                        );
                    }
                    let idx = states.len();
                    first_index.entry(s.name.clone()).or_insert(idx);
                    states.push(State {
                        name: s.name.clone(),
                        enter: self.block(&s.enter),
                        exit: self.block(&s.exit),
                        transitions: Vec::new(),
                    });
                    if s.initial {
                        match initial {
                            None => initial = Some(idx),
                            Some(first) => {
                                let first = states[first].name.clone();
                                self.strict(
                                    s.initial_span.unwrap_or(s.name_span),
                                    format!(
                                        "second initial state '{}' (the first, '{first}', wins; \
                                         SEMS logs an error and ignores this one)",
                                        s.name
                                    ),
                                );
                            }
                        }
                    }
                }
                Item::Transition(t) => {
                    let sources: Vec<String> = if t.source.contains('(') {
                        let mut st = t.source.as_str();
                        st = st.strip_prefix('(').unwrap_or(st);
                        st = st.strip_suffix(')').unwrap_or(st);
                        explode(st, ",")
                            .into_iter()
                            .map(|s| {
                                let s = s.strip_prefix(' ').unwrap_or(s);
                                s.strip_suffix(' ').unwrap_or(s).to_string()
                            })
                            .collect()
                    } else {
                        vec![t.source.clone()]
                    };
                    let conditions = t
                        .conditions
                        .iter()
                        .filter_map(|c| self.condition(c))
                        .collect();
                    let actions = self.block(&t.actions);
                    let target_name = t.target.as_ref().map(|x| x.0.clone()).unwrap_or_default();
                    let mut found = Vec::new();
                    for src in &sources {
                        match first_index.get(src).copied() {
                            Some(i) => found.push(i),
                            None => self.error(
                                t.source_span,
                                format!(
                                    "state '{src}' for transition '{}' not found \
                                     (a source state must be declared before its transitions)",
                                    t.name
                                ),
                            ),
                        }
                    }
                    if !found.is_empty() {
                        pending.push((
                            found,
                            Transition {
                                name: t.name.clone(),
                                conditions,
                                is_exception: t.is_exception,
                                actions,
                                target: None,
                                target_name,
                            },
                            t.target.clone(),
                            t.name_span,
                        ));
                    }
                }
            }
        }

        // Targets are looked up by name at run time in SEMS (the first state of that name),
        // so a target may be declared after its transition: resolve them now.
        for (sources, mut tr, target, tspan) in pending {
            tr.target = first_index.get(&tr.target_name).copied();
            match &target {
                None => self.strict(
                    tspan,
                    format!("transition '{}' has no target state", tr.name),
                ),
                Some((t, span)) if tr.target.is_none() => self.strict(
                    *span,
                    format!(
                        "transition '{}': destination state '{t}' is not defined",
                        tr.name
                    ),
                ),
                Some(_) => {}
            }
            let tr = Arc::new(tr);
            for i in sources {
                states[i].transitions.push(tr.clone());
            }
        }
        if initial.is_none() {
            self.strict(
                Span::new(0, 0),
                format!("diagram '{name}' has no initial state"),
            );
        }
        if self.options.warn_unhandled_hangup {
            for s in &states {
                let handled = s.transitions.iter().any(|t| {
                    t.conditions
                        .iter()
                        .any(|c| c.def.event == Some(crate::runtime::event::EventKind::Hangup))
                });
                if !handled {
                    self.diags.push(Diagnostic::warning(
                        self.map.locate(self.text, 0),
                        format!("state '{}': hangup is not handled", s.name),
                    ));
                }
            }
        }
        Diagram {
            name: name.to_string(),
            states,
            initial,
            modules,
        }
    }

    fn in_scope(&self, scope: usize) -> impl Iterator<Item = &Arc<Module>> {
        self.imports[..scope.min(self.imports.len())]
            .iter()
            .flatten()
    }

    fn hint(&self, name: &str, action: bool) -> String {
        for m in self.registry.module_names() {
            if let Some(module) = self.registry.module(m) {
                let has = if action {
                    module.get_action(name).is_some()
                } else {
                    module.get_condition(name).is_some()
                };
                if has {
                    return format!(" (it is in {m}: missing import({m})?)");
                }
            }
        }
        " (missing import?)".to_string()
    }

    fn condition(&mut self, c: &CondRef) -> Option<ConditionCall> {
        let (name, raw) = split_cmd(&c.text);
        let def = self
            .in_scope(c.scope)
            .find_map(|m| m.get_condition(name).cloned())
            .or_else(|| self.registry.core().get_condition(name).cloned());
        let Some(def) = def else {
            let hint = self.hint(name, false);
            self.error(
                c.span,
                format!("could not find condition for '{}'{hint}", c.text),
            );
            return None;
        };
        let (args, warning) = Args::split(raw, def.shape);
        if let Some(w) = warning {
            self.warn(c.span, w);
        }
        Some(ConditionCall {
            def,
            args,
            invert: c.invert,
        })
    }

    fn action(&mut self, a: &ActionRef) -> Option<ActionCall> {
        let (name, raw) = split_cmd(&a.text);
        let def = self
            .in_scope(a.scope)
            .find_map(|m| m.get_action(name).cloned())
            .or_else(|| self.registry.core().get_action(name).cloned());
        let Some(def) = def else {
            let hint = self.hint(name, true);
            self.error(
                a.span,
                format!("could not find action for '{}'{hint}", a.text),
            );
            return None;
        };
        let (args, warning) = Args::split(raw, def.shape);
        if let Some(w) = warning {
            self.warn(a.span, w);
        }
        Some(ActionCall {
            text: Arc::from(a.text.as_str()),
            def,
            args,
        })
    }

    fn block(&mut self, stmts: &[Stmt]) -> Block {
        let mut out: Vec<Element> = Vec::with_capacity(stmts.len());
        self.block_into(stmts, &mut out);
        Arc::from(out)
    }

    fn block_into(&mut self, stmts: &[Stmt], out: &mut Vec<Element>) {
        for s in stmts {
            match s {
                Stmt::Action(a) => {
                    if let Some(call) = self.action(a) {
                        out.push(Element::Action(call));
                    }
                }
                Stmt::Call { function, span } => {
                    if let Some(body) = self.functions.get(*function).cloned() {
                        self.elements += body.len();
                        if self.elements > MAX_ELEMENTS {
                            if !self.too_big {
                                self.too_big = true;
                                self.error(
                                    *span,
                                    format!(
                                        "more than {MAX_ELEMENTS} actions after inlining functions"
                                    ),
                                );
                            }
                            continue;
                        }
                        for e in body.iter() {
                            out.push(clone_element(e));
                        }
                    }
                }
                Stmt::If(i) => {
                    let conditions: Vec<ConditionCall> = i
                        .conditions
                        .iter()
                        .filter_map(|c| self.condition(c))
                        .collect();
                    out.push(Element::If {
                        conditions: Arc::from(conditions),
                        then_branch: self.block(&i.then_branch),
                        else_branch: self.block(&i.else_branch),
                    });
                }
                Stmt::For(f) => out.push(Element::For {
                    header: f.header.clone(),
                    body: self.block(&f.body),
                }),
            }
        }
    }
}

fn clone_element(e: &Element) -> Element {
    match e {
        Element::Action(a) => Element::Action(ActionCall {
            text: a.text.clone(),
            def: a.def.clone(),
            args: a.args.clone(),
        }),
        Element::If {
            conditions,
            then_branch,
            else_branch,
        } => Element::If {
            conditions: conditions.clone(),
            then_branch: then_branch.clone(),
            else_branch: else_branch.clone(),
        },
        Element::For { header, body } => Element::For {
            header: header.clone(),
            body: body.clone(),
        },
    }
}
