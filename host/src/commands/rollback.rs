//! `vytal-host rollback`: undo applied migrations, newest first.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::bail;
use vytal_host::rollback::{RollbackOptions, Selection, Step};

use super::{Global, ms, out, out_json};

/// Roll back applied migrations, newest first: the last one by default.
///
/// Each down migration runs in one transaction with the removal of its
/// ledger row. The down SQL is the one stored when the migration was
/// applied, so a build that no longer carries a migration can still undo it.
/// --all and --cascade ask for the database name on a terminal; elsewhere
/// they need --yes.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("what").args(["count", "module", "to", "all"]))]
pub struct Args {
    /// Roll back the last N applied migrations
    #[arg(short = 'n', value_name = "N", id = "count")]
    count: Option<usize>,
    /// Roll back every applied migration of this module
    #[arg(long, short = 'm', value_name = "MODULE")]
    module: Option<String>,
    /// Roll back a module to a version: MODULE@VERSION, e.g. medications@1.0.0
    #[arg(long, value_name = "MODULE@VERSION")]
    to: Option<String>,
    /// Roll back everything
    #[arg(long)]
    all: bool,
    /// Also roll back, first, the applied migrations of other modules that require the selection
    #[arg(long)]
    cascade: bool,
    /// Confirm --all or --cascade without being asked
    #[arg(long)]
    yes: bool,
    /// Print the down SQL in the order it would run, change nothing
    #[arg(long)]
    dry_run: bool,
}

pub async fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let plan = global.plan()?;
    let selection = if args.all {
        Selection::All
    } else if let Some(m) = args.module {
        Selection::Module(m)
    } else if let Some(to) = args.to {
        let Some((m, v)) = to.split_once('@') else {
            bail!("--to takes MODULE@VERSION, e.g. --to medications@1.0.0; got `{to}`");
        };
        let v = semver::Version::parse(v)
            .map_err(|e| anyhow::anyhow!("--to {to}: `{v}` is not a version ({e}); write e.g. 1.0.0"))?;
        Selection::To(m.to_owned(), v)
    } else {
        Selection::Last(args.count.unwrap_or(1))
    };
    let target = global.target()?;
    let mut command = format!("rollback {selection}");
    for (flag, on) in [(" --cascade", args.cascade), (" --yes", args.yes), (" --dry-run", args.dry_run)] {
        if on {
            command.push_str(flag);
        }
    }
    let destructive = args.all || args.cascade;
    let options = RollbackOptions { selection, cascade: args.cascade, dry_run: args.dry_run, command };
    let json = global.json;
    if !json {
        out(format!("database: {target}"));
    }
    let database = target.database().to_owned();
    let mut confirm = |steps: &[Step]| -> Result<(), String> {
        if !json {
            out(format!("rolling back {} migration(s), newest first:", steps.len()));
            for s in steps {
                let why = if s.dependant { "  (requires what is rolled back; --cascade)" } else { "" };
                out(format!("  {} ({}){why}", s.label(), s.version));
            }
        }
        if !destructive || args.yes {
            return Ok(());
        }
        if !std::io::stdin().is_terminal() {
            return Err("--all and --cascade roll back more than one module's migrations and need confirmation: run on a terminal, or add --yes; nothing was rolled back".to_owned());
        }
        eprint!("type the database name `{database}` to confirm: ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
        if line.trim() == database {
            Ok(())
        } else {
            Err("the confirmation did not match the database name; nothing was rolled back".to_owned())
        }
    };
    let report = vytal_host::rollback::rollback(&plan, &target, &options, &mut confirm).await?;
    if json {
        out_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    if report.dry_run {
        for s in &report.steps {
            let note = if s.compiled_differs {
                "\n-- note: this build's down SQL differs; the stored one above is what runs"
            } else {
                ""
            };
            out(format!(
                "-- ==== {} ({} {}), stored at apply time\n{}{note}",
                s.label(),
                s.module,
                s.version,
                s.down_sql.trim_end()
            ));
        }
        out(format!("dry run: {} migration(s) would be rolled back; nothing was changed", report.steps.len()));
        return Ok(ExitCode::SUCCESS);
    }
    if report.steps.is_empty() {
        out("nothing to roll back");
    }
    for s in &report.steps {
        if s.compiled_differs {
            out(format!("  note: {} ran its stored down SQL, which differs from this build's", s.label()));
        }
        out(format!("  rolled back {} in {}", s.label(), ms(s.duration_ms.unwrap_or(0.0))));
    }
    if !report.steps.is_empty() {
        out(format!("rolled back {} migration(s) in {}", report.steps.len(), ms(report.elapsed_ms)));
    }
    Ok(ExitCode::SUCCESS)
}
