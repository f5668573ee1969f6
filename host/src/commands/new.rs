//! `vytal-host new`: scaffold the next migration of a module.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use vytal_host::Catalog;

use super::{Global, out, out_json};

/// Create the next migration's up and down files in a module crate.
///
/// Files go to modules/MODULE/migrations/VERSION/NNNN_NAME.{up,down}.sql,
/// VERSION being the module's current version, NNNN one more than the
/// module's highest, in the build or on disk. Rebuild to embed them
/// (`cargo xtask migrate --module MODULE` rebuilds and applies).
/// For a new module version, first raise the version in the crate's
/// Cargo.toml and in migrations.toml.
///
/// Example: vytal-host new --module medications add_refill_reminders
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The module to add the migration to
    #[arg(long, short = 'm', value_name = "MODULE")]
    module: String,
    /// The migration name: lowercase words joined by underscores
    name: String,
    /// The workspace root [default: the nearest folder, from here up, holding migrations.toml]
    #[arg(long)]
    root: Option<PathBuf>,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let plan = global.plan()?;
    let catalog = Catalog::linked();
    let dir = catalog.module(&args.module).map(|m| m.dir.clone()).unwrap_or_default();
    let root = match args.root {
        Some(root) => root,
        None => {
            let here = std::env::current_dir().context("cannot read the current folder")?;
            vytal_host::scaffold::find_root(&here, &dir).unwrap_or(here)
        }
    };
    let (up, down) = vytal_host::scaffold::new_migration(&plan, &root, &args.module, &args.name, &dir)
        .context("cannot scaffold the migration")?;
    if global.json {
        out_json(&serde_json::json!({ "up": up, "down": down }))?;
    } else {
        out(format!("created {}\ncreated {}", up.display(), down.display()));
    }
    Ok(ExitCode::SUCCESS)
}
