//! Seeding with plugins: each seed plugin fills its own module's tables, all in one transaction.
//!
//! Under the run lock, the tables each module may be written are learnt by
//! replaying the migrations (the module that creates a table owns it; no
//! second list is kept). Every plugin then runs on one connection inside one
//! transaction: a trap, a limit, an error the plugin returns, or a batch the
//! host refuses rolls all of it back, so a failed seed leaves the database
//! exactly as it was.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use sqlx::AssertSqlSafe;
use vytal_plugin_runtime::{Plugin, PluginError, SeedRequest, World};

use crate::db::{Database, Target};
use crate::plugins::{self, PgDb, WriteScope};
use crate::replay::{self, ReplayError};
use crate::resolve::Plan;
use crate::schema::ObjectKind;
use crate::session::{Access, Outcome, Session, SessionError};

/// What to seed with.
#[derive(Debug, Clone, Default)]
pub struct SeedOptions {
    /// Seed plugin files (`--plugin PATH`), run after the modules' own.
    pub plugins: Vec<PathBuf>,
    /// Also run the seed plugins the build carries for these modules.
    pub modules: Vec<String>,
    /// The size: patients; other tables scale from it.
    pub count: u32,
    /// The seed of the plugins' random numbers.
    pub seed: u64,
    /// The command line, for the event log.
    pub command: String,
}

/// What a seed wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SeedReport {
    /// The database, without password.
    pub database: String,
    /// The plugins run, in order.
    pub plugins: Vec<String>,
    /// Rows written per table.
    pub rows: BTreeMap<String, u64>,
    /// Wall time in milliseconds.
    pub elapsed_ms: f64,
}

/// Errors of seeding.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SeedError {
    /// Connecting, locking or the host's own queries failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The migrations could not be replayed to learn which module owns which table.
    #[error(transparent)]
    Replay(#[from] ReplayError),
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
}

/// Runs the seed plugins in one transaction. See the module docs.
pub async fn seed(plan: &Plan, target: &Target, options: &SeedOptions) -> Result<SeedReport, SeedError> {
    // Plugins first: a missing or malformed plugin is an error before any database work.
    let loaded = load(plan, options).await?;
    let mut session =
        Session::open(Database::Target(target), plan.settings(), "vytal-host seed", &options.command, Access::Write)
            .await?;
    let result = locked(plan, target, options, &loaded, &mut session).await;
    let (outcome, error) = match &result {
        Ok(r) if r.rows.is_empty() => (Outcome::Nothing("nothing-written"), None),
        Ok(_) => (Outcome::Succeeded, None),
        Err(e) => (Outcome::Failed, Some(e.to_string())),
    };
    let details = serde_json::json!({
        "count": options.count,
        "seed": options.seed,
        "rows": result.as_ref().map(|r| r.rows.clone()).unwrap_or_default(),
        "plugins": result.as_ref().map(|r| r.plugins.clone()).unwrap_or_default(),
    });
    session.finish(outcome, error.as_deref(), details).await;
    result
}

async fn load(plan: &Plan, options: &SeedOptions) -> Result<Vec<Plugin<PgDb>>, SeedError> {
    let mut loaded = Vec::new();
    for name in &options.modules {
        if let Some(m) = plan.modules().get(name.as_str()) {
            for p in m.plugins.iter().filter(|p| p.kind == "seed") {
                loaded.push(plugins::load_builtin(name, World::Seeder, &p.wasm).await?);
            }
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

async fn locked(
    plan: &Plan,
    target: &Target,
    options: &SeedOptions,
    loaded: &[Plugin<PgDb>],
    session: &mut Session<'_>,
) -> Result<SeedReport, SeedError> {
    let all: Vec<_> = plan.migrations().iter().collect();
    let expected = replay::replay(&all, plan.settings(), target, session.conn()).await?;
    let settings = &plan.settings().plugins;
    let limits = plugins::limits(settings);
    let runtime = plugins::runtime()?;
    let mut conn = target.connect("vytal-host seed (plugins)").await.map_err(SessionError::from)?;
    let begin = format!("BEGIN; SET LOCAL statement_timeout = '{}ms'", settings.statement_timeout.as_millis());
    sqlx::raw_sql(AssertSqlSafe(begin)).execute(&mut conn).await.map_err(SessionError::during("starting the seed"))?;
    let mut rows: BTreeMap<String, u64> = BTreeMap::new();
    for plugin in loaded {
        let module = plugin.info().module.clone();
        let writable: BTreeSet<String> = expected
            .owners
            .owned_by(&module)
            .filter(|(k, _)| *k == ObjectKind::Table)
            .map(|(_, n)| n.to_owned())
            .collect();
        let request = SeedRequest { count: options.count, seed: options.seed };
        let db = PgDb::new(conn, settings, Some(WriteScope::new(&module, writable)));
        let (mut db, run) = runtime.seed(plugin, db, &limits, request).await;
        let scope = db.scope.take().expect("a seeder's database has its write scope");
        for line in &run.logs {
            tracing::info!(plugin = plugin.name(), level = line.level, "{}", line.message);
        }
        let failed = match (run.result, &scope.refused) {
            (Err(e), None) => Some(SeedError::Plugin(e)),
            (_, Some(message)) => {
                Some(SeedError::Refused { plugin: plugin.name().to_owned(), message: message.clone() })
            }
            (Ok(()), None) => None,
        };
        for (table, n) in &scope.written {
            *rows.entry(table.clone()).or_default() += n;
        }
        conn = db.into_inner();
        if let Some(e) = failed {
            crate::exec::rollback(&mut conn).await;
            let _ = sqlx::Connection::close(conn).await;
            return Err(e);
        }
    }
    sqlx::raw_sql("COMMIT").execute(&mut conn).await.map_err(SessionError::during("committing the seed"))?;
    let _ = sqlx::Connection::close(conn).await;
    Ok(SeedReport {
        database: session.database().to_owned(),
        plugins: loaded.iter().map(|p| p.name().to_owned()).collect(),
        rows,
        elapsed_ms: session.elapsed_ms(),
    })
}
