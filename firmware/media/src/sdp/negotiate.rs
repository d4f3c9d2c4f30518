//! Offer/answer (RFC 3264) for one G.711 audio stream with RFC 4733 telephone-events.
//!
//! [`SdpSession`] is one call leg's side of the negotiation. It makes offers, answers offers
//! and reads answers, and it keeps the `o=` line right across re-INVITEs: same session id, and
//! a version that grows by one whenever what we send changes (RFC 3264 §8). It also keeps the
//! m-line layout of the last exchange, so a re-offer never drops an m-line (RFC 3264 §8.1).
//!
//! Answering (RFC 3264 §6): the first audio m-line over RTP/AVP or RTP/AVPF that lists
//! PCMU or PCMA is accepted; the codec is the first of the offer's formats we support;
//! telephone-event/8000 is mirrored at the offerer's payload type with its fmtp; direction is
//! the offer's reversed, intersected with ours (sendonly -> recvonly, inactive -> inactive);
//! every other m-line is rejected with port 0. An offer with nothing we can serve is refused
//! with an error, which the SIP layer answers with 488 (SEMS #132 answered RTP/SAVP offers and
//! then played dead air).

use std::net::{IpAddr, SocketAddr};

use thiserror::Error;

use super::model::{
    Attribute, Connection, Direction, MediaDescription, Origin, Rtpmap, SessionDescription,
};
use crate::g711::Law;

/// Payload types we receive or send, with their meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PayloadFormat {
    /// RTP payload type.
    pub payload_type: u8,
    /// The G.711 law it carries.
    pub law: Law,
}

/// What our side offers or answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMedia {
    /// Our RTP address (`c=`); must be reachable by the peer.
    pub address: IpAddr,
    /// Our RTP port.
    pub rtp_port: u16,
    /// Our RTCP port when it is not `rtp_port + 1`; written as `a=rtcp` (RFC 3605).
    pub rtcp_port: Option<u16>,
    /// Our wish: sendrecv normally, sendonly to hold the peer, inactive to hold both ways.
    pub direction: Direction,
    /// Codecs we accept, in our order of preference (offers list them in this order).
    pub codecs: Vec<Law>,
    /// Payload type for telephone-event in our offers; `None` to not offer RFC 4733 (and not
    /// accept it in answers).
    pub telephone_event_pt: Option<u8>,
    /// Packet time we ask for and, when the peer does not ask otherwise, send with (ms).
    pub ptime_ms: u32,
}

impl LocalMedia {
    /// Our usual media: PCMU and PCMA, telephone-event at 101, 20 ms, sendrecv.
    pub fn new(address: IpAddr, rtp_port: u16) -> Self {
        Self {
            address,
            rtp_port,
            rtcp_port: None,
            direction: Direction::SendRecv,
            codecs: vec![Law::Ulaw, Law::Alaw],
            telephone_event_pt: Some(101),
            ptime_ms: 20,
        }
    }
}

/// The result of a negotiation: how to configure the media session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiatedMedia {
    /// Where to send RTP; `None` when the peer gave no usable address (port 0 or the RFC 2543
    /// hold address 0.0.0.0): send nothing until it does.
    pub remote_rtp: Option<SocketAddr>,
    /// Where to send RTCP (`a=rtcp`, or the RTP port + 1, or the RTP address with rtcp-mux).
    pub remote_rtcp: Option<SocketAddr>,
    /// RTCP shares the RTP port (RFC 5761).
    pub rtcp_mux: bool,
    /// Our direction: whether we send and whether we receive.
    pub direction: Direction,
    /// The codec and payload type we send with.
    pub send_codec: PayloadFormat,
    /// Payload types we accept for audio.
    pub receive_codecs: Vec<PayloadFormat>,
    /// Payload type for telephone-events we send, if negotiated.
    pub send_telephone_event: Option<u8>,
    /// Payload types accepted as telephone-events (ours and, if it differs, the peer's).
    pub receive_telephone_events: Vec<u8>,
    /// Packet time we send with (ms): the peer's `a=ptime` if we can, else ours.
    pub ptime_ms: u32,
}

/// Why an offer or answer cannot be used. For an offer, the SIP layer replies 488 Not
/// Acceptable Here (RFC 3261 §21.4.26) and keeps the call as it was.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NegotiationError {
    /// No audio m-line with a non-zero port.
    #[error("no audio stream offered")]
    NoAudio,
    /// Audio offered only over a secure profile (RTP/SAVP, SAVPF, DTLS); we have no SRTP.
    #[error("audio offered only over {0}, and SRTP is not supported")]
    SecureTransportOnly(String),
    /// Audio offered over a transport we do not speak.
    #[error("audio offered over unsupported transport {0}")]
    UnsupportedTransport(String),
    /// No PCMU or PCMA in the audio offer.
    #[error("no common codec: PCMU or PCMA needed")]
    NoCommonCodec,
    /// The accepted audio stream has no connection address (or a host name).
    #[error("no usable c= address for the audio stream")]
    NoConnectionAddress,
    /// An answer arrived but we have no offer outstanding.
    #[error("answer without an offer")]
    NoOfferPending,
    /// The answer's m-lines do not match our offer.
    #[error("answer does not match the offer's m-lines")]
    AnswerMismatch,
    /// The peer rejected our audio stream (port 0).
    #[error("the peer rejected the audio stream")]
    Rejected,
}

/// The telephone-event encoding name (RFC 4733 §7.1.1).
const TELEPHONE_EVENT: &str = "telephone-event";
/// The telephone-event range we offer: DTMF 0-15 and flash (RFC 4733 §3.2).
const OFFERED_EVENTS: &str = "0-16";

/// What a format of an m-line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Audio(Law),
    TelephoneEvent,
    Other,
}

fn classify(m: &MediaDescription, pt: u8) -> Format {
    match m.rtpmap(pt) {
        Some(map) => classify_rtpmap(map),
        // Static payload types of RFC 3551 table 4, used without rtpmap.
        None => match pt {
            0 => Format::Audio(Law::Ulaw),
            8 => Format::Audio(Law::Alaw),
            _ => Format::Other,
        },
    }
}

fn classify_rtpmap(map: &Rtpmap) -> Format {
    let mono = map.channels.is_none_or(|c| c == 1);
    if map.clock_rate != 8000 || !mono {
        return Format::Other;
    }
    if map.encoding.eq_ignore_ascii_case("PCMU") {
        Format::Audio(Law::Ulaw)
    } else if map.encoding.eq_ignore_ascii_case("PCMA") {
        Format::Audio(Law::Alaw)
    } else if map.encoding.eq_ignore_ascii_case(TELEPHONE_EVENT) {
        Format::TelephoneEvent
    } else {
        Format::Other
    }
}

/// Payload types of an m-line's formats that parse as 0..=127.
fn payload_types(m: &MediaDescription) -> impl Iterator<Item = u8> + '_ {
    m.formats
        .iter()
        .filter_map(|f| f.parse::<u8>().ok())
        .filter(|&pt| pt <= 127)
}

fn is_plain_rtp(proto: &str) -> bool {
    proto.eq_ignore_ascii_case("RTP/AVP") || proto.eq_ignore_ascii_case("RTP/AVPF")
}

fn is_secure(proto: &str) -> bool {
    let p = proto.to_ascii_uppercase();
    p.contains("SAVP") || p.contains("TLS")
}

/// Packet times we can send: whole multiples of 10 ms up to 60.
fn usable_ptime(ms: u32) -> bool {
    (10..=60).contains(&ms) && ms.is_multiple_of(10)
}

fn rtpmap_attr(payload_type: u8, encoding: &str) -> Attribute {
    Attribute::Rtpmap(Rtpmap {
        payload_type,
        encoding: encoding.to_owned(),
        clock_rate: 8000,
        channels: None,
    })
}

fn law_name(law: Law) -> &'static str {
    match law {
        Law::Ulaw => "PCMU",
        Law::Alaw => "PCMA",
    }
}

/// Where to send RTP and RTCP for medium `index` of `sdp`.
fn remote_addresses(
    sdp: &SessionDescription,
    index: usize,
) -> Result<(Option<SocketAddr>, Option<SocketAddr>, bool), NegotiationError> {
    let m = sdp
        .media
        .get(index)
        .ok_or(NegotiationError::AnswerMismatch)?;
    let ip = sdp
        .connection_of(index)
        .and_then(Connection::ip)
        .ok_or(NegotiationError::NoConnectionAddress)?;
    let mux = m.rtcp_mux();
    if ip.is_unspecified() || m.port == 0 {
        // RFC 3264 §8.4 (the old c=0.0.0.0 hold): nowhere to send.
        return Ok((None, None, mux));
    }
    let rtp = SocketAddr::new(ip, m.port);
    let rtcp = if mux {
        rtp
    } else {
        match m.rtcp() {
            Some((port, conn)) => {
                SocketAddr::new(conn.and_then(Connection::ip).unwrap_or(ip), port)
            }
            None => SocketAddr::new(ip, m.port.wrapping_add(1)),
        }
    };
    Ok((Some(rtp), Some(rtcp), mux))
}

/// One call leg's side of SDP offer/answer; see the module docs.
#[derive(Debug, Clone)]
pub struct SdpSession {
    username: String,
    session_id: u64,
    version: u64,
    /// The last description we sent, with its version, to decide whether the next differs.
    last_sent: Option<SessionDescription>,
    /// Our outstanding offer and the index of its audio m-line.
    pending_offer: Option<(SessionDescription, usize)>,
    /// The m-lines of the last completed exchange (rejected ones with port 0) and which one
    /// is our audio, so that re-offers keep them in place.
    layout: Option<(Vec<MediaDescription>, usize)>,
}

impl SdpSession {
    /// A new negotiation side. `session_id` should be unique per leg (e.g. from the leg's
    /// seeded RNG); the version starts at 1.
    pub fn new(session_id: u64) -> Self {
        Self {
            username: "dsmbox".to_owned(),
            session_id,
            version: 0,
            last_sent: None,
            pending_offer: None,
            layout: None,
        }
    }

    /// Gives `desc` our origin with the right version: the previous one if nothing changed
    /// since the last description we sent, otherwise one more (RFC 3264 §8).
    fn stamp(&mut self, mut desc: SessionDescription, address: IpAddr) -> SessionDescription {
        desc.origin = Origin {
            username: self.username.clone(),
            session_id: self.session_id.to_string(),
            session_version: self.version.to_string(),
            connection: Connection::from_ip(address),
        };
        let unchanged = self.last_sent.as_ref() == Some(&desc) && self.version > 0;
        if !unchanged {
            self.version += 1;
            desc.origin.session_version = self.version.to_string();
        }
        self.last_sent = Some(desc.clone());
        desc
    }

    fn skeleton(local: &LocalMedia) -> SessionDescription {
        SessionDescription {
            origin: Origin {
                username: String::new(),
                session_id: String::new(),
                session_version: String::new(),
                connection: Connection::from_ip(local.address),
            },
            session_name: "dsmbox".to_owned(),
            connection: Some(Connection::from_ip(local.address)),
            timing: (0, 0),
            attributes: Vec::new(),
            media: Vec::new(),
        }
    }

    fn common_attributes(
        local: &LocalMedia,
        attributes: &mut Vec<Attribute>,
        direction: Direction,
    ) {
        attributes.push(Attribute::Ptime(local.ptime_ms));
        attributes.push(Attribute::Direction(direction));
        if let Some(port) = local.rtcp_port
            && port != local.rtp_port.wrapping_add(1)
        {
            attributes.push(Attribute::Rtcp {
                port,
                connection: None,
            });
        }
    }

    /// Makes an offer (initial, or a re-offer such as hold: set `local.direction`).
    pub fn create_offer(&mut self, local: &LocalMedia) -> SessionDescription {
        let mut formats = Vec::new();
        let mut attributes = Vec::new();
        for &law in &local.codecs {
            formats.push(law.payload_type().to_string());
            attributes.push(rtpmap_attr(law.payload_type(), law_name(law)));
        }
        if let Some(pt) = local.telephone_event_pt {
            formats.push(pt.to_string());
            attributes.push(rtpmap_attr(pt, TELEPHONE_EVENT));
            attributes.push(Attribute::Fmtp {
                payload_type: pt,
                parameters: OFFERED_EVENTS.to_owned(),
            });
        }
        Self::common_attributes(local, &mut attributes, local.direction);
        let audio = MediaDescription {
            media: "audio".to_owned(),
            port: local.rtp_port,
            port_count: None,
            protocol: "RTP/AVP".to_owned(),
            formats,
            connection: None,
            attributes,
        };
        let mut desc = Self::skeleton(local);
        let index = match &self.layout {
            Some((lines, index)) => {
                desc.media = lines.clone();
                if let Some(slot) = desc.media.get_mut(*index) {
                    *slot = audio;
                }
                *index
            }
            None => {
                desc.media.push(audio);
                0
            }
        };
        let desc = self.stamp(desc, local.address);
        self.pending_offer = Some((desc.clone(), index));
        desc
    }

    /// Answers the peer's offer, or refuses it (the SIP layer then replies 488).
    pub fn answer(
        &mut self,
        offer: &SessionDescription,
        local: &LocalMedia,
    ) -> Result<(SessionDescription, NegotiatedMedia), NegotiationError> {
        let mut refusal = NegotiationError::NoAudio;
        let mut chosen: Option<(usize, PayloadFormat)> = None;
        for (i, m) in offer.media.iter().enumerate() {
            if chosen.is_some() || !m.media.eq_ignore_ascii_case("audio") || m.port == 0 {
                continue;
            }
            if !is_plain_rtp(&m.protocol) {
                refusal = if is_secure(&m.protocol) {
                    NegotiationError::SecureTransportOnly(m.protocol.clone())
                } else {
                    NegotiationError::UnsupportedTransport(m.protocol.clone())
                };
                continue;
            }
            let codec = payload_types(m).find_map(|pt| match classify(m, pt) {
                Format::Audio(law) if local.codecs.contains(&law) => Some(PayloadFormat {
                    payload_type: pt,
                    law,
                }),
                _ => None,
            });
            match codec {
                Some(c) => chosen = Some((i, c)),
                None => refusal = NegotiationError::NoCommonCodec,
            }
        }
        let (index, codec) = chosen.ok_or(refusal)?;
        let offered = &offer.media[index];
        let (remote_rtp, remote_rtcp, rtcp_mux) = remote_addresses(offer, index)?;

        let telephone_event = if local.telephone_event_pt.is_some() {
            payload_types(offered).find(|&pt| classify(offered, pt) == Format::TelephoneEvent)
        } else {
            None
        };
        let direction = {
            let theirs = offer.direction_of(index);
            Direction::from_flags(
                theirs.receives() && local.direction.sends(),
                theirs.sends() && local.direction.receives(),
            )
        };
        let ptime_ms = Self::send_ptime(offered, local);

        let mut formats = vec![codec.payload_type.to_string()];
        let mut attributes = vec![rtpmap_attr(codec.payload_type, law_name(codec.law))];
        if let Some(pt) = telephone_event {
            formats.push(pt.to_string());
            attributes.push(rtpmap_attr(pt, TELEPHONE_EVENT));
            if let Some(params) = offered.fmtp(pt) {
                attributes.push(Attribute::Fmtp {
                    payload_type: pt,
                    parameters: params.to_owned(),
                });
            }
        }
        Self::common_attributes(local, &mut attributes, direction);
        if rtcp_mux {
            attributes.push(Attribute::RtcpMux);
        }

        let mut desc = Self::skeleton(local);
        let mut layout = Vec::new();
        for (i, m) in offer.media.iter().enumerate() {
            if i == index {
                desc.media.push(MediaDescription {
                    media: m.media.clone(),
                    port: local.rtp_port,
                    port_count: None,
                    protocol: m.protocol.clone(),
                    formats: formats.clone(),
                    connection: None,
                    attributes: attributes.clone(),
                });
                layout.push(desc.media[i].clone());
            } else {
                let rejected = MediaDescription {
                    media: m.media.clone(),
                    port: 0,
                    port_count: None,
                    protocol: m.protocol.clone(),
                    // RFC 3264 §6: a rejected stream still lists at least one format.
                    formats: m.formats.iter().take(1).cloned().collect(),
                    connection: None,
                    attributes: Vec::new(),
                };
                desc.media.push(rejected.clone());
                layout.push(rejected);
            }
        }
        let desc = self.stamp(desc, local.address);
        self.layout = Some((layout, index));
        self.pending_offer = None;

        let mut receive_telephone_events = Vec::new();
        receive_telephone_events.extend(telephone_event);
        Ok((
            desc,
            NegotiatedMedia {
                remote_rtp,
                remote_rtcp,
                rtcp_mux,
                direction,
                send_codec: codec,
                receive_codecs: vec![codec],
                send_telephone_event: telephone_event,
                receive_telephone_events,
                ptime_ms,
            },
        ))
    }

    /// The packet time we send with: the peer's `a=ptime` when usable and within its
    /// `a=maxptime`, else ours.
    fn send_ptime(m: &MediaDescription, local: &LocalMedia) -> u32 {
        let max = m.max_ptime().unwrap_or(u32::MAX);
        let wanted = m
            .ptime()
            .filter(|&p| usable_ptime(p))
            .unwrap_or(local.ptime_ms);
        if wanted <= max {
            wanted
        } else if usable_ptime(max - max % 10) {
            max - max % 10
        } else {
            wanted
        }
    }

    /// Reads the peer's answer to our last offer: what it will send, and where we send.
    pub fn accept_answer(
        &mut self,
        answer: &SessionDescription,
    ) -> Result<NegotiatedMedia, NegotiationError> {
        let (offer, index) = self
            .pending_offer
            .clone()
            .ok_or(NegotiationError::NoOfferPending)?;
        if answer.media.len() != offer.media.len() {
            return Err(NegotiationError::AnswerMismatch);
        }
        let ours = &offer.media[index];
        let theirs = &answer.media[index];
        if theirs.port == 0 {
            self.pending_offer = None;
            return Err(NegotiationError::Rejected);
        }
        let offered_laws: Vec<Law> = payload_types(ours)
            .filter_map(|pt| match classify(ours, pt) {
                Format::Audio(l) => Some(l),
                _ => None,
            })
            .collect();
        let receive_codecs: Vec<PayloadFormat> = payload_types(theirs)
            .filter_map(|pt| match classify(theirs, pt) {
                Format::Audio(law) if offered_laws.contains(&law) => Some(PayloadFormat {
                    payload_type: pt,
                    law,
                }),
                _ => None,
            })
            .collect();
        let send_codec = *receive_codecs
            .first()
            .ok_or(NegotiationError::NoCommonCodec)?;
        let our_te = payload_types(ours).find(|&pt| classify(ours, pt) == Format::TelephoneEvent);
        let their_te = our_te.and_then(|_| {
            payload_types(theirs).find(|&pt| classify(theirs, pt) == Format::TelephoneEvent)
        });
        let mut receive_telephone_events = Vec::new();
        if let (Some(o), Some(t)) = (our_te, their_te) {
            receive_telephone_events.push(o);
            if t != o {
                receive_telephone_events.push(t);
            }
        }
        let (remote_rtp, remote_rtcp, rtcp_mux) = remote_addresses(answer, index)?;
        let offered_direction = offer.direction_of(index);
        let answered = answer.direction_of(index).reversed();
        let direction = Direction::from_flags(
            offered_direction.sends() && answered.sends(),
            offered_direction.receives() && answered.receives(),
        );
        let local_ptime = ours.ptime().unwrap_or(20);
        let ptime_ms = theirs
            .ptime()
            .filter(|&p| usable_ptime(p))
            .unwrap_or(local_ptime);
        self.layout = Some((
            offer
                .media
                .iter()
                .zip(&answer.media)
                .map(|(o, a)| {
                    let mut o = o.clone();
                    if a.port == 0 {
                        o.port = 0;
                    }
                    o
                })
                .collect(),
            index,
        ));
        self.pending_offer = None;
        Ok(NegotiatedMedia {
            remote_rtp,
            remote_rtcp,
            rtcp_mux,
            direction,
            send_codec,
            receive_codecs,
            send_telephone_event: their_te,
            receive_telephone_events,
            ptime_ms,
        })
    }
}
