//! `vytal-host mark`: record whether a database is production.

use std::process::ExitCode;

use super::{Global, out, out_json};

/// Mark a database as production, or clear the mark.
///
/// A production database is refused by `seed`, `database drop` and
/// `database reset`, with no option to override it. The mark is kept in the
/// ledger schema and every change is recorded in the event log. Clearing it asks for the database name on a terminal;
/// elsewhere pass it with --yes.
///
/// Examples:
///   vytal-host mark                      show the mark
///   vytal-host mark production           mark this database as production
///   vytal-host mark development          clear the mark (type the database name)
///   vytal-host mark development --yes vytal_staging
///
/// Example: vytal-host mark production
///
/// Example: vytal-host mark development --yes vytalwatch_dev
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// production, or development to clear the mark; omit to show it
    #[arg(value_name = "ENVIRONMENT", value_parser = ["production", "development"])]
    environment: Option<String>,
    /// Confirm clearing the mark without a terminal: the database's name
    #[arg(long, value_name = "DATABASE")]
    yes: Option<String>,
}

pub async fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let plan = global.plan()?;
    let target = global.target()?;
    let report = match args.environment.as_deref() {
        None => vytal_host::mark::read(&plan, &target).await?,
        Some("production") => vytal_host::mark::set(&plan, &target, true, "mark production").await?,
        Some(_) => {
            let database = target.database().to_owned();
            super::confirm_by_name(
                &database,
                args.yes.as_deref(),
                "clearing the production mark",
                "the production mark was kept",
            )?;
            vytal_host::mark::set(&plan, &target, false, "mark development").await?
        }
    };
    if global.json {
        out_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    let state = if report.production { "production" } else { "not production" };
    let change = if report.changed { " (changed)" } else { "" };
    out(format!("{}: {state}{change}", report.database));
    Ok(ExitCode::SUCCESS)
}
