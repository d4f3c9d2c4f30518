//! SEMS's playlist: WAV files, silence, separators, loops, flush, and an event when empty.
