//! SDP offer/answer against offers shaped like what real phones, PBXs and trunks send.
//! The bodies are written from memory of their typical shape (codec lists, payload types,
//! attribute habits), not captured traffic.

#![allow(clippy::unwrap_used)] // a test binary: a panic is the failure report

use std::net::{IpAddr, SocketAddr};

use media::g711::Law;
use media::sdp::{
    Attribute, Direction, LocalMedia, NegotiatedMedia, NegotiationError, PayloadFormat, SdpSession,
    SessionDescription,
};

fn local() -> LocalMedia {
    LocalMedia::new("192.0.2.10".parse().unwrap(), 40000)
}

fn answer(offer: &str) -> Result<(SessionDescription, NegotiatedMedia), NegotiationError> {
    let offer = SessionDescription::parse_str(offer).expect("offer parses");
    SdpSession::new(7).answer(&offer, &local())
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn audio_attrs(d: &SessionDescription) -> &[Attribute] {
    &d.media.iter().find(|m| m.port != 0).unwrap().attributes
}

fn has(d: &SessionDescription, a: &str) -> bool {
    audio_attrs(d).iter().any(|x| x.to_string() == a)
}

const BARESIP: &str = "v=0\r\n\
o=- 1290366402 2587312584 IN IP4 127.0.0.1\r\n\
s=-\r\n\
c=IN IP4 127.0.0.1\r\n\
t=0 0\r\n\
m=audio 50800 RTP/AVP 0 8 101\r\n\
b=AS:64\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n\
a=sendrecv\r\n\
a=label:1\r\n\
a=ssrc:1487213476 cname:8b1c5a1e-7d0f-4a5f-9a3b-0b2a7c1d9e44\r\n\
a=rtcp-rsize\r\n\
a=ptime:20\r\n";

#[test]
fn baresip_pcmu_with_te_101() {
    let (ans, n) = answer(BARESIP).unwrap();
    assert_eq!(
        n.send_codec,
        PayloadFormat {
            payload_type: 0,
            law: Law::Ulaw
        }
    );
    assert_eq!(n.send_telephone_event, Some(101));
    assert_eq!(n.receive_telephone_events, vec![101]);
    assert_eq!(n.remote_rtp, Some(addr("127.0.0.1:50800")));
    assert_eq!(n.remote_rtcp, Some(addr("127.0.0.1:50801")));
    assert_eq!(n.direction, Direction::SendRecv);
    assert_eq!(n.ptime_ms, 20);
    let m = &ans.media[0];
    assert_eq!(m.formats, vec!["0", "101"]);
    assert_eq!(m.port, 40000);
    assert!(has(&ans, "fmtp:101 0-15"), "fmtp mirrored: {ans}");
    assert!(has(&ans, "sendrecv"));
    assert_eq!(ans.connection_of(0).unwrap().address, "192.0.2.10");
}

const PJSUA2: &str = "v=0\r\n\
o=- 3912345678 3912345678 IN IP4 192.168.1.20\r\n\
s=pjmedia\r\n\
b=AS:84\r\n\
t=0 0\r\n\
a=X-nat:0\r\n\
m=audio 4000 RTP/AVP 96 97 98 99 3 0 8 9 120 121\r\n\
c=IN IP4 192.168.1.20\r\n\
b=TIAS:64000\r\n\
a=rtcp:4001 IN IP4 192.168.1.20\r\n\
a=sendrecv\r\n\
a=rtpmap:96 speex/16000\r\n\
a=rtpmap:97 speex/8000\r\n\
a=rtpmap:98 speex/32000\r\n\
a=rtpmap:99 iLBC/8000\r\n\
a=fmtp:99 mode=30\r\n\
a=rtpmap:3 GSM/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:9 G722/8000\r\n\
a=rtpmap:120 telephone-event/16000\r\n\
a=fmtp:120 0-16\r\n\
a=rtpmap:121 telephone-event/8000\r\n\
a=fmtp:121 0-16\r\n\
a=ssrc:1045563436 cname:5f2a4b0b4a3e4c6d\r\n";

#[test]
fn pjsua2_first_supported_codec_and_te_8000_among_two() {
    let (ans, n) = answer(PJSUA2).unwrap();
    assert_eq!(
        n.send_codec.law,
        Law::Ulaw,
        "PCMU comes before PCMA in the offer"
    );
    assert_eq!(
        n.send_telephone_event,
        Some(121),
        "telephone-event/8000, not /16000"
    );
    assert_eq!(n.remote_rtp, Some(addr("192.168.1.20:4000")));
    assert_eq!(
        n.remote_rtcp,
        Some(addr("192.168.1.20:4001")),
        "a=rtcp honoured"
    );
    assert_eq!(ans.media[0].formats, vec!["0", "121"]);
    assert!(has(&ans, "rtpmap:121 telephone-event/8000"));
    assert!(has(&ans, "fmtp:121 0-16"));
}

const LINPHONE: &str = "v=0\n\
o=alice 1234 5678 IN IP4 192.168.0.10\n\
s=Talk\n\
c=IN IP4 192.168.0.10\n\
t=0 0\n\
a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\n\
a=record:off\n\
m=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100\n\
a=rtpmap:96 opus/48000/2\n\
a=fmtp:96 useinbandfec=1\n\
a=rtpmap:97 speex/16000\n\
a=fmtp:97 vbr=on\n\
a=rtpmap:98 speex/8000\n\
a=fmtp:98 vbr=on\n\
a=fmtp:18 annexb=yes\n\
a=rtpmap:101 telephone-event/48000\n\
a=rtpmap:99 telephone-event/16000\n\
a=rtpmap:100 telephone-event/8000\n\
a=rtcp-fb:* trr-int 1000\n\
a=rtcp-fb:* ccm tmmbr\n";

#[test]
fn linphone_lf_only_te_at_100() {
    let (ans, n) = answer(LINPHONE).unwrap();
    assert_eq!(n.send_codec.payload_type, 0);
    assert_eq!(n.send_telephone_event, Some(100));
    assert_eq!(ans.media[0].formats, vec!["0", "100"]);
    // Session-level unknown attributes survive parsing.
    let offer = SessionDescription::parse_str(LINPHONE).unwrap();
    assert!(
        offer
            .attributes
            .iter()
            .any(|a| a.to_string() == "record:off")
    );
    assert!(
        offer.media[0]
            .attributes
            .iter()
            .any(|a| a.to_string() == "rtcp-fb:* ccm tmmbr")
    );
}

const ASTERISK: &str = "v=0\r\n\
o=- 1700000000 1700000001 IN IP4 203.0.113.5\r\n\
s=Asterisk\r\n\
c=IN IP4 203.0.113.5\r\n\
t=0 0\r\n\
m=audio 12000 RTP/AVP 8 0 3 101\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:3 GSM/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=maxptime:150\r\n\
a=sendrecv\r\n";

#[test]
fn asterisk_prefers_pcma() {
    let (_, n) = answer(ASTERISK).unwrap();
    assert_eq!(
        n.send_codec,
        PayloadFormat {
            payload_type: 8,
            law: Law::Alaw
        }
    );
    assert_eq!(n.send_telephone_event, Some(101));
}

const CISCO: &str = "v=0\r\n\
o=Cisco-SIPUA 16011 0 IN IP4 10.1.1.50\r\n\
s=SIP Call\r\n\
t=0 0\r\n\
m=audio 24620 RTP/AVP 0 8 18 9 101\r\n\
c=IN IP4 10.1.1.50\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:18 G729/8000\r\n\
a=fmtp:18 annexb=no\r\n\
a=rtpmap:9 G722/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n\
a=sendrecv\r\n";

#[test]
fn cisco_media_level_connection_only() {
    let (_, n) = answer(CISCO).unwrap();
    assert_eq!(n.remote_rtp, Some(addr("10.1.1.50:24620")));
    assert_eq!(n.send_codec.payload_type, 0);
}

const POLYCOM: &str = "v=0\r\n\
o=- 1650000000 1650000000 IN IP4 192.168.10.40\r\n\
s=Polycom IP Phone\r\n\
c=IN IP4 192.168.10.40\r\n\
t=0 0\r\n\
a=sendrecv\r\n\
m=audio 2222 RTP/AVP 9 102 0 8 18 127\r\n\
a=rtpmap:9 G722/8000\r\n\
a=rtpmap:102 G7221/16000\r\n\
a=fmtp:102 bitrate=32000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:18 G729/8000\r\n\
a=fmtp:18 annexb=no\r\n\
a=rtpmap:127 telephone-event/8000\r\n";

#[test]
fn polycom_te_127_and_session_level_direction() {
    let (ans, n) = answer(POLYCOM).unwrap();
    assert_eq!(n.send_telephone_event, Some(127));
    assert_eq!(n.direction, Direction::SendRecv);
    // No fmtp in the offer: none in the answer (RFC 4733 default 0-15 applies).
    assert!(
        !audio_attrs(&ans)
            .iter()
            .any(|a| matches!(a, Attribute::Fmtp { .. }))
    );
}

const TRUNK_PTIME_30: &str = "v=0\r\n\
o=SBC 42 43 IN IP4 198.51.100.7\r\n\
s=SBC\r\n\
c=IN IP4 198.51.100.7\r\n\
t=0 0\r\n\
m=audio 30000 RTP/AVP 8 96\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:96 telephone-event/8000\r\n\
a=fmtp:96 0-15\r\n\
a=ptime:30\r\n\
a=maxptime:30\r\n\
a=sendrecv\r\n";

#[test]
fn trunk_ptime_30_te_96() {
    let (ans, n) = answer(TRUNK_PTIME_30).unwrap();
    assert_eq!(n.ptime_ms, 30, "we send what the peer asked for");
    assert_eq!(n.send_codec.law, Law::Alaw);
    assert_eq!(n.send_telephone_event, Some(96));
    assert!(has(&ans, "fmtp:96 0-15"));
}

#[test]
fn maxptime_caps_ptime() {
    let offer = ASTERISK
        .replace("a=ptime:20", "a=ptime:40")
        .replace("maxptime:150", "maxptime:30");
    let (_, n) = answer(&offer).unwrap();
    assert_eq!(n.ptime_ms, 30);
    let odd = ASTERISK.replace("a=ptime:20", "a=ptime:25");
    assert_eq!(
        answer(&odd).unwrap().1.ptime_ms,
        20,
        "unusable ptime falls back to ours"
    );
}

#[test]
fn hold_directions() {
    for (offered, expected) in [
        ("sendonly", Direction::RecvOnly),
        ("recvonly", Direction::SendOnly),
        ("inactive", Direction::Inactive),
        ("sendrecv", Direction::SendRecv),
    ] {
        let offer = BARESIP.replace("a=sendrecv", &format!("a={offered}"));
        let (ans, n) = answer(&offer).unwrap();
        assert_eq!(n.direction, expected, "offer {offered}");
        assert!(has(&ans, expected.as_str()));
    }
    // Our own wish intersects: we hold (sendonly) and the peer offers sendrecv.
    let offer = SessionDescription::parse_str(BARESIP).unwrap();
    let mut l = local();
    l.direction = Direction::SendOnly;
    let (_, n) = SdpSession::new(1).answer(&offer, &l).unwrap();
    assert_eq!(n.direction, Direction::SendOnly);
    // Peer sends sendonly while we want sendonly: nobody receives -> inactive.
    let offer =
        SessionDescription::parse_str(&BARESIP.replace("a=sendrecv", "a=sendonly")).unwrap();
    let (_, n) = SdpSession::new(1).answer(&offer, &l).unwrap();
    assert_eq!(n.direction, Direction::Inactive);
}

#[test]
fn old_style_hold_address_means_nowhere_to_send() {
    let offer = BARESIP.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0");
    let (_, n) = answer(&offer).unwrap();
    assert_eq!(n.remote_rtp, None);
    assert_eq!(n.remote_rtcp, None);
}

#[test]
fn ipv6_connection() {
    let offer = BARESIP
        .replace("c=IN IP4 127.0.0.1", "c=IN IP6 2001:db8::10")
        .replace("IN IP4 127.0.0.1", "IN IP6 2001:db8::10");
    let (_, n) = answer(&offer).unwrap();
    assert_eq!(n.remote_rtp, Some(addr("[2001:db8::10]:50800")));
    // And we can offer and answer over IPv6 ourselves.
    let mut l = local();
    l.address = "2001:db8::1".parse::<IpAddr>().unwrap();
    let ours = SdpSession::new(3).create_offer(&l);
    let text = ours.to_string();
    assert!(text.contains("c=IN IP6 2001:db8::1\r\n"), "{text}");
    assert!(
        text.contains("o=dsmbox 3 1 IN IP6 2001:db8::1\r\n"),
        "{text}"
    );
}

#[test]
fn media_level_connection_overrides_session_level() {
    let offer = BARESIP.replace(
        "m=audio 50800 RTP/AVP 0 8 101\r\n",
        "m=audio 50800 RTP/AVP 0 8 101\r\nc=IN IP4 10.9.9.9\r\n",
    );
    let (_, n) = answer(&offer).unwrap();
    assert_eq!(n.remote_rtp, Some(addr("10.9.9.9:50800")));
}

const SAVP_ONLY: &str = "v=0\r\n\
o=- 1 1 IN IP4 10.0.0.5\r\n\
s=-\r\n\
c=IN IP4 10.0.0.5\r\n\
t=0 0\r\n\
m=audio 16000 RTP/SAVP 0 8 101\r\n\
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=sendrecv\r\n";

#[test]
fn srtp_only_offer_is_refused() {
    assert_eq!(
        answer(SAVP_ONLY).unwrap_err(),
        NegotiationError::SecureTransportOnly("RTP/SAVP".into())
    );
    let webrtc = SAVP_ONLY.replace("RTP/SAVP", "UDP/TLS/RTP/SAVPF");
    assert!(matches!(
        answer(&webrtc),
        Err(NegotiationError::SecureTransportOnly(_))
    ));
}

#[test]
fn best_effort_srtp_two_m_lines_takes_the_plain_one() {
    let offer = SAVP_ONLY.replace(
        "a=sendrecv\r\n",
        "a=sendrecv\r\nm=audio 16002 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n",
    );
    let (ans, n) = answer(&offer).unwrap();
    assert_eq!(ans.media.len(), 2);
    assert_eq!(ans.media[0].port, 0, "SAVP line rejected");
    assert_eq!(ans.media[0].protocol, "RTP/SAVP");
    assert_eq!(ans.media[1].port, 40000);
    assert_eq!(n.remote_rtp, Some(addr("10.0.0.5:16002")));
}

#[test]
fn no_common_codec_is_refused() {
    let g729 = "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n\
m=audio 16000 RTP/AVP 18 101\r\na=rtpmap:18 G729/8000\r\na=rtpmap:101 telephone-event/8000\r\n";
    assert_eq!(answer(g729).unwrap_err(), NegotiationError::NoCommonCodec);
    // PCMU at 16 kHz or in stereo is not our PCMU.
    let wide = g729
        .replace("18 101", "0 101")
        .replace("a=rtpmap:18 G729/8000", "a=rtpmap:0 PCMU/16000");
    assert_eq!(answer(&wide).unwrap_err(), NegotiationError::NoCommonCodec);
    let video_only = "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n\
m=video 16000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
    assert_eq!(answer(video_only).unwrap_err(), NegotiationError::NoAudio);
    let no_address =
        "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nt=0 0\r\nm=audio 16000 RTP/AVP 0\r\n";
    assert_eq!(
        answer(no_address).unwrap_err(),
        NegotiationError::NoConnectionAddress
    );
}

#[test]
fn video_is_rejected_with_port_zero_in_place() {
    let offer = BARESIP.to_owned() + "m=video 50802 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
    let (ans, _) = answer(&offer).unwrap();
    assert_eq!(ans.media.len(), 2);
    assert_eq!(ans.media[1].media, "video");
    assert_eq!(ans.media[1].port, 0);
    assert_eq!(ans.media[1].formats, vec!["96"]);
    // The answer parses back to itself.
    assert_eq!(
        SessionDescription::parse_str(&ans.to_string()).unwrap(),
        ans
    );
}

#[test]
fn rtcp_mux_is_mirrored() {
    let offer = BARESIP.replace("a=rtcp-rsize", "a=rtcp-mux");
    let (ans, n) = answer(&offer).unwrap();
    assert!(n.rtcp_mux);
    assert_eq!(n.remote_rtcp, n.remote_rtp);
    assert!(has(&ans, "rtcp-mux"));
}

#[test]
fn our_offer_round_trips_and_is_what_the_brief_says() {
    let mut s = SdpSession::new(42);
    let offer = s.create_offer(&local());
    let text = offer.to_string();
    assert_eq!(
        text,
        "v=0\r\n\
o=dsmbox 42 1 IN IP4 192.0.2.10\r\n\
s=dsmbox\r\n\
c=IN IP4 192.0.2.10\r\n\
t=0 0\r\n\
m=audio 40000 RTP/AVP 0 8 101\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n"
    );
    assert_eq!(SessionDescription::parse_str(&text).unwrap(), offer);
    assert_eq!(SessionDescription::parse(text.as_bytes()).unwrap(), offer);
}

#[test]
fn we_answer_our_own_offer_and_read_the_answer() {
    let mut alice = SdpSession::new(1);
    let mut bob = SdpSession::new(2);
    let bob_media = LocalMedia::new("192.0.2.20".parse().unwrap(), 50000);
    let offer = alice.create_offer(&local());
    let wire = SessionDescription::parse_str(&offer.to_string()).unwrap();
    let (answer, bob_side) = bob.answer(&wire, &bob_media).unwrap();
    let alice_side = alice
        .accept_answer(&SessionDescription::parse_str(&answer.to_string()).unwrap())
        .unwrap();
    assert_eq!(alice_side.remote_rtp, Some(addr("192.0.2.20:50000")));
    assert_eq!(bob_side.remote_rtp, Some(addr("192.0.2.10:40000")));
    assert_eq!(alice_side.send_codec, bob_side.send_codec);
    assert_eq!(alice_side.send_telephone_event, Some(101));
    assert_eq!(alice_side.receive_telephone_events, vec![101]);
    assert_eq!(alice_side.direction, Direction::SendRecv);
    // A second answer without a new offer is an error.
    assert_eq!(
        alice.accept_answer(&answer).unwrap_err(),
        NegotiationError::NoOfferPending
    );
}

#[test]
fn answer_with_other_te_payload_type_is_accepted_on_both() {
    let mut s = SdpSession::new(9);
    s.create_offer(&local());
    let answer = "v=0\r\no=- 5 5 IN IP4 10.0.0.7\r\ns=-\r\nc=IN IP4 10.0.0.7\r\nt=0 0\r\n\
m=audio 6000 RTP/AVP 8 100\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:100 telephone-event/8000\r\n\
a=recvonly\r\na=ptime:30\r\n";
    let n = s
        .accept_answer(&SessionDescription::parse_str(answer).unwrap())
        .unwrap();
    assert_eq!(n.send_codec.law, Law::Alaw);
    assert_eq!(n.send_telephone_event, Some(100));
    assert_eq!(n.receive_telephone_events, vec![101, 100]);
    assert_eq!(n.direction, Direction::SendOnly, "peer answered recvonly");
    assert_eq!(n.ptime_ms, 30);
}

#[test]
fn rejected_answer_and_mismatched_answer() {
    let mut s = SdpSession::new(9);
    s.create_offer(&local());
    let rejected = "v=0\r\no=- 5 5 IN IP4 10.0.0.7\r\ns=-\r\nc=IN IP4 10.0.0.7\r\nt=0 0\r\n\
m=audio 0 RTP/AVP 0\r\n";
    assert_eq!(
        s.accept_answer(&SessionDescription::parse_str(rejected).unwrap())
            .unwrap_err(),
        NegotiationError::Rejected
    );
    s.create_offer(&local());
    let two = rejected.to_owned() + "m=video 0 RTP/AVP 96\r\n";
    assert_eq!(
        s.accept_answer(&SessionDescription::parse_str(&two).unwrap())
            .unwrap_err(),
        NegotiationError::AnswerMismatch
    );
}

#[test]
fn session_version_grows_only_when_the_description_changes() {
    let mut s = SdpSession::new(77);
    let version = |d: &SessionDescription| d.origin.session_version.parse::<u64>().unwrap();
    let l = local();
    let v1 = version(&s.create_offer(&l));
    let v1_again = version(&s.create_offer(&l));
    assert_eq!(
        v1, v1_again,
        "unchanged re-offer keeps the version (RFC 3264 §8)"
    );
    let mut hold = l.clone();
    hold.direction = Direction::SendOnly;
    let v2 = version(&s.create_offer(&hold));
    assert_eq!(v2, v1 + 1);
    let v3 = version(&s.create_offer(&l));
    assert_eq!(v3, v2 + 1, "resume");
    // Answering a peer's re-offer in the same dialog continues the same counter.
    let offer = SessionDescription::parse_str(BARESIP).unwrap();
    let (a, _) = s.answer(&offer, &l).unwrap();
    assert!(version(&a) > v3);
    assert_eq!(a.origin.session_id, "77");
}

#[test]
fn re_offer_keeps_rejected_m_lines_in_place() {
    let mut s = SdpSession::new(5);
    let offer = SessionDescription::parse_str(
        &(BARESIP.to_owned() + "m=video 50802 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"),
    )
    .unwrap();
    s.answer(&offer, &local()).unwrap();
    let mut hold = local();
    hold.direction = Direction::SendOnly;
    let reoffer = s.create_offer(&hold);
    assert_eq!(
        reoffer.media.len(),
        2,
        "RFC 3264 §8: m-lines are never removed"
    );
    assert_eq!(reoffer.media[0].port, 40000);
    assert_eq!(reoffer.direction_of(0), Direction::SendOnly);
    assert_eq!(reoffer.media[1].port, 0);
}

#[test]
fn lenient_parsing_of_odd_but_real_bodies() {
    // Blank lines, trailing spaces, unknown line types, a=rtpmap with odd case.
    let odd = "v=0\r\n\r\no=- 1 1 IN IP4 10.0.0.5 \r\ns=\r\ni=info\r\nu=http://x\r\n\
e=a@b\r\nc=IN IP4 10.0.0.5\r\nb=CT:100\r\nt=0 0\r\nr=7d 1h 0 25h\r\nz=0 0\r\nk=clear:x\r\n\
m=audio 7000 RTP/AVP 8 101\r\na=rtpmap:8 pcma/8000\r\na=rtpmap:101 Telephone-Event/8000\r\n\
garbage line\r\n";
    let (_, n) = answer(odd).unwrap();
    assert_eq!(n.send_codec.law, Law::Alaw);
    assert_eq!(n.send_telephone_event, Some(101));
}
