//! WAV (RIFF) reading and writing: 16-bit PCM and G.711, with resampling to 8 kHz.
