//! What one invocation's store holds, and the host side of the imports.
//!
//! A plugin's capabilities are exactly these implementations: a verifier's
//! linker has no db-write, and WASI (for `wasm32-wasip2` guests) grants
//! nothing: no environment, no arguments, no files, no network, and clocks
//! fixed at the Unix epoch.

use std::future::Future;
use std::time::Duration;

use wasmtime::StoreLimits;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::Limits;
use crate::bindings::v0_1_0::seeder::vytal::plugin::{db_read, db_write, log, rand, types};

pub use types::{Batch, Column, ColumnData, Finding, PluginInfo, Rows, SeedRequest, Severity};

/// The database side of a plugin's imports, provided by the host.
///
/// `query` must run in a read-only transaction with a statement timeout;
/// `write` must check the batch against the tables the plugin may write.
/// Both return a message for the plugin (and the operator) on refusal.
pub trait Db: Send + 'static {
    /// Runs one read-only query with text parameters.
    fn query(&mut self, sql: String, params: Vec<Option<String>>) -> impl Future<Output = Result<Rows, String>> + Send;
    /// Writes one batch; returns the rows written.
    fn write(&mut self, batch: Batch) -> impl Future<Output = Result<u64, String>> + Send;
}

/// One line a plugin logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// `debug`, `info`, `warn` or `error`.
    pub level: &'static str,
    /// The message.
    pub message: String,
}

/// The SDK's panic hook sends the panic message with this prefix.
const PANIC_PREFIX: &str = "panic: ";

pub(crate) struct State<D> {
    /// The database; `None` while only `describe` runs.
    pub(crate) db: Option<D>,
    pub(crate) plugin: String,
    pub(crate) limits: StoreLimits,
    pub(crate) budget: Limits,
    rng: SplitMix64,
    pub(crate) logs: Vec<LogLine>,
    pub(crate) panic: Option<String>,
    /// Set when the host refused a call (a batch too large, say) with a trap.
    pub(crate) refusal: Option<String>,
    wasi: WasiCtx,
    table: ResourceTable,
}

impl<D> State<D> {
    pub(crate) fn new(plugin: &str, db: Option<D>, budget: &Limits, seed: u64) -> Self {
        let limits = wasmtime::StoreLimitsBuilder::new()
            .memory_size(budget.memory_bytes)
            .instances(16)
            .tables(16)
            .memories(4)
            .trap_on_grow_failure(true)
            .build();
        let mut wasi = WasiCtxBuilder::new();
        wasi.wall_clock(FixedClock)
            .monotonic_clock(FixedClock)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .insecure_random_seed(u128::from(seed))
            .secure_random(wasmtime_wasi::Deterministic::new(seed.to_le_bytes().to_vec()))
            .insecure_random(wasmtime_wasi::Deterministic::new(seed.to_be_bytes().to_vec()));
        State {
            db,
            plugin: plugin.to_owned(),
            limits,
            budget: budget.clone(),
            rng: SplitMix64(seed),
            logs: Vec::new(),
            panic: None,
            refusal: None,
            wasi: wasi.build(),
            table: ResourceTable::new(),
        }
    }

    fn db(&mut self, what: &str) -> wasmtime::Result<&mut D> {
        match self.db.as_mut() {
            Some(db) => Ok(db),
            None => {
                let message = format!("it called {what} from `describe`, which must not touch the database");
                self.refusal = Some(message.clone());
                Err(wasmtime::Error::msg(message))
            }
        }
    }
}

/// Clocks that always read the Unix epoch: a plugin's output cannot depend on when it runs.
struct FixedClock;

impl HostWallClock for FixedClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FixedClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// A small, fast, seedable generator (SplitMix64): the same seed gives the same sequence everywhere.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl<D: Send + 'static> WasiView for State<D> {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl<D: Db> types::Host for State<D> {}

impl<D: Db> log::Host for State<D> {
    fn log(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        let level = match level {
            log::Level::Debug => "debug",
            log::Level::Info => "info",
            log::Level::Warn => "warn",
            log::Level::Error => "error",
        };
        if let Some(panic) = message.strip_prefix(PANIC_PREFIX) {
            self.panic = Some(panic.to_owned());
        }
        tracing::debug!(plugin = %self.plugin, level, "{message}");
        // A plugin that logs without end would grow the host's memory, which its limits do not count.
        if self.logs.len() < 10_000 {
            self.logs.push(LogLine { level, message });
        }
        Ok(())
    }
}

impl<D: Db> rand::Host for State<D> {
    fn next_u64(&mut self) -> wasmtime::Result<u64> {
        Ok(self.rng.next())
    }
}

impl<D: Db> db_read::Host for State<D> {
    async fn query(&mut self, sql: String, params: Vec<Option<String>>) -> wasmtime::Result<Result<Rows, String>> {
        Ok(self.db("db-read")?.query(sql, params).await)
    }
}

impl<D: Db> db_write::Host for State<D> {
    async fn write(&mut self, batch: Batch) -> wasmtime::Result<Result<u64, String>> {
        let rows = batch.columns.first().map_or(0, |c| column_len(&c.data));
        let bytes: usize = batch.columns.iter().map(|c| column_bytes(&c.data)).sum();
        if rows > self.budget.batch_rows || bytes > self.budget.batch_bytes {
            let message = format!(
                "it wrote a batch of {rows} rows and about {bytes} bytes to `{}`, over the limit of {} rows and {} bytes per batch; write smaller batches",
                batch.table, self.budget.batch_rows, self.budget.batch_bytes
            );
            self.refusal = Some(message.clone());
            return Err(wasmtime::Error::msg(message));
        }
        Ok(self.db("db-write")?.write(batch).await)
    }
}

/// Rows in a column.
pub fn column_len(c: &ColumnData) -> usize {
    match c {
        ColumnData::Boolean(v) => v.len(),
        ColumnData::Integer(v) | ColumnData::Timestamp(v) => v.len(),
        ColumnData::Float(v) => v.len(),
        ColumnData::Text(v) | ColumnData::Json(v) => v.len(),
        ColumnData::Uuid(v) => v.len(),
        ColumnData::Date(v) => v.len(),
        ColumnData::Bytes(v) => v.len(),
        ColumnData::TextArray(v) => v.len(),
        ColumnData::UuidArray(v) => v.len(),
    }
}

/// Roughly how many bytes a column carries.
fn column_bytes(c: &ColumnData) -> usize {
    match c {
        ColumnData::Boolean(v) => v.len(),
        ColumnData::Integer(v) | ColumnData::Timestamp(v) => v.len() * 8,
        ColumnData::Float(v) => v.len() * 8,
        ColumnData::Text(v) | ColumnData::Json(v) => v.iter().map(|s| s.as_ref().map_or(1, String::len)).sum(),
        ColumnData::Uuid(v) => v.len() * 16,
        ColumnData::Date(v) => v.len() * 4,
        ColumnData::Bytes(v) => v.iter().map(|b| b.as_ref().map_or(1, Vec::len)).sum(),
        ColumnData::TextArray(v) => v.iter().flatten().flatten().map(String::len).sum::<usize>() + v.len(),
        ColumnData::UuidArray(v) => v.iter().flatten().map(|a| a.len() * 16).sum::<usize>() + v.len(),
    }
}
