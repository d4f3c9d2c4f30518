//! Non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8).
//!
//! ```text
//! Trying --1xx from TU: send--> Proceeding --200-699 from TU: send--> Completed (Timer J)
//!   \--200-699 from TU: send--> Completed (Timer J = 64*T1 over UDP) --J--> Terminated
//! Trying: retransmissions absorbed. Proceeding/Completed: resend the last response.
//! ```

use super::{Io, TimerOutcome, TxCore, TxTimer};
use crate::msg::StatusCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    #[default]
    Trying,
    Proceeding,
    Completed,
    Terminated,
}

#[derive(Debug, Default)]
pub(crate) struct ServerNonInvite {
    state: State,
    last_response: Option<Vec<u8>>,
}

impl ServerNonInvite {
    pub(crate) fn terminated(&self) -> bool {
        self.state == State::Terminated
    }

    pub(crate) fn awaiting_final(&self) -> bool {
        matches!(self.state, State::Trying | State::Proceeding)
    }

    pub(crate) fn send_response(
        &mut self,
        core: &mut TxCore,
        io: &mut Io<'_>,
        status: StatusCode,
        bytes: Vec<u8>,
    ) -> Result<(), crate::Error> {
        if !self.awaiting_final() {
            return Err(crate::Error::InvalidState("final response already sent"));
        }
        core.send(io, &bytes);
        if status.is_final() {
            core.arm(io, TxTimer::J, core.config.t1_x64());
            self.state = State::Completed;
        } else {
            self.state = State::Proceeding;
        }
        self.last_response = Some(bytes);
        Ok(())
    }

    pub(crate) fn on_retransmission(&mut self, core: &TxCore, io: &mut Io<'_>) {
        if matches!(self.state, State::Proceeding | State::Completed)
            && let Some(bytes) = &self.last_response
        {
            core.resend(io, bytes);
        }
    }

    pub(crate) fn on_timer(
        &mut self,
        _core: &mut TxCore,
        _io: &mut Io<'_>,
        timer: TxTimer,
    ) -> TimerOutcome {
        if self.state == State::Completed && timer == TxTimer::J {
            self.state = State::Terminated;
        }
        TimerOutcome::Nothing
    }
}
