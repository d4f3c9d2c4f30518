//! Dialogs (RFC 3261 §12): identity, sequence numbers, route set and remote target, and the
//! construction of requests inside a dialog (§12.2.1.1), loose and strict routing included.

use std::net::SocketAddr;

use crate::msg::{HeaderName, Host, Method, NameAddr, Request, Response, Uri, Via};

/// Early (from a 1xx with a To tag) or confirmed (from a 2xx).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DialogState {
    Early,
    Confirmed,
}

/// One dialog.
#[derive(Debug, Clone)]
pub(crate) struct Dialog {
    pub(crate) call_id: String,
    pub(crate) remote_tag: String,
    /// Our From (UAC) or To (UAS), with our tag.
    pub(crate) local: NameAddr,
    /// The peer's To (UAC) or From (UAS), with its tag.
    pub(crate) remote: NameAddr,
    pub(crate) local_seq: u32,
    pub(crate) remote_seq: Option<u32>,
    pub(crate) remote_target: Uri,
    pub(crate) route_set: Vec<NameAddr>,
    pub(crate) state: DialogState,
}

impl Dialog {
    /// The UAC side, from the INVITE we sent and a 1xx/2xx with a To tag (§12.1.2): the route
    /// set is the response's Record-Route reversed, the remote target its Contact.
    pub(crate) fn uac(invite: &Request, response: &Response) -> Option<Dialog> {
        let remote_tag = response.to.tag()?.to_owned();
        let mut route_set = response.record_route().ok()?;
        route_set.reverse();
        let remote_target = response
            .contacts()
            .ok()
            .and_then(|c| c.into_iter().next())
            .map(|c| c.uri)
            .unwrap_or_else(|| invite.uri.clone());
        Some(Dialog {
            call_id: invite.call_id.clone(),
            remote_tag,
            local: invite.from.clone(),
            remote: response.to.clone(),
            local_seq: invite.cseq.seq,
            remote_seq: None,
            remote_target,
            route_set,
            state: if response.status.is_success() {
                DialogState::Confirmed
            } else {
                DialogState::Early
            },
        })
    }

    /// The UAS side, from the INVITE received and our To tag (§12.1.1): the route set is the
    /// request's Record-Route in order, the remote target its Contact.
    pub(crate) fn uas(invite: &Request, local_tag: &str) -> Dialog {
        let route_set = invite.record_route().unwrap_or_default();
        let remote_target = invite
            .contacts()
            .ok()
            .and_then(|c| c.into_iter().next())
            .map(|c| c.uri)
            .unwrap_or_else(|| invite.from.uri.clone());
        let mut local = invite.to.clone();
        local.set_tag(local_tag);
        Dialog {
            call_id: invite.call_id.clone(),
            remote_tag: invite.from.tag().unwrap_or("").to_owned(),
            local,
            remote: invite.from.clone(),
            local_seq: 0,
            remote_seq: Some(invite.cseq.seq),
            remote_target,
            route_set,
            state: DialogState::Early,
        }
    }

    /// Replaces the remote target from a target-refresh request or response (§12.2).
    pub(crate) fn refresh_target(
        &mut self,
        contacts: Result<Vec<NameAddr>, crate::msg::NameAddrError>,
    ) {
        if let Some(c) = contacts.ok().and_then(|c| c.into_iter().next()) {
            self.remote_target = c.uri;
        }
    }

    /// A request in this dialog (§12.2.1.1). `seq` is the CSeq number to use (a new one from
    /// [`Dialog::next_seq`], or the INVITE's for an ACK).
    pub(crate) fn request(&self, method: Method, via: Via, seq: u32) -> Request {
        let first_is_strict = self
            .route_set
            .first()
            .is_some_and(|r| r.uri.as_sip().is_some_and(|u| !u.params.contains("lr")));
        let (uri, routes): (Uri, Vec<String>) = if first_is_strict {
            // Strict routing: the first route becomes the Request-URI, the remote target the
            // last Route (§12.2.1.1).
            let mut first = self.route_set[0].uri.clone();
            if let Some(u) = first.as_sip_mut() {
                u.headers.clear();
                u.params.remove("method");
            }
            let mut routes: Vec<String> = self.route_set[1..]
                .iter()
                .map(ToString::to_string)
                .collect();
            routes.push(format!("<{}>", self.remote_target));
            (first, routes)
        } else {
            (
                self.remote_target.clone(),
                self.route_set.iter().map(ToString::to_string).collect(),
            )
        };
        let mut req = Request::new(
            method,
            uri,
            via,
            self.local.clone(),
            self.remote.clone(),
            self.call_id.clone(),
            seq,
        );
        for r in routes {
            req.headers.push(HeaderName::Route, r);
        }
        req
    }

    /// The next local CSeq number.
    pub(crate) fn next_seq(&mut self) -> u32 {
        self.local_seq = self.local_seq.wrapping_add(1) & 0x7fff_ffff;
        self.local_seq
    }

    /// Where a request built by [`Dialog::request`] goes: the first Route, else the
    /// Request-URI (§8.1.2). `None` when that is a host name.
    pub(crate) fn next_hop(&self) -> Option<SocketAddr> {
        let uri = self
            .route_set
            .first()
            .map(|r| &r.uri)
            .unwrap_or(&self.remote_target);
        uri_address(uri)
    }
}

/// The socket address a SIP URI names, if its host is an IP address (maddr wins, §19.1.1).
pub(crate) fn uri_address(uri: &Uri) -> Option<SocketAddr> {
    let sip = uri.as_sip()?;
    let port = sip.port.unwrap_or(if sip.secure { 5061 } else { 5060 });
    if let Some(maddr) = sip.params.value("maddr")
        && let Ok(ip) = maddr.trim_start_matches('[').trim_end_matches(']').parse()
    {
        return Some(SocketAddr::new(ip, port));
    }
    match &sip.host {
        Host::Name(_) => None,
        h => h.ip().map(|ip| SocketAddr::new(ip, port)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::{Limits, Message, parse};

    fn invite() -> Request {
        let text = "INVITE sip:bob@192.0.2.2 SIP/2.0\r\n\
            Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa\r\n\
            From: <sip:alice@example.com>;tag=A\r\n\
            To: <sip:bob@example.com>\r\n\
            Call-ID: c1\r\n\
            CSeq: 7 INVITE\r\n\
            Contact: <sip:alice@192.0.2.1:5062>\r\n\
            Record-Route: <sip:p1.example.com;lr>, <sip:192.0.2.50:5070;lr>\r\n\r\n";
        match parse(text.as_bytes(), &Limits::default()).unwrap() {
            Message::Request(r) => r,
            _ => unreachable!(),
        }
    }

    #[test]
    fn uas_dialog_keeps_record_route_order() {
        let d = Dialog::uas(&invite(), "B");
        assert_eq!(d.remote_tag, "A");
        assert_eq!(d.local.tag(), Some("B"));
        assert_eq!(d.route_set.len(), 2);
        assert_eq!(d.remote_target.to_string(), "sip:alice@192.0.2.1:5062");
        // First route is a host name: no address.
        assert_eq!(d.next_hop(), None);
        let bye = d.request(
            Method::Bye,
            Via::udp(Host::Name("me".into()), 5060, "z9hG4bKb"),
            1,
        );
        assert_eq!(bye.uri.to_string(), "sip:alice@192.0.2.1:5062");
        let routes: Vec<_> = bye.headers.get_all(&HeaderName::Route).collect();
        assert_eq!(
            routes,
            vec!["<sip:p1.example.com;lr>", "<sip:192.0.2.50:5070;lr>"]
        );
        assert_eq!(bye.to.tag(), Some("A"));
        assert_eq!(bye.from.tag(), Some("B"));
    }

    #[test]
    fn uac_dialog_reverses_record_route_and_strict_routes() {
        let inv = invite();
        let mut resp = Response::to_request(&inv, crate::msg::StatusCode::OK, None);
        resp.to.set_tag("B");
        resp.headers
            .push(HeaderName::RecordRoute, "<sip:192.0.2.60>");
        resp.headers
            .push(HeaderName::RecordRoute, "<sip:192.0.2.61;lr>");
        resp.headers
            .push(HeaderName::Contact, "<sip:bob@192.0.2.2:5080>");
        let d = Dialog::uac(&inv, &resp).unwrap();
        assert_eq!(d.state, DialogState::Confirmed);
        assert_eq!(d.local_seq, 7);
        assert_eq!(d.route_set[0].uri.to_string(), "sip:192.0.2.61;lr");
        assert_eq!(d.next_hop(), Some("192.0.2.61:5060".parse().unwrap()));
        // Make the first hop strict: Request-URI becomes the route, target goes last.
        let mut strict = d.clone();
        strict.route_set.reverse();
        let req = strict.request(
            Method::Info,
            Via::udp(Host::Name("me".into()), 5060, "z9hG4bKc"),
            8,
        );
        assert_eq!(req.uri.to_string(), "sip:192.0.2.60");
        let routes: Vec<_> = req.headers.get_all(&HeaderName::Route).collect();
        assert_eq!(
            routes,
            vec!["<sip:192.0.2.61;lr>", "<sip:bob@192.0.2.2:5080>"]
        );
    }

    #[test]
    fn uri_addresses() {
        let u = Uri::parse("sip:a@[2001:db8::1]:5070").unwrap();
        assert_eq!(uri_address(&u), Some("[2001:db8::1]:5070".parse().unwrap()));
        let u = Uri::parse("sip:a@example.com;maddr=192.0.2.9").unwrap();
        assert_eq!(uri_address(&u), Some("192.0.2.9:5060".parse().unwrap()));
        assert_eq!(uri_address(&Uri::parse("tel:+1555").unwrap()), None);
    }
}
