//! The parser: SEMS's `DSMChartReader::decode` stack machine (spec §1.3, §1.4), rebuilt over
//! the nom tokenizer, producing a span-carrying [`Script`].
//!
//! SEMS's grammar is defined by that stack machine rather than by a grammar, and scripts
//! depend on its quirks (keywords push onto whatever element is unfinished, `-` and `/` are
//! only operators between spaces, `{ } [ ;` are skipped inside condition lists, and so on),
//! so the machine is reproduced frame by frame. Names are *not* resolved here; the checker
//! does that with the module registry. Where SEMS stops at the first error, this parser
//! reports it, recovers locally and goes on, so one load reports every problem it can.
//!
//! Deliberate differences (all accept scripts SEMS rejects, none changes a script SEMS
//! loads; see the crate README): quoted tokens are never keywords; `import` must be written
//! `import(...)` and `for` as `for` or `for(...)`, so `importantState` and `format()` are
//! ordinary names; a function is usable as soon as its body closes (SEMS needs the trailing
//! `;`); trailing `-- comments` (see [`super::token`]).

use super::ast::{
    ActionRef, CondRef, ForHeader, ForStmt, Function, IfStmt, Import, Item, Script, StateDecl,
    Stmt, TransitionDecl,
};
use super::text::{explode, split_cmd, trim};
use super::token::{Token, tokenize};
use crate::error::Span;

/// How serious a parse finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueLevel {
    /// SEMS rejects the script too.
    Error,
    /// SEMS loads the script, but silently drops or ignores something; an error unless the
    /// collection is loaded in SEMS-compatible mode.
    Strict,
    /// SEMS loads the script; worth a look.
    Warning,
}

/// One parse finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Error, strict or warning.
    pub level: IssueLevel,
    /// The token concerned.
    pub span: Span,
    /// What is wrong.
    pub message: String,
}

/// The result of [`parse`]: a tree (possibly partial) and the findings.
#[derive(Debug, Clone, Default)]
pub struct ParseOutput {
    /// The script as far as it could be understood.
    pub script: Script,
    /// Every finding, in text order.
    pub issues: Vec<Issue>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListKind {
    Function,
    If,
    Else,
    Enter,
    Exit,
    Transition,
    For,
}

#[derive(Debug)]
struct IfFrame {
    conditions: Vec<CondRef>,
    then_branch: Vec<Stmt>,
    else_branch: Vec<Stmt>,
    span: Span,
}

#[derive(Debug)]
enum Frame {
    Function {
        name: Option<String>,
        span: Span,
    },
    Initial(Span),
    State {
        name: Option<(String, Span)>,
        enter: Vec<Stmt>,
        exit: Vec<Stmt>,
    },
    Transition(
        Box<TransitionDecl>,
        bool, /* name set */
        bool, /* source set */
    ),
    Actions {
        kind: ListKind,
        stmts: Vec<Stmt>,
    },
    Conditions {
        is_if: bool,
        conditions: Vec<CondRef>,
        invert_next: bool,
        is_exception: bool,
    },
    If(Box<IfFrame>),
    For {
        header: Option<ForHeader>,
        span: Span,
    },
}

/// Deepest nesting of unfinished elements accepted (an extension: deeper scripts are
/// rejected, so that checking and running them cannot exhaust the stack).
pub const MAX_NESTING: usize = 200;

struct Parser {
    stack: Vec<Frame>,
    aborted: bool,
    out: ParseOutput,
    /// Function name -> index of its first definition.
    function_index: std::collections::HashMap<String, usize>,
}

/// Parses one preprocessed script text.
pub fn parse(text: &str) -> ParseOutput {
    let (tokens, notes) = tokenize(text);
    let mut p = Parser {
        stack: Vec::new(),
        aborted: false,
        out: ParseOutput::default(),
        function_index: std::collections::HashMap::new(),
    };
    for n in notes {
        p.issue(
            IssueLevel::Warning,
            n.span,
            format!(
                "unterminated {}: the rest of the file is read as one token (as SEMS does)",
                n.what
            ),
        );
    }
    for t in &tokens {
        p.token(t);
        if p.stack.len() > MAX_NESTING {
            p.issue(
                IssueLevel::Error,
                t.span,
                format!(
                    "elements nested more than {MAX_NESTING} deep; the rest of the file is not read"
                ),
            );
            p.stack.clear();
            p.aborted = true;
            break;
        }
    }
    p.finish(text.len());
    p.out.issues.sort_by_key(|i| i.span.start);
    p.out
}

impl Parser {
    fn issue(&mut self, level: IssueLevel, span: Span, message: impl Into<String>) {
        self.out.issues.push(Issue {
            level,
            span,
            message: message.into(),
        });
    }

    fn scope(&self) -> usize {
        self.out.script.imports.len()
    }

    fn token(&mut self, t: &Token<'_>) {
        let tok = t.text;
        if !t.quoted {
            if tok.starts_with("import(") {
                let (_, module) = split_cmd(tok);
                let module = module.trim();
                if module.is_empty() {
                    self.issue(IssueLevel::Error, t.span, "import needs a module name");
                } else {
                    self.out.script.imports.push(Import {
                        module: module.to_string(),
                        span: t.span,
                    });
                }
                return;
            }
            match tok {
                "function" => {
                    self.stack.push(Frame::Function {
                        name: None,
                        span: t.span,
                    });
                    return;
                }
                "initial" => {
                    self.stack.push(Frame::Initial(t.span));
                    return;
                }
                "state" => {
                    self.stack.push(Frame::State {
                        name: None,
                        enter: Vec::new(),
                        exit: Vec::new(),
                    });
                    return;
                }
                "transition" => {
                    self.stack.push(Frame::Transition(
                        Box::new(TransitionDecl {
                            name: String::new(),
                            name_span: t.span,
                            source: String::new(),
                            source_span: t.span,
                            conditions: Vec::new(),
                            is_exception: false,
                            actions: Vec::new(),
                            target: None,
                        }),
                        false,
                        false,
                    ));
                    return;
                }
                _ => {}
            }
        }
        let Some(top) = self.stack.last_mut() else {
            if tok != ";" {
                self.issue(
                    IssueLevel::Error,
                    t.span,
                    format!("without context I do not understand '{tok}'"),
                );
            }
            return;
        };
        match top {
            Frame::Function { name, .. } => {
                if name.is_none() {
                    match tok.find('(') {
                        Some(p) => *name = Some(tok[..p].to_string()),
                        None => {
                            self.stack.pop();
                            self.issue(
                                IssueLevel::Error,
                                t.span,
                                "function declarations must have a name followed by parentheses, \
                                 e.g. 'function foo()'",
                            );
                        }
                    }
                    return;
                }
                match tok {
                    "{" => self.stack.push(Frame::Actions {
                        kind: ListKind::Function,
                        stmts: Vec::new(),
                    }),
                    ";" => {
                        // A function declared without a body: registered empty.
                        if let Some(Frame::Function {
                            name: Some(n),
                            span,
                        }) = self.stack.pop()
                        {
                            self.register_function(n, Vec::new(), span);
                        }
                    }
                    _ => self.issue(
                        IssueLevel::Error,
                        t.span,
                        format!("unexpected '{tok}' in function declaration"),
                    ),
                }
            }
            Frame::Initial(_) => self.issue(
                IssueLevel::Warning,
                t.span,
                format!("'{tok}' after 'initial' is ignored"),
            ),
            Frame::If(_) => self.if_token(t),
            Frame::State { name, .. } => {
                if name.is_none() {
                    *name = Some((tok.to_string(), t.span));
                    return;
                }
                match tok {
                    "enter" => self.stack.push(Frame::Actions {
                        kind: ListKind::Enter,
                        stmts: Vec::new(),
                    }),
                    "exit" => self.stack.push(Frame::Actions {
                        kind: ListKind::Exit,
                        stmts: Vec::new(),
                    }),
                    ";" => self.finish_state(),
                    _ => self.issue(
                        IssueLevel::Warning,
                        t.span,
                        format!("'{tok}' in a state declaration is ignored"),
                    ),
                }
            }
            Frame::Actions { .. } => self.action_token(t),
            Frame::Conditions { .. } => self.condition_token(t),
            Frame::Transition(tr, name_set, source_set) => {
                if !*name_set {
                    tr.name = tok.to_string();
                    tr.name_span = t.span;
                    *name_set = true;
                    return;
                }
                if !*source_set {
                    tr.source = tok.to_string();
                    tr.source_span = t.span;
                    *source_set = true;
                    return;
                }
                match tok {
                    "-->" | "->" => {}
                    "-" => self.stack.push(Frame::Conditions {
                        is_if: false,
                        conditions: Vec::new(),
                        invert_next: false,
                        is_exception: false,
                    }),
                    "-/" | "/" => self.stack.push(Frame::Actions {
                        kind: ListKind::Transition,
                        stmts: Vec::new(),
                    }),
                    ";" => {
                        if let Some(Frame::Transition(tr, _, _)) = self.stack.pop() {
                            self.out.script.items.push(Item::Transition(*tr));
                        }
                    }
                    _ => {
                        if tr.target.is_none() {
                            tr.target = Some((tok.to_string(), t.span));
                        } else {
                            self.issue(
                                IssueLevel::Warning,
                                t.span,
                                format!("'{tok}' after the target state is ignored"),
                            );
                        }
                    }
                }
            }
            Frame::For { header, .. } => {
                if header.is_some() {
                    match tok {
                        "}" => {
                            self.stack.pop();
                            self.issue(
                                IssueLevel::Warning,
                                t.span,
                                "'}' before the body of a for loop: the loop is dropped",
                            );
                        }
                        "{" => self.stack.push(Frame::Actions {
                            kind: ListKind::For,
                            stmts: Vec::new(),
                        }),
                        _ => self.issue(
                            IssueLevel::Warning,
                            t.span,
                            format!("'{tok}' between a for header and its body is ignored"),
                        ),
                    }
                } else {
                    let h = match parse_for_header(tok) {
                        Ok(h) => h,
                        Err(e) => {
                            self.issue(IssueLevel::Error, t.span, e);
                            dummy_header()
                        }
                    };
                    if let Some(Frame::For { header, .. }) = self.stack.last_mut() {
                        *header = Some(h);
                    }
                }
            }
        }
    }

    fn finish_state(&mut self) {
        let Some(Frame::State { name, enter, exit }) = self.stack.pop() else {
            return;
        };
        let mut initial_span = None;
        if let Some(Frame::Initial(s)) = self.stack.last() {
            initial_span = Some(*s);
            self.stack.pop();
        }
        let (name, name_span) = name.unwrap_or_default();
        self.out.script.items.push(Item::State(StateDecl {
            name,
            name_span,
            initial: initial_span.is_some(),
            initial_span,
            enter,
            exit,
        }));
    }

    fn register_function(&mut self, name: String, body: Vec<Stmt>, span: Span) {
        let idx = self.out.script.functions.len();
        self.function_index.entry(name.clone()).or_insert(idx);
        self.out
            .script
            .functions
            .push(Function { name, body, span });
    }

    fn if_token(&mut self, t: &Token<'_>) {
        match t.text {
            "[" => self.stack.push(Frame::Conditions {
                is_if: true,
                conditions: Vec::new(),
                invert_next: false,
                is_exception: false,
            }),
            "{" => self.stack.push(Frame::Actions {
                kind: ListKind::If,
                stmts: Vec::new(),
            }),
            ";" | "}" => {
                if let Some(Frame::If(f)) = self.stack.pop() {
                    self.push_if_into_parent(*f, t.span);
                }
            }
            other => self.issue(
                IssueLevel::Error,
                t.span,
                format!("syntax error: got '{other}' after an if condition list, expected '{{'"),
            ),
        }
    }

    fn push_if_into_parent(&mut self, f: IfFrame, span: Span) {
        match self.stack.last_mut() {
            Some(Frame::Actions { stmts, .. }) => stmts.push(Stmt::If(IfStmt {
                conditions: f.conditions,
                then_branch: f.then_branch,
                else_branch: f.else_branch,
                span: f.span,
            })),
            _ => self.issue(IssueLevel::Error, span, "no action list for an if"),
        }
    }

    fn action_token(&mut self, t: &Token<'_>) {
        let tok = t.text;
        match tok {
            ";" | "{" => return,
            "}" | "->" => {
                self.close_action_list(t.span);
                return;
            }
            _ => {}
        }
        if !t.quoted && tok == "if" {
            self.stack.push(Frame::If(Box::new(IfFrame {
                conditions: Vec::new(),
                then_branch: Vec::new(),
                else_branch: Vec::new(),
                span: t.span,
            })));
            self.stack.push(Frame::Conditions {
                is_if: true,
                conditions: Vec::new(),
                invert_next: false,
                is_exception: false,
            });
            return;
        }
        if !t.quoted && tok == "else" {
            let last_if = match self.stack.last_mut() {
                Some(Frame::Actions { stmts, .. }) => match stmts.last() {
                    Some(Stmt::If(_)) => match stmts.pop() {
                        Some(Stmt::If(i)) => Some(i),
                        _ => None,
                    },
                    _ => None,
                },
                _ => None,
            };
            match last_if {
                Some(i) => {
                    self.stack.push(Frame::If(Box::new(IfFrame {
                        conditions: i.conditions,
                        then_branch: i.then_branch,
                        else_branch: i.else_branch,
                        span: i.span,
                    })));
                    self.stack.push(Frame::Actions {
                        kind: ListKind::Else,
                        stmts: Vec::new(),
                    });
                }
                None => self.issue(
                    IssueLevel::Error,
                    t.span,
                    "syntax error: else without if block",
                ),
            }
            return;
        }
        if !t.quoted && (tok == "for" || tok.starts_with("for(")) {
            let header = if tok.len() > 3 {
                match parse_for_header(&tok[3..]) {
                    Ok(h) => Some(h),
                    Err(e) => {
                        self.issue(IssueLevel::Error, t.span, e);
                        Some(dummy_header())
                    }
                }
            } else {
                None
            };
            self.stack.push(Frame::For {
                header,
                span: t.span,
            });
            return;
        }
        if let Some(open) = tok.find('(') {
            let name = &tok[..open];
            if let Some(&idx) = self.function_index.get(name) {
                if let Some(Frame::Actions { stmts, .. }) = self.stack.last_mut() {
                    stmts.push(Stmt::Call {
                        function: idx,
                        span: t.span,
                    });
                }
                return;
            }
        }
        let scope = self.scope();
        if let Some(Frame::Actions { stmts, .. }) = self.stack.last_mut() {
            stmts.push(Stmt::Action(ActionRef {
                text: tok.to_string(),
                span: t.span,
                scope,
            }));
        }
    }

    fn close_action_list(&mut self, span: Span) {
        let Some(Frame::Actions { kind, stmts }) = self.stack.pop() else {
            return;
        };
        let mismatch = |p: &mut Parser, what: &str| {
            p.issue(
                IssueLevel::Error,
                span,
                format!("no {what} for this action list (misplaced '/' or brace?)"),
            );
        };
        match kind {
            ListKind::Function => match self.stack.pop() {
                Some(Frame::Function {
                    name: Some(n),
                    span: fspan,
                }) => self.register_function(n, stmts, fspan),
                Some(other) => {
                    self.stack.push(other);
                    mismatch(self, "function");
                }
                None => mismatch(self, "function"),
            },
            ListKind::If | ListKind::Else => match self.stack.pop() {
                Some(Frame::If(mut f)) => {
                    if kind == ListKind::If {
                        f.then_branch = stmts;
                    } else {
                        f.else_branch = stmts;
                    }
                    self.push_if_into_parent(*f, span);
                }
                Some(other) => {
                    self.stack.push(other);
                    mismatch(self, "if");
                }
                None => mismatch(self, "if"),
            },
            ListKind::Enter | ListKind::Exit => match self.stack.last_mut() {
                Some(Frame::State { enter, exit, .. }) => {
                    if kind == ListKind::Enter {
                        *enter = stmts;
                    } else {
                        *exit = stmts;
                    }
                }
                _ => mismatch(self, "state"),
            },
            ListKind::Transition => match self.stack.last_mut() {
                Some(Frame::Transition(tr, _, _)) => tr.actions = stmts,
                _ => mismatch(self, "transition"),
            },
            ListKind::For => match self.stack.pop() {
                Some(Frame::For {
                    header: Some(header),
                    span: fspan,
                }) => match self.stack.last_mut() {
                    Some(Frame::Actions { stmts: parent, .. }) => parent.push(Stmt::For(ForStmt {
                        header,
                        body: stmts,
                        span: fspan,
                    })),
                    _ => mismatch(self, "action list"),
                },
                Some(other) => {
                    self.stack.push(other);
                    mismatch(self, "for loop");
                }
                None => mismatch(self, "for loop"),
            },
        }
    }

    fn condition_token(&mut self, t: &Token<'_>) {
        let tok = t.text;
        let Some(Frame::Conditions {
            is_if,
            conditions,
            invert_next,
            is_exception,
        }) = self.stack.last_mut()
        else {
            return;
        };
        match tok {
            ";" | "[" => {}
            "{" if *is_if => {
                let conds = std::mem::take(conditions);
                self.stack.pop();
                match self.stack.last_mut() {
                    Some(Frame::If(f)) => {
                        f.conditions = conds;
                        self.stack.push(Frame::Actions {
                            kind: ListKind::If,
                            stmts: Vec::new(),
                        });
                    }
                    _ => self.issue(IssueLevel::Error, t.span, "condition list without if"),
                }
            }
            "{" | "}" => {}
            "/" | "->" | "]" => {
                let conds = std::mem::take(conditions);
                let exc = *is_exception;
                self.stack.pop();
                match self.stack.last_mut() {
                    Some(Frame::Transition(tr, _, _)) => {
                        tr.conditions = conds;
                        tr.is_exception = exc;
                    }
                    Some(Frame::If(f)) => f.conditions = conds,
                    _ => {
                        self.issue(
                            IssueLevel::Error,
                            t.span,
                            "no transition or condition list to apply conditions to",
                        );
                        return;
                    }
                }
                if tok == "/" {
                    self.stack.push(Frame::Actions {
                        kind: ListKind::Transition,
                        stmts: Vec::new(),
                    });
                }
            }
            "not" if !t.quoted => *invert_next = !*invert_next,
            "exception" if !t.quoted => *is_exception = true,
            _ => {
                let invert = std::mem::take(invert_next);
                let scope = self.out.script.imports.len();
                if let Some(Frame::Conditions { conditions, .. }) = self.stack.last_mut() {
                    conditions.push(CondRef {
                        text: tok.to_string(),
                        span: t.span,
                        invert,
                        scope,
                    });
                }
            }
        }
    }

    fn finish(&mut self, end: usize) {
        if self.aborted {
            return;
        }
        // SEMS silently drops whatever is unfinished at the end of the text.
        let eof = Span::new(end, end);
        let mut reported = false;
        for f in &self.stack {
            let what = match f {
                Frame::State {
                    name: Some((n, s)), ..
                } => Some((format!("state '{n}'"), *s)),
                Frame::State { name: None, .. } => Some(("state".to_string(), eof)),
                Frame::Transition(tr, ..) => {
                    Some((format!("transition '{}'", tr.name), tr.name_span))
                }
                Frame::Function { name, span } => Some((
                    format!("function '{}'", name.clone().unwrap_or_default()),
                    *span,
                )),
                _ => None,
            };
            if let Some((w, s)) = what
                && !reported
            {
                reported = true;
                self.out.issues.push(Issue {
                    level: IssueLevel::Strict,
                    span: s,
                    message: format!(
                        "{w} is not finished (missing ';' or '}}') at the end of the file; \
                         SEMS silently drops it"
                    ),
                });
            }
        }
    }
}

fn dummy_header() -> ForHeader {
    ForHeader::Array {
        var: String::new(),
        array: String::new(),
    }
}

/// `(x in a)`, `(k,v in s)` or `(x in range([a,] b))` (SEMS `forFromToken`).
fn parse_for_header(h: &str) -> Result<ForHeader, String> {
    if h.len() < 2 || !h.starts_with('(') || !h.ends_with(')') {
        return Err(format!(
            "syntax error in 'for {h}': expected 'for (x in array)'"
        ));
    }
    let inner = &h[1..h.len() - 1];
    let parts = explode(inner, " in ");
    if parts.len() != 2 {
        return Err(format!(
            "syntax error in 'for {h}': expected 'for (x in array)' or 'for (k,v in struct)'"
        ));
    }
    let kv = explode(parts[0], ",");
    if kv.len() == 2 {
        return Ok(ForHeader::Struct {
            key: kv[0].to_string(),
            value: kv[1].to_string(),
            name: parts[1].to_string(),
        });
    }
    let target = parts[1];
    if target.len() > 7 && target.starts_with("range(") && target.ends_with(')') {
        let range = &target[6..target.len() - 1];
        let rv = explode(range, ",");
        let (from, to) = if rv.len() == 2 {
            (trim(rv[0], " ").to_string(), trim(rv[1], " ").to_string())
        } else {
            ("0".to_string(), trim(range, " ").to_string())
        };
        return Ok(ForHeader::Range {
            var: parts[0].to_string(),
            from,
            to,
        });
    }
    Ok(ForHeader::Array {
        var: parts[0].to_string(),
        array: target.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(out: &ParseOutput) -> Vec<&str> {
        out.issues
            .iter()
            .filter(|i| i.level == IssueLevel::Error)
            .map(|i| i.message.as_str())
            .collect()
    }

    #[test]
    fn basic_script() {
        let out = parse(
            "import(mod_dlg);\ninitial state A enter { log(1, x); };\n\
             transition \"t 1\" A - hangup / { stop(true); } -> B;\nstate B;\n",
        );
        assert!(out.issues.is_empty(), "{:?}", out.issues);
        let s = &out.script;
        assert_eq!(s.imports.len(), 1);
        assert_eq!(s.items.len(), 3);
        match &s.items[1] {
            Item::Transition(t) => {
                assert_eq!(t.name, "t 1");
                assert_eq!(t.source, "A");
                assert_eq!(t.conditions.len(), 1);
                assert_eq!(t.actions.len(), 1);
                assert_eq!(t.target.as_ref().unwrap().0, "B");
            }
            _ => panic!(),
        }
    }

    #[test]
    fn else_without_if() {
        let out = parse("state A enter { else { log(1,x); } };");
        assert_eq!(errors(&out), vec!["syntax error: else without if block"]);
    }

    #[test]
    fn for_headers() {
        assert_eq!(
            parse_for_header("($x in range(1, $n))").unwrap(),
            ForHeader::Range {
                var: "$x".into(),
                from: "1".into(),
                to: "$n".into()
            }
        );
        assert_eq!(
            parse_for_header("($k,$v in $s)").unwrap(),
            ForHeader::Struct {
                key: "$k".into(),
                value: "$v".into(),
                name: "$s".into()
            }
        );
        assert!(parse_for_header("($x of $a)").is_err());
    }

    #[test]
    fn nesting_is_bounded() {
        let text = format!(
            "initial state A enter {{ {} }};",
            "if test(1==1) { ".repeat(500)
        );
        let out = parse(&text);
        assert_eq!(errors(&out).len(), 1);
        assert!(errors(&out)[0].contains("nested more than"));
    }

    #[test]
    fn missing_semicolon_pushes_next_keyword() {
        // The transition is pushed on top of the unfinished state and finishes first.
        let out = parse("state A\ntransition t A - x -> B;\n;");
        assert!(matches!(out.script.items[0], Item::Transition(_)));
        assert!(matches!(out.script.items[1], Item::State(_)));
    }
}
