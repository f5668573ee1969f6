//! A session: the one connection a command works on, the run lock, the
//! ledger, who is acting, and the command's closing event.
//!
//! Every verb that reads or writes the ledger opens one. A writing session
//! takes the advisory lock before anything else and [`Session::finish`]
//! appends the command's `run` event, releases the lock and closes the
//! connection on every path, whatever the outcome.

use std::ops::{Deref, DerefMut};
use std::time::Instant;

use sqlx::AssertSqlSafe;
use sqlx::postgres::PgConnection;

use crate::db::{ConnectError, Database, Target};
use crate::ledger::{Actor, AppliedRow, Downs, Event, Ledger};
use crate::lock::{LockError, RunLock};
use crate::manifest::HostSettings;

/// Errors opening a session or doing the host's own bookkeeping in it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// Could not connect.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// Could not take the lock.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The second connection that creates a missing ledger beside an
    /// `--atomic` run could not be opened.
    #[error(
        "could not open a second connection to create the ledger beside the run (run --atomic on a database without a ledger makes it on one): {0}\n  the run makes it on its own connection instead; to let it overlap, allow the role one more connection (its CONNECTION LIMIT, the server's max_connections, a pooler's pool size)"
    )]
    SecondConnection(ConnectError),
    /// The event log's chain or its guards are broken, and nobody acknowledged it.
    #[error(
        "the event log in schema `{schema}` has been tampered with, so nothing was written (the refusal goes in the log too, where the chain still takes events):\n{}\n  find out what happened (`vytal-host verify` checks the whole chain; compare with a head exported by `vytal-host history --head`), then record what you found with `vytal-host history --acknowledge \"what happened\"`, which also restores the triggers that guard the log and the chain's head",
        problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n")
    )]
    AuditTrail {
        /// The ledger schema.
        schema: String,
        /// What is wrong.
        problems: Vec<String>,
    },
    /// A database call of the host itself failed.
    #[error("database error while {during}: {}", crate::db::error_message(.error))]
    Database {
        /// What the host was doing.
        during: &'static str,
        /// The driver error (not the source: its words are in the message already).
        error: sqlx::Error,
    },
}

impl SessionError {
    /// Wraps a driver error with what the host was doing.
    pub(crate) fn during(during: &'static str) -> impl FnOnce(sqlx::Error) -> SessionError {
        move |error| SessionError::Database { during, error }
    }
}

enum Conn<'c> {
    Owned(PgConnection),
    Held(&'c mut PgConnection),
}

impl Deref for Conn<'_> {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        match self {
            Conn::Owned(c) => c,
            Conn::Held(c) => c,
        }
    }
}

impl DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut PgConnection {
        match self {
            Conn::Owned(c) => c,
            Conn::Held(c) => c,
        }
    }
}

/// Whether a session may change the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Reads only: no lock, no events (status, plan, dry runs, verify).
    Read,
    /// Writes: takes the run lock and records a `run` event when it finishes.
    Write,
}

/// How a command ended, for its `run` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// It changed what it set out to change.
    Succeeded,
    /// There was nothing to do (the event says which: `nothing-pending`, `nothing-to-undo`...).
    Nothing(&'static str),
    /// The operator did not confirm.
    Refused,
    /// It failed.
    Failed,
}

impl Outcome {
    /// The text stored in the event log.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Nothing(what) => what,
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }
}

/// A ledger being created on a second connection ([`Session::ensure_ledger_beside`]):
/// whether the transaction there left the event log empty with its head
/// at the start (`false`: it had appeared meanwhile, or kept events).
/// Dropped unfinished (the command was cancelled), the task is aborted:
/// DDL not yet sent is never sent; DDL already sent still commits or rolls
/// back whole, as one transaction.
struct Creating(tokio::task::JoinHandle<Result<bool, SessionError>>);

impl Drop for Creating {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One command's work on one connection.
pub(crate) struct Session<'c> {
    conn: Conn<'c>,
    /// Where the connection came from, when the session made it: a second
    /// connection can then create a missing ledger beside the first.
    target: Option<Target>,
    creating: Option<Creating>,
    lock: Option<RunLock>,
    ledger: Ledger,
    actor: Actor,
    command: String,
    database: String,
    started: Instant,
    /// The command's `run` event was committed with its work
    /// ([`Session::closing_event_sql`]); [`Session::finish`] appends no other.
    closed: bool,
}

impl std::fmt::Debug for Session<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("database", &self.database)
            .field("command", &self.command)
            .field("locked", &self.lock.is_some())
            .finish()
    }
}

impl<'c> Session<'c> {
    /// Connects (or takes the caller's connection) and, for [`Access::Write`],
    /// waits for the run lock. `application` names the connection in `pg_stat_activity`.
    pub async fn open(
        db: Database<'c>,
        settings: &HostSettings,
        application: &str,
        command: &str,
        access: Access,
    ) -> Result<Session<'c>, SessionError> {
        let (mut conn, database, target) = match db {
            Database::Target(t) => (Conn::Owned(t.connect(application).await?), t.to_string(), Some(t.clone())),
            Database::Connection(c) => {
                let name: String = sqlx::query_scalar("SELECT current_user || '@' || current_database()")
                    .fetch_one(&mut *c)
                    .await
                    .map_err(SessionError::during("reading the connection's database"))?;
                (Conn::Held(c), format!("{name} (the caller's connection)"), None)
            }
        };
        let lock = match access {
            Access::Read => None,
            Access::Write => match RunLock::acquire(&mut conn, &settings.ledger_schema, settings.lock_wait).await {
                Ok(lock) => Some(lock),
                Err(e) => {
                    close(conn).await;
                    return Err(e.into());
                }
            },
        };
        let mut session = Session {
            conn,
            target,
            creating: None,
            lock,
            ledger: Ledger::new(&settings.ledger_schema),
            actor: Actor::current(),
            command: command.to_owned(),
            database,
            started: Instant::now(),
            closed: false,
        };
        if access == Access::Write {
            // Every event a writing session appends says whether it was encrypted.
            if let Err(e) = session.tls().await {
                session.finish_quietly().await;
                return Err(e);
            }
        }
        Ok(session)
    }

    /// The connection's TLS version (`None` in clear text), as the server
    /// reports it; asked once per session.
    pub async fn tls(&mut self) -> Result<Option<String>, SessionError> {
        self.ledger
            .read_tls(&mut self.conn)
            .await
            .map_err(SessionError::during("looking for the ledger and whether the connection is encrypted"))
    }

    /// The connection.
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.conn
    }

    /// The connection, the ledger and the actor at once, for bookkeeping
    /// that runs on the connection while it records through the ledger.
    pub fn parts(&mut self) -> (&mut PgConnection, &Ledger, &Actor, &str) {
        (&mut self.conn, &self.ledger, &self.actor, &self.command)
    }

    /// The ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The database, without password.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// Milliseconds since the session opened.
    pub fn elapsed_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }

    /// Creates the ledger if it is missing. Only writing sessions may; they hold the lock.
    /// An existing one is brought up to date: to format 2, and, once its
    /// chain checks out, to this build's chain function (an event says so).
    pub async fn ensure_ledger(&mut self) -> Result<(), SessionError> {
        debug_assert!(self.lock.is_some(), "the ledger is created under the run lock");
        let new_log = self.ledger.ensure(&mut self.conn).await.map_err(SessionError::during("creating the ledger"))?;
        // Made just now and left empty, its head at the start: nothing to check.
        if !new_log {
            self.check_chain().await?;
        }
        self.ledger.bring_chain_up_to_date(&mut self.conn, &self.actor, &self.command).await;
        Ok(())
    }

    /// For a writing command that makes no ledger of its own (rollback,
    /// seed): a ledger there is checked, and brought up to date, as before
    /// any write ([`Session::ensure_ledger`]); none there stays so.
    pub async fn check_ledger(&mut self) -> Result<(), SessionError> {
        let exists =
            self.ledger.exists(&mut self.conn).await.map_err(SessionError::during("looking for the ledger"))?;
        if exists { self.ensure_ledger().await } else { Ok(()) }
    }

    /// Refuses an event log whose chain or guards are broken and unacknowledged.
    async fn check_chain(&mut self) -> Result<(), SessionError> {
        let problems = self
            .ledger
            .chain_problems(&mut self.conn, false)
            .await
            .map_err(SessionError::during("checking the event log's chain"))?;
        let open: Vec<String> = problems.into_iter().filter(|p| !p.acknowledged).map(|p| p.what).collect();
        if open.is_empty() {
            Ok(())
        } else {
            Err(SessionError::AuditTrail { schema: self.ledger.schema().to_owned(), problems: open })
        }
    }

    /// Like [`Session::ensure_ledger`], but a missing ledger is created on a
    /// second connection while this one goes on (its DDL, about 11 ms of
    /// server time, then overlaps the caller's first work), in one
    /// transaction as always. True when the creation runs beside: the ledger
    /// is then new and empty, and [`Session::ledger_ready`] must be awaited
    /// before anything is written to it. The caller holds the run lock for
    /// both connections. Sessions on a caller's connection create it in line,
    /// and so does a caller whose `in_line` says its work must find the
    /// ledger there (asked only when the ledger could be made beside).
    pub async fn ensure_ledger_beside(
        &mut self,
        settings: &HostSettings,
        in_line: impl FnOnce() -> bool,
    ) -> Result<bool, SessionError> {
        debug_assert!(self.lock.is_some(), "the ledger is created under the run lock");
        let beside = self.target.is_some()
            && self
                .ledger
                .creatable_beside(&mut self.conn)
                .await
                .map_err(SessionError::during("looking for the ledger"))?
            && !in_line();
        let Some(target) = self.target.clone().filter(|_| beside) else {
            self.ensure_ledger().await?;
            return Ok(false);
        };
        let schema = self.ledger.schema().to_owned();
        // The first connection waits for this one inside its transaction,
        // where the server cannot see a wait between the two: the DDL gives
        // up after the run's own timeouts instead of waiting for ever.
        // (No timeout, 0, would let it wait for ever: ten minutes at most.)
        let most = |d: std::time::Duration| match d.as_millis() {
            0 => 600_000,
            ms => ms.min(600_000),
        };
        let timeouts = format!(
            "SET lock_timeout = '{}ms'; SET statement_timeout = '{}ms'",
            most(settings.lock_timeout),
            most(settings.statement_timeout)
        );
        tracing::debug!(schema, "creating the ledger on a second connection, beside the first");
        self.creating = Some(Creating(tokio::spawn(async move {
            let mut conn =
                target.connect("vytal-host (creating the ledger)").await.map_err(SessionError::SecondConnection)?;
            let ledger = Ledger::new(&schema);
            // Brought to the current format here in either case, so the
            // first connection, inside its transaction by then, has no DDL to run.
            let new_log = match sqlx::raw_sql(AssertSqlSafe(timeouts)).execute(&mut conn).await {
                Ok(_) => ledger.ensure(&mut conn).await,
                Err(e) => Err(e),
            };
            let _ = sqlx::Connection::close(conn).await;
            new_log.map_err(SessionError::during("creating the ledger"))
        })));
        Ok(true)
    }

    /// Waits for a ledger being created beside ([`Session::ensure_ledger_beside`]);
    /// at once when none is. Unless the creation left the event log empty
    /// with its head at the start, the chain is checked as
    /// [`Session::ensure_ledger`] does (a ledger that appeared meanwhile).
    pub async fn ledger_ready(&mut self) -> Result<(), SessionError> {
        let Some(mut creating) = self.creating.take() else { return Ok(()) };
        let new_log = match (&mut creating.0).await {
            Ok(result) => result?,
            Err(e) => {
                return Err(SessionError::Database {
                    during: "creating the ledger",
                    error: sqlx::Error::Protocol(format!("the task creating it stopped: {e}")),
                });
            }
        };
        // Either way the other connection brought it to the current format,
        // so nothing here runs DDL (this one may be inside its transaction).
        self.ledger.created_elsewhere();
        if new_log { Ok(()) } else { self.check_chain().await }
    }

    /// [`Session::ledger_ready`] when the creation beside has already ended,
    /// so a failure there stops a long run early; otherwise nothing.
    pub async fn ledger_ready_if_done(&mut self) -> Result<(), SessionError> {
        if self.creating.as_ref().is_some_and(|c| c.0.is_finished()) { self.ledger_ready().await } else { Ok(()) }
    }

    /// Every applied migration, in the order applied; none when there is no ledger.
    pub async fn applied(&mut self, downs: Downs) -> Result<Vec<AppliedRow>, SessionError> {
        self.ledger.applied(&mut self.conn, downs).await.map_err(SessionError::during("reading the ledger"))
    }

    /// The foreign objects an operator acknowledged, as (kind, object).
    pub async fn foreign_objects(&mut self) -> Result<Vec<(String, String)>, SessionError> {
        self.ledger.foreign_objects(&mut self.conn).await.map_err(|error| {
            let denied = error.as_database_error().and_then(|d| d.code()).is_some_and(|c| c == "42501");
            SessionError::Database {
                during: if denied {
                    "reading the acknowledged foreign objects (a role granted with grant-runner before the table existed cannot read it: run `vytal-host grant-runner ROLE` again as the ledger's owner)"
                } else {
                    "reading the acknowledged foreign objects"
                },
                error,
            }
        })
    }

    /// Records that a migration (`kind` `migration` or `rollback`; `None`
    /// for the whole run) failed with `message`, outside its rolled-back transaction.
    pub async fn record_failure(
        &mut self,
        kind: &str,
        migration: Option<(&str, &str)>,
        message: &str,
        details: serde_json::Value,
    ) {
        if let Err(e) = self.ledger_ready().await {
            tracing::warn!(error = %e, kind, "no ledger to append the failure to");
            return;
        }
        let event = Event {
            kind,
            command: &self.command,
            outcome: "failed",
            module: migration.map(|m| m.0),
            migration: migration.map(|m| m.1),
            error: Some(message),
            details,
            ..Event::default()
        };
        if let Err(e) = self.ledger.record_event(&mut self.conn, &event, &self.actor).await {
            tracing::warn!(error = %e, kind, "could not append the failure to the event log");
        }
    }

    /// Ends a writing session whose command recorded its own event: releases
    /// the lock and closes the connection, appending nothing.
    pub async fn finish_quietly(mut self) {
        if let Err(e) = self.ledger_ready().await {
            tracing::warn!(error = %e, "the ledger could not be created");
        }
        if let Some(lock) = self.lock.take()
            && let Err(e) = lock.release(&mut self.conn).await
        {
            tracing::warn!(error = %e, "could not release the migration lock; it is freed when the connection closes");
        }
        close(self.conn).await;
    }

    /// The command's `run` event as it stands now, to commit in the same
    /// transaction as the command's work: once that has committed, call
    /// [`Session::closing_event_committed`]. If it fails instead,
    /// [`Session::finish`] records the failure as usual.
    pub fn closing_event_sql(&self, outcome: Outcome, details: serde_json::Value) -> String {
        let event = Event {
            kind: "run",
            command: &self.command,
            outcome: outcome.as_str(),
            duration_ms: self.elapsed_ms(),
            details,
            ..Event::default()
        };
        self.ledger.event_sql(&event, &self.actor)
    }

    /// The event of [`Session::closing_event_sql`] has committed.
    pub fn closing_event_committed(&mut self) {
        self.closed = true;
    }

    /// Ends the session on every path: appends the command's `run` event
    /// (writing sessions, when the ledger exists), releases the lock, and
    /// closes the connection unless it is the caller's.
    pub async fn finish(mut self, outcome: Outcome, error: Option<&str>, details: serde_json::Value) {
        let ready = match self.ledger_ready().await {
            // A command that stopped before it waited for the ledger: made here.
            Err(SessionError::SecondConnection(_)) if self.lock.is_some() => self.ensure_ledger().await,
            other => other,
        };
        if let Err(e) = ready {
            tracing::warn!(error = %e, command = %self.command, "the ledger could not be created, so the command is not in the event log");
        }
        if let Some(lock) = self.lock.take() {
            let event = Event {
                kind: "run",
                command: &self.command,
                outcome: outcome.as_str(),
                error,
                duration_ms: self.elapsed_ms(),
                details,
                ..Event::default()
            };
            if !self.closed
                && self.ledger.exists(&mut self.conn).await.unwrap_or(false)
                && let Err(e) = self.ledger.record_event(&mut self.conn, &event, &self.actor).await
            {
                tracing::warn!(error = %e, command = %self.command, "could not append the command to the event log");
            }
            if let Err(e) = lock.release(&mut self.conn).await {
                tracing::warn!(error = %e, "could not release the migration lock; it is freed when the connection closes");
            }
        }
        close(self.conn).await;
    }
}

async fn close(conn: Conn<'_>) {
    if let Conn::Owned(c) = conn {
        let _ = sqlx::Connection::close(c).await;
    }
}
