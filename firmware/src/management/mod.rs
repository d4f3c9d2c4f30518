//! The management port: SEMS-compatible XML-RPC (xmlrpc2di), the monitoring store and `dsmbox ctl`.

pub mod api;
pub mod base64;
pub mod client;
pub mod config;
pub mod ctl;
pub mod host;
pub mod http;
pub mod monitoring;
pub mod posix_bre;
pub mod server;
pub mod testing;
pub mod value;
pub mod xmlrpc;

pub use api::Api;
pub use client::{Client, ClientError};
pub use config::XmlRpcConfig;
pub use ctl::ctl_main;
pub use host::{CallStats, ManagementHost, Status};
pub use monitoring::{Monitor, MonitoringConfig, MonitoringStore};
pub use server::{CallQueue, PendingCall, XmlRpcServer, serve};
pub use value::{DateTime, Value};
pub use xmlrpc::{Fault, MethodCall};
