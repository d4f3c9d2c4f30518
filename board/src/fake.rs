//! Fakes for tests of the layers above: pins whose level a test sets or reads, and audio
//! devices that play back a script and record what they were given.

use std::cell::Cell;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::rc::Rc;

use embedded_hal::digital::{ErrorType, InputPin, OutputPin, StatefulOutputPin};

use crate::audio::{AudioDevice, AudioFrame, FRAME_SAMPLES};

/// A pin shared between the code under test and the test: clones see the same level.
#[derive(Debug, Clone, Default)]
pub struct FakePin {
    level: Rc<Cell<bool>>,
    writes: Rc<Cell<u32>>,
}

impl FakePin {
    /// A pin at the given level.
    pub fn new(high: bool) -> FakePin {
        let p = FakePin::default();
        p.level.set(high);
        p
    }

    /// Sets the level the code under test will read (an input driven by the test).
    pub fn set(&self, high: bool) {
        self.level.set(high);
    }

    /// The level last written by the code under test (an output observed by the test).
    pub fn get(&self) -> bool {
        self.level.get()
    }

    /// How many times the code under test wrote the pin.
    pub fn writes(&self) -> u32 {
        self.writes.get()
    }
}

impl ErrorType for FakePin {
    type Error = Infallible;
}

impl InputPin for FakePin {
    fn is_high(&mut self) -> Result<bool, Infallible> {
        Ok(self.level.get())
    }
    fn is_low(&mut self) -> Result<bool, Infallible> {
        Ok(!self.level.get())
    }
}

impl OutputPin for FakePin {
    fn set_low(&mut self) -> Result<(), Infallible> {
        self.level.set(false);
        self.writes.set(self.writes.get() + 1);
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Infallible> {
        self.level.set(true);
        self.writes.set(self.writes.get() + 1);
        Ok(())
    }
}

impl StatefulOutputPin for FakePin {
    fn is_set_high(&mut self) -> Result<bool, Infallible> {
        Ok(self.level.get())
    }
    fn is_set_low(&mut self) -> Result<bool, Infallible> {
        Ok(!self.level.get())
    }
}

/// An audio device that captures from a script (then silence) and records what it plays.
#[derive(Debug, Default)]
pub struct ScriptedAudio {
    to_capture: VecDeque<i16>,
    /// Every sample given to `playback`, in order.
    pub played: Vec<i16>,
}

impl ScriptedAudio {
    /// A device whose microphone will deliver `samples`, then silence.
    pub fn new(samples: &[i16]) -> ScriptedAudio {
        ScriptedAudio {
            to_capture: samples.iter().copied().collect(),
            played: Vec::new(),
        }
    }
}

impl AudioDevice for ScriptedAudio {
    fn capture(&mut self, frame: &mut AudioFrame) -> Result<(), crate::Error> {
        for s in frame.iter_mut() {
            *s = self.to_capture.pop_front().unwrap_or(0);
        }
        Ok(())
    }
    fn playback(&mut self, frame: &AudioFrame) -> Result<(), crate::Error> {
        self.played.extend_from_slice(frame);
        Ok(())
    }
}

/// An audio device whose microphone hears its own speaker one frame later (an echo path).
#[derive(Debug, Default)]
pub struct LoopbackAudio {
    pending: VecDeque<AudioFrame>,
}

impl AudioDevice for LoopbackAudio {
    fn capture(&mut self, frame: &mut AudioFrame) -> Result<(), crate::Error> {
        *frame = self.pending.pop_front().unwrap_or([0; FRAME_SAMPLES]);
        Ok(())
    }
    fn playback(&mut self, frame: &AudioFrame) -> Result<(), crate::Error> {
        self.pending.push_back(*frame);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_audio_captures_script_then_silence_and_records() {
        let mut dev = ScriptedAudio::new(&[1, 2, 3]);
        let mut f = [9; FRAME_SAMPLES];
        dev.capture(&mut f).unwrap();
        assert_eq!(&f[..4], &[1, 2, 3, 0]);
        dev.playback(&[7; FRAME_SAMPLES]).unwrap();
        assert_eq!(dev.played.len(), FRAME_SAMPLES);
    }

    #[test]
    fn loopback_returns_what_was_played() {
        let mut dev = LoopbackAudio::default();
        let mut f = [0; FRAME_SAMPLES];
        dev.playback(&[5; FRAME_SAMPLES]).unwrap();
        dev.capture(&mut f).unwrap();
        assert_eq!(f, [5; FRAME_SAMPLES]);
        dev.capture(&mut f).unwrap();
        assert_eq!(f, [0; FRAME_SAMPLES]);
    }
}
