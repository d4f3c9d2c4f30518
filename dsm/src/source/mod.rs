//! Script text comes in through a [`SourceLoader`], so `#include` works while this crate
//! does no I/O. `firmware` implements the trait on `std::fs`; tests use [`MemoryLoader`].
//!
//! [`preprocess`] reproduces SEMS's `DSMStateDiagramCollection::readFile`: whole-line
//! comments are dropped, `#include` lines are replaced by the included text, and a
//! [`SourceMap`] remembers where every line of the resulting buffer came from, so that
//! diagnostics name the *included* file, line and column.

mod preprocess;

pub use preprocess::{PreprocessOutput, SourceMap, preprocess};

use std::collections::BTreeMap;

/// What a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
}

/// Read access to script files. Paths are plain strings, joined as SEMS joins them
/// (`diag_path + name + ".dsm"`, `load_path + include`), so the implementation should accept
/// doubled slashes.
pub trait SourceLoader {
    /// The whole text of a file, or a reason why it cannot be read.
    fn read_to_string(&self, path: &str) -> Result<String, String>;
    /// Whether `path` exists, and as what.
    fn kind(&self, path: &str) -> Option<PathKind>;
    /// The names (not paths) of the regular files in directory `dir` whose names end in
    /// `.dsm`. Order does not matter: the preprocessor sorts them.
    fn list_dsm_files(&self, dir: &str) -> Result<Vec<String>, String>;
    /// Whether `path` exists at all.
    fn exists(&self, path: &str) -> bool {
        self.kind(path).is_some()
    }
}

impl<L: SourceLoader + ?Sized> SourceLoader for &L {
    fn read_to_string(&self, path: &str) -> Result<String, String> {
        (**self).read_to_string(path)
    }
    fn kind(&self, path: &str) -> Option<PathKind> {
        (**self).kind(path)
    }
    fn list_dsm_files(&self, dir: &str) -> Result<Vec<String>, String> {
        (**self).list_dsm_files(dir)
    }
}

/// An in-memory file tree for tests, benchmarks and the fuzzer. Directories exist implicitly
/// as prefixes of file paths.
#[derive(Debug, Clone, Default)]
pub struct MemoryLoader {
    files: BTreeMap<String, String>,
}

impl MemoryLoader {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a file.
    pub fn with_file(mut self, path: &str, text: &str) -> Self {
        self.insert(path, text);
        self
    }

    /// Adds (or replaces) a file.
    pub fn insert(&mut self, path: &str, text: &str) {
        self.files.insert(normalize(path), text.to_string());
    }
}

/// Collapses repeated slashes and `/./` segments and drops a trailing slash, so that SEMS-style
/// string joins find the same entry.
pub fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

impl SourceLoader for MemoryLoader {
    fn read_to_string(&self, path: &str) -> Result<String, String> {
        self.files
            .get(&normalize(path))
            .cloned()
            .ok_or_else(|| "No such file or directory".to_string())
    }

    fn kind(&self, path: &str) -> Option<PathKind> {
        let p = normalize(path);
        if self.files.contains_key(&p) {
            return Some(PathKind::File);
        }
        let prefix = if p == "/" { p.clone() } else { format!("{p}/") };
        if self.files.keys().any(|k| k.starts_with(&prefix)) {
            Some(PathKind::Directory)
        } else {
            None
        }
    }

    fn list_dsm_files(&self, dir: &str) -> Result<Vec<String>, String> {
        let p = normalize(dir);
        let prefix = if p == "/" { p.clone() } else { format!("{p}/") };
        let mut out = Vec::new();
        for k in self.files.keys() {
            if let Some(rest) = k.strip_prefix(&prefix)
                && !rest.contains('/')
                && rest.ends_with(".dsm")
            {
                out.push(rest.to_string());
            }
        }
        if out.is_empty() && self.kind(dir) != Some(PathKind::Directory) {
            return Err("Not a directory".to_string());
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_loader_kinds() {
        let l = MemoryLoader::new()
            .with_file("/s/a.dsm", "x")
            .with_file("/s/lib/b.dsm", "y")
            .with_file("/s/lib/c.txt", "z");
        assert_eq!(l.kind("/s//a.dsm"), Some(PathKind::File));
        assert_eq!(l.kind("/s/lib/"), Some(PathKind::Directory));
        assert_eq!(l.kind("/s/nope"), None);
        assert_eq!(l.list_dsm_files("/s/lib").unwrap(), vec!["b.dsm"]);
        assert_eq!(l.read_to_string("/s/./a.dsm").unwrap(), "x");
    }
}
