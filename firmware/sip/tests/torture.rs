//! Torture messages in the spirit of RFC 4475 (re-typed here; bodies and lengths are ours),
//! plus the classic malformed cases, through the parser and through an [`Endpoint`]: what
//! must parse does, what must be refused gets the right status (400, 416, 420, 415, 406,
//! 501, 505) or is dropped when too broken to answer. Nothing panics.

// Test helpers outside #[test] functions unwrap too (clippy.toml only covers #[test]).
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Instant;

use sip::msg::{self, HeaderName, Limits, Message, Method, ParseErrorKind, Uri};
use sip::{Config, Endpoint, Event};

/// Turns `\n` into CRLF in the head, appends the body, and fills `{L}` with its length.
fn m(head: &str, body: &[u8]) -> Vec<u8> {
    let head = head
        .replace("{L}", &body.len().to_string())
        .replace('\n', "\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

const SDP: &[u8] = b"v=0\r\no=mhandley 29739 7272939 IN IP4 192.0.2.3\r\ns=-\r\nc=IN IP4 192.0.2.4\r\nt=0 0\r\nm=audio 49217 RTP/AVP 0 12\r\nm=video 3227 RTP/AVP 31\r\na=rtpmap:31 LPC\r\n";

fn parse(bytes: &[u8]) -> Result<Message, msg::ParseError> {
    msg::parse(bytes, &Limits::default())
}

fn req(bytes: &[u8]) -> msg::Request {
    match parse(bytes) {
        Ok(Message::Request(r)) => r,
        other => panic!(
            "expected a request: {other:?}\n{}",
            String::from_utf8_lossy(bytes)
        ),
    }
}

/// What an endpoint answers (status codes, in order) and whether it raised an incoming call.
fn answer(bytes: &[u8]) -> (Vec<u16>, bool, Endpoint) {
    let local: SocketAddr = "127.0.0.1:5060".parse().unwrap();
    let remote: SocketAddr = "127.0.0.9:5099".parse().unwrap();
    let mut ep = Endpoint::new(Config::with_local_addrs([local]), 1);
    ep.handle_datagram(Instant::now(), local, remote, bytes);
    let mut codes = Vec::new();
    while let Some(t) = ep.poll_transmit() {
        assert_eq!(t.source, local);
        match parse(&t.payload) {
            Ok(Message::Response(r)) => codes.push(r.status.code()),
            // A 400 to a malformed request copies the malformed rows, so it may not parse
            // itself; its status line and framing must still be right.
            _ => {
                let text = String::from_utf8_lossy(&t.payload);
                let code: u16 = text
                    .strip_prefix("SIP/2.0 ")
                    .and_then(|r| r.get(..3))
                    .and_then(|c| c.parse().ok())
                    .unwrap_or_else(|| panic!("bad status line: {text}"));
                assert!(code == 400 || code == 505, "{text}");
                assert!(text.ends_with("\r\nContent-Length: 0\r\n\r\n"), "{text}");
                codes.push(code);
            }
        }
    }
    let mut incoming = false;
    while let Some(e) = ep.poll_event() {
        incoming |= matches!(e, Event::IncomingCall { .. });
    }
    (codes, incoming, ep)
}

fn codes(bytes: &[u8]) -> Vec<u16> {
    answer(bytes).0
}

// ----- valid messages (RFC 4475 §3.1.1) ------------------------------------------------

const WSINV: &str = "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0
TO :
 sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n
from   : \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>
  ;
  tag = 98asjd8
MaX-fOrWaRdS: 0068
Call-ID: wsinv.ndaksdj@192.0.2.1
Content-Length   : {L}
cseq: 0009
  INVITE
Via  : SIP  /   2.0
 /UDP
    192.0.2.2;branch=390skdjuw
s :
NewFangledHeader:   newfangled value
 continued newfangled value
UnknownHeaderWithUnusualValue: ;;,,;;,;
Content-Type: application/sdp
Route:
 <sip:services.example.com;lr;unknownwith=value;unknown-no-value>
v:  SIP  / 2.0  / TCP     spindle.example.com   ;
  branch  =   z9hG4bK9ikj8  ,
 SIP  /    2.0   / UDP  192.168.255.111   ; branch=
 z9hG4bK30239
m:\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =
      newvalue ;
  secondparam ; q = 0.33
";

#[test]
fn a_short_tortuous_invite() {
    let bytes = m(WSINV, SDP);
    let r = req(&bytes);
    assert_eq!(r.method, Method::Invite);
    assert_eq!(
        r.uri.to_string(),
        "sip:vivekg@chair-dnrc.example.com;unknownparam"
    );
    assert_eq!(r.to.tag(), Some("1918181833n"));
    assert_eq!(r.from.display_name.as_deref(), Some("J Rosenberg \\\""));
    assert_eq!(r.from.tag(), Some("98asjd8"));
    assert_eq!(r.max_forwards, Some(68));
    assert_eq!(r.cseq.seq, 9);
    assert_eq!(r.via.len(), 3);
    assert_eq!(r.via[0].branch(), Some("390skdjuw"));
    assert_eq!(r.via[1].transport, "TCP");
    assert_eq!(r.via[2].branch(), Some("z9hG4bK30239"));
    assert_eq!(
        r.header(&HeaderName::Other("NewFangledHeader".into())),
        Some("newfangled value continued newfangled value")
    );
    assert_eq!(r.header(&HeaderName::Subject), Some(""));
    let contact = &r.contacts().unwrap()[0];
    assert_eq!(contact.display_name.as_deref(), Some("Quoted string \"\""));
    assert_eq!(contact.params.value("q"), Some("0.33"));
    assert!(contact.params.contains("secondparam"));
    assert_eq!(r.route().unwrap().len(), 1);
    assert_eq!(r.body, SDP);
    // It carries a To tag we never gave out: no such dialog.
    assert_eq!(codes(&bytes), vec![481]);
}

#[test]
fn wide_range_of_valid_characters() {
    let head = "!interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0
Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~
To: \"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f\" <sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>
From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\u{440}\u{430}\u{431}\u{43e}\u{442}\u{430}\u{44e}\u{449}\u{438}\u{439}\";tag=_token~1'+`*%!-.
Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{
CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~
Max-Forwards: 255
extensionHeader-!.%*+_`'~:\u{feff}\u{5927}\u{505c}\u{96fb}
Content-Length: 0
";
    let bytes = m(head, b"");
    let r = req(&bytes);
    assert_eq!(
        r.method,
        Method::Extension("!interesting-Method0123456789_*+`.%indeed'~".into())
    );
    assert_eq!(
        r.to.display_name.as_deref(),
        Some("BEL:\x07 NUL:\0 DEL:\x7f")
    );
    assert_eq!(
        r.from.display_name.as_deref(),
        Some("token1~` token2'+_ token3*%!.-")
    );
    assert_eq!(r.from.tag(), Some("_token~1'+`*%!-."));
    assert_eq!(r.max_forwards, Some(255));
    // An extension method we do not know: 501 (rsip's closed Method enum could not even
    // represent it).
    assert_eq!(codes(&bytes), vec![501]);
}

#[test]
fn valid_use_of_escaping() {
    let head = "INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0
To: sip:%75se%72@example.com
From: <sip:I%20have%20spaces@example.net>;tag=938
Max-Forwards: 87
i: esc01.239409asdfakjkn23onasd0-3234
CSeq: 234234 INVITE
Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw
C: application/sdp
Contact:
  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>
Content-Length: {L}
";
    let bytes = m(head, SDP);
    let r = req(&bytes);
    assert_eq!(r.uri.user().as_deref(), Some("sips:user@example.com"));
    assert_eq!(r.to.uri.user().as_deref(), Some("user"));
    assert_eq!(r.from.uri.user().as_deref(), Some("I have spaces"));
    let c = r.contacts().unwrap().remove(0);
    assert_eq!(c.uri.user().as_deref(), Some("caller"));
    let (codes, incoming, _) = answer(&bytes);
    assert_eq!(codes, vec![100]);
    assert!(incoming);
}

#[test]
fn escaped_nulls_in_uris() {
    let head = "REGISTER sip:example.com SIP/2.0
To: sip:null-%00-null@example.com
From: sip:null-%00-null@example.com;tag=839923423
Max-Forwards: 70
Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd
CSeq: 14398234 REGISTER
Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw
Contact: <sip:%00@host5.example.com>
Contact: <sip:%00%00@host5.example.com>
L:0
";
    let r = req(&m(head, b""));
    assert_eq!(r.to.uri.user().as_deref(), Some("null-\0-null"));
    assert_eq!(r.contacts().unwrap().len(), 2);
    // We are no registrar.
    assert_eq!(codes(&m(head, b"")), vec![405]);
}

#[test]
fn use_of_percent_when_it_is_not_an_escape() {
    let head = "RE%47IST%45R sip:registrar.example.com SIP/2.0
To: \"%Z%45\" <sip:resource@example.com>
From: \"%Z%45\" <sip:resource@example.com>;tag=f232jadfj23
Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf
Via: SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel234
CSeq: 29344 RE%47IST%45R
Max-Forwards: 70
Contact: <sip:alias1@host1.example.com>
C%6Fntact: <sip:alias2@host2.example.com>
Contact: <sip:alias3@host3.example.com>
l: 0
";
    let r = req(&m(head, b""));
    assert_eq!(r.method.as_str(), "RE%47IST%45R");
    assert_eq!(r.contacts().unwrap().len(), 2, "C%6Fntact is not Contact");
    assert_eq!(codes(&m(head, b"")), vec![501]);
}

#[test]
fn lws_between_display_name_and_angle_bracket_is_optional() {
    let head = "OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: caller<sip:caller@example.com>;tag=323
Max-Forwards: 70
Call-ID: lwsdisp.1234abcd@funky.example.com
CSeq: 60 OPTIONS
Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw
l: 0
";
    assert_eq!(codes(&m(head, b"")), vec![200]);
}

#[test]
fn long_values_and_many_vias() {
    let long = "long".repeat(20);
    let mut head = format!(
        "INVITE sip:user@example.com SIP/2.0
To: \"I have a user name of {x} proportion\"<sip:user@example.com:6000;unknownparam1=very{long}value;longparamname{long}=shortvalue;very{long}ParameterNameWithNoValue>
F: sip:amazinglylongcallername{long}@example.net;tag=12982{n}424;unknownheaderparamname{long}=unknowheaderparamvalue{long};unknownValuelessparamname{long}
Call-ID: longreq.one{long}callid
CSeq: 3882340 INVITE
Unknown-{long}-Name: unknown-{long}-value; unknown-{long}-parameter-name = unknown-{long}-parameter-value
",
        x = "extreme".repeat(10),
        n = "98".repeat(60),
    );
    let forms = [
        "Via", "v", "V", "ViA", "VIa", "VIA", "via", "viA", "vIa", "vIA", "V ", "v ", "V  ", "Via ",
    ];
    for i in 0..33 {
        head.push_str(&format!(
            "{}: SIP/2.0/TCP sip{}.example.com\n",
            forms[i % forms.len()],
            33 - i
        ));
    }
    head.push_str(&format!(
        "Via: SIP/2.0/TCP host.example.com;received=192.0.2.5;branch=very{long}branchvalue\nMax-Forwards: 70\nContact: <sip:amazinglylongcallername{long}@host5.example.net>\nContent-Type: application/sdp\nl: {{L}}\n"
    ));
    let bytes = m(&head, SDP);
    let r = req(&bytes);
    assert_eq!(r.via.len(), 34);
    assert_eq!(r.via[0].host.to_string(), "sip33.example.com");
    // RFC 2543-style branches are fine; the call is offered.
    let (codes, incoming, _) = answer(&bytes);
    assert_eq!(codes, vec![100]);
    assert!(incoming);
}

#[test]
fn extra_bytes_after_content_length_are_discarded() {
    let reg = "REGISTER sip:example.com SIP/2.0
To: sip:j.user@example.com
From: sip:j.user@example.com;tag=43251j3j324
Max-Forwards: 8
I: dblreq.0ha0isndaksdj99sdfafnl3lk233412
Contact: sip:j.user@host.example.com
CSeq: 8 REGISTER
Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492
Content-Length: 0
";
    let inv = m(
        "INVITE sip:joe@example.com SIP/2.0\nt: sip:joe@example.com\nFrom: sip:caller@example.net;tag=141334\nMax-Forwards: 8\nCall-ID: dblreq.0ha0isnda977644900765@192.0.2.15\nCSeq: 8 INVITE\nVia: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234\nContent-Type: application/sdp\nContent-Length: {L}\n",
        SDP,
    );
    let mut bytes = m(reg, b"");
    bytes.extend_from_slice(&inv);
    let r = req(&bytes);
    assert_eq!(r.method, Method::Register);
    assert!(r.body.is_empty());
    assert_eq!(codes(&bytes), vec![405]);
}

#[test]
fn semicolon_separated_parameters_in_uri_user_part() {
    let head = "OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0
To: sip:j_user@example.com
From: sip:caller@example.org;tag=33242
Max-Forwards: 3
Call-ID: semiuri.0ha0isndaksdj
CSeq: 8 OPTIONS
Accept: application/sdp, application/pkcs7-mime,
        multipart/mixed, multipart/signed,
        message/sip, message/sipfrag
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw
l: 0
";
    let r = req(&m(head, b""));
    assert_eq!(
        r.uri.as_sip().unwrap().user.as_deref(),
        Some("user;par=u%40example.net")
    );
    assert_eq!(codes(&m(head, b"")), vec![200]);
}

#[test]
fn varied_and_unknown_transport_types() {
    let head = "OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: <sip:caller@example.com>;tag=323
Max-Forwards: 70
Call-ID:  transports.kijh4akdnaqjkwendsasfdj
Accept: application/sdp
CSeq: 60 OPTIONS
Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw
Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf
Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj
Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en
Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee
l: 0
";
    let r = req(&m(head, b""));
    assert_eq!(
        r.via
            .iter()
            .map(|v| v.transport.as_str())
            .collect::<Vec<_>>(),
        vec!["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]
    );
    assert_eq!(codes(&m(head, b"")), vec![200]);
}

#[test]
fn multipart_binary_body() {
    let mut body = b"--7a9cbec02ceef655\r\nContent-Type: text/plain\r\n\r\nHello\r\n--7a9cbec02ceef655\r\nContent-Type: application/octet-stream\r\n\r\n".to_vec();
    body.extend((0..=255u8).chain([b'\r', b'\n', b'\r', b'\n', 0, 0xff]));
    body.extend_from_slice(b"\r\n--7a9cbec02ceef655--\r\n");
    let head = "MESSAGE sip:kumiko@example.org SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-;rport
Max-Forwards: 70
Route: <sip:127.0.0.1:5080>
Contact: <sip:fluffy@127.0.0.1:5070>
To: <sip:kumiko@example.org>
From: <sip:fluffy@example.com>;tag=2fb0dcc9
Call-ID: 3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..
CSeq: 1 MESSAGE
Content-Transfer-Encoding: binary
Content-Type: multipart/mixed;boundary=7a9cbec02ceef655
Content-Length: {L}
";
    let bytes = m(head, &body);
    let r = req(&bytes);
    assert_eq!(r.body, body, "binary body kept byte for byte");
    assert_eq!(codes(&bytes), vec![405]);
}

#[test]
fn unusual_and_missing_reason_phrases() {
    let head = "SIP/2.0 200 = 2**3 * 5**2 \u{43d}\u{43e} \u{441}\u{442}\u{43e} \u{434}\u{435}\u{432}\u{44f}\u{43d}\u{43e}\u{441}\u{442}\u{43e} \u{434}\u{435}\u{432}\u{44f}\u{442}\u{44c}
Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923
Call-ID: unreason.1234ksdfak3j2erwedfsASdf
CSeq: 35 INVITE
From: sip:user@example.com;tag=11141343
To: sip:user@example.edu;tag=2229
Content-Length: {L}
Content-Type: application/sdp
Contact: <sip:user@host198.example.com>
";
    let Ok(Message::Response(r)) = parse(&m(head, SDP)) else {
        panic!()
    };
    assert!(r.reason.starts_with("= 2**3 * 5**2 \u{43d}"));
    let noreason = "SIP/2.0 100 \nVia: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe\nCall-ID: noreason.asndj203insdf99223ndf\nCSeq: 35 INVITE\nFrom: <sip:user@example.com>;tag=39ansfi3\nTo: <sip:user@example.edu>;tag=902jndnke3\nContent-Length: 0\nContact: <sip:user@host105.example.com>\n";
    let Ok(Message::Response(r)) = parse(&m(noreason, b"")) else {
        panic!()
    };
    assert_eq!(r.reason, "");
    // A response matching nothing is counted and dropped.
    let (codes, _, ep) = answer(&m(noreason, b""));
    assert!(codes.is_empty());
    assert_eq!(ep.stats().stray_responses, 1);
}

// ----- invalid messages (RFC 4475 §3.1.2) ----------------------------------------------

fn options(extra: &str) -> String {
    format!(
        "OPTIONS sip:user@example.com SIP/2.0\nVia: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw\nMax-Forwards: 70\nFrom: sip:caller@example.net;tag=34525\nTo: sip:user@example.com\nCall-ID: x.1\nCSeq: 8 OPTIONS\n{extra}"
    )
}

fn invite(request_line: &str, extra: &str, cl: &str) -> Vec<u8> {
    let head = format!(
        "{request_line}\nTo: sip:user@example.com\nFrom: sip:caller@example.net;tag=8814\nMax-Forwards: 70\nCall-ID: torture.1@example.com\nCSeq: 1 INVITE\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKkdjuw3923\nContact: <sip:caller@host1.example.net>\nContent-Type: application/sdp\nContent-Length: {cl}\n{extra}"
    );
    m(&head, SDP)
}

#[test]
fn extraneous_header_field_separators() {
    let head = "INVITE sip:user@example.com SIP/2.0
To: sip:j.user@example.com
From: sip:caller@example.net;tag=134161461246
Max-Forwards: 7
Call-ID: badinv01.0ha0isndaksdjasdf3234nas
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.15;;,;,,
Contact: \"Joe\" <sip:joe@example.org>;;;;
Content-Length: {L}
Content-Type: application/sdp
";
    let bytes = m(head, SDP);
    let e = parse(&bytes).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::Malformed("Via"));
    // The Via cannot be read, so the 400 goes back to the source with the rows as received.
    assert_eq!(codes(&bytes), vec![400]);
}

#[test]
fn content_length_larger_than_message() {
    let bytes = invite("INVITE sip:user@example.com SIP/2.0", "", "9999");
    assert_eq!(parse(&bytes).unwrap_err().kind, ParseErrorKind::Truncated);
    assert_eq!(codes(&bytes), vec![400]);
}

#[test]
fn negative_and_huge_content_length() {
    assert_eq!(
        codes(&invite("INVITE sip:user@example.com SIP/2.0", "", "-999")),
        vec![400]
    );
    assert_eq!(
        codes(&invite(
            "INVITE sip:user@example.com SIP/2.0",
            "",
            "99999999999999999999999"
        )),
        vec![400]
    );
}

#[test]
fn multiple_conflicting_content_lengths() {
    let head = options("Content-Length: 13\nContent-Length: 5\nContent-Type: text/plain\n");
    let bytes = m(
        &head,
        b"There's no way to know how many octets are supposed to be here.",
    );
    assert_eq!(
        parse(&bytes).unwrap_err().kind,
        ParseErrorKind::Duplicate("Content-Length")
    );
    assert_eq!(codes(&bytes), vec![400]);
}

#[test]
fn overlarge_scalars() {
    let head = "REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3
To: <sip:user@example.com>
From: <sip:user@example.com>;tag=239232jh3
CSeq: 36893488147419103232 REGISTER
Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32
Max-Forwards: 300
Expires: 10000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
Contact: <sip:user@host129.example.com>
  ;expires=280297596632815
Content-Length: 0
";
    assert_eq!(codes(&m(head, b"")), vec![400]);
    // Max-Forwards alone out of range.
    assert_eq!(
        codes(&m(
            &options("Max-Forwards: 300\nContent-Length: 0\n").replace("Max-Forwards: 70\n", ""),
            b""
        )),
        vec![400]
    );
    // The same in a response: dropped and counted.
    let resp = "SIP/2.0 503 Service Unavailable
Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bKzzxdiwo34sw;received=192.0.2.129
To: <sip:user@example.com>
From: <sip:other@example.net>;tag=2easdjfejw
CSeq: 9292394834772304023312 OPTIONS
Call-ID: scalarlg.noase0of0234hn2qofoaf0232aewf2394r
Retry-After: 949302838503028349304023988
Warning: 1812 overture \"In Progress\"
Content-Length: 0
";
    let (codes, _, ep) = answer(&m(resp, b""));
    assert!(codes.is_empty());
    assert_eq!((ep.stats().malformed, ep.stats().malformed_dropped), (1, 1));
}

#[test]
fn unterminated_quoted_string_in_display_name() {
    let bytes = invite("INVITE sip:user@example.com SIP/2.0", "", "{L}");
    let text = String::from_utf8(bytes).unwrap().replace(
        "To: sip:user@example.com",
        "To: \"Mr. J. User <sip:j.user@example.com>",
    );
    assert_eq!(
        parse(text.as_bytes()).unwrap_err().kind,
        ParseErrorKind::Malformed("To")
    );
    assert_eq!(codes(text.as_bytes()), vec![400]);
}

#[test]
fn bad_request_lines() {
    for line in [
        "INVITE <sip:user@example.com> SIP/2.0", // <> around the Request-URI
        "INVITE sip:user@example.com; lr SIP/2.0", // LWS inside it
        "INVITE  sip:user@example.com  SIP/2.0", // several SP
        "INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0", // URI headers
    ] {
        let bytes = invite(line, "", "{L}");
        assert!(parse(&bytes).is_err(), "{line}");
        assert_eq!(codes(&bytes), vec![400], "{line}");
    }
    // Trailing SP after the version is tolerated (RFC 4475 trws allows either).
    let bytes = invite("INVITE sip:user@example.com SIP/2.0  ", "", "{L}");
    assert_eq!(codes(&bytes), vec![100]);
}

#[test]
fn spaces_within_addr_spec_and_unquoted_commas_in_display_names() {
    let aspec = "OPTIONS sip:user@example.org SIP/2.0
Via: SIP/2.0/UDP host4.example.com:5060;branch=z9hG4bKkdju43234
Max-Forwards: 70
From: \"Bell, Alexander\" <sip:a.g.bell@example.com>;tag=433423
To: \"Watson, Thomas\" < sip:t.watson@example.org >
Call-ID: badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3
Accept: application/sdp
CSeq: 3923239 OPTIONS
l: 0
";
    assert_eq!(codes(&m(aspec, b"")), vec![400]);
    let dn = "OPTIONS sip:t.watson@example.org SIP/2.0
Via:     SIP/2.0/UDP c.example.com:5060;branch=z9hG4bKkdjuw
Max-Forwards:      70
From:    Bell, Alexander <sip:a.g.bell@example.com>;tag=43
To:      Watson, Thomas <sip:t.watson@example.org>
Call-ID: baddn.31415@c.example.com
Accept: application/sdp
CSeq:    3923239 OPTIONS
l: 0
";
    assert_eq!(codes(&m(dn, b"")), vec![400]);
}

#[test]
fn unknown_protocol_version_gets_505() {
    let head = "OPTIONS sip:t.watson@example.org SIP/7.0
Via:     SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw
Max-Forwards:     70
From:    A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe
To:      T. Watson <sip:t.watson@example.org>
Call-ID: badvers.31417@c.example.com
CSeq:    1 OPTIONS
l: 0
";
    assert_eq!(codes(&m(head, b"")), vec![505]);
}

#[test]
fn method_mismatches() {
    assert_eq!(
        codes(&m(
            &options("l: 0\n").replace("CSeq: 8 OPTIONS", "CSeq: 8 INVITE"),
            b""
        )),
        vec![400]
    );
    let head = options("l: 0\n")
        .replace("OPTIONS sip:", "NEWMETHOD sip:")
        .replace("CSeq: 8 OPTIONS", "CSeq: 8 INVITE");
    assert_eq!(codes(&m(&head, b"")), vec![400]);
}

#[test]
fn overlarge_response_code_is_dropped() {
    let head = "SIP/2.0 4294967301 better not break the receiver
Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe
Call-ID: bigcode.asdof3uj203asdnf3429uasdhfas3ehjasdfas9i
CSeq: 353494 INVITE
From: <sip:user@example.com>;tag=39ansfi3
To: <sip:user@example.edu>;tag=902jndnke3
Content-Length: 0
Contact: <sip:user@host105.example.com>
";
    let (codes, _, ep) = answer(&m(head, b""));
    assert!(codes.is_empty());
    assert_eq!(ep.stats().malformed_dropped, 1);
}

#[test]
fn missing_required_headers_are_dropped_when_unanswerable() {
    let head = "INVITE sip:user@example.com SIP/2.0
CSeq: 193942 INVITE
Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf
Content-Type: application/sdp
l: {L}
";
    let (codes, _, ep) = answer(&m(head, SDP));
    assert!(
        codes.is_empty(),
        "no From/To/Call-ID: nothing to build a 400 from"
    );
    assert_eq!(ep.stats().malformed_dropped, 1);
}

#[test]
fn multiple_values_in_single_value_headers() {
    let head = "INVITE sip:user@company.com SIP/2.0
Contact: <sip:caller@host25.example.net>
Via: SIP/2.0/UDP 192.0.2.25;branch=z9hG4bKkdjuw
Max-Forwards: 70
CSeq: 5 INVITE
Call-ID: multi01.98asdh@192.0.2.1
CSeq: 59 INVITE
Call-ID: multi01.98asdh@192.0.2.2
From: sip:caller@example.com;tag=3413415
To: sip:user@example.com
To: sip:other@example.net
From: sip:caller@example.net;tag=2923420123
Content-Type: application/sdp
l: {L}
Contact: <sip:caller@host36.example.net>
Max-Forwards: 5
";
    assert!(matches!(
        parse(&m(head, SDP)).unwrap_err().kind,
        ParseErrorKind::Duplicate(_)
    ));
    assert_eq!(codes(&m(head, SDP)), vec![400]);
}

#[test]
fn unknown_schemes() {
    for uri in [
        "nobodyKnowsThisScheme:totallyopaquecontent",
        "soap.beep://192.0.2.103:3002",
        "sips:user@example.com",
    ] {
        let head = options("Content-Length: 0\n").replace(
            "OPTIONS sip:user@example.com SIP/2.0",
            &format!("OPTIONS {uri} SIP/2.0"),
        );
        assert_eq!(codes(&m(&head, b"")), vec![416], "{uri}");
    }
    // Unknown schemes in To, From and Contact are fine to carry.
    let head = "REGISTER sip:example.com SIP/2.0
To: isbn:2983792873
From: <http://www.example.com>;tag=3234233
Call-ID: unksm2.daksdj@hyphenated-host.example.com
CSeq: 234902 REGISTER
Max-Forwards: 70
Via: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bKkdjuw
Contact: <name:John_Smith>
l: 0
";
    let r = req(&m(head, b""));
    assert!(matches!(r.to.uri, Uri::Other { .. }));
    assert_eq!(codes(&m(head, b"")), vec![405]);
}

#[test]
fn unknown_option_tags_get_420_with_unsupported() {
    let head = options(
        "Require: nothingSupportsThis, nothingSupportsThisEither\nProxy-Require: noProxiesSupportThis\nContent-Length: 0\n",
    );
    let (_, _, mut ep) = answer(b"");
    let local: SocketAddr = "127.0.0.1:5060".parse().unwrap();
    ep.handle_datagram(
        Instant::now(),
        local,
        "127.0.0.9:5099".parse().unwrap(),
        &m(&head, b""),
    );
    let t = ep.poll_transmit().unwrap();
    let Ok(Message::Response(r)) = parse(&t.payload) else {
        panic!()
    };
    assert_eq!(r.status.code(), 420);
    assert_eq!(
        r.header(&HeaderName::Unsupported),
        Some("nothingSupportsThis, nothingSupportsThisEither")
    );
}

#[test]
fn unknown_content_type_gets_415_and_unacceptable_accept_gets_406() {
    let head = "INVITE sip:user@example.com SIP/2.0
Contact: <sip:caller@host5.example.net>
To: sip:j.user@example.com
From: sip:caller@example.net;tag=8392034
Max-Forwards: 70
Call-ID: invut.0ha0isndaksdjadsfij34n23d
CSeq: 235448 INVITE
Via: SIP/2.0/UDP somehost.example.com;branch=z9hG4bKkdjuw
Content-Type: application/unknownformat
Content-Length: {L}
";
    let (codes, incoming, _) = answer(&m(head, b"<audio>\n <pcmu port=\"443\"/>\n</audio>\n"));
    assert_eq!(codes, vec![415]);
    assert!(!incoming);
    let bytes = invite(
        "INVITE sip:user@example.com SIP/2.0",
        "Accept: text/nobodyKnowsThis\n",
        "{L}",
    );
    assert_eq!(answer(&bytes).0, vec![406]);
    let bytes = invite(
        "INVITE sip:user@example.com SIP/2.0",
        "Accept: application/*\n",
        "{L}",
    );
    assert_eq!(answer(&bytes).0, vec![100]);
}

#[test]
fn zero_max_forwards_is_fine_for_a_uas() {
    assert_eq!(
        codes(&m(
            &options("Max-Forwards: 0\nContent-Length: 0\n").replace("Max-Forwards: 70\n", ""),
            b""
        )),
        vec![200]
    );
}

#[test]
fn rfc2543_invite_is_accepted() {
    let head = "INVITE sip:UserB@example.com SIP/2.0
Via: SIP/2.0/UDP iftgw.example.com
From: <sip:+13035551111@ift.client.example.net;user=phone>
Record-Route: <sip:UserB@example.com;maddr=ss1.example.com>
To: sip:+16505552222@ss1.example.net;user=phone
Call-ID: inv2543.1717@ift.client.example.com
CSeq: 56 INVITE
Content-Type: application/sdp
";
    // No Content-Length: over UDP the body runs to the end of the datagram.
    let (codes, incoming, mut ep) = answer(&m(head, SDP));
    assert_eq!(codes, vec![100]);
    assert!(incoming);
    // Its retransmission is recognised without a magic cookie (§17.2.3).
    let local: SocketAddr = "127.0.0.1:5060".parse().unwrap();
    ep.handle_datagram(
        Instant::now(),
        local,
        "127.0.0.9:5099".parse().unwrap(),
        &m(head, SDP),
    );
    assert_eq!(
        ep.poll_transmit()
            .map(|t| t.payload.starts_with(b"SIP/2.0 100")),
        Some(true)
    );
    assert!(ep.poll_event().is_none(), "not a second call");
}

#[test]
fn magic_cookie_alone_as_branch() {
    let head = options("l: 0\n").replace("branch=z9hG4bKkdjuw", "branch=z9hG4bK");
    assert_eq!(codes(&m(&head, b"")), vec![200]);
}

#[test]
fn stray_acks_and_cancels() {
    let ack = options("l: 0\n").replace("OPTIONS", "ACK");
    let (codes, _, ep) = answer(&m(&ack, b""));
    assert!(codes.is_empty(), "an ACK is never answered");
    assert_eq!(ep.stats().stray_acks, 1);
    let cancel = options("l: 0\n").replace("OPTIONS", "CANCEL");
    assert_eq!(answer(&m(&cancel, b"")).0, vec![481]);
    // A malformed ACK is dropped, not answered.
    let bad_ack = ack.replace("CSeq: 8 ACK", "CSeq: x ACK");
    let (codes, _, ep) = answer(&m(&bad_ack, b""));
    assert!(codes.is_empty());
    assert_eq!(ep.stats().malformed_dropped, 1);
}

#[test]
fn every_truncation_of_an_invite_is_answered_or_dropped() {
    let full = invite("INVITE sip:user@example.com SIP/2.0", "", "{L}");
    let mut answered = 0;
    let mut offered = 0;
    for len in 0..=full.len() {
        let (codes, incoming, _) = answer(&full[..len]);
        assert!(codes.len() <= 1 || incoming, "cut at {len}: {codes:?}");
        if codes == vec![400] {
            answered += 1;
        }
        if incoming {
            offered += 1;
        }
    }
    // Only the complete message is a call; cuts inside the body are answered 400.
    assert_eq!(offered, 1);
    assert!(answered >= SDP.len());
}

#[test]
fn garbage_never_panics() {
    let mut x: u64 = 0x1234_5678;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let base = invite("INVITE sip:user@example.com SIP/2.0", "", "{L}");
    for round in 0..3000 {
        let mut bytes = base.clone();
        for _ in 0..(1 + next() % 8) {
            let pos = (next() as usize) % bytes.len();
            match next() % 4 {
                0 => bytes[pos] = next() as u8,
                1 => {
                    bytes.remove(pos);
                }
                2 => {
                    let set = b"\r\n :;,<>\"%@[]";
                    bytes.insert(pos, set[next() as usize % set.len()])
                }
                _ => bytes.truncate(pos),
            }
            if bytes.is_empty() {
                break;
            }
        }
        let _ = answer(&bytes);
        let _ = round;
    }
}
