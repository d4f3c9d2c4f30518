//! The jitter buffer: reordering, duplicate removal, late-packet drop and loss concealment.
