//! RTP sessions (RFC 3550) on top of rtp-rs: sequence and timestamp handling, symmetric RTP, timeouts.
