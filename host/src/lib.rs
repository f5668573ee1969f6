//! vytal-host: the VytalWatch migration host.
//!
//! It reads `migrations.toml`, checks it against the module crates linked
//! into the build, orders every migration by the modules' semver
//! requirements, and applies what a PostgreSQL database has not yet seen,
//! under an advisory lock, recording each migration in a ledger and every
//! run in an append-only event log.
//!
//! The `vytal-host` binary is a thin shell over this library. An
//! application can run the same plan from its own `main`, against connect
//! options it built in code (TLS, a password from a secret store, an IAM
//! token) or over a connection it already holds:
//!
//! ```no_run
//! # async fn migrate() -> Result<(), Box<dyn std::error::Error>> {
//! use sqlx::postgres::{PgConnectOptions, PgSslMode};
//! use vytal_host::{Catalog, Manifest, Quiet, RunOptions, Target};
//!
//! let plan = vytal_host::resolve(&Manifest::embedded()?, &Catalog::linked())?;
//! let options = PgConnectOptions::new()
//!     .host("db.internal")
//!     .username("migrator")
//!     .database("vytalwatch")
//!     .ssl_mode(PgSslMode::Require);
//! let report = vytal_host::run(&plan, &Target::from_options(options), &RunOptions::default(), &mut Quiet).await?;
//! println!("applied {} migration(s)", report.migrations.len());
//!
//! // Or on a connection the application holds; it stays open afterwards.
//! use sqlx::Connection as _;
//! let mut conn = sqlx::PgConnection::connect("postgres://app@localhost/vytalwatch").await?;
//! let status = vytal_host::status(&plan, &mut conn).await?;
//! assert_eq!(status.pending, 0);
//! # Ok(()) }
//! ```
//!
//! Layers, bottom up: [`keys`] and [`sql`] (names and SQL text), [`catalog`],
//! [`manifest`] and [`resolve`] (the [`Plan`], no I/O), [`session`] (one
//! connection, the lock, the ledger and the closing event) with [`exec`]
//! (the one way SQL runs) and [`schema`] (the typed schema model and its
//! diff), [`replay`] (the schema migrations produce), and the verbs on top:
//! [`run`], [`rollback`](rollback::rollback), [`verify`](verify::verify),
//! [`adopt`](adopt::adopt), [`status`].

pub mod adopt;
pub mod apply;
pub mod catalog;
pub mod check;
mod copy;
pub mod database;
pub mod db;
pub mod exec;
mod finding;
pub mod graph;
pub mod history;
pub mod keys;
pub mod ledger;
mod linked;
pub mod lock;
pub mod loss;
pub mod manifest;
pub mod mark;
mod plugins;
pub mod repair;
pub mod replay;
pub mod resolve;
pub mod rollback;
pub mod scaffold;
pub mod schema;
pub mod seed;
mod session;
pub mod sql;
pub mod state;
pub mod status;
pub mod verify;

pub use apply::{ApplyError, Progress, Quiet, RunOptions, RunReport, pending, run};
pub use catalog::{Catalog, MigrationSource, ModuleSource, PluginSource};
pub use db::{ConnectError, Database, Target};
pub use keys::{Label, MigrationId, ModuleName};
pub use manifest::{Manifest, ManifestError};
pub use resolve::{Plan, PlannedMigration, ResolveError, resolve};
pub use session::SessionError;
pub use status::{StatusReport, status};
