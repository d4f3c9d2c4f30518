//! The DSM language (DonkeySM, the state-machine call-flow language of the SEMS media server):
//! parser, load-time checker and a sans-IO interpreter.
//!
//! `../shared/spec/dsm.md` (kept as `docs/dsm-spec.md` references) is the authority on
//! semantics. This crate does no I/O and reads no clock: script text comes in through a
//! source loader, events come in with `now`, and everything that touches the world goes out
//! as commands or calls on a small host trait implemented by `firmware`.

#![forbid(unsafe_code)]
