//! The recorder: writes 8 kHz 16-bit WAV.
