//! INVITE server transaction (RFC 3261 §17.2.1, Figure 7; RFC 6026 Accepted state).
//!
//! ```text
//! Proceeding --1xx from TU: send--> Proceeding
//!     |--2xx from TU: send--> Accepted (Timer L = 64*T1) --L--> Terminated
//!     \--300-699 from TU: send, Timer G = T1, Timer H = 64*T1--> Completed
//! Completed --ACK--> Confirmed (Timer I = T4) --I--> Terminated
//! Completed: INVITE retransmission or Timer G: resend the final response, G = min(2G, T2);
//!            Timer H: Terminated, report that no ACK came.
//! Accepted:  INVITE retransmissions absorbed; ACK passed to the TU (RFC 2543 peers).
//! ```

use super::{Io, TimerOutcome, TxCore, TxTimer};
use crate::msg::StatusCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    #[default]
    Proceeding,
    Accepted,
    Completed,
    Confirmed,
    Terminated,
}

#[derive(Debug, Default)]
pub(crate) struct ServerInvite {
    state: State,
    last_response: Option<Vec<u8>>,
    interval_g: std::time::Duration,
}

impl ServerInvite {
    pub(crate) fn terminated(&self) -> bool {
        self.state == State::Terminated
    }

    pub(crate) fn awaiting_final(&self) -> bool {
        self.state == State::Proceeding
    }

    pub(crate) fn send_response(
        &mut self,
        core: &mut TxCore,
        io: &mut Io<'_>,
        status: StatusCode,
        bytes: Vec<u8>,
    ) -> Result<(), crate::Error> {
        match self.state {
            State::Proceeding => {
                core.send(io, &bytes);
                if status.is_success() {
                    core.arm(io, TxTimer::L, core.config.t1_x64());
                    self.state = State::Accepted;
                } else if status.is_final() {
                    self.interval_g = core.config.t1;
                    core.arm(io, TxTimer::G, self.interval_g);
                    core.arm(io, TxTimer::H, core.config.t1_x64());
                    self.state = State::Completed;
                }
                self.last_response = Some(bytes);
                Ok(())
            }
            // The UAS core retransmits its 2xx itself (§13.3.1.4).
            State::Accepted if status.is_success() => {
                core.send(io, &bytes);
                Ok(())
            }
            _ => Err(crate::Error::InvalidState("final response already sent")),
        }
    }

    pub(crate) fn on_retransmission(&mut self, core: &TxCore, io: &mut Io<'_>) {
        if matches!(self.state, State::Proceeding | State::Completed)
            && let Some(bytes) = &self.last_response
        {
            core.resend(io, bytes);
        }
    }

    /// Returns whether the ACK goes to the TU.
    pub(crate) fn on_ack(&mut self, core: &mut TxCore, io: &mut Io<'_>) -> bool {
        match self.state {
            State::Completed => {
                core.timers.stop_all();
                core.arm(io, TxTimer::I, core.config.t4);
                self.state = State::Confirmed;
                false
            }
            State::Accepted => true,
            _ => false,
        }
    }

    pub(crate) fn on_timer(
        &mut self,
        core: &mut TxCore,
        io: &mut Io<'_>,
        timer: TxTimer,
    ) -> TimerOutcome {
        match (self.state, timer) {
            (State::Completed, TxTimer::G) => {
                if let Some(bytes) = &self.last_response {
                    core.resend(io, bytes);
                }
                self.interval_g = (self.interval_g * 2).min(core.config.t2);
                core.arm(io, TxTimer::G, self.interval_g);
                TimerOutcome::Nothing
            }
            (State::Completed, TxTimer::H) => {
                core.timers.stop_all();
                self.state = State::Terminated;
                TimerOutcome::NoAck
            }
            (State::Confirmed, TxTimer::I) | (State::Accepted, TxTimer::L) => {
                self.state = State::Terminated;
                TimerOutcome::Nothing
            }
            _ => TimerOutcome::Nothing,
        }
    }
}
