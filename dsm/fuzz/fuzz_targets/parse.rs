//! The whole load pipeline on arbitrary text: preprocessing with `#include`s between up to
//! four files (so include loops and directory includes are reached), tokenizer, parser and
//! checker. The input is split on NUL bytes: the first part is `main.dsm`, the others
//! `a.dsm`, `b.dsm` and `lib/c.dsm`. Any panic is a bug; so is a hang.

#![no_main]

use libfuzzer_sys::fuzz_target;

use dsm::{Collection, LoadOptions, MemoryLoader, ModuleRegistry};

const NAMES: [&str; 4] = ["/s/main.dsm", "/s/a.dsm", "/s/b.dsm", "/s/lib/c.dsm"];

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut loader = MemoryLoader::new();
    for (name, part) in NAMES.iter().zip(text.split('\0')) {
        loader.insert(name, part);
    }
    let registry = ModuleRegistry::new();
    for sems_compatible in [false, true] {
        let options = LoadOptions {
            sems_compatible,
            warn_unhandled_hangup: true,
        };
        match Collection::load_with(&loader, "/s", &["main"], &registry, options) {
            Ok(c) => {
                for w in c.warnings() {
                    let _ = w.to_string();
                }
            }
            Err(diags) => {
                assert!(!diags.is_empty());
                for d in diags {
                    let _ = d.to_string();
                }
            }
        }
    }
});
