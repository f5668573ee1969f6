//! Comparing the plan with the ledger: what is applied, pending, edited or unknown.

use std::collections::{BTreeMap, BTreeSet};

use crate::ledger::AppliedRow;
use crate::resolve::{Plan, PlannedMigration};

/// An applied migration whose SQL has changed since.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Edited {
    /// `module/id_name`.
    pub migration: String,
    /// The up file to restore.
    pub path: String,
    /// The checksum recorded when it was applied.
    pub applied_checksum: String,
    /// The checksum of the file in this build.
    pub file_checksum: String,
}

/// The plan held against the ledger.
#[derive(Debug, Clone, Default)]
pub struct Assessment {
    /// Ledger rows keyed by (module, id).
    pub applied: BTreeMap<(String, String), AppliedRow>,
    /// Indices into the plan's migrations that are not applied (iterates in plan order).
    pub pending: BTreeSet<usize>,
    /// Applied migrations whose file changed.
    pub edited: Vec<Edited>,
    /// Ledger rows the build does not know.
    pub unknown: Vec<AppliedRow>,
}

impl Assessment {
    /// Holds `plan` against the ledger `rows`.
    pub fn new(plan: &Plan, rows: Vec<AppliedRow>) -> Self {
        let mut applied: BTreeMap<(String, String), AppliedRow> =
            rows.into_iter().map(|r| ((r.module.clone(), r.id.clone()), r)).collect();
        let mut a = Assessment::default();
        for (i, m) in plan.migrations().iter().enumerate() {
            match applied.get(&(m.module.clone(), m.id.clone())) {
                None => {
                    a.pending.insert(i);
                }
                Some(row) if row.checksum != m.checksum => a.edited.push(Edited {
                    migration: m.label(),
                    path: m.up_path.clone(),
                    applied_checksum: row.checksum.clone(),
                    file_checksum: m.checksum.clone(),
                }),
                Some(_) => {}
            }
        }
        let known: BTreeSet<(String, String)> =
            plan.migrations().iter().map(|m| (m.module.clone(), m.id.clone())).collect();
        let unknown_keys: Vec<_> = applied.keys().filter(|k| !known.contains(*k)).cloned().collect();
        for k in unknown_keys {
            if let Some(row) = applied.get(&k) {
                a.unknown.push(row.clone());
            }
        }
        applied.retain(|k, _| known.contains(k));
        a.applied = applied;
        a
    }

    /// The first of `todo` whose module already has a later migration applied:
    /// its label and the label of that later one.
    pub fn out_of_order(&self, todo: &[&PlannedMigration]) -> Option<(String, String)> {
        let number = |id: &str| id.parse::<u128>().unwrap_or(0);
        let mut newest: BTreeMap<&str, &AppliedRow> = BTreeMap::new();
        for row in self.applied.values() {
            let entry = newest.entry(row.module.as_str()).or_insert(row);
            if number(&row.id) > number(&entry.id) {
                *entry = row;
            }
        }
        todo.iter().find_map(|m| {
            let later = newest.get(m.module.as_str()).filter(|r| number(&r.id) > number(&m.id))?;
            Some((m.label(), format!("{}/{}_{}", later.module, later.id, later.name)))
        })
    }
}
