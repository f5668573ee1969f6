//! `status`: per module, the version built, what is applied and what is pending.

use serde::Serialize;

use crate::db::Database;
use crate::ledger::Downs;
use crate::resolve::Plan;
use crate::session::{Access, Outcome, Session, SessionError};
use crate::state::{Assessment, Edited};

/// One migration's state.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationState {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Module version it belongs to.
    pub version: String,
    /// When it was applied (UTC), if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_at: Option<String>,
    /// Who applied it: `db_user (os_user@host)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_by: Option<String>,
    /// How long it took, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
}

/// One module's state.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleStatus {
    /// Module name.
    pub module: String,
    /// The version this build carries.
    pub version: String,
    /// The newest module version with every migration applied, if any.
    pub applied_version: Option<String>,
    /// Applied migrations.
    pub applied: Vec<MigrationState>,
    /// Pending migrations.
    pub pending: Vec<MigrationState>,
}

/// The whole database's state.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    /// The database, without password.
    pub database: String,
    /// The TLS version the connection uses (`TLSv1.3`), or none when it is in clear text.
    pub tls: Option<String>,
    /// The ledger schema.
    pub ledger_schema: String,
    /// Modules in name order.
    pub modules: Vec<ModuleStatus>,
    /// Applied migrations whose files changed.
    pub edited: Vec<Edited>,
    /// Applied migrations whose ledger row names another module version than the build.
    pub misversioned: Vec<crate::state::Misversioned>,
    /// Ledger rows unknown to this build (`module/id_name`).
    pub unknown: Vec<String>,
    /// Pending migrations in all.
    pub pending: usize,
}

/// Reads the ledger (without locking or writing) and compares it with the plan.
pub async fn status<'c>(plan: &Plan, db: impl Into<Database<'c>>) -> Result<StatusReport, SessionError> {
    let mut session = Session::open(db.into(), plan.settings(), "vytal-host status", "status", Access::Read).await?;
    let rows = session.applied(Downs::Skip).await;
    let database = session.database().to_owned();
    let tls = session.tls().await;
    session.finish(Outcome::Succeeded, None, serde_json::Value::Null).await;
    let mut report = build(plan, database, &Assessment::new(plan, rows?));
    report.tls = tls?;
    Ok(report)
}

/// Builds a report from an assessment already made.
pub(crate) fn build(plan: &Plan, database: String, a: &Assessment<'_>) -> StatusReport {
    let modules = plan
        .modules()
        .values()
        .map(|rm| {
            let mut status = ModuleStatus {
                module: rm.name.to_string(),
                version: rm.version.to_string(),
                applied_version: None,
                applied: Vec::new(),
                pending: Vec::new(),
            };
            let mut complete_up_to: Option<semver::Version> = None;
            let mut blocked = false;
            let mut migrations: Vec<_> = plan.migrations().iter().filter(|m| m.module == rm.name).collect();
            migrations.sort_by(|x, y| x.version.cmp(&y.version));
            for m in migrations {
                let row = a.row(m);
                let state = MigrationState {
                    id: m.id.to_string(),
                    name: m.name.clone(),
                    version: m.version.to_string(),
                    applied_at: row.map(|r| r.applied_at.clone()),
                    applied_by: row.map(|r| r.applied_by.clone()),
                    duration_ms: row.map(|r| r.duration_ms),
                };
                if row.is_some() {
                    status.applied.push(state);
                    if !blocked {
                        complete_up_to = Some(m.version.clone());
                    }
                } else {
                    status.pending.push(state);
                    if !blocked {
                        // A version is only complete when all of its migrations are applied.
                        if complete_up_to.as_ref() == Some(&m.version) {
                            complete_up_to = None;
                        }
                        blocked = true;
                    }
                }
            }
            status.applied_version = complete_up_to.map(|v| v.to_string());
            status
        })
        .collect();
    StatusReport {
        database,
        tls: None,
        ledger_schema: plan.settings().ledger_schema.clone(),
        modules,
        edited: a.edited.clone(),
        misversioned: a.misversioned.clone(),
        unknown: a.unknown.iter().map(|r| r.label().to_string()).collect(),
        pending: a.pending.len(),
    }
}
