//! SDP: the parser, the writer (what we print must parse back to the same value), and
//! offer/answer on whatever parsed (answering it, and reading it as an answer to our offer).
#![no_main]

use libfuzzer_sys::fuzz_target;
use media::sdp::{LocalMedia, SdpSession, SessionDescription};

fuzz_target!(|data: &[u8]| {
    let Ok(desc) = SessionDescription::parse(data) else {
        return;
    };
    let text = desc.to_string();
    let again = SessionDescription::parse_str(&text).expect("our own output parses");
    assert_eq!(again, desc, "round trip of {text:?}");
    let local = LocalMedia::new("192.0.2.10".parse().unwrap(), 40000);
    let mut answerer = SdpSession::new(1);
    if let Ok((answer, _)) = answerer.answer(&desc, &local) {
        let text = answer.to_string();
        assert!(SessionDescription::parse_str(&text).is_ok());
        let _ = answerer.create_offer(&local);
    }
    let mut offerer = SdpSession::new(2);
    offerer.create_offer(&local);
    let _ = offerer.accept_answer(&desc);
});
