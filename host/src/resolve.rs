//! From `migrations.toml` and the build to one ordered [`Plan`].
//!
//! The graph's nodes are (module, version) pairs. A module's versions come
//! in order (each node after the previous one), and a requirement declared
//! at version V of module M puts node (M, V) after the lowest version of the
//! required module that satisfies the constraint. Two modules may therefore
//! come to require each other over time without a cycle. Nothing here
//! touches a database: a plan that exists is a valid plan.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use semver::{Version, VersionReq};

use crate::catalog::{Catalog, PluginSource};
use crate::keys::{Label, MigrationId, ModuleName};
use crate::manifest::{HostSettings, Location, Manifest};
use crate::sql::{self, Directives};

/// Errors found while checking the manifest against the build.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// Listed in the manifest, not registered by any linked crate.
    #[error(
        "{at}: module `{module}` is listed but the build has no such module; create modules/{module} and link it in host/src/linked.rs, or remove [modules.{module}]"
    )]
    NotInBuild {
        /// Where it is listed.
        at: Location,
        /// The module.
        module: String,
    },
    /// Registered by a linked crate, not listed in the manifest.
    #[error(
        "{file}: module `{module}` ({dir}) is in the build but not listed; add [modules.{module}] with version = \"{version}\""
    )]
    NotInManifest {
        /// The manifest.
        file: String,
        /// The module.
        module: String,
        /// Its crate folder.
        dir: String,
        /// Its crate version.
        version: String,
    },
    /// The manifest and the crate disagree on the version.
    #[error(
        "{at}: module `{module}` is listed at version {listed} but its crate ({dir}/Cargo.toml) is {built}; make the two agree"
    )]
    VersionMismatch {
        /// Where the version is written.
        at: Location,
        /// The module.
        module: String,
        /// The manifest's version.
        listed: Version,
        /// The crate's version.
        built: String,
        /// The crate folder.
        dir: String,
    },
    /// A requirement names a module that is not listed.
    #[error(
        "{at}: module `{module}` requires `{required}`, which is not a listed module; list it or remove the requirement"
    )]
    UnknownRequirement {
        /// Where.
        at: Location,
        /// The requiring module.
        module: String,
        /// The unknown module.
        required: String,
    },
    /// A module requires itself.
    #[error("{at}: module `{module}` requires itself; remove that requirement")]
    SelfRequirement {
        /// Where.
        at: Location,
        /// The module.
        module: String,
    },
    /// The build's version of a required module does not meet the constraint.
    #[error(
        "{at}: {module}@{version} requires {required} {constraint}, but the build carries {required}@{available}; change the constraint or the {required} version"
    )]
    Unsatisfiable {
        /// Where the constraint is written.
        at: Location,
        /// The requiring module.
        module: String,
        /// The requiring module's version the constraint applies from.
        version: Version,
        /// The required module.
        required: String,
        /// The constraint.
        constraint: VersionReq,
        /// The version the build carries.
        available: Version,
    },
    /// Following requirements leads back to where it started.
    #[error(
        "dependency cycle: {}; declared at {}; declare one of these requirements at a later version of its module (since.\"VERSION\".requires) so each side can be applied first",
        path.join(" -> "),
        declared.join(", ")
    )]
    Cycle {
        /// The cycle, first node repeated at the end, e.g. `tasks@1.1.0 -> appointments@1.1.0 -> tasks@1.1.0`.
        path: Vec<String>,
        /// Where each requirement on the cycle is written, as `file:line:column (a requires b)`.
        declared: Vec<String>,
    },
    /// A plugin declared in the manifest and the plugins the build carries disagree.
    #[error("{at}: {message}")]
    Plugin {
        /// Where (the module's entry when the manifest does not declare it).
        at: Location,
        /// What is wrong and what to do.
        message: String,
    },
    /// A migration file name or folder is wrong.
    #[error("{path}: {message}")]
    BadMigration {
        /// The up file.
        path: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// Two migrations of one module share an id.
    #[error("module `{module}`: migration id {id} is used twice ({first} and {second}); renumber one of them")]
    DuplicateId {
        /// The module.
        module: String,
        /// The id.
        id: String,
        /// One file.
        first: String,
        /// The other.
        second: String,
    },
}

/// A `--module` name that the plan does not have.
#[derive(Debug, Clone, thiserror::Error)]
#[error("no module `{module}` in this build; known modules: {known}")]
pub struct UnknownModule {
    /// The name given.
    pub module: String,
    /// The names that exist, comma-separated.
    pub known: String,
}

/// A selection that names what the plan does not have.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SelectError {
    /// No such module.
    #[error(transparent)]
    Module(#[from] UnknownModule),
    /// No such version of the module.
    #[error(transparent)]
    Version(#[from] UnknownVersion),
    /// `--module` asks for a migration that needs what `--to` leaves out.
    #[error(
        "{migration} needs a version that --to {to} leaves out, so --module cannot apply its module whole; raise --to, or leave that module out; nothing was applied"
    )]
    Excluded {
        /// The first migration of the named module that the cut leaves out.
        migration: String,
        /// The `--to` given.
        to: String,
    },
}

/// A `MODULE@VERSION` that names a version the module never had.
#[derive(Debug, Clone, thiserror::Error)]
#[error("module `{module}` has no version {version}; its versions are {known}")]
pub struct UnknownVersion {
    /// The module.
    pub module: String,
    /// The version given.
    pub version: Version,
    /// The versions the build knows, comma-separated.
    pub known: String,
}

/// One migration in plan order.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PlannedMigration {
    /// The module it belongs to.
    pub module: ModuleName,
    /// Its id within the module: the file's numeric prefix, e.g. `0001`.
    pub id: MigrationId,
    /// Its name: the rest of the file stem, e.g. `create_tasks`.
    pub name: String,
    /// The module version it belongs to.
    pub version: Version,
    /// The up SQL.
    pub up: Cow<'static, str>,
    /// The down SQL.
    pub down: Cow<'static, str>,
    /// Checksum of the normalised up SQL.
    pub checksum: String,
    /// Its `-- vytal:` directives.
    pub directives: Directives,
    /// The down file's `-- vytal:` directives.
    pub down_directives: Directives,
    /// The up file, relative to the workspace root.
    pub up_path: String,
    /// Position in the plan.
    seq: usize,
    /// Graph node (module, version) it belongs to.
    node: usize,
}

impl PlannedMigration {
    /// `module/id_name`, the way migrations are named in output.
    pub fn label(&self) -> Label<'_> {
        Label { module: &self.module, id: &self.id, name: &self.name }
    }

    /// The down file, relative to the workspace root.
    pub fn down_path(&self) -> String {
        match self.up_path.strip_suffix(".up.sql") {
            Some(stem) => format!("{stem}.down.sql"),
            None => format!("{} (down)", self.up_path),
        }
    }

    /// Its position in the plan: the order migrations apply in.
    pub fn position(&self) -> usize {
        self.seq
    }
}

/// A module as resolved.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ResolvedModule {
    /// The module name.
    pub name: ModuleName,
    /// The version the build carries.
    pub version: Version,
    /// Every version with migrations or requirements, oldest first.
    pub versions: Vec<Version>,
    /// Requirements in force at that version: module and constraint.
    pub requires: BTreeMap<ModuleName, VersionReq>,
    /// The crate folder, relative to the workspace root.
    pub dir: String,
    /// The module's plugins (declared in the manifest, carried by the build).
    pub plugins: Vec<PluginSource>,
}

/// A graph node: one version of one module.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Node {
    /// The module.
    pub module: ModuleName,
    /// The version.
    pub version: Version,
}

impl std::fmt::Display for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.module, self.version)
    }
}

/// A valid, ordered plan of every migration the build carries.
///
/// Only [`resolve`] builds one, and [`Plan::cut`] narrows one, so a plan in
/// hand is always ordered and consistent with its requirements.
#[derive(Debug, Clone)]
pub struct Plan {
    settings: HostSettings,
    modules: BTreeMap<ModuleName, ResolvedModule>,
    nodes: Vec<Node>,
    /// For each node, the nodes that must come before it.
    edges: Vec<BTreeSet<usize>>,
    migrations: Vec<PlannedMigration>,
}

impl Plan {
    /// Host settings from the manifest.
    pub fn settings(&self) -> &HostSettings {
        &self.settings
    }

    /// Every migration, in the order they apply.
    pub fn migrations(&self) -> &[PlannedMigration] {
        &self.migrations
    }

    /// The modules, by name.
    pub fn modules(&self) -> &BTreeMap<ModuleName, ResolvedModule> {
        &self.modules
    }

    /// The dependency graph: each node with the nodes it must follow.
    pub fn graph(&self) -> impl Iterator<Item = (&Node, Vec<&Node>)> {
        self.nodes.iter().zip(&self.edges).map(|(n, e)| (n, e.iter().map(|&i| &self.nodes[i]).collect()))
    }

    /// The migration `module`/`id`, if the build carries it.
    pub fn find(&self, module: &str, id: &str) -> Option<&PlannedMigration> {
        self.migrations.iter().find(|m| m.module == module && m.id == id)
    }

    /// Checks module names given on the command line.
    pub fn check_modules(&self, modules: &[String]) -> Result<(), UnknownModule> {
        match modules.iter().find(|m| !self.modules.contains_key(m.as_str())) {
            Some(m) => Err(self.unknown(m)),
            None => Ok(()),
        }
    }

    fn unknown(&self, module: &str) -> UnknownModule {
        UnknownModule {
            module: module.to_owned(),
            known: self.modules.keys().map(ModuleName::as_str).collect::<Vec<_>>().join(", "),
        }
    }

    /// What `modules` need, in plan order: all their migrations and those of
    /// every node they depend on. Empty `modules` selects the whole plan.
    pub fn select(&self, modules: &[String]) -> Result<Vec<&PlannedMigration>, UnknownModule> {
        if modules.is_empty() {
            return Ok(self.migrations.iter().collect());
        }
        self.check_modules(modules)?;
        let start = self.nodes.iter().enumerate().filter(|(_, n)| modules.iter().any(|m| n.module == *m));
        let seen = self.reach(start.map(|(i, _)| i));
        Ok(self.migrations.iter().filter(|m| seen.contains(&m.node)).collect())
    }

    /// As [`Plan::select`], with each module of `to` stopped at that version:
    /// its newer migrations stay out, and so does everything that requires
    /// one of them. Each module of `to` is selected too.
    pub fn select_up_to(
        &self,
        modules: &[String],
        to: &[(String, Version)],
    ) -> Result<Vec<&PlannedMigration>, SelectError> {
        if to.is_empty() {
            return Ok(self.select(modules)?);
        }
        let mut at = BTreeMap::new();
        for (module, version) in to {
            self.check_modules(std::slice::from_ref(module))?;
            self.check_version(module, version)?;
            at.insert(ModuleName::from(module.as_str()), version.clone());
        }
        let mut wanted: Vec<String> = modules.to_vec();
        wanted.extend(to.iter().map(|(m, _)| m.clone()));
        let cut = self.cut(&at);
        let kept: BTreeSet<(&str, &str)> =
            cut.select(&wanted)?.into_iter().map(|m| (m.module.as_str(), m.id.as_str())).collect();
        // A module asked for by name is applied whole, or not at all: never
        // cut short because it needs a version of another that `to` excludes.
        let left_out = self.migrations.iter().find(|m| {
            modules.iter().any(|w| m.module == *w)
                && !at.contains_key(m.module.as_str())
                && !kept.contains(&(m.module.as_str(), m.id.as_str()))
        });
        if let Some(m) = left_out {
            return Err(SelectError::Excluded {
                migration: m.label().to_string(),
                to: to.iter().map(|(m, v)| format!("{m}@{v}")).collect::<Vec<_>>().join(", "),
            });
        }
        Ok(self.migrations.iter().filter(|m| kept.contains(&(m.module.as_str(), m.id.as_str()))).collect())
    }

    /// The migrations that must be applied before `m`: earlier migrations of
    /// its own module and everything its node requires, transitively.
    pub fn prerequisites(&self, m: &PlannedMigration) -> BTreeSet<usize> {
        let seen = self.reach([m.node]);
        self.migrations[..m.seq].iter().filter(|p| seen.contains(&p.node)).map(|p| p.seq).collect()
    }

    /// Nodes reachable from `start` through "must follow" edges, `start` included.
    fn reach(&self, start: impl IntoIterator<Item = usize>) -> BTreeSet<usize> {
        let mut stack: Vec<usize> = start.into_iter().collect();
        let mut seen = BTreeSet::new();
        while let Some(n) = stack.pop() {
            if seen.insert(n) {
                stack.extend(self.edges[n].iter().copied());
            }
        }
        seen
    }

    /// Checks that `module` has had `version` (as a version with migrations or requirements).
    pub fn check_version(&self, module: &str, version: &Version) -> Result<(), UnknownVersion> {
        let Some(m) = self.modules.get(module) else {
            return Err(UnknownVersion { module: module.to_owned(), version: version.clone(), known: String::new() });
        };
        if m.versions.contains(version) {
            return Ok(());
        }
        Err(UnknownVersion {
            module: module.to_owned(),
            version: version.clone(),
            known: m.versions.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        })
    }

    /// The plan as it stood with each module in `at` at most at that version:
    /// newer migrations of those modules go, and so does every node that
    /// requires a node that went. Modules not in `at` keep everything.
    pub fn cut(&self, at: &BTreeMap<ModuleName, Version>) -> Plan {
        let mut kept = vec![false; self.nodes.len()];
        // Edges point at earlier nodes only in topological terms, not by index: iterate to a fixed point.
        let mut changed = true;
        let within = |n: &Node| at.get(&n.module).is_none_or(|v| n.version <= *v);
        for (i, n) in self.nodes.iter().enumerate() {
            kept[i] = within(n);
        }
        while changed {
            changed = false;
            for i in 0..self.nodes.len() {
                if kept[i] && self.edges[i].iter().any(|&e| !kept[e]) {
                    kept[i] = false;
                    changed = true;
                }
            }
        }
        let mut migrations: Vec<PlannedMigration> = self.migrations.iter().filter(|m| kept[m.node]).cloned().collect();
        for (seq, m) in migrations.iter_mut().enumerate() {
            m.seq = seq;
        }
        // A node that went requires nothing any more: selecting its module must
        // not pull in what only its newer version needs.
        let edges =
            self.edges.iter().enumerate().map(|(i, e)| if kept[i] { e.clone() } else { Default::default() }).collect();
        Plan {
            settings: self.settings.clone(),
            modules: self.modules.clone(),
            nodes: self.nodes.clone(),
            edges,
            migrations,
        }
    }

    /// The newest version of each module among the plan's migrations.
    pub fn newest_versions(&self) -> BTreeMap<ModuleName, Version> {
        let mut out: BTreeMap<ModuleName, Version> = BTreeMap::new();
        for m in &self.migrations {
            let v = out.entry(m.module.clone()).or_insert_with(|| m.version.clone());
            if m.version > *v {
                *v = m.version.clone();
            }
        }
        out
    }
}

/// Checks the manifest against the build and orders every migration.
pub fn resolve(manifest: &Manifest, catalog: &Catalog) -> Result<Plan, ResolveError> {
    // Both lists must name the same modules, at the same versions.
    for entry in manifest.modules.values() {
        let Some(built) = catalog.module(&entry.name) else {
            return Err(ResolveError::NotInBuild { at: entry.at.clone(), module: entry.name.clone() });
        };
        if Version::parse(&built.version).ok().as_ref() != Some(&entry.version) {
            return Err(ResolveError::VersionMismatch {
                at: entry.at.clone(),
                module: entry.name.clone(),
                listed: entry.version.clone(),
                built: built.version.clone(),
                dir: built.dir.clone(),
            });
        }
    }
    for built in &catalog.modules {
        if !manifest.modules.contains_key(&built.name) {
            return Err(ResolveError::NotInManifest {
                file: manifest.file.clone(),
                module: built.name.clone(),
                dir: built.dir.clone(),
                version: built.version.clone(),
            });
        }
    }

    // Migrations of each module, checked and sorted by id.
    let mut per_module: BTreeMap<&str, Vec<PlannedMigration>> = BTreeMap::new();
    for built in &catalog.modules {
        let entry = &manifest.modules[&built.name];
        let mut list = Vec::new();
        // Ids are numbers: `0002` and `02` are the same id.
        let mut ids: BTreeMap<String, String> = BTreeMap::new();
        for m in &built.migrations {
            let bad = |message: String| ResolveError::BadMigration { path: m.up_path.clone(), message };
            let version = Version::parse(&m.version).map_err(|e| {
                bad(format!("folder `{}` is not a semver version ({e}); name version folders like 1.0.0", m.version))
            })?;
            if version > entry.version {
                return Err(bad(format!(
                    "belongs to version {version}, newer than module `{}` ({}); raise the crate and manifest version or move the file",
                    built.name, entry.version
                )));
            }
            let (id, name) = m
                .stem
                .split_once('_')
                .filter(|(id, name)| MigrationId::is_valid(id) && !name.is_empty())
                .ok_or_else(|| bad(format!("`{}` is not named NNNN_name (digits, underscore, name)", m.stem)))?;
            if let Some(first) = ids.insert(id.trim_start_matches('0').to_owned(), m.up_path.clone()) {
                return Err(ResolveError::DuplicateId {
                    module: built.name.clone(),
                    id: id.to_owned(),
                    first,
                    second: m.up_path.clone(),
                });
            }
            let directives = sql::directives(&m.up).map_err(|(line, message)| ResolveError::BadMigration {
                path: format!("{}:{line}", m.up_path),
                message,
            })?;
            let down_path =
                m.up_path.strip_suffix(".up.sql").map_or_else(|| m.up_path.clone(), |s| format!("{s}.down.sql"));
            let down_directives = sql::directives(&m.down).map_err(|(line, message)| ResolveError::BadMigration {
                path: format!("{down_path}:{line}"),
                message,
            })?;
            list.push(PlannedMigration {
                module: built.name.as_str().into(),
                id: id.into(),
                name: name.to_owned(),
                version,
                checksum: sql::checksum(&m.up),
                up: m.up.clone(),
                down: m.down.clone(),
                directives,
                down_directives,
                up_path: m.up_path.clone(),
                seq: 0,
                node: 0,
            });
        }
        list.sort_by(|a, b| a.id.cmp(&b.id));
        for pair in list.windows(2) {
            if pair[1].version < pair[0].version {
                return Err(ResolveError::BadMigration {
                    path: pair[1].up_path.clone(),
                    message: format!(
                        "id {} comes after {} but belongs to an older version ({} < {}); ids must grow with versions",
                        pair[1].id, pair[0].id, pair[1].version, pair[0].version
                    ),
                });
            }
        }
        per_module.insert(&built.name, list);
    }

    // Nodes: each version that has migrations or declares requirements, plus the build version.
    let mut versions: BTreeMap<&str, BTreeSet<Version>> = BTreeMap::new();
    for entry in manifest.modules.values() {
        let set = versions.entry(&entry.name).or_default();
        set.insert(entry.version.clone());
        set.extend(entry.requires.keys().flatten().cloned());
        set.extend(per_module[entry.name.as_str()].iter().map(|m| m.version.clone()));
    }
    let mut nodes = Vec::new();
    let mut index: BTreeMap<(&str, &Version), usize> = BTreeMap::new();
    for (module, set) in &versions {
        for v in set {
            index.insert((module, v), nodes.len());
            nodes.push(Node { module: (*module).into(), version: v.clone() });
        }
    }
    let mut edges = vec![BTreeSet::new(); nodes.len()];
    let mut declared_at: BTreeMap<(usize, usize), Location> = BTreeMap::new();
    for (module, set) in &versions {
        let list: Vec<&Version> = set.iter().collect();
        for pair in list.windows(2) {
            edges[index[&(*module, pair[1])]].insert(index[&(*module, pair[0])]);
        }
    }

    // Requirements: check them against the build, then add ordering edges.
    let mut modules = BTreeMap::new();
    for entry in manifest.modules.values() {
        let first = versions[entry.name.as_str()].first().cloned().unwrap_or_else(|| entry.version.clone());
        let mut in_force: BTreeMap<String, (VersionReq, Version, Location)> = BTreeMap::new();
        for (since, reqs) in &entry.requires {
            let at_version = since.clone().unwrap_or_else(|| first.clone());
            for r in reqs {
                if r.module == entry.name {
                    return Err(ResolveError::SelfRequirement { at: r.at.clone(), module: entry.name.clone() });
                }
                let Some(target) = versions.get(r.module.as_str()) else {
                    return Err(ResolveError::UnknownRequirement {
                        at: r.at.clone(),
                        module: entry.name.clone(),
                        required: r.module.clone(),
                    });
                };
                let available = &manifest.modules[&r.module].version;
                let lowest = target.iter().find(|v| *v <= available && r.constraint.matches(v));
                let Some(lowest) = lowest else {
                    return Err(ResolveError::Unsatisfiable {
                        at: r.at.clone(),
                        module: entry.name.clone(),
                        version: at_version,
                        required: r.module.clone(),
                        constraint: r.constraint.clone(),
                        available: available.clone(),
                    });
                };
                let (from, to) = (index[&(entry.name.as_str(), &at_version)], index[&(r.module.as_str(), lowest)]);
                edges[from].insert(to);
                declared_at.entry((from, to)).or_insert_with(|| r.at.clone());
                in_force.insert(r.module.clone(), (r.constraint.clone(), at_version.clone(), r.at.clone()));
            }
        }
        // The newest declaration of each requirement must hold for the versions built now.
        for (required, (constraint, at_version, at)) in &in_force {
            let available = &manifest.modules[required].version;
            if !constraint.matches(available) {
                return Err(ResolveError::Unsatisfiable {
                    at: at.clone(),
                    module: entry.name.clone(),
                    version: at_version.clone(),
                    required: required.clone(),
                    constraint: constraint.clone(),
                    available: available.clone(),
                });
            }
        }
        modules.insert(
            entry.name.as_str().into(),
            ResolvedModule {
                name: entry.name.as_str().into(),
                version: entry.version.clone(),
                versions: versions[entry.name.as_str()].iter().cloned().collect(),
                requires: in_force.into_iter().map(|(k, (c, _, _))| (k.into(), c)).collect(),
                dir: catalog.module(&entry.name).map(|b| b.dir.clone()).unwrap_or_default(),
                plugins: plugins_of(entry, catalog)?,
            },
        );
    }

    let order = topological(&nodes, &edges, &declared_at)?;
    let mut migrations = Vec::new();
    for n in order {
        let node = &nodes[n];
        for m in per_module[node.module.as_str()].iter().filter(|m| m.version == node.version) {
            let mut m = m.clone();
            (m.seq, m.node) = (migrations.len(), n);
            migrations.push(m);
        }
    }
    Ok(Plan { settings: manifest.host.clone(), modules, nodes, edges, migrations })
}

/// The plugins of a module: each declared one must be built, and each built one declared.
fn plugins_of(entry: &crate::manifest::ModuleEntry, catalog: &Catalog) -> Result<Vec<PluginSource>, ResolveError> {
    let built = catalog.module(&entry.name).map(|m| m.plugins.clone()).unwrap_or_default();
    for (kind, at) in &entry.plugins {
        if !built.iter().any(|p| &p.kind == kind) {
            return Err(ResolveError::Plugin {
                at: at.clone(),
                message: format!(
                    "module `{}` declares a {kind} plugin, but the build carries none; create the plugin crate in modules/{}/plugins/{kind}/ and rebuild, or remove the line",
                    entry.name, entry.name
                ),
            });
        }
    }
    for p in &built {
        if !entry.plugins.contains_key(&p.kind) {
            return Err(ResolveError::Plugin {
                at: entry.at.clone(),
                message: format!(
                    "module `{}` carries a {} plugin (modules/{}/plugins/{}/) that the manifest does not declare; add `plugins.{} = \"plugins/{}\"` under [modules.{}]",
                    entry.name, p.kind, entry.name, p.kind, p.kind, p.kind, entry.name
                ),
            });
        }
    }
    Ok(built)
}

/// Kahn's algorithm, smallest ready node first so the order is stable.
fn topological(
    nodes: &[Node],
    edges: &[BTreeSet<usize>],
    declared_at: &BTreeMap<(usize, usize), Location>,
) -> Result<Vec<usize>, ResolveError> {
    let mut waiting: Vec<usize> = edges.iter().map(BTreeSet::len).collect();
    let mut dependants = vec![Vec::new(); nodes.len()];
    for (n, before) in edges.iter().enumerate() {
        for &b in before {
            dependants[b].push(n);
        }
    }
    let mut ready: BinaryHeap<Reverse<(&Node, usize)>> =
        (0..nodes.len()).filter(|&n| waiting[n] == 0).map(|n| Reverse((&nodes[n], n))).collect();
    let mut order = Vec::with_capacity(nodes.len());
    while let Some(Reverse((_, n))) = ready.pop() {
        order.push(n);
        for &d in &dependants[n] {
            waiting[d] -= 1;
            if waiting[d] == 0 {
                ready.push(Reverse((&nodes[d], d)));
            }
        }
    }
    if order.len() == nodes.len() {
        return Ok(order);
    }
    // Walk prerequisites from any node left over until one repeats: that is a cycle.
    let left: BTreeSet<usize> = (0..nodes.len()).filter(|n| waiting[*n] > 0).collect();
    let mut path: Vec<usize> = Vec::new();
    let mut at = left.first().copied().unwrap_or(0);
    loop {
        if let Some(pos) = path.iter().position(|&p| p == at) {
            let mut ring: Vec<usize> = path[pos..].to_vec();
            ring.push(at);
            let declared = ring
                .windows(2)
                .filter_map(|w| {
                    declared_at
                        .get(&(w[0], w[1]))
                        .map(|loc| format!("{loc} ({} requires {})", nodes[w[0]].module, nodes[w[1]].module))
                })
                .collect();
            return Err(ResolveError::Cycle { path: ring.iter().map(|&p| nodes[p].to_string()).collect(), declared });
        }
        path.push(at);
        at = edges[at].iter().copied().find(|p| left.contains(p)).unwrap_or(at);
    }
}
