//! The management port: SEMS-compatible XML-RPC (xmlrpc2di), the monitoring store and `dsmbox ctl`.

pub mod base64;
pub mod monitoring;
pub mod value;
pub mod xmlrpc;

pub use value::{DateTime, Value};
pub use xmlrpc::{Fault, MethodCall};
