//! The host's generator: rows of a planned table as typed columnar batches,
//! a chunk at a time, for the binary COPY encoder.
//!
//! A value is a pure function of (seed, table, column, row), so a table
//! never has to be held in memory: a reference to row `j` of a generated
//! parent is that parent's key formula at `j`, and a child that inherits its
//! parent's patient recomputes the parent's cell. Only the keys of tables the
//! host did not generate (written by a plugin, or already there) are read
//! back and kept, as text.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::Arc;

use vytal_plugin_runtime::{Batch, Column, ColumnData};
use vytal_plugins_sdk::values::{Gen, parse_uuid};

use super::plan::{Bands, ColPlan, Fill, Link, People, SeedPlan, Source};
use super::types::Type;
use super::values::{Moment, Row, Sem, Value, cell_gen, filled_percent, hash, key};

/// Where the keys of a table come from, for references into it.
#[derive(Debug, Clone)]
pub(crate) enum Keys {
    /// Generated rows `0..rows`: the key formula.
    Formula { rows: u64, bands: Option<Bands> },
    /// Read back from the table, in key order; `patients` and `staff` index into `all` (users);
    /// `columns`: the values of the columns children inherit, row by row.
    Loaded { all: Cells, patients: Vec<u32>, staff: Vec<u32>, columns: BTreeMap<String, Cells> },
}

/// Values read back, kept small: uuids as 16 bytes, anything else as text.
#[derive(Debug, Clone)]
pub(crate) enum Cells {
    Uuids(Vec<Option<(u64, u64)>>),
    Texts(Vec<Option<String>>),
}

impl Default for Cells {
    fn default() -> Self {
        Cells::Uuids(Vec::new())
    }
}

impl Cells {
    /// Adds a value read as text: kept as 16 bytes while every value is a uuid.
    pub(crate) fn push(&mut self, value: Option<String>) {
        if let Cells::Uuids(v) = self {
            match value.as_deref().map(parse_uuid) {
                None => return v.push(None),
                Some(Some(u)) => return v.push(Some(u)),
                Some(None) => {
                    let texts = v.iter().map(|u| u.map(uuid_text)).collect();
                    *self = Cells::Texts(texts);
                }
            }
        }
        if let Cells::Texts(v) = self {
            v.push(value);
        }
    }

    fn len(&self) -> usize {
        match self {
            Cells::Uuids(v) => v.len(),
            Cells::Texts(v) => v.len(),
        }
    }

    /// The value at `i`, typed for a column of `ty`.
    fn get(&self, i: u64, ty: &Type) -> Result<Value, String> {
        let i = usize::try_from(i).unwrap_or(usize::MAX);
        Ok(match self {
            Cells::Uuids(v) => match v.get(i).copied().flatten() {
                Some(u) => match ty {
                    Type::Uuid | Type::UuidArray => Value::Uuid(u),
                    _ => Value::Text(uuid_text(u)),
                },
                None => Value::Null,
            },
            Cells::Texts(v) => match v.get(i).cloned().flatten() {
                Some(t) => typed(&t, ty)?,
                None => Value::Null,
            },
        })
    }
}

impl Keys {
    fn len(&self) -> u64 {
        match self {
            Keys::Formula { rows, .. } => *rows,
            Keys::Loaded { all, .. } => all.len() as u64,
        }
    }
}

/// Makes the rows of a [`SeedPlan`] for one seed value.
/// Cloning is cheap: the plan and the keys read back are shared.
#[derive(Debug, Clone)]
pub(crate) struct Generator {
    plan: Arc<SeedPlan>,
    seed: u64,
    keys: BTreeMap<usize, Arc<Keys>>,
    salts: Arc<Vec<Vec<u64>>>,
    /// Rows per table: the plan's, or resolved once a plugin's parent is written.
    rows: Vec<u64>,
}

impl Generator {
    /// A generator; the keys of generated tables are known from the start.
    pub(crate) fn new(plan: Arc<SeedPlan>, seed: u64) -> Self {
        let keys = plan
            .tables
            .iter()
            .enumerate()
            .filter(|(_, t)| t.source == Source::Generate && t.key.is_some())
            .map(|(i, t)| (i, Arc::new(Keys::Formula { rows: t.rows, bands: t.bands })))
            .collect();
        let salts =
            Arc::new(plan.tables.iter().map(|t| t.columns.iter().map(|c| hash(c.name.as_bytes())).collect()).collect());
        let rows = plan.tables.iter().map(|t| t.rows).collect();
        Generator { plan, seed, keys, salts, rows }
    }

    /// Rows `table` gets.
    pub(crate) fn rows(&self, table: usize) -> u64 {
        self.rows[table]
    }

    /// Settles a table's rows from its parent's, when the parent's rows were
    /// decided by a plugin or were already there. Call before generating it.
    pub(crate) fn settle_rows(&mut self, table: usize) {
        let t = &self.plan.tables[table];
        let Some((parent, ratio)) = t.per else { return };
        if self.plan.tables[parent].source == Source::Generate {
            return;
        }
        let parents = self.keys.get(&parent).map_or(0, |k| k.len());
        let rows = if parents == 0 { 0 } else { super::plan::scaled(parents, ratio).max(1) };
        self.rows[table] = rows;
        if t.key.is_some() {
            self.keys.insert(table, Arc::new(Keys::Formula { rows, bands: t.bands }));
        }
    }

    /// Tables whose keys must be read back after they are written, for references into them.
    pub(crate) fn needs_keys(&self, table: usize) -> bool {
        !self.keys.contains_key(&table)
            && self
                .plan
                .tables
                .iter()
                .any(|t| t.columns.iter().any(|c| matches!(c.fill, Fill::Ref { parent, .. } if parent == table)))
    }

    /// The columns of `table` that children inherit (read back with its keys).
    pub(crate) fn inherited(&self, table: usize) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in &self.plan.tables {
            if t.primary.map(|(_, p)| p) != Some(table) {
                continue;
            }
            for c in &t.columns {
                if let Fill::Inherit { column } = c.fill {
                    let name = &self.plan.tables[table].columns[column].name;
                    if !out.contains(name) {
                        out.push(name.clone());
                    }
                }
            }
        }
        out
    }

    /// Keys read back from a table.
    pub(crate) fn set_keys(&mut self, table: usize, keys: Keys) {
        self.keys.insert(table, Arc::new(keys));
    }

    /// Rows `rows` of `table`, every column but those in `given` (a plugin's).
    pub(crate) fn batch(&self, table: usize, rows: Range<u64>, given: &BTreeSet<String>) -> Result<Batch, String> {
        let t = &self.plan.tables[table];
        let n = usize::try_from(rows.end - rows.start).unwrap_or(0);
        let mut columns: Vec<(usize, ColumnData)> = t
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| !given.contains(&c.name) && !matches!(c.ty, Type::Other(_)))
            .map(|(i, c)| (i, empty(&c.ty, n)))
            .collect();
        for row in rows {
            let moment = self.moment(table, row);
            for (c, data) in &mut columns {
                let v = self.cell(table, *c, row, moment)?;
                let col = &t.columns[*c];
                push(data, v, col).map_err(|e| format!("`{}.{}`: {e}", t.name, col.name))?;
            }
        }
        Ok(Batch {
            table: t.name.clone(),
            columns: columns.into_iter().map(|(c, data)| Column { name: t.columns[c].name.clone(), data }).collect(),
        })
    }

    /// The row of the primary parent a row belongs to: children spread evenly over parents.
    fn parent_row(&self, table: usize, row: u64) -> Option<(usize, u64)> {
        let t = &self.plan.tables[table];
        let (_, p) = t.primary?;
        let parents = self.keys.get(&p)?.len();
        if parents == 0 {
            return None;
        }
        let rows = self.rows[table];
        if rows == 0 {
            // Rows a plugin writes, however many: any parent, the same one for the same row.
            let mut g = cell_gen(self.seed, t.salt, 0x7061_7265_6e74, row);
            return Some((p, g.range(0, parents as i64) as u64));
        }
        Some((p, (u128::from(row) * u128::from(parents) / u128::from(rows)) as u64))
    }

    /// A row's moments, after its primary parent's when the host generated that parent.
    fn moment(&self, table: usize, row: u64) -> Moment {
        let t = &self.plan.tables[table];
        let after = self
            .parent_row(table, row)
            .filter(|(p, _)| self.plan.tables[*p].source == Source::Generate && *p != table)
            .map(|(p, j)| self.moment(p, j).created);
        Moment::new(&mut cell_gen(self.seed, t.salt, 0, row), after)
    }

    fn cell(&self, table: usize, c: usize, row: u64, moment: Moment) -> Result<Value, String> {
        let t = &self.plan.tables[table];
        let col = &t.columns[c];
        let mut g = cell_gen(self.seed, t.salt, self.salts[table][c], row);
        let optional = |g: &mut Gen, percent: u64| col.nullable && (g.range(0, 100) as u64) >= percent;
        Ok(match &col.fill {
            Fill::Key => Value::Uuid(key(self.seed, t.salt, row)),
            Fill::Null => Value::Null,
            Fill::SelfRef => {
                if row == 0 || t.key.is_none() || optional(&mut g, 20) {
                    Value::Null
                } else {
                    Value::Uuid(key(self.seed, t.salt, g.range(0, row as i64) as u64))
                }
            }
            Fill::Inherit { column } => match self.parent_row(table, row) {
                Some((p, j)) => match self.keys.get(&p).map(AsRef::as_ref) {
                    Some(Keys::Loaded { columns, .. }) => {
                        let name = &self.plan.tables[p].columns[*column].name;
                        match columns.get(name) {
                            Some(cells) => cells.get(j, &col.ty)?,
                            None => Value::Null,
                        }
                    }
                    _ => self.cell(p, *column, j, self.moment(p, j))?,
                },
                None => Value::Null,
            },
            Fill::Ref { parent, people, link, always } => {
                if !*always && *link == Link::Random && optional(&mut g, 50) {
                    return Ok(Value::Null);
                }
                self.reference(table, row, *parent, *people, *link, &col.ty, &mut g)?
            }
            Fill::Value(Sem::Role) => match (t.bands, &col.ty) {
                (Some(b), Type::Enum(labels)) => {
                    let want = if row < b.patients {
                        "patient"
                    } else if row < b.patients + b.staff {
                        "provider"
                    } else {
                        "admin"
                    };
                    let label = labels.iter().find(|l| *l == want).or(labels.first());
                    label.map_or(Value::Null, |l| Value::Text(l.clone()))
                }
                _ => Sem::Enum.value(&mut g, &col.ty, &self.row(table, row, moment)),
            },
            Fill::Value(sem) => {
                if optional(&mut g, filled_percent(sem)) {
                    Value::Null
                } else {
                    sem.value(&mut g, &col.ty, &self.row(table, row, moment))
                }
            }
        })
    }

    fn row(&self, table: usize, row: u64, moment: Moment) -> Row {
        Row { seed: self.seed, salt: self.plan.tables[table].salt, row, moment }
    }

    #[allow(clippy::too_many_arguments)]
    fn reference(
        &self,
        table: usize,
        row: u64,
        parent: usize,
        people: People,
        link: Link,
        ty: &Type,
        g: &mut Gen,
    ) -> Result<Value, String> {
        let Some(keys) = self.keys.get(&parent) else {
            return Err(format!("no keys are known for `{}`, which it references", self.plan.tables[parent].name));
        };
        let total = keys.len();
        if total == 0 {
            return Err(format!("`{}` has no rows to reference", self.plan.tables[parent].name));
        }
        let pick = |g: &mut Gen, n: u64| g.range(0, n as i64) as u64;
        let j = match link {
            Link::Primary => self.parent_row(table, row).map_or(0, |(_, j)| j),
            Link::OneToOne => row % total,
            Link::Spread => {
                let rows = self.rows[table].max(1);
                (u128::from(row) * u128::from(total) / u128::from(rows)) as u64
            }
            Link::Random => match (keys.as_ref(), people) {
                (Keys::Formula { bands: Some(b), .. }, People::Patient) => pick(g, b.patients),
                (Keys::Formula { bands: Some(b), .. }, People::Staff) => b.patients + pick(g, b.staff),
                (Keys::Loaded { patients, .. }, People::Patient) if !patients.is_empty() => {
                    u64::from(patients[pick(g, patients.len() as u64) as usize])
                }
                (Keys::Loaded { staff, .. }, People::Staff) if !staff.is_empty() => {
                    u64::from(staff[pick(g, staff.len() as u64) as usize])
                }
                _ => pick(g, total),
            },
        };
        let value = match keys.as_ref() {
            Keys::Formula { .. } => Value::Uuid(key(self.seed, self.plan.tables[parent].salt, j)),
            Keys::Loaded { all, .. } => all.get(j.min(total - 1), ty)?,
        };
        Ok(match ty {
            Type::UuidArray => match value {
                Value::Uuid(u) => Value::Uuids(vec![u]),
                _ => Value::Null,
            },
            _ => value,
        })
    }
}

/// A value read back as text, typed for the column it goes into.
fn typed(text: &str, ty: &Type) -> Result<Value, String> {
    Ok(match ty {
        Type::Uuid | Type::UuidArray => Value::Uuid(parse_uuid(text).ok_or_else(|| format!("`{text}` is not a uuid"))?),
        Type::Int { .. } => Value::Int(text.parse().map_err(|_| format!("`{text}` is not an integer"))?),
        _ => Value::Text(text.to_owned()),
    })
}

fn uuid_text((hi, lo): (u64, u64)) -> String {
    let h = format!("{hi:016x}{lo:016x}");
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

fn empty(ty: &Type, n: usize) -> ColumnData {
    match ty {
        Type::Bool => ColumnData::Boolean(Vec::with_capacity(n)),
        Type::Int { .. } => ColumnData::Integer(Vec::with_capacity(n)),
        Type::Float => ColumnData::Float(Vec::with_capacity(n)),
        Type::Uuid => ColumnData::Uuid(Vec::with_capacity(n)),
        Type::Timestamp => ColumnData::Timestamp(Vec::with_capacity(n)),
        Type::Date => ColumnData::Date(Vec::with_capacity(n)),
        Type::Json => ColumnData::Json(Vec::with_capacity(n)),
        Type::JsonArray | Type::TextArray { .. } | Type::EnumArray(_) => ColumnData::TextArray(Vec::with_capacity(n)),
        Type::UuidArray => ColumnData::UuidArray(Vec::with_capacity(n)),
        Type::Bytes => ColumnData::Bytes(Vec::with_capacity(n)),
        Type::Numeric { .. } | Type::Text { .. } | Type::Enum(_) | Type::Other(_) => {
            ColumnData::Text(Vec::with_capacity(n))
        }
    }
}

/// Text cut to a column's length; a unique value keeps its end, where the row number is.
fn fit(s: String, col: &ColPlan) -> String {
    let max = match col.ty {
        Type::Text { max: Some(m) } | Type::TextArray { max: Some(m) } => m,
        _ => return s,
    };
    if s.chars().count() <= max {
        return s;
    }
    if col.unique {
        let skip = s.chars().count() - max;
        s.chars().skip(skip).collect()
    } else {
        s.chars().take(max).collect()
    }
}

fn push(data: &mut ColumnData, v: Value, col: &ColPlan) -> Result<(), String> {
    if v == Value::Null && !col.nullable {
        return Err("NOT NULL, but no value could be made for it".to_owned());
    }
    let mismatch = |v: &Value| format!("a {v:?} does not fit {}", col.shown);
    match data {
        ColumnData::Boolean(out) => out.push(match v {
            Value::Null => None,
            Value::Bool(b) => Some(b),
            other => return Err(mismatch(&other)),
        }),
        ColumnData::Integer(out) => out.push(match v {
            Value::Null => None,
            Value::Int(i) => Some(i),
            other => return Err(mismatch(&other)),
        }),
        ColumnData::Float(out) => out.push(match v {
            Value::Null => None,
            Value::Float(f) => Some(f),
            Value::Int(i) => Some(i as f64),
            other => return Err(mismatch(&other)),
        }),
        ColumnData::Uuid(out) => out.push(match v {
            Value::Null => None,
            Value::Uuid(u) => Some(u),
            other => return Err(mismatch(&other)),
        }),
        ColumnData::Timestamp(out) => out.push(match v {
            Value::Null => None,
            Value::Time(t) => Some(t),
            other => return Err(mismatch(&other)),
        }),
        ColumnData::Date(out) => out.push(match v {
            Value::Null => None,
            Value::Date(d) => Some(d),
            Value::Time(t) => Some(i32::try_from(t.div_euclid(86_400_000_000)).unwrap_or(0)),
            other => return Err(mismatch(&other)),
        }),
        ColumnData::Json(out) => out.push(match v {
            Value::Null => None,
            Value::Json(j) => Some(j),
            other => return Err(mismatch(&other)),
        }),
        ColumnData::TextArray(out) => out.push(match v {
            Value::Null => None,
            Value::Texts(t) => Some(t.into_iter().map(|s| fit(s, col)).collect()),
            Value::Text(s) => Some(vec![fit(s, col)]),
            other => return Err(mismatch(&other)),
        }),
        ColumnData::UuidArray(out) => out.push(match v {
            Value::Null => None,
            Value::Uuids(u) => Some(u),
            Value::Uuid(u) => Some(vec![u]),
            other => return Err(mismatch(&other)),
        }),
        ColumnData::Bytes(out) => out.push(match v {
            Value::Null => None,
            Value::Text(s) => Some(s.into_bytes()),
            other => return Err(mismatch(&other)),
        }),
        ColumnData::Text(out) => out.push(match v {
            Value::Null => None,
            Value::Text(s) => Some(fit(s, col)),
            Value::Int(i) => Some(fit(i.to_string(), col)),
            Value::Float(f) => Some(fit(f.to_string(), col)),
            Value::Uuid(u) => Some(fit(uuid_text(u), col)),
            Value::Json(j) => Some(fit(j, col)),
            Value::Texts(t) => Some(fit(t.join(","), col)),
            other => return Err(mismatch(&other)),
        }),
    }
    Ok(())
}
