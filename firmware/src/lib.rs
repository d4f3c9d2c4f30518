//! dsmbox, the appliance: one process that answers and places SIP calls, runs DSM call flows
//! on them, plays and records audio, mixes conferences, keeps a SQLite database and serves the
//! SEMS-compatible management port.
//!
//! This crate is the composition. The leaves (`sip`, `media`, `dsm`, `board`) are sans-IO and
//! know nothing of each other; the code here owns the sockets, files, clock and database, and
//! translates between their vocabularies.
//!
//! - [`cli`]: the command line (`dsmbox run`, `check`, `--version`, ...).
//! - [`config`]: SEMS-style `key=value` configuration files (`dsmbox.conf` or `sems.conf`).
//! - [`logging`]: the `log` backend with SEMS's levels (0 error .. 3 debug) on stderr.
//! - [`runtime`]: the tokio loop that owns the sockets and drives the cores.

#![forbid(unsafe_code)]

pub mod apps;
pub mod calls;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod load;
pub mod logging;
pub mod management;
pub mod net;
pub mod phone;
pub mod runtime;
pub mod setup;

pub use error::Error;
