//! Plugins against a database: loading them (built-in and `--plugin` files)
//! and the PostgreSQL side of their `db-read` import.
//!
//! The sandbox itself lives in `vytal-plugin-runtime`; this file decides what
//! a plugin may see. A read is one statement that returns rows, wrapped as a
//! subquery (so DDL, writes and data-modifying CTEs cannot even parse),
//! inside the invocation's read-only transaction with a statement timeout,
//! and capped in rows and bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Column as _, Executor, Row, SqlSafeStr, Statement as _};
use vytal_plugin_runtime::{Batch, Db, Limits, Plugin, PluginError, Rows, Runtime, World};

use crate::copy;
use crate::manifest::PluginSettings;

/// The limits of an invocation, from the manifest's `[plugins]`.
pub(crate) fn limits(s: &PluginSettings) -> Limits {
    Limits {
        fuel: s.fuel,
        timeout: s.timeout,
        memory_bytes: s.memory_bytes,
        batch_rows: s.batch_rows,
        batch_bytes: s.batch_bytes,
    }
}

/// Where compiled plugins are cached: `VYTAL_PLUGIN_CACHE`, else the user's cache folder.
fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("VYTAL_PLUGIN_CACHE").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("vytal").join("plugins"))
}

/// The process's one plugin runtime (one wasmtime engine), started on first use.
pub(crate) fn runtime() -> Result<&'static Runtime<PgDb>, PluginError> {
    static RUNTIME: OnceLock<Result<Runtime<PgDb>, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| Runtime::new(cache_dir()).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| PluginError::Engine(e.clone()))
}

/// Loads a plugin file given on the command line, which must be built for `world`.
pub(crate) async fn load_file(path: &Path, world: World) -> Result<Plugin<PgDb>, PluginError> {
    let wasm = std::fs::read(path).map_err(|source| PluginError::Read { path: path.to_owned(), source })?;
    expect(runtime()?.load(&path.display().to_string(), &wasm).await?, world)
}

/// Loads a plugin the build carries for `module`.
pub(crate) async fn load_builtin(module: &str, world: World, wasm: &[u8]) -> Result<Plugin<PgDb>, PluginError> {
    let kind = match world {
        World::Seeder => "seed",
        World::Verifier => "verify",
    };
    expect(runtime()?.load(&format!("{module}/{kind} (built in)"), wasm).await?, world)
}

fn expect(plugin: Plugin<PgDb>, world: World) -> Result<Plugin<PgDb>, PluginError> {
    if plugin.world() == world {
        return Ok(plugin);
    }
    Err(PluginError::WrongWorld {
        plugin: plugin.name().to_owned(),
        found: plugin.world().as_str(),
        expected: world.as_str(),
    })
}

/// Completes a plugin's batch before it is checked: adds the columns it left out.
pub(crate) type Fill = Box<dyn FnMut(&mut Batch) -> Result<(), String> + Send>;

/// Encoded rows of one table waiting for their COPY.
struct Pending {
    table: String,
    /// The COPY statement (it names the columns).
    sql: String,
    /// Rows in binary COPY form, without header and end marker.
    body: Vec<u8>,
}

/// Writes are held back up to this many bytes, then sent: a COPY per table
/// rather than per batch, since each COPY's end waits out TCP's delayed ACK
/// (about 40 ms), while memory stays bounded.
const PENDING_BYTES: usize = 4 << 20;

/// What a seeder may write: its module's tables, and what it has written so far.
pub(crate) struct WriteScope {
    module: String,
    tables: BTreeSet<String>,
    shapes: BTreeMap<String, copy::Shape>,
    fill: Option<Fill>,
    /// Batches checked and encoded, not yet sent.
    pending: Vec<Pending>,
    pending_bytes: usize,
    /// Tables in the order the plugin first wrote them (parents before
    /// children): held-back rows are sent in this order, flush after flush.
    order: Vec<String>,
    /// Rows written, per table.
    pub(crate) written: BTreeMap<String, u64>,
    /// The first batch the host refused; the invocation fails on it even if the plugin carried on.
    pub(crate) refused: Option<String>,
}

impl WriteScope {
    /// Writes into `tables`, the tables `module`'s migrations create.
    pub(crate) fn new(module: &str, tables: BTreeSet<String>) -> Self {
        WriteScope {
            module: module.to_owned(),
            tables,
            shapes: BTreeMap::new(),
            fill: None,
            pending: Vec::new(),
            pending_bytes: 0,
            order: Vec::new(),
            written: BTreeMap::new(),
            refused: None,
        }
    }

    /// The host fills what the plugin's batches leave out with `fill`.
    pub(crate) fn with_filler(mut self, fill: Fill) -> Self {
        self.fill = Some(fill);
        self
    }
}

impl std::fmt::Debug for WriteScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteScope")
            .field("module", &self.module)
            .field("tables", &self.tables)
            .field("written", &self.written)
            .field("refused", &self.refused)
            .finish_non_exhaustive()
    }
}

/// A plugin's database: one connection, inside the invocation's transaction.
/// Without a [`WriteScope`] (verifiers) every write is refused; with one
/// (seeders), reads run in a savepoint made read-only and rolled back, and
/// writes go by binary COPY into the scope's tables only.
#[derive(Debug)]
pub(crate) struct PgDb {
    conn: PgConnection,
    max_rows: usize,
    max_bytes: usize,
    /// Each read's statement timeout, in milliseconds.
    timeout_ms: u128,
    /// What it may write, when it may.
    pub(crate) scope: Option<WriteScope>,
}

impl PgDb {
    /// Wraps a connection whose transaction the caller opened (read-only for verifiers).
    pub(crate) fn new(conn: PgConnection, settings: &PluginSettings, scope: Option<WriteScope>) -> Self {
        PgDb {
            conn,
            max_rows: settings.batch_rows,
            max_bytes: settings.batch_bytes,
            timeout_ms: settings.statement_timeout.as_millis(),
            scope,
        }
    }

    /// The connection back.
    pub(crate) fn into_inner(self) -> PgConnection {
        self.conn
    }

    async fn read(&mut self, sql: &str, params: &[Option<String>]) -> Result<Rows, String> {
        let sql = sql.trim().trim_end_matches(';').trim_end();
        let prepared =
            (&mut self.conn).prepare(AssertSqlSafe(sql.to_owned()).into_sql_str()).await.map_err(|e| message(&e))?;
        let columns: Vec<String> = prepared.columns().iter().map(|c| c.name().to_owned()).collect();
        if columns.is_empty() {
            let verb = sql.split_whitespace().next().unwrap_or_default();
            return Err(format!(
                "db-read runs only statements that return rows (SELECT, VALUES, TABLE); `{verb}` is not one"
            ));
        }
        let aliases: Vec<String> = (1..=columns.len()).map(|i| format!("c{i}")).collect();
        let casts: Vec<String> = aliases.iter().map(|a| format!("{a}::text")).collect();
        let wrapped = format!(
            "SELECT {} FROM ({sql}\n) AS vytal_read({}) LIMIT {}",
            casts.join(", "),
            aliases.join(", "),
            self.max_rows + 1
        );
        let mut query = sqlx::query(AssertSqlSafe(wrapped));
        for p in params {
            query = query.bind(p.as_deref());
        }
        let fetched = query.fetch_all(&mut self.conn).await.map_err(|e| message(&e))?;
        if fetched.len() > self.max_rows {
            return Err(format!(
                "the query returned more than {} rows, the limit per read; aggregate in SQL or page with LIMIT and OFFSET",
                self.max_rows
            ));
        }
        let mut bytes = 0usize;
        let mut rows = Vec::with_capacity(fetched.len());
        for r in &fetched {
            let mut cells = Vec::with_capacity(columns.len());
            for i in 0..columns.len() {
                let cell: Option<String> = r.try_get(i).map_err(|e| message(&e))?;
                bytes += cell.as_ref().map_or(1, String::len);
                cells.push(cell);
            }
            if bytes > self.max_bytes {
                return Err(format!(
                    "the query returned more than {} bytes, the limit per read; select less",
                    self.max_bytes
                ));
            }
            rows.push(cells);
        }
        Ok(Rows { columns, rows })
    }

    async fn copy(&mut self, mut batch: Batch) -> Result<u64, String> {
        let Some(scope) = self.scope.as_mut() else {
            return Err(format!("writing to `{}` refused: this invocation may only read", batch.table));
        };
        if !scope.tables.contains(&batch.table) {
            return Err(format!(
                "writing to `{}` refused: a {} seeder writes only the tables its module's migrations create ({})",
                batch.table,
                scope.module,
                scope.tables.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        if !scope.shapes.contains_key(&batch.table) {
            let shape = copy::shape(&mut self.conn, &batch.table).await.map_err(|e| message(&e))?;
            let shape =
                shape.ok_or_else(|| format!("table `{}` does not exist; apply its migrations first", batch.table))?;
            scope.shapes.insert(batch.table.clone(), shape);
        }
        if let Some(fill) = scope.fill.as_mut() {
            fill(&mut batch).map_err(|e| format!("filling the columns `{}` leaves out: {e}", batch.table))?;
        }
        let (sql, bytes, rows) = copy::encode(&scope.shapes[&batch.table], &batch)?;
        let body = &bytes[copy::HEADER_LEN..bytes.len() - copy::TRAILER_LEN];
        if !scope.order.contains(&batch.table) {
            scope.order.push(batch.table.clone());
        }
        scope.pending_bytes += body.len();
        match scope.pending.iter_mut().find(|p| p.table == batch.table && p.sql == sql) {
            Some(p) => p.body.extend_from_slice(body),
            None => scope.pending.push(Pending { table: batch.table.clone(), sql, body: body.to_vec() }),
        }
        let rows = u64::try_from(rows).unwrap_or(u64::MAX);
        *scope.written.entry(batch.table.clone()).or_default() += rows;
        if scope.pending_bytes > PENDING_BYTES {
            self.flush().await?;
        }
        Ok(rows)
    }

    /// Sends the held-back rows, a COPY per table, parents first. A seeder's
    /// invocation ends with this; its errors name the table and row, and,
    /// like a refused batch, fail the invocation whatever the plugin does next.
    pub(crate) async fn flush(&mut self) -> Result<(), String> {
        let result = self.send_pending().await;
        if let (Err(e), Some(scope)) = (&result, self.scope.as_mut())
            && scope.refused.is_none()
        {
            scope.refused = Some(e.clone());
        }
        result
    }

    async fn send_pending(&mut self) -> Result<(), String> {
        let Some(scope) = self.scope.as_mut() else { return Ok(()) };
        let mut pending = std::mem::take(&mut scope.pending);
        scope.pending_bytes = 0;
        let order = &scope.order;
        pending.sort_by_key(|p| order.iter().position(|t| *t == p.table).unwrap_or(usize::MAX));
        for p in pending {
            tracing::debug!(table = %p.table, bytes = p.body.len(), "sending held-back rows");
            let mut copy = self.conn.copy_in_raw(&p.sql).await.map_err(|e| message(&e))?;
            // In pieces of at most 1 MiB: the driver's send buffer grows to the largest piece.
            let pieces = std::iter::once(copy::header())
                .chain(p.body.chunks(1 << 20).map(<[u8]>::to_vec))
                .chain(std::iter::once(copy::TRAILER.to_vec()));
            for piece in pieces {
                if let Err(e) = copy.send(piece).await {
                    let _ = copy.abort("the batch could not be sent").await;
                    return Err(message(&e));
                }
            }
            copy.finish().await.map_err(|e| format!("writing `{}`: {}", p.table, copy_message(&e)))?;
        }
        Ok(())
    }

    /// Whether a read may see rows still held back: its SQL names one of their tables.
    fn reads_pending(&self, sql: &str) -> bool {
        let sql = sql.to_ascii_lowercase();
        self.scope.as_ref().is_some_and(|s| s.pending.iter().any(|p| sql.contains(&p.table.to_ascii_lowercase())))
    }
}

fn message(e: &sqlx::Error) -> String {
    match e.as_database_error() {
        Some(d) => d.message().to_owned(),
        None => e.to_string(),
    }
}

/// A COPY error with PostgreSQL's context (`COPY medications, line 3, column dosage`).
pub(crate) fn copy_message(e: &sqlx::Error) -> String {
    let pg = e.as_database_error().and_then(|d| d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>());
    match pg {
        Some(p) => match p.r#where() {
            Some(w) => format!("{} ({w})", p.message()),
            None => p.message().to_owned(),
        },
        None => message(e),
    }
}

impl Db for PgDb {
    async fn query(&mut self, sql: String, params: Vec<Option<String>>) -> Result<Rows, String> {
        // A read that names a table with rows held back sees them.
        if self.reads_pending(&sql) {
            self.flush().await?;
        }
        // A failed read must not abort the invocation's transaction, and a seeder's
        // transaction is read-write: each read gets a read-only savepoint.
        let begin = format!(
            "SAVEPOINT vytal_read; SET LOCAL transaction_read_only = on; SET LOCAL statement_timeout = '{}ms'",
            self.timeout_ms
        );
        sqlx::raw_sql(AssertSqlSafe(begin)).execute(&mut self.conn).await.map_err(|e| message(&e))?;
        let rows = self.read(&sql, &params).await;
        // Whatever the read did, settings included, goes with the savepoint.
        sqlx::raw_sql("ROLLBACK TO SAVEPOINT vytal_read; RELEASE SAVEPOINT vytal_read")
            .execute(&mut self.conn)
            .await
            .map_err(|e| message(&e))?;
        rows
    }

    async fn write(&mut self, batch: Batch) -> Result<u64, String> {
        let result = self.copy(batch).await;
        if let (Err(e), Some(scope)) = (&result, self.scope.as_mut())
            && scope.refused.is_none()
        {
            scope.refused = Some(e.clone());
        }
        result
    }
}
