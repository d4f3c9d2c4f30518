//! From text to tree: the tokenizer ([`token`], nom), SEMS's argument-splitting helpers
//! ([`text`]), the span-carrying tree ([`ast`]) and the stack-machine parser ([`parser`]).

pub mod ast;
pub mod parser;
pub mod text;
pub mod token;

pub use parser::{Issue, IssueLevel, ParseOutput, parse};
