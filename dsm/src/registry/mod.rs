//! The module registry: which actions and conditions exist, how their arguments are split,
//! and what runs them.
//!
//! A [`ModuleRegistry`] holds the core module (always available) and the modules a script
//! may `import(...)`. [`ModuleRegistry::new`] has everything this crate implements:
//! `mod_utils`, `mod_uri`, `mod_regex`, `mod_sys` (pure, or file access through the
//! [`crate::Host`]), and `mod_dlg`, `mod_conference`, `mod_mysql`, `mod_monitoring`, whose
//! effects are commands or host calls. `firmware` may add modules or replace single
//! handlers ([`ModuleRegistry::set_action`]); an `import` of a module the registry does not
//! know (`mod_py`, `mod_sbc`, `mod_curl`...) is a load error that names the module.
//!
//! Names are resolved when a script is loaded: modules imported by the script in import
//! order, then the core module (spec §1.5). So a module can shadow a core action.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::runtime::context::{ActionCtx, ConditionCtx};
use crate::runtime::event::{EventKind, Params};
use crate::syntax::text::{explode, one_arg, two_args};

pub use crate::modules::core::TestExpr;

/// How an action's or condition's argument text is split at load time (spec §1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgShape {
    /// No processing: [`Args::raw`] only.
    Raw,
    /// One argument (`SCStrArgAction`): trimmed, surrounding quotes removed: [`Args::arg`].
    One,
    /// Two arguments split at the first `sep` outside quotes: [`Args::p1`], [`Args::p2`].
    /// A missing mandatory second argument is a load warning (SEMS logs an ERROR and
    /// creates the action with both parameters empty).
    Two {
        /// Separator, `,` or `=`.
        sep: char,
        /// Whether the second argument is required.
        mandatory: bool,
    },
    /// Split at every comma, empty items dropped (`DI`): [`Args::list`].
    CommaList,
    /// A `test()` expression, compiled at load: [`Args::test`].
    Test,
}

/// The split arguments of one action or condition occurrence.
#[derive(Debug, Clone, Default)]
pub struct Args {
    /// The text between the first `(` and the last `)`.
    pub raw: String,
    /// [`ArgShape::One`]: the argument.
    pub arg: String,
    /// [`ArgShape::Two`]: the first argument.
    pub p1: String,
    /// [`ArgShape::Two`]: the second argument.
    pub p2: String,
    /// [`ArgShape::CommaList`]: the items.
    pub list: Vec<String>,
    /// [`ArgShape::Test`]: the compiled expression.
    pub test: Option<TestExpr>,
}

impl Args {
    /// Splits `raw` according to `shape`. The second value is a load-time warning, if any.
    pub fn split(raw: &str, shape: ArgShape) -> (Args, Option<String>) {
        let mut a = Args {
            raw: raw.to_string(),
            ..Args::default()
        };
        let mut warning = None;
        match shape {
            ArgShape::Raw => {}
            ArgShape::One => a.arg = one_arg(raw),
            ArgShape::Two { sep, mandatory } => {
                let t = two_args(raw, sep, !mandatory);
                if t.missing_mandatory {
                    warning = Some(format!(
                        "expected two parameters separated with '{sep}' in '{raw}' \
                         (SEMS logs an error and runs the action with empty parameters)"
                    ));
                }
                a.p1 = t.p1;
                a.p2 = t.p2;
            }
            ArgShape::CommaList => {
                a.list = explode(raw, ",").into_iter().map(str::to_string).collect();
            }
            ArgShape::Test => {
                let t = TestExpr::parse(raw);
                if t.is_malformed() {
                    warning = Some(format!(
                        "expression '{raw}' not understood (no ==, !=, < or >): \
                         the condition never matches, as in SEMS"
                    ));
                }
                a.test = Some(t);
            }
        }
        (a, warning)
    }
}

/// What an action asks the engine to do next (spec §3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flow {
    /// Nothing: go on with the next action.
    Continue,
    /// `repost()`: re-run the current event once this one is done.
    Repost,
    /// `jumpFSM(name)`.
    Jump(String),
    /// `callFSM(name)`.
    Call(String),
    /// `returnFSM()`.
    Return,
    /// `break`.
    Break,
}

/// A DSM exception (spec §3.4): the params of the exception event (`type` and friends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throw {
    /// `#type`, `#text`, `#path`, ...
    pub params: Params,
}

impl Throw {
    /// An exception of `kind` (its `#type`).
    pub fn new(kind: &str) -> Self {
        let mut params = Params::new();
        params.insert("type".into(), kind.into());
        Self { params }
    }

    /// Adds a parameter.
    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.params.insert(key.into(), value.into());
        self
    }
}

/// Runs an action.
pub trait ActionHandler: Send + Sync {
    /// Executes with the split arguments against the session.
    fn execute(&self, args: &Args, ctx: &mut ActionCtx<'_>) -> Result<Flow, Throw>;
}

impl<F> ActionHandler for F
where
    F: Fn(&Args, &mut ActionCtx<'_>) -> Result<Flow, Throw> + Send + Sync,
{
    fn execute(&self, args: &Args, ctx: &mut ActionCtx<'_>) -> Result<Flow, Throw> {
        self(args, ctx)
    }
}

/// Evaluates a condition. Event-type filtering and `not` are applied by the engine.
pub trait ConditionHandler: Send + Sync {
    /// Whether the condition holds for the current event.
    fn matches(&self, args: &Args, ctx: &mut ConditionCtx<'_>) -> bool;
}

impl<F> ConditionHandler for F
where
    F: Fn(&Args, &mut ConditionCtx<'_>) -> bool + Send + Sync,
{
    fn matches(&self, args: &Args, ctx: &mut ConditionCtx<'_>) -> bool {
        self(args, ctx)
    }
}

/// One action a module offers.
#[derive(Clone)]
pub struct ActionDef {
    /// How its argument text is split.
    pub shape: ArgShape,
    /// What runs it.
    pub handler: Arc<dyn ActionHandler>,
}

/// One condition a module offers.
#[derive(Clone)]
pub struct ConditionDef {
    /// How its argument text is split.
    pub shape: ArgShape,
    /// The event type it requires (`None`: any event, like `test()` and every module
    /// condition).
    pub event: Option<EventKind>,
    /// What evaluates it.
    pub handler: Arc<dyn ConditionHandler>,
}

/// A named set of actions and conditions.
#[derive(Clone, Default)]
pub struct Module {
    name: String,
    actions: HashMap<String, ActionDef>,
    conditions: HashMap<String, ConditionDef>,
}

impl fmt::Debug for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut a: Vec<&String> = self.actions.keys().collect();
        a.sort();
        let mut c: Vec<&String> = self.conditions.keys().collect();
        c.sort();
        f.debug_struct("Module")
            .field("name", &self.name)
            .field("actions", &a)
            .field("conditions", &c)
            .finish()
    }
}

impl Module {
    /// An empty module called `name` (e.g. `mod_foo`).
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            ..Self::default()
        }
    }

    /// The module's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds or replaces an action.
    pub fn action(
        &mut self,
        name: &str,
        shape: ArgShape,
        handler: impl ActionHandler + 'static,
    ) -> &mut Self {
        self.actions.insert(
            name.to_string(),
            ActionDef {
                shape,
                handler: Arc::new(handler),
            },
        );
        self
    }

    /// Adds or replaces a condition.
    pub fn condition(
        &mut self,
        name: &str,
        shape: ArgShape,
        event: Option<EventKind>,
        handler: impl ConditionHandler + 'static,
    ) -> &mut Self {
        self.conditions.insert(
            name.to_string(),
            ConditionDef {
                shape,
                event,
                handler: Arc::new(handler),
            },
        );
        self
    }

    /// The action called `name`.
    pub fn get_action(&self, name: &str) -> Option<&ActionDef> {
        self.actions.get(name)
    }

    /// The condition called `name`.
    pub fn get_condition(&self, name: &str) -> Option<&ConditionDef> {
        self.conditions.get(name)
    }

    /// Names of all actions (sorted).
    pub fn action_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.actions.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// Names of all conditions (sorted).
    pub fn condition_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.conditions.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }
}

/// The core module and the importable modules. Cheap to clone (modules are shared).
#[derive(Clone, Debug)]
pub struct ModuleRegistry {
    core: Arc<Module>,
    modules: HashMap<String, Arc<Module>>,
    pub(crate) regexes: crate::modules::regex::RegexTable,
}

impl Default for ModuleRegistry {
    fn default() -> Self {
        Self::new()
    }
}

impl ModuleRegistry {
    /// The core module plus every module this crate provides: `mod_dlg`, `mod_conference`,
    /// `mod_mysql`, `mod_monitoring`, `mod_utils`, `mod_uri`, `mod_regex`, `mod_sys`.
    pub fn new() -> Self {
        let regexes = crate::modules::regex::RegexTable::default();
        let mut r = Self {
            core: Arc::new(crate::modules::core::module()),
            modules: HashMap::new(),
            regexes: regexes.clone(),
        };
        r.add_module(crate::modules::dlg::module());
        r.add_module(crate::modules::conference::module());
        r.add_module(crate::modules::mysql::module());
        r.add_module(crate::modules::monitoring::module());
        r.add_module(crate::modules::utils::module());
        r.add_module(crate::modules::uri::module());
        r.add_module(crate::modules::regex::module());
        r.add_module(crate::modules::sys::module());
        r
    }

    /// Only the core module: every `import` fails.
    pub fn core_only() -> Self {
        Self {
            core: Arc::new(crate::modules::core::module()),
            modules: HashMap::new(),
            regexes: crate::modules::regex::RegexTable::default(),
        }
    }

    /// Adds a module, replacing one of the same name.
    pub fn add_module(&mut self, module: Module) {
        self.modules.insert(module.name.clone(), Arc::new(module));
    }

    /// Replaces (or adds) one action of module `module` (`"core"` for the core module).
    pub fn set_action(
        &mut self,
        module: &str,
        name: &str,
        shape: ArgShape,
        handler: impl ActionHandler + 'static,
    ) -> Result<(), crate::Error> {
        let m = self.module_slot(module)?;
        Arc::make_mut(m).action(name, shape, handler);
        Ok(())
    }

    /// Replaces (or adds) one condition of module `module` (`"core"` for the core module).
    pub fn set_condition(
        &mut self,
        module: &str,
        name: &str,
        shape: ArgShape,
        event: Option<EventKind>,
        handler: impl ConditionHandler + 'static,
    ) -> Result<(), crate::Error> {
        let m = self.module_slot(module)?;
        Arc::make_mut(m).condition(name, shape, event, handler);
        Ok(())
    }

    fn module_slot(&mut self, module: &str) -> Result<&mut Arc<Module>, crate::Error> {
        if module == "core" {
            return Ok(&mut self.core);
        }
        self.modules
            .get_mut(module)
            .ok_or_else(|| crate::Error::UnknownModule(module.to_string()))
    }

    /// The module called `name`.
    pub fn module(&self, name: &str) -> Option<&Arc<Module>> {
        self.modules.get(name)
    }

    /// The core module.
    pub fn core(&self) -> &Arc<Module> {
        &self.core
    }

    /// Names of the importable modules (sorted).
    pub fn module_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.modules.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// Compiles `name=regex` for mod_regex into the shared table (SEMS's `preload` from
    /// `mod_regex.conf`). The table is shared by every session of collections loaded with
    /// this registry, as SEMS's is global.
    pub fn preload_regex(&self, name: &str, regex: &str) -> Result<(), String> {
        self.regexes.compile(name, regex)
    }
}
