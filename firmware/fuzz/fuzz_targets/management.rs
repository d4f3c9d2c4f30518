//! What arrives on the management port: an HTTP request head, an XML-RPC call in its body,
//! base64 (`<base64>` values) and the POSIX BRE patterns of `listByRegex`. The first byte
//! picks the parser; the rest is its input. Nothing may panic, and what the XML-RPC parser
//! accepts must print back to text that parses to the same text again.
#![no_main]

use firmware::management::{base64, http, posix_bre, xmlrpc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 4 {
        0 => {
            let _ = http::parse_head(rest, 8192);
        }
        1 => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            if let Ok(call) = xmlrpc::parse_method_call(text) {
                let once = xmlrpc::encode_method_call(&call.name, &call.params);
                let again = xmlrpc::parse_method_call(&once)
                    .unwrap_or_else(|e| panic!("our own encoding does not parse: {e:?}\n{once}"));
                let twice = xmlrpc::encode_method_call(&again.name, &again.params);
                assert_eq!(once, twice);
            }
            let _ = xmlrpc::parse_method_response(text);
        }
        2 => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            if let Some(bytes) = base64::decode(text) {
                assert_eq!(base64::decode(&base64::encode(&bytes)), Some(bytes));
            }
        }
        _ => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            // What the BRE becomes must be a valid pattern for the regex engine used.
            if let Ok(re) = posix_bre::to_regex(text)
                && let Ok(r) = regex_lite::Regex::new(&re)
            {
                let _ = r.is_match("sip:35@127.0.0.1");
            }
        }
    }
});
