//! `verify`: how the live database differs from what the build says it should be.
//!
//! Three kinds of finding, each tagged with the module it concerns:
//! - history: the ledger against the build (pending, unknown, edited, versions);
//! - drift: the live catalog against the catalog the registered migrations
//!   produce, got by replaying them into a scratch database, so no second
//!   description of the schema is kept anywhere;
//! - prerequisites: objects a selected module needs from another module
//!   (the extension, the `users` columns its foreign keys point at).

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;
use sqlx::AssertSqlSafe;
use vytal_plugin_runtime::{Plugin, PluginError, Severity, World};

use crate::db::Database;
use crate::db::Target;
pub use crate::finding::{Finding, UNOWNED};
use crate::keys::ModuleName;
use crate::ledger::{AppliedRow, Downs};
use crate::plugins::{self, PgDb};
use crate::replay::{self, ReplayError};
use crate::resolve::{Plan, UnknownModule};
use crate::session::{Access, Outcome, Session, SessionError};
use crate::state::Assessment;

/// Errors of `verify`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Connecting or reading failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// `--module` names no module.
    #[error(transparent)]
    UnknownModule(#[from] UnknownModule),
    /// The migrations could not be replayed.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// A verify plugin could not be loaded or run.
    #[error(transparent)]
    Plugin(#[from] PluginError),
    /// A `--plugin` names a module the plan does not have.
    #[error("plugin {plugin} belongs to module `{module}`, which this build does not have; known modules: {known}")]
    PluginModule {
        /// The plugin.
        plugin: String,
        /// The module it names.
        module: String,
        /// The modules there are.
        known: String,
    },
}

/// Starts loading the verify plugins the build carries for the `selected`
/// modules on a thread of its own, with its own small runtime. Loading is
/// CPU work (a cache read, a link and a `describe` call per plugin), so it
/// goes on beside the database work rather than ahead of it; a verify that
/// fails early does not wait for it, and the thread ends with the process.
fn start_builtin_plugins(plan: &Plan, selected: &BTreeSet<ModuleName>) -> Loading {
    let wanted: Vec<(ModuleName, Cow<'static, [u8]>)> = plan
        .modules()
        .iter()
        .filter(|(n, _)| selected.contains(*n))
        .flat_map(|(n, m)| m.plugins.iter().filter(|p| p.kind == "verify").map(|p| (n.clone(), p.wasm.clone())))
        .collect();
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let started = std::thread::Builder::new().name("vytal-verify-plugins".into()).spawn(move || {
        let loaded = match tokio::runtime::Builder::new_current_thread().enable_time().build() {
            Ok(runtime) => runtime.block_on(async {
                let mut loaded = Vec::with_capacity(wanted.len());
                for (module, wasm) in &wanted {
                    loaded.push(plugins::load_builtin(module, World::Verifier, wasm).await?);
                }
                Ok(loaded)
            }),
            Err(e) => Err(PluginError::Engine(format!("cannot start a runtime for the plugins: {e}"))),
        };
        let _ = sender.send(loaded);
    });
    Loading { receiver, started: started.map(|_| ()).map_err(|e| e.to_string()) }
}

/// The build's verify plugins, loading on their own thread.
struct Loading {
    receiver: tokio::sync::oneshot::Receiver<Result<Vec<Plugin<PgDb>>, PluginError>>,
    started: Result<(), String>,
}

impl Loading {
    /// Waits for the plugins.
    async fn wait(self) -> Result<Vec<Plugin<PgDb>>, PluginError> {
        if let Err(e) = self.started {
            return Err(PluginError::Engine(format!("cannot start a thread to load the plugins: {e}")));
        }
        self.receiver.await.unwrap_or_else(|_| {
            Err(PluginError::Engine("loading the build's verify plugins stopped before it finished".into()))
        })
    }
}

/// The verify plugins given with `--plugin`, those of a `selected` module.
async fn load_given_plugins(
    plan: &Plan,
    selected: &BTreeSet<ModuleName>,
    given: &[PathBuf],
) -> Result<Vec<Plugin<PgDb>>, VerifyError> {
    let mut loaded = Vec::new();
    for path in given {
        let plugin = plugins::load_file(path, World::Verifier).await?;
        let module = plugin.info().module.clone();
        if !plan.modules().contains_key(module.as_str()) {
            return Err(VerifyError::PluginModule {
                plugin: plugin.name().to_owned(),
                module,
                known: plan.modules().keys().map(ModuleName::as_str).collect::<Vec<_>>().join(", "),
            });
        }
        if selected.contains(module.as_str()) {
            loaded.push(plugin);
        }
    }
    Ok(loaded)
}

/// Runs `loaded`, each in its own read-only transaction on one extra
/// connection; a plugin of a module with nothing applied is not run, and
/// says so in a note.
async fn run_plugins(
    plan: &Plan,
    target: &Target,
    loaded: &[Plugin<PgDb>],
    applied: &BTreeSet<&str>,
) -> Result<Vec<Finding>, VerifyError> {
    let mut out = Vec::new();
    let (runnable, idle): (Vec<&Plugin<PgDb>>, Vec<&Plugin<PgDb>>) =
        loaded.iter().partition(|p| applied.contains(p.info().module.as_str()));
    for plugin in idle {
        let info = plugin.info();
        out.push(Finding {
            module: info.module.clone(),
            category: "plugin",
            severity: "note",
            kind: info.name.clone(),
            object: info.module.clone(),
            expected: None,
            found: Some(format!(
                "not run: module `{}` has no applied migration, so its tables are not there",
                info.module
            )),
        });
    }
    if runnable.is_empty() {
        return Ok(out);
    }
    let settings = &plan.settings().plugins;
    let limits = plugins::limits(settings);
    let runtime = plugins::runtime()?;
    let mut conn = target.connect("vytal-host verify (plugins)").await.map_err(SessionError::from)?;
    for plugin in runnable {
        let begin = format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET LOCAL statement_timeout = '{}ms'; SELECT 1",
            settings.statement_timeout.as_millis()
        );
        sqlx::raw_sql(AssertSqlSafe(begin))
            .execute(&mut conn)
            .await
            .map_err(SessionError::during("starting a plugin's read-only transaction"))?;
        let (db, run) = runtime.verify(plugin, PgDb::new(conn, settings, None), &limits).await;
        conn = db.into_inner();
        crate::exec::rollback(&mut conn).await;
        for line in &run.logs {
            tracing::info!(plugin = plugin.name(), level = line.level, "{}", line.message);
        }
        let info = plugin.info();
        for f in run.result? {
            out.push(Finding {
                module: info.module.clone(),
                category: "plugin",
                severity: match f.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    Severity::Info => "info",
                },
                kind: info.name.clone(),
                object: f.object,
                expected: None,
                found: Some(f.message),
            });
        }
    }
    let _ = sqlx::Connection::close(conn).await;
    Ok(out)
}

/// The result of a verify.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// The database, without password.
    pub database: String,
    /// Modules checked.
    pub modules: Vec<String>,
    /// Every finding, grouped by module.
    pub findings: Vec<Finding>,
    /// Wall time in milliseconds.
    pub elapsed_ms: f64,
}

/// What to verify.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Only these modules' findings; empty means all.
    pub modules: Vec<String>,
    /// Verify plugins to run beside the modules' own (`--plugin PATH`).
    pub plugins: Vec<PathBuf>,
    /// Replay the migrations even when the cache holds their schema, and refresh it.
    pub replay: bool,
    /// A chain head exported earlier (`history --head`): event number and hash.
    pub head: Option<(i64, String)>,
    /// Compare with what the ledger records only: pending migrations are
    /// notes, and the expected schema is the applied migrations' replay.
    pub applied: bool,
}

/// The event log's chain, its guards, and an exported head, as findings.
async fn audit(session: &mut Session<'_>, head: Option<&(i64, String)>) -> Result<Vec<Finding>, VerifyError> {
    let (conn, ledger, _, _) = session.parts();
    let problems = ledger.chain_problems(conn, true).await.map_err(SessionError::during("checking the event log"))?;
    let mut out: Vec<Finding> = problems
        .into_iter()
        .map(|p| Finding {
            module: LEDGER.to_owned(),
            category: "audit",
            severity: if p.acknowledged { "warning" } else { "error" },
            kind: if p.acknowledged { "event log (acknowledged)".to_owned() } else { "event log".to_owned() },
            object: p.seq.map_or_else(|| "events".to_owned(), |n| format!("event {n}")),
            expected: None,
            found: Some(p.what),
        })
        .collect();
    let disagree =
        ledger.disagreements(conn).await.map_err(SessionError::during("comparing the ledger with the log"))?;
    for (migration, what) in disagree {
        out.push(Finding {
            module: LEDGER.to_owned(),
            category: "audit",
            severity: "error",
            kind: "ledger and log disagree".to_owned(),
            object: migration,
            expected: None,
            found: Some(what),
        });
    }
    if let Some((seq, hash)) = head {
        let now = ledger.hash_of(conn, *seq).await.map_err(SessionError::during("reading the event log"))?;
        if now.as_deref() != Some(hash.as_str()) {
            out.push(Finding {
                module: LEDGER.to_owned(),
                category: "audit",
                severity: "error",
                kind: "exported head".to_owned(),
                object: format!("event {seq}"),
                expected: Some(hash.clone()),
                found: Some(now.unwrap_or_else(|| "no such event".to_owned())),
            });
        }
    }
    Ok(out)
}

/// How findings about the ledger itself name their module.
const LEDGER: &str = "(ledger)";

/// Verifies the selected modules: history, drift, prerequisites, then each
/// selected module's verify plugin and the plugins given. Reads only; the
/// replay needs a [`Target`] to reach a scratch database on the same server.
pub async fn verify(plan: &Plan, target: &Target, options: &VerifyOptions) -> Result<VerifyReport, VerifyError> {
    let started = Instant::now();
    let modules = &options.modules;
    plan.check_modules(modules)?;
    let selected: BTreeSet<ModuleName> = if modules.is_empty() {
        plan.modules().keys().cloned().collect()
    } else {
        modules.iter().map(|m| m.as_str().into()).collect()
    };
    // Plugins given on the command line first: a missing or malformed one is
    // an error before any database work. The build's own are loaded later,
    // while the server reads the live catalog.
    let builtin = start_builtin_plugins(plan, &selected);
    let given = load_given_plugins(plan, &selected, &options.plugins).await?;
    let cache = if options.replay { replay::Cache::Refresh } else { replay::Cache::Use };
    let mut session =
        Session::open(Database::Target(target), plan.settings(), "vytal-host verify", "verify", Access::Read).await?;
    let result = async {
        let rows = session.applied(Downs::Read).await?;
        let mut findings = history(plan, &rows);
        findings.extend(audit(&mut session, options.head.as_ref()).await?);
        let recorded =
            |m: &&crate::resolve::PlannedMigration| rows.iter().any(|r| r.module == m.module && r.id == m.id);
        let all: Vec<_> = plan.migrations().iter().filter(|m| !options.applied || recorded(m)).collect();
        if options.applied {
            for f in findings.iter_mut().filter(|f| f.category == "history" && f.kind == "not applied") {
                f.severity = "note";
            }
        }
        let applied: BTreeSet<&str> = rows.iter().map(|r| r.module.as_str()).collect();
        // The plugins load and run on their own connection while the comparison
        // waits on the server: neither needs the other, and both only read.
        let (c, plugged) =
            tokio::join!(replay::compare(session.conn(), target, &all, plan.settings(), &selected, cache), async {
                let mut loaded = builtin.wait().await?;
                loaded.extend(given);
                run_plugins(plan, target, &loaded, &applied).await
            });
        let c = c?;
        let plugged = plugged?;
        let foreign = session.foreign_objects().await?;
        findings.extend(c.drift.iter().map(|d| {
            let mut f = Finding::of(d, "drift");
            if d.is_extra() && foreign.iter().any(|(k, o)| *k == d.kind.to_string() && *o == d.object) {
                f.severity = "note";
                f.kind = format!("foreign {} (acknowledged)", d.kind);
            }
            f
        }));
        findings.extend(c.prerequisites.iter().map(|d| Finding::of(d, "prerequisite")));
        findings.extend(plugged);
        Ok::<_, VerifyError>(findings)
    }
    .await;
    session.finish(Outcome::Succeeded, None, serde_json::Value::Null).await;
    let mut findings = result?;
    // A whole-database verify keeps everything, including ledger rows of modules the build no longer has.
    if !modules.is_empty() {
        findings.retain(|f| f.category == "audit" || selected.contains(f.module.as_str()));
    }
    findings
        .sort_by(|a, b| (&a.module, a.category, &a.object, &a.kind).cmp(&(&b.module, b.category, &b.object, &b.kind)));
    Ok(VerifyReport {
        database: target.to_string(),
        modules: selected.iter().map(ToString::to_string).collect(),
        findings,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

fn finding(
    module: &str,
    category: &'static str,
    kind: &str,
    object: String,
    expected: Option<String>,
    found: Option<String>,
) -> Finding {
    Finding { module: module.to_owned(), category, severity: "error", kind: kind.to_owned(), object, expected, found }
}

fn history(plan: &Plan, rows: &[AppliedRow]) -> Vec<Finding> {
    let a = Assessment::new(plan, rows.to_vec());
    let mut out = Vec::new();
    for m in &a.pending {
        out.push(finding(
            &m.module,
            "history",
            "not applied",
            m.label().to_string(),
            Some("applied".into()),
            Some("pending".into()),
        ));
    }
    for e in &a.edited {
        out.push(finding(
            &e.module,
            "history",
            "checksum",
            e.migration.clone(),
            Some(e.file_checksum.clone()),
            Some(e.applied_checksum.clone()),
        ));
    }
    for r in &a.unknown {
        out.push(finding(
            &r.module,
            "history",
            "unknown to this build",
            r.label().to_string(),
            None,
            Some(format!("applied at {}", r.applied_at)),
        ));
    }
    for r in rows {
        // Read with the down SQL (`Downs::Read`); a row without it has nothing to compare.
        if let Some(stored) = r.down_sql.as_deref() {
            if r.down_intact() == Some(false) {
                out.push(finding(
                    &r.module,
                    "history",
                    "stored down edited",
                    r.label().to_string(),
                    r.down_checksum.clone(),
                    Some(crate::sql::checksum(stored)),
                ));
            }
            let built_down = plan.find(&r.module, &r.id).map(|m| &m.down);
            if built_down.is_some_and(|d| crate::sql::normalise(d) != crate::sql::normalise(stored)) {
                let mut f = finding(
                    &r.module,
                    "history",
                    "stored down differs from the build's",
                    r.label().to_string(),
                    built_down.map(|d| crate::sql::checksum(d)),
                    Some(crate::sql::checksum(stored)),
                );
                f.severity = "warning";
                out.push(f);
            }
        }
        let Some(built) = plan.modules().get(r.module.as_str()) else { continue };
        let recorded = semver::Version::parse(&r.module_version);
        let compiled = plan.find(&r.module, &r.id).map(|m| &m.version);
        let object = r.label().to_string();
        match recorded {
            Ok(v) if v > built.version => out.push(finding(
                &r.module,
                "history",
                "module version",
                object,
                Some(format!("at most {}", built.version)),
                Some(v.to_string()),
            )),
            Ok(v) if compiled.is_some_and(|c| *c != v) => {
                out.push(finding(
                    &r.module,
                    "history",
                    "module version",
                    object,
                    compiled.map(ToString::to_string),
                    Some(v.to_string()),
                ));
            }
            Ok(_) => {}
            Err(_) => out.push(finding(
                &r.module,
                "history",
                "module version",
                object,
                Some("a semver version".into()),
                Some(r.module_version.clone()),
            )),
        }
    }
    out
}
