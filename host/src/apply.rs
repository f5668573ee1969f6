//! `run`: apply what is pending, under the lock, one transaction per migration.
//!
//! The order of events is what makes a run safe to repeat and to race:
//! validate the plan (no database), connect, take the lock, create the
//! ledger if missing, re-read it, refuse edited migrations, then apply.
//! Each migration commits together with its ledger row and its event; a
//! failure rolls back, leaves no row, logs the failure and frees the lock.

use std::time::{Duration, Instant};

use sqlx::AssertSqlSafe;
use sqlx::postgres::{PgConnection, PgDatabaseError};

use crate::db::{ConnectError, Target};
use crate::ledger::{Actor, Event, Ledger};
use crate::lock::{LockError, RunLock};
use crate::manifest::HostSettings;
use crate::resolve::{Plan, PlannedMigration};
use crate::sql::{self, Statement};
use crate::state::{Assessment, Edited};

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Only these modules and what they require; empty means all.
    pub modules: Vec<String>,
    /// One transaction for the whole plan.
    pub atomic: bool,
    /// Say what would run, change nothing.
    pub dry_run: bool,
    /// The command line, for the event log.
    pub command: String,
}

/// Callbacks for live output; every method has a do-nothing default.
pub trait Progress {
    /// The run is about to apply `pending`; `pulled_in` are required migrations of unselected modules.
    fn planned(&mut self, _pending: &[&PlannedMigration], _pulled_in: &[&PlannedMigration]) {}
    /// One migration starts.
    fn started(&mut self, _m: &PlannedMigration) {}
    /// One migration committed.
    fn applied(&mut self, _m: &PlannedMigration, _elapsed: Duration) {}
}

/// Progress that shows nothing.
#[derive(Debug, Default)]
pub struct Quiet;
impl Progress for Quiet {}

/// One applied (or, in a dry run, pending) migration in a report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MigrationOutcome {
    /// Module.
    pub module: String,
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Module version.
    pub version: String,
    /// Milliseconds it took; absent in a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
}

impl MigrationOutcome {
    fn of(m: &PlannedMigration, duration: Option<Duration>) -> Self {
        MigrationOutcome {
            module: m.module.clone(),
            id: m.id.clone(),
            name: m.name.clone(),
            version: m.version.to_string(),
            duration_ms: duration.map(|d| d.as_secs_f64() * 1000.0),
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunReport {
    /// The database, without password.
    pub database: String,
    /// Whether nothing was changed on purpose.
    pub dry_run: bool,
    /// Whether the plan ran in one transaction.
    pub atomic: bool,
    /// Migrations applied (or, in a dry run, that would be), in order.
    pub migrations: Vec<MigrationOutcome>,
    /// Of those, the ones from modules that were not selected but are required.
    pub pulled_in: Vec<String>,
    /// Ledger rows this build does not know.
    pub unknown: Vec<String>,
    /// Total wall time in milliseconds.
    pub elapsed_ms: f64,
}

/// A migration that failed, with everything needed to fix it.
#[derive(Debug, Clone)]
pub struct MigrationFailure {
    /// `module/id_name`.
    pub migration: String,
    /// `file:line` of the failing statement.
    pub at: String,
    /// The failing statement.
    pub statement: String,
    /// PostgreSQL's message.
    pub message: String,
    /// SQLSTATE.
    pub code: Option<String>,
    /// PostgreSQL's detail.
    pub detail: Option<String>,
    /// PostgreSQL's hint, or ours.
    pub hint: Option<String>,
    /// What state the database was left in.
    pub aftermath: String,
}

impl std::fmt::Display for MigrationFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "migration {} failed at {}: {}", self.migration, self.at, self.message)?;
        if let Some(code) = &self.code {
            write!(f, " (SQLSTATE {code})")?;
        }
        let statement: String = self.statement.lines().map(|l| format!("\n    {l}")).collect();
        write!(f, "\n  statement:{statement}")?;
        if let Some(d) = &self.detail {
            write!(f, "\n  detail: {d}")?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        write!(f, "\n  {}", self.aftermath)
    }
}

/// Errors of `run`, `status` and `plan` against a database.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// Could not connect.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// Could not take the lock.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// A database call of the host itself failed.
    #[error("database error while {during}: {source}")]
    Database {
        /// What the host was doing.
        during: &'static str,
        /// The driver error.
        source: sqlx::Error,
    },
    /// `--module` names no module.
    #[error("no module `{module}` in this build; known modules: {known}")]
    UnknownModule {
        /// The name given.
        module: String,
        /// The names that exist.
        known: String,
    },
    /// Applied migrations were edited afterwards.
    #[error("{}", edited_message(.0))]
    Edited(Vec<Edited>),
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
    /// `--atomic` with a migration that cannot run in a transaction.
    #[error(
        "--atomic cannot include {0}: it is marked -- vytal:no-transaction; run without --atomic, or apply it on its own first"
    )]
    AtomicNoTransaction(String),
    /// A migration failed.
    #[error("{0}")]
    Failed(Box<MigrationFailure>),
}

fn edited_message(edited: &[Edited]) -> String {
    let mut s = format!("{} applied migration(s) changed after they were applied; nothing was applied", edited.len());
    for e in edited {
        s.push_str(&format!(
            "\n  {}: applied checksum {}, file checksum {}\n    restore {} to the text that was applied (e.g. `git log -p -- {}`) and put the change in a new migration",
            e.migration, e.applied_checksum, e.file_checksum, e.path, e.path
        ));
    }
    s
}

fn db(during: &'static str) -> impl FnOnce(sqlx::Error) -> ApplyError {
    move |source| ApplyError::Database { during, source }
}

/// Checks module names against the plan.
pub fn check_modules(plan: &Plan, modules: &[String]) -> Result<Vec<usize>, ApplyError> {
    if modules.is_empty() {
        return Ok((0..plan.migrations().len()).collect());
    }
    plan.closure(modules).map_err(|module| ApplyError::UnknownModule {
        module,
        known: plan.modules().keys().cloned().collect::<Vec<_>>().join(", "),
    })
}

/// Applies what is pending. See the module docs for the order of events.
pub async fn run(
    plan: &Plan,
    target: &Target,
    options: &RunOptions,
    progress: &mut dyn Progress,
) -> Result<RunReport, ApplyError> {
    let started = Instant::now();
    let wanted = check_modules(plan, &options.modules)?;
    if options.atomic
        && let Some(m) = wanted.iter().map(|&i| &plan.migrations()[i]).find(|m| m.directives.no_transaction)
    {
        return Err(ApplyError::AtomicNoTransaction(m.label()));
    }
    let settings = plan.settings();
    let ledger = Ledger::new(&settings.ledger_schema);
    let mut conn = target.connect("vytal-host run").await?;

    if options.dry_run {
        let rows = ledger.applied(&mut conn).await.map_err(db("reading the ledger"))?;
        let assessment = Assessment::new(plan, rows);
        let result = select(plan, &assessment, &wanted, options).map(|(todo, pulled_in)| {
            progress.planned(&todo, &pulled_in);
            report(target, options, &todo, &pulled_in, &assessment, &[], started)
        });
        let _ = sqlx::Connection::close(conn).await;
        return result;
    }

    let lock = RunLock::acquire(&mut conn, &settings.ledger_schema, settings.lock_wait).await?;
    let actor = Actor::current();
    let result = run_locked(plan, target, options, progress, &mut conn, &ledger, &actor, &wanted, started).await;

    // The audit trail records every run, whatever its outcome.
    let (outcome, error, applied) = match &result {
        Ok(r) if r.migrations.is_empty() => ("nothing-pending", None, 0),
        Ok(r) => ("succeeded", None, r.migrations.len()),
        Err(e) => ("failed", Some(e.to_string()), 0),
    };
    let details = serde_json::json!({ "applied": applied, "atomic": options.atomic, "modules": options.modules });
    let summary = Summary { command: &options.command, outcome, error: error.as_deref(), started, details };
    finish_session(conn, lock, &ledger, &actor, summary).await;
    result
}

/// How a locked command ended, for its `run` event.
pub(crate) struct Summary<'a> {
    /// The command line.
    pub command: &'a str,
    /// `succeeded`, `failed`, `refused`, `nothing-pending`...
    pub outcome: &'a str,
    /// The error, when it failed.
    pub error: Option<&'a str>,
    /// When the command started.
    pub started: Instant,
    /// Counts and options.
    pub details: serde_json::Value,
}

/// Ends a locked session on every path: appends the command's `run` event
/// (when the ledger exists), releases the lock and closes the connection.
pub(crate) async fn finish_session(
    mut conn: PgConnection,
    lock: RunLock,
    ledger: &Ledger,
    actor: &Actor,
    s: Summary<'_>,
) {
    let event = Event {
        kind: "run",
        command: s.command,
        outcome: s.outcome,
        error: s.error,
        duration_ms: s.started.elapsed().as_secs_f64() * 1000.0,
        details: s.details,
        ..Event::default()
    };
    if ledger.exists(&mut conn).await.unwrap_or(false)
        && let Err(e) = ledger.record_event(&mut conn, &event, actor).await
    {
        tracing::warn!(error = %e, command = s.command, "could not append the command to the event log");
    }
    if let Err(e) = lock.release(&mut conn).await {
        tracing::warn!(error = %e, "could not release the migration lock; it is freed when the connection closes");
    }
    let _ = sqlx::Connection::close(conn).await;
}

/// Pending migrations among `wanted`, and which of them belong to unselected modules.
fn select<'p>(
    plan: &'p Plan,
    assessment: &Assessment,
    wanted: &[usize],
    options: &RunOptions,
) -> Result<(Vec<&'p PlannedMigration>, Vec<&'p PlannedMigration>), ApplyError> {
    if !assessment.edited.is_empty() {
        return Err(ApplyError::Edited(assessment.edited.clone()));
    }
    let all = plan.migrations();
    let todo: Vec<&PlannedMigration> =
        wanted.iter().filter(|i| assessment.pending.contains(i)).map(|&i| &all[i]).collect();
    if let Some((pending, later)) = assessment.out_of_order(&todo) {
        return Err(ApplyError::OutOfOrder { pending, later });
    }
    let pulled_in =
        todo.iter().copied().filter(|m| !options.modules.is_empty() && !options.modules.contains(&m.module)).collect();
    Ok((todo, pulled_in))
}

fn report(
    target: &Target,
    options: &RunOptions,
    todo: &[&PlannedMigration],
    pulled_in: &[&PlannedMigration],
    assessment: &Assessment,
    durations: &[Duration],
    started: Instant,
) -> RunReport {
    RunReport {
        database: target.to_string(),
        dry_run: options.dry_run,
        atomic: options.atomic,
        migrations: todo.iter().enumerate().map(|(i, m)| MigrationOutcome::of(m, durations.get(i).copied())).collect(),
        pulled_in: pulled_in.iter().map(|m| m.label()).collect(),
        unknown: assessment.unknown.iter().map(|r| format!("{}/{}_{}", r.module, r.id, r.name)).collect(),
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    }
}

#[allow(clippy::too_many_arguments)]
async fn run_locked(
    plan: &Plan,
    target: &Target,
    options: &RunOptions,
    progress: &mut dyn Progress,
    conn: &mut PgConnection,
    ledger: &Ledger,
    actor: &Actor,
    wanted: &[usize],
    started: Instant,
) -> Result<RunReport, ApplyError> {
    ledger.ensure(conn).await.map_err(db("creating the ledger"))?;
    // Re-read under the lock: another run may have applied everything meanwhile.
    let rows = ledger.applied(conn).await.map_err(db("reading the ledger"))?;
    let assessment = Assessment::new(plan, rows);
    for row in &assessment.unknown {
        tracing::warn!(module = %row.module, id = %row.id, "the ledger records {}/{}_{}, which this build does not carry", row.module, row.id, row.name);
    }
    let (todo, pulled_in) = select(plan, &assessment, wanted, options)?;
    progress.planned(&todo, &pulled_in);
    if todo.is_empty() {
        return Ok(report(target, options, &todo, &pulled_in, &assessment, &[], started));
    }

    let settings = plan.settings();
    let mut durations = Vec::with_capacity(todo.len());
    if options.atomic {
        sqlx::raw_sql("BEGIN").execute(&mut *conn).await.map_err(db("starting the transaction"))?;
        for (n, m) in todo.iter().enumerate() {
            progress.started(m);
            let t = Instant::now();
            let outcome = async {
                set_timeouts(conn, m, settings, "SET LOCAL").await?;
                run_statements(conn, m).await?;
                ledger
                    .record_applied(conn, m, actor, &options.command, ms(t.elapsed()))
                    .await
                    .map_err(StepError::Ledger)
            }
            .await;
            if let Err(e) = outcome {
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
                let aftermath = format!(
                    "the whole run was one transaction (--atomic) and was rolled back: none of its {} migration(s) remain, {n} of which had succeeded",
                    todo.len()
                );
                return Err(fail(conn, ledger, actor, options, m, e, aftermath).await);
            }
            durations.push(t.elapsed());
        }
        sqlx::raw_sql("COMMIT").execute(&mut *conn).await.map_err(db("committing the run"))?;
        for (m, d) in todo.iter().zip(&durations) {
            progress.applied(m, *d);
        }
    } else {
        for m in &todo {
            progress.started(m);
            let t = Instant::now();
            let outcome = if m.directives.no_transaction {
                apply_outside_transaction(conn, ledger, m, settings, actor, &options.command).await
            } else {
                apply_in_transaction(conn, ledger, m, settings, actor, &options.command).await
            };
            if let Err((e, aftermath)) = outcome {
                return Err(fail(conn, ledger, actor, options, m, e, aftermath).await);
            }
            durations.push(t.elapsed());
            progress.applied(m, t.elapsed());
        }
    }
    Ok(report(target, options, &todo, &pulled_in, &assessment, &durations, started))
}

/// How one migration step failed.
enum StepError {
    /// A statement of the migration failed.
    Statement { statement: Statement, index: usize, error: sqlx::Error },
    /// The host's own bookkeeping failed.
    Ledger(sqlx::Error),
}

async fn set_timeouts(
    conn: &mut PgConnection,
    m: &PlannedMigration,
    settings: &HostSettings,
    set: &str,
) -> Result<(), StepError> {
    let lock = m.directives.lock_timeout.unwrap_or(settings.lock_timeout).as_millis();
    let statement = m.directives.statement_timeout.unwrap_or(settings.statement_timeout).as_millis();
    sqlx::raw_sql(AssertSqlSafe(format!("{set} lock_timeout = '{lock}ms'; {set} statement_timeout = '{statement}ms'")))
        .execute(conn)
        .await
        .map_err(StepError::Ledger)?;
    Ok(())
}

async fn run_statements(conn: &mut PgConnection, m: &PlannedMigration) -> Result<(), StepError> {
    for (index, statement) in sql::split_statements(&m.up).into_iter().enumerate() {
        if let Err(error) = sqlx::raw_sql(AssertSqlSafe(statement.text.as_str())).execute(&mut *conn).await {
            return Err(StepError::Statement { statement, index, error });
        }
    }
    Ok(())
}

async fn apply_in_transaction(
    conn: &mut PgConnection,
    ledger: &Ledger,
    m: &PlannedMigration,
    settings: &HostSettings,
    actor: &Actor,
    command: &str,
) -> Result<(), (StepError, String)> {
    let t = Instant::now();
    let rolled_back =
        || "it was rolled back: the database and the ledger are as they were before this migration".to_owned();
    sqlx::raw_sql("BEGIN").execute(&mut *conn).await.map_err(|e| (StepError::Ledger(e), rolled_back()))?;
    let outcome = async {
        set_timeouts(conn, m, settings, "SET LOCAL").await?;
        run_statements(conn, m).await?;
        ledger.record_applied(conn, m, actor, command, ms(t.elapsed())).await.map_err(StepError::Ledger)?;
        sqlx::raw_sql("COMMIT").execute(&mut *conn).await.map_err(StepError::Ledger)?;
        Ok(())
    }
    .await;
    if let Err(e) = outcome {
        let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
        return Err((e, rolled_back()));
    }
    Ok(())
}

async fn apply_outside_transaction(
    conn: &mut PgConnection,
    ledger: &Ledger,
    m: &PlannedMigration,
    settings: &HostSettings,
    actor: &Actor,
    command: &str,
) -> Result<(), (StepError, String)> {
    let t = Instant::now();
    let untouched = || "nothing of it ran".to_owned();
    set_timeouts(conn, m, settings, "SET").await.map_err(|e| (e, untouched()))?;
    if let Err(e) = run_statements(conn, m).await {
        reset_timeouts(conn).await;
        let aftermath = match &e {
            StepError::Statement { index, .. } if *index > 0 => format!(
                "it runs outside a transaction (-- vytal:no-transaction): its first {index} statement(s) took effect and were not undone; no ledger row was written. Inspect the database (an interrupted CREATE INDEX CONCURRENTLY leaves an INVALID index to drop) before running again"
            ),
            _ => "it runs outside a transaction (-- vytal:no-transaction); its first statement failed, so nothing of it took effect (an interrupted CREATE INDEX CONCURRENTLY leaves an INVALID index to drop); no ledger row was written".to_owned(),
        };
        return Err((e, aftermath));
    }
    reset_timeouts(conn).await;
    let record = async {
        sqlx::raw_sql("BEGIN").execute(&mut *conn).await?;
        ledger.record_applied(conn, m, actor, command, ms(t.elapsed())).await?;
        sqlx::raw_sql("COMMIT").execute(&mut *conn).await?;
        Ok::<(), sqlx::Error>(())
    }
    .await;
    record.map_err(|e| {
        (
            StepError::Ledger(e),
            "its statements took effect but recording it in the ledger failed; record it by hand or revert it"
                .to_owned(),
        )
    })
}

async fn reset_timeouts(conn: &mut PgConnection) {
    if let Err(e) = sqlx::raw_sql("RESET lock_timeout; RESET statement_timeout").execute(conn).await {
        tracing::warn!(error = %e, "could not reset the session timeouts");
    }
}

async fn fail(
    conn: &mut PgConnection,
    ledger: &Ledger,
    actor: &Actor,
    options: &RunOptions,
    m: &PlannedMigration,
    e: StepError,
    aftermath: String,
) -> ApplyError {
    let error = match e {
        StepError::Ledger(source) => ApplyError::Database { during: "recording the migration", source },
        StepError::Statement { statement, error, .. } => {
            let pg = error.as_database_error().and_then(|d| d.try_downcast_ref::<PgDatabaseError>());
            let line = pg
                .and_then(|p| match p.position() {
                    Some(sqlx::postgres::PgErrorPosition::Original(pos)) => {
                        Some(sql::line_of_position(&statement, pos))
                    }
                    _ => None,
                })
                .unwrap_or(statement.line);
            let code = pg.map(|p| p.code().to_owned());
            let already_exists = matches!(code.as_deref(), Some("42P07" | "42710" | "42P06" | "42723" | "42P04"));
            let hint = if already_exists {
                Some(format!(
                    "the object already exists but the ledger in schema `{}` does not record creating it: this database was built by something else. Do not drop objects to make the run pass; check and record what it already holds with `vytal-host adopt --dry-run`, then `vytal-host adopt` (README.md, \"Adopting an existing database\")",
                    ledger.schema()
                ))
            } else {
                pg.and_then(|p| p.hint().map(str::to_owned))
            };
            ApplyError::Failed(Box::new(MigrationFailure {
                migration: m.label(),
                at: format!("{}:{line}", m.up_path),
                statement: statement.text,
                message: pg.map_or_else(|| error.to_string(), |p| p.message().to_owned()),
                code,
                detail: pg.and_then(|p| p.detail().map(str::to_owned)),
                hint,
                aftermath,
            }))
        }
    };
    let message = error.to_string();
    let event = Event {
        kind: "migration",
        command: &options.command,
        outcome: "failed",
        module: Some(&m.module),
        migration: Some(&m.id),
        error: Some(&message),
        duration_ms: 0.0,
        details: serde_json::json!({ "name": m.name, "module_version": m.version.to_string() }),
    };
    if let Err(e) = ledger.record_event(conn, &event, actor).await {
        tracing::warn!(error = %e, "could not append the failure to the event log");
    }
    error
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
