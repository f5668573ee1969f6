//! `vytal-host adopt`: record migrations whose objects the database already holds.

use std::process::ExitCode;

use vytal_host::adopt::AdoptOptions;

use super::{Global, ms, out, out_json};

/// Take over a database built by something else, without running its DDL.
///
/// For the selected modules (all by default) and what they require, checks
/// that every object the pending migrations create is in the database exactly
/// as they create it (by the same replay `verify` uses), then records them in
/// the ledger as applied. If anything is missing or different, nothing is
/// recorded and the differences are listed. Objects beyond what the
/// migrations create (an earlier tool's own `migrations` table, say) are
/// listed and left alone; --acknowledge-foreign records them in the ledger
/// schema as belonging there, and verify then reports them as notes.
///
/// Example: vytal-host adopt --dry-run
///
/// Example: vytal-host adopt --module medications
///
/// Example: vytal-host adopt --acknowledge-foreign "the old TypeScript suite's migrations table"
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Adopt only this module (repeatable) and the modules it requires
    #[arg(long = "module", short = 'm', value_name = "MODULE")]
    modules: Vec<String>,
    /// Check and show what would be recorded, change nothing
    #[arg(long)]
    dry_run: bool,
    /// Record the objects no migration creates (listed as notes) as foreign,
    /// with this reason; verify then shows them as notes, not drift
    #[arg(long, value_name = "REASON")]
    acknowledge_foreign: Option<String>,
}

pub async fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let plan = global.plan()?;
    let target = global.target()?;
    let mut command = String::from("adopt");
    for m in &args.modules {
        command.push_str(&format!(" --module {m}"));
    }
    if args.dry_run {
        command.push_str(" --dry-run");
    }
    if let Some(reason) = &args.acknowledge_foreign {
        if reason.trim().is_empty() {
            anyhow::bail!(
                "--acknowledge-foreign needs a reason, e.g. --acknowledge-foreign \"the old TypeScript suite's own table\""
            );
        }
        command.push_str(&format!(" --acknowledge-foreign {reason:?}"));
    }
    let options = AdoptOptions {
        modules: args.modules,
        dry_run: args.dry_run,
        acknowledge_foreign: args.acknowledge_foreign,
        command,
    };
    let report = vytal_host::adopt::adopt(&plan, &target, &options).await?;
    let args_reason = options.acknowledge_foreign;
    if global.json {
        out_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    out(format!("database: {}", report.database));
    let foreign = match (report.acknowledged, report.dry_run, &args_reason) {
        (true, _, _) => "recorded as foreign (verify shows it as a note)",
        (false, true, Some(_)) => "would be recorded as foreign",
        _ => "left alone",
    };
    for f in &report.extra {
        out(format!("  note: {}: {} {} is not created by any migration; {foreign}", f.module, f.kind, f.object));
    }
    if !report.extra.is_empty() && args_reason.is_none() {
        out(format!(
            "  {} object(s) no migration creates: if they belong here, record them with --acknowledge-foreign \"why\" (once nothing is pending) so that verify shows them as notes",
            report.extra.len()
        ));
    }
    let verb = if report.dry_run { "would record" } else { "recorded" };
    for m in &report.adopted {
        out(format!("  {verb} {}/{}_{} ({}) as applied", m.module, m.id, m.name, m.version));
    }
    if !report.pending.is_empty() {
        out(format!(
            "  the database matches older module versions ({}); {} newer migration(s) stay pending: apply them with `vytal-host run`",
            report.versions.iter().map(|(m, v)| format!("{m}@{v}")).collect::<Vec<_>>().join(", "),
            report.pending.len()
        ));
        for p in &report.pending {
            out(format!("    pending {p}"));
        }
    }
    out(match (report.adopted.len(), report.dry_run) {
        (0, _) => "nothing to adopt: every selected migration is already in the ledger".to_owned(),
        (n, true) => format!("dry run: the database holds what {n} migration(s) create; nothing was recorded"),
        (n, false) => format!("adopted {n} migration(s) in {}; no DDL was run", ms(report.elapsed_ms)),
    });
    Ok(ExitCode::SUCCESS)
}
