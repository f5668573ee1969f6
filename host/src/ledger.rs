//! The ledger: what has been applied, and the append-only event log.
//!
//! Both live in their own schema (`vytal` by default). A row in
//! `migrations` is written in the same transaction as the migration it
//! records, so the two cannot disagree. `events` is the audit trail: the
//! host only ever inserts into it, and a trigger refuses UPDATE, DELETE and
//! TRUNCATE from anyone.

use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Row};

use crate::keys::{Label, MigrationId, ModuleName};
use crate::resolve::PlannedMigration;

/// A ledger row as read back.
#[derive(Debug, Clone)]
pub struct AppliedRow {
    /// Module.
    pub module: ModuleName,
    /// Migration id.
    pub id: MigrationId,
    /// Migration name.
    pub name: String,
    /// Module version the migration belongs to.
    pub module_version: String,
    /// Checksum of the SQL that ran.
    pub checksum: String,
    /// The down SQL, as it was at apply time.
    pub down_sql: String,
    /// Checksum of the down SQL taken at apply time; absent for rows recorded
    /// before the ledger kept it.
    pub down_checksum: Option<String>,
    /// When.
    pub applied_at: String,
}

impl AppliedRow {
    /// `module/id_name`.
    pub fn label(&self) -> Label<'_> {
        Label { module: &self.module, id: &self.id, name: &self.name }
    }

    /// Whether the stored down SQL still matches the checksum taken when it
    /// was stored: `None` when no checksum was taken (rows recorded before
    /// the ledger kept one), `Some(false)` when the row was edited since.
    pub fn down_intact(&self) -> Option<bool> {
        self.down_checksum.as_ref().map(|c| *c == crate::sql::checksum(&self.down_sql))
    }
}

/// Who is running the host, recorded with every row and event.
#[derive(Debug, Clone)]
pub(crate) struct Actor {
    /// The operating-system user.
    pub os_user: String,
    /// The machine's host name.
    pub host: String,
}

impl Actor {
    /// The current OS user and host name.
    pub fn current() -> Self {
        let os_user =
            std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".to_owned());
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_else(|_| "unknown".to_owned());
        Actor { os_user, host }
    }
}

/// One event for the log.
#[derive(Debug, Clone, Default)]
pub(crate) struct Event<'a> {
    /// `run` for a whole command, `migration` for one migration.
    pub kind: &'a str,
    /// The command line, e.g. `run --module medications`.
    pub command: &'a str,
    /// `applied`, `failed`, `nothing-pending`, `succeeded`, `refused`.
    pub outcome: &'a str,
    /// The module, for migration events.
    pub module: Option<&'a str>,
    /// The migration id, for migration events.
    pub migration: Option<&'a str>,
    /// The error message, if it failed.
    pub error: Option<&'a str>,
    /// Wall time in milliseconds.
    pub duration_ms: f64,
    /// Extra facts as JSON (counts, the migration name, the failing statement).
    pub details: serde_json::Value,
}

/// What every event says of its connection, computed by the server in the
/// event's own INSERT: `{"tls": "TLSv1.3"}`, or `{"tls": null}` in clear text.
const TLS_DETAIL: &str =
    "jsonb_build_object('tls', (SELECT CASE WHEN ssl THEN version END FROM pg_stat_ssl WHERE pid = pg_backend_pid()))";

/// Access to the ledger in one schema.
#[derive(Debug)]
pub(crate) struct Ledger {
    schema: String,
    /// Set once the tables are seen or created: they are never dropped by
    /// the host, so a command asks the server at most once.
    known_to_exist: AtomicBool,
    /// Set once `migrations.down_checksum` is seen or added (ledgers created
    /// before it was kept lack the column until a writing command adds it).
    has_down_checksum: AtomicBool,
}

impl Ledger {
    /// The ledger in `schema` (validated by the manifest to be a plain name).
    pub fn new(schema: &str) -> Self {
        Ledger {
            schema: schema.to_owned(),
            known_to_exist: AtomicBool::new(false),
            has_down_checksum: AtomicBool::new(false),
        }
    }

    /// The schema name.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// Whether the ledger tables exist yet.
    pub async fn exists(&self, conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
        if self.known_to_exist.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let row = sqlx::query(
            "SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL, \
             EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) \
                     AND attname = 'down_checksum' AND NOT attisdropped)",
        )
        .bind(format!("\"{}\".migrations", self.schema))
        .bind(format!("\"{}\".events", self.schema))
        .fetch_one(conn)
        .await?;
        let exists: bool = row.try_get(0)?;
        self.known_to_exist.store(exists, Ordering::Relaxed);
        self.has_down_checksum.store(row.try_get(1)?, Ordering::Relaxed);
        Ok(exists)
    }

    /// Creates the schema, tables and guard trigger if missing. Callers hold the run lock.
    pub async fn ensure(&self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.exists(conn).await? {
            if !self.has_down_checksum.load(Ordering::Relaxed) {
                // A ledger from before down checksums: rows already there keep none.
                sqlx::raw_sql(AssertSqlSafe(format!(
                    "ALTER TABLE \"{}\".migrations ADD COLUMN IF NOT EXISTS down_checksum text",
                    self.schema
                )))
                .execute(&mut *conn)
                .await?;
                self.has_down_checksum.store(true, Ordering::Relaxed);
            }
            return Ok(());
        }
        let s = &self.schema;
        let ddl = format!(
            r#"BEGIN;
CREATE SCHEMA IF NOT EXISTS "{s}";
COMMENT ON SCHEMA "{s}" IS 'vytal migration ledger (format 1): applied migrations and the append-only event log';
CREATE TABLE IF NOT EXISTS "{s}".migrations (
    module            text        NOT NULL,
    id                text        NOT NULL,
    name              text        NOT NULL,
    module_version    text        NOT NULL,
    checksum          text        NOT NULL,
    down_sql          text        NOT NULL,
    down_checksum     text,
    applied_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    applied_by_db     text        NOT NULL DEFAULT current_user,
    applied_by_os     text        NOT NULL,
    applied_by_host   text        NOT NULL,
    duration_ms       double precision NOT NULL,
    PRIMARY KEY (module, id)
);
CREATE TABLE IF NOT EXISTS "{s}".events (
    seq               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at                timestamptz NOT NULL DEFAULT clock_timestamp(),
    kind              text        NOT NULL,
    command           text        NOT NULL,
    outcome           text        NOT NULL,
    module            text,
    migration         text,
    error             text,
    duration_ms       double precision NOT NULL,
    db_user           text        NOT NULL DEFAULT current_user,
    os_user           text        NOT NULL,
    host              text        NOT NULL,
    host_version      text        NOT NULL,
    details           jsonb       NOT NULL DEFAULT '{{}}'
);
CREATE OR REPLACE FUNCTION "{s}".events_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION 'the vytal event log is append-only: % is not allowed', TG_OP;
END
$fn$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON "{s}".events
    FOR EACH ROW EXECUTE FUNCTION "{s}".events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON "{s}".events
    FOR EACH STATEMENT EXECUTE FUNCTION "{s}".events_append_only();
{marks}
COMMIT;"#,
            marks = self.marks_ddl()
        );
        sqlx::raw_sql(AssertSqlSafe(ddl)).execute(conn).await?;
        self.known_to_exist.store(true, Ordering::Relaxed);
        self.has_down_checksum.store(true, Ordering::Relaxed);
        Ok(())
    }

    fn marks_ddl(&self) -> String {
        format!(
            r#"CREATE TABLE IF NOT EXISTS "{s}".marks (
    name        text        PRIMARY KEY,
    set_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    set_by_db   text        NOT NULL DEFAULT current_user,
    set_by_os   text        NOT NULL,
    set_by_host text        NOT NULL
);
COMMENT ON TABLE "{s}".marks IS 'what this database is: a row named production makes vytal-host seed refuse it';"#,
            s = self.schema
        )
    }

    /// Whether the database is marked as production (`vytal-host mark production`).
    pub async fn is_production(&self, conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(format!("\"{}\".marks", self.schema))
            .fetch_one(&mut *conn)
            .await?;
        if !exists {
            return Ok(false);
        }
        sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT EXISTS (SELECT 1 FROM \"{}\".marks WHERE name = 'production')",
            self.schema
        )))
        .fetch_one(conn)
        .await
    }

    /// Sets or clears the production mark, with its event, in one transaction.
    /// Returns whether anything changed.
    pub async fn set_production(
        &self,
        conn: &mut PgConnection,
        production: bool,
        actor: &Actor,
        command: &str,
    ) -> Result<bool, sqlx::Error> {
        let s = &self.schema;
        let change = if production {
            format!(
                "INSERT INTO \"{s}\".marks (name, set_by_os, set_by_host) VALUES ('production', $1, $2) ON CONFLICT DO NOTHING"
            )
        } else {
            format!(
                "DELETE FROM \"{s}\".marks WHERE name = 'production' AND $1::text IS NOT NULL AND $2::text IS NOT NULL"
            )
        };
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(format!("\"{s}\".marks"))
            .fetch_one(&mut *conn)
            .await?;
        let ddl = if exists { String::new() } else { self.marks_ddl() };
        sqlx::raw_sql(AssertSqlSafe(format!("BEGIN; {ddl}"))).execute(&mut *conn).await?;
        let result = async {
            let changed = sqlx::query(AssertSqlSafe(change))
                .bind(&actor.os_user)
                .bind(&actor.host)
                .execute(&mut *conn)
                .await?
                .rows_affected()
                > 0;
            let event = Event {
                kind: "mark",
                command,
                outcome: match (production, changed) {
                    (true, true) => "marked-production",
                    (false, true) => "unmarked-production",
                    _ => "unchanged",
                },
                details: serde_json::json!({ "production": production }),
                ..Event::default()
            };
            self.record_event(conn, &event, actor).await?;
            sqlx::raw_sql("COMMIT").execute(&mut *conn).await?;
            Ok(changed)
        }
        .await;
        if result.is_err() {
            crate::exec::rollback(conn).await;
        }
        result
    }

    /// Every applied migration, in the order applied (to the microsecond). An absent ledger means none.
    pub async fn applied(&self, conn: &mut PgConnection) -> Result<Vec<AppliedRow>, sqlx::Error> {
        if !self.exists(conn).await? {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT module, id, name, module_version, checksum, down_sql, \
             to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), \
             to_jsonb(m) ->> 'down_checksum' \
             FROM \"{}\".migrations m ORDER BY applied_at, module, id",
            self.schema
        )))
        .fetch_all(conn)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(AppliedRow {
                    module: r.try_get::<String, _>(0)?.into(),
                    id: r.try_get::<String, _>(1)?.into(),
                    name: r.try_get(2)?,
                    module_version: r.try_get(3)?,
                    checksum: r.try_get(4)?,
                    down_sql: r.try_get(5)?,
                    applied_at: r.try_get(6)?,
                    down_checksum: r.try_get(7)?,
                })
            })
            .collect()
    }

    /// Records an applied migration and its event, inside the caller's transaction.
    pub async fn record_applied(
        &self,
        conn: &mut PgConnection,
        m: &PlannedMigration,
        actor: &Actor,
        command: &str,
        duration_ms: f64,
    ) -> Result<(), sqlx::Error> {
        self.record(conn, m, actor, command, duration_ms, "applied").await
    }

    /// Records a migration whose objects already existed (`adopt`): the row, and an `adopted` event.
    pub async fn record_adopted(
        &self,
        conn: &mut PgConnection,
        m: &PlannedMigration,
        actor: &Actor,
        command: &str,
    ) -> Result<(), sqlx::Error> {
        self.record(conn, m, actor, command, 0.0, "adopted").await
    }

    async fn record(
        &self,
        conn: &mut PgConnection,
        m: &PlannedMigration,
        actor: &Actor,
        command: &str,
        duration_ms: f64,
        outcome: &str,
    ) -> Result<(), sqlx::Error> {
        let s = &self.schema;
        sqlx::query(AssertSqlSafe(format!(
            "WITH row AS (INSERT INTO \"{s}\".migrations \
               (module, id, name, module_version, checksum, down_sql, applied_by_os, applied_by_host, duration_ms, down_checksum) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $13)) \
             INSERT INTO \"{s}\".events (kind, command, outcome, module, migration, duration_ms, os_user, host, host_version, details) \
             VALUES ('migration', $10, $12, $1, $2, $9, $7, $8, $11, jsonb_build_object('name', $3::text, 'module_version', $4::text, 'checksum', $5::text) || {TLS_DETAIL})"
        )))
        .bind(m.module.as_str())
        .bind(m.id.as_str())
        .bind(&m.name)
        .bind(m.version.to_string())
        .bind(&m.checksum)
        .bind(m.down.as_ref())
        .bind(&actor.os_user)
        .bind(&actor.host)
        .bind(duration_ms)
        .bind(command)
        .bind(env!("CARGO_PKG_VERSION"))
        .bind(outcome)
        .bind(crate::sql::checksum(&m.down))
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Removes a migration's row, inside the caller's transaction (rollback).
    pub async fn forget(&self, conn: &mut PgConnection, module: &str, id: &str) -> Result<(), sqlx::Error> {
        sqlx::query(AssertSqlSafe(format!("DELETE FROM \"{}\".migrations WHERE module = $1 AND id = $2", self.schema)))
            .bind(module)
            .bind(id)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Appends an event in its own statement (autocommit unless the caller is in a transaction).
    pub async fn record_event(&self, conn: &mut PgConnection, e: &Event<'_>, actor: &Actor) -> Result<(), sqlx::Error> {
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO \"{}\".events (kind, command, outcome, module, migration, error, duration_ms, os_user, host, host_version, details) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
               (CASE WHEN jsonb_typeof($11::jsonb) = 'object' THEN $11::jsonb ELSE '{{}}'::jsonb END) || {TLS_DETAIL})",
            self.schema
        )))
        .bind(e.kind)
        .bind(e.command)
        .bind(e.outcome)
        .bind(e.module)
        .bind(e.migration)
        .bind(e.error)
        .bind(e.duration_ms)
        .bind(&actor.os_user)
        .bind(&actor.host)
        .bind(env!("CARGO_PKG_VERSION"))
        .bind(sqlx::types::Json(&e.details))
        .execute(conn)
        .await?;
        Ok(())
    }
}
