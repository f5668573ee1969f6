//! `vytal-host grant-runner`: split the ledger's owner from the role that runs migrations.

use std::process::ExitCode;

use super::{Global, out};

/// As the owner of the ledger schema: let ROLE run migrations, but never rewrite the log.
///
/// Creates the ledger if it is missing, then grants ROLE what running needs:
/// reading and writing ledger rows and appending events. ROLE does not own
/// the event log, so it cannot delete or change events, switch off their
/// triggers or move the chain's head; the chain's trigger runs as the owner.
/// ROLE also needs to create objects where the migrations create them (on
/// VytalWatch, CREATE on the database and on schema public).
///
/// Example:
///   DATABASE_URL=postgres://vytal_owner@db/app vytal-host grant-runner vytal_runner
///   DATABASE_URL=postgres://vytal_runner@db/app vytal-host run
///
/// Example: vytal-host grant-runner vytal_runner
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The role that will run vytal-host from now on
    #[arg(value_name = "ROLE")]
    role: String,
}

pub async fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let plan = global.plan()?;
    let target = global.target()?;
    let command = format!("grant-runner {}", args.role);
    vytal_host::history::grant_runner(&plan, &target, &args.role, &command).await?;
    out(format!(
        "{} may now run migrations and append to the event log in schema `{}`; it cannot change or delete events",
        args.role,
        plan.settings().ledger_schema
    ));
    Ok(ExitCode::SUCCESS)
}
