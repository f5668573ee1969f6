//! The one comparison of two schemas, returning typed drift.
//!
//! Names of primary-key and unique constraints (and of the indexes behind
//! them) are not compared: tools generate them, and the schema of record
//! has hashes there. Everything else that parity covers is.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use super::model::{ForeignKey, Schema, Table};
use crate::keys::ModuleName;

/// Which module created which table, enum type and extension, learnt by
/// replaying the migrations in order: the first migration that makes an
/// object exist owns it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ownership {
    owners: BTreeMap<(ObjectKind, String), ModuleName>,
}

impl Ownership {
    /// Records that `module` created `name`, unless someone did before.
    pub fn claim(&mut self, kind: ObjectKind, name: &str, module: &ModuleName) {
        self.owners.entry((kind, name.to_owned())).or_insert_with(|| module.clone());
    }

    /// The module that created `name`, if any did.
    pub fn owner(&self, kind: ObjectKind, name: &str) -> Option<&ModuleName> {
        self.owners.get(&(kind, name.to_owned()))
    }

    /// Every claim: kind, name and the module that created it.
    pub fn entries(&self) -> impl Iterator<Item = (ObjectKind, &str, &ModuleName)> + '_ {
        self.owners.iter().map(|((k, n), m)| (*k, n.as_str(), m))
    }

    /// Every object a module created.
    pub fn owned_by<'a>(&'a self, module: &'a str) -> impl Iterator<Item = (ObjectKind, &'a str)> + 'a {
        self.owners.iter().filter(move |(_, m)| m.as_str() == module).map(|((k, n), _)| (*k, n.as_str()))
    }
}

/// What kind of object a drift is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObjectKind {
    /// A table.
    Table,
    /// A column (`table.column`).
    Column,
    /// An enum type.
    EnumType,
    /// An extension.
    Extension,
    /// A primary key (named by its table).
    PrimaryKey,
    /// A unique constraint (`table [columns]`).
    UniqueConstraint,
    /// A foreign key (`table.name`).
    ForeignKey,
    /// A standalone index (`table.name`).
    Index,
    /// A check constraint (`table.name`).
    CheckConstraint,
    /// A column another module's foreign key points at (`table.column`).
    ReferencedColumn,
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ObjectKind::Table => "table",
            ObjectKind::Column => "column",
            ObjectKind::EnumType => "enum type",
            ObjectKind::Extension => "extension",
            ObjectKind::PrimaryKey => "primary key",
            ObjectKind::UniqueConstraint => "unique constraint",
            ObjectKind::ForeignKey => "foreign key",
            ObjectKind::Index => "index",
            ObjectKind::CheckConstraint => "check constraint",
            ObjectKind::ReferencedColumn => "referenced column",
        })
    }
}

/// Which property of an object that exists on both sides differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Aspect {
    /// A column's type.
    ColumnType,
    /// A column's nullability.
    ColumnNullability,
    /// A column's default.
    ColumnDefault,
    /// A column's identity.
    ColumnIdentity,
    /// A column's generation expression kind.
    ColumnGenerated,
    /// An enum type's labels or their order.
    EnumLabels,
    /// A primary key's columns.
    PrimaryKey,
    /// A foreign key's definition.
    ForeignKey,
    /// An index's definition.
    IndexDefinition,
    /// A check constraint's definition.
    CheckConstraint,
}

impl fmt::Display for Aspect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Aspect::ColumnType => "column type",
            Aspect::ColumnNullability => "column nullability",
            Aspect::ColumnDefault => "column default",
            Aspect::ColumnIdentity => "column identity",
            Aspect::ColumnGenerated => "column generated",
            Aspect::EnumLabels => "enum labels",
            Aspect::PrimaryKey => "primary key",
            Aspect::ForeignKey => "foreign key",
            Aspect::IndexDefinition => "index definition",
            Aspect::CheckConstraint => "check constraint",
        })
    }
}

/// How one object differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum Change {
    /// Expected, absent.
    Missing {
        /// What was expected.
        expected: String,
    },
    /// Present, not expected.
    Extra {
        /// What is there.
        found: String,
    },
    /// Present on both sides, different.
    Changed {
        /// What differs.
        aspect: Aspect,
        /// What was expected.
        expected: String,
        /// What is there.
        found: String,
    },
}

/// One difference between an expected and a found schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drift {
    /// The module that owns the object (through its table, for columns,
    /// indexes and constraints); `None` when no migration creates it.
    pub owner: Option<ModuleName>,
    /// What kind of object.
    pub kind: ObjectKind,
    /// The object, e.g. `medications.status` or `tasks.IDX_tasks_status`.
    pub object: String,
    /// How it differs.
    pub change: Change,
}

impl Drift {
    /// Whether this is an object the expected schema does not have.
    pub fn is_extra(&self) -> bool {
        matches!(self.change, Change::Extra { .. })
    }

    /// A short description: `missing index`, `extra column`, `column type`...
    pub fn what(&self) -> String {
        match &self.change {
            Change::Missing { .. } => format!("missing {}", self.kind),
            Change::Extra { .. } => format!("extra {}", self.kind),
            Change::Changed { aspect, .. } => aspect.to_string(),
        }
    }

    /// What the expected side has, if anything.
    pub fn expected(&self) -> Option<&str> {
        match &self.change {
            Change::Missing { expected } | Change::Changed { expected, .. } => Some(expected),
            Change::Extra { .. } => None,
        }
    }

    /// What the found side has, if anything.
    pub fn found(&self) -> Option<&str> {
        match &self.change {
            Change::Extra { found } | Change::Changed { found, .. } => Some(found),
            Change::Missing { .. } => None,
        }
    }
}

fn list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "(none)".to_owned())
}

struct Out<'a> {
    owners: &'a Ownership,
    drift: Vec<Drift>,
}

impl Out<'_> {
    fn push(&mut self, owner_of: (ObjectKind, &str), kind: ObjectKind, object: String, change: Change) {
        let owner = self.owners.owner(owner_of.0, owner_of.1).cloned();
        self.drift.push(Drift { owner, kind, object, change });
    }
}

/// Whether `found` is the foreign key `expected` describes. One validated where
/// the migrations leave it NOT VALID is: validation only proved that the rows
/// already there comply, and PostgreSQL has no way to undo it (so the down of
/// a validating migration leaves it validated).
fn same_key(expected: &ForeignKey, found: &ForeignKey) -> bool {
    expected.on_delete == found.on_delete
        && (expected.definition == found.definition
            || expected.definition.strip_suffix(" NOT VALID") == Some(found.definition.as_str()))
}

/// Compares `found` with `expected` table by table and enum by enum;
/// each difference is attributed to its owner through `owners`.
pub fn diff(expected: &Schema, found: &Schema, owners: &Ownership) -> Vec<Drift> {
    let mut out = Out { owners, drift: Vec::new() };
    for e in &expected.tables {
        let at = (ObjectKind::Table, e.name.as_str());
        match found.table(&e.name) {
            None => out.push(at, ObjectKind::Table, e.name.clone(), Change::Missing { expected: "present".into() }),
            Some(f) => table(&mut out, e, f),
        }
    }
    for f in found.tables.iter().filter(|f| expected.table(&f.name).is_none()) {
        let at = (ObjectKind::Table, f.name.as_str());
        out.push(at, ObjectKind::Table, f.name.clone(), Change::Extra { found: "present".into() });
    }
    for e in &expected.enum_types {
        let at = (ObjectKind::EnumType, e.name.as_str());
        match found.enum_type(&e.name) {
            None => out.push(at, ObjectKind::EnumType, e.name.clone(), Change::Missing { expected: list(&e.labels) }),
            Some(f) if f.labels != e.labels => out.push(
                at,
                ObjectKind::EnumType,
                e.name.clone(),
                Change::Changed { aspect: Aspect::EnumLabels, expected: list(&e.labels), found: list(&f.labels) },
            ),
            Some(_) => {}
        }
    }
    for f in found.enum_types.iter().filter(|f| expected.enum_type(&f.name).is_none()) {
        let at = (ObjectKind::EnumType, f.name.as_str());
        out.push(at, ObjectKind::EnumType, f.name.clone(), Change::Extra { found: list(&f.labels) });
    }
    out.drift
}

fn table(out: &mut Out<'_>, e: &Table, f: &Table) {
    let t = e.name.as_str();
    let at = (ObjectKind::Table, t);
    for ec in &e.columns {
        let object = format!("{t}.{}", ec.name);
        let Some(fc) = f.column(&ec.name) else {
            out.push(at, ObjectKind::Column, object, Change::Missing { expected: ec.data_type.clone() });
            continue;
        };
        let null = |n: bool| if n { "NULL".to_owned() } else { "NOT NULL".to_owned() };
        let pairs = [
            (Aspect::ColumnType, ec.data_type.clone(), fc.data_type.clone()),
            (Aspect::ColumnNullability, null(ec.nullable), null(fc.nullable)),
            (Aspect::ColumnDefault, opt(&ec.default), opt(&fc.default)),
            (Aspect::ColumnIdentity, opt(&ec.identity), opt(&fc.identity)),
            (Aspect::ColumnGenerated, opt(&ec.generated), opt(&fc.generated)),
        ];
        for (aspect, expected, found) in pairs {
            if expected != found {
                out.push(at, ObjectKind::Column, object.clone(), Change::Changed { aspect, expected, found });
            }
        }
    }
    for fc in f.columns.iter().filter(|c| e.column(&c.name).is_none()) {
        out.push(at, ObjectKind::Column, format!("{t}.{}", fc.name), Change::Extra { found: fc.data_type.clone() });
    }

    let pk = |x: &Table| x.primary_key.as_ref().map_or_else(|| "(none)".to_owned(), |p| list(&p.columns));
    if pk(e) != pk(f) {
        let change = Change::Changed { aspect: Aspect::PrimaryKey, expected: pk(e), found: pk(f) };
        out.push(at, ObjectKind::PrimaryKey, t.to_owned(), change);
    }

    let uniques = |x: &Table| -> BTreeSet<String> { x.unique_constraints.iter().map(|u| list(&u.columns)).collect() };
    let (eu, fu) = (uniques(e), uniques(f));
    for u in eu.difference(&fu) {
        out.push(at, ObjectKind::UniqueConstraint, format!("{t} {u}"), Change::Missing { expected: u.clone() });
    }
    for u in fu.difference(&eu) {
        out.push(at, ObjectKind::UniqueConstraint, format!("{t} {u}"), Change::Extra { found: u.clone() });
    }

    for ek in &e.foreign_keys {
        let object = format!("{t}.{}", ek.name);
        match f.foreign_keys.iter().find(|k| k.name == ek.name) {
            None => out.push(at, ObjectKind::ForeignKey, object, Change::Missing { expected: ek.definition.clone() }),
            Some(fk) if !same_key(ek, fk) => {
                let change = Change::Changed {
                    aspect: Aspect::ForeignKey,
                    expected: ek.definition.clone(),
                    found: fk.definition.clone(),
                };
                out.push(at, ObjectKind::ForeignKey, object, change);
            }
            Some(_) => {}
        }
    }
    for fk in f.foreign_keys.iter().filter(|k| !e.foreign_keys.iter().any(|x| x.name == k.name)) {
        let change = Change::Extra { found: fk.definition.clone() };
        out.push(at, ObjectKind::ForeignKey, format!("{t}.{}", fk.name), change);
    }

    // Indexes behind primary-key and unique constraints are covered above.
    let standalone = |x: &Table| -> BTreeMap<String, String> {
        x.indexes.iter().filter(|i| i.constraint.is_none()).map(|i| (i.name.clone(), i.definition.clone())).collect()
    };
    let (ei, fi) = (standalone(e), standalone(f));
    for (name, def) in &ei {
        let object = format!("{t}.{name}");
        match fi.get(name) {
            None => out.push(at, ObjectKind::Index, object, Change::Missing { expected: def.clone() }),
            Some(g) if g != def => {
                let change =
                    Change::Changed { aspect: Aspect::IndexDefinition, expected: def.clone(), found: g.clone() };
                out.push(at, ObjectKind::Index, object, change);
            }
            Some(_) => {}
        }
    }
    for (name, def) in fi.iter().filter(|(n, _)| !ei.contains_key(*n)) {
        out.push(at, ObjectKind::Index, format!("{t}.{name}"), Change::Extra { found: def.clone() });
    }

    for ec in &e.check_constraints {
        let object = format!("{t}.{}", ec.name);
        match f.check_constraints.iter().find(|c| c.name == ec.name) {
            None => {
                out.push(at, ObjectKind::CheckConstraint, object, Change::Missing { expected: ec.definition.clone() })
            }
            Some(fc) if fc.definition != ec.definition => {
                let change = Change::Changed {
                    aspect: Aspect::CheckConstraint,
                    expected: ec.definition.clone(),
                    found: fc.definition.clone(),
                };
                out.push(at, ObjectKind::CheckConstraint, object, change);
            }
            Some(_) => {}
        }
    }
    for fc in f.check_constraints.iter().filter(|c| !e.check_constraints.iter().any(|x| x.name == c.name)) {
        let change = Change::Extra { found: fc.definition.clone() };
        out.push(at, ObjectKind::CheckConstraint, format!("{t}.{}", fc.name), change);
    }
}

/// What the `selected` modules need from modules outside the selection:
/// the extensions the migrations install, and the columns their foreign
/// keys point at. Attributed to the module that needs them.
pub fn prerequisites(
    expected: &Schema,
    found: &Schema,
    owners: &Ownership,
    selected: &BTreeSet<ModuleName>,
) -> Vec<Drift> {
    let mut out = Vec::new();
    for x in expected.extensions.iter().filter(|x| !found.extensions.iter().any(|f| f.name == x.name)) {
        out.push(Drift {
            owner: owners.owner(ObjectKind::Extension, &x.name).cloned(),
            kind: ObjectKind::Extension,
            object: x.name.clone(),
            change: Change::Missing { expected: "installed".into() },
        });
    }
    let mut seen = BTreeSet::new();
    for t in &expected.tables {
        let Some(module) = owners.owner(ObjectKind::Table, &t.name) else { continue };
        if !selected.contains(module) {
            continue;
        }
        for fk in &t.foreign_keys {
            if owners.owner(ObjectKind::Table, &fk.ref_table).is_some_and(|m| selected.contains(m)) {
                continue; // the target's own drift covers it
            }
            for col in &fk.ref_columns {
                let present = found.table(&fk.ref_table).is_some_and(|ft| ft.column(col).is_some());
                if !present && seen.insert((module.clone(), fk.ref_table.clone(), col.clone())) {
                    out.push(Drift {
                        owner: Some(module.clone()),
                        kind: ObjectKind::ReferencedColumn,
                        object: format!("{}.{col}", fk.ref_table),
                        change: Change::Missing { expected: format!("referenced by {}", t.name) },
                    });
                }
            }
        }
    }
    out
}
