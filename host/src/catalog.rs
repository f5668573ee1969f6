//! What the build carries: every module crate and its migrations.
//!
//! [`Catalog::linked`] reads the records module crates submitted through
//! `inventory`; tests, benchmarks and embedding applications can also build a
//! catalog by hand, which is how the host is exercised with modules that do
//! not ship (a failing migration, a synthetic set of a thousand).

use std::borrow::Cow;

/// A module as the build carries it.
#[derive(Debug, Clone, Default)]
pub struct ModuleSource {
    /// The name used in `migrations.toml`.
    pub name: String,
    /// The crate version.
    pub version: String,
    /// The crate folder, relative to the workspace root (used to name files in messages).
    pub dir: String,
    /// Its migrations, in any order; the resolver sorts and checks them.
    pub migrations: Vec<MigrationSource>,
    /// Its plugins, compiled to WebAssembly.
    pub plugins: Vec<PluginSource>,
}

/// A module's plugin as the build carries it.
#[derive(Debug, Clone)]
pub struct PluginSource {
    /// `seed` or `verify`.
    pub kind: String,
    /// The WebAssembly component.
    pub wasm: Cow<'static, [u8]>,
}

/// A migration as the build carries it.
#[derive(Debug, Clone)]
pub struct MigrationSource {
    /// The module version it belongs to (its folder name).
    pub version: String,
    /// The file stem: `NNNN_name`.
    pub stem: String,
    /// The up SQL.
    pub up: Cow<'static, str>,
    /// The down SQL.
    pub down: Cow<'static, str>,
    /// The up file's path relative to the workspace root.
    pub up_path: String,
}

/// Every module available to the host.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// The modules, in no particular order.
    pub modules: Vec<ModuleSource>,
}

impl Catalog {
    /// The modules linked into this binary (see `crate::linked`).
    pub fn linked() -> Self {
        crate::linked::ensure_linked();
        let mut modules: Vec<ModuleSource> = vytal_contract::linked_modules()
            .map(|m| ModuleSource {
                name: m.name.to_owned(),
                version: m.version.to_owned(),
                dir: m.dir.to_owned(),
                migrations: m
                    .migrations
                    .iter()
                    .map(|g| MigrationSource {
                        version: g.version.to_owned(),
                        stem: g.stem.to_owned(),
                        up: Cow::Borrowed(g.up),
                        down: Cow::Borrowed(g.down),
                        up_path: g.up_path.to_owned(),
                    })
                    .collect(),
                plugins: m
                    .plugins
                    .iter()
                    .map(|p| PluginSource { kind: p.kind.to_owned(), wasm: Cow::Borrowed(p.wasm) })
                    .collect(),
            })
            .collect();
        modules.sort_by(|a, b| a.name.cmp(&b.name));
        Catalog { modules }
    }

    /// The module of that name, if the build carries it.
    pub fn module(&self, name: &str) -> Option<&ModuleSource> {
        self.modules.iter().find(|m| m.name == name)
    }

    /// The up files under the workspace `root` that this catalog does not
    /// carry (written since the build), relative to `root`, sorted.
    pub fn not_built(&self, root: &std::path::Path) -> Vec<String> {
        let entries = |dir: std::path::PathBuf| std::fs::read_dir(dir).into_iter().flatten().flatten();
        let mut out = Vec::new();
        for m in &self.modules {
            for version in entries(root.join(&m.dir).join("migrations")).filter(|v| v.path().is_dir()) {
                for file in entries(version.path()) {
                    let name = file.file_name().to_string_lossy().into_owned();
                    if !name.ends_with(".up.sql") {
                        continue;
                    }
                    let path = format!("{}/migrations/{}/{name}", m.dir, version.file_name().to_string_lossy());
                    if !m.migrations.iter().any(|g| g.up_path == path) {
                        out.push(path);
                    }
                }
            }
        }
        out.sort();
        out
    }
}

/// The workspace `start` is in: the nearest folder, from `start` up, that
/// holds `migrations.toml` and `modules/`.
pub fn workspace_root(start: &std::path::Path) -> Option<std::path::PathBuf> {
    start.ancestors().find(|a| a.join("migrations.toml").is_file() && a.join("modules").is_dir()).map(Into::into)
}
