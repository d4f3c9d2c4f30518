//! A [`Collection`]: the diagrams of one bundle (SEMS's `DSMStateDiagramCollection`), loaded
//! and checked as a whole, immutable afterwards.
//!
//! Sessions hold an `Arc<Collection>`, so a reload builds a new collection while running
//! calls keep the one they started with (SEMS keeps raw pointers into a vector that a later
//! `loadDSM` may reallocate, spec §8.2; here that hazard cannot exist).

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::check::{LoadOptions, check_script};
use crate::error::{Diagnostic, Location, Severity};
use crate::modules::regex::RegexTable;
use crate::program::{Diagram, walk_actions};
use crate::registry::ModuleRegistry;
use crate::source::{MemoryLoader, SourceLoader, preprocess};

/// The checked diagrams of one bundle.
#[derive(Debug, Clone, Default)]
pub struct Collection {
    diagrams: Vec<Arc<Diagram>>,
    warnings: Vec<Diagnostic>,
    regexes: RegexTable,
}

impl Collection {
    /// Loads `<diag_path>/<name>.dsm` for every name (a `/` is appended to `diag_path` when
    /// missing, as `load_diags` does) and checks them all. On failure, every error and
    /// warning of every script is returned, errors first.
    pub fn load(
        loader: &dyn SourceLoader,
        diag_path: &str,
        names: &[&str],
        registry: &ModuleRegistry,
    ) -> Result<Collection, Vec<Diagnostic>> {
        Self::load_with(loader, diag_path, names, registry, LoadOptions::default())
    }

    /// [`Collection::load`] with options.
    pub fn load_with(
        loader: &dyn SourceLoader,
        diag_path: &str,
        names: &[&str],
        registry: &ModuleRegistry,
        options: LoadOptions,
    ) -> Result<Collection, Vec<Diagnostic>> {
        let mut path = diag_path.to_string();
        if !path.is_empty() && !path.ends_with('/') {
            path.push('/');
        }
        let mut b = Builder::new(registry, options);
        for name in names {
            b.add(loader, &path, name);
        }
        b.finish(Vec::new())
    }

    /// A new collection with this one's diagrams plus `<path_prefix><name>.dsm`
    /// (`path_prefix` is used as given, as SEMS's DI `loadDSMWithPath` does; DI `loadDSM`
    /// passes the main `diag_path` with its `/`). Fails if `name` is already loaded or the
    /// script has errors; `self` is unchanged either way.
    pub fn with_script(
        &self,
        loader: &dyn SourceLoader,
        path_prefix: &str,
        name: &str,
        registry: &ModuleRegistry,
        options: LoadOptions,
    ) -> Result<Collection, Vec<Diagnostic>> {
        if self.has_diagram(name) {
            return Err(vec![Diagnostic::error(
                Location {
                    file: format!("{path_prefix}{name}.dsm"),
                    line: 0,
                    col: 0,
                },
                format!("DSM '{name}' is already loaded"),
            )]);
        }
        let mut b = Builder::new(registry, options);
        b.add(loader, path_prefix, name);
        b.finish(self.diagrams.clone())
    }

    /// Loads one script from text (tests, fuzzing, `dsmbox check` of a single file). The
    /// script is named `name` and reported as file `file`.
    pub fn from_text(
        name: &str,
        file: &str,
        text: &str,
        registry: &ModuleRegistry,
        options: LoadOptions,
    ) -> Result<Collection, Vec<Diagnostic>> {
        let loader = MemoryLoader::new().with_file(file, text);
        let mut b = Builder::new(registry, options);
        b.add_file(&loader, file, "", name);
        b.finish(Vec::new())
    }

    /// Whether a diagram of that name is loaded.
    pub fn has_diagram(&self, name: &str) -> bool {
        self.diagram(name).is_some()
    }

    /// The diagram called `name` (the first, if loaded twice).
    pub fn diagram(&self, name: &str) -> Option<&Arc<Diagram>> {
        self.diagrams.iter().find(|d| d.name() == name)
    }

    pub(crate) fn diagram_index(&self, name: &str) -> Option<usize> {
        self.diagrams.iter().position(|d| d.name() == name)
    }

    pub(crate) fn diagram_at(&self, i: usize) -> &Diagram {
        &self.diagrams[i]
    }

    /// Diagram names in load order.
    pub fn diagram_names(&self) -> Vec<&str> {
        self.diagrams.iter().map(|d| d.name()).collect()
    }

    /// The names among `apps` that are not loaded diagrams (`register_apps` must name
    /// loaded diagrams, or the bundle fails to load).
    pub fn missing_apps<'a>(&self, apps: &[&'a str]) -> Vec<&'a str> {
        apps.iter()
            .copied()
            .filter(|a| !self.has_diagram(a))
            .collect()
    }

    /// Warnings found while loading.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// mod_regex's table of named expressions (shared with the registry it was loaded with).
    pub(crate) fn regexes(&self) -> &RegexTable {
        &self.regexes
    }

    /// Whether any diagram imported `module` (module hooks such as mod_uri's `$hdrs` apply
    /// to every session of the collection, as in SEMS).
    pub fn uses_module(&self, module: &str) -> bool {
        self.diagrams
            .iter()
            .any(|d| d.modules().iter().any(|m| m == module))
    }
}

struct Builder<'a> {
    registry: &'a ModuleRegistry,
    options: LoadOptions,
    diagrams: Vec<Arc<Diagram>>,
    diags: Vec<Diagnostic>,
}

impl<'a> Builder<'a> {
    fn new(registry: &'a ModuleRegistry, options: LoadOptions) -> Self {
        Self {
            registry,
            options,
            diagrams: Vec::new(),
            diags: Vec::new(),
        }
    }

    fn add(&mut self, loader: &dyn SourceLoader, path: &str, name: &str) {
        let file = format!("{path}{name}.dsm");
        self.add_file(loader, &file, path, name);
    }

    fn add_file(&mut self, loader: &dyn SourceLoader, file: &str, load_path: &str, name: &str) {
        let pre = preprocess(loader, file, load_path);
        let failed_to_read = pre
            .diagnostics
            .iter()
            .any(|d| d.is_error() && d.location.file == file && d.location.line == 0);
        self.diags.extend(pre.diagnostics);
        if failed_to_read {
            return;
        }
        let (diagram, diags) = check_script(name, &pre.text, &pre.map, self.registry, self.options);
        self.diags.extend(diags);
        self.diagrams.push(Arc::new(diagram));
    }

    fn finish(mut self, mut existing: Vec<Arc<Diagram>>) -> Result<Collection, Vec<Diagnostic>> {
        existing.append(&mut self.diagrams);
        let mut seen = BTreeSet::new();
        for d in &existing {
            if !seen.insert(d.name().to_string()) {
                self.diags.push(Diagnostic::warning(
                    Location {
                        file: d.name().to_string(),
                        line: 0,
                        col: 0,
                    },
                    format!(
                        "diagram '{}' is loaded twice; the first one is used",
                        d.name()
                    ),
                ));
            }
        }
        // jumpFSM/callFSM with a literal name must reach a diagram of this collection.
        let names: BTreeSet<String> = existing.iter().map(|d| d.name().to_string()).collect();
        let mut unknown = BTreeSet::new();
        for d in &existing {
            for s in &d.states {
                let mut f = |a: &crate::program::ActionCall| {
                    let n = a.text.split('(').next().unwrap_or("");
                    if (n == "jumpFSM" || n == "callFSM")
                        && !a.args.arg.is_empty()
                        && !a.args.arg.starts_with(['$', '#', '@'])
                        && !names.contains(&a.args.arg)
                    {
                        unknown.insert((d.name().to_string(), a.text.to_string()));
                    }
                };
                walk_actions(&s.enter, &mut f);
                walk_actions(&s.exit, &mut f);
                for t in &s.transitions {
                    walk_actions(&t.actions, &mut f);
                }
            }
        }
        for (diag, text) in unknown {
            self.diags.push(Diagnostic::warning(
                Location {
                    file: diag,
                    line: 0,
                    col: 0,
                },
                format!(
                    "'{text}': no such diagram in this collection (SEMS logs an error at run time)"
                ),
            ));
        }
        self.diags.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.location.file.cmp(&b.location.file))
                .then_with(|| a.location.line.cmp(&b.location.line))
                .then_with(|| a.location.col.cmp(&b.location.col))
        });
        self.diags.dedup();
        if self.diags.iter().any(|d| d.severity == Severity::Error) {
            return Err(self.diags);
        }
        Ok(Collection {
            diagrams: existing,
            warnings: self.diags,
            regexes: self.registry.regexes.clone(),
        })
    }
}
