//! `rollback`: undo applied migrations, newest first, each with its ledger row.
//!
//! The down SQL comes from the ledger row written at apply time, so a
//! database can be rolled back by a build that no longer carries the
//! migration. A module rollback refuses while other applied migrations
//! require what it would remove, unless asked to cascade. Same lock as `run`.

use std::collections::BTreeSet;
use std::time::Duration;

use semver::Version;

use crate::db::Database;
use crate::exec::{self, Direction, ExecError, Origin, Script, TookEffect, Transaction};
use crate::ledger::{AppliedRow, Downs, Event};
use crate::loss::{self, Loss};
use crate::resolve::{Plan, PlannedMigration, UnknownVersion};
use crate::session::{Access, Outcome, Session, SessionError};
use crate::sql::{self, Directives};

/// What to roll back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// The last N applied migrations.
    Last(usize),
    /// Every applied migration of a module.
    Module(String),
    /// A module's migrations newer than a version.
    To(String, Version),
    /// Everything.
    All,
}

impl std::fmt::Display for Selection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Selection::Last(n) => write!(f, "-n {n}"),
            Selection::Module(m) => write!(f, "--module {m}"),
            Selection::To(m, v) => write!(f, "--to {m}@{v}"),
            Selection::All => write!(f, "--all"),
        }
    }
}

/// How to roll back.
#[derive(Debug, Clone)]
pub struct RollbackOptions {
    /// What.
    pub selection: Selection,
    /// Roll back dependants of the selection first.
    pub cascade: bool,
    /// Show the down SQL, change nothing.
    pub dry_run: bool,
    /// The command line, for the event log.
    pub command: String,
    /// Which down SQL runs where the stored one and the build's differ.
    pub down: DownChoice,
}

/// Which down SQL runs for a migration whose stored down SQL differs from
/// this build's, or no longer matches the checksum taken when it was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DownChoice {
    /// Neither: refuse, showing both, so that an operator chooses.
    #[default]
    Ask,
    /// The one stored in the ledger at apply time (never one edited since).
    Stored,
    /// This build's.
    Build,
}

/// One migration to undo, in the order it will be undone.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Step {
    /// Module.
    pub module: String,
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Module version it belongs to.
    pub version: String,
    /// The down SQL that will run: the one stored at apply time unless this
    /// build's was chosen (`down_from`).
    pub down_sql: String,
    /// `stored` or `build`: where `down_sql` comes from.
    pub down_from: &'static str,
    /// Whether this build's down SQL differs from the stored one.
    pub compiled_differs: bool,
    /// Whether the stored down SQL no longer matches the checksum taken when it
    /// was stored: the ledger row was edited since.
    pub stored_edited: bool,
    /// The down SQL not chosen, when the two differ (for showing both).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_down: Option<String>,
    /// This build's down SQL, when the build carries the migration.
    #[serde(skip)]
    built_down: Option<String>,
    /// The build's down file, relative to the workspace root.
    #[serde(skip)]
    built_path: Option<String>,
    /// The checksum of the down SQL taken at apply time, if one was.
    #[serde(skip)]
    recorded_down_checksum: Option<String>,
    /// Whether the build carries this migration at all.
    pub in_build: bool,
    /// Whether it is only undone because it requires the selection (`--cascade`).
    pub dependant: bool,
    /// The rows and values its down SQL would destroy, counted before anything runs.
    pub losses: Vec<Loss>,
    /// Milliseconds it took, once done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
}

impl Step {
    /// Rows and values destroyed by all of `steps`, for a person to read:
    /// empty when they destroy nothing.
    pub fn losses_of(steps: &[Step]) -> Vec<&Loss> {
        steps.iter().flat_map(|s| s.losses.iter()).filter(|l| l.destroys()).collect()
    }

    /// `module/id_name`.
    pub fn label(&self) -> String {
        crate::keys::Label { module: &self.module, id: &self.id, name: &self.name }.to_string()
    }
}

/// What a rollback did or would do.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RollbackReport {
    /// The database, without password.
    pub database: String,
    /// Whether nothing was changed on purpose.
    pub dry_run: bool,
    /// The migrations, in the order undone.
    pub steps: Vec<Step>,
    /// Total wall time in milliseconds.
    pub elapsed_ms: f64,
}

/// A down migration that failed, and what it left.
#[derive(Debug, Clone)]
pub struct DownFailure {
    /// What failed, where.
    pub error: ExecError,
    /// What state the database was left in.
    pub aftermath: String,
}

/// Errors of `rollback`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RollbackError {
    /// Connecting, locking or the host's own bookkeeping failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The ledger rows given were read without their stored down SQL.
    #[error(
        "the ledger row of {0} was read without its stored down SQL, which a rollback runs; read the rows with their down SQL (`Downs::Read`)"
    )]
    DownNotRead(String),
    /// Other applied migrations require what would be removed.
    #[error(
        "cannot roll back {selection}: {} applied migration(s) of other modules require it:\n{}\nroll those back first, or add --cascade to roll them back before it",
        dependants.len(),
        dependants.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n")
    )]
    Dependants {
        /// The selection.
        selection: String,
        /// The dependent migrations, `module/id_name`.
        dependants: Vec<String>,
    },
    /// The selection names a module that neither the build nor the ledger knows.
    #[error("no module `{module}`; known modules: {known}")]
    UnknownModule {
        /// The name given.
        module: String,
        /// The modules that exist.
        known: String,
    },
    /// `--to` names a version the module never had.
    #[error("{0}; nothing was rolled back")]
    UnknownVersion(#[from] UnknownVersion),
    /// A stored down SQL carries a directive this host does not understand.
    #[error(
        "the down SQL stored for {migration} has a bad directive at line {line}: {message}; nothing was rolled back"
    )]
    BadDirective {
        /// `module/id_name`.
        migration: String,
        /// The line in the stored down SQL.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The confirmation was refused or could not be asked.
    #[error("{0}")]
    NotConfirmed(String),
    /// A stored down SQL was edited after it was stored.
    #[error(
        "the down SQL stored for {migration} no longer matches the checksum taken when it was applied (then {recorded}, now {found}): the ledger row was edited since. Nothing was rolled back. {fix}"
    )]
    StoredDownEdited {
        /// `module/id_name`.
        migration: String,
        /// The checksum taken at apply time.
        recorded: String,
        /// The checksum of what is stored now.
        found: String,
        /// What to do.
        fix: &'static str,
    },
    /// The stored down SQL and the build's differ, and no choice was made.
    #[error(
        "the down SQL stored when {} was applied differs from this build's; nothing was rolled back. See both with --dry-run, then choose with --down stored (what was stored at apply time) or --down build (this build's); on a terminal you are asked{}",
        .migrations.join(", "),
        .shown
    )]
    DownsDiffer {
        /// The migrations, `module/id_name`.
        migrations: Vec<String>,
        /// Both texts, for each.
        shown: String,
    },
    /// A down migration failed; it and everything before it in the order stay applied.
    #[error("{}\n  {}", .0.error, .0.aftermath)]
    DownFailed(Box<DownFailure>),
}

/// Decides what a selection undoes, in order; `Err` when dependants block it.
pub fn select(plan: &Plan, rows: &[AppliedRow], options: &RollbackOptions) -> Result<Vec<Step>, RollbackError> {
    // Ledger rows come in the order they were applied (see `Ledger::applied`).
    if let Some(row) = rows.iter().find(|r| r.down_sql.is_none()) {
        return Err(RollbackError::DownNotRead(row.label().to_string()));
    }
    let applied: Vec<(&AppliedRow, Option<&PlannedMigration>)> =
        rows.iter().map(|r| (r, plan.find(&r.module, &r.id))).collect();

    let known_module = |m: &str| -> Result<(), RollbackError> {
        if plan.modules().contains_key(m) || rows.iter().any(|r| r.module == m) {
            Ok(())
        } else {
            Err(RollbackError::UnknownModule {
                module: m.to_owned(),
                known: plan.modules().keys().map(|k| k.as_str()).collect::<Vec<_>>().join(", "),
            })
        }
    };
    let mut chosen: BTreeSet<usize> = match &options.selection {
        Selection::All => (0..applied.len()).collect(),
        Selection::Last(n) => (applied.len().saturating_sub(*n)..applied.len()).collect(),
        Selection::Module(m) => {
            known_module(m)?;
            (0..applied.len()).filter(|&i| applied[i].0.module == *m).collect()
        }
        Selection::To(m, v) => {
            known_module(m)?;
            let recorded = rows
                .iter()
                .filter(|r| r.module == *m)
                .any(|r| Version::parse(&r.module_version).is_ok_and(|rv| rv == *v));
            if plan.modules().contains_key(m.as_str()) && !recorded {
                plan.check_version(m, v)?;
            }
            (0..applied.len())
                .filter(|&i| {
                    applied[i].0.module == *m && Version::parse(&applied[i].0.module_version).is_ok_and(|av| &av > v)
                })
                .collect()
        }
    };
    // Applied migrations outside the selection that require something in it.
    let dependants_of = |chosen: &BTreeSet<usize>| -> BTreeSet<usize> {
        let removed: BTreeSet<usize> = chosen.iter().filter_map(|&i| applied[i].1.map(|m| m.position())).collect();
        (0..applied.len())
            .filter(|i| !chosen.contains(i))
            .filter(|&i| applied[i].1.is_some_and(|m| !plan.prerequisites(m).is_disjoint(&removed)))
            .collect()
    };
    let first = dependants_of(&chosen);
    let mut dependants = BTreeSet::new();
    if !first.is_empty() {
        if !options.cascade {
            return Err(RollbackError::Dependants {
                selection: options.selection.to_string(),
                dependants: first.iter().map(|&i| applied[i].0.label().to_string()).collect(),
            });
        }
        let mut next = first;
        while !next.is_empty() {
            dependants.extend(next.iter().copied());
            chosen.extend(next.iter().copied());
            next = dependants_of(&chosen);
        }
    }
    let steps: Vec<Step> = chosen
        .iter()
        .rev()
        .map(|&i| {
            let (row, built) = applied[i];
            // Every row carries its down SQL: checked on entry.
            let stored = row.down_sql.as_deref().unwrap_or_default();
            Step {
                module: row.module.to_string(),
                id: row.id.to_string(),
                name: row.name.clone(),
                version: row.module_version.clone(),
                down_sql: stored.to_owned(),
                down_from: "stored",
                compiled_differs: built.is_some_and(|m| sql::normalise(&m.down) != sql::normalise(stored)),
                stored_edited: row.down_intact() == Some(false),
                other_down: None,
                built_down: built.map(|m| m.down.to_string()),
                built_path: built.map(PlannedMigration::down_path),
                recorded_down_checksum: row.down_checksum.clone(),
                in_build: built.is_some(),
                dependant: dependants.contains(&i),
                losses: Vec::new(),
                duration_ms: None,
            }
        })
        .collect();
    // Every stored down must be understood before the first one runs.
    for s in &steps {
        directives_of(s)?;
    }
    Ok(steps)
}

/// Settles which down SQL each step runs. An edited stored down never runs;
/// where the stored and the build's differ, `choice` decides, and without
/// one nothing runs. A dry run shows both instead of refusing.
fn choose_downs(steps: &mut [Step], choice: DownChoice, dry_run: bool) -> Result<(), RollbackError> {
    let mut undecided = Vec::new();
    for step in steps.iter_mut() {
        let use_build = if step.stored_edited {
            if choice != DownChoice::Build || step.built_down.is_none() {
                if dry_run {
                    step.other_down = step.built_down.clone();
                    continue;
                }
                return Err(RollbackError::StoredDownEdited {
                    migration: step.label(),
                    recorded: step.recorded_down_checksum.clone().unwrap_or_default(),
                    found: sql::checksum(&step.down_sql),
                    fix: if step.built_down.is_some() {
                        "Compare it with this build's down (--dry-run shows both) and, if the build's is right, roll back with --down build"
                    } else {
                        "This build does not carry the migration: restore the row's down_sql from a backup, or use a build that carries it and --down build"
                    },
                });
            }
            true
        } else if step.recorded_down_checksum.is_none() && step.built_down.is_none() && choice != DownChoice::Stored {
            // Nothing to check the stored text against: no checksum (a row from
            // before they were taken) and no build copy.
            if !dry_run {
                undecided.push(step.label());
            }
            continue;
        } else if step.compiled_differs {
            match choice {
                DownChoice::Stored => false,
                DownChoice::Build => true,
                DownChoice::Ask => {
                    undecided.push(step.label());
                    step.other_down = step.built_down.clone();
                    continue;
                }
            }
        } else {
            false
        };
        if use_build && let (Some(built), Some(_)) = (step.built_down.clone(), &step.built_path) {
            step.other_down = Some(std::mem::replace(&mut step.down_sql, built));
            step.down_from = "build";
        } else if step.compiled_differs {
            step.other_down = step.built_down.clone();
        }
    }
    if undecided.is_empty() || dry_run {
        return Ok(());
    }
    if let Some(unchecked) = steps.iter().find(|s| undecided.contains(&s.label()) && s.built_down.is_none()) {
        return Err(RollbackError::DownsDiffer {
            migrations: vec![unchecked.label()],
            shown: format!(
                "\n{} has no checksum in the ledger and this build does not carry it, so its stored down SQL cannot be checked; read it with --dry-run and run it with --down stored only if it is right",
                unchecked.label()
            ),
        });
    }
    let shown = steps
        .iter()
        .filter(|s| undecided.contains(&s.label()))
        .map(|s| {
            format!(
                "\n-- ==== {} stored at apply time:\n{}\n-- ==== {} in this build:\n{}",
                s.label(),
                s.down_sql.trim_end(),
                s.label(),
                s.other_down.as_deref().unwrap_or_default().trim_end()
            )
        })
        .collect();
    Err(RollbackError::DownsDiffer { migrations: undecided, shown })
}

fn directives_of(step: &Step) -> Result<Directives, RollbackError> {
    sql::directives(&step.down_sql).map_err(|(line, message)| RollbackError::BadDirective {
        migration: step.label(),
        line,
        message,
    })
}

/// Rolls back, on a connection to `db`. `confirm` sees the steps before anything runs and may refuse.
pub async fn rollback<'c>(
    plan: &Plan,
    db: impl Into<Database<'c>>,
    options: &RollbackOptions,
    confirm: &mut dyn FnMut(&[Step]) -> Result<(), String>,
) -> Result<RollbackReport, RollbackError> {
    let access = if options.dry_run { Access::Read } else { Access::Write };
    let mut session =
        Session::open(db.into(), plan.settings(), "vytal-host rollback", &options.command, access).await?;
    let mut report = RollbackReport {
        database: session.database().to_owned(),
        dry_run: options.dry_run,
        steps: Vec::new(),
        elapsed_ms: 0.0,
    };
    let result = locked(plan, &mut session, options, confirm, &mut report).await;
    report.elapsed_ms = session.elapsed_ms();
    let (outcome, error) = match &result {
        Ok(()) if report.steps.is_empty() => (Outcome::Nothing("nothing-to-undo"), None),
        Ok(()) => (Outcome::Succeeded, None),
        Err(RollbackError::NotConfirmed(e)) => (Outcome::Refused, Some(e.clone())),
        Err(e) => (Outcome::Failed, Some(e.to_string())),
    };
    let undone = report.steps.iter().filter(|s| s.duration_ms.is_some()).count();
    let details = serde_json::json!({ "rolled_back": undone, "cascade": options.cascade });
    session.finish(outcome, error.as_deref(), details).await;
    result.map(|()| report)
}

async fn locked(
    plan: &Plan,
    session: &mut Session<'_>,
    options: &RollbackOptions,
    confirm: &mut dyn FnMut(&[Step]) -> Result<(), String>,
    report: &mut RollbackReport,
) -> Result<(), RollbackError> {
    if !options.dry_run {
        session.check_ledger().await?;
    }
    let rows = session.applied(Downs::Read).await?;
    let mut steps = select(plan, &rows, options)?;
    choose_downs(&mut steps, options.down, options.dry_run)?;
    let scripts: Vec<&str> = steps.iter().map(|s| s.down_sql.as_str()).collect();
    let losses = loss::count(session.conn(), &scripts)
        .await
        .map_err(SessionError::during("counting the rows the down SQL would destroy"))?;
    for (step, losses) in steps.iter_mut().zip(losses) {
        step.losses = losses;
    }
    if options.dry_run {
        report.steps = steps;
        return Ok(());
    }
    if steps.is_empty() {
        return Ok(());
    }
    confirm(&steps).map_err(RollbackError::NotConfirmed)?;
    let mut done: Vec<String> = Vec::new();
    for step in steps {
        let directives = directives_of(&step)?;
        let origin = match (&step.built_path, step.down_from) {
            (Some(path), "build") => Origin::File(path.clone()),
            _ => Origin::StoredDown,
        };
        let script = Script {
            label: step.label(),
            direction: Direction::Down,
            origin,
            sql: &step.down_sql,
            directives: directives.clone(),
        };
        let (conn, ledger, actor, command) = session.parts();
        let record = |took: Duration| {
            let event = Event {
                kind: "rollback",
                command,
                outcome: "rolled-back",
                module: Some(&step.module),
                migration: Some(&step.id),
                duration_ms: exec::ms(took),
                details: serde_json::json!({
                    "name": step.name, "module_version": step.version, "cascade": step.dependant,
                    "down": step.down_from, "down_checksum": sql::checksum(&step.down_sql),
                }),
                ..Event::default()
            };
            format!("{};\n{}", ledger.forget_sql(&step.module, &step.id), ledger.event_sql(&event, actor))
        };
        match exec::execute(conn, &script, Transaction::Own, plan.settings(), record).await {
            Ok(took) => {
                done.push(step.label());
                report.steps.push(Step { duration_ms: Some(exec::ms(took)), ..step });
            }
            Err(error) => {
                let label = step.label();
                let mut aftermath = match error.took_effect {
                    TookEffect::Statements(n) => format!(
                        "it runs outside a transaction (-- vytal:no-transaction): its first {n} statement(s) took effect and were not undone; {label} is still recorded as applied. Inspect the database and finish or revert those statements by hand"
                    ),
                    TookEffect::AllButRecord => format!(
                        "it runs outside a transaction (-- vytal:no-transaction): all of its statements took effect, but removing its ledger row failed; {label} is still recorded as applied although its objects are gone"
                    ),
                    TookEffect::Unknown => format!(
                        "the connection failed after the removal of its ledger row and COMMIT were sent, so whether {label} was undone is not known (its objects and its ledger row went together or not at all); see which with `vytal-host status`"
                    ),
                    _ if directives.no_transaction => format!(
                        "it runs outside a transaction (-- vytal:no-transaction); its first statement failed, so nothing of it took effect: {label} is still applied"
                    ),
                    _ => format!("it was rolled back: {label} is still applied"),
                };
                if !done.is_empty() {
                    aftermath.push_str(&format!("; already undone: {}", done.join(", ")));
                }
                let failure = DownFailure { error, aftermath };
                let message = format!("{}\n  {}", failure.error, failure.aftermath);
                let details = serde_json::json!({ "name": step.name });
                session.record_failure("rollback", Some((&step.module, &step.id)), &message, details).await;
                return Err(RollbackError::DownFailed(Box::new(failure)));
            }
        }
    }
    Ok(())
}
