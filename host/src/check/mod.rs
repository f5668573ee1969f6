//! `check`: catch broken and dangerous migrations before any database sees them.
//!
//! Three layers, all on the migrations as written:
//! - replay: every migration applied in plan order to a scratch database on
//!   the server, each checked one taken up, down and up again, with the
//!   catalog read around every step (see [`crate::replay::round_trips`]);
//! - static rules on the parse tree (see [`lint`]);
//! - suppressions: `-- vytal:allow RULE: reason` in a migration's files
//!   turns that rule's findings in that migration into notes.
//!
//! The target database is only used to create the scratch database next to
//! it; its schemas are never read or written.

mod lint;
mod rules;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

pub use self::rules::{Level, Rule};
use crate::db::Target;
use crate::exec::{Direction, ExecError, Origin, Script};
use crate::keys::ModuleName;
use crate::replay::{self, ReplayError, Trip, TripReport};
use crate::resolve::{Plan, UnknownModule};
use crate::schema::{Drift, Schema};
use crate::session::SessionError;
use crate::sql::{self, Directives};
use lint::{Hit, Side};

/// Errors that keep `check` from running at all (exit 2). Findings are not errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// Connecting or creating the scratch database failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The scratch database could not be used.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// `--module` names no module.
    #[error(transparent)]
    UnknownModule(#[from] UnknownModule),
    /// A path given could not be read.
    #[error("cannot read {path}: {source}; pass the path of an up migration (NNNN_name.up.sql)")]
    Read {
        /// The path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A path given is not an up migration.
    #[error("{path} is not an up migration: pass a file named NNNN_name.up.sql (the .down.sql beside it is read too)")]
    NotUp {
        /// The path.
        path: String,
    },
    /// A file given has a bad `-- vytal:` directive.
    #[error("{path}:{line}: {message}")]
    Directive {
        /// The file.
        path: String,
        /// The line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Only these modules' migrations (their prerequisites are replayed, not reported).
    pub modules: Vec<String>,
    /// Only these files: up migrations, built or being written. A file the
    /// build carries is checked as it is on disk now.
    pub paths: Vec<PathBuf>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The rule's name.
    pub rule: &'static str,
    /// `error` or `warning`.
    pub level: Level,
    /// What is wrong, naming the object.
    pub message: String,
    /// The module.
    pub module: String,
    /// `module/id_name`.
    pub migration: String,
    /// The file, relative to the workspace root (or as given).
    pub file: String,
    /// 1-based line, when the finding has one.
    pub line: Option<usize>,
    /// 1-based column (in characters), when the finding has one.
    pub column: Option<usize>,
    /// How many characters the caret spans on that line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<usize>,
    /// The source line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// More from PostgreSQL or the catalog: detail, hint, expected and found.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Why it matters.
    pub why: &'static str,
    /// What to do.
    pub fix: &'static str,
    /// The reason given by `-- vytal:allow`, when the finding is allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<String>,
}

/// The result of a check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// Migrations checked (not counting prerequisites replayed only).
    pub checked: usize,
    /// Migrations replayed, prerequisites included.
    pub replayed: usize,
    /// Findings, allowed ones included, in plan and line order.
    pub diagnostics: Vec<Diagnostic>,
    /// Findings at error level, not allowed.
    pub errors: usize,
    /// Findings at warning level, not allowed.
    pub warnings: usize,
    /// Findings allowed by `-- vytal:allow`.
    pub allowed: usize,
    /// Wall time.
    pub elapsed_ms: f64,
}

/// One migration's files, as the build has them or as they are on disk.
struct Unit {
    module: ModuleName,
    label: String,
    up_path: String,
    down_path: String,
    up: String,
    down: String,
    up_directives: Directives,
    down_directives: Directives,
    checked: bool,
}

impl Unit {
    fn script(&self, direction: Direction) -> Script<'_> {
        let (path, sql, directives) = match direction {
            Direction::Up => (&self.up_path, &self.up, &self.up_directives),
            Direction::Down => (&self.down_path, &self.down, &self.down_directives),
        };
        Script {
            label: self.label.clone(),
            direction,
            origin: Origin::File(path.clone()),
            sql,
            directives: directives.clone(),
        }
    }

    fn text(&self, side: Side) -> (&str, &str) {
        match side {
            Side::Up => (&self.up_path, &self.up),
            Side::Down => (&self.down_path, &self.down),
        }
    }

    /// A diagnostic about this migration at byte range `start..end` of one of its files.
    fn at(&self, rule: Rule, message: String, side: Side, range: Option<(usize, usize)>) -> Diagnostic {
        let (file, text) = self.text(side);
        let mut d = Diagnostic {
            rule: rule.name(),
            level: rule.level(),
            message,
            module: self.module.to_string(),
            migration: self.label.clone(),
            file: file.to_owned(),
            line: None,
            column: None,
            width: None,
            source: None,
            notes: Vec::new(),
            why: rule.why(),
            fix: rule.fix(),
            allowed: None,
        };
        if let Some((start, end)) = range {
            let (line, column) = sql::line_and_column(text, start);
            let source = text.lines().nth(line - 1).unwrap_or_default();
            let on_line = text.get(start..end).unwrap_or_default().lines().next().unwrap_or_default();
            d.line = Some(line);
            d.column = Some(column);
            d.width = Some(on_line.chars().count().max(1));
            d.source = Some(source.to_owned());
        }
        d
    }

    /// A diagnostic at a line (and column) of one of its files.
    fn at_line(&self, rule: Rule, message: String, side: Side, line: usize, column: Option<usize>) -> Diagnostic {
        let (_, text) = self.text(side);
        let start = line_start(text, line) + column.map_or(0, |c| char_offset(&text[line_start(text, line)..], c - 1));
        let mut d = self.at(rule, message, side, Some((start, start + 1)));
        if column.is_none() {
            d.column = None;
            d.width = None;
        }
        d
    }
}

/// Byte offset where 1-based `line` starts.
fn line_start(text: &str, line: usize) -> usize {
    if line <= 1 {
        return 0;
    }
    text.match_indices('\n').nth(line - 2).map_or(text.len(), |(i, _)| i + 1)
}

/// Byte offset of the `n`th character.
fn char_offset(text: &str, n: usize) -> usize {
    text.char_indices().nth(n).map_or(text.len(), |(i, _)| i)
}

/// Checks the migrations `options` selects. Needs a server for the replay.
pub async fn check(plan: &Plan, target: &Target, options: &CheckOptions) -> Result<CheckReport, CheckError> {
    let started = Instant::now();
    let mut units = units(plan, options)?;
    if !options.paths.is_empty() {
        let mut extra = on_disk(&options.paths, plan)?;
        for unit in &mut units {
            if let Some(i) = extra.iter().position(|e| e.up_path == unit.up_path) {
                let e = extra.remove(i);
                *unit = Unit { checked: true, ..e };
            }
        }
        units.extend(extra);
    }

    let mut diagnostics = Vec::new();
    for unit in units.iter().filter(|u| u.checked) {
        for (side, in_transaction) in
            [(Side::Up, !unit.up_directives.no_transaction), (Side::Down, !unit.down_directives.no_transaction)]
        {
            let (_, text) = unit.text(side);
            for Hit { rule, message, start, end } in lint::lint(text, side, in_transaction) {
                diagnostics.push(unit.at(rule, message, side, Some((start, end))));
            }
        }
    }

    let trips: Vec<Trip<'_>> = units
        .iter()
        .map(|u| Trip {
            module: u.module.clone(),
            up: u.script(Direction::Up),
            down: u.script(Direction::Down),
            round_trip: u.checked,
        })
        .collect();
    let mut admin = target.connect("vytal-host check").await.map_err(SessionError::from)?;
    let replayed = replay::round_trips(&trips, &plan.settings().clone(), target, &mut admin).await;
    let _ = sqlx::Connection::close(admin).await;
    let replayed = replayed?;
    for (unit, report) in units.iter().zip(&replayed.reports) {
        diagnostics.extend(from_replay(unit, report));
    }
    diagnostics.extend(foreign_keys_without_index(&units, &replayed.reports, &replayed.schema));

    for unit in units.iter().filter(|u| u.checked) {
        apply_allows(unit, &mut diagnostics);
    }
    let position = |d: &Diagnostic| units.iter().position(|u| u.label == d.migration).unwrap_or(usize::MAX);
    diagnostics.sort_by(|a, b| {
        (position(a), a.file.ends_with(".down.sql"), a.line, a.column).cmp(&(
            position(b),
            b.file.ends_with(".down.sql"),
            b.line,
            b.column,
        ))
    });
    let open = |level| diagnostics.iter().filter(|d| d.allowed.is_none() && d.level == level).count();
    Ok(CheckReport {
        checked: units.iter().filter(|u| u.checked).count(),
        replayed: replayed.reports.len(),
        errors: open(Level::Error),
        warnings: open(Level::Warning),
        allowed: diagnostics.iter().filter(|d| d.allowed.is_some()).count(),
        diagnostics,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// The build's migrations to replay, in plan order, marked as checked or not.
fn units(plan: &Plan, options: &CheckOptions) -> Result<Vec<Unit>, CheckError> {
    let selected = plan.select(&options.modules)?;
    let named: BTreeSet<&str> = options.modules.iter().map(String::as_str).collect();
    Ok(selected
        .into_iter()
        .map(|m| Unit {
            module: m.module.clone(),
            label: m.label().to_string(),
            up_path: m.up_path.clone(),
            down_path: m.down_path(),
            up: m.up.to_string(),
            down: m.down.to_string(),
            up_directives: m.directives.clone(),
            down_directives: m.down_directives.clone(),
            checked: options.paths.is_empty() && (named.is_empty() || named.contains(m.module.as_str())),
        })
        .collect())
}

/// Reads the files given. A file under the workspace's `modules/` is named
/// as the build names it, so it replaces the built migration of that name.
fn on_disk(paths: &[PathBuf], plan: &Plan) -> Result<Vec<Unit>, CheckError> {
    let mut out = Vec::new();
    for path in paths {
        let shown = path.display().to_string();
        let Some(stem) = shown.strip_suffix(".up.sql") else {
            return Err(CheckError::NotUp { path: shown });
        };
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|source| CheckError::Read { path: p.display().to_string(), source })
        };
        let up = read(path)?;
        let down_file = PathBuf::from(format!("{stem}.down.sql"));
        let down = if down_file.exists() { read(&down_file)? } else { String::new() };
        let directives = |text: &str, file: &Path| {
            sql::directives(text).map_err(|(line, message)| CheckError::Directive {
                path: file.display().to_string(),
                line,
                message,
            })
        };
        let up_directives = directives(&up, path)?;
        let down_directives = directives(&down, &down_file)?;
        // `modules/<module>/migrations/<version>/<file>`: the build's own name for it.
        let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        let parts: Vec<String> = absolute.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        let built = parts.iter().rposition(|p| p == "modules").and_then(|i| {
            let tail = &parts[i..];
            (tail.len() == 5 && tail[2] == "migrations").then(|| (tail[1].clone(), tail.join("/")))
        });
        let file_name = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let name = file_name.strip_suffix(".up.sql").unwrap_or(&file_name).to_owned();
        let (module, up_path) = match built {
            Some((module, up_path)) if plan.modules().contains_key(module.as_str()) => (module, up_path),
            _ => ("(file)".to_owned(), shown.clone()),
        };
        out.push(Unit {
            label: if module == "(file)" { name } else { format!("{module}/{name}") },
            module: ModuleName::from(module.as_str()),
            down_path: format!("{}.down.sql", up_path.strip_suffix(".up.sql").unwrap_or(&up_path)),
            up_path,
            up,
            down,
            up_directives,
            down_directives,
            checked: true,
        });
    }
    Ok(out)
}

/// What one migration's round trip says, as diagnostics.
fn from_replay(unit: &Unit, report: &TripReport) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if let Some(e) = &report.failed {
        out.push(rejected(unit, e));
    }
    if !unit.checked {
        return out;
    }
    for d in &report.left_behind {
        let mut diag = unit.at(
            Rule::DownLeavesObjects,
            format!("after the down, {} `{}` is still there", d.kind, d.object),
            Side::Down,
            None,
        );
        diag.notes.extend(drift_notes(d));
        out.push(diag);
    }
    for d in &report.not_restored {
        let message = match d.change {
            crate::schema::Change::Missing { .. } => {
                format!("after the down, {} `{}` is gone, though it was there before the up", d.kind, d.object)
            }
            _ => format!("after the down, {} of `{}` is not what it was before the up", d.what(), d.object),
        };
        let mut diag = unit.at(Rule::DownDoesNotRestore, message, Side::Down, None);
        diag.notes.push("expected is the catalog before the up; found is after the down".to_owned());
        diag.notes.extend(drift_notes(d));
        out.push(diag);
    }
    for d in &report.differs {
        let mut diag = unit.at(
            Rule::RoundTripDiffers,
            format!("after up, down and up again, {} `{}` differs from after one up", d.what(), d.object),
            Side::Up,
            None,
        );
        diag.notes.push("expected is after one up; found is after up, down and up again".to_owned());
        diag.notes.extend(drift_notes(d));
        out.push(diag);
    }
    for table in &report.rewritten {
        let range = find_statement(&unit.up, &["ALTER TABLE"], table);
        out.push(unit.at(
            Rule::TableRewrite,
            format!("the up rewrites table `{table}`, which existed before it"),
            Side::Up,
            range,
        ));
    }
    out
}

fn drift_notes(d: &Drift) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(e) = d.expected() {
        notes.push(format!("expected: {e}"));
    }
    if let Some(f) = d.found() {
        notes.push(format!("found:    {f}"));
    }
    notes
}

/// A script PostgreSQL rejected.
fn rejected(unit: &Unit, e: &ExecError) -> Diagnostic {
    let side = if e.direction == Direction::Up { Side::Up } else { Side::Down };
    let what = if e.direction == Direction::Up { "up" } else { "down" };
    let message = match e.code() {
        Some(code) => format!("PostgreSQL rejected the {what}: {} (SQLSTATE {code})", e.pg.message),
        None => format!("PostgreSQL rejected the {what}: {}", e.pg.message),
    };
    let (_, text) = unit.text(side);
    let mut d = match (e.line, e.column, named_in_statement(text, e)) {
        (_, None, Some(range)) => unit.at(Rule::Rejected, message, side, Some(range)),
        (Some(line), column, _) => unit.at_line(Rule::Rejected, message, side, line, column),
        (None, _, _) => unit.at(Rule::Rejected, message, side, None),
    };
    if let Some(detail) = &e.pg.detail {
        d.notes.push(format!("detail: {detail}"));
    }
    if let Some(hint) = &e.pg.hint {
        d.notes.push(format!("hint: {hint}"));
    }
    d
}

/// Where an error without a position points: PostgreSQL names the object
/// (`column "at" does not exist`) but does not say where the statement
/// mentions it, so the first mention of that name in the failing statement.
fn named_in_statement(text: &str, e: &ExecError) -> Option<(usize, usize)> {
    let statement = e.statement.as_deref()?;
    let name = e.pg.message.split('"').nth(1).filter(|n| !n.is_empty())?;
    let start = text.find(statement)?;
    let quoted = format!("\"{name}\"");
    let (at, len) = match statement.find(&quoted) {
        Some(i) => (i, quoted.len()),
        None => (word(statement, name)?, name.len()),
    };
    Some((start + at, start + at + len))
}

/// Byte offset of `name` as a whole word in `text`, ignoring case.
fn word(text: &str, name: &str) -> Option<usize> {
    let lower = text.to_lowercase();
    let name = name.to_lowercase();
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    lower.match_indices(&name).map(|(i, _)| i).find(|&i| {
        lower.len() == text.len()
            && !is_word(lower[..i].chars().next_back())
            && !is_word(lower[i + name.len()..].chars().next())
    })
}

/// The byte range of the first statement of `sql` that contains one of
/// `words` and names `object` (quoted or not).
fn find_statement(sql: &str, words: &[&str], object: &str) -> Option<(usize, usize)> {
    let quoted = format!("\"{object}\"");
    let statements = sql::split_statements(sql);
    let names = |s: &sql::Statement| s.text.contains(&quoted) || s.text.contains(object);
    let hit = statements
        .iter()
        .find(|s| names(s) && words.iter().any(|w| s.text.to_uppercase().contains(w)))
        .or_else(|| statements.iter().find(|s| names(s)))?;
    let first_line = hit.text.lines().next().unwrap_or_default();
    Some((hit.start, hit.start + first_line.len()))
}

/// Foreign keys in the final catalog with no index leading with their
/// columns, reported on the migration that created them.
fn foreign_keys_without_index(units: &[Unit], reports: &[TripReport], schema: &Schema) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (unit, report) in units.iter().zip(reports).filter(|(u, _)| u.checked) {
        for (table_name, key_name) in &report.new_foreign_keys {
            let Some(table) = schema.table(table_name) else { continue };
            let Some(key) = table.foreign_keys.iter().find(|k| &k.name == key_name) else { continue };
            let n = key.columns.len();
            let covered = table.indexes.iter().any(|i| {
                i.columns.len() >= n && {
                    let mut lead: Vec<&String> = i.columns[..n].iter().collect();
                    let mut cols: Vec<&String> = key.columns.iter().collect();
                    lead.sort();
                    cols.sort();
                    lead == cols
                }
            });
            if covered {
                continue;
            }
            let range = find_statement(&unit.up, &["REFERENCES"], key_name)
                .or_else(|| find_statement(&unit.up, &["REFERENCES"], table_name));
            out.push(unit.at(
                Rule::ForeignKeyWithoutIndex,
                format!(
                    "foreign key `{key_name}` on `{table_name}` ({}) has no index leading with its columns",
                    key.columns.join(", ")
                ),
                Side::Up,
                range,
            ));
        }
    }
    out
}

/// Marks the findings of `unit` its `-- vytal:allow` lines allow, and
/// reports allows without a reason, for unknown rules, or unused.
fn apply_allows(unit: &Unit, diagnostics: &mut Vec<Diagnostic>) {
    let mut meta = Vec::new();
    for side in [Side::Up, Side::Down] {
        let (_, text) = unit.text(side);
        for allow in sql::allows(text) {
            let rule = Rule::named(&allow.rule).filter(|r| r.can_be_allowed());
            let Some(rule) = rule else {
                let message = if allow.rule.is_empty() {
                    "`-- vytal:allow` names no rule".to_owned()
                } else {
                    format!("`-- vytal:allow {}` names no rule that can be allowed", allow.rule)
                };
                meta.push(unit.at_line(Rule::UnknownRule, message, side, allow.line, None));
                continue;
            };
            let Some(reason) = allow.reason else {
                meta.push(unit.at_line(
                    Rule::AllowWithoutReason,
                    format!("`-- vytal:allow {}` gives no reason, so it allows nothing", allow.rule),
                    side,
                    allow.line,
                    None,
                ));
                continue;
            };
            let mut used = false;
            for d in diagnostics.iter_mut().filter(|d| d.migration == unit.label && d.rule == rule.name()) {
                if d.allowed.is_none() {
                    d.allowed = Some(reason.clone());
                }
                used = true;
            }
            if !used {
                meta.push(unit.at_line(
                    Rule::UnusedAllow,
                    format!("`-- vytal:allow {}`: this migration breaks no such rule", allow.rule),
                    side,
                    allow.line,
                    None,
                ));
            }
        }
    }
    diagnostics.extend(meta);
}

impl Rule {
    /// Whether `-- vytal:allow` may name it: not the rules about allows, nor a rejected statement.
    pub fn can_be_allowed(self) -> bool {
        !matches!(self, Rule::Rejected | Rule::AllowWithoutReason | Rule::UnknownRule | Rule::UnusedAllow)
    }
}
