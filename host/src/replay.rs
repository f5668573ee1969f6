//! Replay: the schema a list of migrations produces, got by running them.
//!
//! verify and adopt compare a live database with this, so no second
//! description of the schema is kept anywhere. The migrations run through
//! the executor into a scratch database on the same server, inside one
//! transaction that is rolled back, so the scratch database stays empty and
//! never needs dropping (dropping a database forces a checkpoint, which
//! costs more than the whole replay). Migrations marked `no-transaction`
//! cannot run that way; a list with any of them replays into a throwaway
//! database, dropped afterwards.

use std::collections::BTreeSet;
use std::time::Instant;

use sqlx::AssertSqlSafe;
use sqlx::postgres::PgConnection;

use crate::db::Target;
use crate::exec::{self, ExecError, Script, Transaction};
use crate::keys::ModuleName;
use crate::manifest::HostSettings;
use crate::resolve::PlannedMigration;
use crate::schema::{Drift, ObjectKind, Ownership, Schema, describe, diff, prerequisites};
use crate::session::SessionError;

/// Errors replaying migrations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// Connecting or the host's own queries failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// A migration failed in the scratch database: it cannot apply anywhere.
    #[error("replaying the migrations into a scratch database failed: {0}")]
    Migration(Box<ExecError>),
}

/// The schema the migrations produce, and which module created what.
#[derive(Debug, Clone)]
pub(crate) struct Expected {
    /// The replayed schema.
    pub schema: Schema,
    /// Owner of each table, enum type and extension.
    pub owners: Ownership,
}

/// The scratch database's name for `database`: `<database>_vytal_scratch`,
/// or a name derived from a hash when that would pass PostgreSQL's 63-byte
/// limit (which would otherwise cut the suffix off and name the database itself).
pub fn scratch_name(database: &str) -> String {
    let name = format!("{database}_vytal_scratch");
    if name.len() <= 63 {
        return name;
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in database.as_bytes() {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("vytal_scratch_{hash:016x}")
}

/// Replays `migrations` (in the order given) into a scratch database next to
/// `target`, using `admin` (a connection to the target) to create it.
pub(crate) async fn replay(
    migrations: &[&PlannedMigration],
    settings: &HostSettings,
    target: &Target,
    admin: &mut PgConnection,
) -> Result<Expected, ReplayError> {
    let transactional = migrations.iter().all(|m| !m.directives.no_transaction);
    let name = if transactional {
        scratch_name(target.database())
    } else {
        format!("vytal_replay_{}_{}", std::process::id(), std::time::UNIX_EPOCH.elapsed().map_or(0, |d| d.as_nanos()))
    };
    create_database(admin, &name).await?;
    let t = Instant::now();
    let result = async {
        let mut scratch = target.with_database(&name).connect("vytal-host replay").await.map_err(SessionError::from)?;
        let replayed = replay_into(migrations, settings, &mut scratch, transactional).await;
        if transactional {
            exec::rollback(&mut scratch).await;
        }
        let _ = sqlx::Connection::close(scratch).await;
        replayed
    }
    .await;
    tracing::debug!(elapsed_ms = t.elapsed().as_millis() as u64, transactional, "migrations replayed into {name}");
    if !transactional
        && let Err(e) = sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")))
            .execute(&mut *admin)
            .await
    {
        tracing::warn!(error = %e, database = %name, "could not drop the replay database; drop it by hand");
    }
    result
}

/// Creates `name` unless it exists. Several commands may race to create it:
/// losing that race (`duplicate_database`, or the unique index on
/// `pg_database` when both inserts overlap) means it exists, which is all we need.
async fn create_database(admin: &mut PgConnection, name: &str) -> Result<(), SessionError> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut *admin)
        .await
        .map_err(SessionError::during("looking for the scratch database"))?;
    if exists {
        return Ok(());
    }
    let created = sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""))))
        .execute(&mut *admin)
        .await;
    match created {
        Ok(_) => Ok(()),
        Err(e) if e.as_database_error().and_then(|d| d.code()).is_some_and(|c| c == "42P04" || c == "23505") => Ok(()),
        Err(source) => Err(SessionError::Database {
            during: "creating the scratch database the migrations are replayed into (the user needs CREATEDB)",
            source,
        }),
    }
}

async fn replay_into(
    migrations: &[&PlannedMigration],
    settings: &HostSettings,
    scratch: &mut PgConnection,
    transactional: bool,
) -> Result<Expected, ReplayError> {
    let reading = SessionError::during("reading the scratch catalog");
    if transactional {
        sqlx::raw_sql("BEGIN").execute(&mut *scratch).await.map_err(SessionError::during("starting the replay"))?;
    }
    let transaction = if transactional { Transaction::Caller } else { Transaction::Own };
    let mut owners = Ownership::default();
    for m in migrations {
        exec::execute(scratch, &Script::up(m), transaction, settings, exec::no_record)
            .await
            .map_err(|e| ReplayError::Migration(Box::new(e)))?;
        let names: Vec<(String, String)> = sqlx::query_as(
            "SELECT 'table', relname::text FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') \
             UNION ALL SELECT 'enum', typname::text FROM pg_type WHERE typnamespace = 'public'::regnamespace AND typtype = 'e' \
             UNION ALL SELECT 'extension', extname::text FROM pg_extension WHERE extname <> 'plpgsql'",
        )
        .fetch_all(&mut *scratch)
        .await
        .map_err(SessionError::during("reading the scratch catalog"))?;
        for (kind, name) in names {
            let kind = match kind.as_str() {
                "table" => ObjectKind::Table,
                "enum" => ObjectKind::EnumType,
                _ => ObjectKind::Extension,
            };
            owners.claim(kind, &name, &m.module);
        }
    }
    let schema = describe(scratch, "public", &[]).await.map_err(reading)?;
    Ok(Expected { schema, owners })
}

/// A live schema held against the schema some migrations produce.
#[derive(Debug, Clone)]
pub(crate) struct Comparison {
    /// How the live schema differs, object by object.
    pub drift: Vec<Drift>,
    /// What the `selected` modules need from others and the live schema lacks.
    pub prerequisites: Vec<Drift>,
    /// Which module creates which table, enum type and extension.
    pub owners: Ownership,
}

/// Reads the live `public` schema over `live`, replays `migrations` next to
/// it, and compares the two: the sequence verify and adopt share.
pub(crate) async fn compare(
    live: &mut PgConnection,
    target: &Target,
    migrations: &[&PlannedMigration],
    settings: &HostSettings,
    selected: &BTreeSet<ModuleName>,
) -> Result<Comparison, ReplayError> {
    let t = Instant::now();
    let found = describe(live, "public", &[]).await.map_err(SessionError::during("reading the live catalog"))?;
    tracing::debug!(elapsed_ms = t.elapsed().as_millis() as u64, "live catalog read");
    let expected = replay(migrations, settings, target, live).await?;
    let drift = diff(&expected.schema, &found, &expected.owners);
    let prerequisites = prerequisites(&expected.schema, &found, &expected.owners, selected);
    Ok(Comparison { drift, prerequisites, owners: expected.owners })
}

#[cfg(test)]
mod tests {
    use super::scratch_name;

    #[test]
    fn scratch_names_fit_and_never_name_the_database_itself() {
        assert_eq!(scratch_name("vytalwatch"), "vytalwatch_vytal_scratch");
        // 62 bytes of two-byte characters: cutting bytes would split one, cutting to 63 would drop the suffix.
        let long = "é".repeat(31);
        let name = scratch_name(&long);
        assert!(name.len() <= 63, "{name}");
        assert_ne!(name, long);
        assert_eq!(name, scratch_name(&long), "stable");
        assert_ne!(name, scratch_name(&"è".repeat(31)));
    }
}
