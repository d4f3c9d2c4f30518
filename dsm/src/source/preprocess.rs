//! Line-level preprocessing, as SEMS's `readFile` (spec §1.1), plus a map from the
//! concatenated buffer back to files and lines.

use super::{PathKind, SourceLoader, normalize};
use crate::error::{Diagnostic, Location};

/// Nesting limit for `#include` (an extension: SEMS has none and recurses until it crashes).
const MAX_INCLUDE_DEPTH: usize = 32;
/// Size limit for one script after includes (real scripts are a few kilobytes).
const MAX_TEXT_BYTES: usize = 1 << 20;
/// Limit on `#include` expansions for one script: without it, files that include each other
/// twice over ("diamonds", not loops) expand exponentially.
const MAX_INCLUDES: usize = 512;

/// Maps byte offsets of a preprocessed buffer to file, line and column.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<String>,
    /// (buffer offset of the line start, file index, 1-based line number), sorted by offset.
    lines: Vec<(usize, u32, u32)>,
    text_len: usize,
}

impl SourceMap {
    fn file_index(&mut self, file: &str) -> u32 {
        if let Some(i) = self.files.iter().position(|f| f == file) {
            return i as u32;
        }
        self.files.push(file.to_string());
        (self.files.len() - 1) as u32
    }

    /// The location of byte `offset` of `text` (the buffer this map was built with).
    pub fn locate(&self, text: &str, offset: usize) -> Location {
        let idx = match self.lines.binary_search_by(|l| l.0.cmp(&offset)) {
            Ok(i) => i,
            Err(0) => {
                return Location {
                    file: self.files.first().cloned().unwrap_or_default(),
                    line: 1,
                    col: 1,
                };
            }
            Err(i) => i - 1,
        };
        let (start, file, line) = self.lines[idx];
        let end = offset.min(text.len()).max(start);
        let col = text
            .get(start..end)
            .map_or(end - start, |s| s.chars().count())
            + 1;
        Location {
            file: self.files.get(file as usize).cloned().unwrap_or_default(),
            line,
            col: col as u32,
        }
    }

    /// The length of the buffer this map describes.
    pub fn text_len(&self) -> usize {
        self.text_len
    }
}

/// The preprocessed text of one top-level script.
#[derive(Debug, Clone, Default)]
pub struct PreprocessOutput {
    /// All lines, comments removed and includes expanded, each ending in `\n`.
    pub text: String,
    /// Where each line came from.
    pub map: SourceMap,
    /// Problems found (unreadable files, include loops, ...).
    pub diagnostics: Vec<Diagnostic>,
    includes: usize,
    exhausted: bool,
}

/// Reads `file` and everything it includes. `load_path` is the directory relative includes
/// are joined to (SEMS's diag_path of the top-level file).
pub fn preprocess(loader: &dyn SourceLoader, file: &str, load_path: &str) -> PreprocessOutput {
    let mut out = PreprocessOutput::default();
    let mut stack = Vec::new();
    read_file(loader, file, load_path, None, &mut stack, &mut out);
    out.map.text_len = out.text.len();
    out
}

fn read_file(
    loader: &dyn SourceLoader,
    filename: &str,
    load_path: &str,
    included_at: Option<&Location>,
    stack: &mut Vec<String>,
    out: &mut PreprocessOutput,
) {
    let whole_file = |f: &str| Location {
        file: f.to_string(),
        line: 0,
        col: 0,
    };
    let text = match loader.read_to_string(filename) {
        Ok(t) => t,
        Err(e) => {
            let loc = included_at.cloned().unwrap_or_else(|| whole_file(filename));
            out.diagnostics.push(Diagnostic::error(
                loc,
                format!("cannot open '{filename}': {e}"),
            ));
            return;
        }
    };
    stack.push(normalize(filename));
    let file_idx = out.map.file_index(filename);

    for (line_no, line) in text.split('\n').enumerate() {
        if out.exhausted {
            break;
        }
        let line_no = (line_no + 1) as u32;
        let trimmed = line.trim_start_matches([' ', '\t']);
        let fpos = line.len() - trimmed.len();
        if !trimmed.is_empty() {
            if trimmed.starts_with("--")
                || (trimmed.starts_with('#') && !trimmed.starts_with("#include"))
            {
                continue;
            }
            if let Some(rest) = trimmed.strip_prefix("#include") {
                let here = Location {
                    file: filename.to_string(),
                    line: line_no,
                    col: (line[..fpos].chars().count() + 1) as u32,
                };
                // SEMS trims quotes and spaces; tabs and a CR (CRLF files) are trimmed too,
                // an extension that cannot change a working script.
                let name = rest.trim_matches(|c| matches!(c, '\'' | '"' | ' ' | '\t' | '\r'));
                include(loader, load_path, name, &here, stack, out);
                continue;
            }
        }
        if out.text.len() + line.len() + 1 > MAX_TEXT_BYTES {
            out.diagnostics.push(Diagnostic::error(
                Location {
                    file: filename.to_string(),
                    line: line_no,
                    col: 1,
                },
                format!("script text exceeds {MAX_TEXT_BYTES} bytes after includes"),
            ));
            out.exhausted = true;
            break;
        }
        out.map.lines.push((out.text.len(), file_idx, line_no));
        out.text.push_str(line);
        out.text.push('\n');
    }
    stack.pop();
}

fn include(
    loader: &dyn SourceLoader,
    load_path: &str,
    name: &str,
    here: &Location,
    stack: &mut Vec<String>,
    out: &mut PreprocessOutput,
) {
    if name.is_empty() {
        out.diagnostics
            .push(Diagnostic::error(here.clone(), "missing include file name"));
        return;
    }
    out.includes += 1;
    if out.includes > MAX_INCLUDES {
        out.diagnostics.push(Diagnostic::error(
            here.clone(),
            format!("more than {MAX_INCLUDES} #include expansions in one script"),
        ));
        out.exhausted = true;
        return;
    }
    let (include_name, current_load_path) = if name.starts_with('/') {
        let dir = match name.rfind('/') {
            Some(p) => format!("{}/", &name[..p]),
            None => "/".to_string(),
        };
        (name.to_string(), dir)
    } else {
        (format!("{load_path}{name}"), load_path.to_string())
    };
    if stack.len() >= MAX_INCLUDE_DEPTH {
        out.diagnostics.push(Diagnostic::error(
            here.clone(),
            format!("#include nested more than {MAX_INCLUDE_DEPTH} deep at '{include_name}'"),
        ));
        return;
    }
    match loader.kind(&include_name) {
        Some(PathKind::Directory) => {
            let mut entries = match loader.list_dsm_files(&include_name) {
                Ok(e) => e,
                Err(e) => {
                    out.diagnostics.push(Diagnostic::error(
                        here.clone(),
                        format!("could not open directory '{include_name}': {e}"),
                    ));
                    return;
                }
            };
            // SEMS takes readdir order; sorting makes the result reproducible.
            entries.sort();
            for entry in entries.iter().filter(|e| e.ends_with(".dsm")) {
                if out.exhausted {
                    break;
                }
                let path = format!("{include_name}/{entry}");
                if check_loop(&path, here, stack, out) {
                    read_file(loader, &path, &current_load_path, Some(here), stack, out);
                }
            }
        }
        kind => {
            let mut actual = include_name.clone();
            if kind.is_none() {
                let with_ext = format!("{include_name}.dsm");
                if loader.kind(&with_ext) == Some(PathKind::File) {
                    actual = with_ext;
                }
            }
            if check_loop(&actual, here, stack, out) {
                read_file(loader, &actual, &current_load_path, Some(here), stack, out);
            }
        }
    }
}

/// Reports and refuses an include of a file that is already being read (an extension: SEMS
/// has no loop detection and never terminates).
fn check_loop(path: &str, here: &Location, stack: &[String], out: &mut PreprocessOutput) -> bool {
    let norm = normalize(path);
    if let Some(pos) = stack.iter().position(|s| *s == norm) {
        let mut chain: Vec<&str> = stack[pos..].iter().map(String::as_str).collect();
        chain.push(&norm);
        out.diagnostics.push(Diagnostic::error(
            here.clone(),
            format!("recursive #include of '{path}' ({})", chain.join(" -> ")),
        ));
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::MemoryLoader;

    #[test]
    fn comments_and_includes() {
        let l = MemoryLoader::new()
            .with_file(
                "/d/main.dsm",
                "-- c\n  # c\n-->x\nstate A;\n#include \"inc\"\nstate B;\n",
            )
            .with_file("/d/inc.dsm", "state I;\n");
        let out = preprocess(&l, "/d/main.dsm", "/d/");
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        assert_eq!(out.text, "state A;\nstate I;\n\nstate B;\n\n");
        let off = out.text.find("I;").unwrap();
        let loc = out.map.locate(&out.text, off);
        assert_eq!((loc.file.as_str(), loc.line, loc.col), ("/d/inc.dsm", 1, 7));
        let off = out.text.find("B;").unwrap();
        let loc = out.map.locate(&out.text, off);
        assert_eq!((loc.file.as_str(), loc.line), ("/d/main.dsm", 6));
    }

    #[test]
    fn include_loop_is_an_error() {
        let l = MemoryLoader::new()
            .with_file("/d/a.dsm", "#include b.dsm\n")
            .with_file("/d/b.dsm", "#include a\n");
        let out = preprocess(&l, "/d/a.dsm", "/d/");
        assert_eq!(out.diagnostics.len(), 1);
        assert!(out.diagnostics[0].message.contains("recursive #include"));
        assert_eq!(out.diagnostics[0].location.file, "/d/b.dsm");
    }

    #[test]
    fn include_fan_out_is_bounded() {
        let mut l = MemoryLoader::new();
        for i in 0..30 {
            l.insert(
                &format!("/d/f{i}.dsm"),
                &format!("#include f{n}\n#include f{n}\nx\n", n = i + 1),
            );
        }
        l.insert("/d/f30.dsm", "x\n");
        let out = preprocess(&l, "/d/f0.dsm", "/d/");
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
        assert!(out.diagnostics[0].message.contains("#include expansions"));
    }

    #[test]
    fn directory_include_sorted() {
        let l = MemoryLoader::new()
            .with_file("/d/a.dsm", "#include lib\n")
            .with_file("/d/lib/z.dsm", "z\n")
            .with_file("/d/lib/m.dsm", "m\n")
            .with_file("/d/lib/readme", "no\n");
        let out = preprocess(&l, "/d/a.dsm", "/d/");
        assert_eq!(out.text, "m\n\nz\n\n\n");
    }
}
