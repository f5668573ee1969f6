//! `vytal-host seed`: fill the applied modules' tables with realistic test data.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use vytal_host::seed::{DEFAULT_COUNT, DEFAULT_SEED, SeedOptions, SeedProgress};

use super::{Global, ms, out, out_json};

/// Fill the applied modules' tables with realistic, valid, reproducible data.
///
/// Every table gets rows: the host generates them from the live catalog
/// (types, enums, foreign keys, uniques), so a table added by a new
/// migration is filled with no code change; a module's seed plugin writes
/// the tables where the domain needs more (real drugs and their schedules).
/// --count sets the number of patients; every other table scales from it.
/// The same --seed, --count and schema give the same rows, keys included.
///
/// The whole seed is one transaction: an error or Ctrl-C leaves the database
/// as it was. A database marked as production (vytal-host mark production)
/// or run with VYTAL_ENV=production is refused; no option overrides that.
/// Every seed is recorded in the event log.
///
/// Examples:
///   vytal-host seed                          100 patients in every applied module
///   vytal-host seed --count 5000 --clean     empty the tables, then 5,000 patients
///   vytal-host seed -m medications           medications' tables, and the users they need
///   vytal-host seed --dry-run                what each table would get, column by column
///
/// Example: vytal-host seed --count 500 --clean
///
/// Example: vytal-host seed --module claims --dry-run
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Seed only this module's tables (repeatable), and the rows they need in other tables
    #[arg(long = "module", short = 'm', value_name = "MODULE")]
    modules: Vec<String>,
    /// Patients; every other table scales from it (1 to 100,000,000)
    #[arg(long, short = 'n', value_name = "N", default_value_t = DEFAULT_COUNT,
          value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    count: u64,
    /// The seed: the same seed gives the same rows
    #[arg(long, value_name = "S", default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Empty the selected modules' tables first, in the same transaction
    #[arg(long)]
    clean: bool,
    /// Also run this seed plugin (a .wasm component; repeatable), after the modules' own
    #[arg(long = "plugin", value_name = "PATH")]
    plugins: Vec<PathBuf>,
    /// Print what each table would get, write nothing
    #[arg(long)]
    dry_run: bool,
}

pub async fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let plan = global.plan()?;
    let target = global.target()?;
    let mut command = format!("seed --count {} --seed {}", args.count, args.seed);
    for m in &args.modules {
        command.push_str(&format!(" --module {m}"));
    }
    for p in &args.plugins {
        command.push_str(&format!(" --plugin {}", p.display()));
    }
    for (flag, on) in [(" --clean", args.clean), (" --dry-run", args.dry_run)] {
        if on {
            command.push_str(flag);
        }
    }
    let options = SeedOptions {
        modules: args.modules,
        plugins: args.plugins,
        count: args.count,
        seed: args.seed,
        clean: args.clean,
        dry_run: args.dry_run,
        command,
    };
    let mut bars = Bars::new(!global.json && !args.dry_run && std::io::stdout().is_terminal());
    let report = vytal_host::seed::seed(&plan, &target, &options, &mut bars).await;
    bars.clear();
    let report = report?;
    if global.json {
        out_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    out(format!("database: {}", report.database));
    if !report.cleaned.is_empty() {
        out(format!("emptied first: {}", report.cleaned.join(", ")));
    }
    let width = report.tables.iter().map(|t| t.table.len()).max().unwrap_or(5);
    if report.dry_run {
        for t in &report.tables {
            out(format!("{:<width$}  {:>9} rows  {}", t.table, t.rows, t.source));
            for c in &t.columns {
                out(format!("    {:<28} {:<30} {}", c.name, c.data_type, c.fill));
            }
        }
        out(format!(
            "dry run: {} table(s), count {}, seed {}; nothing was written",
            report.tables.len(),
            report.count,
            report.seed
        ));
        return Ok(ExitCode::SUCCESS);
    }
    for t in &report.tables {
        out(format!(
            "{:<width$}  {:>9} rows  {:>10}  {:>9.0} rows/s  {}",
            t.table,
            t.rows,
            ms(t.ms),
            t.rows_per_second,
            t.source
        ));
    }
    let total: u64 = report.rows.values().sum();
    out(format!(
        "seeded {total} rows in {} table(s) in {} (count {}, seed {})",
        report.rows.len(),
        ms(report.elapsed_ms),
        report.count,
        report.seed
    ));
    Ok(ExitCode::SUCCESS)
}

/// One progress bar per table, on a terminal.
struct Bars {
    on: bool,
    multi: MultiProgress,
    current: Option<ProgressBar>,
}

impl Bars {
    fn new(on: bool) -> Self {
        Bars { on, multi: MultiProgress::new(), current: None }
    }

    fn clear(&mut self) {
        if self.on {
            let _ = self.multi.clear();
        }
    }
}

impl SeedProgress for Bars {
    fn table(&mut self, table: &str, rows: u64) {
        if !self.on {
            return;
        }
        let bar = if rows > 0 { ProgressBar::new(rows) } else { ProgressBar::new_spinner() };
        let template = if rows > 0 { "{msg:24} {bar:30} {pos}/{len} {per_sec}" } else { "{msg:24} {spinner} running" };
        bar.set_style(ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()));
        bar.set_message(table.to_owned());
        self.current = Some(self.multi.add(bar));
    }

    fn advance(&mut self, rows: u64) {
        if let Some(bar) = &self.current {
            bar.inc(rows);
        }
    }

    fn done(&mut self) {
        if let Some(bar) = self.current.take() {
            bar.finish();
        }
    }
}
