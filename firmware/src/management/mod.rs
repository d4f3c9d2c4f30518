//! The management port: SEMS-compatible XML-RPC (xmlrpc2di), the monitoring store and `dsmbox ctl`.

pub mod api;
pub mod base64;
pub mod config;
pub mod host;
pub mod monitoring;
pub mod posix_bre;
pub mod testing;
pub mod value;
pub mod xmlrpc;

pub use api::Api;
pub use config::XmlRpcConfig;
pub use host::{CallStats, ManagementHost, Status};
pub use monitoring::{Monitor, MonitoringConfig, MonitoringStore};
pub use value::{DateTime, Value};
pub use xmlrpc::{Fault, MethodCall};
