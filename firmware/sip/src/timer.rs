//! Time: the RFC 3261 timer values, enum-indexed timer tables, and the endpoint's schedule.
//!
//! Each state machine (transaction, call, registration) owns a [`TimerTable`] indexed by its
//! own timer enum, as quinn-proto's `TimerTable` does: the table is the truth about what is
//! armed. The [`Schedule`] is only an index over all tables (a binary heap), so that
//! `poll_timeout` does not have to scan every machine. Entries whose table slot changed since
//! they were pushed are stale and are skipped when they come up.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// RFC 3261 Table 4 base values. Defaults are the RFC's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// T1, the RTT estimate: 500 ms.
    pub t1: Duration,
    /// T2, the longest retransmit interval for non-INVITE requests and INVITE responses: 4 s.
    pub t2: Duration,
    /// T4, the longest a message stays in the network: 5 s.
    pub t4: Duration,
    /// Timer D, how long an INVITE client transaction absorbs retransmitted final responses
    /// over UDP: at least 32 s.
    pub timer_d: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            timer_d: Duration::from_secs(32),
        }
    }
}

impl TimerConfig {
    /// 64*T1: Timers B, F, H, J (and L, M of RFC 6026).
    pub fn t1_x64(&self) -> Duration {
        self.t1 * 64
    }
}

/// A timer enum usable as a table index.
pub(crate) trait TimerIndex: Copy {
    /// Position in the table.
    fn index(self) -> usize;
}

/// Deadlines indexed by a timer enum.
#[derive(Debug, Clone)]
pub(crate) struct TimerTable<const N: usize> {
    deadlines: [Option<Instant>; N],
}

impl<const N: usize> Default for TimerTable<N> {
    fn default() -> Self {
        TimerTable {
            deadlines: [None; N],
        }
    }
}

impl<const N: usize> TimerTable<N> {
    pub(crate) fn get(&self, t: impl TimerIndex) -> Option<Instant> {
        self.deadlines.get(t.index()).copied().flatten()
    }

    pub(crate) fn set(&mut self, t: impl TimerIndex, at: Instant) {
        if let Some(slot) = self.deadlines.get_mut(t.index()) {
            *slot = Some(at);
        }
    }

    pub(crate) fn stop(&mut self, t: impl TimerIndex) {
        if let Some(slot) = self.deadlines.get_mut(t.index()) {
            *slot = None;
        }
    }

    pub(crate) fn stop_all(&mut self) {
        self.deadlines = [None; N];
    }

    /// Whether `t` is armed for exactly `at` (a schedule entry is live).
    pub(crate) fn is(&self, t: impl TimerIndex, at: Instant) -> bool {
        self.get(t) == Some(at)
    }
}

/// Which machine owns a scheduled timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum TimerOwner {
    /// A transaction and one of its RFC 3261 timers.
    Transaction(crate::transaction::TxId, crate::transaction::TxTimer),
    /// A call and one of its UA-core timers.
    Call(crate::CallHandle, crate::endpoint::CallTimer),
    /// A registration and its refresh/retry timer.
    Account(crate::AccountHandle, crate::endpoint::AccountTimer),
}

/// The endpoint-wide index of armed timers.
#[derive(Debug, Default)]
pub(crate) struct Schedule {
    heap: BinaryHeap<Reverse<(Instant, u64, TimerOwner)>>,
    seq: u64,
}

impl Schedule {
    /// Records that `owner` is armed for `at` (its own table must say so too).
    pub(crate) fn push(&mut self, at: Instant, owner: TimerOwner) {
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, owner)));
    }

    /// The earliest entry, without checking whether it is live.
    pub(crate) fn peek(&self) -> Option<(Instant, TimerOwner)> {
        self.heap
            .peek()
            .map(|Reverse((at, _, owner))| (*at, *owner))
    }

    /// Removes the earliest entry.
    pub(crate) fn pop(&mut self) -> Option<(Instant, TimerOwner)> {
        self.heap.pop().map(|Reverse((at, _, owner))| (at, owner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy)]
    enum T {
        A,
        B,
    }
    impl TimerIndex for T {
        fn index(self) -> usize {
            self as usize
        }
    }

    #[test]
    fn table_tracks_deadlines() {
        let now = Instant::now();
        let mut t: TimerTable<2> = TimerTable::default();
        t.set(T::A, now);
        assert!(t.is(T::A, now));
        assert_eq!(t.get(T::B), None);
        t.stop(T::A);
        assert!(!t.is(T::A, now));
    }

    #[test]
    fn defaults_are_the_rfc_values() {
        let c = TimerConfig::default();
        assert_eq!(c.t1_x64(), Duration::from_secs(32));
        assert_eq!(c.t2, Duration::from_secs(4));
        assert_eq!(c.t4, Duration::from_secs(5));
    }
}
