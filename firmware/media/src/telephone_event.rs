//! RFC 4733 telephone-events: receiving and sending DTMF over RTP.
