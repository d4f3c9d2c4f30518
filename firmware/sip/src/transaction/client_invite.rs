//! INVITE client transaction (RFC 3261 §17.1.1, Figure 5; RFC 6026 Accepted state).
//!
//! ```text
//!            INVITE sent: Timer A = T1, Timer B = 64*T1
//! Calling --1xx--> Proceeding --2xx--> Accepted (Timer M) --M--> Terminated
//!    |  \--2xx--> Accepted         \--300-699: send ACK--> Completed (Timer D) --D--> Terminated
//!    \--300-699: send ACK--> Completed
//! Timer A: retransmit, double A.   Timer B: Terminated, report a timeout.
//! ```

use super::{Io, TimerOutcome, TxCore, TxTimer, ack_for_non_2xx};
use crate::msg::{Request, Response};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Calling,
    Proceeding,
    Accepted,
    Completed,
    Terminated,
}

#[derive(Debug)]
pub(crate) struct ClientInvite {
    state: State,
    request: Request,
    bytes: Vec<u8>,
    interval_a: std::time::Duration,
    ack: Option<Vec<u8>>,
}

impl ClientInvite {
    pub(crate) fn start(
        core: &mut TxCore,
        io: &mut Io<'_>,
        request: Request,
        bytes: Vec<u8>,
    ) -> Self {
        core.send(io, &bytes);
        let t1 = core.config.t1;
        core.arm(io, TxTimer::A, t1);
        core.arm(io, TxTimer::B, core.config.t1_x64());
        ClientInvite {
            state: State::Calling,
            request,
            bytes,
            interval_a: t1,
            ack: None,
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
        response: &Response,
    ) -> bool {
        let status = response.status;
        match self.state {
            State::Calling | State::Proceeding => {
                if status.is_provisional() {
                    core.stop(TxTimer::A);
                    core.stop(TxTimer::B);
                    self.state = State::Proceeding;
                } else if status.is_success() {
                    core.timers.stop_all();
                    core.arm(io, TxTimer::M, core.config.t1_x64());
                    self.state = State::Accepted;
                } else {
                    core.timers.stop_all();
                    let ack = ack_for_non_2xx(&self.request, response).to_bytes();
                    core.send(io, &ack);
                    self.ack = Some(ack);
                    core.arm(io, TxTimer::D, core.config.timer_d);
                    self.state = State::Completed;
                }
                true
            }
            // RFC 6026 §8.4: 2xx retransmissions (from any fork) go to the TU, which ACKs.
            State::Accepted => status.is_success(),
            State::Completed => {
                if status.is_final()
                    && !status.is_success()
                    && let Some(ack) = &self.ack
                {
                    core.resend(io, ack);
                }
                false
            }
            State::Terminated => false,
        }
    }

    pub(crate) fn on_timer(
        &mut self,
        core: &mut TxCore,
        io: &mut Io<'_>,
        timer: TxTimer,
    ) -> TimerOutcome {
        match (self.state, timer) {
            (State::Calling, TxTimer::A) => {
                core.resend(io, &self.bytes);
                self.interval_a *= 2;
                core.arm(io, TxTimer::A, self.interval_a);
                TimerOutcome::Nothing
            }
            (State::Calling, TxTimer::B) => {
                core.timers.stop_all();
                self.state = State::Terminated;
                TimerOutcome::Timeout
            }
            (State::Accepted, TxTimer::M) | (State::Completed, TxTimer::D) => {
                self.state = State::Terminated;
                TimerOutcome::Nothing
            }
            _ => TimerOutcome::Nothing,
        }
    }
}
