//! The installer's files: a conf file (`key=value` lines, comments, quotes) and the callee
//! CSV. Nothing may panic; errors name lines inside the text.
#![no_main]

use firmware::config::ConfFile;
use firmware::db::parse_callees_csv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match ConfFile::parse("fuzz.conf", text) {
        Ok(conf) => {
            for line in text.lines() {
                if let Some((k, _)) = line.split_once('=') {
                    let _ = conf.get(k.trim());
                }
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            for e in &errors {
                let shown = e.to_string();
                assert!(shown.starts_with("fuzz.conf:"), "{shown}");
            }
        }
    }
    let _ = parse_callees_csv("callees.csv", text);
});
