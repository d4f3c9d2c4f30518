//! In-band DTMF detection: a fixed-point Goertzel detector for 8 kHz audio in 20 ms frames.
