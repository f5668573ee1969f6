//! `seed`: fill the applied modules' tables with realistic, valid,
//! reproducible rows, in one transaction, never in production.
//!
//! The rows come from three places, in an order where every reference
//! points backwards ([`plan`]):
//! - the host's generator ([`generate`]), driven by the live catalog, for
//!   every table no plugin claims: any table a module adds is filled with no
//!   code change;
//! - each selected module's seed plugin, for the tables it declares it
//!   writes; the host fills the columns a plugin leaves out;
//! - `--plugin` files, after everything else, under the same sandbox.
//!
//! Rows cross by binary COPY a chunk at a time, so memory does not grow
//! with `--count`. A constraint violation, a plugin's trap or limit, or an
//! interrupt rolls the whole seed back. A database marked as production
//! (or `VYTAL_ENV=production`) is refused before anything is written, and
//! no option overrides that.

mod generate;
mod plan;
mod types;
mod values;
mod words;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Row};
use vytal_plugin_runtime::{Batch, Plugin, PluginError, SeedRequest, World};

use crate::copy;
use crate::db::{Database, Target};
use crate::ledger::{Downs, Event};
use crate::manifest::PluginSettings;
use crate::plugins::{self, PgDb, WriteScope};
use crate::replay::{self, ReplayError};
use crate::resolve::Plan;
use crate::schema::{self, ObjectKind};
use crate::session::{Access, Outcome, Session, SessionError};

pub use plan::PlanError;

use generate::{Cells, Generator, Keys};
use plan::{Candidate, PluginClaim, SeedPlan, Source, Step};

/// Rows per COPY statement: large enough that round trips do not matter,
/// small enough that memory stays flat whatever `--count` is.
const CHUNK: u64 = 5_000;

/// What to seed.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// Only these modules' tables (and the rows they need elsewhere); empty: every applied module.
    pub modules: Vec<String>,
    /// Seed plugin files (`--plugin PATH`), run after everything else.
    pub plugins: Vec<PathBuf>,
    /// The size: patients; every other table scales from it.
    pub count: u64,
    /// The seed: the same seed, count and schema give the same rows, keys included.
    pub seed: u64,
    /// Empty the selected modules' tables first, in the same transaction.
    pub clean: bool,
    /// Plan and report, write nothing.
    pub dry_run: bool,
    /// The command line, for the event log.
    pub command: String,
}

impl Default for SeedOptions {
    fn default() -> Self {
        SeedOptions {
            modules: Vec::new(),
            plugins: Vec::new(),
            count: DEFAULT_COUNT,
            seed: DEFAULT_SEED,
            clean: false,
            dry_run: false,
            command: "seed".to_owned(),
        }
    }
}

/// The largest `--count`: rows past it stop fitting the plugins' and the key formula's counters.
pub const MAX_COUNT: u64 = 100_000_000;
/// Patients when `--count` is not given.
pub const DEFAULT_COUNT: u64 = 100;
/// The seed when `--seed` is not given.
pub const DEFAULT_SEED: u64 = 1;

/// One table of a seed, as reported.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableReport {
    /// The table.
    pub table: String,
    /// Its module.
    pub module: String,
    /// `generated`, `<module> seed plugin`, or `existing` (only referenced).
    pub source: String,
    /// Rows written (for a dry run: to be written; unknown for plugins until they run).
    pub rows: u64,
    /// Milliseconds spent writing it.
    pub ms: f64,
    /// Rows per second.
    pub rows_per_second: f64,
    /// How each column is filled (dry runs).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<ColumnReport>,
}

/// How a column is filled, for `--dry-run`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ColumnReport {
    /// The column.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub data_type: String,
    /// What goes in it.
    pub fill: String,
}

/// What a seed wrote (or, for a dry run, would write).
#[derive(Debug, Clone, serde::Serialize)]
pub struct SeedReport {
    /// The database, without password.
    pub database: String,
    /// The seed value.
    pub seed: u64,
    /// Patients.
    pub count: u64,
    /// Modules whose tables were seeded.
    pub modules: Vec<String>,
    /// The plugins run, in order.
    pub plugins: Vec<String>,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Tables emptied first (`--clean`).
    pub cleaned: Vec<String>,
    /// Every table, in the order written.
    pub tables: Vec<TableReport>,
    /// Rows written per table.
    pub rows: BTreeMap<String, u64>,
    /// Wall time in milliseconds.
    pub elapsed_ms: f64,
}

/// Errors of seeding. Whatever the error, nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SeedError {
    /// Connecting, locking or the host's own queries failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The migrations could not be replayed to learn which module owns which table.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// The database is production.
    #[error("refusing to seed {database}: {why}; seed only development and test databases (nothing was written)")]
    Production {
        /// The database.
        database: String,
        /// The mark or the variable that says so.
        why: String,
    },
    /// Nothing to seed into.
    #[error("no module is applied to {0}; apply the schema first (vytal-host run), then seed")]
    NothingApplied(String),
    /// `--module` names a module that is unknown or not applied.
    #[error("--module {module}: {why}")]
    Module {
        /// The module.
        module: String,
        /// Why it cannot be seeded.
        why: String,
    },
    /// The seed cannot be planned.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// `--clean` cannot empty a table another module's table references.
    #[error(
        "--clean cannot empty {tables}: {detail}; seed the referencing module too (add its --module), or drop --module to seed everything; nothing was written"
    )]
    Clean {
        /// The tables.
        tables: String,
        /// PostgreSQL's words.
        detail: String,
    },
    /// A plugin could not be loaded, or stopped; nothing was written.
    #[error("{0}; the seed was rolled back and nothing was written")]
    Plugin(#[from] PluginError),
    /// The host refused a batch the plugin wrote; nothing was written.
    #[error(
        "plugin {plugin} wrote a batch the host refused: {message}; the seed was rolled back and nothing was written"
    )]
    Refused {
        /// The plugin.
        plugin: String,
        /// Which table and column, and why.
        message: String,
    },
    /// A plugin names a module the plan does not have.
    #[error("plugin {plugin} belongs to module `{module}`, which this build does not have")]
    UnknownModule {
        /// The plugin.
        plugin: String,
        /// Its module.
        module: String,
    },
    /// Writing generated rows failed.
    #[error(
        "seeding `{table}` (module {module}) failed: {message}{hint}; the seed was rolled back and nothing was written"
    )]
    Write {
        /// The table.
        table: String,
        /// Its module.
        module: String,
        /// PostgreSQL's message, with the row and column.
        message: String,
        /// What to do, when it is known.
        hint: String,
    },
    /// A count out of range.
    #[error("--count {0} is out of range: give from 1 to 100000000 patients")]
    Count(u64),
    /// Ctrl-C.
    #[error("interrupted; the seed was rolled back and nothing was written")]
    Interrupted,
}

/// Progress of a seed, for a terminal.
pub trait SeedProgress {
    /// A table starts; `rows` is known for generated tables, 0 for plugins.
    fn table(&mut self, _table: &str, _rows: u64) {}
    /// `rows` more rows of the current table are written.
    fn advance(&mut self, _rows: u64) {}
    /// The current table is done.
    fn done(&mut self) {}
}

/// No progress output.
#[derive(Debug, Default)]
pub struct Silent;

impl SeedProgress for Silent {}

/// Whether `VYTAL_ENV` names production.
fn production_env() -> Option<String> {
    let v = std::env::var("VYTAL_ENV").ok()?;
    let t = v.trim().to_ascii_lowercase();
    (t == "production" || t == "prod").then(|| format!("VYTAL_ENV={v}"))
}

/// Seeds the database. See the module docs.
pub async fn seed(
    plan: &Plan,
    target: &Target,
    options: &SeedOptions,
    progress: &mut dyn SeedProgress,
) -> Result<SeedReport, SeedError> {
    if options.count == 0 || options.count > MAX_COUNT {
        return Err(SeedError::Count(options.count));
    }
    // The operator's environment says production: refuse before touching the database.
    if let Some(why) = production_env() {
        return Err(SeedError::Production { database: target.to_string(), why });
    }
    // Plugins first: a missing or malformed plugin is an error before any database work.
    let loaded = load(plan, options).await?;
    let access = if options.dry_run { Access::Read } else { Access::Write };
    let mut session =
        Session::open(Database::Target(target), plan.settings(), "vytal-host seed", &options.command, access).await?;
    let result = seed_locked(plan, target, options, &loaded, &mut session, progress).await;
    match &result {
        // A seed that wrote rows recorded its event in its own transaction.
        Ok(r) if !r.dry_run => session.finish_quietly().await,
        Ok(_) => session.finish(Outcome::Nothing("dry-run"), None, serde_json::Value::Null).await,
        Err(e) => {
            let outcome = if matches!(e, SeedError::Production { .. }) { Outcome::Refused } else { Outcome::Failed };
            let details = serde_json::json!({
                "count": options.count,
                "seed": options.seed,
                "clean": options.clean,
                "modules": options.modules,
                "plugins": options.plugins,
            });
            session.finish(outcome, Some(&e.to_string()), details).await;
        }
    }
    result
}

async fn load(plan: &Plan, options: &SeedOptions) -> Result<Vec<Plugin<PgDb>>, SeedError> {
    let mut loaded = Vec::new();
    for (name, m) in plan.modules() {
        if !options.modules.is_empty() && !options.modules.iter().any(|s| s == name.as_str()) {
            continue;
        }
        for p in m.plugins.iter().filter(|p| p.kind == "seed") {
            loaded.push(plugins::load_builtin(name, World::Seeder, &p.wasm).await?);
        }
    }
    for path in &options.plugins {
        loaded.push(plugins::load_file(path, World::Seeder).await?);
    }
    for p in &loaded {
        if !plan.modules().contains_key(p.info().module.as_str()) {
            return Err(SeedError::UnknownModule { plugin: p.name().to_owned(), module: p.info().module.clone() });
        }
    }
    Ok(loaded)
}

async fn seed_locked(
    plan: &Plan,
    target: &Target,
    options: &SeedOptions,
    loaded: &[Plugin<PgDb>],
    session: &mut Session<'_>,
    progress: &mut dyn SeedProgress,
) -> Result<SeedReport, SeedError> {
    let database = session.database().to_owned();
    let (conn, ledger, _, _) = session.parts();
    if ledger.is_production(conn).await.map_err(SessionError::during("reading the production mark"))? {
        return Err(SeedError::Production {
            database,
            why: "it is marked as production (vytal-host mark production)".to_owned(),
        });
    }
    // Refused production before anything is written, the chain's function included.
    if !options.dry_run {
        session.check_ledger().await?;
    }
    let applied: BTreeSet<String> =
        session.applied(Downs::Skip).await?.into_iter().map(|r| r.module.to_string()).collect();
    if applied.is_empty() {
        return Err(SeedError::NothingApplied(database));
    }
    for m in &options.modules {
        if !plan.modules().contains_key(m.as_str()) {
            let known: Vec<&str> = plan.modules().keys().map(|k| k.as_str()).collect();
            return Err(SeedError::Module {
                module: m.clone(),
                why: format!("no such module; known: {}", known.join(", ")),
            });
        }
        if !applied.contains(m) {
            return Err(SeedError::Module {
                module: m.clone(),
                why: format!("not applied to {database}; apply it first (vytal-host run --module {m})"),
            });
        }
    }
    let selected: BTreeSet<String> =
        if options.modules.is_empty() { applied.clone() } else { options.modules.iter().cloned().collect() };

    // Which module owns which table: the migrations, replayed (no second list is kept).
    let all: Vec<_> = plan.migrations().iter().collect();
    let expected = replay::replay(&all, plan.settings(), target, session.conn(), replay::Cache::Use).await?;
    let settings = &plan.settings().plugins;
    let mut conn = target.connect("vytal-host seed").await.map_err(SessionError::from)?;
    // The host's statement timeout for its own COPYs (a plugin's reads get the plugin limit);
    // JIT off: the foreign-key checks and catalog reads are small, and compiling them costs more than running them.
    let begin = format!(
        "BEGIN; SET LOCAL statement_timeout = '{}ms'; SET LOCAL jit = off",
        plan.settings().statement_timeout.as_millis()
    );
    sqlx::raw_sql(AssertSqlSafe(begin)).execute(&mut conn).await.map_err(SessionError::during("starting the seed"))?;
    let mut run = Run { conn: Some(conn), options, settings, loaded, progress, owners: &expected.owners };
    // An interrupt drops the work in flight; the transaction is then rolled back below
    // (or, if a plugin held the connection, closed with it, which rolls it back too).
    let result = tokio::select! {
        r = run.body(&applied, &selected, database) => r,
        _ = tokio::signal::ctrl_c() => Err(SeedError::Interrupted),
    };
    let Some(mut conn) = run.conn.take() else { return result };
    let mut report = match result {
        Ok(report) if !report.dry_run => report,
        other => {
            crate::exec::rollback(&mut conn).await;
            let _ = sqlx::Connection::close(conn).await;
            return other;
        }
    };
    report.elapsed_ms = session.elapsed_ms();
    // The event goes in with the rows: a seed on the record, or no seed at all.
    let (_, ledger, actor, command) = session.parts();
    let details = serde_json::json!({
        "count": report.count,
        "seed": report.seed,
        "clean": !report.cleaned.is_empty(),
        "cleaned": report.cleaned,
        "modules": report.modules,
        "plugins": report.plugins,
        "rows": report.rows,
    });
    let written = report.rows.values().any(|n| *n > 0) || !report.cleaned.is_empty();
    let event = Event {
        kind: "run",
        command,
        outcome: if written { "succeeded" } else { "nothing-written" },
        duration_ms: report.elapsed_ms,
        details,
        ..Event::default()
    };
    // A ledger handle of this connection's own: the session's knows whether
    // the session's connection is encrypted, not this one; the server says so
    // in the event's INSERT.
    let own = crate::ledger::Ledger::new(ledger.schema());
    let committed = async {
        own.record_event(&mut conn, &event, actor).await?;
        sqlx::raw_sql("COMMIT").execute(&mut conn).await
    }
    .await;
    if let Err(e) = committed {
        crate::exec::rollback(&mut conn).await;
        let _ = sqlx::Connection::close(conn).await;
        return Err(SessionError::Database { during: "committing the seed", error: e }.into());
    }
    let _ = sqlx::Connection::close(conn).await;
    Ok(report)
}

/// One seed in progress, on its transaction's connection.
struct Run<'a> {
    /// The transaction's connection; lent to a plugin while it runs.
    conn: Option<PgConnection>,
    options: &'a SeedOptions,
    settings: &'a PluginSettings,
    loaded: &'a [Plugin<PgDb>],
    progress: &'a mut dyn SeedProgress,
    owners: &'a schema::Ownership,
}

impl Run<'_> {
    fn conn(&mut self) -> Result<&mut PgConnection, SeedError> {
        self.conn.as_mut().ok_or_else(|| {
            SessionError::Database {
                during: "seeding",
                error: sqlx::Error::Protocol("the seed's connection was not given back by a plugin".to_owned()),
            }
            .into()
        })
    }

    async fn body(
        &mut self,
        applied: &BTreeSet<String>,
        selected: &BTreeSet<String>,
        database: String,
    ) -> Result<SeedReport, SeedError> {
        let live = schema::describe(self.conn()?, "public", &[])
            .await
            .map_err(SessionError::during("reading the database's tables"))?;
        let owners = self.owners;
        let owner = |t: &str| owners.owner(ObjectKind::Table, t).map(ToString::to_string);
        let mut candidates: Vec<Candidate> = live
            .tables
            .iter()
            .filter_map(|t| {
                let module = owner(&t.name).filter(|m| applied.contains(m))?;
                Some(Candidate { selected: selected.contains(&module), name: t.name.clone(), module, existing: 0 })
            })
            .collect();
        let mut cleaned = Vec::new();
        if self.options.clean && !self.options.dry_run {
            cleaned = candidates.iter().filter(|c| c.selected).map(|c| c.name.clone()).collect();
            self.clean(&cleaned).await?;
        }
        // Tables only referenced: rows already there are used rather than generated.
        for c in candidates.iter_mut().filter(|c| !c.selected) {
            c.existing = self.count(&c.name).await?;
        }
        // A --plugin writes into a selected module only: --clean and --module mean what they say.
        for p in &self.loaded[self.module_plugins()..] {
            if !selected.contains(&p.info().module) {
                return Err(SeedError::Module {
                    module: p.info().module.clone(),
                    why: format!(
                        "plugin {} writes this module's tables, which this seed does not select; add --module {}",
                        p.name(),
                        p.info().module
                    ),
                });
            }
        }
        let claims: Vec<PluginClaim> = self
            .loaded
            .iter()
            .enumerate()
            .filter(|(i, p)| *i < self.module_plugins() && selected.contains(&p.info().module))
            .map(|(index, p)| PluginClaim {
                index,
                module: p.info().module.clone(),
                writes: p.info().writes.clone(),
                reads: p.info().reads.clone(),
            })
            .collect();
        let seed_plan = Arc::new(plan::plan(&live, &candidates, &claims, self.options.count)?);
        let mut report = SeedReport {
            database,
            seed: self.options.seed,
            count: self.options.count,
            modules: selected.iter().cloned().collect(),
            plugins: Vec::new(),
            dry_run: self.options.dry_run,
            cleaned,
            tables: Vec::new(),
            rows: BTreeMap::new(),
            elapsed_ms: 0.0,
        };
        if self.options.dry_run {
            report.tables = dry_run(&seed_plan, self.loaded);
            report.rows = report.tables.iter().map(|t| (t.table.clone(), t.rows)).collect();
            return Ok(report);
        }
        let mut generator = Generator::new(Arc::clone(&seed_plan), self.options.seed);
        // Where rows a plugin adds to a table start numbering (its keys follow the generated ones).
        let mut next: BTreeMap<usize, u64> = BTreeMap::new();
        for step in &seed_plan.steps {
            match step {
                Step::Table(t) => {
                    let table = &seed_plan.tables[*t];
                    let started = Instant::now();
                    let rows = match table.source {
                        Source::Generate => {
                            generator.settle_rows(*t);
                            self.generate(&generator, &seed_plan, *t).await?
                        }
                        _ => 0,
                    };
                    if generator.needs_keys(*t) {
                        let keys = self.keys(&seed_plan, *t, &generator.inherited(*t)).await?;
                        generator.set_keys(*t, keys);
                    }
                    if table.source == Source::Generate {
                        next.insert(*t, rows);
                        report.tables.push(table_report(&table.name, &table.module, "generated", rows, started));
                        *report.rows.entry(table.name.clone()).or_default() += rows;
                    }
                }
                Step::Plugin(p) => {
                    let plugin = &self.loaded[p.index];
                    let started = Instant::now();
                    let written = self.plugin(plugin, &generator, &seed_plan, &mut next).await?;
                    report.plugins.push(plugin.name().to_owned());
                    for t in &p.writes {
                        if generator.needs_keys(*t) {
                            let keys = self.keys(&seed_plan, *t, &generator.inherited(*t)).await?;
                            generator.set_keys(*t, keys);
                        }
                    }
                    // In the order the plugin declares its tables (parents first), then any other.
                    let mut written: Vec<(String, u64)> = written.into_iter().collect();
                    written.sort_by_key(|(table, _)| {
                        p.writes.iter().position(|t| seed_plan.tables[*t].name == *table).unwrap_or(usize::MAX)
                    });
                    for (table, rows) in written {
                        let source = format!("{} seed plugin", p.module);
                        report.tables.push(table_report(&table, &p.module, &source, rows, started));
                        *report.rows.entry(table).or_default() += rows;
                    }
                }
            }
        }
        // Third-party plugins last, on top of everything else.
        for plugin in &self.loaded[self.module_plugins()..] {
            let started = Instant::now();
            let written = self.plugin(plugin, &generator, &seed_plan, &mut next).await?;
            report.plugins.push(plugin.name().to_owned());
            for (table, rows) in written {
                let module = plugin.info().module.clone();
                report.tables.push(table_report(&table, &module, plugin.name(), rows, started));
                *report.rows.entry(table).or_default() += rows;
            }
        }
        Ok(report)
    }

    /// How many of `loaded` are module plugins (the rest came from `--plugin`).
    fn module_plugins(&self) -> usize {
        self.loaded.len() - self.options.plugins.len()
    }

    async fn clean(&mut self, tables: &[String]) -> Result<(), SeedError> {
        if tables.is_empty() {
            return Ok(());
        }
        let list: Vec<String> = tables.iter().map(|t| quote(t)).collect();
        let sql = format!(
            "SAVEPOINT vytal_clean; TRUNCATE {} RESTART IDENTITY; RELEASE SAVEPOINT vytal_clean",
            list.join(", ")
        );
        if let Err(e) = sqlx::raw_sql(AssertSqlSafe(sql)).execute(self.conn()?).await {
            let detail = match e.as_database_error() {
                Some(d) => {
                    let pg = d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>();
                    let more = pg.and_then(|p| p.detail()).map(|d| format!(" ({d})")).unwrap_or_default();
                    format!("{}{more}", d.message())
                }
                None => e.to_string(),
            };
            return Err(SeedError::Clean { tables: tables.join(", "), detail });
        }
        Ok(())
    }

    async fn count(&mut self, table: &str) -> Result<u64, SeedError> {
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {}", quote(table))))
            .fetch_one(self.conn()?)
            .await
            .map_err(SessionError::during("counting rows"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Reads back the keys of a table the host did not generate, for references into it.
    async fn keys(&mut self, plan: &SeedPlan, t: usize, inherited: &[String]) -> Result<Keys, SeedError> {
        let table = &plan.tables[t];
        let empty = || Keys::Loaded {
            all: Cells::default(),
            patients: Vec::new(),
            staff: Vec::new(),
            columns: BTreeMap::new(),
        };
        let Some(key) = table.primary_key.as_deref() else { return Ok(empty()) };
        if let Some(keys) = self.earlier_seed(table).await? {
            return Ok(keys);
        }
        let key = quote(key);
        let role = table.columns.iter().any(|c| c.name == "role");
        let mut select = format!("{key}::text, {}", if role { "\"role\"::text" } else { "NULL::text" });
        for c in inherited {
            select.push_str(&format!(", {}::text", quote(c)));
        }
        // Through a cursor, a page at a time: only the compact keys are kept.
        let declare = format!(
            "DECLARE vytal_keys_{t} NO SCROLL CURSOR FOR SELECT {select} FROM {} ORDER BY {key}",
            quote(&table.name)
        );
        // One cursor name per table: the driver prepares each FETCH once, with its row shape.
        let fetch = format!("FETCH FORWARD 10000 FROM vytal_keys_{t}");
        let reading = SessionError::during("reading keys of a referenced table");
        sqlx::raw_sql(AssertSqlSafe(declare)).execute(self.conn()?).await.map_err(reading)?;
        let (mut all, mut patients, mut staff) = (Cells::default(), Vec::new(), Vec::new());
        let mut columns: BTreeMap<String, Cells> = inherited.iter().map(|c| (c.clone(), Cells::default())).collect();
        let mut i = 0u32;
        loop {
            let rows = sqlx::query(AssertSqlSafe(fetch.clone()))
                .fetch_all(self.conn()?)
                .await
                .map_err(SessionError::during("reading keys of a referenced table"))?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let k: String = r.try_get(0).map_err(SessionError::during("reading keys"))?;
                let role: Option<String> = r.try_get(1).map_err(SessionError::during("reading keys"))?;
                match role.as_deref() {
                    Some("patient") => patients.push(i),
                    Some("provider" | "admin" | "superadmin" | "nurse" | "staff") => staff.push(i),
                    _ => {}
                }
                for (n, c) in inherited.iter().enumerate() {
                    let v: Option<String> = r.try_get(2 + n).map_err(SessionError::during("reading keys"))?;
                    if let Some(col) = columns.get_mut(c) {
                        col.push(v);
                    }
                }
                all.push(Some(k));
                i = i.saturating_add(1);
            }
        }
        sqlx::raw_sql(AssertSqlSafe(format!("CLOSE vytal_keys_{t}")))
            .execute(self.conn()?)
            .await
            .map_err(SessionError::during("reading keys of a referenced table"))?;
        Ok(Keys::Loaded { all, patients, staff, columns })
    }

    /// `users` as an earlier seed with the same seed and count left it: then its
    /// rows are what this seed would write, and references into it are the
    /// same as if it had written them (the same seed gives the same rows,
    /// whether `users` was generated now or before).
    async fn earlier_seed(&mut self, table: &plan::TablePlan) -> Result<Option<Keys>, SeedError> {
        let (Some(k), true) = (table.key, table.name == "users") else { return Ok(None) };
        let bands = plan::bands(self.options.count);
        let rows = bands.patients + bands.staff + bands.admins;
        if rows == 0 {
            return Ok(None);
        }
        let text = |(hi, lo): (u64, u64)| format!("{hi:016x}{lo:016x}");
        let (first, last) =
            (values::key(self.options.seed, table.salt, 0), values::key(self.options.seed, table.salt, rows - 1));
        let sql = format!(
            "SELECT count(*) = $1 AND count(*) FILTER (WHERE {col} IN ($2::uuid, $3::uuid)) = 2 FROM {}",
            quote(&table.name),
            col = quote(&table.columns[k].name)
        );
        let same: bool = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(i64::try_from(rows).unwrap_or(i64::MAX))
            .bind(text(first))
            .bind(text(last))
            .fetch_one(self.conn()?)
            .await
            .map_err(SessionError::during("reading keys of a referenced table"))?;
        Ok(same.then_some(Keys::Formula { rows, bands: Some(bands) }))
    }

    /// Writes a generated table, a chunk per COPY.
    async fn generate(&mut self, generator: &Generator, plan: &SeedPlan, t: usize) -> Result<u64, SeedError> {
        let table = &plan.tables[t];
        let failed = |message: String, hint: &str| SeedError::Write {
            table: table.name.clone(),
            module: table.module.clone(),
            message,
            hint: hint.to_owned(),
        };
        let shape = copy::shape(self.conn()?, &table.name)
            .await
            .map_err(SessionError::during("reading a table's columns"))?
            .ok_or_else(|| failed("the table does not exist".to_owned(), ""))?;
        let rows = generator.rows(t);
        self.progress.table(&table.name, rows);
        // One COPY for the whole table, streamed a chunk at a time: each COPY
        // ends with a small message that waits out TCP's delayed ACK (~40 ms).
        let none = BTreeSet::new();
        let progress = &mut *self.progress;
        let conn = self.conn.as_mut().ok_or_else(|| failed("its connection was not given back".to_owned(), ""))?;
        if rows == 0 {
            progress.done();
            return Ok(0);
        }
        let chunk = |start: u64| -> Result<(String, Vec<u8>, u64), SeedError> {
            let end = (start + CHUNK).min(rows);
            let batch = generator.batch(t, start..end, &none).map_err(|e| failed(e, ""))?;
            let (sql, mut bytes, _) = copy::encode(&shape, &batch).map_err(|e| failed(e, ""))?;
            if end < rows {
                bytes.truncate(bytes.len() - copy::TRAILER_LEN);
            }
            if start > 0 {
                bytes.drain(..copy::HEADER_LEN);
            }
            Ok((sql, bytes, end))
        };
        let (sql, mut bytes, mut end) = chunk(0)?;
        let mut copy = conn.copy_in_raw(&sql).await.map_err(|e| failed(plugins::copy_message(&e), ""))?;
        let mut start = 0;
        loop {
            if let Err(e) = copy.send(bytes).await {
                let message = plugins::copy_message(&e);
                let _ = copy.abort("the seed failed").await;
                return Err(failed(message, ""));
            }
            progress.advance(end - start);
            if end == rows {
                break;
            }
            start = end;
            let next = match chunk(start) {
                Ok(n) => n,
                Err(e) => {
                    let _ = copy.abort("the seed failed").await;
                    return Err(e);
                }
            };
            (_, bytes, end) = next;
        }
        if let Err(e) = copy.finish().await {
            let e = plugins::copy_message(&e);
            let hint = if e.contains("duplicate key") {
                "; the rows may be there from an earlier seed: add --clean to empty the tables first"
            } else {
                ""
            };
            return Err(failed(e, hint));
        }
        progress.done();
        Ok(rows)
    }

    /// Runs one seed plugin; the host fills the columns its batches leave out.
    async fn plugin(
        &mut self,
        plugin: &Plugin<PgDb>,
        generator: &Generator,
        plan: &Arc<SeedPlan>,
        next: &mut BTreeMap<usize, u64>,
    ) -> Result<BTreeMap<String, u64>, SeedError> {
        let module = plugin.info().module.clone();
        let writable: BTreeSet<String> =
            self.owners.owned_by(&module).filter(|(k, _)| *k == ObjectKind::Table).map(|(_, n)| n.to_owned()).collect();
        let index: BTreeMap<String, usize> = plan.tables.iter().enumerate().map(|(i, t)| (t.name.clone(), i)).collect();
        let mut filler = Filler { generator: generator.clone(), plan: Arc::clone(plan), index, next: next.clone() };
        let scope = WriteScope::new(&module, writable).with_filler(Box::new(move |b: &mut Batch| filler.fill(b)));
        self.progress.table(plugin.name(), 0);
        let Some(conn) = self.conn.take() else { return Ok(BTreeMap::new()) };
        let db = PgDb::new(conn, self.settings, Some(scope));
        let request =
            SeedRequest { count: u32::try_from(self.options.count).unwrap_or(u32::MAX), seed: self.options.seed };
        let (mut db, run) = plugins::runtime()?.seed(plugin, db, &plugins::limits(self.settings), request).await;
        // The rows it wrote last are still held back: send them, unless it failed.
        if run.result.is_ok() {
            let _ = db.flush().await;
        }
        let scope = db.scope.take();
        self.conn = Some(db.into_inner());
        self.progress.done();
        for line in &run.logs {
            tracing::info!(plugin = plugin.name(), level = line.level, "{}", line.message);
        }
        let (written, refused) = match scope {
            Some(s) => (s.written, s.refused),
            None => (BTreeMap::new(), None),
        };
        match (run.result, refused) {
            (_, Some(message)) => Err(SeedError::Refused { plugin: plugin.name().to_owned(), message }),
            (Err(e), None) => Err(SeedError::Plugin(e)),
            (Ok(()), None) => {
                for (table, rows) in &written {
                    if let Some(i) = plan.tables.iter().position(|t| &t.name == table) {
                        *next.entry(i).or_default() += rows;
                    }
                }
                Ok(written)
            }
        }
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn table_report(table: &str, module: &str, source: &str, rows: u64, started: Instant) -> TableReport {
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    TableReport {
        table: table.to_owned(),
        module: module.to_owned(),
        source: source.to_owned(),
        rows,
        ms,
        rows_per_second: if ms > 0.0 { rows as f64 / (ms / 1000.0) } else { 0.0 },
        columns: Vec::new(),
    }
}

fn dry_run(plan: &SeedPlan, loaded: &[Plugin<PgDb>]) -> Vec<TableReport> {
    let mut out = Vec::new();
    let mut table = |t: usize, source: String| {
        let p = &plan.tables[t];
        let columns = p
            .columns
            .iter()
            .map(|c| ColumnReport { name: c.name.clone(), data_type: c.shown.clone(), fill: describe_fill(plan, c) })
            .collect();
        out.push(TableReport {
            table: p.name.clone(),
            module: p.module.clone(),
            source,
            rows: p.rows,
            ms: 0.0,
            rows_per_second: 0.0,
            columns,
        });
    };
    for step in &plan.steps {
        match step {
            Step::Table(t) => match plan.tables[*t].source {
                Source::Generate => table(*t, "generated".to_owned()),
                Source::Existing => table(*t, "existing".to_owned()),
                Source::Plugin(_) => {}
            },
            Step::Plugin(p) => {
                for t in &p.writes {
                    table(*t, format!("{} seed plugin ({}; it decides the rows)", p.module, loaded[p.index].name()));
                }
            }
        }
    }
    out
}

fn describe_fill(plan: &SeedPlan, c: &plan::ColPlan) -> String {
    use plan::Fill;
    match &c.fill {
        Fill::Key => "key, from the seed".to_owned(),
        Fill::Ref { parent, people, .. } => {
            let who = match (plan.tables[*parent].name.as_str(), people) {
                ("users", plan::People::Patient) => " (a patient)",
                ("users", plan::People::Staff) => " (a clinician)",
                _ => "",
            };
            format!("-> {}{who}", plan.tables[*parent].name)
        }
        Fill::Inherit { .. } => "the parent row's".to_owned(),
        Fill::SelfRef => "-> an earlier row of this table".to_owned(),
        Fill::Null => "NULL".to_owned(),
        Fill::Value(sem) => sem.describe(),
    }
}

/// Fills the columns a plugin's batches leave out, from the generator.
struct Filler {
    generator: Generator,
    plan: Arc<SeedPlan>,
    index: BTreeMap<String, usize>,
    next: BTreeMap<usize, u64>,
}

impl Filler {
    fn fill(&mut self, batch: &mut Batch) -> Result<(), String> {
        let Some(&t) = self.index.get(&batch.table) else { return Ok(()) };
        let rows = batch.columns.first().map_or(0, |c| vytal_plugin_runtime::column_len(&c.data)) as u64;
        // What the plugin leaves out stays NULL (or its constant default), as the plugin
        // decided; the host fills only what a row cannot do without.
        let mut given: BTreeSet<String> = batch.columns.iter().map(|c| c.name.clone()).collect();
        given.extend(self.plan.tables[t].columns.iter().filter(|c| c.optional()).map(|c| c.name.clone()));
        let start = *self.next.get(&t).unwrap_or(&0);
        let extra = self.generator.batch(t, start..start + rows, &given)?;
        self.next.insert(t, start + rows);
        batch.columns.extend(extra.columns);
        Ok(())
    }
}
