//! INFO DTMF bodies and digest challenges: the two small text formats of the crate.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (kind, body) = data.split_first().map(|(k, b)| (*k, b)).unwrap_or((0, data));
    let ct = if kind & 1 == 0 { "application/dtmf-relay" } else { "application/dtmf" };
    if let Ok(d) = sip::dtmf::parse_dtmf_body(ct, body) {
        assert!(d.event <= 15);
        assert_ne!(d.key(), '?');
    }
    if let Ok(text) = std::str::from_utf8(body)
        && let Some(ch) = sip::auth::parse_challenge(text)
    {
        let creds = sip::Credentials::new("u", "p");
        let v = sip::auth::authorization(
            &ch,
            &creds,
            &sip::auth::DigestInput { method: "INVITE", uri: "sip:x", body: b"", nc: 1, cnonce: "c" },
        );
        assert!(v.starts_with("Digest "));
    }
});
