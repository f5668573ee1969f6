//! `repair`: accept an intentional change to applied migrations.
//!
//! An applied migration whose file changed makes every `run` refuse. When
//! the change was meant (a comment, a reformatting, an equivalent
//! statement), `repair` records the file's checksum in the ledger row, and
//! this build's module version where the row names another. Each repaired
//! row gets an event of its own, in the same transaction, naming the old and
//! new values, who, and the reason given: the ledger and the log keep
//! agreeing, and the change is on the record.

use crate::db::Database;
use crate::ledger::{Downs, Event};
use crate::resolve::Plan;
use crate::session::{Access, Outcome, Session, SessionError};
use crate::state::Assessment;

/// What to repair.
#[derive(Debug, Clone, Default)]
pub struct RepairOptions {
    /// The migrations, as `module/id` or `module/id_name`; empty means every
    /// applied migration that differs from this build.
    pub migrations: Vec<String>,
    /// Why the change is intended; stored in each event.
    pub reason: String,
    /// Show what would change, change nothing.
    pub dry_run: bool,
    /// The command line, for the event log.
    pub command: String,
}

/// One ledger row brought in line with this build.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Repaired {
    /// `module/id_name`.
    pub migration: String,
    /// The module.
    pub module: String,
    /// The id.
    pub id: String,
    /// The name.
    pub name: String,
    /// The up file this build carries.
    pub path: String,
    /// The checksum the row recorded.
    pub previous_checksum: String,
    /// The checksum of this build's file.
    pub checksum: String,
    /// The module version the row recorded.
    pub previous_version: String,
    /// This build's module version for it.
    pub version: String,
}

/// What `repair` did or would do.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RepairReport {
    /// The database, without password.
    pub database: String,
    /// Whether nothing was changed on purpose.
    pub dry_run: bool,
    /// The rows changed (or that would be).
    pub repaired: Vec<Repaired>,
}

/// Errors of `repair`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RepairError {
    /// Connecting, locking or the host's own bookkeeping failed.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// No reason was given.
    #[error(
        "repair needs a reason, kept in the event log with each change: e.g. --reason \"reworded a comment in 0003 (PR 812)\"; nothing was changed"
    )]
    NoReason,
    /// A named migration is not applied, or not carried by this build.
    #[error(
        "`{name}` is not an applied migration that this build carries; name one as MODULE/ID, e.g. medications/0002{}; nothing was changed",
        if .differing.is_empty() { String::new() } else { format!(" (these differ from the build: {})", .differing.join(", ")) }
    )]
    NotApplied {
        /// As given.
        name: String,
        /// The migrations that would need a repair.
        differing: Vec<String>,
    },
    /// The ledger row was changed outside vytal-host: not a changed file.
    #[error(
        "the ledger row of {migration} disagrees with the event log ({what}); repair accepts a migration file changed on purpose, not a ledger row changed outside vytal-host. Set the row back to what the event recorded (vytal-host verify names the event) and look into who changed it; nothing was changed"
    )]
    LedgerEdited {
        /// `module/id_name`.
        migration: String,
        /// What the ledger-against-log check found.
        what: String,
    },
    /// A named migration matches the build already.
    #[error("{0} matches this build already: there is nothing to repair; nothing was changed")]
    Unchanged(String),
}

/// Brings the chosen ledger rows in line with this build, each with an event.
pub async fn repair<'c>(
    plan: &Plan,
    db: impl Into<Database<'c>>,
    options: &RepairOptions,
) -> Result<RepairReport, RepairError> {
    if options.reason.trim().is_empty() && !options.dry_run {
        return Err(RepairError::NoReason);
    }
    let access = if options.dry_run { Access::Read } else { Access::Write };
    let mut session = Session::open(db.into(), plan.settings(), "vytal-host repair", &options.command, access).await?;
    let mut report =
        RepairReport { database: session.database().to_owned(), dry_run: options.dry_run, repaired: Vec::new() };
    let result = locked(plan, &mut session, options, &mut report).await;
    let (outcome, error) = match &result {
        Ok(()) if report.repaired.is_empty() => (Outcome::Nothing("nothing-to-repair"), None),
        Ok(()) => (Outcome::Succeeded, None),
        Err(e) => (Outcome::Failed, Some(e.to_string())),
    };
    let details = serde_json::json!({ "repaired": report.repaired.len(), "reason": options.reason });
    session.finish(outcome, error.as_deref(), details).await;
    result.map(|()| report)
}

async fn locked(
    plan: &Plan,
    session: &mut Session<'_>,
    options: &RepairOptions,
    report: &mut RepairReport,
) -> Result<(), RepairError> {
    let assessment = Assessment::new(plan, session.applied(Downs::Skip).await?);
    let mut differing = Vec::new();
    let mut all = Vec::new();
    for m in plan.migrations() {
        let Some(row) = assessment.row(m) else { continue };
        let r = Repaired {
            migration: m.label().to_string(),
            module: m.module.to_string(),
            id: m.id.to_string(),
            name: m.name.clone(),
            path: m.up_path.clone(),
            previous_checksum: row.checksum.clone(),
            checksum: m.checksum.clone(),
            previous_version: row.module_version.clone(),
            version: m.version.to_string(),
        };
        if r.previous_checksum != r.checksum || r.previous_version != r.version {
            differing.push(r.migration.clone());
        }
        all.push(r);
    }
    let chosen: Vec<Repaired> = if options.migrations.is_empty() {
        all.into_iter().filter(|r| differing.contains(&r.migration)).collect()
    } else {
        let mut chosen: Vec<Repaired> = Vec::new();
        for name in &options.migrations {
            let found = all.iter().find(|r| {
                let key = format!("{}/{}", r.module, r.id);
                *name == key || *name == r.migration
            });
            let Some(r) = found else {
                return Err(RepairError::NotApplied { name: name.clone(), differing });
            };
            if !differing.contains(&r.migration) {
                return Err(RepairError::Unchanged(r.migration.clone()));
            }
            if !chosen.iter().any(|c| c.migration == r.migration) {
                chosen.push(r.clone());
            }
        }
        chosen
    };
    let (conn, ledger, _, _) = session.parts();
    let disagreements =
        ledger.disagreements(conn).await.map_err(SessionError::during("comparing the ledger with the log"))?;
    for r in &chosen {
        let key = format!("{}/{}", r.module, r.id);
        if let Some((_, what)) = disagreements.iter().find(|(m, _)| *m == key) {
            return Err(RepairError::LedgerEdited { migration: r.migration.clone(), what: what.clone() });
        }
    }
    if options.dry_run || chosen.is_empty() {
        report.repaired = chosen;
        return Ok(());
    }
    session.ensure_ledger().await?;
    let (conn, ledger, actor, command) = session.parts();
    let written = async {
        sqlx::raw_sql("BEGIN").execute(&mut *conn).await?;
        for r in &chosen {
            ledger.repair(conn, &r.module, &r.id, &r.previous_checksum, &r.checksum, &r.version).await?;
            let event = Event {
                kind: "migration",
                command,
                outcome: "repaired",
                module: Some(&r.module),
                migration: Some(&r.id),
                details: serde_json::json!({
                    "name": r.name,
                    "checksum": r.checksum,
                    "previous_checksum": r.previous_checksum,
                    "module_version": r.version,
                    "previous_module_version": r.previous_version,
                    "reason": options.reason,
                }),
                ..Event::default()
            };
            ledger.record_event(conn, &event, actor).await?;
        }
        sqlx::raw_sql("COMMIT").execute(&mut *conn).await?;
        Ok::<_, sqlx::Error>(())
    }
    .await;
    if let Err(e) = written {
        crate::exec::rollback(conn).await;
        return Err(SessionError::during("recording the repair")(e).into());
    }
    report.repaired = chosen;
    Ok(())
}
