//! `vytal-host database`: create, drop or reset a development database.

use std::process::ExitCode;

use vytal_host::database::Dropped;

use super::{Global, out, out_json};

/// Create, drop or reset (drop, create, apply every migration) the database.
///
/// For development databases, as sqlx-cli's `database` commands. The
/// database is the one every command uses (--database-url, DATABASE_URL,
/// DB_*); it is created and dropped through the server's `postgres`
/// database. drop and reset ask for the database name on a terminal
/// (elsewhere give it with --yes), and refuse a database marked as
/// production (`vytal-host mark production`), with no option to override.
///
/// Example: vytal-host database create
///
/// Example: vytal-host database reset --yes vytalwatch_dev
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Create the database if it does not exist
    Create,
    /// Drop the database (and its scratch databases), if it exists
    Drop(Confirm),
    /// Drop the database, create it again, and apply every migration
    Reset(Confirm),
}

#[derive(Debug, clap::Args)]
struct Confirm {
    /// Confirm without a terminal: the database's name
    #[arg(long, value_name = "DATABASE")]
    yes: Option<String>,
    /// End other sessions connected to the database (and its scratch databases) instead of failing
    #[arg(long)]
    force: bool,
}

#[derive(serde::Serialize)]
struct Report {
    database: String,
    #[serde(flatten)]
    dropped: Dropped,
    created: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    applied: Option<usize>,
}

pub async fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let target = global.target()?;
    let database = target.database().to_owned();
    let mut report = Report { database: database.clone(), dropped: Dropped::default(), created: false, applied: None };
    match args.action {
        Action::Create => {
            report.created = vytal_host::database::create(&target).await?;
            if !global.json {
                out(if report.created {
                    format!("created database {database}")
                } else {
                    format!("database {database} exists already")
                });
            }
        }
        Action::Drop(c) => {
            confirm(&database, &c, "drop")?;
            let plan = global.plan()?;
            report.dropped = vytal_host::database::drop(&plan, &target, c.force, "drop").await?;
            if !global.json {
                out(if report.dropped.dropped {
                    format!("dropped database {database}")
                } else {
                    format!("database {database} does not exist; nothing to drop")
                });
                scratch_notes(&report.dropped);
            }
        }
        Action::Reset(c) => {
            confirm(&database, &c, "reset (drop, create, migrate)")?;
            let plan = global.plan()?;
            vytal_host::database::check_can_create(&target).await?;
            report.dropped = vytal_host::database::drop(&plan, &target, c.force, "reset").await?;
            report.created = vytal_host::database::create(&target).await?;
            let options = vytal_host::RunOptions { command: "database reset".to_owned(), ..Default::default() };
            let run = vytal_host::run(&plan, &target, &options, &mut vytal_host::Quiet).await?;
            report.applied = Some(run.migrations.len());
            if !global.json {
                scratch_notes(&report.dropped);
                out(format!(
                    "reset database {database}: {}created, {} migration(s) applied",
                    if report.dropped.dropped { "dropped, " } else { "" },
                    run.migrations.len()
                ));
            }
        }
    }
    if global.json {
        out_json(&report)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn scratch_notes(d: &Dropped) {
    for s in &d.scratch_dropped {
        out(format!("  dropped scratch database {s}"));
    }
    for s in &d.scratch_left {
        out(format!("  note: scratch database {s} was left; drop it by hand, or again with --force"));
    }
}

/// Needs the database's name: from --yes, or typed on a terminal.
fn confirm(database: &str, c: &Confirm, what: &str) -> anyhow::Result<()> {
    let action = format!("{what} {database} (every row in it is lost)");
    super::confirm_by_name(database, c.yes.as_deref(), &action, "nothing was dropped")
}
