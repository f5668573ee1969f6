//! `run`: apply what is pending, under the lock, one transaction per migration.
//!
//! The order of events is what makes a run safe to repeat and to race:
//! validate the plan (no database), open a writing session (connect, take
//! the lock), create the ledger if missing, re-read it, refuse edited
//! migrations, then apply. Each migration commits together with its ledger
//! row and its event; a failure rolls back, leaves no row, logs the failure,
//! and the session's closing event records how many migrations did commit.

use std::time::{Duration, Instant};

use sqlx::AssertSqlSafe;

use crate::db::Database;
use crate::exec::{self, ExecError, MigrationOutcome, PgReport, Script, TookEffect, Transaction};
use crate::ledger::Downs;
use crate::resolve::{Plan, PlannedMigration, SelectError};
use crate::session::{Access, Outcome, Session, SessionError};
use crate::state::{Assessment, StateError};

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Only these modules and what they require; empty means all.
    pub modules: Vec<String>,
    /// Stop these modules at these versions (`run --to MODULE@VERSION`); each is selected too.
    pub to: Vec<(String, semver::Version)>,
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

/// What a run did (or, when it failed, did before failing).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RunReport {
    /// The database, without password.
    pub database: String,
    /// Whether nothing was changed on purpose.
    pub dry_run: bool,
    /// Whether the plan ran in one transaction.
    pub atomic: bool,
    /// Migrations applied and committed (or, in a dry run, that would be), in order.
    pub migrations: Vec<MigrationOutcome>,
    /// Of the pending migrations, the ones from modules that were not selected but are required.
    pub pulled_in: Vec<String>,
    /// Ledger rows this build does not know.
    pub unknown: Vec<String>,
    /// What the run noticed but went on with (a down still the scaffold's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Total wall time in milliseconds.
    pub elapsed_ms: f64,
}

/// A migration that failed: the error, what state it left, and what the run had committed before it.
#[derive(Debug, Clone)]
pub struct RunFailure {
    /// What failed, where.
    pub error: ExecError,
    /// What state the database was left in.
    pub aftermath: String,
    /// The run up to the failure: the migrations that stay committed.
    pub report: RunReport,
}

impl std::fmt::Display for RunFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\n  {}", self.error, self.aftermath)
    }
}

/// Errors of `run`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// Connecting, locking or the host's own bookkeeping failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// `--module` or `--to` names no module, or a version the module never had.
    #[error(transparent)]
    Select(#[from] SelectError),
    /// The ledger and the plan disagree (edited or out-of-order migrations).
    #[error(transparent)]
    State(#[from] StateError),
    /// `--atomic` with a migration that cannot run in a transaction.
    #[error(
        "--atomic cannot include {0}: it is marked -- vytal:no-transaction (CREATE INDEX CONCURRENTLY cannot run inside a transaction), so the pending migrations cannot run as one transaction; run without --atomic, where each migration still commits together with its ledger row"
    )]
    AtomicNoTransaction(String),
    /// A pending migration's up file holds no statement.
    #[error(
        "{label} has no SQL statement, only comments ({path}); write the migration there, or delete its up and down files if it is not wanted, then rebuild; nothing was applied"
    )]
    EmptyUp {
        /// The migration.
        label: String,
        /// Its up file.
        path: String,
    },
    /// A migration failed.
    #[error("{0}")]
    Failed(Box<RunFailure>),
    /// The one transaction of an `--atomic` run failed at `COMMIT`.
    #[error(
        "the run's COMMIT failed (--atomic): {}\n  the whole run was one transaction and was rolled back: none of its {count} migration(s) remain",
        report.summary()
    )]
    AtomicCommit {
        /// What PostgreSQL said.
        report: PgReport,
        /// How many migrations the transaction held.
        count: usize,
    },
    /// Recording an `--atomic` run's migrations in the ledger failed, and
    /// going through them again one by one did not show which one's record.
    #[error(
        "recording the run's migrations in the ledger failed (--atomic): {}\n  the whole run was one transaction and was rolled back: none of its {count} migration(s) remain",
        report.summary()
    )]
    AtomicRecord {
        /// What PostgreSQL said.
        report: PgReport,
        /// How many migrations the transaction held.
        count: usize,
    },
}

impl ApplyError {
    /// The run up to the failure, when the run got as far as applying.
    pub fn partial_report(&self) -> Option<&RunReport> {
        match self {
            ApplyError::Failed(f) => Some(&f.report),
            _ => None,
        }
    }
}

/// Applies what is pending, on a connection to `db` (a [`crate::Target`],
/// or a connection the caller holds). See the module docs for the order of events.
pub async fn run<'c>(
    plan: &Plan,
    db: impl Into<Database<'c>>,
    options: &RunOptions,
    progress: &mut dyn Progress,
) -> Result<RunReport, ApplyError> {
    let started = Instant::now();
    let selection = plan.select_up_to(&options.modules, &options.to)?;
    if let Some(m) = selection.iter().find(|m| !crate::sql::has_statement(&m.up)) {
        return Err(ApplyError::EmptyUp { label: m.label().to_string(), path: m.up_path.clone() });
    }
    if options.atomic
        && let Some(m) = selection.iter().find(|m| m.directives.no_transaction)
    {
        return Err(ApplyError::AtomicNoTransaction(m.label().to_string()));
    }
    let access = if options.dry_run { Access::Read } else { Access::Write };
    let mut session = Session::open(db.into(), plan.settings(), "vytal-host run", &options.command, access).await?;
    let mut report = RunReport {
        database: session.database().to_owned(),
        dry_run: options.dry_run,
        atomic: options.atomic,
        ..RunReport::default()
    };
    for m in selection.iter().filter(|m| crate::scaffold::is_untouched_down(&m.down)) {
        let warning = format!(
            "{}: its down file is still the scaffold's, with no statement, so rolling it back would undo nothing; write the down SQL",
            m.label()
        );
        tracing::warn!("{warning}");
        report.warnings.push(warning);
    }
    let result = locked(plan, &mut session, &selection, options, progress, &mut report).await;
    report.elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;

    // The audit trail records every run, whatever its outcome, with what did commit.
    let (outcome, error) = match &result {
        Ok(()) if report.migrations.is_empty() => (Outcome::Nothing("nothing-pending"), None),
        Ok(()) => (Outcome::Succeeded, None),
        Err(e) => (Outcome::Failed, Some(e.to_string())),
    };
    let applied = if options.dry_run { 0 } else { report.migrations.len() };
    let details = run_details(options, applied);
    session.finish(outcome, error.as_deref(), details).await;
    match result {
        Ok(()) => Ok(report),
        Err(ApplyError::Failed(mut f)) => {
            f.report = report;
            Err(ApplyError::Failed(f))
        }
        Err(e) => Err(e),
    }
}

/// Whether `m`'s up script must find the ledger made before it runs: a
/// statement of it (comments between statements aside) may name the
/// ledger's schema, or set its transaction's isolation (a snapshot taken
/// before another connection commits the ledger would not see its rows).
fn needs_ledger_first(m: &PlannedMigration, schema: &str) -> bool {
    crate::sql::split_statements(&m.up)
        .iter()
        .any(|s| crate::sql::names(&s.text, schema) || crate::sql::mentions_isolation(&s.text))
}

/// What a run's `run` event says of it.
fn run_details(options: &RunOptions, applied: usize) -> serde_json::Value {
    let to: Vec<String> = options.to.iter().map(|(m, v)| format!("{m}@{v}")).collect();
    serde_json::json!({ "applied": applied, "atomic": options.atomic, "modules": options.modules, "to": to })
}

async fn locked<'p>(
    plan: &'p Plan,
    session: &mut Session<'_>,
    selection: &[&'p PlannedMigration],
    options: &RunOptions,
    progress: &mut dyn Progress,
    report: &mut RunReport,
) -> Result<(), ApplyError> {
    // One transaction writes its ledger rows only at the end, so a missing
    // ledger is created beside it meanwhile, and is new: nothing is applied.
    let beside = match (options.dry_run, options.atomic) {
        (true, _) => false,
        // The whole transaction runs before its ledger rows.
        (false, true) => {
            let in_line = || selection.iter().any(|m| needs_ledger_first(m, &plan.settings().ledger_schema));
            session.ensure_ledger_beside(plan.settings(), in_line).await?
        }
        // Each migration records as it commits: the ledger comes first (made
        // beside the first script, it measured no faster: the second
        // connection costs about what the overlap saves).
        (false, false) => {
            session.ensure_ledger().await?;
            false
        }
    };
    // Re-read under the lock: another run may have applied everything meanwhile.
    let applied = if beside { Vec::new() } else { session.applied(Downs::Skip).await? };
    let assessment = Assessment::new(plan, applied);
    for row in &assessment.unknown {
        tracing::warn!(module = %row.module, id = %row.id, "the ledger records {}, which this build does not carry", row.label());
    }
    report.unknown = assessment.unknown.iter().map(|r| r.label().to_string()).collect();
    let todo = assessment.pending_among(selection)?;
    let pulled_in: Vec<&PlannedMigration> = todo
        .iter()
        .copied()
        .filter(|m| {
            let selected = !options.modules.is_empty() || !options.to.is_empty();
            let mut chosen = options.modules.iter().chain(options.to.iter().map(|(t, _)| t));
            selected && !chosen.any(|s| m.module == *s)
        })
        .collect();
    report.pulled_in = pulled_in.iter().map(|m| m.label().to_string()).collect();
    progress.planned(&todo, &pulled_in);
    if options.dry_run {
        report.migrations = todo.iter().map(|m| MigrationOutcome::of(m, None)).collect();
        return Ok(());
    }
    if todo.is_empty() {
        return Ok(());
    }
    if options.atomic {
        match atomic(plan, session, &todo, options, progress, report).await {
            // Rolled back before any ledger write: again, with the ledger made first.
            Err(ApplyError::Session(e @ SessionError::SecondConnection(_))) => {
                in_line_after(session, e).await?;
                atomic(plan, session, &todo, options, progress, report).await
            }
            other => other,
        }
    } else {
        each(plan, session, &todo, progress, report).await
    }
}

/// Applies `m` with its ledger row and event, in its own transaction or the caller's
/// (behind a savepoint).
async fn apply_one(
    plan: &Plan,
    session: &mut Session<'_>,
    m: &PlannedMigration,
    transaction: Transaction,
) -> Result<Duration, ExecError> {
    let (conn, ledger, actor, command) = session.parts();
    let record = |took: Duration| ledger.applied_sql(m, actor, command, exec::ms(took));
    exec::execute(conn, &Script::up(m), transaction, plan.settings(), record).await
}

/// Each migration in its own transaction with its ledger row.
async fn each(
    plan: &Plan,
    session: &mut Session<'_>,
    todo: &[&PlannedMigration],
    progress: &mut dyn Progress,
    report: &mut RunReport,
) -> Result<(), ApplyError> {
    for m in todo {
        progress.started(m);
        match apply_one(plan, session, m, Transaction::Own).await {
            Ok(took) => {
                report.migrations.push(MigrationOutcome::of(m, Some(took)));
                progress.applied(m, took);
            }
            Err(e) => {
                let aftermath = match e.took_effect {
                    TookEffect::Statements(n) => format!(
                        "it runs outside a transaction (-- vytal:no-transaction): its first {n} statement(s) took effect and were not undone; no ledger row was written. Inspect the database (an interrupted CREATE INDEX CONCURRENTLY leaves an INVALID index to drop) before running again"
                    ),
                    TookEffect::AllButRecord => "it runs outside a transaction (-- vytal:no-transaction): all of its statements took effect, but recording it in the ledger failed; record it with `vytal-host adopt --module` for its module, or revert it by hand".to_owned(),
                    TookEffect::Unknown => "the connection failed after its ledger row and COMMIT were sent, so whether it committed is not known (it and its ledger row did both or neither); see which with `vytal-host status`".to_owned(),
                    _ if m.directives.no_transaction => "it runs outside a transaction (-- vytal:no-transaction); its first statement failed, so nothing of it took effect (an interrupted CREATE INDEX CONCURRENTLY leaves an INVALID index to drop); no ledger row was written".to_owned(),
                    _ => "it was rolled back: the database and the ledger are as they were before this migration".to_owned(),
                };
                return Err(failed(session, m, e, aftermath).await);
            }
        }
    }
    Ok(())
}

/// [`Session::ledger_ready`], or, when the second connection could not be
/// opened, the ledger made on this one (no transaction may be open).
async fn ledger_ready_or_in_line(session: &mut Session<'_>) -> Result<(), SessionError> {
    match session.ledger_ready().await {
        Err(e @ SessionError::SecondConnection(_)) => in_line_after(session, e).await,
        other => other,
    }
}

/// Creates the ledger on the session's own connection after a second one
/// could not be opened (a role allowed one connection, a full server).
async fn in_line_after(session: &mut Session<'_>, e: SessionError) -> Result<(), SessionError> {
    tracing::debug!(error = %e, "creating the ledger on this connection instead");
    session.ensure_ledger().await
}

/// The whole plan in one transaction. The migrations' ledger rows and events
/// are written at the end, in one statement, still inside the transaction.
async fn atomic(
    plan: &Plan,
    session: &mut Session<'_>,
    todo: &[&PlannedMigration],
    options: &RunOptions,
    progress: &mut dyn Progress,
    report: &mut RunReport,
) -> Result<(), ApplyError> {
    sqlx::raw_sql("BEGIN").execute(session.conn()).await.map_err(SessionError::during("starting the transaction"))?;
    let aftermath = |n: usize| {
        format!(
            "the whole run was one transaction (--atomic) and was rolled back: none of its {} migration(s) remain, {n} of which had succeeded",
            todo.len()
        )
    };
    let mut done = Vec::with_capacity(todo.len());
    for (n, m) in todo.iter().enumerate() {
        // A ledger that could not be made beside stops the run now, not at its end.
        if let Err(e) = session.ledger_ready_if_done().await {
            exec::rollback(session.conn()).await;
            return Err(e.into());
        }
        progress.started(m);
        // Recorded with the others at the end: the script alone now.
        let script = Script::up(m);
        match exec::execute(session.conn(), &script, Transaction::Atomic, plan.settings(), exec::no_record).await {
            Ok(took) => done.push((*m, took)),
            Err(mut e) => {
                exec::rollback(session.conn()).await;
                // The replay records each migration: the ledger must be there.
                let ready = match ledger_ready_or_in_line(session).await {
                    Ok(()) => true,
                    Err(le) => {
                        tracing::warn!(error = %le, "the ledger could not be created, so the failure is not in the event log");
                        false
                    }
                };
                if ready && e.phase == exec::Phase::Statement && e.statement.is_none() {
                    // Traced to its statement: the same migrations again, this one last.
                    let again: Vec<&PlannedMigration> = done.iter().map(|(m, _)| *m).chain([*m]).collect();
                    if let Some((k, found)) = replay_each(plan, session, &again).await
                        && k == n
                        && found.statement.is_some()
                    {
                        e = found;
                    }
                }
                return Err(failed(session, m, e, aftermath(n)).await);
            }
        }
    }
    if let Err(e) = session.ledger_ready().await {
        exec::rollback(session.conn()).await;
        return Err(e.into());
    }
    // The run's own event goes with them: it commits with what it tells of.
    let closing = session.closing_event_sql(Outcome::Succeeded, run_details(options, todo.len()));
    let (conn, ledger, actor, command) = session.parts();
    let timed: Vec<(&PlannedMigration, f64)> = done.iter().map(|(m, took)| (*m, exec::ms(*took))).collect();
    let record = format!("{};\n{closing}", ledger.applied_all_sql(&timed, actor, command));
    if let Err(e) = sqlx::raw_sql(AssertSqlSafe(record)).execute(&mut *conn).await {
        exec::rollback(conn).await;
        let all: Vec<&PlannedMigration> = done.iter().map(|(m, _)| *m).collect();
        // Whose record failed: the same migrations again, each recorded on its own.
        if let Some((n, found)) = replay_each(plan, session, &all).await.filter(|(_, e)| e.phase == exec::Phase::Record)
        {
            let aftermath = format!(
                "the whole run was one transaction (--atomic) and was rolled back: none of its {} migration(s) remain; all of their scripts had run, and recording this one failed",
                todo.len()
            );
            return Err(failed(session, all[n], found, aftermath).await);
        }
        let error = ApplyError::AtomicRecord { report: exec::PgReport::from_error(&e), count: todo.len() };
        session.record_failure("migration", None, &error.to_string(), serde_json::json!({ "atomic": true })).await;
        return Err(error);
    }
    if let Err(e) = sqlx::raw_sql("COMMIT").execute(session.conn()).await {
        exec::rollback(session.conn()).await;
        let error = ApplyError::AtomicCommit { report: exec::PgReport::from_error(&e), count: todo.len() };
        session.record_failure("migration", None, &error.to_string(), serde_json::json!({ "atomic": true })).await;
        return Err(error);
    }
    session.closing_event_committed();
    for (m, took) in done {
        report.migrations.push(MigrationOutcome::of(m, Some(took)));
        progress.applied(m, took);
    }
    Ok(())
}

/// Runs `migrations` again, each with its ledger row and event and behind a
/// savepoint, in a transaction that is rolled back: the first that fails,
/// with its index and error; `None` when all go through. How an `--atomic`
/// failure that said too little is traced to its migration and statement
/// (the executor runs a failing script again statement by statement).
async fn replay_each(
    plan: &Plan,
    session: &mut Session<'_>,
    migrations: &[&PlannedMigration],
) -> Option<(usize, ExecError)> {
    sqlx::raw_sql("BEGIN").execute(session.conn()).await.ok()?;
    let mut found = None;
    for (n, m) in migrations.iter().enumerate() {
        if let Err(e) = apply_one(plan, session, m, Transaction::Caller).await {
            found = Some((n, e));
            break;
        }
    }
    exec::rollback(session.conn()).await;
    found
}

/// Logs a failed migration and builds the error; the report is filled in by [`run`].
async fn failed(session: &mut Session<'_>, m: &PlannedMigration, mut e: ExecError, aftermath: String) -> ApplyError {
    if matches!(e.code(), Some("42P07" | "42710" | "42P06" | "42723" | "42P04")) {
        e.pg.hint = Some(format!(
            "the object already exists but the ledger in schema `{}` does not record creating it: this database was built by something else. Do not drop objects to make the run pass; check and record what it already holds with `vytal-host adopt --dry-run`, then `vytal-host adopt` (README.md, \"Adopting an existing database\")",
            session.ledger().schema()
        ));
    }
    let failure = RunFailure { error: e, aftermath, report: RunReport::default() };
    let details = serde_json::json!({ "name": m.name, "module_version": m.version.to_string() });
    session.record_failure("migration", Some((&m.module, &m.id)), &failure.to_string(), details).await;
    ApplyError::Failed(Box::new(failure))
}

/// What `run` would apply for `modules` (all when empty) and `to`, in order, read
/// from the ledger without locking or writing. Refuses as `run` would when
/// an applied migration was edited or a pending one sorts below an applied one.
pub async fn pending<'p, 'c>(
    plan: &'p Plan,
    db: impl Into<Database<'c>>,
    modules: &[String],
    to: &[(String, semver::Version)],
) -> Result<Vec<&'p PlannedMigration>, ApplyError> {
    let selection = plan.select_up_to(modules, to)?;
    let mut session = Session::open(db.into(), plan.settings(), "vytal-host plan", "plan", Access::Read).await?;
    let rows = session.applied(Downs::Skip).await;
    session.finish(Outcome::Succeeded, None, serde_json::Value::Null).await;
    Ok(Assessment::new(plan, rows?).pending_among(&selection)?)
}
