//! `rollback`: undo applied migrations, newest first, each with its ledger row.
//!
//! The down SQL comes from the ledger row written at apply time, so a
//! database can be rolled back by a build that no longer carries the
//! migration. A module rollback refuses while other applied migrations
//! require what it would remove, unless asked to cascade. Same lock as `run`.

use std::collections::BTreeSet;
use std::time::Instant;

use semver::Version;
use sqlx::AssertSqlSafe;
use sqlx::postgres::{PgConnection, PgDatabaseError};

use crate::apply::ApplyError;
use crate::db::Target;
use crate::ledger::{Actor, AppliedRow, Event, Ledger};
use crate::lock::RunLock;
use crate::resolve::Plan;
use crate::sql;

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
    /// The down SQL that will run (the one stored at apply time).
    pub down_sql: String,
    /// Whether this build's down SQL differs from the stored one (the stored one is used).
    pub compiled_differs: bool,
    /// Whether the build carries this migration at all.
    pub in_build: bool,
    /// Whether it is only undone because it requires the selection (`--cascade`).
    pub dependant: bool,
    /// Milliseconds it took, once done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
}

impl Step {
    /// `module/id_name`.
    pub fn label(&self) -> String {
        format!("{}/{}_{}", self.module, self.id, self.name)
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

/// Errors of `rollback` beyond those `run` shares.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RollbackError {
    /// Connecting, locking or reading failed.
    #[error(transparent)]
    Apply(#[from] ApplyError),
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
    #[error("{0}")]
    BadSelection(String),
    /// The confirmation was refused or could not be asked.
    #[error("{0}")]
    NotConfirmed(String),
    /// A down migration failed; it and everything before it in the order stay applied.
    #[error(
        "rolling back {migration} failed: {message}{}\n  statement:\n    {}\n  it was rolled back: {migration} is still applied{}",
        code.as_ref().map(|c| format!(" (SQLSTATE {c})")).unwrap_or_default(),
        statement.replace('\n', "\n    "),
        if done.is_empty() { String::new() } else { format!("; already undone: {}", done.join(", ")) }
    )]
    DownFailed {
        /// `module/id_name`.
        migration: String,
        /// The failing statement.
        statement: String,
        /// PostgreSQL's message.
        message: String,
        /// SQLSTATE.
        code: Option<String>,
        /// Migrations undone before it.
        done: Vec<String>,
    },
}

fn db(during: &'static str) -> impl FnOnce(sqlx::Error) -> RollbackError {
    move |source| RollbackError::Apply(ApplyError::Database { during, source })
}

/// Decides what a selection undoes, in order; `Err` when dependants block it.
pub fn select(plan: &Plan, rows: &[AppliedRow], options: &RollbackOptions) -> Result<Vec<Step>, RollbackError> {
    // Ledger rows come in the order they were applied (see `Ledger::applied`).
    let applied: Vec<(&AppliedRow, Option<usize>)> =
        rows.iter().map(|r| (r, plan.position(&r.module, &r.id))).collect();

    let known_module = |m: &str| -> Result<(), RollbackError> {
        if plan.modules().contains_key(m) || rows.iter().any(|r| r.module == m) {
            Ok(())
        } else {
            Err(RollbackError::BadSelection(format!(
                "no module `{m}`; known modules: {}",
                plan.modules().keys().cloned().collect::<Vec<_>>().join(", ")
            )))
        }
    };
    let mut chosen: BTreeSet<usize> = match &options.selection {
        Selection::All => (0..applied.len()).collect(),
        Selection::Last(n) => (applied.len().saturating_sub(*n)..applied.len()).collect(),
        Selection::Module(m) => {
            known_module(m)?;
            (0..applied.len()).filter(|&i| &applied[i].0.module == m).collect()
        }
        Selection::To(m, v) => {
            known_module(m)?;
            let set: BTreeSet<usize> = (0..applied.len())
                .filter(|&i| {
                    &applied[i].0.module == m && Version::parse(&applied[i].0.module_version).is_ok_and(|av| &av > v)
                })
                .collect();
            set
        }
    };
    // Applied migrations outside the selection that require something in it.
    let dependants_of = |chosen: &BTreeSet<usize>| -> BTreeSet<usize> {
        let removed: BTreeSet<usize> = chosen.iter().filter_map(|&i| applied[i].1).collect();
        (0..applied.len())
            .filter(|i| !chosen.contains(i))
            .filter(|&i| applied[i].1.is_some_and(|p| !plan.prerequisites(p).is_disjoint(&removed)))
            .collect()
    };
    let first = dependants_of(&chosen);
    let mut dependants = BTreeSet::new();
    if !first.is_empty() {
        if !options.cascade {
            return Err(RollbackError::Dependants {
                selection: options.selection.to_string(),
                dependants: first.iter().map(|&i| label(applied[i].0)).collect(),
            });
        }
        let mut next = first;
        while !next.is_empty() {
            dependants.extend(next.iter().copied());
            chosen.extend(next.iter().copied());
            next = dependants_of(&chosen);
        }
    }
    Ok(chosen
        .iter()
        .rev()
        .map(|&i| {
            let (row, pos) = applied[i];
            let compiled = pos.map(|p| plan.migrations()[p].down.as_ref());
            Step {
                module: row.module.clone(),
                id: row.id.clone(),
                name: row.name.clone(),
                version: row.module_version.clone(),
                down_sql: row.down_sql.clone(),
                compiled_differs: compiled.is_some_and(|c| sql::normalise(c) != sql::normalise(&row.down_sql)),
                in_build: pos.is_some(),
                dependant: dependants.contains(&i),
                duration_ms: None,
            }
        })
        .collect())
}

fn label(r: &AppliedRow) -> String {
    format!("{}/{}_{}", r.module, r.id, r.name)
}

/// Rolls back. `confirm` sees the steps before anything runs and may refuse.
pub async fn rollback(
    plan: &Plan,
    target: &Target,
    options: &RollbackOptions,
    confirm: &mut dyn FnMut(&[Step]) -> Result<(), String>,
) -> Result<RollbackReport, RollbackError> {
    let started = Instant::now();
    let settings = plan.settings();
    let ledger = Ledger::new(&settings.ledger_schema);
    let mut conn = target.connect("vytal-host rollback").await.map_err(ApplyError::from)?;
    if options.dry_run {
        let rows = ledger.applied(&mut conn).await.map_err(db("reading the ledger"))?;
        let steps = select(plan, &rows, options);
        let _ = sqlx::Connection::close(conn).await;
        return Ok(RollbackReport {
            database: target.to_string(),
            dry_run: true,
            steps: steps?,
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        });
    }
    let lock =
        RunLock::acquire(&mut conn, &settings.ledger_schema, settings.lock_wait).await.map_err(ApplyError::from)?;
    let actor = Actor::current();
    let result = locked(plan, target, options, confirm, &mut conn, &ledger, &actor, started).await;
    let (outcome, error, undone) = match &result {
        Ok(r) if r.steps.is_empty() => ("nothing-to-undo", None, 0),
        Ok(r) => ("succeeded", None, r.steps.len()),
        Err(RollbackError::NotConfirmed(e)) => ("refused", Some(e.clone()), 0),
        Err(e) => ("failed", Some(e.to_string()), 0),
    };
    let details = serde_json::json!({ "rolled_back": undone, "cascade": options.cascade });
    let summary =
        crate::apply::Summary { command: &options.command, outcome, error: error.as_deref(), started, details };
    crate::apply::finish_session(conn, lock, &ledger, &actor, summary).await;
    result
}

#[allow(clippy::too_many_arguments)]
async fn locked(
    plan: &Plan,
    target: &Target,
    options: &RollbackOptions,
    confirm: &mut dyn FnMut(&[Step]) -> Result<(), String>,
    conn: &mut PgConnection,
    ledger: &Ledger,
    actor: &Actor,
    started: Instant,
) -> Result<RollbackReport, RollbackError> {
    let rows = ledger.applied(conn).await.map_err(db("reading the ledger"))?;
    let mut steps = select(plan, &rows, options)?;
    if steps.is_empty() {
        return Ok(RollbackReport { database: target.to_string(), dry_run: false, steps, elapsed_ms: 0.0 });
    }
    for s in steps.iter().filter(|s| s.compiled_differs) {
        tracing::warn!(migration = %s.label(), "this build's down SQL differs from the one stored when it was applied; using the stored one");
    }
    confirm(&steps).map_err(RollbackError::NotConfirmed)?;
    let settings = plan.settings();
    let mut done = Vec::new();
    for step in &mut steps {
        let t = Instant::now();
        let directives = sql::directives(&step.down_sql).unwrap_or_default();
        let lock_ms = directives.lock_timeout.unwrap_or(settings.lock_timeout).as_millis();
        let stmt_ms = directives.statement_timeout.unwrap_or(settings.statement_timeout).as_millis();
        let outside = directives.no_transaction;
        let (set, begin) = if outside { ("SET", "") } else { ("SET LOCAL", "BEGIN; ") };
        let prologue = format!("{begin}{set} lock_timeout = '{lock_ms}ms'; {set} statement_timeout = '{stmt_ms}ms'");
        sqlx::raw_sql(AssertSqlSafe(prologue)).execute(&mut *conn).await.map_err(db("starting the rollback"))?;
        let mut failure = None;
        for statement in sql::split_statements(&step.down_sql) {
            if let Err(e) = sqlx::raw_sql(AssertSqlSafe(statement.text.as_str())).execute(&mut *conn).await {
                failure = Some((statement, e));
                break;
            }
        }
        if let Some((statement, e)) = failure {
            let pg = e.as_database_error().and_then(|d| d.try_downcast_ref::<PgDatabaseError>());
            let err = RollbackError::DownFailed {
                migration: step.label(),
                statement: statement.text,
                message: pg.map_or_else(|| e.to_string(), |p| p.message().to_owned()),
                code: pg.map(|p| p.code().to_owned()),
                done: done.clone(),
            };
            let _ = sqlx::raw_sql(if outside { "RESET lock_timeout; RESET statement_timeout" } else { "ROLLBACK" })
                .execute(&mut *conn)
                .await;
            let message = err.to_string();
            let event = Event {
                kind: "rollback",
                command: &options.command,
                outcome: "failed",
                module: Some(&step.module),
                migration: Some(&step.id),
                error: Some(&message),
                details: serde_json::json!({ "name": step.name }),
                ..Event::default()
            };
            if let Err(e) = ledger.record_event(conn, &event, actor).await {
                tracing::warn!(error = %e, "could not append the failure to the event log");
            }
            return Err(err);
        }
        if outside {
            sqlx::raw_sql("RESET lock_timeout; RESET statement_timeout; BEGIN")
                .execute(&mut *conn)
                .await
                .map_err(db("recording the rollback"))?;
        }
        let duration_ms = t.elapsed().as_secs_f64() * 1000.0;
        let record = async {
            ledger.forget(conn, &step.module, &step.id).await?;
            let event = Event {
                kind: "rollback",
                command: &options.command,
                outcome: "rolled-back",
                module: Some(&step.module),
                migration: Some(&step.id),
                duration_ms,
                details: serde_json::json!({ "name": step.name, "module_version": step.version, "cascade": step.dependant }),
                ..Event::default()
            };
            ledger.record_event(conn, &event, actor).await?;
            sqlx::raw_sql("COMMIT").execute(&mut *conn).await?;
            Ok::<(), sqlx::Error>(())
        }
        .await;
        if let Err(e) = record {
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
            return Err(db("recording the rollback")(e));
        }
        step.duration_ms = Some(duration_ms);
        done.push(step.label());
    }
    Ok(RollbackReport {
        database: target.to_string(),
        dry_run: false,
        steps,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}
