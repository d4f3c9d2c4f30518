//! The syntax tree of one top-level script (after `#include` expansion). Every node keeps
//! the [`Span`] of the token it came from; names are not resolved here (that is the
//! checker's job), so the tree can be built for any text.

use crate::error::Span;

/// One parsed script: the items in the order SEMS registers them (a state or transition is
/// registered when its closing `;` is read).
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// `import(mod_x)` statements, in order.
    pub imports: Vec<Import>,
    /// Functions, in order of definition (call sites refer to them by index).
    pub functions: Vec<Function>,
    /// States and transitions, in registration order.
    pub items: Vec<Item>,
}

/// `import(mod_x)`.
#[derive(Debug, Clone)]
pub struct Import {
    /// The module name, e.g. `mod_dlg`.
    pub module: String,
    /// The import token.
    pub span: Span,
}

/// A state or a transition.
#[derive(Debug, Clone)]
pub enum Item {
    /// `[initial] state NAME [enter {...}] [exit {...}];`
    State(StateDecl),
    /// `transition NAME SOURCE ... TARGET;`
    Transition(TransitionDecl),
}

/// A state declaration.
#[derive(Debug, Clone)]
pub struct StateDecl {
    /// The state's name.
    pub name: String,
    /// The name token.
    pub name_span: Span,
    /// Whether `initial` applied to it.
    pub initial: bool,
    /// Span of the `initial` keyword that applied, if any.
    pub initial_span: Option<Span>,
    /// The `enter` block.
    pub enter: Vec<Stmt>,
    /// The `exit` block.
    pub exit: Vec<Stmt>,
}

/// A transition declaration.
#[derive(Debug, Clone)]
pub struct TransitionDecl {
    /// The transition's name (possibly empty when the script gave none).
    pub name: String,
    /// The name token (or the `transition` keyword).
    pub name_span: Span,
    /// The source token as written: `A` or `(A, B)`.
    pub source: String,
    /// The source token.
    pub source_span: Span,
    /// The condition list, ANDed.
    pub conditions: Vec<CondRef>,
    /// Whether `exception` appeared in the condition list.
    pub is_exception: bool,
    /// The transition's actions.
    pub actions: Vec<Stmt>,
    /// The target state, if one was given.
    pub target: Option<(String, Span)>,
}

/// A condition token in a condition list.
#[derive(Debug, Clone)]
pub struct CondRef {
    /// The whole token, e.g. `test($a == 1)`.
    pub text: String,
    /// The token.
    pub span: Span,
    /// Whether `not` applied to it.
    pub invert: bool,
    /// How many imports of this script precede it (SEMS resolves names while parsing, so an
    /// import only serves the tokens after it).
    pub scope: usize,
}

/// An action token.
#[derive(Debug, Clone)]
pub struct ActionRef {
    /// The whole token, e.g. `log(1, hello)`.
    pub text: String,
    /// The token.
    pub span: Span,
    /// Imports in scope (see [`CondRef::scope`]).
    pub scope: usize,
}

/// An element of an action block.
#[derive(Debug, Clone)]
pub enum Stmt {
    /// An action.
    Action(ActionRef),
    /// A call of a function defined earlier: its body is inlined (SEMS functions are
    /// macros; any arguments are ignored).
    Call {
        /// Index into [`Script::functions`].
        function: usize,
        /// The call token.
        span: Span,
    },
    /// `if COND... { ... } [else { ... }]`
    If(IfStmt),
    /// `for (...) { ... }`
    For(ForStmt),
}

/// An `if`.
#[derive(Debug, Clone)]
pub struct IfStmt {
    /// The conditions, ANDed.
    pub conditions: Vec<CondRef>,
    /// The then-block.
    pub then_branch: Vec<Stmt>,
    /// The else-block (empty when there is none).
    pub else_branch: Vec<Stmt>,
    /// The `if` keyword.
    pub span: Span,
}

/// A `for` loop.
#[derive(Debug, Clone)]
pub struct ForStmt {
    /// What it iterates over.
    pub header: ForHeader,
    /// The body.
    pub body: Vec<Stmt>,
    /// The `for` token.
    pub span: Span,
}

/// The three `for` forms. Names keep whatever `$` the script wrote; the engine strips one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForHeader {
    /// `for ($x in $a)`: the values of `a[0]`, `a[1]`, ...
    Array {
        /// Loop variable.
        var: String,
        /// Array name.
        array: String,
    },
    /// `for ($k,$v in $s)`: every variable whose name starts with `s`.
    Struct {
        /// Key variable.
        key: String,
        /// Value variable.
        value: String,
        /// Struct name.
        name: String,
    },
    /// `for ($i in range(a, b))`: from a up or down to b, exclusive; bounds resolved at run
    /// time.
    Range {
        /// Loop variable.
        var: String,
        /// Lower bound (text, resolved at run time).
        from: String,
        /// Upper bound (text, resolved at run time).
        to: String,
    },
}

/// `function NAME() { ... };`
#[derive(Debug, Clone)]
pub struct Function {
    /// The name.
    pub name: String,
    /// The body.
    pub body: Vec<Stmt>,
    /// The name token.
    pub span: Span,
}
