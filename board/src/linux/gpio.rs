//! GPIO lines through the character device (`/dev/gpiochipN`), as embedded-hal pins.

use linux_embedded_hal::CdevPin;
use linux_embedded_hal::gpio_cdev::{Chip, LineRequestFlags};

use crate::Error;

/// The consumer name the kernel shows for our lines (`gpioinfo`).
const CONSUMER: &str = "dsmbox";

fn request(chip: &str, line: u32, flags: LineRequestFlags, default: u8) -> Result<CdevPin, Error> {
    let err = |e: &dyn std::fmt::Display| Error::Gpio {
        chip: chip.to_string(),
        line,
        reason: e.to_string(),
    };
    let mut c = Chip::new(chip).map_err(|e| err(&e))?;
    let handle = c
        .get_line(line)
        .and_then(|l| l.request(flags, default, CONSUMER))
        .map_err(|e| err(&e))?;
    CdevPin::new(handle).map_err(|e| err(&e))
}

/// Opens line `line` of `chip` as an input (hook switch).
pub fn open_input(chip: &str, line: u32) -> Result<CdevPin, Error> {
    request(chip, line, LineRequestFlags::INPUT, 0)
}

/// Opens line `line` of `chip` as an output, initially low (ring relay, LEDs).
pub fn open_output(chip: &str, line: u32) -> Result<CdevPin, Error> {
    request(chip, line, LineRequestFlags::OUTPUT, 0)
}
