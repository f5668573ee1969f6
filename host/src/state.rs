//! Comparing the plan with the ledger: what is applied, pending, edited or unknown.

use std::collections::{BTreeMap, BTreeSet};

use crate::keys::{MigrationId, ModuleName};
use crate::ledger::AppliedRow;
use crate::resolve::{Plan, PlannedMigration};

/// An applied migration whose SQL has changed since.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Edited {
    /// `module/id_name`.
    pub migration: String,
    /// The module.
    pub module: ModuleName,
    /// The up file to restore.
    pub path: String,
    /// The checksum recorded when it was applied.
    pub applied_checksum: String,
    /// The checksum of the file in this build.
    pub file_checksum: String,
}

/// An applied migration whose ledger row names another module version than
/// the build gives it: the row was edited, or another build applied it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Misversioned {
    /// `module/id_name`.
    pub migration: String,
    /// The module.
    pub module: ModuleName,
    /// The module version in the ledger row.
    pub recorded: String,
    /// The module version this build gives the migration.
    pub built: String,
}

/// Why the ledger and the plan cannot go on together.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Applied migrations were edited afterwards.
    #[error("{}", edited_message(.0))]
    Edited(Vec<Edited>),
    /// Ledger rows name module versions the build does not give their migrations.
    #[error("{}", misversioned_message(.0))]
    Misversioned(Vec<Misversioned>),
    /// A pending migration sorts before one already applied in the same module.
    #[error(
        "migration {pending} is pending but {later} of the same module is already applied; migrations must be added after the last applied one: renumber {pending} after {later}"
    )]
    OutOfOrder {
        /// The pending migration.
        pending: String,
        /// The applied one after it.
        later: String,
    },
}

fn edited_message(edited: &[Edited]) -> String {
    let mut s = format!("{} applied migration(s) changed after they were applied; nothing was applied", edited.len());
    for e in edited {
        s.push_str(&format!(
            "\n  {}: applied checksum {}, file checksum {}\n    restore {} to the text that was applied (e.g. `git log -p -- {}`) and put the change in a new migration",
            e.migration, e.applied_checksum, e.file_checksum, e.path, e.path
        ));
    }
    s.push_str("\n  if the change is intended and alters nothing the migration makes (a comment, formatting), accept it on the record instead: vytal-host repair --reason \"...\"");
    s
}

fn misversioned_message(rows: &[Misversioned]) -> String {
    let mut s = format!(
        "{} ledger row(s) record a module version this build does not give the migration; nothing was applied",
        rows.len()
    );
    for m in rows {
        s.push_str(&format!(
            "\n  {}: the ledger says {} {}, this build has it in {} {}",
            m.migration, m.module, m.recorded, m.module, m.built
        ));
    }
    s.push_str("\n  the rows were edited, or a different build applied them: compare with the event log (`SELECT at, module, migration, details FROM vytal.events WHERE kind = 'migration'`) and run the build that applied them, or, if this build is right, record its versions: vytal-host repair --reason \"...\"");
    s
}

/// The plan held against the ledger.
#[derive(Debug, Clone)]
pub(crate) struct Assessment<'p> {
    /// Ledger rows of migrations the build carries, keyed by (module, id).
    pub applied: BTreeMap<(ModuleName, MigrationId), AppliedRow>,
    /// Migrations not applied, in plan order.
    pub pending: Vec<&'p PlannedMigration>,
    /// Applied migrations whose file changed.
    pub edited: Vec<Edited>,
    /// Ledger rows the build does not know.
    pub unknown: Vec<AppliedRow>,
    /// Applied migrations recorded under another module version than the build's.
    pub misversioned: Vec<Misversioned>,
    pending_at: BTreeSet<usize>,
}

impl<'p> Assessment<'p> {
    /// Holds `plan` against the ledger `rows`.
    pub fn new(plan: &'p Plan, rows: Vec<AppliedRow>) -> Self {
        let mut applied: BTreeMap<(ModuleName, MigrationId), AppliedRow> =
            rows.into_iter().map(|r| ((r.module.clone(), r.id.clone()), r)).collect();
        let mut pending = Vec::new();
        let mut edited = Vec::new();
        let mut misversioned = Vec::new();
        let mut known = BTreeSet::new();
        for m in plan.migrations() {
            let key = (m.module.clone(), m.id.clone());
            match applied.get(&key) {
                None => pending.push(m),
                Some(row) if row.checksum != m.checksum => edited.push(Edited {
                    migration: m.label().to_string(),
                    module: m.module.clone(),
                    path: m.up_path.clone(),
                    applied_checksum: row.checksum.clone(),
                    file_checksum: m.checksum.clone(),
                }),
                Some(row) if row.module_version != m.version.to_string() => misversioned.push(Misversioned {
                    migration: m.label().to_string(),
                    module: m.module.clone(),
                    recorded: row.module_version.clone(),
                    built: m.version.to_string(),
                }),
                Some(_) => {}
            }
            known.insert(key);
        }
        let unknown_keys: Vec<_> = applied.keys().filter(|k| !known.contains(*k)).cloned().collect();
        let unknown = unknown_keys.iter().filter_map(|k| applied.remove(k)).collect();
        let pending_at = pending.iter().map(|m| m.position()).collect();
        Assessment { applied, pending, edited, unknown, misversioned, pending_at }
    }

    /// Whether `m` is pending.
    pub fn is_pending(&self, m: &PlannedMigration) -> bool {
        self.pending_at.contains(&m.position())
    }

    /// The ledger row of `m`, if it is applied.
    pub fn row(&self, m: &PlannedMigration) -> Option<&AppliedRow> {
        self.applied.get(&(m.module.clone(), m.id.clone()))
    }

    /// The pending migrations among `selection`, in its order; refuses when an
    /// applied migration was edited or one of them sorts below an applied one.
    pub fn pending_among(&self, selection: &[&'p PlannedMigration]) -> Result<Vec<&'p PlannedMigration>, StateError> {
        if !self.edited.is_empty() {
            return Err(StateError::Edited(self.edited.clone()));
        }
        if !self.misversioned.is_empty() {
            return Err(StateError::Misversioned(self.misversioned.clone()));
        }
        let todo: Vec<&PlannedMigration> = selection.iter().copied().filter(|m| self.is_pending(m)).collect();
        let mut newest: BTreeMap<&str, &AppliedRow> = BTreeMap::new();
        for row in self.applied.values() {
            let entry = newest.entry(row.module.as_str()).or_insert(row);
            if row.id > entry.id {
                *entry = row;
            }
        }
        let later = todo.iter().find_map(|m| {
            let later = newest.get(m.module.as_str()).filter(|r| r.id > m.id)?;
            Some((m.label().to_string(), later.label().to_string()))
        });
        match later {
            Some((pending, later)) => Err(StateError::OutOfOrder { pending, later }),
            None => Ok(todo),
        }
    }
}
