//! The N-1 conference mixer: rooms by name, each participant hears the sum of all others.
