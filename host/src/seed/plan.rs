//! What a seed writes: which tables, how many rows each, who writes them
//! (the host's generator, a module's seed plugin, or nobody because the rows
//! are already there), in which order, and how each column is filled.
//!
//! Everything is read off the live catalog (the typed [`Schema`]): types,
//! enum labels, nullability, identity and generated columns, unique
//! constraints and indexes, and foreign keys. A table a module adds later is
//! planned like the others, with no code change; only the row ratios of
//! VytalWatch's own tables are written down here.

use std::collections::{BTreeMap, BTreeSet};

use crate::schema::{Schema, Table};

use super::types::{Type, parse_type};
use super::values::{Sem, semantic};

/// Which users a reference to `users` should point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum People {
    Patient,
    Staff,
    Anyone,
}

/// How a column is filled.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Fill {
    /// The table's own single-column uuid primary key, from the formula (unique per row).
    Key,
    /// A reference to a row of another planned table. `always`: even when the
    /// column is nullable (most optional references are filled half the time).
    Ref { parent: usize, people: People, link: Link, always: bool },
    /// The same value as the primary parent row's column `column` (a medication's
    /// schedule belongs to the medication's patient).
    Inherit { column: usize },
    /// A nullable reference to an earlier row of the same table (a reply).
    SelfRef,
    /// Left NULL: what it references is not seeded, or nothing sensible fits.
    Null,
    /// A value chosen by the column's name and type.
    Value(Sem),
}

/// Which parent row a reference takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Link {
    /// The primary parent: children are spread evenly over parents (every
    /// conversation gets its messages).
    Primary,
    /// One child per parent (a unique reference); with a composite key, the
    /// second column: parents in turn.
    OneToOne,
    /// The first column of a composite key: runs of rows share a parent.
    Spread,
    /// Any parent.
    Random,
}

/// One column to write.
#[derive(Debug, Clone)]
pub(crate) struct ColPlan {
    pub name: String,
    pub ty: Type,
    pub fill: Fill,
    pub nullable: bool,
    pub unique: bool,
    /// The column's type as the catalog shows it, for `--dry-run`.
    pub shown: String,
    /// The column's default, as the catalog shows it.
    pub default: Option<String>,
}

impl ColPlan {
    /// Whether a row can do without a value from the host: the column is
    /// nullable, or its default is a constant (`true`, `'active'`, `0`). A
    /// default that calls a function (`now()`, `uuid_generate_v4()`) would
    /// make the data differ from run to run, so it does not count.
    pub(crate) fn optional(&self) -> bool {
        self.nullable || self.default.as_deref().is_some_and(|d| !d.contains('('))
    }
}

/// Who writes a table's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// The host's generator.
    Generate,
    /// A module's seed plugin (by name); the host fills the columns it leaves out.
    Plugin(String),
    /// Nobody: the table is only referenced, and already holds rows.
    Existing,
}

/// One table of the seed.
#[derive(Debug, Clone)]
pub(crate) struct TablePlan {
    pub name: String,
    /// The module that owns it.
    pub module: String,
    /// Rows to generate (for `Existing` and `Plugin`, known once they are there).
    pub rows: u64,
    pub source: Source,
    pub columns: Vec<ColPlan>,
    /// The column of a single-column primary key, when it is a uuid the host generates.
    pub key: Option<usize>,
    /// The single-column primary key's name, whoever fills it (references are read back by it).
    pub primary_key: Option<String>,
    /// The column naming the primary parent, and the parent.
    pub primary: Option<(usize, usize)>,
    /// Rows per row of a parent table; resolved when the parent is written,
    /// for a parent whose rows a plugin decides.
    pub per: Option<(usize, f64)>,
    /// For `users`: patients, then staff, then administrators, by row number.
    pub bands: Option<Bands>,
    /// A number unique to the table, mixed into every value.
    pub salt: u64,
}

/// How `users` rows divide into patients, staff and administrators (row ranges in that order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bands {
    pub patients: u64,
    pub staff: u64,
    pub admins: u64,
}

/// A module seed plugin's place in the order.
#[derive(Debug, Clone)]
pub(crate) struct PluginStep {
    pub index: usize,
    pub module: String,
    pub writes: Vec<usize>,
}

/// One step of the seed, in order.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    Table(usize),
    Plugin(PluginStep),
}

/// The whole seed.
#[derive(Debug, Clone)]
pub(crate) struct SeedPlan {
    pub tables: Vec<TablePlan>,
    pub steps: Vec<Step>,
}

/// A table the seed may touch, with what the caller knows of it.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub name: String,
    pub module: String,
    /// Chosen by the operator (its module was named, or none was).
    pub selected: bool,
    /// Rows it holds now (after `--clean`, 0 for selected tables).
    pub existing: u64,
}

/// A module seed plugin: its index in the caller's list, module and tables.
#[derive(Debug, Clone)]
pub(crate) struct PluginClaim {
    pub index: usize,
    pub module: String,
    pub writes: Vec<String>,
    pub reads: Vec<String>,
}

/// Why a seed cannot be planned.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// A column must be given a value the generator cannot make.
    #[error(
        "cannot generate values for `{table}.{column}` ({shown}): it is NOT NULL without a default; a seed plugin for module `{module}` can write it"
    )]
    Ungeneratable {
        /// Table.
        table: String,
        /// Column.
        column: String,
        /// Its type.
        shown: String,
        /// The table's module.
        module: String,
    },
    /// A required reference to something other than a primary key.
    #[error(
        "cannot generate `{table}.{column}`: it references {target}, not a primary key; a seed plugin for its module can write it"
    )]
    ForeignKey {
        /// Table.
        table: String,
        /// Column.
        column: String,
        /// What it references.
        target: String,
    },
    /// Tables reference each other in a loop of required (NOT NULL) foreign keys.
    #[error(
        "tables {tables} reference each other through NOT NULL foreign keys, so no order can fill them; make one of the references nullable or seed them with a plugin"
    )]
    Cycle {
        /// The tables in the loop.
        tables: String,
    },
}

/// Rows per table, from the count of patients: how a clinic's data scales.
/// A table not listed gets rows by its references (see [`default_rows`]).
const RATIOS: &[(&str, Per, f64)] = &[
    ("tasks", Per::Patients, 3.0),
    ("consents", Per::Patients, 2.0),
    ("claims", Per::Patients, 2.0),
    ("medications", Per::Patients, 2.0),
    ("medication_schedules", Per::Table("medications"), 1.5),
    ("medication_adherence", Per::Table("medication_schedules"), 4.0),
    ("appointments", Per::Patients, 3.0),
    ("conversations", Per::Patients, 1.0),
    ("messages", Per::Table("conversations"), 8.0),
    ("calls", Per::Patients, 0.5),
    ("call_participants", Per::Table("calls"), 2.0),
    ("call_recordings", Per::Table("calls"), 0.3),
    ("clinical_notes", Per::Patients, 3.0),
    ("ai_conversations", Per::Patients, 0.5),
    ("ai_messages", Per::Table("ai_conversations"), 6.0),
    ("device_tokens", Per::Table("users"), 1.0),
    ("encryption_keys", Per::Patients, 0.05),
];

#[derive(Debug, Clone, Copy)]
enum Per {
    Patients,
    Table(&'static str),
}

/// The people: patients, one clinician per ten patients, one administrator per hundred.
pub(crate) fn bands(patients: u64) -> Bands {
    if patients == 0 {
        return Bands { patients: 0, staff: 0, admins: 0 };
    }
    Bands { patients, staff: (patients / 10).max(2), admins: (patients / 100).max(1) }
}

/// Plans the seed of `candidates` (tables owned by applied modules, in
/// `schema`), `count` patients, with module plugins claiming the tables
/// they write. Tables referenced by selected ones through NOT NULL foreign
/// keys are pulled in; those already holding rows are used as they are.
pub(crate) fn plan(
    schema: &Schema,
    candidates: &[Candidate],
    plugins: &[PluginClaim],
    count: u64,
) -> Result<SeedPlan, PlanError> {
    // Which tables: the selected ones, then what they need, transitively.
    let by_name: BTreeMap<&str, &Candidate> = candidates.iter().map(|c| (c.name.as_str(), c)).collect();
    let mut chosen: BTreeSet<&str> = candidates.iter().filter(|c| c.selected).map(|c| c.name.as_str()).collect();
    let mut queue: Vec<&str> = chosen.iter().copied().collect();
    while let Some(t) = queue.pop() {
        let Some(table) = schema.table(t) else { continue };
        for fk in &table.foreign_keys {
            let required = fk.columns.iter().any(|c| table.column(c).is_some_and(|c| !c.nullable));
            if required
                && fk.ref_table != t
                && by_name.contains_key(fk.ref_table.as_str())
                && chosen.insert(&fk.ref_table)
            {
                queue.push(&fk.ref_table);
            }
        }
    }
    let names: Vec<&str> = chosen.iter().copied().filter(|t| schema.table(t).is_some()).collect();
    let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let claimed: BTreeMap<&str, &PluginClaim> = plugins
        .iter()
        .flat_map(|p| p.writes.iter().map(move |w| (w.as_str(), p)))
        .filter(|(w, _)| index.contains_key(w))
        .collect();

    // Sources and row counts, parents first so ratios can refer to them.
    let mut tables: Vec<TablePlan> = Vec::with_capacity(names.len());
    for name in &names {
        let c = by_name[name];
        let source = if let Some(p) = claimed.get(name) {
            Source::Plugin(format!("{} seed plugin", p.module))
        } else if !c.selected && c.existing > 0 {
            Source::Existing
        } else {
            Source::Generate
        };
        tables.push(TablePlan {
            name: (*name).to_owned(),
            module: c.module.clone(),
            rows: if source == Source::Existing { c.existing } else { 0 },
            source,
            columns: Vec::new(),
            key: None,
            primary_key: None,
            primary: None,
            per: None,
            bands: None,
            salt: super::values::hash(name.as_bytes()),
        });
    }
    let users = index.get("users").copied();
    let people = bands(count);
    if let Some(u) = users
        && tables[u].source == Source::Generate
    {
        tables[u].bands = Some(people);
        tables[u].rows = people.patients.saturating_add(people.staff).saturating_add(people.admins);
    }

    // Columns: how each is filled.
    for (i, name) in names.iter().enumerate() {
        let Some(table) = schema.table(name) else { continue };
        let primary_parent = primary_parent(table, &index, users);
        let uniques = unique_columns(table);
        let pair = composite_pair(table, &index);
        let mut columns = Vec::new();
        for col in &table.columns {
            if col.identity.is_some() || col.generated.is_some() || is_serial(col.default.as_deref()) {
                continue;
            }
            let ty = parse_type(&col.data_type, schema);
            let unique = uniques.contains(col.name.as_str());
            let fk = table.foreign_keys.iter().find(|f| f.columns.len() == 1 && f.columns[0] == col.name);
            let fill =
                if table.primary_key.as_ref().is_some_and(|p| p.columns == [col.name.clone()]) && ty == Type::Uuid {
                    Fill::Key
                } else if let Some(fk) = fk {
                    let parent_pk = schema.table(&fk.ref_table).and_then(|t| t.primary_key.as_ref());
                    let to_key = parent_pk.is_some_and(|k| k.columns == fk.ref_columns);
                    if !to_key {
                        // Only references to a primary key are generated.
                        if col.nullable {
                            Fill::Null
                        } else {
                            return Err(PlanError::ForeignKey {
                                table: (*name).to_owned(),
                                column: col.name.clone(),
                                target: format!("{}({})", fk.ref_table, fk.ref_columns.join(", ")),
                            });
                        }
                    } else if fk.ref_table == *name {
                        if col.nullable { Fill::SelfRef } else { Fill::Null }
                    } else if let Some(&parent) = index.get(fk.ref_table.as_str()) {
                        let link = if unique || pair.get(1) == Some(&col.name.as_str()) {
                            Link::OneToOne
                        } else if pair.first() == Some(&col.name.as_str()) {
                            Link::Spread
                        } else if primary_parent == Some(parent) {
                            Link::Primary
                        } else {
                            Link::Random
                        };
                        Fill::Ref { parent, people: people_of(&col.name), link, always: false }
                    } else {
                        Fill::Null
                    }
                } else {
                    let sem = semantic(name, &col.name, &ty, col.default.as_deref(), unique);
                    Fill::Value(json_check(table, &col.name, sem))
                };
            columns.push(ColPlan {
                name: col.name.clone(),
                ty,
                fill,
                nullable: col.nullable,
                unique,
                shown: col.data_type.clone(),
                default: col.default.clone(),
            });
        }
        // A reference the primary parent also has, by name: the child's row shares
        // it (an adherence record has its schedule's patient and medication).
        if let Some(p) = primary_parent
            && p != i
        {
            let Some(parent_table) = schema.table(names[p]) else { continue };
            let parent_cols: Vec<&str> = parent_table
                .columns
                .iter()
                .filter(|c| c.identity.is_none() && c.generated.is_none() && !is_serial(c.default.as_deref()))
                .map(|c| c.name.as_str())
                .collect();
            for col in &mut columns {
                if let Fill::Ref { link: Link::Random, .. } = col.fill
                    && let Some(at) = parent_cols.iter().position(|c| *c == col.name)
                {
                    col.fill = Fill::Inherit { column: at };
                }
            }
        }
        let key = columns.iter().position(|c| c.fill == Fill::Key);
        let primary = primary_parent.and_then(|p| {
            columns.iter().position(|c| matches!(c.fill, Fill::Ref { parent, .. } if parent == p)).map(|c| (c, p))
        });
        let t = &mut tables[i];
        t.primary_key = table.primary_key.as_ref().filter(|p| p.columns.len() == 1).map(|p| p.columns[0].clone());
        t.columns = columns;
        t.key = key;
        t.primary = primary;
        for c in &t.columns {
            if matches!(c.ty, Type::Other(_)) && !c.nullable && !schema_default(table, &c.name) {
                return Err(PlanError::Ungeneratable {
                    table: t.name.clone(),
                    column: c.name.clone(),
                    shown: c.shown.clone(),
                    module: t.module.clone(),
                });
            }
        }
    }
    // Loose references (`taskId` without a foreign key) point at rows of a
    // generated table when one is named so: 1.1.0 turns many into foreign keys.
    for i in 0..tables.len() {
        for c in 0..tables[i].columns.len() {
            let col = &tables[i].columns[c];
            let Fill::Value(Sem::LooseRef(ref target)) = col.fill else { continue };
            let target = target.clone();
            let fill = match index.get(target.as_str()) {
                Some(&p) if tables[p].source == Source::Generate && tables[p].key.is_some() => {
                    Fill::Ref { parent: p, people: People::Anyone, link: Link::Random, always: false }
                }
                _ if target == "users" => match users {
                    Some(u) => Fill::Ref { parent: u, people: people_of(&col.name), link: Link::Random, always: false },
                    None => Fill::Null,
                },
                // A table this database does not have (or does not seed): nothing to point at.
                _ if col.nullable => Fill::Null,
                _ => Fill::Value(Sem::Uuid),
            };
            tables[i].columns[c].fill = fill;
        }
    }

    // Rows, parents before children.
    let order = order(&tables, schema, plugins, &index)?;
    for step in &order {
        let Step::Table(i) = step else { continue };
        if tables[*i].source != Source::Generate || tables[*i].bands.is_some() {
            continue;
        }
        let (rows, per) = rows_for(&tables, *i, &index, people, count);
        tables[*i].rows = rows;
        tables[*i].per = per;
    }
    // A reference to a table that comes later in the order cannot be filled yet.
    let position: BTreeMap<usize, usize> = order
        .iter()
        .enumerate()
        .flat_map(|(at, s)| match s {
            Step::Table(t) => vec![(*t, at)],
            Step::Plugin(p) => p.writes.iter().map(|t| (*t, at)).collect(),
        })
        .collect();
    let empty: Vec<bool> = tables.iter().map(|t| t.rows == 0 && t.source == Source::Generate).collect();
    for (i, t) in tables.iter_mut().enumerate() {
        let own = position.get(&i).copied().unwrap_or(0);
        for c in &mut t.columns {
            if let Fill::Ref { parent, .. } = c.fill {
                let later = position.get(&parent).is_some_and(|p| *p > own);
                if (later || empty[parent]) && c.nullable {
                    c.fill = Fill::Null;
                }
            }
        }
    }
    Ok(SeedPlan { tables, steps: order })
}

/// A JSON column a CHECK keeps an array (`jsonb_typeof(col) = 'array'`) gets
/// arrays, one kept an object gets objects, whatever its name suggests.
fn json_check(table: &Table, column: &str, sem: Sem) -> Sem {
    let quoted = format!("\"{column}\"");
    let bare = format!("({column})");
    let checked = |kind: &str| {
        table.check_constraints.iter().any(|c| {
            c.definition.contains("jsonb_typeof")
                && (c.definition.contains(&quoted) || c.definition.contains(&bare))
                && c.definition.contains(&format!("'{kind}'"))
        })
    };
    match sem {
        Sem::Object(shape) if checked("array") => Sem::Entries(shape),
        Sem::Entries(shape) if checked("object") => Sem::Object(shape),
        other => other,
    }
}

/// Whether the catalog gives `column` a default.
fn schema_default(table: &Table, column: &str) -> bool {
    table.column(column).is_some_and(|c| c.default.is_some())
}

fn is_serial(default: Option<&str>) -> bool {
    default.is_some_and(|d| d.starts_with("nextval("))
}

/// Columns that must be unique on their own (a single-column unique constraint or index).
fn unique_columns(table: &Table) -> BTreeSet<&str> {
    let mut out: BTreeSet<&str> =
        table.unique_constraints.iter().filter(|u| u.columns.len() == 1).map(|u| u.columns[0].as_str()).collect();
    // A single-column primary key is unique too (its index is unique).
    out.extend(table.indexes.iter().filter(|i| i.unique && i.columns.len() == 1).map(|i| i.columns[0].as_str()));
    out
}

/// The first two columns of a composite primary key or unique constraint that
/// are both references to planned tables (a join table): the first runs
/// through parents in blocks, the second through parents in turn, so no pair repeats.
fn composite_pair<'t>(table: &'t Table, index: &BTreeMap<&str, usize>) -> Vec<&'t str> {
    let fk_to_planned = |c: &str| {
        table
            .foreign_keys
            .iter()
            .any(|f| f.columns.len() == 1 && f.columns[0] == c && index.contains_key(f.ref_table.as_str()))
    };
    let keys = table
        .primary_key
        .iter()
        .map(|p| &p.columns)
        .chain(table.unique_constraints.iter().map(|u| &u.columns))
        .chain(table.indexes.iter().filter(|i| i.unique).map(|i| &i.columns));
    for cols in keys.filter(|c| c.len() >= 2) {
        let refs: Vec<&str> = cols.iter().map(String::as_str).filter(|c| fk_to_planned(c)).take(2).collect();
        if refs.len() == 2 {
            return refs;
        }
    }
    Vec::new()
}

/// The parent a table's rows belong to: the one a ratio names, else the first
/// NOT NULL reference to a table other than `users`.
fn primary_parent(table: &Table, index: &BTreeMap<&str, usize>, users: Option<usize>) -> Option<usize> {
    if let Some((_, Per::Table(p), _)) = RATIOS.iter().find(|(t, _, _)| *t == table.name) {
        return index.get(p).copied();
    }
    table
        .foreign_keys
        .iter()
        .filter(|f| f.ref_table != table.name && f.columns.iter().all(|c| table.column(c).is_some_and(|c| !c.nullable)))
        .filter_map(|f| index.get(f.ref_table.as_str()).copied())
        .find(|p| Some(*p) != users)
}

/// Rows for a generated table: its ratio, or one per patient (a table that
/// references `users`), two per parent row (one that references another
/// table), or one per ten patients (one that references nothing).
fn rows_for(
    tables: &[TablePlan],
    i: usize,
    index: &BTreeMap<&str, usize>,
    people: Bands,
    count: u64,
) -> (u64, Option<(usize, f64)>) {
    let t = &tables[i];
    let (rows, per) = match RATIOS.iter().find(|(name, _, _)| *name == t.name) {
        Some((_, Per::Patients, r)) => (scaled(count, *r), None),
        Some((_, Per::Table(p), r)) => match index.get(p) {
            Some(&p) => (scaled(tables[p].rows, *r), Some((p, *r))),
            None => (scaled(count, *r), None),
        },
        None => default_rows(tables, i, people, count),
    };
    (cap(tables, i, if count > 0 { rows.max(1) } else { 0 }), per)
}

/// Rows scaled by a ratio.
pub(crate) fn scaled(base: u64, ratio: f64) -> u64 {
    // `as` saturates: a ratio past u64 is u64::MAX rows, refused by the count's range long before.
    ((base as f64) * ratio).round() as u64
}

/// A unique reference gives at most one row per parent.
pub(crate) fn cap(tables: &[TablePlan], i: usize, rows: u64) -> u64 {
    let parent_rows = |link: Link| {
        tables[i].columns.iter().find_map(|c| match c.fill {
            Fill::Ref { parent, link: l, .. } if l == link && tables[parent].source == Source::Generate => {
                Some(tables[parent].rows)
            }
            _ => None,
        })
    };
    match (parent_rows(Link::Spread), parent_rows(Link::OneToOne)) {
        // A pair of references: at most every pair once.
        (Some(a), Some(b)) => rows.min(a.saturating_mul(b)),
        (None, Some(b)) => rows.min(b),
        _ => rows,
    }
}

fn default_rows(tables: &[TablePlan], i: usize, people: Bands, count: u64) -> (u64, Option<(usize, f64)>) {
    let t = &tables[i];
    if let Some((_, p)) = t.primary {
        return (tables[p].rows.saturating_mul(2), Some((p, 2.0)));
    }
    if t.columns.iter().any(|c| matches!(c.fill, Fill::Ref { .. } | Fill::Inherit { .. })) {
        return (people.patients, None);
    }
    (count.div_ceil(10), None)
}

/// Which users a column's name points at.
pub(crate) fn people_of(column: &str) -> People {
    let n = column.to_ascii_lowercase();
    if n.contains("patient") {
        People::Patient
    } else if n.ends_with("by")
        || ["provider", "assigned", "prescrib", "clinician", "doctor", "author", "witness", "signer"]
            .iter()
            .any(|w| n.contains(w))
    {
        People::Staff
    } else {
        People::Anyone
    }
}

/// Orders tables and module plugins so every reference points backwards.
/// A plugin's step stands for all the tables it writes.
fn order(
    tables: &[TablePlan],
    schema: &Schema,
    plugins: &[PluginClaim],
    index: &BTreeMap<&str, usize>,
) -> Result<Vec<Step>, PlanError> {
    // Nodes: one per generated or existing table, one per plugin.
    let mut nodes: Vec<Step> = Vec::new();
    let mut node_of: BTreeMap<usize, usize> = BTreeMap::new();
    for p in plugins {
        let writes: Vec<usize> = p.writes.iter().filter_map(|w| index.get(w.as_str()).copied()).collect();
        if writes.is_empty() {
            continue;
        }
        for w in &writes {
            node_of.insert(*w, nodes.len());
        }
        nodes.push(Step::Plugin(PluginStep { index: p.index, module: p.module.clone(), writes }));
    }
    for i in 0..tables.len() {
        node_of.entry(i).or_insert_with(|| {
            nodes.push(Step::Table(i));
            nodes.len() - 1
        });
    }
    // Edges: child node -> parent nodes; `required` edges may never be dropped.
    let mut edges: Vec<BTreeMap<usize, bool>> = vec![BTreeMap::new(); nodes.len()];
    for (i, t) in tables.iter().enumerate() {
        let Some(table) = schema.table(&t.name) else { continue };
        let from = node_of[&i];
        for fk in &table.foreign_keys {
            let Some(&parent) = index.get(fk.ref_table.as_str()) else { continue };
            let to = node_of[&parent];
            if to == from {
                continue;
            }
            let required = fk.columns.iter().any(|c| table.column(c).is_some_and(|c| !c.nullable));
            let e = edges[from].entry(to).or_insert(false);
            *e |= required;
        }
        for c in &t.columns {
            if let Fill::Ref { parent, .. } = c.fill {
                let to = node_of[&parent];
                if to != from {
                    edges[from].entry(to).or_insert(false);
                }
            }
        }
    }
    for (n, step) in nodes.iter().enumerate() {
        if let Step::Plugin(p) = step
            && let Some(claim) = plugins.iter().find(|c| c.index == p.index)
        {
            for r in &claim.reads {
                if let Some(&t) = index.get(r.as_str())
                    && node_of[&t] != n
                {
                    edges[n].entry(node_of[&t]).or_insert(true);
                }
            }
        }
    }
    // Kahn's algorithm, lowest node first; on a loop, drop its optional edges.
    let mut done = vec![false; nodes.len()];
    let mut out = Vec::with_capacity(nodes.len());
    while out.len() < nodes.len() {
        let ready = (0..nodes.len()).find(|&n| !done[n] && edges[n].keys().all(|p| done[*p]));
        match ready {
            Some(n) => {
                done[n] = true;
                out.push(nodes[n].clone());
            }
            None => {
                let mut dropped = false;
                for n in (0..nodes.len()).filter(|n| !done[*n]) {
                    let before = edges[n].len();
                    edges[n].retain(|p, required| *required || done[*p]);
                    dropped |= edges[n].len() != before;
                }
                if !dropped {
                    let stuck: Vec<String> = (0..nodes.len())
                        .filter(|n| !done[*n])
                        .flat_map(|n| match &nodes[n] {
                            Step::Table(t) => vec![tables[*t].name.clone()],
                            Step::Plugin(p) => p.writes.iter().map(|t| tables[*t].name.clone()).collect(),
                        })
                        .collect();
                    return Err(PlanError::Cycle { tables: stuck.join(", ") });
                }
            }
        }
    }
    Ok(out)
}
