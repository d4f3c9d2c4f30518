//! The sans-IO interpreter: [`session::Session`] runs events through a checked diagram;
//! [`event`] is what comes in, [`command`] what goes out, [`host::Host`] what must be
//! answered at once; [`values`] is how argument text becomes a value; [`context`] is the
//! view an action handler gets.

pub mod command;
pub mod context;
pub mod event;
pub mod host;
pub mod session;
pub mod values;
