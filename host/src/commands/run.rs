//! `vytal-host run`: apply what is pending.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use vytal_host::{PlannedMigration, Progress, RunOptions};

use super::{Global, ms, out, out_json};

/// Apply pending migrations: all, or those of some modules and what they require.
///
/// --to MODULE@VERSION applies that module up to that version and no
/// further (and what it requires), as Flyway's -target does for one module.
///
/// Takes the migration lock (waiting up to host.lock_wait), re-reads the
/// ledger, refuses if an applied migration was edited, then applies each
/// pending migration in its own transaction together with its ledger row.
/// Running it again applies nothing. Several runs started together apply
/// each migration exactly once.
///
/// Example: vytal-host run --module medications
///
/// Example: vytal-host run --dry-run
///
/// Example: vytal-host run --to medications@1.1.0
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Apply only this module (repeatable) and the pending migrations it requires
    #[arg(long = "module", short = 'm', value_name = "MODULE")]
    modules: Vec<String>,
    /// Apply a module up to this version and no further (repeatable), with what it requires
    #[arg(long, value_name = "MODULE@VERSION")]
    to: Vec<String>,
    /// Apply the whole plan in one transaction: all or nothing
    #[arg(long)]
    atomic: bool,
    /// Show what would be applied, change nothing
    #[arg(long)]
    dry_run: bool,
}

pub async fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let plan = global.plan()?;
    let target = global.target()?;
    let mut command = String::from("run");
    for m in &args.modules {
        command.push_str(&format!(" --module {m}"));
    }
    let mut to = Vec::new();
    for t in &args.to {
        command.push_str(&format!(" --to {t}"));
        to.push(super::module_at(t, "--to")?);
    }
    if args.atomic {
        command.push_str(" --atomic");
    }
    if args.dry_run {
        command.push_str(" --dry-run");
    }
    let options = RunOptions { modules: args.modules, to, atomic: args.atomic, dry_run: args.dry_run, command };
    if !global.json {
        out(format!("database: {target}"));
    }
    let mut progress = Live::new(global.json, args.dry_run);
    let report = vytal_host::run(&plan, &target, &options, &mut progress).await;
    progress.finish();
    let report = report?;
    if global.json {
        out_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    for u in &report.unknown {
        out(format!("note: the ledger records {u}, which this build does not carry"));
    }
    let n = report.migrations.len();
    if report.dry_run {
        out(if n == 0 {
            "nothing to apply: the database is up to date".to_owned()
        } else {
            format!(
                "dry run: {n} migration(s) would be applied; nothing was changed (see the SQL with `vytal-host plan --sql`)"
            )
        });
    } else if n == 0 {
        out(format!("nothing to apply: the database is up to date ({})", ms(report.elapsed_ms)));
    } else {
        out(format!(
            "applied {n} migration(s) in {}{}",
            ms(report.elapsed_ms),
            if report.atomic { " in one transaction" } else { "" }
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// Streams one line per migration to stdout, with a progress bar on a terminal.
struct Live {
    quiet: bool,
    dry_run: bool,
    bar: Option<ProgressBar>,
}

impl Live {
    fn new(json: bool, dry_run: bool) -> Self {
        Live { quiet: json, dry_run, bar: None }
    }

    fn line(&self, text: String) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(bar) => bar.suspend(|| out(&text)),
            None => out(text),
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Live {
    fn planned(&mut self, pending: &[&PlannedMigration], pulled_in: &[&PlannedMigration]) {
        if !pulled_in.is_empty() {
            self.line("required by the selected module(s) and still pending, applied first:".to_owned());
            for m in pulled_in {
                self.line(format!("  {} ({})", m.label(), m.version));
            }
        }
        if self.dry_run {
            for m in pending {
                self.line(format!("  would apply {} ({})", m.label(), m.version));
            }
            return;
        }
        if !pending.is_empty() {
            self.line(format!("applying {} migration(s)", pending.len()));
        }
        if !self.quiet && pending.len() > 1 && std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(pending.len() as u64);
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            self.bar = Some(bar);
        }
    }

    fn started(&mut self, m: &PlannedMigration) {
        if let Some(bar) = &self.bar {
            bar.set_message(m.label().to_string());
        }
    }

    fn applied(&mut self, m: &PlannedMigration, elapsed: Duration) {
        self.line(format!("  applied {} ({}) in {}", m.label(), m.version, ms(elapsed.as_secs_f64() * 1000.0)));
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }
}
