//! Non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6).
//!
//! ```text
//!          request sent: Timer E = T1, Timer F = 64*T1
//! Trying --1xx--> Proceeding --200-699--> Completed (Timer K = T4) --K--> Terminated
//!   \--200-699--> Completed
//! Timer E: retransmit; in Trying E = min(2E, T2), in Proceeding E = T2.
//! Timer F: Terminated, report a timeout.
//! ```

use super::{Io, TimerOutcome, TxCore, TxTimer};
use crate::msg::StatusCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Trying,
    Proceeding,
    Completed,
    Terminated,
}

#[derive(Debug)]
pub(crate) struct ClientNonInvite {
    state: State,
    bytes: Vec<u8>,
    interval_e: std::time::Duration,
}

impl ClientNonInvite {
    pub(crate) fn start(core: &mut TxCore, io: &mut Io<'_>, bytes: Vec<u8>) -> Self {
        core.send(io, &bytes);
        let t1 = core.config.t1;
        core.arm(io, TxTimer::E, t1);
        core.arm(io, TxTimer::F, core.config.t1_x64());
        ClientNonInvite {
            state: State::Trying,
            bytes,
            interval_e: t1,
        }
    }

    pub(crate) fn terminated(&self) -> bool {
        self.state == State::Terminated
    }

    /// Returns whether the response goes up to the TU.
    pub(crate) fn on_response(
        &mut self,
        core: &mut TxCore,
        io: &mut Io<'_>,
        status: StatusCode,
    ) -> bool {
        match self.state {
            State::Trying | State::Proceeding if status.is_provisional() => {
                self.state = State::Proceeding;
                true
            }
            State::Trying | State::Proceeding => {
                core.timers.stop_all();
                core.arm(io, TxTimer::K, core.config.t4);
                self.state = State::Completed;
                true
            }
            State::Completed | State::Terminated => false,
        }
    }

    pub(crate) fn on_timer(
        &mut self,
        core: &mut TxCore,
        io: &mut Io<'_>,
        timer: TxTimer,
    ) -> TimerOutcome {
        match (self.state, timer) {
            (State::Trying, TxTimer::E) => {
                core.resend(io, &self.bytes);
                self.interval_e = (self.interval_e * 2).min(core.config.t2);
                core.arm(io, TxTimer::E, self.interval_e);
                TimerOutcome::Nothing
            }
            (State::Proceeding, TxTimer::E) => {
                core.resend(io, &self.bytes);
                core.arm(io, TxTimer::E, core.config.t2);
                TimerOutcome::Nothing
            }
            (State::Trying | State::Proceeding, TxTimer::F) => {
                core.timers.stop_all();
                self.state = State::Terminated;
                TimerOutcome::Timeout
            }
            (State::Completed, TxTimer::K) => {
                self.state = State::Terminated;
                TimerOutcome::Nothing
            }
            _ => TimerOutcome::Nothing,
        }
    }
}
