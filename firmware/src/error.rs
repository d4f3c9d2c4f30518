//! The firmware's error type: everything that can stop a command from doing its job.

use std::path::PathBuf;

/// Why a firmware operation failed. Configuration errors carry the file, line and column.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration file has errors; each entry is already formatted as `file:line:col: message`.
    #[error("{}", .0.join("\n"))]
    Config(Vec<String>),
    /// A file or directory could not be read.
    #[error("{path}: {source}")]
    Io {
        /// What we tried to read or write.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The command line could not be understood.
    #[error("{0}")]
    Usage(String),
}
