//! The DSM language (DonkeySM, the state-machine call-flow language of the SEMS media
//! server): parser, load-time checker and a sans-IO interpreter, compatible with the scripts
//! SEMS runs today. `shared/spec/dsm.md` is the authority on semantics; `README.md` in this
//! crate lists every deliberate difference from SEMS and why.
//!
//! # Loading
//!
//! Script text comes in through a [`SourceLoader`] (`firmware` implements it on `std::fs`,
//! tests use [`MemoryLoader`]). [`Collection::load`] preprocesses (`#include`), parses and
//! checks a whole bundle against a [`ModuleRegistry`] and returns every problem as a
//! [`Diagnostic`] (`file:line:col: message`). A loaded collection is immutable; share it with
//! `Arc` so calls keep their version across reloads.
//!
//! # Running
//!
//! One [`Session`] per call leg or system DSM, the same loop shape as the other cores:
//!
//! ```text
//! session.start(now, &mut host)?;                 // init + `start` event
//! loop {
//!     session.handle_event(now, event, &mut host); // or handle_timeout(now, &mut host)
//!     while let Some(cmd) = session.poll_command() { /* carry it out */ }
//!     let wake = session.poll_timeout();           // next setTimer deadline
//!     if session.is_stopped() { /* beforeDestroy, then drop */ }
//! }
//! ```
//!
//! Events the script's own commands cause (a reply with SDP completes offer/answer and so
//! raises `earlySession`/`sessionStart`) are fed back by the host *after* the current event,
//! not nested inside it (spec §3.9).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod check;
pub mod collection;
pub mod error;
pub mod modules;
pub mod program;
pub mod registry;
pub mod runtime;
pub mod source;
pub mod syntax;

pub use check::LoadOptions;
pub use collection::Collection;
pub use error::{Diagnostic, Error, Location, Severity, Span};
pub use program::Diagram;
pub use registry::{
    ActionHandler, ArgShape, Args, ConditionHandler, Flow, Module, ModuleRegistry, Throw,
};
pub use runtime::command::{
    B2BCommand, Command, ConferenceCommand, Dialout, LogLevel, MediaCommand, MonitoringCommand,
    Position,
};
pub use runtime::context::{ActionCtx, ConditionCtx};
pub use runtime::event::{Event, EventKind, Params, p_app_param_vars};
pub use runtime::host::{
    DbError, DbExecution, DbRows, DiArg, DiValue, Host, NullHost, SqlStatement, SqlValue,
};
pub use runtime::session::{
    EventOutcome, MAX_STEPS_PER_EVENT, Session, SessionConfig, SessionKind, SessionOptions,
};
pub use runtime::values::{DialogInfo, Vars};
pub use source::{MemoryLoader, PathKind, SourceLoader};
