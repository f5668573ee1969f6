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
    /// The server's own databases are not for dropping.
    #[error(
        "{0} is one of the server's own databases; `database drop` and `reset` are for an application's database: point DATABASE_URL (or --database-url) at it"
    )]
    ServerOwn(String),
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
    /// The user may not create databases, so a reset would only drop.
    #[error(
        "{user} may not create databases (it has neither CREATEDB nor SUPERUSER), so `database reset` would drop {database} and could not create it again; nothing was dropped. Run as a user that may (ALTER ROLE {user} CREATEDB)"
    )]
    CannotCreate {
        /// The database.
        database: String,
        /// The user.
        user: String,
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
    let created = db::create_database(&mut admin, &database).await.map_err(|error| {
        let denied = error.as_database_error().and_then(|d| d.code()).is_some_and(|c| c == "42501");
        DatabaseError::Server {
            verb: "create",
            database: database.clone(),
            error,
            hint: if denied { "; the user needs the CREATEDB privilege (ALTER ROLE ... CREATEDB)" } else { "" },
        }
    });
    let _ = sqlx::Connection::close(admin).await;
    created
}

/// Refuses, before anything is dropped, when the user could not create the
/// database again (`database reset`).
pub async fn check_can_create(target: &Target) -> Result<(), DatabaseError> {
    let mut admin = maintenance(target).await?;
    let may: Result<Option<bool>, sqlx::Error> =
        sqlx::query_scalar("SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user")
            .fetch_optional(&mut admin)
            .await;
    let _ = sqlx::Connection::close(admin).await;
    match may {
        Ok(Some(true)) => Ok(()),
        Ok(_) => {
            Err(DatabaseError::CannotCreate { database: target.database().to_owned(), user: target.user().to_owned() })
        }
        Err(error) => {
            Err(DatabaseError::Server { verb: "create", database: target.database().to_owned(), error, hint: "" })
        }
    }
}

/// What `drop` did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Dropped {
    /// Whether the database existed (and is gone).
    pub dropped: bool,
    /// Scratch databases that are gone too.
    pub scratch_dropped: Vec<String>,
    /// Scratch databases that could not be dropped, with why: drop them by hand.
    pub scratch_left: Vec<String>,
}

/// Drops the target's database and its scratch databases (where `verify`
/// and `check` replay). Refuses a database marked as production. With
/// `force`, ends the sessions connected to them; without, a database in use
/// is an error (the target) or left, and said (a scratch database).
pub async fn drop(plan: &Plan, target: &Target, force: bool, verb: &'static str) -> Result<Dropped, DatabaseError> {
    if ["postgres", "template0", "template1"].contains(&target.database()) {
        return Err(DatabaseError::ServerOwn(target.database().to_owned()));
    }
    let mut admin = maintenance(target).await?;
    let database = target.database().to_owned();
    let result = async {
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&database)
            .fetch_one(&mut admin)
            .await
            .map_err(|error| DatabaseError::Server { verb: "drop", database: database.clone(), error, hint: "" })?;
        let mut done = Dropped::default();
        if exists {
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
            done.dropped = dropped;
        }
        // Scratch databases go too, even when the database itself is gone already.
        for scratch in [crate::replay::scratch_slot(&database, 0), crate::replay::scratch_slot(&database, 1)] {
            match db::drop_database(&mut admin, &scratch, force).await {
                Ok(true) => done.scratch_dropped.push(scratch),
                Ok(false) => {}
                Err(e) => done.scratch_left.push(format!("{scratch} ({})", db::error_message(&e))),
            }
        }
        Ok(done)
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
