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
    scratch_slot(database, 0)
}

/// The name of scratch database number `slot` for `database`: slot 0 is
/// [`scratch_name`], slot 1 `<database>_vytal_scratch2` (check replays in two
/// at once), each shortened the same way when too long.
pub(crate) fn scratch_slot(database: &str, slot: usize) -> String {
    let suffix = if slot == 0 { String::new() } else { (slot + 1).to_string() };
    let name = format!("{database}_vytal_scratch{suffix}");
    if name.len() <= 63 {
        return name;
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in database.as_bytes() {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("vytal_scratch_{hash:016x}{suffix}")
}

/// Whether a replay may answer from the cache of expected schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cache {
    /// Answer from the cache when it holds this plan's schema; fill it otherwise.
    Use,
    /// Replay, and refresh the cache with the result.
    Refresh,
}

/// Replays `migrations` (in the order given) into a scratch database next to
/// `target`, using `admin` (a connection to the target) to create it.
///
/// The result depends only on the migrations' text, in order, on this build
/// (its catalog query) and on the server's version. It is kept in the
/// scratch database (`vytal_cache.expected`) under a hash of exactly those,
/// and read from there while they stay the same: a replay costs a database's
/// worth of DDL, the cache one row. The replay stays the only source of the
/// expected schema; the cache only remembers its answer, and an entry that
/// cannot be read is replayed again.
pub(crate) async fn replay(
    migrations: &[&PlannedMigration],
    settings: &HostSettings,
    target: &Target,
    admin: &mut PgConnection,
    cache: Cache,
) -> Result<Expected, ReplayError> {
    if cache == Cache::Use
        && let Some(expected) = lookup(target, migrations).await
    {
        return Ok(expected);
    }
    let transactional = migrations.iter().all(|m| !m.directives.no_transaction);
    let name = scratch_name(target.database());
    create_database(admin, &name).await?;
    let mut scratch = target.with_database(&name).connect("vytal-host replay").await.map_err(SessionError::from)?;
    let key = cache_key(&mut scratch, migrations).await?;
    let expected = replay_uncached(migrations, settings, target, admin, transactional).await;
    if let Ok(e) = &expected {
        remember(&mut scratch, &key, e).await;
    }
    let _ = sqlx::Connection::close(scratch).await;
    expected
}

/// What the cache holds for `migrations`, read over a connection of its own
/// (so it can go on beside other work on the target's connection). Anything
/// in the way, a scratch database not created yet included, is a miss: the
/// replay that follows reports real errors.
async fn lookup(target: &Target, migrations: &[&PlannedMigration]) -> Option<Expected> {
    let name = scratch_name(target.database());
    let mut scratch = match target.with_database(&name).connect("vytal-host replay").await {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!(error = %e, "no scratch database to read the cache from");
            return None;
        }
    };
    let found = match cache_key(&mut scratch, migrations).await {
        Ok(key) => {
            let found = cached(&mut scratch, &key).await;
            if found.is_some() {
                tracing::debug!(key = %key, "expected schema read from the cache");
            }
            found
        }
        Err(e) => {
            tracing::debug!(error = %e, "could not compute the cache key");
            None
        }
    };
    let _ = sqlx::Connection::close(scratch).await;
    found
}

/// The hash a replay's result is kept under.
async fn cache_key(scratch: &mut PgConnection, migrations: &[&PlannedMigration]) -> Result<String, ReplayError> {
    use sha2::{Digest, Sha256};
    let server: String = sqlx::query_scalar("SELECT current_setting('server_version_num')")
        .fetch_one(&mut *scratch)
        .await
        .map_err(SessionError::during("reading the server's version"))?;
    let mut h = Sha256::new();
    for part in [env!("CARGO_PKG_VERSION"), &server, &crate::schema::catalog_query("public", &[])] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    for m in migrations {
        h.update(m.label().to_string().as_bytes());
        h.update([0]);
        h.update(m.checksum.as_bytes());
        h.update([0]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// A cache entry as stored: the schema and the owners, as `(kind, name, module)`.
#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    schema: Schema,
    owners: Vec<(ObjectKind, String, String)>,
}

/// The cached result for `key`, if there is one that reads back whole.
async fn cached(scratch: &mut PgConnection, key: &str) -> Option<Expected> {
    let row: Option<String> = match sqlx::query_scalar("SELECT expected FROM vytal_cache.expected WHERE key = $1")
        .bind(key)
        .fetch_optional(&mut *scratch)
        .await
    {
        Ok(row) => row,
        Err(e) => {
            tracing::debug!(error = %e, "no cache of expected schemas yet");
            return None;
        }
    };
    let entry: Entry = match serde_json::from_str(&row?) {
        Ok(entry) => entry,
        Err(e) => {
            tracing::warn!(error = %e, "a cached expected schema does not read back; replaying instead");
            return None;
        }
    };
    let mut owners = Ownership::default();
    for (kind, name, module) in &entry.owners {
        owners.claim(*kind, name, &ModuleName::from(module.as_str()));
    }
    Some(Expected { schema: entry.schema, owners })
}

/// Stores `expected` under `key`. A cache that cannot be written is only slower.
async fn remember(scratch: &mut PgConnection, key: &str, expected: &Expected) {
    let entry = Entry {
        schema: expected.schema.clone(),
        owners: expected.owners.entries().map(|(k, n, m)| (k, n.to_owned(), m.to_string())).collect(),
    };
    let Ok(json) = serde_json::to_string(&entry) else { return };
    let stored = async {
        sqlx::raw_sql(
            "CREATE SCHEMA IF NOT EXISTS vytal_cache; \
             CREATE TABLE IF NOT EXISTS vytal_cache.expected \
               (key text PRIMARY KEY, expected text NOT NULL, stored_at timestamptz NOT NULL DEFAULT now())",
        )
        .execute(&mut *scratch)
        .await?;
        sqlx::query(
            "INSERT INTO vytal_cache.expected (key, expected) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET expected = EXCLUDED.expected, stored_at = now()",
        )
        .bind(key)
        .bind(&json)
        .execute(&mut *scratch)
        .await
    }
    .await;
    if let Err(e) = stored {
        tracing::debug!(error = %e, "could not store the expected schema in the cache");
    }
}

async fn replay_uncached(
    migrations: &[&PlannedMigration],
    settings: &HostSettings,
    target: &Target,
    admin: &mut PgConnection,
    transactional: bool,
) -> Result<Expected, ReplayError> {
    in_scratch(transactional, target, admin, 0, async |scratch, transaction| {
        let mut owners = Ownership::default();
        for m in migrations {
            exec::execute(scratch, &Script::up(m), transaction, settings, exec::no_record)
                .await
                .map_err(|e| ReplayError::Migration(Box::new(e)))?;
            claim_new(scratch, &mut owners, &m.module).await?;
        }
        let schema =
            describe(scratch, "public", &[]).await.map_err(SessionError::during("reading the scratch catalog"))?;
        Ok(Expected { schema, owners })
    })
    .await
}

/// Runs `work` on a connection to a scratch database next to `target`.
///
/// With `transactional`, the scratch database is the shared one, `work`
/// runs inside a transaction that is rolled back afterwards, and scripts go
/// in with [`Transaction::Caller`]. Otherwise (some script is
/// `no-transaction`) it is a throwaway database, dropped afterwards, and
/// scripts own their transactions.
async fn in_scratch<T>(
    transactional: bool,
    target: &Target,
    admin: &mut PgConnection,
    slot: usize,
    work: impl AsyncFnOnce(&mut PgConnection, Transaction) -> Result<T, ReplayError>,
) -> Result<T, ReplayError> {
    let name = if transactional {
        scratch_slot(target.database(), slot)
    } else {
        let nanos = std::time::UNIX_EPOCH.elapsed().map_or(0, |d| d.as_nanos());
        format!("vytal_replay_{}_{nanos}_{slot}", std::process::id())
    };
    create_database(admin, &name).await?;
    let t = Instant::now();
    let result = async {
        let mut scratch = target.with_database(&name).connect("vytal-host replay").await.map_err(SessionError::from)?;
        let done = if transactional {
            match sqlx::raw_sql("BEGIN").execute(&mut scratch).await {
                Ok(_) => {
                    let done = work(&mut scratch, Transaction::Caller).await;
                    exec::rollback(&mut scratch).await;
                    done
                }
                Err(e) => Err(SessionError::Database { during: "starting the replay", error: e }.into()),
            }
        } else {
            work(&mut scratch, Transaction::Own).await
        };
        let _ = sqlx::Connection::close(scratch).await;
        done
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

/// Records `module` as the owner of every table, enum type and extension
/// that has no owner yet: what the script that just ran created.
async fn claim_new(scratch: &mut PgConnection, owners: &mut Ownership, module: &ModuleName) -> Result<(), ReplayError> {
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
        owners.claim(kind, &name, module);
    }
    Ok(())
}

/// Creates the scratch database `name` unless it exists.
async fn create_database(admin: &mut PgConnection, name: &str) -> Result<(), SessionError> {
    crate::db::create_database(admin, name).await.map(|_| ()).map_err(|error| SessionError::Database {
        during: "creating the scratch database the migrations are replayed into (the user needs CREATEDB)",
        error,
    })
}

/// One migration as `check` replays it: its up, its down, and whether to
/// take it up, down and up again or only up (a prerequisite of what is checked).
#[derive(Debug, Clone)]
pub(crate) struct Trip<'a> {
    /// The module it belongs to.
    pub module: ModuleName,
    /// The up script.
    pub up: Script<'a>,
    /// The down script.
    pub down: Script<'a>,
    /// Up, down and up again (`true`), or only up.
    pub round_trip: bool,
}

/// What one migration's round trip showed. Drifts compare the catalog
/// before the up with the catalog after the down (`left_behind`,
/// `not_restored`), and after the up with after the second up (`differs`).
#[derive(Debug, Default)]
pub(crate) struct TripReport {
    /// A script PostgreSQL rejected: the up, the down, or the up again.
    pub failed: Option<ExecError>,
    /// Objects the down left that were not there before the up.
    pub left_behind: Vec<Drift>,
    /// Objects there before the up that are missing or changed after the down.
    pub not_restored: Vec<Drift>,
    /// How the catalog after up, down and up again differs from after the first up.
    pub differs: Vec<Drift>,
    /// Tables that existed before the up and that the up rewrote (new relfilenode).
    pub rewritten: Vec<String>,
    /// Foreign keys (`table`, `name`) that first appeared with this up.
    pub new_foreign_keys: Vec<(String, String)>,
}

/// The round trips of a list of migrations, in order.
#[derive(Debug)]
pub(crate) struct RoundTrips {
    /// One report per migration that ran (only up, or the round trip); the
    /// list stops at the first migration whose up failed.
    pub reports: Vec<TripReport>,
    /// The catalog after the last migration that ran.
    pub schema: Schema,
    /// Whether a rejected up ended the replay before the last migration.
    pub stopped: bool,
}

/// Takes each of `trips` up, down and up again (or only up) in a scratch
/// database, reading the catalog around every step. Stops at the first up
/// PostgreSQL rejects: what follows it would fail for that reason alone.
///
/// With enough round trips to share, two scratch databases work at once: the
/// first takes the first half of the round trips, the second applies
/// everything before the second half (ups only, no catalog reads) and takes
/// the rest. The server does the work, and does it on two cores; the results
/// are the same as one pass, in the same order.
pub(crate) async fn round_trips(
    trips: &[Trip<'_>],
    settings: &HostSettings,
    target: &Target,
    admin: &mut PgConnection,
) -> Result<RoundTrips, ReplayError> {
    let checked: Vec<usize> = trips.iter().enumerate().filter(|(_, t)| t.round_trip).map(|(i, _)| i).collect();
    let Some(&cut) = checked.get(checked.len() / 2).filter(|_| checked.len() >= PARALLEL_FROM) else {
        return round_trips_in(trips, settings, target, admin, 0).await;
    };
    let second: Vec<Trip<'_>> =
        trips.iter().enumerate().map(|(i, t)| Trip { round_trip: t.round_trip && i >= cut, ..t.clone() }).collect();
    let mut admin2 = target.connect("vytal-host replay").await.map_err(SessionError::from)?;
    let (first, second) = tokio::join!(
        round_trips_in(&trips[..cut], settings, target, admin, 0),
        round_trips_in(&second, settings, target, &mut admin2, 1)
    );
    let _ = sqlx::Connection::close(admin2).await;
    let first = first?;
    if first.stopped {
        // The first half stopped at a rejected up, which the second half met too.
        return Ok(first);
    }
    let mut second = second?;
    let mut reports = first.reports;
    reports.extend(second.reports.drain(cut.min(second.reports.len())..));
    Ok(RoundTrips { reports, schema: second.schema, stopped: second.stopped })
}

/// How many round trips make a second scratch database worth its connection.
const PARALLEL_FROM: usize = 8;

async fn round_trips_in(
    trips: &[Trip<'_>],
    settings: &HostSettings,
    target: &Target,
    admin: &mut PgConnection,
    slot: usize,
) -> Result<RoundTrips, ReplayError> {
    let transactional = trips.iter().all(|t| !t.up.directives.no_transaction && !t.down.directives.no_transaction);
    in_scratch(transactional, target, admin, slot, async |scratch, transaction| {
        let reading = || SessionError::during("reading the scratch catalog");
        let mut owners = Ownership::default();
        let mut seen_keys: BTreeSet<(String, String)> = BTreeSet::new();
        let mut current: Option<Schema> = None;
        let mut reports = Vec::with_capacity(trips.len());
        let mut stopped = false;
        for trip in trips {
            let mut report = TripReport::default();
            if !trip.round_trip {
                if let Some(e) = up(scratch, trip, transaction, settings, &mut owners).await? {
                    report.failed = Some(e);
                    reports.push(report);
                    stopped = true;
                    break;
                }
                current = None;
                reports.push(report);
                continue;
            }
            let before = match current.take() {
                Some(s) => s,
                None => {
                    let s = describe(scratch, "public", &[]).await.map_err(reading())?;
                    seen_keys.extend(foreign_keys(&s));
                    s
                }
            };
            let files_before = relfilenodes(scratch).await?;
            if let Some(e) = up(scratch, trip, transaction, settings, &mut owners).await? {
                report.failed = Some(e);
                reports.push(report);
                stopped = true;
                break;
            }
            let files_after = relfilenodes(scratch).await?;
            report.rewritten = files_before
                .iter()
                .filter(|(table, node)| files_after.iter().any(|(t, n)| t == table && n != node))
                .map(|(t, _)| t.clone())
                .collect();
            let after_up = describe(scratch, "public", &[]).await.map_err(reading())?;
            for key in foreign_keys(&after_up) {
                if seen_keys.insert(key.clone()) {
                    report.new_foreign_keys.push(key);
                }
            }
            if let Err(e) = exec::execute(scratch, &trip.down, transaction, settings, exec::no_record).await {
                report.failed = Some(e);
                current = Some(after_up);
                reports.push(report);
                continue;
            }
            let after_down = describe(scratch, "public", &[]).await.map_err(reading())?;
            let (left, gone): (Vec<Drift>, Vec<Drift>) =
                diff(&before, &after_down, &owners).into_iter().partition(Drift::is_extra);
            report.left_behind = left;
            report.not_restored = gone;
            if let Err(e) = exec::execute(scratch, &trip.up, transaction, settings, exec::no_record).await {
                report.failed = Some(e);
                reports.push(report);
                stopped = true;
                break;
            }
            // When the down restored the catalog exactly, the second up starts from
            // where the first did and, PostgreSQL's DDL being deterministic, ends where
            // it did: reading the catalog again would only repeat `after_up`. What the
            // catalog model does not hold (a function or sequence the down left)
            // still shows, as a second up that fails.
            current = Some(if report.left_behind.is_empty() && report.not_restored.is_empty() {
                after_up
            } else {
                let again = describe(scratch, "public", &[]).await.map_err(reading())?;
                report.differs = diff(&after_up, &again, &owners);
                again
            });
            reports.push(report);
        }
        let schema = match current {
            Some(s) => s,
            None => describe(scratch, "public", &[]).await.map_err(reading())?,
        };
        Ok(RoundTrips { reports, schema, stopped })
    })
    .await
}

/// Runs a trip's up and claims what it created; `Some` is PostgreSQL's refusal.
async fn up(
    scratch: &mut PgConnection,
    trip: &Trip<'_>,
    transaction: Transaction,
    settings: &HostSettings,
    owners: &mut Ownership,
) -> Result<Option<ExecError>, ReplayError> {
    if let Err(e) = exec::execute(scratch, &trip.up, transaction, settings, exec::no_record).await {
        return Ok(Some(e));
    }
    claim_new(scratch, owners, &trip.module).await?;
    Ok(None)
}

/// `(table, name)` of every foreign key in `schema`.
fn foreign_keys(schema: &Schema) -> impl Iterator<Item = (String, String)> + '_ {
    schema.tables.iter().flat_map(|t| t.foreign_keys.iter().map(|k| (t.name.clone(), k.name.clone())))
}

/// Each table's relfilenode: a rewrite gives a table a new one.
async fn relfilenodes(scratch: &mut PgConnection) -> Result<Vec<(String, i64)>, ReplayError> {
    Ok(sqlx::query_as(
        "SELECT relname::text, relfilenode::int8 FROM pg_class \
         WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'm') ORDER BY 1",
    )
    .fetch_all(&mut *scratch)
    .await
    .map_err(SessionError::during("reading the scratch catalog"))?)
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
    cache: Cache,
) -> Result<Comparison, ReplayError> {
    // The live catalog and the cache are read at once, over two connections:
    // the catalog query is the longest part of a verify on an unchanged build.
    let t = Instant::now();
    let (found, hit) = tokio::join!(
        async {
            let found = describe(live, "public", &[]).await;
            tracing::debug!(elapsed_ms = t.elapsed().as_millis() as u64, "live catalog read");
            found
        },
        async {
            match cache {
                Cache::Use => lookup(target, migrations).await,
                Cache::Refresh => None,
            }
        }
    );
    let found = found.map_err(SessionError::during("reading the live catalog"))?;
    let expected = match hit {
        Some(expected) => expected,
        None => replay(migrations, settings, target, live, Cache::Refresh).await?,
    };
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
