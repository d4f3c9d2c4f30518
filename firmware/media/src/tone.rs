//! Tone generation: ringback and dial tone, DTMF tones for a local analog leg.
