//! `cargo run -p dsm --example dsmcheck -- DIR NAME...`: load and check scripts, print
//! every diagnostic. A development aid (the appliance's `dsmbox check` does the same).

use std::path::Path;

use dsm::{Collection, ModuleRegistry, PathKind, SourceLoader};

struct Fs;

impl SourceLoader for Fs {
    fn read_to_string(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| e.to_string())
    }
    fn kind(&self, path: &str) -> Option<PathKind> {
        let m = std::fs::metadata(path).ok()?;
        Some(if m.is_dir() {
            PathKind::Directory
        } else {
            PathKind::File
        })
    }
    fn list_dsm_files(&self, dir: &str) -> Result<Vec<String>, String> {
        let mut v = Vec::new();
        for e in std::fs::read_dir(Path::new(dir)).map_err(|e| e.to_string())? {
            let e = e.map_err(|e| e.to_string())?;
            let n = e.file_name().to_string_lossy().into_owned();
            if n.ends_with(".dsm") && e.path().is_file() {
                v.push(n);
            }
        }
        Ok(v)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((dir, names)) = args.split_first() else {
        eprintln!("usage: dsmcheck DIR NAME...");
        std::process::exit(2);
    };
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    match Collection::load(&Fs, dir, &names, &ModuleRegistry::new()) {
        Ok(c) => {
            for w in c.warnings() {
                println!("{w}");
            }
            println!("ok: {}", c.diagram_names().join(", "));
        }
        Err(diags) => {
            for d in diags {
                println!("{d}");
            }
            std::process::exit(1);
        }
    }
}
