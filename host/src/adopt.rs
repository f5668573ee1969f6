//! `adopt`: take over a database whose objects something else created.
//!
//! VytalWatch databases built by the earlier migration suite already hold
//! the 1.0.0 schema, and running the migrations on them would fail on the
//! first existing object. Adopting records those migrations in the ledger
//! without running one DDL statement, but only after checking, by the same
//! replay `verify` uses, that every object they create is there exactly as
//! they create it. Objects the migrations do not create (an application's
//! extra columns, say) are reported and left alone.

use std::collections::BTreeSet;
use std::time::Instant;

use crate::apply::{ApplyError, MigrationOutcome, Summary, check_modules, finish_session};
use crate::db::Target;
use crate::ledger::{Actor, Ledger};
use crate::lock::RunLock;
use crate::resolve::{Plan, PlannedMigration};
use crate::schema::describe;
use crate::state::Assessment;
use crate::verify::{Finding, drift, prerequisites, replay};

/// How to adopt.
#[derive(Debug, Clone, Default)]
pub struct AdoptOptions {
    /// These modules and what they require; empty means all.
    pub modules: Vec<String>,
    /// Check and say what would be recorded, change nothing.
    pub dry_run: bool,
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
    /// The migrations recorded as applied, in plan order.
    pub adopted: Vec<MigrationOutcome>,
    /// Objects the database has beyond what the migrations create; left alone.
    pub extra: Vec<Finding>,
    /// Wall time in milliseconds.
    pub elapsed_ms: f64,
}

/// Errors of `adopt`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdoptError {
    /// Connecting, locking or reading failed, or the ledger shows edited migrations.
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// The database lacks or differs from what the migrations create.
    #[error(
        "cannot adopt: the database does not hold what {} migration(s) create, so recording them as applied would be false; nothing was recorded\n{}\nbring the database in line (or apply the missing pieces by hand), check with `vytal-host adopt --dry-run`, then adopt",
        migrations,
        findings.iter().map(describe_finding).collect::<Vec<_>>().join("\n")
    )]
    Differs {
        /// How many migrations were to be adopted.
        migrations: usize,
        /// What is missing or different.
        findings: Vec<Finding>,
    },
}

fn describe_finding(f: &Finding) -> String {
    let mut s = format!("  {}: {}: {}", f.module, f.kind, f.object);
    if let Some(e) = &f.expected {
        s.push_str(&format!("\n      expected: {e}"));
    }
    s.push_str(&format!("\n      found:    {}", f.found.as_deref().unwrap_or("(missing)")));
    s
}

/// Findings that describe something beyond what the migrations create.
fn is_extra(f: &Finding) -> bool {
    f.kind.starts_with("extra ")
}

/// Checks the database against the pending migrations of the selection and records them as applied.
pub async fn adopt(plan: &Plan, target: &Target, options: &AdoptOptions) -> Result<AdoptReport, AdoptError> {
    let started = Instant::now();
    let wanted = check_modules(plan, &options.modules)?;
    let ledger = Ledger::new(&plan.settings().ledger_schema);
    let mut conn = target.connect("vytal-host adopt").await.map_err(ApplyError::from)?;
    let db = |during: &'static str| move |source| ApplyError::Database { during, source };

    let lock = if options.dry_run {
        None
    } else {
        Some(
            RunLock::acquire(&mut conn, &plan.settings().ledger_schema, plan.settings().lock_wait)
                .await
                .map_err(ApplyError::from)?,
        )
    };
    let actor = Actor::current();
    let result = async {
        if !options.dry_run {
            ledger.ensure(&mut conn).await.map_err(db("creating the ledger"))?;
        }
        let rows = ledger.applied(&mut conn).await.map_err(db("reading the ledger"))?;
        let assessment = Assessment::new(plan, rows);
        if !assessment.edited.is_empty() {
            return Err(ApplyError::Edited(assessment.edited.clone()).into());
        }
        let todo: Vec<&PlannedMigration> =
            wanted.iter().filter(|i| assessment.pending.contains(i)).map(|&i| &plan.migrations()[i]).collect();
        let modules: BTreeSet<String> = todo.iter().map(|m| m.module.clone()).collect();

        let found = describe(&mut conn, "public", &[]).await.map_err(db("reading the live catalog"))?;
        let (expected, owners) = replay(plan, target, &mut conn).await?;
        let mut findings: Vec<Finding> = drift(&expected, &found, &owners)
            .into_iter()
            .chain(prerequisites(&expected, &found, &owners, &modules))
            .filter(|f| modules.contains(&f.module))
            .collect();
        // Objects of modules that are already applied, or not adopted now, are not this command's business.
        let extra: Vec<Finding> = findings.iter().filter(|f| is_extra(f)).cloned().collect();
        findings.retain(|f| !is_extra(f));
        if !findings.is_empty() {
            return Err(AdoptError::Differs { migrations: todo.len(), findings });
        }
        if !options.dry_run && !todo.is_empty() {
            let record = async {
                sqlx::raw_sql("BEGIN").execute(&mut conn).await?;
                for m in &todo {
                    ledger.record_adopted(&mut conn, m, &actor, &options.command).await?;
                }
                sqlx::raw_sql("COMMIT").execute(&mut conn).await?;
                Ok::<(), sqlx::Error>(())
            }
            .await;
            if let Err(e) = record {
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut conn).await;
                return Err(db("recording the adopted migrations")(e).into());
            }
        }
        Ok(AdoptReport {
            database: target.to_string(),
            dry_run: options.dry_run,
            adopted: todo
                .iter()
                .map(|m| MigrationOutcome {
                    module: m.module.clone(),
                    id: m.id.clone(),
                    name: m.name.clone(),
                    version: m.version.to_string(),
                    duration_ms: None,
                })
                .collect(),
            extra,
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }
    .await;

    match lock {
        Some(lock) => {
            let (outcome, error, adopted) = match &result {
                Ok(r) => (if r.adopted.is_empty() { "nothing-to-adopt" } else { "succeeded" }, None, r.adopted.len()),
                Err(e) => ("failed", Some(e.to_string()), 0),
            };
            let details = serde_json::json!({ "adopted": adopted, "modules": options.modules });
            let summary = Summary { command: &options.command, outcome, error: error.as_deref(), started, details };
            finish_session(conn, lock, &ledger, &actor, summary).await;
        }
        None => {
            let _ = sqlx::Connection::close(conn).await;
        }
    }
    result
}
