//! The telephone-line I/O of an analog port: hook switch, ring relay and status LEDs.
//!
//! Each is generic over an `embedded-hal` pin and sans-IO in time: the owner passes `now` in
//! milliseconds (any monotonic origin), asks [`poll_timeout`](RingRelay::poll_timeout) when to
//! call again, and gets events back as values. The Linux build plugs in character-device GPIO
//! pins; tests plug in [`crate::fake::FakePin`].

use embedded_hal::digital::{InputPin, OutputPin};

use crate::Error;

fn pin_err(e: impl core::fmt::Debug) -> Error {
    Error::Pin(format!("{e:?}"))
}

/// What the hook switch reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookEvent {
    /// The handset was lifted (or the line seized).
    OffHook,
    /// The handset was put down for longer than a flash.
    OnHook,
    /// A short on-hook (hook flash / "R" key), within the flash window.
    Flash,
}

/// Timing of the hook switch. Defaults follow common analog practice: 30 ms debounce, a flash
/// is an on-hook of 80 to 600 ms (ETSI and Telcordia windows overlap there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HookTiming {
    /// The level the pin reads when the handset is off hook.
    pub off_hook_high: bool,
    /// A level must be stable this long to count.
    pub debounce_ms: u64,
    /// Shortest on-hook that counts as a flash (shorter ones are contact bounce).
    pub flash_min_ms: u64,
    /// Longest on-hook that counts as a flash; longer is a hang-up.
    pub flash_max_ms: u64,
}

impl Default for HookTiming {
    fn default() -> Self {
        HookTiming {
            off_hook_high: true,
            debounce_ms: 30,
            flash_min_ms: 80,
            flash_max_ms: 600,
        }
    }
}

/// A debounced hook switch with flash detection.
#[derive(Debug)]
pub struct HookSwitch<P> {
    pin: P,
    timing: HookTiming,
    /// The debounced state: true = off hook.
    off_hook: bool,
    /// A raw level seen since `since`, not yet stable.
    candidate: Option<(bool, u64)>,
    /// Off hook -> on hook happened at this time; OnHook is reported once the flash window passes.
    on_hook_since: Option<u64>,
}

impl<P: InputPin> HookSwitch<P> {
    /// A hook switch that starts on hook.
    pub fn new(pin: P, timing: HookTiming) -> HookSwitch<P> {
        HookSwitch {
            pin,
            timing,
            off_hook: false,
            candidate: None,
            on_hook_since: None,
        }
    }

    /// Whether the handset is off hook, as last reported.
    pub fn is_off_hook(&self) -> bool {
        self.off_hook || self.on_hook_since.is_some()
    }

    /// Samples the pin at `now` and returns an event when the debounced state changes.
    pub fn poll(&mut self, now: u64) -> Result<Option<HookEvent>, Error> {
        let raw_off_hook = self.pin.is_high().map_err(pin_err)? == self.timing.off_hook_high;
        // Debounce: a new level must stay put for debounce_ms.
        let stable = match self.candidate {
            Some((level, since)) if level == raw_off_hook => {
                if now.saturating_sub(since) >= self.timing.debounce_ms {
                    self.candidate = None;
                    Some(level)
                } else {
                    None
                }
            }
            _ if raw_off_hook == self.off_hook => {
                self.candidate = None;
                None
            }
            _ => {
                self.candidate = Some((raw_off_hook, now));
                None
            }
        };
        if let Some(level) = stable
            && level != self.off_hook
        {
            self.off_hook = level;
            if !level {
                self.on_hook_since = Some(now);
            } else if let Some(since) = self.on_hook_since.take() {
                // Back off hook within the flash window: a flash, not a new call.
                let down = now.saturating_sub(since);
                return Ok((down >= self.timing.flash_min_ms).then_some(HookEvent::Flash));
            } else {
                return Ok(Some(HookEvent::OffHook));
            }
        }
        if let Some(since) = self.on_hook_since
            && now.saturating_sub(since) > self.timing.flash_max_ms
        {
            self.on_hook_since = None;
            return Ok(Some(HookEvent::OnHook));
        }
        Ok(None)
    }
}

/// One segment of a ring cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CadenceStep {
    /// Whether the ringer is energised during this step.
    pub ring: bool,
    /// How long the step lasts.
    pub ms: u32,
}

/// Ring cadences in use on analog lines.
pub mod cadence {
    use super::CadenceStep;

    /// North America and SEMS's ringtone default: 2 s on, 4 s off.
    pub const US: &[CadenceStep] = &[
        CadenceStep {
            ring: true,
            ms: 2000,
        },
        CadenceStep {
            ring: false,
            ms: 4000,
        },
    ];
    /// Europe (ETSI, Germany): 1 s on, 4 s off.
    pub const EU: &[CadenceStep] = &[
        CadenceStep {
            ring: true,
            ms: 1000,
        },
        CadenceStep {
            ring: false,
            ms: 4000,
        },
    ];
    /// UK double ring: 0.4 on, 0.2 off, 0.4 on, 2.0 off.
    pub const UK: &[CadenceStep] = &[
        CadenceStep {
            ring: true,
            ms: 400,
        },
        CadenceStep {
            ring: false,
            ms: 200,
        },
        CadenceStep {
            ring: true,
            ms: 400,
        },
        CadenceStep {
            ring: false,
            ms: 2000,
        },
    ];
}

/// A ring relay driven through a cadence.
#[derive(Debug)]
pub struct RingRelay<P> {
    pin: P,
    cadence: &'static [CadenceStep],
    /// (current step, when it ends) while ringing.
    state: Option<(usize, u64)>,
}

impl<P: OutputPin> RingRelay<P> {
    /// A relay, released, that will ring with `cadence` (an empty cadence never rings).
    pub fn new(mut pin: P, cadence: &'static [CadenceStep]) -> Result<RingRelay<P>, Error> {
        pin.set_low().map_err(pin_err)?;
        Ok(RingRelay {
            pin,
            cadence,
            state: None,
        })
    }

    /// Whether the relay is currently going through its cadence.
    pub fn is_ringing(&self) -> bool {
        self.state.is_some()
    }

    /// Starts ringing at `now` from the first step of the cadence.
    pub fn start(&mut self, now: u64) -> Result<(), Error> {
        let Some(first) = self.cadence.first() else {
            return Ok(());
        };
        self.set(first.ring)?;
        self.state = Some((0, now + u64::from(first.ms)));
        Ok(())
    }

    /// Stops ringing and releases the relay.
    pub fn stop(&mut self) -> Result<(), Error> {
        self.state = None;
        self.set(false)
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.state.map(|(_, until)| until)
    }

    /// Advances the cadence to `now`.
    pub fn handle_timeout(&mut self, now: u64) -> Result<(), Error> {
        while let Some((step, until)) = self.state {
            if now < until {
                break;
            }
            let next = (step + 1) % self.cadence.len();
            let s = self.cadence[next];
            self.set(s.ring)?;
            // Keep the cadence on its own time base even if we are called late.
            self.state = Some((next, until + u64::from(s.ms.max(1))));
        }
        Ok(())
    }

    fn set(&mut self, on: bool) -> Result<(), Error> {
        if on {
            self.pin.set_high().map_err(pin_err)
        } else {
            self.pin.set_low().map_err(pin_err)
        }
    }
}

/// What a status LED shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedPattern {
    /// Dark.
    Off,
    /// Lit.
    On,
    /// Blinking.
    Blink {
        /// Lit time.
        on_ms: u32,
        /// Dark time.
        off_ms: u32,
    },
}

/// A status LED (registered, in call, error...).
#[derive(Debug)]
pub struct Led<P> {
    pin: P,
    pattern: LedPattern,
    lit: bool,
    next: Option<u64>,
}

impl<P: OutputPin> Led<P> {
    /// An LED, dark.
    pub fn new(mut pin: P) -> Result<Led<P>, Error> {
        pin.set_low().map_err(pin_err)?;
        Ok(Led {
            pin,
            pattern: LedPattern::Off,
            lit: false,
            next: None,
        })
    }

    /// Shows `pattern` from `now`.
    pub fn set(&mut self, pattern: LedPattern, now: u64) -> Result<(), Error> {
        self.pattern = pattern;
        match pattern {
            LedPattern::Off => {
                self.next = None;
                self.light(false)
            }
            LedPattern::On => {
                self.next = None;
                self.light(true)
            }
            LedPattern::Blink { on_ms, .. } => {
                self.next = Some(now + u64::from(on_ms.max(1)));
                self.light(true)
            }
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.next
    }

    /// Advances a blink to `now`.
    pub fn handle_timeout(&mut self, now: u64) -> Result<(), Error> {
        let LedPattern::Blink { on_ms, off_ms } = self.pattern else {
            return Ok(());
        };
        while let Some(at) = self.next {
            if now < at {
                break;
            }
            let lit = !self.lit;
            self.light(lit)?;
            let dur = if lit { on_ms } else { off_ms };
            self.next = Some(at + u64::from(dur.max(1)));
        }
        Ok(())
    }

    fn light(&mut self, on: bool) -> Result<(), Error> {
        self.lit = on;
        if on {
            self.pin.set_high().map_err(pin_err)
        } else {
            self.pin.set_low().map_err(pin_err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::FakePin;

    /// Samples the hook every 5 ms from `from` to `to`, collecting events.
    fn run(hook: &mut HookSwitch<FakePin>, from: u64, to: u64) -> Vec<(u64, HookEvent)> {
        let mut out = Vec::new();
        let mut t = from;
        while t <= to {
            if let Some(e) = hook.poll(t).unwrap() {
                out.push((t, e));
            }
            t += 5;
        }
        out
    }

    #[test]
    fn off_hook_is_reported_after_debounce_and_bounces_are_ignored() {
        let pin = FakePin::new(false);
        let mut hook = HookSwitch::new(pin.clone(), HookTiming::default());
        // 10 ms of contact bounce.
        pin.set(true);
        assert!(run(&mut hook, 0, 10).is_empty());
        pin.set(false);
        assert!(run(&mut hook, 15, 100).is_empty());
        pin.set(true);
        let ev = run(&mut hook, 105, 200);
        assert_eq!(ev, vec![(135, HookEvent::OffHook)]);
        assert!(hook.is_off_hook());
    }

    #[test]
    fn short_on_hook_is_a_flash_long_one_a_hang_up() {
        let pin = FakePin::new(true);
        let mut hook = HookSwitch::new(pin.clone(), HookTiming::default());
        assert_eq!(run(&mut hook, 0, 50), vec![(30, HookEvent::OffHook)]);
        pin.set(false);
        assert!(run(&mut hook, 55, 250).is_empty());
        pin.set(true);
        assert_eq!(run(&mut hook, 255, 400), vec![(285, HookEvent::Flash)]);
        pin.set(false);
        let ev = run(&mut hook, 405, 1200);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].1, HookEvent::OnHook);
        assert!(ev[0].0 > 405 + 600 && ev[0].0 <= 405 + 30 + 610);
        assert!(!hook.is_off_hook());
    }

    #[test]
    fn ring_relay_follows_the_cadence_on_its_own_time_base() {
        let pin = FakePin::new(false);
        let mut relay = RingRelay::new(pin.clone(), cadence::UK).unwrap();
        relay.start(1000).unwrap();
        assert!(pin.get());
        assert_eq!(relay.poll_timeout(), Some(1400));
        relay.handle_timeout(1400).unwrap();
        assert!(!pin.get());
        // Called late: catches up through the 200 ms gap into the second ring.
        relay.handle_timeout(1650).unwrap();
        assert!(pin.get());
        assert_eq!(relay.poll_timeout(), Some(2000));
        relay.handle_timeout(2000).unwrap();
        assert!(!pin.get());
        assert_eq!(relay.poll_timeout(), Some(4000));
        relay.stop().unwrap();
        assert!(!pin.get() && !relay.is_ringing() && relay.poll_timeout().is_none());
    }

    #[test]
    fn led_blinks_and_stops() {
        let pin = FakePin::new(false);
        let mut led = Led::new(pin.clone()).unwrap();
        led.set(
            LedPattern::Blink {
                on_ms: 100,
                off_ms: 900,
            },
            0,
        )
        .unwrap();
        assert!(pin.get());
        led.handle_timeout(100).unwrap();
        assert!(!pin.get());
        led.handle_timeout(999).unwrap();
        assert!(!pin.get());
        led.handle_timeout(1000).unwrap();
        assert!(pin.get());
        led.set(LedPattern::Off, 1001).unwrap();
        assert!(!pin.get() && led.poll_timeout().is_none());
    }
}
