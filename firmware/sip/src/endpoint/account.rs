//! The registration client (RFC 3261 §10.2): REGISTER with digest auth, refresh before the
//! binding expires, 423 Interval Too Brief, retry with backoff, de-registration.
//!
//! The lifetime granted is read in the order §10.2.4 gives: the `expires` parameter of the
//! Contact that is ours, else the Expires header, else what we asked for. (SEMS #597 read the
//! Expires header first and refreshed far too late when a registrar shortened the binding in
//! the Contact only.) The refresh goes out `refresh_margin` before expiry, but never before
//! half the lifetime. Failures are retried after `retry_base` doubling per consecutive
//! failure up to `retry_max`, each drawn between 50 % and 100 % (RFC 5626 §4.5's shape).
//! De-registration sends `Expires: 0` with the same Call-ID and the next CSeq.

use std::time::{Duration, Instant};

use super::config::{AccountConfig, LocalAddr};
use super::event::{Event, RegistrationState};
use super::{AccountTimer, Endpoint, io};
use crate::auth::AuthState;
use crate::msg::{
    HeaderName, Method, NameAddr, Request, Response, SipUri, StatusCode, Uri, parse_delta_seconds,
};
use crate::timer::{TimerOwner, TimerTable};
use crate::transaction::{Io, TxEvent, TxId, TxOwner};
use crate::{AccountHandle, Error};

#[derive(Debug)]
pub(crate) struct Account {
    handle: AccountHandle,
    config: AccountConfig,
    local: LocalAddr,
    call_id: String,
    cseq: u32,
    contact: NameAddr,
    expires: u32,
    pub(crate) timers: TimerTable<2>,
    tx: Option<TxId>,
    request: Option<Request>,
    auth: AuthState,
    failures: u32,
    unregistering: bool,
    /// A REGISTER has been sent at least once (else de-registration has nothing to undo).
    sent: bool,
}

impl Account {
    fn arm(&mut self, schedule: &mut crate::timer::Schedule, timer: AccountTimer, at: Instant) {
        self.timers.set(timer, at);
        schedule.push(at, TimerOwner::Account(self.handle, timer));
    }
}

/// The lifetime of our binding in a 2xx (§10.2.4): our Contact's `expires`, else Expires,
/// else what we asked for.
pub(crate) fn granted_lifetime(resp: &Response, ours: &Uri, requested: u32) -> u32 {
    let same = |uri: &Uri| match (uri.as_sip(), ours.as_sip()) {
        (Some(a), Some(b)) => {
            a.user == b.user
                && a.host.canonical() == b.host.canonical()
                && a.port.unwrap_or(5060) == b.port.unwrap_or(5060)
        }
        _ => uri.matches(ours),
    };
    for value in resp.headers.get_all(&HeaderName::Contact) {
        if let Ok(c) = NameAddr::parse(value)
            && same(&c.uri)
            && let Some(e) = c.params.value("expires").and_then(parse_delta_seconds)
        {
            return e;
        }
    }
    resp.expires().unwrap_or(requested)
}

impl Endpoint {
    /// Starts registering an account; the outcome comes as [`Event::Registration`].
    pub fn register(
        &mut self,
        now: Instant,
        config: AccountConfig,
    ) -> Result<AccountHandle, Error> {
        let local = self.local_for(config.destination, config.local)?;
        let handle = AccountHandle(self.next_handle());
        let contact = NameAddr::new(match &config.contact {
            Some(uri) => uri.clone(),
            None => {
                let (host, port) = local.advertised();
                Uri::Sip(SipUri::new(Some(&config.user), host, Some(port)))
            }
        });
        let account = Account {
            handle,
            expires: config.expires,
            config,
            local,
            call_id: self.rng.call_id(),
            cseq: 0,
            contact,
            timers: TimerTable::default(),
            tx: None,
            request: None,
            auth: AuthState::default(),
            failures: 0,
            unregistering: false,
            sent: false,
        };
        self.accounts.insert(handle, account);
        self.send_register(now, handle);
        Ok(handle)
    }

    /// De-registers (REGISTER with `Expires: 0`); [`RegistrationState::Unregistered`]
    /// follows and the handle dies.
    pub fn unregister(&mut self, now: Instant, account: AccountHandle) -> Result<(), Error> {
        let acc = self
            .accounts
            .get_mut(&account)
            .ok_or(Error::NoSuchAccount(account))?;
        if acc.unregistering {
            return Ok(());
        }
        acc.unregistering = true;
        acc.timers.stop_all();
        if acc.sent {
            self.send_register(now, account);
        } else {
            self.drop_account(account);
        }
        Ok(())
    }

    fn drop_account(&mut self, account: AccountHandle) {
        self.accounts.remove(&account);
        self.events.push_back(Event::Registration {
            account,
            state: RegistrationState::Unregistered,
        });
    }

    /// A fresh REGISTER (new CSeq, same Call-ID, §10.2.4).
    fn send_register(&mut self, now: Instant, a: AccountHandle) {
        let Some(acc) = self.accounts.get(&a) else {
            return;
        };
        let local = acc.local.clone();
        let via = self.new_via(&local);
        let from_tag = self.rng.tag();
        let Some(acc) = self.accounts.get_mut(&a) else {
            return;
        };
        acc.cseq += 1;
        acc.sent = true;
        acc.auth.new_request();
        let aor = NameAddr::new(Uri::Sip(SipUri::new(
            Some(&acc.config.user),
            crate::msg::Host::Name(acc.config.domain.clone()),
            None,
        )));
        let mut from = aor.clone();
        from.set_tag(&from_tag);
        let mut req = Request::new(
            Method::Register,
            acc.config.registrar.clone(),
            via,
            from,
            aor,
            acc.call_id.clone(),
            acc.cseq,
        );
        let expires = if acc.unregistering { 0 } else { acc.expires };
        let mut contact = acc.contact.clone();
        if acc.unregistering {
            contact.params.set("expires", Some("0"));
        }
        req.headers.push(HeaderName::Contact, contact.to_string());
        req.headers.push(HeaderName::Expires, expires.to_string());
        self.decorate_request(&mut req);
        self.launch_register(now, a, req);
    }

    fn launch_register(&mut self, now: Instant, a: AccountHandle, req: Request) {
        let Some(acc) = self.accounts.get(&a) else {
            return;
        };
        let (local, destination) = (acc.local.socket, acc.config.destination);
        let tx = self.transactions.start_client(
            &mut io!(self, now),
            req.clone(),
            local,
            destination,
            TxOwner::Account(a),
        );
        if let Some(acc) = self.accounts.get_mut(&a) {
            acc.tx = Some(tx);
            acc.request = Some(req);
        }
    }

    pub(super) fn on_account_tx_event(&mut self, now: Instant, a: AccountHandle, ev: TxEvent) {
        let Some(acc) = self.accounts.get(&a) else {
            return;
        };
        match ev {
            TxEvent::Response { tx, response, .. } if acc.tx == Some(tx) => {
                self.on_register_response(now, a, response)
            }
            TxEvent::Timeout { tx, .. } if acc.tx == Some(tx) => self.registration_failed(
                now,
                a,
                StatusCode::REQUEST_TIMEOUT,
                "Request Timeout".into(),
            ),
            _ => {}
        }
    }

    fn on_register_response(&mut self, now: Instant, a: AccountHandle, resp: Response) {
        let status = resp.status;
        if status.is_provisional() {
            return;
        }
        let Some(acc) = self.accounts.get_mut(&a) else {
            return;
        };
        acc.tx = None;
        if status.is_success() {
            if acc.unregistering {
                self.drop_account(a);
                return;
            }
            let lifetime = granted_lifetime(&resp, &acc.contact.uri, acc.expires);
            if lifetime == 0 {
                self.registration_failed(now, a, status, "registrar granted no lifetime".into());
                return;
            }
            acc.failures = 0;
            let expires = Duration::from_secs(u64::from(lifetime));
            let margin = self.config.registration.refresh_margin;
            let delay = (expires / 2)
                .max(expires.saturating_sub(margin))
                .max(Duration::from_secs(1));
            acc.arm(&mut self.schedule, AccountTimer::Refresh, now + delay);
            self.events.push_back(Event::Registration {
                account: a,
                state: RegistrationState::Registered { expires },
            });
            return;
        }
        if matches!(status.code(), 401 | 407)
            && let Some(req) = acc.request.clone()
        {
            let uri = req.uri.to_string();
            let answer = acc.auth.answer(
                &resp,
                acc.config.credentials.as_ref(),
                "REGISTER",
                &uri,
                &req.body,
                &mut self.rng,
            );
            if let Some((name, value)) = answer {
                let local = acc.local.clone();
                let via = self.new_via(&local);
                let Some(acc) = self.accounts.get_mut(&a) else {
                    return;
                };
                acc.cseq += 1;
                let mut req = req;
                req.headers.remove(&name);
                req.headers.push(name, value);
                req.cseq.seq = acc.cseq;
                req.via = vec![via];
                self.launch_register(now, a, req);
                return;
            }
        }
        // §10.2.8: 423 carries the shortest lifetime the registrar accepts.
        if status == StatusCode::INTERVAL_TOO_BRIEF
            && !acc.unregistering
            && let Some(min) = resp
                .header(&HeaderName::MinExpires)
                .and_then(parse_delta_seconds)
            && min > acc.expires
        {
            acc.expires = min;
            self.send_register(now, a);
            return;
        }
        self.registration_failed(now, a, status, resp.reason.clone());
    }

    fn registration_failed(
        &mut self,
        now: Instant,
        a: AccountHandle,
        status: StatusCode,
        reason: String,
    ) {
        let timing = self.config.registration;
        let jitter = 0.5 + 0.5 * self.rng.unit();
        let Some(acc) = self.accounts.get_mut(&a) else {
            return;
        };
        acc.tx = None;
        if acc.unregistering {
            self.drop_account(a);
            return;
        }
        acc.failures += 1;
        let exp = acc.failures.saturating_sub(1).min(20);
        let base = timing
            .retry_base
            .saturating_mul(1u32 << exp)
            .min(timing.retry_max);
        let retry_in = base.mul_f64(jitter).max(Duration::from_millis(1));
        acc.timers.stop(AccountTimer::Refresh);
        acc.arm(&mut self.schedule, AccountTimer::Retry, now + retry_in);
        log::info!(
            "registration of {}@{} failed: {status} {reason}; retry in {retry_in:?}",
            acc.config.user,
            acc.config.domain
        );
        self.events.push_back(Event::Registration {
            account: a,
            state: RegistrationState::Failed {
                status,
                reason,
                retry_in,
            },
        });
    }

    pub(super) fn on_account_timer(
        &mut self,
        now: Instant,
        a: AccountHandle,
        _timer: AccountTimer,
    ) {
        if self.accounts.get(&a).is_some_and(|acc| !acc.unregistering) {
            self.send_register(now, a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::{Limits, Message, parse};

    fn ok_with(extra: &str) -> Response {
        let text = format!(
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa\r\n\
             From: <sip:u@d>;tag=1\r\nTo: <sip:u@d>;tag=2\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\n{extra}\r\n"
        );
        match parse(text.as_bytes(), &Limits::default()).unwrap() {
            Message::Response(r) => r,
            _ => unreachable!(),
        }
    }

    #[test]
    fn lifetime_sources_in_rfc_order() {
        let ours = Uri::parse("sip:u@192.0.2.1:5060").unwrap();
        // Contact param wins over Expires.
        let r = ok_with(
            "Contact: <sip:other@192.0.2.9>;expires=10, <sip:u@192.0.2.1>;expires=120\r\nExpires: 600\r\n",
        );
        assert_eq!(granted_lifetime(&r, &ours, 3600), 120);
        // Our Contact without a param: the Expires header.
        let r = ok_with("Contact: <sip:u@192.0.2.1:5060>\r\nExpires: 600\r\n");
        assert_eq!(granted_lifetime(&r, &ours, 3600), 600);
        // Neither: what we asked for.
        let r = ok_with("Contact: <sip:other@192.0.2.9>;expires=10\r\n");
        assert_eq!(granted_lifetime(&r, &ours, 3600), 3600);
    }
}
