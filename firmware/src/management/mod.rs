//! The management port: SEMS-compatible XML-RPC (xmlrpc2di), the monitoring store and `dsmbox ctl`.
