//! `database create | drop | reset`: development databases, made and thrown
//! away in one command.
//!
//! The database is created and dropped through a connection to another
//! database of the same server (`postgres`, else `template1`). A database
//! marked as production (`vytal-host mark production`) is never dropped,
//! whatever the options; neither is one this host cannot look into.

use sqlx::postgres::PgConnection;

use crate::db::{self, ConnectError, Target};
use crate::ledger::Ledger;
use crate::resolve::Plan;

/// Errors of `database`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatabaseError {
    /// Neither the target nor a maintenance database could be reached.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The database is marked as production.
    #[error(
        "{database} is marked as production (vytal-host mark); `database {verb}` never drops such a database; if it is not production after all, clear the mark first (vytal-host mark development); nothing was dropped"
    )]
    Production {
        /// The database.
        database: String,
        /// `drop` or `reset`.
        verb: &'static str,
    },
    /// Whether the database is production could not be read.
    #[error(
        "cannot tell whether {database} is marked as production ({reason}), so it was not dropped; connect as a user that can read its `{schema}` schema"
    )]
    MarkUnreadable {
        /// The database.
        database: String,
        /// Why.
        reason: String,
        /// The ledger schema.
        schema: String,
    },
    /// The server refused to create or drop it.
    #[error("cannot {verb} database {database}: {}{hint}", crate::db::error_message(.error))]
    Server {
        /// `create` or `drop`.
        verb: &'static str,
        /// The database.
        database: String,
        /// The driver error.
        error: sqlx::Error,
        /// What to do about it.
        hint: &'static str,
    },
}

/// Connects to a database of the target's server other than the target:
/// `postgres`, else `template1`.
async fn maintenance(target: &Target) -> Result<PgConnection, ConnectError> {
    match target.with_database("postgres").connect("vytal-host database").await {
        Ok(c) => Ok(c),
        Err(first) => target.with_database("template1").connect("vytal-host database").await.map_err(|_| first),
    }
}

/// Creates the target's database; false when it existed already.
pub async fn create(target: &Target) -> Result<bool, DatabaseError> {
    let mut admin = maintenance(target).await?;
    let database = target.database().to_owned();
    let created = db::create_database(&mut admin, &database).await.map_err(|error| DatabaseError::Server {
        verb: "create",
        database: database.clone(),
        error,
        hint: "; the user needs the CREATEDB privilege (ALTER ROLE ... CREATEDB)",
    });
    let _ = sqlx::Connection::close(admin).await;
    created
}

/// Drops the target's database and its scratch databases (where `verify`
/// and `check` replay); false when it did not exist. Refuses a database
/// marked as production. With `force`, ends the sessions connected to it.
pub async fn drop(plan: &Plan, target: &Target, force: bool, verb: &'static str) -> Result<bool, DatabaseError> {
    let mut admin = maintenance(target).await?;
    let database = target.database().to_owned();
    let result = async {
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&database)
            .fetch_one(&mut admin)
            .await
            .map_err(|error| DatabaseError::Server { verb: "drop", database: database.clone(), error, hint: "" })?;
        if !exists {
            return Ok(false);
        }
        refuse_production(plan, target, verb).await?;
        let dropped = db::drop_database(&mut admin, &database, force).await.map_err(|error| {
            let busy = error.as_database_error().and_then(|d| d.code()).is_some_and(|c| c == "55006");
            DatabaseError::Server {
                verb: "drop",
                database: database.clone(),
                error,
                hint: if busy {
                    "; other sessions are connected to it: close them, or add --force to end them"
                } else {
                    "; only its owner or a superuser may drop it"
                },
            }
        })?;
        for scratch in [crate::replay::scratch_slot(&database, 0), crate::replay::scratch_slot(&database, 1)] {
            if let Err(e) = db::drop_database(&mut admin, &scratch, true).await {
                tracing::warn!(error = %e, database = %scratch, "could not drop the scratch database; drop it by hand");
            }
        }
        Ok(dropped)
    }
    .await;
    let _ = sqlx::Connection::close(admin).await;
    result
}

/// Refuses when the target is marked as production, or when that cannot be read.
async fn refuse_production(plan: &Plan, target: &Target, verb: &'static str) -> Result<(), DatabaseError> {
    let database = target.database().to_owned();
    let schema = plan.settings().ledger_schema.clone();
    let unreadable =
        |reason: String| DatabaseError::MarkUnreadable { database: database.clone(), reason, schema: schema.clone() };
    let mut conn = target.connect("vytal-host database").await.map_err(|e| unreadable(e.to_string()))?;
    let production = Ledger::new(&schema).is_production(&mut conn).await;
    let _ = sqlx::Connection::close(conn).await;
    match production {
        Ok(false) => Ok(()),
        Ok(true) => Err(DatabaseError::Production { database, verb }),
        Err(e) => Err(unreadable(db::error_message(&e))),
    }
}
