//! The modules this crate implements. Each file is one SEMS module (`apps/dsm/mods/mod_*`
//! and `DSMCoreModule`), with its actions and conditions and a note on where it differs.

pub(crate) mod conference;
pub(crate) mod core;
pub(crate) mod dlg;
pub(crate) mod monitoring;
pub(crate) mod mysql;
pub mod regex;
pub(crate) mod sql;
pub(crate) mod sys;
pub(crate) mod uri;
pub(crate) mod utils;
