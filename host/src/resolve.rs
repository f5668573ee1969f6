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

use crate::catalog::Catalog;
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

/// One migration in plan order.
#[derive(Debug, Clone)]
pub struct PlannedMigration {
    /// The module it belongs to.
    pub module: String,
    /// Its id within the module: the file's numeric prefix, e.g. `0001`.
    pub id: String,
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
    /// The up file, relative to the workspace root.
    pub up_path: String,
}

impl PlannedMigration {
    /// `module/id_name`, the way migrations are named in output.
    pub fn label(&self) -> String {
        format!("{}/{}_{}", self.module, self.id, self.name)
    }
}

/// A module as resolved.
#[derive(Debug, Clone)]
pub struct ResolvedModule {
    /// The module name.
    pub name: String,
    /// The version the build carries.
    pub version: Version,
    /// Requirements in force at that version: module and constraint.
    pub requires: BTreeMap<String, VersionReq>,
}

/// A graph node: one version of one module.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Node {
    /// The module.
    pub module: String,
    /// The version.
    pub version: Version,
}

impl std::fmt::Display for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.module, self.version)
    }
}

/// A valid, ordered plan of every migration the build carries.
#[derive(Debug, Clone)]
pub struct Plan {
    settings: HostSettings,
    modules: BTreeMap<String, ResolvedModule>,
    nodes: Vec<Node>,
    /// For each node, the nodes that must come before it.
    edges: Vec<BTreeSet<usize>>,
    /// Node index of each migration, parallel to `migrations`.
    node_of: Vec<usize>,
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
    pub fn modules(&self) -> &BTreeMap<String, ResolvedModule> {
        &self.modules
    }

    /// The dependency graph: each node with the nodes it must follow.
    pub fn graph(&self) -> impl Iterator<Item = (&Node, Vec<&Node>)> {
        self.nodes.iter().zip(&self.edges).map(|(n, e)| (n, e.iter().map(|&i| &self.nodes[i]).collect()))
    }

    /// Indices into [`Plan::migrations`] of what `modules` need: all their
    /// migrations and those of every node they depend on, in plan order.
    /// Unknown names are returned as `Err`.
    pub fn closure(&self, modules: &[String]) -> Result<Vec<usize>, String> {
        let mut stack = Vec::new();
        for name in modules {
            if !self.modules.contains_key(name) {
                return Err(name.clone());
            }
            stack.extend(self.nodes.iter().enumerate().filter(|(_, n)| &n.module == name).map(|(i, _)| i));
        }
        let mut seen = BTreeSet::new();
        while let Some(i) = stack.pop() {
            if seen.insert(i) {
                stack.extend(self.edges[i].iter().copied());
            }
        }
        Ok((0..self.migrations.len()).filter(|&m| seen.contains(&self.node_of[m])).collect())
    }
}

impl Plan {
    /// Indices of the migrations that must be applied before migration `i`:
    /// earlier migrations of its own module and everything its node requires,
    /// transitively.
    pub fn prerequisites(&self, i: usize) -> BTreeSet<usize> {
        let mut stack = vec![self.node_of[i]];
        let mut seen = BTreeSet::new();
        while let Some(n) = stack.pop() {
            if seen.insert(n) {
                stack.extend(self.edges[n].iter().copied());
            }
        }
        (0..i).filter(|&m| seen.contains(&self.node_of[m])).collect()
    }

    /// The index of the migration `module`/`id`, if the build carries it.
    pub fn position(&self, module: &str, id: &str) -> Option<usize> {
        self.migrations.iter().position(|m| m.module == module && m.id == id)
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
                .filter(|(id, name)| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty())
                .ok_or_else(|| bad(format!("`{}` is not named NNNN_name (digits, underscore, name)", m.stem)))?;
            if let Some(first) = ids.insert(id.to_owned(), m.up_path.clone()) {
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
            list.push(PlannedMigration {
                module: built.name.clone(),
                id: id.to_owned(),
                name: name.to_owned(),
                version,
                checksum: sql::checksum(&m.up),
                up: m.up.clone(),
                down: m.down.clone(),
                directives,
                up_path: m.up_path.clone(),
            });
        }
        list.sort_by(|a, b| id_key(&a.id).cmp(&id_key(&b.id)));
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
            nodes.push(Node { module: (*module).to_owned(), version: v.clone() });
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
            entry.name.clone(),
            ResolvedModule {
                name: entry.name.clone(),
                version: entry.version.clone(),
                requires: in_force.into_iter().map(|(k, (c, _, _))| (k, c)).collect(),
            },
        );
    }

    let order = topological(&nodes, &edges, &declared_at)?;
    let mut migrations = Vec::new();
    let mut node_of = Vec::new();
    for n in order {
        let node = &nodes[n];
        for m in per_module[node.module.as_str()].iter().filter(|m| m.version == node.version) {
            migrations.push(m.clone());
            node_of.push(n);
        }
    }
    Ok(Plan { settings: manifest.host.clone(), modules, nodes, edges, node_of, migrations })
}

fn id_key(id: &str) -> (usize, &str) {
    (id.trim_start_matches('0').len(), id.trim_start_matches('0'))
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
