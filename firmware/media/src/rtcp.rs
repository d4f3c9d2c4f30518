//! Minimal RTCP (RFC 3550 §6): receiver reports, and RTCP told apart from RTP.
