//! `history`: the event log as it stands, the head of its hash chain for
//! keeping elsewhere, and acknowledging a break an operator has looked into.

use serde::Serialize;
use sqlx::{AssertSqlSafe, Row};

use crate::db::{Database, Target};
use crate::ledger::ChainProblem;
use crate::resolve::Plan;
use crate::session::{Access, Outcome, Session, SessionError};

/// Which events to show.
#[derive(Debug, Clone)]
pub struct HistoryOptions {
    /// The newest this many.
    pub limit: i64,
    /// Only this module's.
    pub module: Option<String>,
    /// Only events whose command line starts with this (`run`, `rollback --all`...).
    pub command: Option<String>,
    /// Only events of this kind (`run`, `migration`, `rollback`, `mark`...).
    pub kind: Option<String>,
    /// Only events from this time on.
    pub since: Option<When>,
    /// Only events before this time.
    pub until: Option<When>,
    /// Only events that failed.
    pub failed: bool,
}

/// A point in time as a person gives it: a time PostgreSQL reads
/// (`2026-12-01`, `2026-12-01 14:00+01`), or a while ago (`90m`, `12h`, `7d`, `2w`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// A timestamp, read by the server.
    At(String),
    /// This long before now, as an interval (`7 days`).
    Ago(String),
}

impl std::str::FromStr for When {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let unit_at = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
        let (n, unit) = text.split_at(unit_at);
        let unit = match unit {
            "s" => Some("seconds"),
            "m" | "min" => Some("minutes"),
            "h" => Some("hours"),
            "d" => Some("days"),
            "w" => Some("weeks"),
            _ => None,
        };
        match (n.parse::<u32>(), unit) {
            (Ok(n), Some(unit)) => Ok(When::Ago(format!("{n} {unit}"))),
            _ if text.starts_with(|c: char| c.is_ascii_digit()) && text.len() >= 10 => Ok(When::At(text.to_owned())),
            _ => Err(format!(
                "`{text}` is not a time: give a date or time (2026-12-01, \"2026-12-01 14:00+01\") or a while ago (90m, 12h, 7d, 2w)"
            )),
        }
    }
}

impl When {
    fn at(&self) -> Option<&str> {
        match self {
            When::At(t) => Some(t),
            When::Ago(_) => None,
        }
    }

    fn ago(&self) -> Option<&str> {
        match self {
            When::Ago(i) => Some(i),
            When::At(_) => None,
        }
    }
}

/// One event.
#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    /// Its number in the log.
    pub seq: i64,
    /// When, UTC.
    pub at: String,
    /// `run`, `migration`, `rollback`, `mark`, `foreign`, `acknowledge`, `upgrade`
    pub kind: String,
    /// The command line.
    pub command: String,
    /// What came of it.
    pub outcome: String,
    /// The module, for migration events.
    pub module: Option<String>,
    /// The migration id, for migration events.
    pub migration: Option<String>,
    /// The error, if it failed.
    pub error: Option<String>,
    /// Milliseconds.
    pub duration_ms: f64,
    /// Who: database user, OS user and host.
    pub db_user: String,
    /// The operating-system user.
    pub os_user: String,
    /// The machine.
    pub host: String,
    /// The TLS version of the connection, none in clear text.
    pub tls: Option<String>,
}

/// The head of the event log's chain: store `seq:hash` somewhere the
/// database's owner cannot write, and check against it with `verify --head`.
#[derive(Debug, Clone, Serialize)]
pub struct Head {
    /// The last event's number.
    pub seq: i64,
    /// Its hash.
    pub hash: String,
}

/// The events, oldest first, and the head.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryReport {
    /// The database, without password.
    pub database: String,
    /// The events, oldest first.
    pub events: Vec<EventRow>,
    /// The chain's head, when the log is chained.
    pub head: Option<Head>,
}

/// Reads the newest events and the chain's head. Writes nothing.
pub async fn history<'c>(
    plan: &Plan,
    db: impl Into<Database<'c>>,
    options: &HistoryOptions,
) -> Result<HistoryReport, SessionError> {
    let mut session = Session::open(db.into(), plan.settings(), "vytal-host history", "history", Access::Read).await?;
    let result = read(&mut session, options).await;
    let database = session.database().to_owned();
    session.finish(Outcome::Succeeded, None, serde_json::Value::Null).await;
    let (events, head) = result?;
    Ok(HistoryReport { database, events, head })
}

async fn read(
    session: &mut Session<'_>,
    options: &HistoryOptions,
) -> Result<(Vec<EventRow>, Option<Head>), SessionError> {
    let (conn, ledger, _, _) = session.parts();
    if !ledger.exists(conn).await.map_err(SessionError::during("looking for the ledger"))? {
        return Ok((Vec::new(), None));
    }
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), kind, command, outcome, \
                module, migration, error, duration_ms, db_user, os_user, host, details->>'tls' \
         FROM (SELECT * FROM \"{}\".events \
               WHERE ($1::text IS NULL OR module = $1) \
                 AND ($3::text IS NULL OR command LIKE replace(replace(replace($3, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%') \
                 AND ($4::text IS NULL OR kind = $4) \
                 AND at >= coalesce($5::timestamptz, now() - $6::interval, '-infinity') \
                 AND at < coalesce($7::timestamptz, now() - $8::interval, 'infinity') \
                 AND (NOT $9 OR outcome = 'failed') \
               ORDER BY seq DESC LIMIT $2) e \
         ORDER BY seq",
        ledger.schema()
    )))
    .bind(options.module.as_deref())
    .bind(options.limit)
    .bind(options.command.as_deref())
    .bind(options.kind.as_deref())
    .bind(options.since.as_ref().and_then(When::at))
    .bind(options.since.as_ref().and_then(When::ago))
    .bind(options.until.as_ref().and_then(When::at))
    .bind(options.until.as_ref().and_then(When::ago))
    .bind(options.failed)
    .fetch_all(&mut *conn)
    .await
    .map_err(|error| {
        let bad_time = error.as_database_error().and_then(|d| d.code()).is_some_and(|c| c.starts_with("22"));
        SessionError::Database {
            during: if bad_time { "reading the event log (is --since or --until a valid time?)" } else { "reading the event log" },
            error,
        }
    })?;
    let events = rows
        .iter()
        .map(|r| {
            Ok(EventRow {
                seq: r.try_get(0)?,
                at: r.try_get(1)?,
                kind: r.try_get(2)?,
                command: r.try_get(3)?,
                outcome: r.try_get(4)?,
                module: r.try_get(5)?,
                migration: r.try_get(6)?,
                error: r.try_get(7)?,
                duration_ms: r.try_get(8)?,
                db_user: r.try_get(9)?,
                os_user: r.try_get(10)?,
                host: r.try_get(11)?,
                tls: r.try_get(12)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(SessionError::during("reading the event log"))?;
    let head = ledger.head(conn).await.map_err(SessionError::during("reading the chain's head"))?;
    Ok((events, head.map(|(seq, hash)| Head { seq, hash })))
}

/// What an acknowledgement found and recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Acknowledged {
    /// The problems found, now on the record.
    pub problems: Vec<ChainProblem>,
    /// Every event up to this one is covered by the acknowledgement.
    pub through_seq: i64,
}

/// Records that an operator has looked into a broken chain: restores the
/// triggers that guard the log, moves the head to the last event and
/// appends an `acknowledge` event with `reason` and what was found.
/// Takes the run lock, like every command that writes.
pub async fn acknowledge(
    plan: &Plan,
    target: &Target,
    reason: &str,
    command: &str,
) -> Result<Acknowledged, SessionError> {
    let mut session =
        Session::open(Database::Target(target), plan.settings(), "vytal-host history", command, Access::Write).await?;
    let result = async {
        let (conn, ledger, actor, command) = session.parts();
        let problems =
            ledger.chain_problems(conn, true).await.map_err(SessionError::during("checking the event log"))?;
        let through = ledger
            .acknowledge(conn, reason, &problems, actor, command)
            .await
            .map_err(SessionError::during("recording the acknowledgement"))?;
        Ok::<_, SessionError>(Acknowledged { problems, through_seq: through })
    }
    .await;
    session.finish_quietly().await;
    result
}

/// Sets up the split of roles: run as the owner of the ledger schema, it
/// creates the ledger if it is missing and lets `runner` apply migrations
/// and append events without being able to rewrite them.
pub async fn grant_runner(plan: &Plan, target: &Target, runner: &str, command: &str) -> Result<(), SessionError> {
    let mut session =
        Session::open(Database::Target(target), plan.settings(), "vytal-host grant-runner", command, Access::Write)
            .await?;
    let result = async {
        session.ensure_ledger().await?;
        let (conn, ledger, _, _) = session.parts();
        ledger.grant_runner(conn, runner).await.map_err(SessionError::during("granting the runner role its rights"))
    }
    .await;
    let outcome = if result.is_ok() { Outcome::Succeeded } else { Outcome::Failed };
    let error = result.as_ref().err().map(ToString::to_string);
    session.finish(outcome, error.as_deref(), serde_json::json!({ "runner": runner })).await;
    result
}
