//! The executor: the one way a migration's SQL reaches the database, up or down.
//!
//! run, rollback, adopt's and verify's replay all send migrations through
//! [`execute`]. On a failure it splits the SQL into statements (so the
//! failure names the statement and its line); it sets the timeouts, and either owns the
//! transaction (`BEGIN`, statements, the caller's bookkeeping, `COMMIT`) or
//! works inside the caller's. `-- vytal:no-transaction` scripts run each
//! statement on its own and book-keep in a short transaction afterwards. An
//! error at any step, `BEGIN` and `COMMIT` included, comes back as an
//! [`ExecError`] saying where it happened and what took effect.

use std::fmt;
use std::time::{Duration, Instant};

use sqlx::AssertSqlSafe;
use sqlx::postgres::{PgConnection, PgDatabaseError, PgErrorPosition};

use crate::manifest::HostSettings;
use crate::sql::{self, Directives, Statement};

/// Which way a script goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Applying.
    Up,
    /// Rolling back.
    Down,
}

/// Where a script's text comes from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A file of the build, relative to the workspace root.
    File(String),
    /// The down SQL stored in the ledger when the migration was applied.
    StoredDown,
}

/// One migration's SQL in one direction.
#[derive(Debug, Clone)]
pub(crate) struct Script<'a> {
    /// `module/id_name`.
    pub label: String,
    /// Which way.
    pub direction: Direction,
    /// Where the text comes from.
    pub origin: Origin,
    /// The SQL.
    pub sql: &'a str,
    /// Its `-- vytal:` directives.
    pub directives: Directives,
}

impl<'a> Script<'a> {
    /// The up file of a migration the build carries.
    pub(crate) fn up(m: &'a crate::resolve::PlannedMigration) -> Self {
        Script {
            label: m.label().to_string(),
            direction: Direction::Up,
            origin: Origin::File(m.up_path.clone()),
            sql: &m.up,
            directives: m.directives.clone(),
        }
    }
}

/// Who owns the transaction a script runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transaction {
    /// The executor: `BEGIN` ... `COMMIT` around the script and its bookkeeping
    /// (or, for `no-transaction` scripts, around the bookkeeping only).
    Own,
    /// The caller has a transaction open and ends it (replay). The script runs
    /// behind a savepoint, so a failure leaves the caller's transaction usable.
    Caller,
    /// The caller's transaction, with no savepoint (`run --atomic`, where any
    /// failure ends the whole run). Subtransactions cost DDL about 5% here; in
    /// exchange a failure aborts the caller's transaction, and an error without
    /// a position comes back without its statement: the caller finds it by
    /// running again with [`Transaction::Caller`] (only failures pay for that).
    Atomic,
}

/// The step an error happened at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// `BEGIN` and the timeouts.
    Begin,
    /// A statement of the script.
    Statement,
    /// The host's bookkeeping: the ledger row and the event.
    Record,
    /// `COMMIT` (for example a deferred constraint that fails there).
    Commit,
}

/// What an error left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TookEffect {
    /// Nothing: the script's transaction was rolled back, or nothing had run.
    Nothing,
    /// The caller's transaction is aborted; the caller rolls it back.
    CallerDecides,
    /// A `no-transaction` script stopped after this many statements had taken effect.
    Statements(usize),
    /// A `no-transaction` script ran in full but its bookkeeping failed.
    AllButRecord,
    /// The connection failed once the bookkeeping and `COMMIT` were sent:
    /// the script and its bookkeeping committed together, or neither did.
    Unknown,
}

/// PostgreSQL's report of an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PgReport {
    /// The message, or the driver's text when the server sent none.
    pub message: String,
    /// SQLSTATE.
    pub code: Option<String>,
    /// DETAIL.
    pub detail: Option<String>,
    /// HINT.
    pub hint: Option<String>,
}

impl PgReport {
    /// The message, its SQLSTATE and, on a line of its own, its DETAIL.
    pub fn summary(&self) -> String {
        let code = self.code.as_ref().map(|c| format!(" (SQLSTATE {c})")).unwrap_or_default();
        let detail = self.detail.as_ref().map(|d| format!("\n  detail: {d}")).unwrap_or_default();
        format!("{}{code}{detail}", self.message)
    }

    /// PostgreSQL's report in a driver error, or the driver's text.
    pub fn from_error(e: &sqlx::Error) -> PgReport {
        Self::of(e).0
    }

    fn of(e: &sqlx::Error) -> (PgReport, Option<usize>) {
        match e.as_database_error().and_then(|d| d.try_downcast_ref::<PgDatabaseError>()) {
            Some(p) => (
                PgReport {
                    message: p.message().to_owned(),
                    code: Some(p.code().to_owned()),
                    detail: p.detail().map(str::to_owned),
                    hint: p.hint().map(str::to_owned),
                },
                match p.position() {
                    Some(PgErrorPosition::Original(pos)) => Some(pos),
                    _ => None,
                },
            ),
            None => (PgReport { message: e.to_string(), ..PgReport::default() }, None),
        }
    }
}

/// A script that failed, with everything needed to find and fix it.
#[derive(Debug, Clone)]
pub struct ExecError {
    /// `module/id_name`.
    pub migration: String,
    /// Which way it was going.
    pub direction: Direction,
    /// Where its text comes from.
    pub origin: Origin,
    /// The step that failed.
    pub phase: Phase,
    /// The failing statement, when a statement failed.
    pub statement: Option<String>,
    /// 1-based line of the failure in the script (the statement's, refined by the error position).
    pub line: Option<usize>,
    /// 1-based column (in characters) of the error position on that line, when PostgreSQL gave one.
    pub column: Option<usize>,
    /// What PostgreSQL said.
    pub pg: PgReport,
    /// What took effect.
    pub took_effect: TookEffect,
}

impl ExecError {
    /// `file:line`, or a description of where the text is.
    pub fn at(&self) -> String {
        match (&self.origin, self.line) {
            (Origin::File(f), Some(l)) => format!("{f}:{l}"),
            (Origin::File(f), None) => f.clone(),
            (Origin::StoredDown, Some(l)) => format!("line {l} of the down SQL stored in the ledger"),
            (Origin::StoredDown, None) => "the down SQL stored in the ledger".to_owned(),
        }
    }

    /// The SQLSTATE, if PostgreSQL sent one.
    pub fn code(&self) -> Option<&str> {
        self.pg.code.as_deref()
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = match self.direction {
            Direction::Up => format!("migration {} failed", self.migration),
            Direction::Down => format!("rolling back {} failed", self.migration),
        };
        let step = match self.phase {
            Phase::Statement => String::new(),
            Phase::Begin => " while starting it (BEGIN and its timeouts)".to_owned(),
            Phase::Record => " while recording it in the ledger".to_owned(),
            Phase::Commit => " at COMMIT, after every statement had run".to_owned(),
        };
        write!(f, "{verb}{step} at {}: {}", self.at(), self.pg.message)?;
        if let Some(code) = &self.pg.code {
            write!(f, " (SQLSTATE {code})")?;
        }
        if let Some(statement) = &self.statement {
            let indented: String = statement.lines().map(|l| format!("\n    {l}")).collect();
            write!(f, "\n  statement:{indented}")?;
        }
        if let Some(d) = &self.pg.detail {
            write!(f, "\n  detail: {d}")?;
        }
        if let Some(h) = &self.pg.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// The timeouts a script runs under: its directives, else the host's settings.
fn timeouts(settings: &HostSettings, d: &Directives) -> (u128, u128) {
    (
        d.lock_timeout.unwrap_or(settings.lock_timeout).as_millis(),
        d.statement_timeout.unwrap_or(settings.statement_timeout).as_millis(),
    )
}

/// Runs `script` and then the caller's bookkeeping (e.g. the ledger row and
/// event) in the same transaction, and returns how long the script took.
/// `record` gives the bookkeeping as SQL for the time the script took. It is
/// sent as a query of its own, after the script's (with `COMMIT`, in the
/// script's own transaction): text of the script (an unclosed quote,
/// comment or dollar-quote) can never run into it. See the module docs for
/// the transaction rules.
pub(crate) async fn execute<R>(
    conn: &mut PgConnection,
    script: &Script<'_>,
    transaction: Transaction,
    settings: &HostSettings,
    record: R,
) -> Result<Duration, ExecError>
where
    R: FnOnce(Duration) -> String,
{
    let started = Instant::now();
    let (lock_ms, statement_ms) = timeouts(settings, &script.directives);
    let fail = |phase, statement: Option<&Statement>, e: &sqlx::Error, took_effect| {
        exec_error(script, phase, statement, e, took_effect)
    };
    if script.directives.no_transaction && transaction == Transaction::Own {
        let statements = sql::split_statements(script.sql);
        let set = format!("SET lock_timeout = '{lock_ms}ms'; SET statement_timeout = '{statement_ms}ms'");
        if let Err(e) = sqlx::raw_sql(AssertSqlSafe(set)).execute(&mut *conn).await {
            return Err(fail(Phase::Begin, None, &e, TookEffect::Nothing));
        }
        for (index, statement) in statements.iter().enumerate() {
            if let Err(e) = sqlx::raw_sql(AssertSqlSafe(statement.text.as_str())).execute(&mut *conn).await {
                reset_timeouts(conn).await;
                let took = if index == 0 { TookEffect::Nothing } else { TookEffect::Statements(index) };
                return Err(fail(Phase::Statement, Some(statement), &e, took));
            }
        }
        reset_timeouts(conn).await;
        let elapsed = started.elapsed();
        let bookkeeping = record(elapsed);
        if !bookkeeping.is_empty() {
            let batch = format!("BEGIN;\n{bookkeeping};\nCOMMIT");
            if let Err(e) = sqlx::raw_sql(AssertSqlSafe(batch)).execute(&mut *conn).await {
                // Ends the transaction if the bookkeeping, not COMMIT, failed.
                rollback(conn).await;
                return Err(fail(Phase::Record, None, &e, TookEffect::AllButRecord));
            }
        }
        return Ok(elapsed);
    }

    let own = transaction == Transaction::Own;
    // On failure inside our own transaction we roll it back; inside the caller's, the caller does.
    let undone = if own { TookEffect::Nothing } else { TookEffect::CallerDecides };
    // The whole script goes in one round trip, after its transaction (or, inside the
    // caller's, a savepoint to come back to) and its timeouts.
    let (open, close, back) = match transaction {
        Transaction::Own => ("BEGIN; ", "", Some("ROLLBACK")),
        Transaction::Caller => {
            ("SAVEPOINT vytal_exec; ", "\n;RELEASE SAVEPOINT vytal_exec", Some("ROLLBACK TO SAVEPOINT vytal_exec"))
        }
        Transaction::Atomic => ("", "", None),
    };
    let prologue =
        format!("{open}SET LOCAL lock_timeout = '{lock_ms}ms'; SET LOCAL statement_timeout = '{statement_ms}ms';\n");
    let body = format!("{prologue}{}\n;{close}", script.sql);
    if let Err(e) = sqlx::raw_sql(AssertSqlSafe(body.as_str())).execute(&mut *conn).await {
        // Split only now: a script that succeeds never needs its statements.
        let statements = sql::split_statements(script.sql);
        if let Some(back) = back {
            let _ = sqlx::raw_sql(AssertSqlSafe(back)).execute(&mut *conn).await;
        }
        let (_, position) = PgReport::of(&e);
        let offset = position.and_then(|p| body.char_indices().nth(p.saturating_sub(1))).map(|(b, _)| b);
        let error = match offset {
            Some(o) if o < prologue.len() => fail(Phase::Begin, None, &e, undone),
            Some(o) if o - prologue.len() < script.sql.len() => {
                let at = o - prologue.len();
                let statement = statements.iter().rev().find(|s| s.start <= at);
                let mut err = fail(Phase::Statement, statement, &e, undone);
                let (line, column) = sql::line_and_column(script.sql, at);
                err.line = Some(line);
                err.column = Some(column);
                err
            }
            // The caller's transaction is aborted: nothing can run in it to find the statement.
            _ if transaction == Transaction::Atomic => fail(Phase::Statement, None, &e, undone),
            _ => locate(conn, &prologue, &statements, &e, undone, &fail).await,
        };
        // `back` ended the transaction (or savepoint) above and `locate` ends its own:
        // another ROLLBACK here would only draw "there is no transaction in progress".
        return Err(error);
    }
    let elapsed = started.elapsed();
    let bookkeeping = record(elapsed);
    if own {
        commit_with(conn, script, &bookkeeping).await?;
    } else if !bookkeeping.is_empty()
        && let Err(e) = sqlx::raw_sql(AssertSqlSafe(bookkeeping)).execute(&mut *conn).await
    {
        return Err(fail(Phase::Record, None, &e, undone));
    }
    Ok(elapsed)
}

/// The error of `script` at `phase`, placed at `statement` (and within it,
/// at PostgreSQL's error position) when there is one.
fn exec_error(
    script: &Script<'_>,
    phase: Phase,
    statement: Option<&Statement>,
    e: &sqlx::Error,
    took_effect: TookEffect,
) -> ExecError {
    let (pg, position) = PgReport::of(e);
    let at = statement.and_then(|s| {
        let p = position?;
        s.text.char_indices().nth(p.saturating_sub(1)).map(|(b, _)| sql::line_and_column(script.sql, s.start + b))
    });
    let line = at.map(|(l, _)| l).or(statement.map(|s| s.line));
    ExecError {
        migration: script.label.clone(),
        direction: script.direction,
        origin: script.origin.clone(),
        phase,
        statement: statement.map(|s| s.text.clone()),
        line,
        column: at.map(|(_, c)| c),
        pg,
        took_effect,
    }
}

/// Ends the open transaction of `script`: its bookkeeping and `COMMIT` in
/// one round trip (both are the host's own SQL, so nothing of the script
/// can run into them). On failure the transaction is over, rolled back.
pub(crate) async fn commit_with(
    conn: &mut PgConnection,
    script: &Script<'_>,
    bookkeeping: &str,
) -> Result<(), ExecError> {
    let fail = |phase, e: &sqlx::Error, took_effect| exec_error(script, phase, None, e, took_effect);
    let batch = if bookkeeping.is_empty() { "COMMIT".to_owned() } else { format!("{bookkeeping};\nCOMMIT") };
    let Err(e) = sqlx::raw_sql(AssertSqlSafe(batch)).execute(&mut *conn).await else { return Ok(()) };
    if e.as_database_error().is_none() {
        // No answer from the server: it may have committed.
        return Err(fail(Phase::Commit, &e, TookEffect::Unknown));
    }
    // Which one failed: a failed statement leaves the transaction open and
    // aborted (COMMIT never ran); a failed COMMIT ends it, and nothing of it remains.
    let aborted = sqlx::raw_sql("SELECT 1")
        .execute(&mut *conn)
        .await
        .is_err_and(|p| p.as_database_error().and_then(|d| d.code()).is_some_and(|c| c == "25P02"));
    rollback(conn).await;
    let phase = if aborted && !bookkeeping.is_empty() { Phase::Record } else { Phase::Commit };
    Err(fail(phase, &e, TookEffect::Nothing))
}

/// Finds the statement behind an error that carried no position (a constraint
/// violated at run time, a lock timeout): runs the script again one statement
/// at a time in a transaction (or savepoint) that is rolled back, and reports
/// the first statement that fails. Only failures pay for this.
async fn locate<F>(
    conn: &mut PgConnection,
    prologue: &str,
    statements: &[Statement],
    original: &sqlx::Error,
    undone: TookEffect,
    fail: &F,
) -> ExecError
where
    F: Fn(Phase, Option<&Statement>, &sqlx::Error, TookEffect) -> ExecError,
{
    let back = if undone == TookEffect::Nothing { "ROLLBACK" } else { "ROLLBACK TO SAVEPOINT vytal_exec" };
    let error = match sqlx::raw_sql(AssertSqlSafe(prologue)).execute(&mut *conn).await {
        Err(e) => fail(Phase::Begin, None, &e, undone),
        Ok(_) => {
            let mut found = None;
            for statement in statements {
                if let Err(e) = sqlx::raw_sql(AssertSqlSafe(statement.text.as_str())).execute(&mut *conn).await {
                    found = Some(fail(Phase::Statement, Some(statement), &e, undone));
                    break;
                }
            }
            // Not reproduced on a second run: report the error as it came, without a statement.
            found.unwrap_or_else(|| fail(Phase::Statement, None, original, undone))
        }
    };
    let _ = sqlx::raw_sql(AssertSqlSafe(back)).execute(&mut *conn).await;
    error
}

/// Bookkeeping that does nothing: for scripts nobody records (replay), or
/// that are recorded later, all at once (`run --atomic`).
pub(crate) fn no_record(_: Duration) -> String {
    String::new()
}

/// Ends whatever transaction is open; errors are beside the point on this path.
pub(crate) async fn rollback(conn: &mut PgConnection) {
    if let Err(e) = sqlx::raw_sql("ROLLBACK").execute(conn).await {
        tracing::debug!(error = %e, "ROLLBACK after a failure failed too");
    }
}

async fn reset_timeouts(conn: &mut PgConnection) {
    if let Err(e) = sqlx::raw_sql("RESET lock_timeout; RESET statement_timeout").execute(conn).await {
        tracing::warn!(error = %e, "could not reset the session timeouts");
    }
}

/// One migration in a report: applied, adopted, or (in a dry run) pending.
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
    /// Milliseconds it took; absent when nothing ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
}

impl MigrationOutcome {
    /// The outcome of `m`, which took `duration` (none when it did not run).
    pub fn of(m: &crate::resolve::PlannedMigration, duration: Option<Duration>) -> Self {
        MigrationOutcome {
            module: m.module.to_string(),
            id: m.id.to_string(),
            name: m.name.clone(),
            version: m.version.to_string(),
            duration_ms: duration.map(|d| d.as_secs_f64() * 1000.0),
        }
    }
}

/// Milliseconds, as the ledger and the reports store durations.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
