//! Load-time diagnostics and the crate's error type.
//!
//! Every load problem is a [`Diagnostic`] that names the file (the *included* file, not the
//! preprocessed concatenation), line and column, and displays as `file:line:col: message`.
//! Loading collects every diagnostic it can find instead of stopping at the first.

use std::fmt;

/// A byte range in one script's preprocessed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }
}

/// A position in a source file, 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The file as the loader was asked for it.
    pub file: String,
    /// Line, from 1.
    pub line: u32,
    /// Column in characters, from 1.
    pub col: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The script is accepted; something looks wrong (SEMS logs these and loads anyway).
    Warning,
    /// The script is rejected.
    Error,
}

/// One load-time finding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where; `line` and `col` are 0 when the problem concerns a whole file.
    pub location: Location,
    /// What, in one sentence.
    pub message: String,
}

impl Diagnostic {
    /// An error at `location`.
    pub fn error(location: Location, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            location,
            message: message.into(),
        }
    }

    /// A warning at `location`.
    pub fn warning(location: Location, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            location,
            message: message.into(),
        }
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loc = &self.location;
        if loc.line == 0 {
            write!(f, "{}: ", loc.file)?;
        } else {
            write!(f, "{loc}: ")?;
        }
        if self.severity == Severity::Warning {
            write!(f, "warning: ")?;
        }
        write!(f, "{}", self.message)
    }
}

/// Errors of this crate's API (script problems are [`Diagnostic`]s, not this).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A session was asked to start a diagram the collection does not have.
    #[error("diagram '{0}' is not loaded")]
    UnknownDiagram(String),
    /// The start diagram has no initial state.
    #[error("diagram '{0}' has no initial state")]
    NoInitialState(String),
    /// `start()` was called twice, or an event came before `start()`.
    #[error("session {0}")]
    Lifecycle(&'static str),
    /// A module name that the registry does not know.
    #[error("unknown module '{0}'")]
    UnknownModule(String),
}
