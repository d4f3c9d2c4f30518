//! The checked, executable form of a script: diagrams of states whose transitions and
//! action blocks hold resolved handlers and pre-split arguments. Immutable and shared
//! (`Arc`) between every session that runs it.

use std::sync::Arc;

use crate::registry::{ActionDef, Args, ConditionDef};
use crate::syntax::ast::ForHeader;

/// An action block.
pub(crate) type Block = Arc<[Element]>;

/// One element of an action block.
pub(crate) enum Element {
    Action(ActionCall),
    If {
        conditions: Arc<[ConditionCall]>,
        then_branch: Block,
        else_branch: Block,
    },
    For {
        header: ForHeader,
        body: Block,
    },
}

/// An action occurrence.
pub(crate) struct ActionCall {
    /// The token as written (for logs).
    pub text: Arc<str>,
    pub def: ActionDef,
    pub args: Args,
}

/// A condition occurrence.
pub(crate) struct ConditionCall {
    pub def: ConditionDef,
    pub args: Args,
    pub invert: bool,
}

/// A transition, shared by every source state it was declared for.
pub(crate) struct Transition {
    pub name: String,
    pub conditions: Vec<ConditionCall>,
    pub is_exception: bool,
    pub actions: Block,
    /// Index of the target state (the first state with that name), if it exists.
    pub target: Option<usize>,
    pub target_name: String,
}

/// A state.
pub(crate) struct State {
    pub name: String,
    pub enter: Block,
    pub exit: Block,
    /// In declaration order (SEMS's first-match order).
    pub transitions: Vec<Arc<Transition>>,
}

/// One state diagram (one top-level script with its includes).
pub struct Diagram {
    pub(crate) name: String,
    pub(crate) states: Vec<State>,
    pub(crate) initial: Option<usize>,
    /// Modules the script imported.
    pub(crate) modules: Vec<String>,
}

impl Diagram {
    /// The diagram's name (the script name, e.g. `quizconnect_caller`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// State names in declaration order.
    pub fn state_names(&self) -> Vec<&str> {
        self.states.iter().map(|s| s.name.as_str()).collect()
    }

    /// The initial state's name.
    pub fn initial_state(&self) -> Option<&str> {
        self.initial.map(|i| self.states[i].name.as_str())
    }

    /// Modules the script imported.
    pub fn modules(&self) -> &[String] {
        &self.modules
    }
}

impl std::fmt::Debug for Diagram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Diagram")
            .field("name", &self.name)
            .field("states", &self.state_names())
            .field("initial", &self.initial_state())
            .finish()
    }
}

/// Calls `f` on every action call in `block`, recursively.
pub(crate) fn walk_actions(block: &[Element], f: &mut dyn FnMut(&ActionCall)) {
    for e in block {
        match e {
            Element::Action(a) => f(a),
            Element::If {
                then_branch,
                else_branch,
                ..
            } => {
                walk_actions(then_branch, f);
                walk_actions(else_branch, f);
            }
            Element::For { body, .. } => walk_actions(body, f),
        }
    }
}
