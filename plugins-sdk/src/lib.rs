//! Write vytal seed and verify plugins in Rust.
//!
//! A plugin is a WebAssembly component built for one of two worlds of the
//! `vytal:plugin` interface (`wit/v0.1.0/plugin.wit` in this crate):
//!
//! - a **verifier** checks its module's data: it may read (one SELECT at a
//!   time, in a read-only transaction) and log; it cannot write, because no
//!   write capability is linked into it;
//! - a **seeder** fills its module's tables: it may also write typed
//!   columnar batches into the tables its module's migrations created, and
//!   draw from the host's seeded random numbers.
//!
//! Enable the world with a feature (`features = ["verifier"]` or
//! `["seeder"]`), implement [`Verify`] or [`Seed`] on a type, and export it
//! with [`export_verifier!`] or [`export_seeder!`]. The SDK installs a panic
//! hook that sends the panic message to the host, so a crash shows up in
//! the host's error, not as an opaque trap.
//!
//! ```ignore
//! use vytal_plugins_sdk::{Finding, Info, Verify, query};
//!
//! struct NoOrphans;
//!
//! impl Verify for NoOrphans {
//!     fn info() -> Info {
//!         Info::new("medications-verify", env!("CARGO_PKG_VERSION"), "medications").reads(&["medications"])
//!     }
//!     fn verify() -> Result<Vec<Finding>, String> {
//!         let rows = query("SELECT count(*) FROM medications WHERE \"patientId\" IS NULL", &[])?;
//!         Ok(if rows.first_cell() == Some("0") { vec![] } else { vec![Finding::error("medications", "rows without a patient")] })
//!     }
//! }
//! vytal_plugins_sdk::export_verifier!(NoOrphans);
//! ```
//!
//! Build it with `cargo xtask plugin build PATH` (see the README beside this crate).

#[cfg(all(feature = "seeder", feature = "verifier"))]
compile_error!("enable exactly one of the `seeder` and `verifier` features: a plugin is built for one world");

pub mod values;

/// The interface version this SDK builds plugins for.
pub const WIT_VERSION: &str = "0.1.0";

/// Bindings of the seeder world (generated; use the SDK's own API instead).
#[cfg(feature = "seeder")]
#[doc(hidden)]
pub mod seeder {
    wit_bindgen::generate!({
        path: "wit/v0.1.0",
        world: "seeder",
        pub_export_macro: true,
        export_macro_name: "export_seeder_world",
        default_bindings_module: "vytal_plugins_sdk::seeder",
    });
}

/// Bindings of the verifier world (generated; use the SDK's own API instead).
#[cfg(feature = "verifier")]
#[doc(hidden)]
pub mod verifier {
    wit_bindgen::generate!({
        path: "wit/v0.1.0",
        world: "verifier",
        pub_export_macro: true,
        export_macro_name: "export_verifier_world",
        default_bindings_module: "vytal_plugins_sdk::verifier",
    });
}

#[cfg(feature = "seeder")]
use seeder as world;
#[cfg(all(feature = "verifier", not(feature = "seeder")))]
use verifier as world;

#[cfg(any(feature = "seeder", feature = "verifier"))]
pub use world::vytal::plugin::types::Rows;
#[cfg(any(feature = "seeder", feature = "verifier"))]
pub use world::vytal::plugin::types::{Finding as WitFinding, PluginInfo, Severity};

/// What a plugin says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    /// The plugin's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The module it belongs to.
    pub module: String,
    /// Tables it reads.
    pub reads: Vec<String>,
    /// Tables it writes.
    pub writes: Vec<String>,
}

impl Info {
    /// A plugin named `name` at `version` (use `env!("CARGO_PKG_VERSION")`) for `module`.
    pub fn new(name: &str, version: &str, module: &str) -> Self {
        Info {
            name: name.to_owned(),
            version: version.to_owned(),
            module: module.to_owned(),
            reads: Vec::new(),
            writes: Vec::new(),
        }
    }

    /// The tables it reads.
    pub fn reads(mut self, tables: &[&str]) -> Self {
        self.reads = tables.iter().map(|t| (*t).to_owned()).collect();
        self
    }

    /// The tables it writes.
    pub fn writes(mut self, tables: &[&str]) -> Self {
        self.writes = tables.iter().map(|t| (*t).to_owned()).collect();
        self
    }
}

#[cfg(any(feature = "seeder", feature = "verifier"))]
impl From<Info> for PluginInfo {
    fn from(i: Info) -> Self {
        PluginInfo {
            name: i.name,
            version: i.version,
            wit_version: WIT_VERSION.to_owned(),
            module: i.module,
            reads: i.reads,
            writes: i.writes,
        }
    }
}

/// One thing a verifier found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `info`, `warning` or `error`; an error makes `vytal-host verify` exit 1.
    pub severity: Level,
    /// The object concerned.
    pub object: String,
    /// What is wrong and what to do.
    pub message: String,
}

/// How serious a finding is, or a log line's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// For the record.
    Info,
    /// Worth a look.
    Warning,
    /// Wrong: verify fails.
    Error,
}

impl Finding {
    /// An error about `object`.
    pub fn error(object: impl Into<String>, message: impl Into<String>) -> Self {
        Finding { severity: Level::Error, object: object.into(), message: message.into() }
    }
    /// A warning about `object`.
    pub fn warning(object: impl Into<String>, message: impl Into<String>) -> Self {
        Finding { severity: Level::Warning, object: object.into(), message: message.into() }
    }
    /// A note about `object`.
    pub fn info(object: impl Into<String>, message: impl Into<String>) -> Self {
        Finding { severity: Level::Info, object: object.into(), message: message.into() }
    }
}

#[cfg(any(feature = "seeder", feature = "verifier"))]
impl From<Finding> for WitFinding {
    fn from(f: Finding) -> Self {
        WitFinding {
            severity: match f.severity {
                Level::Info => Severity::Info,
                Level::Warning => Severity::Warning,
                Level::Error => Severity::Error,
            },
            object: f.object,
            message: f.message,
        }
    }
}

/// A verify plugin: implement this and export it with [`export_verifier!`].
pub trait Verify {
    /// What the plugin is; the host reads it before anything else.
    fn info() -> Info;
    /// Checks the module's data; `Err` means the check itself could not run.
    fn verify() -> Result<Vec<Finding>, String>;
}

/// A seed plugin: implement this and export it with [`export_seeder!`].
pub trait Seed {
    /// What the plugin is; the host reads it before anything else.
    fn info() -> Info;
    /// Fills the module's tables for `count` patients.
    fn seed(count: u32) -> Result<(), String>;
}

/// Sends a line to the host's log.
#[cfg(any(feature = "seeder", feature = "verifier"))]
pub fn log(level: Level, message: &str) {
    use world::vytal::plugin::log::{Level as L, log};
    let level = match level {
        Level::Info => L::Info,
        Level::Warning => L::Warn,
        Level::Error => L::Error,
    };
    log(level, message);
}

/// Runs one read-only SELECT; parameters are text (cast them in SQL: `$1::uuid`).
#[cfg(any(feature = "seeder", feature = "verifier"))]
pub fn query(sql: &str, params: &[Option<&str>]) -> Result<Rows, String> {
    let params: Vec<Option<String>> = params.iter().map(|p| p.map(str::to_owned)).collect();
    world::vytal::plugin::db_read::query(sql, &params)
}

/// The ids of every user with `role` (`provider`, `admin`...), in key order.
/// For the few; page through patients with [`users_by_page`].
#[cfg(any(feature = "seeder", feature = "verifier"))]
pub fn users(role: &str) -> Result<Vec<(u64, u64)>, String> {
    let rows = query("SELECT id::text FROM users WHERE role::text = $1 ORDER BY id", &[Some(role)])?;
    rows.rows.iter().map(|r| uuid_cell(r.first())).collect()
}

/// Up to `count` users with `role`, in key order, `page` at a time: `each`
/// gets the ids of one page, so memory stays the same whatever the count.
/// Returns how many there were.
#[cfg(any(feature = "seeder", feature = "verifier"))]
pub fn users_by_page(
    role: &str,
    count: u32,
    page: u32,
    mut each: impl FnMut(&[(u64, u64)]) -> Result<(), String>,
) -> Result<u32, String> {
    let mut done = 0u32;
    let mut after = String::from("00000000-0000-0000-0000-000000000000");
    while done < count {
        let limit = page.max(1).min(count - done).to_string();
        let rows = query(
            "SELECT id::text FROM users WHERE role::text = $1 AND id > $2::uuid ORDER BY id LIMIT $3::int",
            &[Some(role), Some(&after), Some(&limit)],
        )?;
        let ids: Vec<(u64, u64)> = rows.rows.iter().map(|r| uuid_cell(r.first())).collect::<Result<_, _>>()?;
        let Some(last) = rows.rows.last().and_then(|r| r.first().cloned().flatten()) else { break };
        each(&ids)?;
        done += ids.len() as u32;
        after = last;
    }
    Ok(done)
}

/// A column that names a row of another table by its value: `table.column`
/// holds `target.key` of the row it means.
#[derive(Debug, Clone, Copy)]
pub struct Reference {
    /// The referencing table.
    pub table: &'static str,
    /// Its column.
    pub column: &'static str,
    /// The table named.
    pub target: &'static str,
    /// The columns of `target` a value may match (the first that matches counts).
    pub keys: &'static [&'static str],
}

impl Reference {
    /// `table.column` names a row of `target` by its `id`.
    pub const fn to_id(table: &'static str, column: &'static str, target: &'static str) -> Self {
        Reference { table, column, target, keys: &["id"] }
    }
}

/// The rows whose reference names no row: one finding of `level` per column
/// that has any, with the count, `consequence`, and a query that lists them.
/// A column is skipped when a validated foreign key already guarantees it, or
/// when its table or the table it names is not in the database (yet).
#[cfg(any(feature = "seeder", feature = "verifier"))]
pub fn dangling(references: &[Reference], level: Level, consequence: &str) -> Result<Vec<Finding>, String> {
    let mut out = Vec::new();
    for r in references {
        let state = query(
            "SELECT CASE WHEN to_regclass(quote_ident($1)) IS NULL OR to_regclass(quote_ident($2)) IS NULL THEN 'absent' \
                    WHEN EXISTS (SELECT 1 FROM pg_constraint k JOIN pg_attribute a \
                                   ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1] \
                                 WHERE k.conrelid = to_regclass(quote_ident($1)) AND k.contype = 'f' \
                                   AND k.confrelid = to_regclass(quote_ident($2)) \
                                   AND k.convalidated AND cardinality(k.conkey) = 1 AND a.attname = $3) THEN 'enforced' \
                    ELSE 'check' END",
            &[Some(r.table), Some(r.target), Some(r.column)],
        )?;
        if state.first_cell() != Some("check") {
            continue;
        }
        // One anti-join per key, so each can be hashed; compared as text only
        // where a value may match keys of different types.
        let cast = if r.keys.len() > 1 { "::text" } else { "" };
        let (table, column, target) = (ident(r.table), ident(r.column), ident(r.target));
        let missing: Vec<String> = r
            .keys
            .iter()
            .map(|k| format!("NOT EXISTS (SELECT 1 FROM {target} p WHERE p.{}{cast} = c.{column}{cast})", ident(k)))
            .collect();
        let condition = format!("c.{column} IS NOT NULL AND {}", missing.join(" AND "));
        let count = query(&format!("SELECT count(*)::text FROM {table} c WHERE {condition}"), &[])?;
        let n = count.first_cell().unwrap_or("0");
        if n == "0" {
            continue;
        }
        let listing = format!("SELECT c.\"id\", c.{column} FROM {table} c WHERE {condition}");
        out.push(Finding {
            severity: level,
            object: format!("{}.{}", r.table, r.column),
            message: format!("{n} row(s) name no {} row; {consequence}; list them with: {listing}", r.target),
        });
    }
    Ok(out)
}

/// `name` as a quoted SQL identifier.
#[cfg(any(feature = "seeder", feature = "verifier"))]
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(any(feature = "seeder", feature = "verifier"))]
fn uuid_cell(cell: Option<&Option<String>>) -> Result<(u64, u64), String> {
    let text = cell.and_then(Option::as_deref).unwrap_or_default();
    values::parse_uuid(text).ok_or_else(|| format!("`{text}` is not a uuid"))
}

#[cfg(any(feature = "seeder", feature = "verifier"))]
impl Rows {
    /// The first column of the first row, if there is one and it is not NULL.
    pub fn first_cell(&self) -> Option<&str> {
        self.rows.first().and_then(|r| r.first()).and_then(|c| c.as_deref())
    }

    /// The cell in `row` under `column`.
    pub fn get(&self, row: usize, column: &str) -> Option<&str> {
        let i = self.columns.iter().position(|c| c == column)?;
        self.rows.get(row)?.get(i)?.as_deref()
    }
}

/// Sends a panic's message to the host before the guest traps, so the host can show it.
#[cfg(any(feature = "seeder", feature = "verifier"))]
#[doc(hidden)]
pub fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            world::vytal::plugin::log::log(world::vytal::plugin::log::Level::Error, &format!("panic: {info}"));
        }));
    });
}

/// Exports a [`Verify`] implementation as the plugin's verifier.
#[cfg(feature = "verifier")]
#[macro_export]
macro_rules! export_verifier {
    ($plugin:ty) => {
        struct __VytalVerifier;
        impl $crate::verifier::Guest for __VytalVerifier {
            fn describe() -> $crate::PluginInfo {
                $crate::install_panic_hook();
                <$plugin as $crate::Verify>::info().into()
            }
            fn verify() -> ::core::result::Result<::std::vec::Vec<$crate::WitFinding>, ::std::string::String> {
                $crate::install_panic_hook();
                <$plugin as $crate::Verify>::verify().map(|f| f.into_iter().map(::core::convert::Into::into).collect())
            }
        }
        $crate::verifier::export_verifier_world!(__VytalVerifier with_types_in $crate::verifier);
    };
}

/// Exports a [`Seed`] implementation as the plugin's seeder.
#[cfg(feature = "seeder")]
#[macro_export]
macro_rules! export_seeder {
    ($plugin:ty) => {
        struct __VytalSeeder;
        impl $crate::seeder::Guest for __VytalSeeder {
            fn describe() -> $crate::PluginInfo {
                $crate::install_panic_hook();
                <$plugin as $crate::Seed>::info().into()
            }
            fn seed(request: $crate::seeder::SeedRequest) -> ::core::result::Result<(), ::std::string::String> {
                $crate::install_panic_hook();
                <$plugin as $crate::Seed>::seed(request.count)
            }
        }
        $crate::seeder::export_seeder_world!(__VytalSeeder with_types_in $crate::seeder);
    };
}

/// Rows for one table, column by column, for [`write`]. Every column must have as many values as there are rows.
#[cfg(feature = "seeder")]
#[derive(Debug, Clone)]
pub struct Batch {
    table: String,
    columns: Vec<seeder::vytal::plugin::types::Column>,
}

#[cfg(feature = "seeder")]
impl Batch {
    /// An empty batch for `table`.
    pub fn new(table: &str) -> Self {
        Batch { table: table.to_owned(), columns: Vec::new() }
    }

    fn with(mut self, name: &str, data: seeder::vytal::plugin::types::ColumnData) -> Self {
        self.columns.push(seeder::vytal::plugin::types::Column { name: name.to_owned(), data });
        self
    }

    /// A uuid column; use [`values::Gen::uuid`] for keys, so the same seed gives the same keys.
    pub fn uuid(self, name: &str, values: impl IntoIterator<Item = Option<(u64, u64)>>) -> Self {
        self.with(name, seeder::vytal::plugin::types::ColumnData::Uuid(values.into_iter().collect()))
    }
    /// A text, varchar, enum or numeric (as decimal text) column.
    pub fn text(self, name: &str, values: impl IntoIterator<Item = Option<String>>) -> Self {
        self.with(name, seeder::vytal::plugin::types::ColumnData::Text(values.into_iter().collect()))
    }
    /// A smallint, integer or bigint column.
    pub fn integer(self, name: &str, values: impl IntoIterator<Item = Option<i64>>) -> Self {
        self.with(name, seeder::vytal::plugin::types::ColumnData::Integer(values.into_iter().collect()))
    }
    /// A real or double precision column.
    pub fn float(self, name: &str, values: impl IntoIterator<Item = Option<f64>>) -> Self {
        self.with(name, seeder::vytal::plugin::types::ColumnData::Float(values.into_iter().collect()))
    }
    /// A boolean column.
    pub fn boolean(self, name: &str, values: impl IntoIterator<Item = Option<bool>>) -> Self {
        self.with(name, seeder::vytal::plugin::types::ColumnData::Boolean(values.into_iter().collect()))
    }
    /// A timestamp or timestamptz column: microseconds since 1970 UTC (see [`values::day`]).
    pub fn timestamp(self, name: &str, values: impl IntoIterator<Item = Option<i64>>) -> Self {
        self.with(name, seeder::vytal::plugin::types::ColumnData::Timestamp(values.into_iter().collect()))
    }
    /// A date column: days since 1970-01-01 (a [`values::day`] divided by [`values::DAY`]).
    pub fn date(self, name: &str, values: impl IntoIterator<Item = Option<i32>>) -> Self {
        self.with(name, seeder::vytal::plugin::types::ColumnData::Date(values.into_iter().collect()))
    }
    /// A json or jsonb column, as JSON text.
    pub fn json(self, name: &str, values: impl IntoIterator<Item = Option<String>>) -> Self {
        self.with(name, seeder::vytal::plugin::types::ColumnData::Json(values.into_iter().collect()))
    }
    /// A text[] (or enum array) column.
    pub fn text_array(self, name: &str, values: impl IntoIterator<Item = Option<Vec<String>>>) -> Self {
        self.with(name, seeder::vytal::plugin::types::ColumnData::TextArray(values.into_iter().collect()))
    }
}

/// Writes a batch into one of the module's tables; returns the rows written.
/// A refused batch (another module's table, an unknown column, a wrong type,
/// a NULL into NOT NULL) fails the whole seed, whatever the plugin does next.
#[cfg(feature = "seeder")]
pub fn write(batch: Batch) -> Result<u64, String> {
    seeder::vytal::plugin::db_write::write(&seeder::vytal::plugin::types::Batch {
        table: batch.table,
        columns: batch.columns,
    })
}
