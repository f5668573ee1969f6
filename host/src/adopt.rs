//! `adopt`: take over a database whose objects something else created.
//!
//! VytalWatch databases built by the earlier migration suite already hold
//! the 1.0.0 schema, and running the migrations on them would fail on the
//! first existing object. Adopting records those migrations in the ledger
//! without running one DDL statement, but only after checking, by the same
//! replay `verify` uses, that every object they create is there exactly as
//! they create it. Objects the migrations do not create (an application's
//! extra columns, say) are reported and left alone.
//!
//! A database may stand at an older module version than the build carries
//! (built by the old suite at 1.0.0, adopted by a build at 1.1.0). Adopt
//! first compares with the whole plan; each module whose objects differ is
//! stepped back one version and compared again, until the database matches
//! or no older version is left. A module none of whose objects is there (one
//! the old suite never had) is left out. What matches is recorded; the newer
//! migrations, and the modules left out, stay pending for `run`.

use std::collections::{BTreeMap, BTreeSet};

use semver::Version;

use crate::db::Database;
use crate::db::Target;
use crate::exec::MigrationOutcome;
use crate::finding::Finding;
use crate::keys::{MigrationId, ModuleName};
use crate::ledger::Downs;
use crate::replay::{self, ReplayError};
use crate::resolve::{Plan, PlannedMigration, UnknownModule};
use crate::schema::{Change, Drift, ObjectKind};
use crate::session::{Access, Outcome, Session, SessionError};
use crate::state::{Assessment, StateError};

/// How to adopt.
#[derive(Debug, Clone, Default)]
pub struct AdoptOptions {
    /// These modules and what they require; empty means all.
    pub modules: Vec<String>,
    /// Check and say what would be recorded, change nothing.
    pub dry_run: bool,
    /// Record the objects no migration creates as foreign, for this reason:
    /// `verify` then shows them as notes instead of drift.
    pub acknowledge_foreign: Option<String>,
    /// The command line, for the event log.
    pub command: String,
}

/// What an adoption recorded (or would record).
#[derive(Debug, Clone, serde::Serialize)]
pub struct AdoptReport {
    /// The database, without password.
    pub database: String,
    /// Whether nothing was changed on purpose.
    pub dry_run: bool,
    /// The version each adopted module was found at.
    pub versions: BTreeMap<String, String>,
    /// The migrations recorded as applied, in plan order.
    pub adopted: Vec<MigrationOutcome>,
    /// Selected migrations newer than the database, left pending for `run`.
    pub pending: Vec<String>,
    /// Objects the database has beyond what the migrations create; left alone.
    pub extra: Vec<Finding>,
    /// Whether `extra` was recorded as foreign (`--acknowledge-foreign`).
    pub acknowledged: bool,
    /// Wall time in milliseconds.
    pub elapsed_ms: f64,
}

/// Errors of `adopt`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdoptError {
    /// Connecting, locking or the host's own bookkeeping failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// `--module` names no module.
    #[error(transparent)]
    UnknownModule(#[from] UnknownModule),
    /// The ledger shows edited migrations.
    #[error(transparent)]
    State(#[from] StateError),
    /// The migrations could not be replayed.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// `--acknowledge-foreign` while migrations are still pending.
    #[error(
        "--acknowledge-foreign waits until nothing is pending: {pending} migration(s) are (e.g. {first}), and an object that looks foreign now may be one of theirs; apply them with `vytal-host run`, then acknowledge; nothing was recorded"
    )]
    ForeignWhilePending {
        /// How many migrations are pending after this adoption.
        pending: usize,
        /// The first of them.
        first: String,
    },
    /// The database lacks or differs from what the migrations create, at every version tried.
    #[error(
        "cannot adopt: the database does not hold what {} migration(s) create (compared at {}), so recording them as applied would be false; nothing was recorded\n{}\nbring the database in line (or apply the missing pieces by hand), check with `vytal-host adopt --dry-run`, then adopt",
        migrations,
        versions,
        findings.iter().map(describe_finding).collect::<Vec<_>>().join("\n")
    )]
    Differs {
        /// How many migrations were to be adopted.
        migrations: usize,
        /// The module versions of the last comparison, e.g. `tasks@1.0.0, claims@1.0.0`.
        versions: String,
        /// What is missing or different.
        findings: Vec<Finding>,
    },
}

/// Whether none of `module`'s tables, enum types and extensions is there:
/// each one it creates is reported missing.
fn absent(c: &replay::Comparison, module: &ModuleName) -> bool {
    let missing = |kind: ObjectKind, name: &str| {
        c.drift.iter().any(|d| {
            d.owner.as_ref() == Some(module)
                && d.kind == kind
                && d.object == name
                && matches!(d.change, Change::Missing { .. })
        })
    };
    let mut created = c.owners.owned_by(module.as_str()).peekable();
    created.peek().is_some() && created.all(|(kind, name)| missing(kind, name))
}

fn describe_finding(f: &Finding) -> String {
    let mut s = format!("  {}: {}: {}", f.module, f.kind, f.object);
    if let Some(e) = &f.expected {
        s.push_str(&format!("\n      expected: {e}"));
    }
    s.push_str(&format!("\n      found:    {}", f.found.as_deref().unwrap_or("(missing)")));
    s
}

/// Checks the database against the pending migrations of the selection and records them as applied.
pub async fn adopt(plan: &Plan, target: &Target, options: &AdoptOptions) -> Result<AdoptReport, AdoptError> {
    let selection = plan.select(&options.modules)?;
    let access = if options.dry_run { Access::Read } else { Access::Write };
    let mut session =
        Session::open(Database::Target(target), plan.settings(), "vytal-host adopt", &options.command, access).await?;
    let result = locked(plan, target, &selection, options, &mut session).await;
    let (outcome, error) = match &result {
        Ok(r) if r.adopted.is_empty() && !r.acknowledged => (Outcome::Nothing("nothing-to-adopt"), None),
        Ok(_) => (Outcome::Succeeded, None),
        Err(e) => (Outcome::Failed, Some(e.to_string())),
    };
    let adopted = result.as_ref().map_or(0, |r| if r.dry_run { 0 } else { r.adopted.len() });
    let pending = result.as_ref().map_or(0, |r| r.pending.len());
    let acknowledged = result.as_ref().map_or(0, |r| if r.acknowledged { r.extra.len() } else { 0 });
    let details = serde_json::json!({
        "adopted": adopted, "left_pending": pending, "modules": options.modules, "acknowledged_foreign": acknowledged,
    });
    session.finish(outcome, error.as_deref(), details).await;
    result
}

async fn locked(
    plan: &Plan,
    target: &Target,
    selection: &[&PlannedMigration],
    options: &AdoptOptions,
    session: &mut Session<'_>,
) -> Result<AdoptReport, AdoptError> {
    if !options.dry_run {
        session.ensure_ledger().await?;
    }
    let assessment = Assessment::new(plan, session.applied(Downs::Skip).await?);
    let todo = assessment.pending_among(selection)?;
    let todo_keys: BTreeSet<(ModuleName, MigrationId)> =
        todo.iter().map(|m| (m.module.clone(), m.id.clone())).collect();

    // Start from the build's versions; step back the modules that differ.
    let mut at: BTreeMap<ModuleName, Version> = plan.newest_versions();
    let (cut, comparison) = loop {
        let cut = plan.cut(&at);
        let adoptable: Vec<&PlannedMigration> =
            cut.migrations().iter().filter(|m| todo_keys.contains(&(m.module.clone(), m.id.clone()))).collect();
        let modules: BTreeSet<ModuleName> = adoptable.iter().map(|m| m.module.clone()).collect();
        let all: Vec<&PlannedMigration> = cut.migrations().iter().collect();
        let c = replay::compare(session.conn(), target, &all, plan.settings(), &modules, replay::Cache::Use).await?;
        let differing: BTreeSet<ModuleName> = c
            .drift
            .iter()
            .chain(&c.prerequisites)
            .filter(|d| !d.is_extra())
            .filter_map(|d| d.owner.clone())
            .filter(|m| modules.contains(m))
            .collect();
        let mut stepped = false;
        for module in &differing {
            // Never below what the ledger already records as applied.
            let floor = assessment
                .applied
                .values()
                .filter(|r| r.module == *module)
                .filter_map(|r| plan.find(&r.module, &r.id).map(|m| m.version.clone()));
            let floor = floor.max();
            let Some(current) = at.get(module).cloned() else { continue };
            let older = plan
                .modules()
                .get(module.as_str())
                .and_then(|rm| rm.versions.iter().rev().find(|v| **v < current).cloned())
                .filter(|v| floor.as_ref().is_none_or(|f| v >= f));
            if let Some(older) = older {
                tracing::info!(module = %module, from = %current, to = %older, "the database differs; comparing with the older version");
                at.insert(module.clone(), older);
                stepped = true;
            } else if floor.is_none() && absent(&c, module) {
                // None of its objects is there: the module was never built here (a
                // module the old suite did not have). It stays pending, for `run`.
                tracing::info!(module = %module, "none of the module's objects is there; it is left to run");
                at.insert(module.clone(), Version::new(0, 0, 0));
                stepped = true;
            }
        }
        if differing.is_empty() || !stepped {
            let count = adoptable.len();
            break (cut, (c, count, modules));
        }
    };
    let (c, count, modules) = comparison;
    // Objects of modules that are already applied, or not adopted now, are not this command's business.
    let ours = |d: &&Drift| d.owner.as_ref().is_some_and(|o| modules.contains(o));
    let differs: Vec<&Drift> = c.drift.iter().filter(ours).filter(|d| !d.is_extra()).collect();
    let differs: Vec<Finding> = differs
        .into_iter()
        .map(|d| Finding::of(d, "drift"))
        .chain(c.prerequisites.iter().filter(ours).map(|d| Finding::of(d, "prerequisite")))
        .collect();
    if !differs.is_empty() {
        let versions =
            modules.iter().filter_map(|m| at.get(m).map(|v| format!("{m}@{v}"))).collect::<Vec<_>>().join(", ");
        return Err(AdoptError::Differs { migrations: count, versions, findings: differs });
    }

    let adopt: Vec<&PlannedMigration> =
        cut.migrations().iter().filter(|m| todo_keys.contains(&(m.module.clone(), m.id.clone()))).collect();
    let adopted_keys: BTreeSet<(&str, &str)> = adopt.iter().map(|m| (m.module.as_str(), m.id.as_str())).collect();
    // Objects no migration creates are listed so that they can be
    // acknowledged, now or in a later adopt: those of the modules adopted
    // now, of modules with nothing left pending, and those on no module's
    // table (an earlier tool's own). A module that still has pending
    // migrations is left out: what looks extra may be theirs to change.
    let unsettled: BTreeSet<&ModuleName> = assessment
        .pending
        .iter()
        .filter(|m| !adopted_keys.contains(&(m.module.as_str(), m.id.as_str())))
        .map(|m| &m.module)
        .collect();
    let listed = |d: &&Drift| match &d.owner {
        None => true,
        Some(o) => modules.contains(o) || !unsettled.contains(o),
    };
    let foreign = session.foreign_objects().await?;
    let acknowledged = |d: &&Drift| foreign.iter().any(|(k, o)| *k == d.kind.to_string() && *o == d.object);
    let extra: Vec<&Drift> = c.drift.iter().filter(|d| d.is_extra() && listed(d) && !acknowledged(d)).collect();
    let to_acknowledge: Vec<(String, String, Option<String>)> =
        extra.iter().map(|d| (d.kind.to_string(), d.object.clone(), d.found().map(str::to_owned))).collect();
    let extra: Vec<Finding> = extra.into_iter().map(|d| Finding::of(d, "drift")).collect();
    let acknowledge = options.acknowledge_foreign.as_deref().filter(|_| !to_acknowledge.is_empty());
    let still_pending: Vec<&PlannedMigration> = assessment
        .pending
        .iter()
        .copied()
        .filter(|m| !adopted_keys.contains(&(m.module.as_str(), m.id.as_str())))
        .collect();
    if acknowledge.is_some()
        && let Some(first) = still_pending.first()
    {
        return Err(AdoptError::ForeignWhilePending { pending: still_pending.len(), first: first.label().to_string() });
    }
    if !options.dry_run && (!adopt.is_empty() || acknowledge.is_some()) {
        let (conn, ledger, actor, command) = session.parts();
        let record = async {
            sqlx::raw_sql("BEGIN").execute(&mut *conn).await?;
            for m in &adopt {
                ledger.record_adopted(conn, m, actor, command).await?;
            }
            if let Some(reason) = acknowledge {
                ledger.acknowledge_foreign(conn, &to_acknowledge, reason, actor, command).await?;
            }
            sqlx::raw_sql("COMMIT").execute(&mut *conn).await?;
            Ok::<(), sqlx::Error>(())
        }
        .await;
        if let Err(e) = record {
            crate::exec::rollback(session.conn()).await;
            return Err(SessionError::during("recording the adopted migrations")(e).into());
        }
    }
    Ok(AdoptReport {
        database: session.database().to_owned(),
        dry_run: options.dry_run,
        versions: modules.iter().filter_map(|m| at.get(m).map(|v| (m.to_string(), v.to_string()))).collect(),
        adopted: adopt.iter().map(|m| MigrationOutcome::of(m, None)).collect(),
        pending: todo
            .iter()
            .filter(|m| !adopted_keys.contains(&(m.module.as_str(), m.id.as_str())))
            .map(|m| m.label().to_string())
            .collect(),
        extra,
        acknowledged: acknowledge.is_some() && !options.dry_run,
        elapsed_ms: session.elapsed_ms(),
    })
}
