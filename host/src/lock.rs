//! The run lock: one session-level advisory lock per ledger.
//!
//! It is taken on the run's own connection (never a pooled one), so lock
//! and unlock cannot land on different sessions, and a session lock does
//! not deadlock with `CREATE INDEX CONCURRENTLY` as a transaction lock
//! would. A run that finds it taken polls for it rather than blocking in a
//! statement, for the same reason (see [`RunLock::acquire`]). The server
//! frees it if the process dies; [`RunLock::release`] frees it on every
//! other path.

use std::time::{Duration, Instant};

use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Row};

/// Who holds the lock, for the error that says so.
#[derive(Debug, Clone)]
pub struct Holder {
    /// Backend pid.
    pub pid: i32,
    /// Its `application_name`.
    pub application: String,
    /// Its database user.
    pub user: String,
    /// When its session started (UTC).
    pub since: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {}, application `{}`, user {}, connected since {}",
            self.pid, self.application, self.user, self.since
        )
    }
}

/// Errors taking the lock.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// Another session kept the lock longer than the wait allows.
    #[error(
        "another run holds the migration lock ({}); waited {:.1}s. Let it finish and try again, raise host.lock_wait in migrations.toml, or if it is stuck end it with {}",
        holder.as_ref().map_or_else(|| "its session is not visible to this user".to_owned(), ToString::to_string),
        waited.as_secs_f64(),
        holder.as_ref().map_or_else(
            || "pg_terminate_backend(pid) as a user who can see pg_locks".to_owned(),
            |h| format!("SELECT pg_terminate_backend({})", h.pid)
        )
    )]
    Timeout {
        /// How long we waited.
        waited: Duration,
        /// The holder, when visible.
        holder: Option<Holder>,
    },
    /// The database failed otherwise.
    #[error("cannot take the migration lock: {}", crate::db::error_message(.0))]
    Database(sqlx::Error),
}

// Not `#[from]`: that would make the driver error the source too, and the
// binary prints sources after the message, so its words would come twice.
impl From<sqlx::Error> for LockError {
    fn from(e: sqlx::Error) -> Self {
        LockError::Database(e)
    }
}

/// A held lock; call [`RunLock::release`] when done.
#[derive(Debug)]
pub(crate) struct RunLock {
    key: i64,
}

/// The lock key for a ledger schema: stable across versions and hosts.
pub fn key_for(schema: &str) -> i64 {
    // FNV-1a: stable and dependency-free; the key only has to be the same everywhere.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in b"vytal-ledger:".iter().chain(schema.as_bytes()) {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

impl RunLock {
    /// Waits up to `wait` for the lock on `schema`'s ledger.
    pub async fn acquire(conn: &mut PgConnection, schema: &str, wait: Duration) -> Result<Self, LockError> {
        let key = key_for(schema);
        let started = Instant::now();
        // Fast path: most runs find the lock free.
        let got = try_lock(conn, key).await?;
        if got {
            return Ok(RunLock { key });
        }
        tracing::info!(wait_ms = wait.as_millis() as u64, "waiting for the migration lock");
        // Polled, not waited for inside `pg_advisory_lock`: a session blocked
        // in a statement holds a snapshot, and a holder running CREATE INDEX
        // CONCURRENTLY waits for every older snapshot in the database, so the
        // two would wait for each other until PostgreSQL killed one as a
        // deadlock. Between attempts this session holds nothing.
        let mut pause = Duration::from_millis(5);
        while started.elapsed() < wait {
            tokio::time::sleep(pause.min(wait.saturating_sub(started.elapsed()))).await;
            if try_lock(conn, key).await? {
                return Ok(RunLock { key });
            }
            pause = (pause * 2).min(Duration::from_millis(100));
        }
        let holder = holder(conn, key).await?;
        Err(LockError::Timeout { waited: started.elapsed(), holder })
    }

    /// Releases the lock. Dropping the connection releases it too.
    pub async fn release(self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(AssertSqlSafe(format!("SELECT pg_advisory_unlock(({})::bigint)", self.key)))
            .execute(conn)
            .await?;
        Ok(())
    }
}

/// One attempt at the lock. A simple query, in one round trip: the key is a
/// number this host computed, so it goes in the text as it is (cast, since
/// the text of `i64::MIN` reads back as numeric).
async fn try_lock(conn: &mut PgConnection, key: i64) -> Result<bool, sqlx::Error> {
    sqlx::raw_sql(AssertSqlSafe(format!("SELECT pg_try_advisory_lock(({key})::bigint)")))
        .fetch_one(conn)
        .await?
        .try_get(0)
}

/// The session holding the lock, if this user can see it.
pub(crate) async fn holder(conn: &mut PgConnection, key: i64) -> Result<Option<Holder>, sqlx::Error> {
    let unsigned = u64::from_ne_bytes(key.to_ne_bytes());
    let (hi, lo) = (i64::try_from(unsigned >> 32).unwrap_or(0), i64::try_from(unsigned & 0xffff_ffff).unwrap_or(0));
    let row = sqlx::query(
        "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, ''), \
                coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"'), 'unknown') \
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
           AND l.classid::int8 = $1 AND l.objid::int8 = $2 AND l.objsubid = 1 LIMIT 1",
    )
    .bind(hi)
    .bind(lo)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(Holder { pid: r.try_get(0)?, application: r.try_get(1)?, user: r.try_get(2)?, since: r.try_get(3)? })
    })
    .transpose()
}
