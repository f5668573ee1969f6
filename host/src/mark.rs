//! `mark`: record what a database is. A database marked as production is
//! refused by `seed`, `database drop` and `database reset`; the mark lives
//! in the ledger schema, and setting or clearing it is an event.

use crate::db::{Database, Target};
use crate::resolve::Plan;
use crate::session::{Access, Outcome, Session, SessionError};

/// What the database is marked as after the command, and whether it changed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MarkReport {
    /// The database, without password.
    pub database: String,
    /// Whether it is marked as production now.
    pub production: bool,
    /// Whether this command changed it.
    pub changed: bool,
}

/// Reads the mark.
pub async fn read(plan: &Plan, target: &Target) -> Result<MarkReport, SessionError> {
    let mut session =
        Session::open(Database::Target(target), plan.settings(), "vytal-host mark", "mark", Access::Read).await?;
    let (conn, ledger, _, _) = session.parts();
    let production = ledger.is_production(conn).await.map_err(SessionError::during("reading the production mark"));
    let database = session.database().to_owned();
    session.finish(Outcome::Nothing("read"), None, serde_json::Value::Null).await;
    Ok(MarkReport { database, production: production?, changed: false })
}

/// Marks the database as production, or clears the mark. The caller has
/// asked for confirmation before clearing it.
pub async fn set(plan: &Plan, target: &Target, production: bool, command: &str) -> Result<MarkReport, SessionError> {
    let mut session =
        Session::open(Database::Target(target), plan.settings(), "vytal-host mark", command, Access::Write).await?;
    let result = async {
        session.ensure_ledger().await?;
        let (conn, ledger, actor, command) = session.parts();
        ledger
            .set_production(conn, production, actor, command)
            .await
            .map_err(SessionError::during("recording the production mark"))
    }
    .await;
    let database = session.database().to_owned();
    // The mark's own event is written with it; the session adds no second one.
    session.finish_quietly().await;
    Ok(MarkReport { database, production, changed: result? })
}
