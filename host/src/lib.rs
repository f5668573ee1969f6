//! vytal-host: the VytalWatch migration host.
//!
//! It reads `migrations.toml`, checks it against the module crates linked
//! into the build, orders every migration by the modules' semver
//! requirements, and applies what a PostgreSQL database has not yet seen,
//! under an advisory lock, recording each migration in a ledger and every
//! run in an append-only event log.
//!
//! The `vytal-host` binary is a thin shell over this library; an application
//! can run the same plan from its own `main`:
//!
//! ```no_run
//! # async fn migrate() -> Result<(), Box<dyn std::error::Error>> {
//! use vytal_host::{Catalog, Manifest, Quiet, RunOptions, Target};
//!
//! let plan = vytal_host::resolve(&Manifest::embedded()?, &Catalog::linked())?;
//! let target = Target::from_url("postgres://app@db.internal:5432/vytalwatch", "config")?;
//! let report = vytal_host::run(&plan, &target, &RunOptions::default(), &mut Quiet).await?;
//! println!("applied {} migration(s)", report.migrations.len());
//! # Ok(()) }
//! ```

pub mod adopt;
pub mod apply;
pub mod catalog;
pub mod db;
pub mod graph;
pub mod ledger;
mod linked;
pub mod lock;
pub mod manifest;
pub mod resolve;
pub mod rollback;
pub mod scaffold;
pub mod schema;
pub mod sql;
pub mod state;
pub mod status;
pub mod verify;

pub use apply::{ApplyError, Progress, Quiet, RunOptions, RunReport, run};
pub use catalog::{Catalog, MigrationSource, ModuleSource};
pub use db::{ConnectError, Target};
pub use manifest::{Manifest, ManifestError};
pub use resolve::{Plan, PlannedMigration, ResolveError, resolve};
pub use status::{StatusReport, status};
