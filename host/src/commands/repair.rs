//! `vytal-host repair`: accept an intentional change to applied migrations, on the record.

use std::process::ExitCode;

use vytal_host::repair::RepairOptions;

use super::{Global, out, out_json};

/// Accept an intended change to applied migrations: record this build's checksum.
///
/// When an applied migration's file changes, every run refuses until the
/// file is restored. If the change was meant (a comment, a reformatting, an
/// equivalent statement) and the database already holds what the new text
/// makes, repair records the file's checksum (and its module version, where
/// the row names another) in the ledger. Each changed row gets an event with
/// the old and new checksums, who, and your reason; history shows it.
/// Without MIGRATION, every applied migration that differs is repaired.
/// A change that alters what the migration makes belongs in a new migration.
///
/// Example: vytal-host repair medications/0002 --reason "reworded a comment (PR 812)"
///
/// Example: vytal-host repair --dry-run
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The applied migration(s) to repair, as MODULE/ID (e.g. medications/0002); default: every one that differs
    #[arg(value_name = "MIGRATION")]
    migrations: Vec<String>,
    /// Why the change is intended; kept in the event log (required unless --dry-run)
    #[arg(long, value_name = "WHY", required_unless_present = "dry_run")]
    reason: Option<String>,
    /// Show what would be repaired, change nothing
    #[arg(long)]
    dry_run: bool,
}

pub async fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let plan = global.plan()?;
    let target = global.target()?;
    let mut command = String::from("repair");
    for m in &args.migrations {
        command.push_str(&format!(" {m}"));
    }
    if args.dry_run {
        command.push_str(" --dry-run");
    }
    let reason = args.reason.unwrap_or_default();
    if !reason.is_empty() {
        command.push_str(&format!(" --reason {reason:?}"));
    }
    let options = RepairOptions { migrations: args.migrations, reason, dry_run: args.dry_run, command };
    let report = vytal_host::repair::repair(&plan, &target, &options).await?;
    if global.json {
        out_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    out(format!("database: {}", report.database));
    if report.repaired.is_empty() {
        out("nothing to repair: every applied migration matches this build");
        return Ok(ExitCode::SUCCESS);
    }
    let verb = if report.dry_run { "would record" } else { "recorded" };
    for r in &report.repaired {
        let mut what = Vec::new();
        if r.previous_checksum != r.checksum {
            what.push(format!("checksum {} -> {}", r.previous_checksum, r.checksum));
        }
        if r.previous_version != r.version {
            what.push(format!("module version {} -> {}", r.previous_version, r.version));
        }
        out(format!("  {}: {verb} {} ({})", r.migration, what.join(", "), r.path));
    }
    out(if report.dry_run {
        format!("dry run: {} ledger row(s) would be repaired; nothing was changed", report.repaired.len())
    } else {
        format!(
            "repaired {} ledger row(s); each change is in the event log (vytal-host history)",
            report.repaired.len()
        )
    });
    Ok(ExitCode::SUCCESS)
}
