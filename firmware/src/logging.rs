//! The `log` backend: SEMS's levels on stderr.
//!
//! SEMS users know `loglevel=0..3` (0 error, 1 warning, 2 info, 3 debug); `log`'s `Trace` is
//! reachable only as level 4, for developers. The level can change at run time (the management
//! port's `set_loglevel`), which is why it is read from `log::max_level` on every record.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use log::{Level, LevelFilter, Log, Metadata, Record};

/// Maps a SEMS log level (0 error .. 3 debug, 4 trace) to `log`'s filter.
pub fn sems_level_to_filter(level: u8) -> LevelFilter {
    match level {
        0 => LevelFilter::Error,
        1 => LevelFilter::Warn,
        2 => LevelFilter::Info,
        3 => LevelFilter::Debug,
        _ => LevelFilter::Trace,
    }
}

/// Maps `log`'s current filter back to a SEMS log level.
pub fn filter_to_sems_level(filter: LevelFilter) -> u8 {
    match filter {
        LevelFilter::Off | LevelFilter::Error => 0,
        LevelFilter::Warn => 1,
        LevelFilter::Info => 2,
        LevelFilter::Debug => 3,
        LevelFilter::Trace => 4,
    }
}

/// Sets the level that is printed, in SEMS's numbering.
pub fn set_level(level: u8) {
    log::set_max_level(sems_level_to_filter(level));
}

/// The current level, in SEMS's numbering.
pub fn level() -> u8 {
    filter_to_sems_level(log::max_level())
}

struct StderrLogger;

impl Log for StderrLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let tag = match record.level() {
            Level::Error => "ERROR",
            Level::Warn => "WARNING",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        };
        let stamp = utc_timestamp(SystemTime::now());
        let mut err = std::io::stderr().lock();
        // A closed stderr must not take the appliance down: drop the line.
        let _ = writeln!(err, "{stamp} {tag} [{}] {}", record.target(), record.args());
    }

    fn flush(&self) {
        let _ = std::io::stderr().flush();
    }
}

static LOGGER: StderrLogger = StderrLogger;

/// Installs the stderr logger at the given SEMS level. Calling it twice only changes the level.
pub fn init(level: u8) {
    // The `log` facade holds one process-wide logger by design; a second set_logger is harmless.
    let _ = log::set_logger(&LOGGER);
    set_level(level);
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` without a date crate (days-from-civil, Howard Hinnant).
fn utc_timestamp(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{:03}Z",
        d.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamp_is_civil_utc() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_833_045_123);
        assert_eq!(utc_timestamp(t), "2026-11-28T02:30:45.123Z");
        assert_eq!(utc_timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(utc_timestamp(leap), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn levels_round_trip() {
        for l in 0..=4 {
            assert_eq!(filter_to_sems_level(sems_level_to_filter(l)), l);
        }
    }
}
