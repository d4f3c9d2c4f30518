//! An [`AudioDevice`] on ALSA: 8 kHz, mono, S16 little-endian, 20 ms periods.

use alsa::pcm::{Access, Format, HwParams, PCM};
use alsa::{Direction, ValueOr};

use crate::Error;
use crate::audio::{AudioDevice, AudioFrame, FRAME_SAMPLES, SAMPLE_RATE};

/// A full-duplex ALSA device: one PCM for capture and one for playback.
pub struct AlsaAudio {
    capture: Option<PCM>,
    playback: Option<PCM>,
    name: String,
}

impl std::fmt::Debug for AlsaAudio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlsaAudio")
            .field("name", &self.name)
            .finish()
    }
}

fn open_pcm(device: &str, dir: Direction) -> Result<PCM, Error> {
    let err = |e: alsa::Error| Error::AudioOpen {
        device: device.to_string(),
        reason: e.to_string(),
    };
    let pcm = PCM::new(device, dir, false).map_err(err)?;
    {
        let hwp = HwParams::any(&pcm).map_err(err)?;
        hwp.set_channels(1).map_err(err)?;
        hwp.set_rate(SAMPLE_RATE, ValueOr::Nearest).map_err(err)?;
        hwp.set_format(Format::s16()).map_err(err)?;
        hwp.set_access(Access::RWInterleaved).map_err(err)?;
        // 20 ms periods, four of them buffered: 80 ms of slack for a busy single core.
        hwp.set_period_size_near(FRAME_SAMPLES as alsa::pcm::Frames, ValueOr::Nearest)
            .map_err(err)?;
        hwp.set_buffer_size_near(4 * FRAME_SAMPLES as alsa::pcm::Frames)
            .map_err(err)?;
        pcm.hw_params(&hwp).map_err(err)?;
        let rate = hwp.get_rate().map_err(err)?;
        if rate != SAMPLE_RATE {
            return Err(Error::AudioOpen {
                device: device.to_string(),
                reason: format!(
                    "device runs at {rate} Hz, not {SAMPLE_RATE}; use a plughw: device"
                ),
            });
        }
    }
    pcm.prepare().map_err(err)?;
    Ok(pcm)
}

impl AlsaAudio {
    /// Opens `capture_device` and `playback_device` (often the same name). `None` leaves that
    /// direction out: capture then yields silence, playback discards.
    pub fn open(
        capture_device: Option<&str>,
        playback_device: Option<&str>,
    ) -> Result<AlsaAudio, Error> {
        let capture = capture_device
            .map(|d| open_pcm(d, Direction::Capture))
            .transpose()?;
        let playback = playback_device
            .map(|d| open_pcm(d, Direction::Playback))
            .transpose()?;
        if let Some(c) = &capture {
            c.start().map_err(|e| Error::AudioIo(e.to_string()))?;
        }
        Ok(AlsaAudio {
            capture,
            playback,
            name: format!(
                "{}/{}",
                capture_device.unwrap_or("-"),
                playback_device.unwrap_or("-")
            ),
        })
    }
}

/// Runs `op`; on an xrun or suspend, lets ALSA recover once and retries.
fn with_recovery(
    pcm: &PCM,
    mut op: impl FnMut(&PCM) -> alsa::Result<usize>,
) -> Result<usize, Error> {
    match op(pcm) {
        Ok(n) => Ok(n),
        Err(e) => {
            pcm.recover(e.errno(), true)
                .map_err(|e2| Error::AudioIo(format!("{e} (recovery failed: {e2})")))?;
            op(pcm).map_err(|e| Error::AudioIo(e.to_string()))
        }
    }
}

impl AudioDevice for AlsaAudio {
    fn capture(&mut self, frame: &mut AudioFrame) -> Result<(), Error> {
        let Some(pcm) = &self.capture else {
            frame.fill(0);
            return Ok(());
        };
        let mut done = 0;
        while done < FRAME_SAMPLES {
            let io = pcm.io_i16().map_err(|e| Error::AudioIo(e.to_string()))?;
            let n = with_recovery(pcm, |_| io.readi(&mut frame[done..]))?;
            if n == 0 {
                // A capture source that has ended (file plugin at EOF): silence for the rest.
                frame[done..].fill(0);
                break;
            }
            done += n;
        }
        Ok(())
    }

    fn playback(&mut self, frame: &AudioFrame) -> Result<(), Error> {
        let Some(pcm) = &self.playback else {
            return Ok(());
        };
        let mut done = 0;
        while done < FRAME_SAMPLES {
            let io = pcm.io_i16().map_err(|e| Error::AudioIo(e.to_string()))?;
            done += with_recovery(pcm, |_| io.writei(&frame[done..]))?;
        }
        Ok(())
    }
}

impl Drop for AlsaAudio {
    fn drop(&mut self) {
        if let Some(p) = &self.playback {
            // Let the last frames out (file plugin: flush them to the file).
            let _ = p.drain();
        }
    }
}
