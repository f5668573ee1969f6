//! `vytal-host rollback`: undo applied migrations, newest first.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::bail;
use vytal_host::rollback::{DownChoice, RollbackOptions, Selection, Step};

use super::{Global, ms, out, out_json};

/// Roll back applied migrations, newest first: the last one by default.
///
/// Each down migration runs in one transaction with the removal of its
/// ledger row. The down SQL is the one stored when the migration was
/// applied, so a build that no longer carries a migration can still undo it.
/// Before anything runs, the rows its downs would destroy are counted (the
/// tables they drop, truncate or delete from, the columns they drop). A
/// rollback that destroys rows, and any --all or --cascade, asks for the
/// database name on a terminal; elsewhere it needs --yes. --dry-run shows
/// the same counts.
///
/// Example: vytal-host rollback --to medications@1.1.0 --dry-run
///
/// Example: vytal-host rollback --module push-notifications
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
    /// Confirm without being asked: --all, --cascade, or downs that destroy rows
    #[arg(long)]
    yes: bool,
    /// Print the down SQL in the order it would run, change nothing
    #[arg(long)]
    dry_run: bool,
    /// Where the stored down SQL and this build's differ, run this one (asked on a terminal)
    #[arg(long, value_enum, value_name = "stored|build")]
    down: Option<Down>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Down {
    /// The down SQL stored in the ledger when the migration was applied
    Stored,
    /// This build's down SQL
    Build,
}

pub async fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let plan = global.plan()?;
    let selection = if args.all {
        Selection::All
    } else if let Some(m) = args.module {
        Selection::Module(m)
    } else if let Some(to) = args.to {
        let (m, v) = super::module_at(&to, "--to")?;
        Selection::To(m, v)
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
    let many = args.all || args.cascade;
    let mut down = match args.down {
        Some(Down::Stored) => DownChoice::Stored,
        Some(Down::Build) => DownChoice::Build,
        None => DownChoice::Ask,
    };
    if let Some(d) = args.down {
        command.push_str(match d {
            Down::Stored => " --down stored",
            Down::Build => " --down build",
        });
    }
    if down == DownChoice::Ask && !args.dry_run && !global.json && std::io::stdin().is_terminal() {
        down = ask_which_down(&plan, &target, &selection, args.cascade).await?;
    }
    let options = RollbackOptions { selection, cascade: args.cascade, dry_run: args.dry_run, command, down };
    let json = global.json;
    if !json {
        out(format!("database: {target}"));
    }
    let database = target.database().to_owned();
    let mut confirm = |steps: &[Step]| -> Result<(), String> {
        let lost = Step::losses_of(steps);
        let ask = (many || !lost.is_empty()) && !args.yes;
        // Refused before anything is listed, so the list cannot read as done.
        if ask && !std::io::stdin().is_terminal() {
            return Err(if lost.is_empty() {
                "--all and --cascade roll back more than one module's migrations and need confirmation: run on a terminal, or add --yes; nothing was rolled back".to_owned()
            } else {
                format!(
                    "its down SQL would destroy data, so this rollback needs confirmation:\n{}\nrun on a terminal, or add --yes (after taking a backup); nothing was rolled back",
                    lost.iter().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
                )
            });
        }
        if !json {
            let heading = if ask { "would roll back" } else { "rolling back" };
            out(format!("{heading} {} migration(s), newest first:", steps.len()));
            for s in steps {
                let why = if s.dependant { "  (requires what is rolled back; --cascade)" } else { "" };
                out(format!("  {} ({}){why}", s.label(), s.version));
            }
            if !lost.is_empty() {
                out(format!("{} destroy:", if ask { "it would" } else { "it will" }));
                for l in &lost {
                    out(format!("  {l}"));
                }
            }
        }
        if !ask {
            return Ok(());
        }
        if super::typed_database_name("", &database) {
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
            let note = match (&s.other_down, s.stored_edited) {
                (_, true) => "\n-- note: this stored down SQL was edited after it was stored (its checksum no longer matches); it will not run. Roll back with --down build to run this build's".to_owned(),
                (Some(other), false) => format!(
                    "\n-- note: this build's down SQL differs; choose with --down stored or --down build. This build's:\n{}",
                    other.trim_end()
                ),
                (None, false) => String::new(),
            };
            out(format!(
                "-- ==== {} ({} {}), stored at apply time\n{}{note}",
                s.label(),
                s.module,
                s.version,
                s.down_sql.trim_end()
            ));
        }
        let lost = Step::losses_of(&report.steps);
        if !lost.is_empty() {
            out("-- it would destroy, as the database stands now:");
            for l in &lost {
                out(format!("--   {l}"));
            }
        }
        out(format!("dry run: {} migration(s) would be rolled back; nothing was changed", report.steps.len()));
        return Ok(ExitCode::SUCCESS);
    }
    if report.steps.is_empty() {
        out("nothing to roll back");
    }
    for s in &report.steps {
        if s.compiled_differs || s.stored_edited {
            out(format!(
                "  note: {} ran the {} down SQL (the stored one and this build's differ)",
                s.label(),
                s.down_from
            ));
        }
        out(format!("  rolled back {} in {}", s.label(), ms(s.duration_ms.unwrap_or(0.0))));
    }
    if !report.steps.is_empty() {
        out(format!("rolled back {} migration(s) in {}", report.steps.len(), ms(report.elapsed_ms)));
    }
    Ok(ExitCode::SUCCESS)
}

/// On a terminal, where the stored down SQL and this build's differ: shows
/// both and asks which to run. Looks first with a dry run, which changes nothing.
async fn ask_which_down(
    plan: &vytal_host::Plan,
    target: &vytal_host::Target,
    selection: &Selection,
    cascade: bool,
) -> anyhow::Result<DownChoice> {
    let look = RollbackOptions {
        selection: selection.clone(),
        cascade,
        dry_run: true,
        command: format!("rollback {selection} --dry-run"),
        down: DownChoice::Ask,
    };
    let report = vytal_host::rollback::rollback(plan, target, &look, &mut |_: &[Step]| Ok(())).await?;
    let differing: Vec<&Step> = report.steps.iter().filter(|s| s.other_down.is_some() || s.stored_edited).collect();
    if differing.is_empty() {
        return Ok(DownChoice::Ask);
    }
    for s in &differing {
        eprintln!(
            "-- ==== {}: stored in the ledger when applied{}:",
            s.label(),
            if s.stored_edited { " (EDITED since: its checksum no longer matches)" } else { "" }
        );
        eprintln!("{}", s.down_sql.trim_end());
        eprintln!("-- ==== {}: this build's:", s.label());
        eprintln!("{}", s.other_down.as_deref().unwrap_or("(this build does not carry it)").trim_end());
    }
    eprint!("run which down SQL: `stored` or `build` (anything else cancels)? ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    match line.trim() {
        "stored" => Ok(DownChoice::Stored),
        "build" => Ok(DownChoice::Build),
        _ => bail!("no down SQL chosen; nothing was rolled back"),
    }
}
