//! The subcommands, one file each, and what they share: global options and output.

mod adopt;
mod check;
mod completions;
mod database;
mod grant_runner;
mod graph;
mod history;
mod mark;
mod new;
mod plan;
mod repair;
mod rollback;
mod run;
mod seed;
mod status;
mod verify;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use vytal_host::{Catalog, Manifest, Plan, Target};

/// Exit code: something is pending or a check failed.
pub const EXIT_CHECK: u8 = 1;

/// Applies VytalWatch's module migrations to PostgreSQL, safely and on the record.
///
/// Modules, versions and requirements come from migrations.toml (compiled in;
/// --manifest reads another). Every applied migration is recorded in a ledger,
/// and every run in an append-only event log, in the `vytal` schema.
///
/// Connection: --database-url, else DATABASE_URL, else DB_HOST, DB_PORT,
/// DB_USERNAME, DB_PASSWORD and DB_DATABASE; a .env file is read first.
/// Logs go to stderr, filtered by VYTAL_LOG (e.g. VYTAL_LOG=debug).
///
/// Exit codes: 0 success, 1 something is pending or a check failed, 2 error.
#[derive(Debug, Parser)]
#[command(name = "vytal-host", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    pub global: Global,
}

/// Options every subcommand takes.
#[derive(Debug, clap::Args)]
pub struct Global {
    /// PostgreSQL URL, e.g. postgres://USER@HOST:5432/DB [default: DATABASE_URL, then DB_* variables]
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    /// Read this manifest instead of the compiled-in migrations.toml
    #[arg(long, global = true, value_name = "PATH", env = "VYTAL_MANIFEST")]
    manifest: Option<PathBuf>,
    /// Print results as JSON on stdout (errors too, as {"error": ...})
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    Run(run::Args),
    Adopt(adopt::Args),
    Status(status::Args),
    Plan(plan::Args),
    Rollback(rollback::Args),
    Repair(repair::Args),
    Verify(verify::Args),
    History(history::Args),
    Check(check::Args),
    Seed(seed::Args),
    Mark(mark::Args),
    GrantRunner(grant_runner::Args),
    Database(database::Args),
    Graph(graph::Args),
    New(new::Args),
    Completions(completions::Args),
}

/// Runs the chosen subcommand.
pub async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run::run(&cli.global, args).await,
        Command::Adopt(args) => adopt::run(&cli.global, args).await,
        Command::Status(args) => status::run(&cli.global, args).await,
        Command::Plan(args) => plan::run(&cli.global, args).await,
        Command::Rollback(args) => rollback::run(&cli.global, args).await,
        Command::Repair(args) => repair::run(&cli.global, args).await,
        Command::Verify(args) => verify::run(&cli.global, args).await,
        Command::History(args) => history::run(&cli.global, args).await,
        Command::Check(args) => check::run(&cli.global, args).await,
        Command::Seed(args) => seed::run(&cli.global, args).await,
        Command::Mark(args) => mark::run(&cli.global, args).await,
        Command::GrantRunner(args) => grant_runner::run(&cli.global, args).await,
        Command::Database(args) => database::run(&cli.global, args).await,
        Command::Graph(args) => graph::run(&cli.global, args),
        Command::New(args) => new::run(&cli.global, args),
        Command::Completions(args) => Ok(completions::run(args)),
    }
}

impl Global {
    /// The manifest and the build, resolved into a plan. Touches no database.
    pub fn plan(&self) -> anyhow::Result<Plan> {
        let catalog = Catalog::linked();
        stale_build_hint(&catalog);
        Ok(vytal_host::resolve(&self.manifest()?, &catalog)?)
    }

    fn manifest(&self) -> anyhow::Result<Manifest> {
        Ok(match &self.manifest {
            Some(path) => Manifest::load(path)?,
            None => Manifest::embedded()?,
        })
    }

    /// The database to use.
    pub fn target(&self) -> anyhow::Result<Target> {
        Ok(Target::from_env(self.database_url.as_deref())?)
    }
}

/// Set once stdout is gone (`vytal-host run | head -1`); later output is dropped.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes a line to stdout. A closed pipe drops this and later output but
/// never ends the command: a run goes on to its end, records its event,
/// and still exits with its own code.
pub fn out(text: impl std::fmt::Display) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{text}").and_then(|()| stdout.flush()).is_err() {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// The error as JSON on stdout, for `--json`: the message, the exit code,
/// and for a run that failed part-way, what it had committed.
pub fn out_json_error(error: &anyhow::Error, code: u8) {
    let report = error.downcast_ref::<vytal_host::ApplyError>().and_then(vytal_host::ApplyError::partial_report);
    let value = serde_json::json!({
        "error": { "message": format!("{error:#}"), "exit_code": code },
        "report": report,
    });
    if let Ok(text) = serde_json::to_string_pretty(&value) {
        out(text);
    }
}

/// Writes a value as pretty JSON on stdout.
pub fn out_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    out(serde_json::to_string_pretty(value).context("cannot encode the result as JSON")?);
    Ok(())
}

/// Reads `MODULE@VERSION`, as `flag` takes it.
pub fn module_at(text: &str, flag: &str) -> anyhow::Result<(String, semver::Version)> {
    let Some((m, v)) = text.split_once('@') else {
        anyhow::bail!("{flag} takes MODULE@VERSION, e.g. {flag} medications@1.0.0; got `{text}`");
    };
    let v = semver::Version::parse(v)
        .map_err(|e| anyhow::anyhow!("{flag} {text}: `{v}` is not a version ({e}); write e.g. 1.0.0"))?;
    Ok((m.to_owned(), v))
}

/// Confirmation by the database's name, for an act that cannot be undone
/// (`action`, e.g. "clearing the production mark"): given as `--yes NAME`,
/// else typed on a terminal; refused elsewhere. `kept` says what a refusal
/// leaves as it was.
pub fn confirm_by_name(database: &str, yes: Option<&str>, action: &str, kept: &str) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    match yes {
        Some(name) if name == database => Ok(()),
        Some(name) => anyhow::bail!("--yes {name} does not name this database ({database}); {kept}"),
        None if !std::io::stdin().is_terminal() => {
            anyhow::bail!("{action} needs confirmation: run on a terminal, or add --yes {database}; {kept}")
        }
        None if typed_database_name(&format!("{action}; "), database) => Ok(()),
        None => anyhow::bail!("the confirmation did not match the database name; {kept}"),
    }
}

/// On a terminal: shows `what`, asks for the database name, and says whether it was typed.
pub fn typed_database_name(what: &str, database: &str) -> bool {
    use std::io::BufRead;
    eprint!("{what}type the database name `{database}` to confirm: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    line.trim() == database
}

/// Milliseconds for humans.
pub fn ms(ms: f64) -> String {
    if ms >= 1000.0 { format!("{:.2} s", ms / 1000.0) } else { format!("{ms:.1} ms") }
}

/// Inside the workspace, says which migration files on disk this binary
/// does not carry: a binary built before them would report "nothing to
/// apply" and mean it.
fn stale_build_hint(catalog: &Catalog) {
    let Some(root) = std::env::current_dir().ok().and_then(|d| vytal_host::catalog::workspace_root(&d)) else {
        return;
    };
    let missing = catalog.not_built(&root);
    if let Some(first) = missing.first() {
        tracing::warn!(
            "{} migration file(s) in {} are not in this build of vytal-host ({first}{}); rebuild to include them: cargo xtask migrate",
            missing.len(),
            root.display(),
            if missing.len() > 1 { ", ..." } else { "" }
        );
    }
}

/// Reads the nearest `.env`, from the current folder up, into the
/// environment (variables already set win), and returns its path. A line
/// that does not parse is an error naming the file and the line.
pub fn load_dotenv() -> anyhow::Result<Option<std::path::PathBuf>> {
    let Ok(here) = std::env::current_dir() else { return Ok(None) };
    let Some(path) = here.ancestors().map(|d| d.join(".env")).find(|p| p.is_file()) else {
        return Ok(None);
    };
    match dotenvy::from_path(&path) {
        Ok(()) => Ok(Some(path)),
        Err(dotenvy::Error::LineParse(text, _)) => {
            let content = std::fs::read_to_string(&path).unwrap_or_default();
            let line = content.lines().position(|l| text.starts_with(l.trim_end()) && !l.trim().is_empty());
            let at = line.map_or_else(String::new, |n| format!(", line {}", n + 1));
            anyhow::bail!(
                "{}{at}: cannot read `{}`; write each setting as NAME=value (quote values with spaces), or remove the line",
                path.display(),
                text.lines().next().unwrap_or_default()
            )
        }
        Err(e) => anyhow::bail!("cannot read {}: {e}", path.display()),
    }
}
