//! The ledger: what has been applied, and the append-only event log.
//!
//! Both live in their own schema (`vytal` by default). A row in
//! `migrations` is written in the same transaction as the migration it
//! records, so the two cannot disagree. `events` is the audit trail: the
//! host only ever inserts into it, and a trigger refuses UPDATE, DELETE and
//! TRUNCATE from anyone.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Row};

use crate::keys::{Label, MigrationId, ModuleName};
use crate::resolve::PlannedMigration;
use crate::sql;

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
    /// The down SQL, as it was at apply time; `None` when the read left it
    /// out ([`Downs::Skip`]: the commands that only compare checksums).
    pub down_sql: Option<String>,
    /// Checksum of the down SQL taken at apply time; absent for rows recorded
    /// before the ledger kept it.
    pub down_checksum: Option<String>,
    /// When.
    pub applied_at: String,
    /// Who: `db_user (os_user@host)`.
    pub applied_by: String,
    /// How long the migration took, in milliseconds.
    pub duration_ms: f64,
}

impl AppliedRow {
    /// `module/id_name`.
    pub fn label(&self) -> Label<'_> {
        Label { module: &self.module, id: &self.id, name: &self.name }
    }

    /// Whether the stored down SQL still matches the checksum taken when it
    /// was stored: `None` when no checksum was taken (rows recorded before
    /// the ledger kept one), `Some(false)` when the row was edited since.
    /// `None` too when the read left the down SQL out.
    pub fn down_intact(&self) -> Option<bool> {
        let (checksum, down) = (self.down_checksum.as_ref()?, self.down_sql.as_ref()?);
        Some(*checksum == crate::sql::checksum(down))
    }
}

/// Whether a read of the ledger carries each row's stored down SQL: what
/// `rollback` runs and `verify` checks, and most of the ledger's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Downs {
    /// With the down SQL.
    Read,
    /// Without: checksums, versions and times only (`run`, `plan`, `status`).
    Skip,
}

/// One thing wrong with the event log's chain or its guards.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChainProblem {
    /// The first event concerned, when one is.
    pub seq: Option<i64>,
    /// What is wrong.
    pub what: String,
    /// Whether an operator acknowledged it (`vytal-host history --acknowledge`).
    pub acknowledged: bool,
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

/// How many of the newest events a writing command checks before it writes.
pub const TAIL: i64 = 200;

/// The version of the chain's function this build writes, marked in its
/// body. A writing command replaces an older one (or an unmarked one, from
/// before the mark) and leaves a newer one alone, so two builds in use on
/// one database do not take turns replacing it.
pub const CHAIN_VERSION: i32 = 1;

/// How the version is marked, as a pattern for `substring`: at most nine
/// digits, so that no mark, however large, fails the cast.
const CHAIN_MARKER: &str = "'-- vytal chain function, version ([0-9]{1,9})'";

/// The text an event's hash covers, for the row `e` (`NEW` in the trigger):
/// every column but the hashes, in a form no session setting changes.
fn event_content(e: &str) -> String {
    format!(
        "concat_ws(chr(31), {e}.seq::text, to_char({e}.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), \
         {e}.kind, {e}.command, {e}.outcome, coalesce({e}.module, chr(30)), coalesce({e}.migration, chr(30)), \
         coalesce({e}.error, chr(30)), {e}.duration_ms::numeric::text, {e}.db_user, {e}.os_user, {e}.host, \
         {e}.host_version, {e}.details::text)"
    )
}

/// The hash of event `e` after the hash `prev`: hex SHA-256 of both.
fn event_hash(prev: &str, e: &str) -> String {
    format!("encode(sha256(convert_to({prev} || chr(10) || {}, 'UTF8')), 'hex')", event_content(e))
}

/// The TLS version of this connection, or NULL in clear text, as the server
/// sees it: what every event says of its connection (`{"tls": "TLSv1.3"}`,
/// or `{"tls": null}`). It reads the activity of this backend alone; the
/// `pg_stat_ssl` view would read every backend's and cost a plan of its own
/// (0.3 ms in a new backend).
const TLS_VERSION: &str = "(SELECT CASE WHEN ssl THEN sslversion END FROM pg_stat_get_activity(pg_backend_pid()))";

/// The head of every INSERT of events into the ledger schema `s`; rows
/// ([`Ledger::event_values`]) follow.
fn event_insert(s: &str) -> String {
    format!(
        "INSERT INTO \"{s}\".events \
         (kind, command, outcome, module, migration, error, duration_ms, os_user, host, host_version, details) VALUES "
    )
}

/// Access to the ledger in one schema.
#[derive(Debug)]
pub(crate) struct Ledger {
    schema: String,
    /// Set once the tables are seen or created: they are never dropped by
    /// the host, so a command asks the server at most once.
    known_to_exist: AtomicBool,
    /// Set when [`Ledger::exists`] last found no ledger: [`Ledger::ensure`]
    /// takes that answer (once) instead of asking again. Only a holder of
    /// the run lock creates a ledger, and creating one needs the lock.
    seen_absent: AtomicBool,
    /// Set by [`Ledger::exists`] when there is nothing of a ledger, not even
    /// its schema, and this connection's transactions are read committed:
    /// a ledger another connection creates and commits while one of them
    /// runs is then seen, rows and all, by its later statements.
    creatable_beside: AtomicBool,
    /// Set once `migrations.down_checksum` is seen or added (ledgers created
    /// before it was kept lack the column until a writing command adds it).
    has_down_checksum: AtomicBool,
    /// The version of the chain's function there ([`CHAIN_VERSION`] once
    /// made here; 0 for one from before versions were marked, or none).
    chain_version: AtomicI32,
    /// Whether the chain's function there is this build's, word for word.
    chain_as_built: AtomicBool,
    /// The connection's TLS version as the server reported it
    /// ([`Ledger::read_tls`]): events then carry it as a literal instead of
    /// asking the server again in every INSERT (0.1 ms an event).
    tls: OnceLock<Option<String>>,
}

impl Ledger {
    /// The ledger in `schema` (validated by the manifest to be a plain name).
    pub fn new(schema: &str) -> Self {
        Ledger {
            schema: schema.to_owned(),
            known_to_exist: AtomicBool::new(false),
            seen_absent: AtomicBool::new(false),
            creatable_beside: AtomicBool::new(false),
            has_down_checksum: AtomicBool::new(false),
            chain_version: AtomicI32::new(0),
            chain_as_built: AtomicBool::new(false),
            tls: OnceLock::new(),
        }
    }

    /// Asks the server once whether this connection is encrypted, and with
    /// what (with the ledger check, when that has not been made yet); the
    /// events written on it then say so without asking again.
    pub async fn read_tls(&self, conn: &mut PgConnection) -> Result<Option<String>, sqlx::Error> {
        if self.tls.get().is_none() && !self.known_to_exist.load(Ordering::Relaxed) {
            // The ledger check asks too, in the same round trip.
            self.exists(conn).await?;
        }
        if let Some(known) = self.tls.get() {
            return Ok(known.clone());
        }
        let row = sqlx::raw_sql(AssertSqlSafe(format!("SELECT {TLS_VERSION}"))).fetch_one(conn).await?;
        let version: Option<String> = row.try_get(0)?;
        Ok(self.tls.get_or_init(|| version).clone())
    }

    /// Records that the ledger was created on another connection of this
    /// process, at the current format ([`Ledger::ensure`] there).
    pub fn created_elsewhere(&self) {
        self.known_to_exist.store(true, Ordering::Relaxed);
        self.has_down_checksum.store(true, Ordering::Relaxed);
        self.chain_made_here();
    }

    /// Records that the chain's function is this build's, made or replaced here.
    fn chain_made_here(&self) {
        self.chain_version.store(CHAIN_VERSION, Ordering::Relaxed);
        self.chain_as_built.store(true, Ordering::Relaxed);
    }

    /// The schema name.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// Whether the ledger tables exist yet; the same query learns whether the
    /// connection is encrypted, for [`Ledger::read_tls`].
    pub async fn exists(&self, conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
        if self.known_to_exist.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let name = |table: &str| sql::literal(&format!("\"{}\".{table}", self.schema));
        let (migrations, events, head) = (name("migrations"), name("events"), name("events_head"));
        let row = sqlx::raw_sql(AssertSqlSafe(format!(
            "SELECT to_regclass({migrations}) IS NOT NULL AND to_regclass({events}) IS NOT NULL, \
             EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass({migrations}) \
                     AND attname = 'down_checksum' AND NOT attisdropped) \
             AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass({events}) \
                     AND attname = 'hash' AND NOT attisdropped) \
             AND to_regclass({head}) IS NOT NULL, \
             {TLS_VERSION}, \
             to_regnamespace({schema}) IS NULL \
             AND current_setting('default_transaction_isolation') = 'read committed', \
             (SELECT coalesce(substring(prosrc FROM {CHAIN_MARKER})::int, 0) FROM pg_proc WHERE oid = {chain}), \
             (SELECT prosrc = {body} FROM pg_proc WHERE oid = {chain})",
            schema = sql::literal(&format!("\"{}\"", self.schema)),
            chain = self.chain_oid(),
            body = sql::literal(&self.chain_function_body()),
        )))
        .fetch_one(conn)
        .await?;
        let exists: bool = row.try_get(0)?;
        self.known_to_exist.store(exists, Ordering::Relaxed);
        self.seen_absent.store(!exists, Ordering::Relaxed);
        self.has_down_checksum.store(row.try_get(1)?, Ordering::Relaxed);
        let tls: Option<String> = row.try_get(2)?;
        self.tls.get_or_init(|| tls);
        self.creatable_beside.store(row.try_get(3)?, Ordering::Relaxed);
        let version: Option<i32> = row.try_get(4)?;
        self.chain_version.store(version.unwrap_or(0), Ordering::Relaxed);
        let as_built: Option<bool> = row.try_get(5)?;
        self.chain_as_built.store(as_built.unwrap_or(false), Ordering::Relaxed);
        Ok(exists)
    }

    /// Whether another connection may create the ledger while this one
    /// works: as the last [`Ledger::exists`] found it when that found no
    /// ledger, else as the server says now. A `true` takes the "no ledger"
    /// answer, which [`Ledger::ensure`] would otherwise use.
    pub async fn creatable_beside(&self, conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
        if !self.seen_absent.load(Ordering::Relaxed) && self.exists(conn).await? {
            return Ok(false);
        }
        let beside = self.creatable_beside.load(Ordering::Relaxed);
        // Taken when the other connection is to create it; else left for `ensure`.
        if beside {
            self.seen_absent.store(false, Ordering::Relaxed);
        }
        Ok(beside)
    }

    /// Creates the schema, tables and guard trigger if missing. Callers hold the run lock.
    /// True when the transaction that made what was missing (and the log's
    /// guards) left the event log empty with its head at the start: a chain
    /// check would find nothing there.
    pub async fn ensure(&self, conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
        if !self.seen_absent.swap(false, Ordering::Relaxed) && self.exists(conn).await? {
            if !self.has_down_checksum.load(Ordering::Relaxed) {
                // A ledger of format 1: rows already there keep no down checksum,
                // and events already there stay before the chain.
                sqlx::raw_sql(AssertSqlSafe(self.format_2_ddl())).execute(&mut *conn).await?;
                self.has_down_checksum.store(true, Ordering::Relaxed);
                self.chain_made_here();
            }
            return Ok(false);
        }
        let s = &self.schema;
        // Created at format 2 in one transaction: a process killed here leaves
        // no ledger or a whole one. The events table has its chain columns from
        // the start, so the format-2 steps below find them and add nothing; its
        // guard triggers come with them. Every table is made here, by the
        // ledger's owner, who can then grant a runner its rights on each.
        let ddl = format!(
            r#"BEGIN;
CREATE SCHEMA IF NOT EXISTS "{s}";
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
    details           jsonb       NOT NULL DEFAULT '{{}}',
    prev_hash         text,
    hash              text
);
CREATE OR REPLACE FUNCTION "{s}".events_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION 'the vytal event log is append-only: % is not allowed', TG_OP;
END
$fn$;
{marks}
{format_2}
-- Tables made IF NOT EXISTS keep what was there (an events table whose
-- head was dropped, a head left behind by a dropped log): the log is new
-- only if this transaction leaves it empty with its head at the start.
SELECT NOT EXISTS (SELECT 1 FROM "{s}".events)
    AND coalesce((SELECT seq = 0 AND hash = '' FROM "{s}".events_head), false);
COMMIT;"#,
            marks = self.marks_ddl(),
            format_2 = self.format_2_steps(),
        );
        let rows = sqlx::raw_sql(AssertSqlSafe(ddl)).fetch_all(&mut *conn).await?;
        self.known_to_exist.store(true, Ordering::Relaxed);
        self.has_down_checksum.store(true, Ordering::Relaxed);
        self.chain_made_here();
        match rows.last() {
            Some(row) => row.try_get(0),
            None => Ok(false),
        }
    }

    /// Replaces a chain function an older build made (its guards have
    /// grown since) with this build's, and records so in the same
    /// transaction, the replaced source in the event. One a newer build
    /// made is left alone. Only the ledger's owner may replace it; anyone
    /// else is told so, and the command goes on with the function there is,
    /// which still chains every event.
    pub async fn bring_chain_up_to_date(&self, conn: &mut PgConnection, actor: &Actor, command: &str) {
        let found = self.chain_version.load(Ordering::Relaxed);
        let edited = found == CHAIN_VERSION && !self.chain_as_built.load(Ordering::Relaxed);
        if !self.known_to_exist.load(Ordering::Relaxed) || (found >= CHAIN_VERSION && !edited) {
            if found > CHAIN_VERSION {
                tracing::debug!(found, "the chain function is a newer build's; left as it is");
            }
            return;
        }
        let replaced = async {
            sqlx::raw_sql("BEGIN").execute(&mut *conn).await?;
            let (ddl, old) = self.chain_function_replacement(conn).await?;
            sqlx::raw_sql(AssertSqlSafe(ddl)).execute(&mut *conn).await?;
            let event = Event {
                kind: "upgrade",
                command,
                // One of this version that is not this build's was edited.
                outcome: if edited { "chain-function-restored" } else { "chain-function-replaced" },
                details: serde_json::json!({
                    "function": "events_chain",
                    "from_version": found,
                    "to_version": CHAIN_VERSION,
                    "replaced_source": old,
                }),
                ..Event::default()
            };
            self.record_event(conn, &event, actor).await?;
            sqlx::raw_sql("COMMIT").execute(&mut *conn).await
        }
        .await;
        match replaced {
            Ok(_) => {
                self.chain_made_here();
                tracing::info!(schema = %self.schema, from = found, to = CHAIN_VERSION, "replaced the event log's chain function with this build's");
            }
            Err(e) => {
                crate::exec::rollback(conn).await;
                tracing::warn!(
                    error = %e,
                    "the event log's chain function ({}.events_chain) is older than this build of vytal-host and could not be replaced; run a writing command (vytal-host run) as the ledger's owner to bring it up to date",
                    self.schema
                );
            }
        }
    }

    /// The chain's function as this build writes it, replacing the one
    /// there; one made to run as the ledger's owner (grant-runner) stays
    /// so: replaced plainly, it would run as the runner, who may not move
    /// the head, and the runner's events would be refused from then on.
    /// Run inside a transaction. Also returns the source it replaces.
    async fn chain_function_replacement(
        &self,
        conn: &mut PgConnection,
    ) -> Result<(String, Option<String>), sqlx::Error> {
        // One look at the function there: its source; whether it runs as
        // the owner, or needs to (a role besides the owner may insert
        // events, as grant-runner grants, even if the definer was switched
        // off); whether a newer build made it.
        let row = sqlx::raw_sql(AssertSqlSafe(format!(
            "SELECT p.prosrc, \
                    coalesce(p.prosecdef, false) OR EXISTS (SELECT 1 FROM pg_class c, aclexplode(c.relacl) a \
                        WHERE c.oid = {t}::regclass AND a.privilege_type = 'INSERT' AND a.grantee <> c.relowner), \
                    coalesce(substring(p.prosrc FROM {CHAIN_MARKER})::int, 0) > {CHAIN_VERSION} \
             FROM (SELECT 1) one LEFT JOIN pg_proc p ON p.oid = {chain}",
            t = sql::literal(&format!("\"{}\".events", self.schema)),
            chain = self.chain_oid(),
        )))
        .fetch_one(&mut *conn)
        .await?;
        let (old, definer, newer): (Option<String>, bool, bool) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let definer = if definer { self.chain_as_owner_ddl() } else { String::new() };
        // A newer build's function stays; only who may call it and as whom is set.
        let function = if newer {
            format!(r#"REVOKE ALL ON FUNCTION "{}".events_chain() FROM PUBLIC;"#, self.schema)
        } else {
            self.chain_function_ddl()
        };
        Ok((format!("{function}\n{definer}"), old))
    }

    /// The chain's function as an oid expression (NULL if there is none).
    fn chain_oid(&self) -> String {
        format!("to_regprocedure({})", sql::literal(&format!("\"{}\".events_chain()", self.schema)))
    }

    /// Format 2: the down checksum, and the event log as a hash chain. Each
    /// event's `hash` covers its content and the hash before it; a trigger
    /// computes it at INSERT, with the last hash kept in `events_head`, whose
    /// row lock makes writers take turns until they commit. Idempotent.
    fn format_2_ddl(&self) -> String {
        format!("BEGIN;\n{}\nCOMMIT;", self.format_2_steps())
    }

    /// The steps of [`Ledger::format_2_ddl`], to run inside a transaction.
    fn format_2_steps(&self) -> String {
        let s = &self.schema;
        format!(
            r#"COMMENT ON SCHEMA "{s}" IS 'vytal migration ledger (format 2): applied migrations and the append-only, hash-chained event log';
ALTER TABLE "{s}".migrations ADD COLUMN IF NOT EXISTS down_checksum text;
ALTER TABLE "{s}".events ADD COLUMN IF NOT EXISTS prev_hash text, ADD COLUMN IF NOT EXISTS hash text;
CREATE TABLE IF NOT EXISTS "{s}".events_head (
    one   boolean PRIMARY KEY DEFAULT true CHECK (one),
    seq   bigint  NOT NULL,
    hash  text    NOT NULL
);
COMMENT ON TABLE "{s}".events_head IS 'the last event''s hash; export it with vytal-host history --head and keep it elsewhere';
CREATE INDEX IF NOT EXISTS events_acknowledged ON "{s}".events (seq) WHERE kind = 'acknowledge';
INSERT INTO "{s}".events_head (seq, hash)
    SELECT coalesce(max(seq), 0), '' FROM "{s}".events ON CONFLICT (one) DO NOTHING;
{chain}
{guards}
{foreign}
"#,
            chain = self.chain_function_ddl(),
            guards = self.guards_ddl(),
            foreign = self.foreign_ddl()
        )
    }

    /// The function behind `events_chain`: the event's hash after the head's.
    /// Nobody may call it but the trigger (a trigger fires without the
    /// privilege): run as the owner, it could otherwise move the head from
    /// a trigger on a table of the caller's own.
    fn chain_function_ddl(&self) -> String {
        format!(
            r#"CREATE OR REPLACE FUNCTION "{s}".events_chain() RETURNS trigger LANGUAGE plpgsql AS $fn${}$fn$;
REVOKE ALL ON FUNCTION "{s}".events_chain() FROM PUBLIC;"#,
            self.chain_function_body(),
            s = self.schema,
        )
    }

    /// The body of the chain's function, as `pg_proc.prosrc` keeps it.
    fn chain_function_body(&self) -> String {
        let s = &self.schema;
        let hash = event_hash("head.hash", "NEW");
        format!(
            r#"
-- vytal chain function, version {CHAIN_VERSION}
DECLARE
    head record;
BEGIN
    IF TG_TABLE_NAME <> 'events' OR TG_TABLE_SCHEMA <> '{s}' THEN
        RAISE EXCEPTION 'the vytal chain function serves {s}.events alone, not %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME;
    END IF;
    SELECT seq, hash INTO head FROM "{s}".events_head FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the vytal event log''s head ({s}.events_head) is missing or not visible to this transaction, so the event cannot be chained; run vytal-host verify to see what happened, then vytal-host history --acknowledge';
    END IF;
    -- Where the chain starts (a new ledger, one of format 1, an
    -- acknowledged break), an event written past the head with the trigger
    -- off would look older than the chain once this one follows it. Further
    -- on, such an event shows without help: a hashed event comes before it.
    -- Nested, so the usual event plans no query for it.
    IF head.hash = '' THEN
        IF EXISTS (SELECT 1 FROM "{s}".events WHERE seq > head.seq AND hash IS NULL) THEN
            RAISE EXCEPTION 'the vytal event log has events after its head (event %) with no hash: they were written with the chain trigger off, and chaining onto them would hide them; run vytal-host verify to see them, then vytal-host history --acknowledge', head.seq;
        END IF;
    END IF;
    NEW.prev_hash := head.hash;
    NEW.hash := {hash};
    UPDATE "{s}".events_head SET seq = NEW.seq, hash = NEW.hash;
    RETURN NEW;
END
"#
        )
    }

    /// Makes the chain's function run as the ledger's owner, whoever
    /// inserts the event, so that a runner (grant-runner) can move the head
    /// it may not write itself.
    fn chain_as_owner_ddl(&self) -> String {
        format!(
            r#"ALTER FUNCTION "{}".events_chain() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;"#,
            self.schema
        )
    }

    /// The triggers that guard the event log, dropped and created again.
    fn guards_ddl(&self) -> String {
        let s = &self.schema;
        format!(
            r#"DROP TRIGGER IF EXISTS events_chain ON "{s}".events;
CREATE TRIGGER events_chain BEFORE INSERT ON "{s}".events
    FOR EACH ROW EXECUTE FUNCTION "{s}".events_chain();
DROP TRIGGER IF EXISTS events_append_only ON "{s}".events;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON "{s}".events
    FOR EACH ROW EXECUTE FUNCTION "{s}".events_append_only();
DROP TRIGGER IF EXISTS events_no_truncate ON "{s}".events;
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON "{s}".events
    FOR EACH STATEMENT EXECUTE FUNCTION "{s}".events_append_only();"#
        )
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

    /// Whether the ledger schema has the table `name` (tables added after
    /// format 1 exist only once a writing command has made them).
    async fn has_table(&self, conn: &mut PgConnection, name: &str) -> Result<bool, sqlx::Error> {
        let table = sql::literal(&format!("\"{}\".{name}", self.schema));
        sqlx::raw_sql(AssertSqlSafe(format!("SELECT to_regclass({table}) IS NOT NULL")))
            .fetch_one(conn)
            .await?
            .try_get(0)
    }

    /// Whether the database is marked as production (`vytal-host mark production`).
    pub async fn is_production(&self, conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
        let exists = self.has_table(conn, "marks").await?;
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
        let exists = self.has_table(conn, "marks").await?;
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

    /// What is wrong with the event log's chain and its guards, first break
    /// first. `whole` checks every event (verify); otherwise the guards, the
    /// head and the last [`TAIL`] events (what a writing command checks before
    /// it writes, at a cost that does not grow with the log). Breaks at or
    /// before an `acknowledge` event's `through_seq` come back acknowledged.
    pub async fn chain_problems(&self, conn: &mut PgConnection, whole: bool) -> Result<Vec<ChainProblem>, sqlx::Error> {
        if !self.exists(conn).await? {
            return Ok(Vec::new());
        }
        if !self.has_down_checksum.load(Ordering::Relaxed) {
            return Ok(vec![ChainProblem {
                seq: None,
                what: "the event log is not hash-chained yet (a ledger of format 1); the next `vytal-host run` adds the chain".to_owned(),
                acknowledged: true,
            }]);
        }
        // One statement: one snapshot of the events and their head.
        self.chain_problems_in(conn, whole).await
    }

    async fn chain_problems_in(&self, conn: &mut PgConnection, whole: bool) -> Result<Vec<ChainProblem>, sqlx::Error> {
        let s = &self.schema;
        let from =
            if whole { "0".to_owned() } else { format!("(SELECT coalesce(max(seq), 0) - {TAIL} FROM \"{s}\".events)") };
        // One statement, one round trip: the acknowledgements, the guards, the
        // events that break the chain (in the tail, the first event's
        // predecessor is outside the window, unless the window starts the
        // log: then, as in a whole check, it must follow no event), and the
        // head against the last event.
        // An event may lack a hash only if it was written before the chain
        // began: no hashed event before it, and not past the head, which
        // starts at the last event a ledger of format 1 had and moves with
        // every chained event.
        // Sent as a simple query: a process runs it once, so preparing it would
        // cost a round trip and a plan that is never used again.
        let row = sqlx::raw_sql(AssertSqlSafe(format!(
            "WITH chain AS ( \
               SELECT seq, hash IS NULL AS unhashed, coalesce(hash = {intact}, false) AS intact, \
                      coalesce(prev_hash = lag(hash) OVER w OR (lag(hash) OVER w IS NULL AND prev_hash = ''), false) AS linked, \
                      coalesce(bool_or(hash IS NOT NULL) OVER (ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), false) AS chained_before, \
                      seq = min(seq) OVER () AND seq > (SELECT min(f.seq) FROM \"{s}\".events f) AS first, \
                      coalesce(seq > (SELECT h.seq FROM \"{s}\".events_head h), false) AS past_head \
               FROM \"{s}\".events e WHERE seq >= {from} WINDOW w AS (ORDER BY seq)) \
             SELECT \
               (SELECT coalesce(max((details->>'through_seq')::bigint), 0) FROM \"{s}\".events WHERE kind = 'acknowledge'), \
               (SELECT json_agg(json_build_array(t.name, tg.tgenabled::text) ORDER BY t.name) \
                  FROM unnest(ARRAY['events_append_only', 'events_no_truncate', 'events_chain']) AS t(name) \
                  LEFT JOIN pg_trigger tg ON tg.tgrelid = '\"{s}\".events'::regclass AND tg.tgname = t.name)::text, \
               (SELECT coalesce(json_agg(json_build_array(seq, unhashed, intact, linked, chained_before) ORDER BY seq), '[]') \
                  FROM chain WHERE (unhashed AND (chained_before OR past_head)) OR (NOT unhashed AND NOT intact) \
                     OR (NOT unhashed AND NOT linked AND ({whole} OR NOT first)))::text, \
               (SELECT json_build_array(h.seq, h.hash) FROM \"{s}\".events_head h)::text, \
               (SELECT json_build_array(seq, hash) FROM \"{s}\".events ORDER BY seq DESC LIMIT 1)::text",
            intact = event_hash("e.prev_hash", "e"),
        )))
        .fetch_one(&mut *conn)
        .await?;
        let decode = |i: usize| -> Result<serde_json::Value, sqlx::Error> {
            let text: Option<String> = row.try_get(i)?;
            Ok(text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(serde_json::Value::Null))
        };
        let acknowledged: i64 = row.try_get(0)?;
        let (guards, breaks, head, last) = (decode(1)?, decode(2)?, decode(3)?, decode(4)?);
        let mut out = Vec::new();
        for guard in guards.as_array().into_iter().flatten() {
            let name = guard[0].as_str().unwrap_or_default();
            let what = match guard[1].as_str() {
                None => format!("the trigger {name} on {s}.events is missing: the log is not protected"),
                Some("D") => format!("the trigger {name} on {s}.events is disabled: the log is not protected"),
                Some(_) => continue,
            };
            out.push(ChainProblem { seq: None, what, acknowledged: false });
        }
        for b in breaks.as_array().into_iter().flatten() {
            let seq = b[0].as_i64().unwrap_or_default();
            let what = if b[1].as_bool() == Some(true) {
                format!("event {seq} has no hash: it was written while the chain trigger was off")
            } else if b[2].as_bool() == Some(false) {
                format!("event {seq} does not match its hash: it was edited after it was written")
            } else {
                format!(
                    "event {seq} does not follow the event before it: events were deleted before it, or the log was reordered"
                )
            };
            let acknowledged = seq <= acknowledged;
            out.push(ChainProblem { seq: Some(seq), what, acknowledged });
            // An acknowledged break is on the record; look on for the next one.
            if !acknowledged {
                break;
            }
        }
        let (last_seq, last_hash) = (last[0].as_i64(), last[1].as_str());
        match (head[0].as_i64(), head[1].as_str()) {
            (None, _) | (_, None) => out.push(ChainProblem {
                seq: None,
                what: format!("{s}.events_head is empty: the chain's head was deleted"),
                acknowledged: false,
            }),
            (Some(head_seq), Some(head_hash))
                if last_hash.is_some_and(|h| h != head_hash)
                    || (last_seq.is_none() && head_seq > 0)
                    // An unhashed last event: only a ledger just upgraded
                    // from format 1 has one, with the head on it and no hash.
                    || (last_seq.is_some() && last_hash.is_none() && (last_seq != Some(head_seq) || !head_hash.is_empty())) =>
            {
                out.push(ChainProblem {
                    seq: last_seq,
                    what: format!(
                        "the chain's head is event {head_seq}, but the last event is {}: events after it were deleted, or the head was changed",
                        last_seq.map_or_else(|| "none".to_owned(), |n| n.to_string())
                    ),
                    acknowledged: false,
                })
            }
            _ => {}
        }
        Ok(out)
    }

    /// Where the ledger and the event log disagree: a ledger row that no event
    /// recorded (or with another checksum than the event that did), a
    /// migration the log says is applied that has no ledger row, and a
    /// foreign object no `foreign` event acknowledged with its reason.
    pub async fn disagreements(&self, conn: &mut PgConnection) -> Result<Vec<(String, String)>, sqlx::Error> {
        if !self.exists(conn).await? {
            return Ok(Vec::new());
        }
        let s = &self.schema;
        let mut out: Vec<(String, String)> = sqlx::query_as(AssertSqlSafe(format!(
            "WITH latest AS ( \
               SELECT DISTINCT ON (module, migration) module, migration, seq, outcome, details->>'checksum' AS checksum \
               FROM \"{s}\".events \
               WHERE kind IN ('migration', 'rollback') AND outcome IN ('applied', 'adopted', 'repaired', 'rolled-back') AND module IS NOT NULL \
               ORDER BY module, migration, seq DESC) \
             SELECT coalesce(m.module, l.module) || '/' || coalesce(m.id, l.migration), \
                    CASE \
                      WHEN m.module IS NULL THEN format('event %s records it %s, but it has no ledger row and no event rolled it back: the row was deleted outside vytal-host', l.seq, l.outcome) \
                      WHEN l.seq IS NULL THEN 'its ledger row was recorded by no event: it was written outside vytal-host' \
                      WHEN l.outcome = 'rolled-back' THEN format('event %s records it rolled back, yet it has a ledger row: the row was written outside vytal-host', l.seq) \
                      ELSE format('its ledger row has checksum %s, but event %s recorded %s: the row was edited', m.checksum, l.seq, l.checksum) \
                    END \
             FROM \"{s}\".migrations m FULL JOIN latest l ON l.module = m.module AND l.migration = m.id \
             WHERE (m.module IS NULL AND l.outcome IN ('applied', 'adopted', 'repaired')) \
                OR (m.module IS NOT NULL AND (l.seq IS NULL OR l.outcome = 'rolled-back' OR l.checksum IS DISTINCT FROM m.checksum)) \
             ORDER BY 1"
        )))
        .fetch_all(&mut *conn)
        .await?;
        // Acknowledged foreign objects hide drift: each row must be one an event recorded, reason and all.
        let foreign = self.has_table(conn, "foreign_objects").await?;
        if foreign {
            let rows: Vec<(String, String)> = sqlx::query_as(AssertSqlSafe(format!(
                "SELECT 'foreign ' || f.kind || ' ' || f.object, \
                        'recorded as foreign, but no event acknowledged it with this reason: the row was written or edited outside vytal-host; find out who, delete the row, and acknowledge the object again with adopt --acknowledge-foreign if it belongs' \
                 FROM \"{s}\".foreign_objects f \
                 WHERE NOT EXISTS (SELECT 1 FROM \"{s}\".events e WHERE e.kind = 'foreign' AND e.outcome = 'acknowledged' \
                   AND e.details->'objects' ? (f.kind || ' ' || f.object) AND e.details->>'reason' = f.reason) \
                 ORDER BY 1"
            )))
            .fetch_all(&mut *conn)
            .await?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// The chain's head as stored: the last event's number and hash.
    pub async fn head(&self, conn: &mut PgConnection) -> Result<Option<(i64, String)>, sqlx::Error> {
        if !self.exists(conn).await? || !self.has_down_checksum.load(Ordering::Relaxed) {
            return Ok(None);
        }
        sqlx::query_as(AssertSqlSafe(format!("SELECT seq, hash FROM \"{}\".events_head", self.schema)))
            .fetch_optional(conn)
            .await
    }

    /// The hash event `seq` has now, if it exists.
    pub async fn hash_of(&self, conn: &mut PgConnection, seq: i64) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar(AssertSqlSafe(format!("SELECT hash FROM \"{}\".events WHERE seq = $1", self.schema)))
            .bind(seq)
            .fetch_optional(conn)
            .await
            .map(Option::flatten)
    }

    /// Takes the chain up again after a break an operator has looked into:
    /// the head moves to the last event, and the next event, this
    /// acknowledgement, links to it and names every event up to it.
    pub async fn acknowledge(
        &self,
        conn: &mut PgConnection,
        reason: &str,
        found: &[ChainProblem],
        actor: &Actor,
        command: &str,
    ) -> Result<i64, sqlx::Error> {
        let s = &self.schema;
        sqlx::raw_sql("BEGIN").execute(&mut *conn).await?;
        let result = async {
            let (chain, _) = self.chain_function_replacement(conn).await?;
            // The guards as they should be, whatever was done to them.
            let functions = format!(
                r#"CREATE OR REPLACE FUNCTION "{s}".events_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION 'the vytal event log is append-only: % is not allowed', TG_OP;
END
$fn$;"#
            );
            sqlx::raw_sql(AssertSqlSafe(format!("{functions}\n{chain}\n{}", self.guards_ddl())))
                .execute(&mut *conn)
                .await?;
            let through: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
                "INSERT INTO \"{s}\".events_head (seq, hash) \
                   SELECT coalesce(max(seq), 0), coalesce((SELECT hash FROM \"{s}\".events ORDER BY seq DESC LIMIT 1), '') FROM \"{s}\".events \
                 ON CONFLICT (one) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash \
                 RETURNING seq"
            )))
            .fetch_one(&mut *conn)
            .await?;
            let event = Event {
                kind: "acknowledge",
                command,
                outcome: "acknowledged",
                details: serde_json::json!({
                    "reason": reason,
                    "through_seq": through,
                    "found": found.iter().map(|p| &p.what).collect::<Vec<_>>(),
                }),
                ..Event::default()
            };
            self.record_event(conn, &event, actor).await?;
            Ok::<_, sqlx::Error>(through)
        }
        .await;
        match result {
            Ok(through) => {
                sqlx::raw_sql("COMMIT").execute(&mut *conn).await?;
                Ok(through)
            }
            Err(e) => {
                crate::exec::rollback(conn).await;
                Err(e)
            }
        }
    }

    /// Lets `role` run migrations and append to the event log, without owning
    /// the ledger: it may read and write ledger rows and insert events, but not
    /// change or delete events, switch off their triggers, or move the chain's
    /// head (the chain's trigger runs as the owner). Run as the ledger's owner.
    pub async fn grant_runner(&self, conn: &mut PgConnection, role: &str) -> Result<(), sqlx::Error> {
        let s = &self.schema;
        let r = format!("\"{}\"", role.replace('"', "\"\""));
        let ddl = format!(
            r#"BEGIN;
{as_owner}
REVOKE ALL ON ALL TABLES IN SCHEMA "{s}" FROM {r};
GRANT USAGE ON SCHEMA "{s}" TO {r};
GRANT SELECT, INSERT, DELETE ON "{s}".migrations TO {r};
GRANT SELECT, INSERT ON "{s}".events TO {r};
GRANT SELECT ON "{s}".events_head TO {r};
GRANT SELECT, INSERT, DELETE ON "{s}".marks TO {r};
{foreign}
GRANT SELECT ON "{s}".foreign_objects TO {r};
COMMIT;"#,
            as_owner = self.chain_as_owner_ddl(),
            foreign = self.foreign_ddl()
        );
        let done = sqlx::raw_sql(AssertSqlSafe(ddl)).execute(&mut *conn).await;
        if done.is_err() {
            crate::exec::rollback(conn).await;
        }
        done.map(|_| ())
    }

    /// Every applied migration, in the order applied (to the microsecond),
    /// with or without its stored down SQL. An absent ledger means none.
    pub async fn applied(&self, conn: &mut PgConnection, downs: Downs) -> Result<Vec<AppliedRow>, sqlx::Error> {
        if !self.exists(conn).await? {
            return Ok(Vec::new());
        }
        let down_sql = match downs {
            Downs::Read => "down_sql",
            Downs::Skip => "NULL::text",
        };
        // A ledger of format 1 has no down_checksum column until a writing
        // command adds it; the row as JSON reads it either way, but would
        // carry the down SQL, so it is used only then.
        let down_checksum = if self.has_down_checksum.load(Ordering::Relaxed) {
            "down_checksum"
        } else {
            "to_jsonb(m) ->> 'down_checksum'"
        };
        let rows = sqlx::raw_sql(AssertSqlSafe(format!(
            "SELECT module, id, name, module_version, checksum, {down_sql}, \
             to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), \
             {down_checksum}, \
             applied_by_db || ' (' || applied_by_os || '@' || applied_by_host || ')', duration_ms \
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
                    applied_by: r.try_get(8)?,
                    duration_ms: r.try_get(9)?,
                })
            })
            .collect()
    }

    /// Records a migration whose objects already existed (`adopt`): the row, and an `adopted` event.
    pub async fn record_adopted(
        &self,
        conn: &mut PgConnection,
        m: &PlannedMigration,
        actor: &Actor,
        command: &str,
    ) -> Result<(), sqlx::Error> {
        let sql = self.record_sql(&[(m, 0.0)], actor, command, "adopted");
        sqlx::raw_sql(AssertSqlSafe(sql)).execute(conn).await?;
        Ok(())
    }

    /// The statement that records `m` as applied, after `duration_ms`: its
    /// ledger row and its `migration` event. The executor sends it right
    /// after the migration's statements, in the same transaction.
    pub fn applied_sql(&self, m: &PlannedMigration, actor: &Actor, command: &str, duration_ms: f64) -> String {
        self.record_sql(&[(m, duration_ms)], actor, command, "applied")
    }

    /// The statement that records every migration of `done` as applied, in
    /// that order, with how long each took: `run --atomic` records the
    /// whole run at its end, inside its one transaction.
    pub fn applied_all_sql(&self, done: &[(&PlannedMigration, f64)], actor: &Actor, command: &str) -> String {
        self.record_sql(done, actor, command, "applied")
    }

    /// One statement for the ledger rows of `done` and their `migration`
    /// events with `outcome`, in the order given. Rows recorded together
    /// are at least a microsecond apart (`applied_at` is the order applied,
    /// and the clock alone could give two rows the same time); the events
    /// are chained in the same order by their trigger.
    fn record_sql(&self, done: &[(&PlannedMigration, f64)], actor: &Actor, command: &str, outcome: &str) -> String {
        let s = &self.schema;
        let l = sql::literal;
        let rows: Vec<String> = done
            .iter()
            .enumerate()
            .map(|(n, (m, duration_ms))| {
                format!(
                    "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, clock_timestamp() + {n} * interval '1 microsecond')",
                    l(&m.module),
                    l(&m.id),
                    l(&m.name),
                    l(&m.version.to_string()),
                    l(&m.checksum),
                    l(&m.down),
                    l(&actor.os_user),
                    l(&actor.host),
                    sql::float_literal(*duration_ms),
                    l(&sql::checksum(&m.down)),
                )
            })
            .collect();
        let events: Vec<String> = done
            .iter()
            .map(|(m, duration_ms)| {
                let event = Event {
                    kind: "migration",
                    command,
                    outcome,
                    module: Some(&m.module),
                    migration: Some(&m.id),
                    duration_ms: *duration_ms,
                    details: serde_json::json!({
                        "name": m.name, "module_version": m.version.to_string(), "checksum": m.checksum,
                    }),
                    ..Event::default()
                };
                self.event_values(&event, actor)
            })
            .collect();
        format!(
            "WITH row AS (INSERT INTO \"{s}\".migrations \
               (module, id, name, module_version, checksum, down_sql, applied_by_os, applied_by_host, duration_ms, down_checksum, applied_at) \
               VALUES {}) \
             {}{}",
            rows.join(", "),
            event_insert(s),
            events.join(", "),
        )
    }

    /// Sets a row's checksum and module version to this build's (`repair`),
    /// inside the caller's transaction; the row must still hold `previous`.
    pub async fn repair(
        &self,
        conn: &mut PgConnection,
        module: &str,
        id: &str,
        previous: &str,
        checksum: &str,
        version: &str,
    ) -> Result<(), sqlx::Error> {
        let done = sqlx::query(AssertSqlSafe(format!(
            "UPDATE \"{}\".migrations SET checksum = $4, module_version = $5 WHERE module = $1 AND id = $2 AND checksum = $3",
            self.schema
        )))
        .bind(module)
        .bind(id)
        .bind(previous)
        .bind(checksum)
        .bind(version)
        .execute(conn)
        .await?;
        if done.rows_affected() == 1 { Ok(()) } else { Err(sqlx::Error::RowNotFound) }
    }

    /// The table of foreign objects: objects no migration creates that an
    /// operator has said belong in the database (`adopt --acknowledge-foreign`).
    fn foreign_ddl(&self) -> String {
        format!(
            r#"CREATE TABLE IF NOT EXISTS "{s}".foreign_objects (
    kind        text        NOT NULL,
    object      text        NOT NULL,
    reason      text        NOT NULL,
    found       text,
    acknowledged_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    acknowledged_by text     NOT NULL,
    PRIMARY KEY (kind, object)
);
COMMENT ON TABLE "{s}".foreign_objects IS 'objects no migration creates, acknowledged by an operator: vytal-host verify shows them as notes, not drift';"#,
            s = self.schema
        )
    }

    /// The acknowledged foreign objects, as (kind, object); none when never recorded.
    pub async fn foreign_objects(&self, conn: &mut PgConnection) -> Result<Vec<(String, String)>, sqlx::Error> {
        let exists = self.has_table(conn, "foreign_objects").await?;
        if !exists {
            return Ok(Vec::new());
        }
        sqlx::query_as(AssertSqlSafe(format!(
            "SELECT kind, object FROM \"{}\".foreign_objects ORDER BY kind, object",
            self.schema
        )))
        .fetch_all(conn)
        .await
    }

    /// Records `objects` (kind, object, what is there) as foreign with
    /// `reason`, and one event naming them, inside the caller's transaction.
    pub async fn acknowledge_foreign(
        &self,
        conn: &mut PgConnection,
        objects: &[(String, String, Option<String>)],
        reason: &str,
        actor: &Actor,
        command: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(AssertSqlSafe(self.foreign_ddl())).execute(&mut *conn).await?;
        let who = format!("{}@{}", actor.os_user, actor.host);
        for (kind, object, found) in objects {
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO \"{}\".foreign_objects (kind, object, reason, found, acknowledged_by) \
                 VALUES ($1, $2, $3, $4, current_user || ' (' || $5 || ')') \
                 ON CONFLICT (kind, object) DO UPDATE SET reason = EXCLUDED.reason, found = EXCLUDED.found, \
                   acknowledged_at = EXCLUDED.acknowledged_at, acknowledged_by = EXCLUDED.acknowledged_by",
                self.schema
            )))
            .bind(kind)
            .bind(object)
            .bind(reason)
            .bind(found)
            .bind(&who)
            .execute(&mut *conn)
            .await?;
        }
        let listed: Vec<String> = objects.iter().map(|(k, o, _)| format!("{k} {o}")).collect();
        let event = Event {
            kind: "foreign",
            command,
            outcome: "acknowledged",
            details: serde_json::json!({ "objects": listed, "reason": reason }),
            ..Event::default()
        };
        self.record_event(conn, &event, actor).await
    }

    /// The statement that deletes the ledger row of `module`/`id`.
    pub fn forget_sql(&self, module: &str, id: &str) -> String {
        format!(
            "DELETE FROM \"{}\".migrations WHERE module = {} AND id = {}",
            self.schema,
            sql::literal(module),
            sql::literal(id)
        )
    }

    /// Appends an event in its own statement (autocommit unless the caller is in a transaction).
    pub async fn record_event(&self, conn: &mut PgConnection, e: &Event<'_>, actor: &Actor) -> Result<(), sqlx::Error> {
        let sql = self.event_sql(e, actor);
        sqlx::raw_sql(AssertSqlSafe(sql)).execute(conn).await?;
        Ok(())
    }

    /// The statement that appends `e`. Every value is a literal
    /// ([`sql::literal`]), so the statement goes as a simple query, in one
    /// round trip, whatever the session's settings.
    pub fn event_sql(&self, e: &Event<'_>, actor: &Actor) -> String {
        format!("{}{}", event_insert(&self.schema), self.event_values(e, actor))
    }

    /// The row of `e` for [`event_insert`], in parentheses.
    fn event_values(&self, e: &Event<'_>, actor: &Actor) -> String {
        let l = sql::literal;
        let details = if e.details.is_object() { e.details.to_string() } else { "{}".to_owned() };
        format!(
            "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}::jsonb || jsonb_build_object('tls', {}))",
            l(e.kind),
            l(e.command),
            l(e.outcome),
            sql::literal_or_null(e.module),
            sql::literal_or_null(e.migration),
            sql::literal_or_null(e.error),
            sql::float_literal(e.duration_ms),
            l(&actor.os_user),
            l(&actor.host),
            l(env!("CARGO_PKG_VERSION")),
            l(&details),
            match self.tls.get() {
                Some(version) => sql::literal_or_null(version.as_deref()),
                None => TLS_VERSION.to_owned(),
            },
        )
    }
}
