//! `vytal-host plan`: the ordered plan, and the exact SQL, before anything runs.

use std::process::ExitCode;

use vytal_host::PlannedMigration;

use super::{EXIT_CHECK, Global, out, out_json};

/// Show the migrations `run` would apply, in order; with --sql, the exact SQL.
///
/// Compares with the database's ledger (read only). With --all, shows the
/// whole plan as for an empty database and needs no database at all.
///
/// Example: vytal-host plan --sql > pending.sql
///
/// Example: vytal-host plan --all --module tasks
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this module (repeatable) and what it requires
    #[arg(long = "module", short = 'm', value_name = "MODULE")]
    modules: Vec<String>,
    /// Stop a module at this version (repeatable), as `run --to` does
    #[arg(long, value_name = "MODULE@VERSION")]
    to: Vec<String>,
    /// Print the SQL of each migration exactly as it will be sent
    #[arg(long)]
    sql: bool,
    /// Ignore the database: the full plan from an empty database
    #[arg(long)]
    all: bool,
    /// Exit with 1 when anything is pending
    #[arg(long)]
    check: bool,
}

#[derive(serde::Serialize)]
struct Step<'a> {
    module: &'a str,
    id: &'a str,
    name: &'a str,
    version: String,
    file: &'a str,
    transaction: bool,
    checksum: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sql: Option<&'a str>,
}

pub async fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let plan = global.plan()?;
    let to = args.to.iter().map(|t| super::module_at(t, "--to")).collect::<anyhow::Result<Vec<_>>>()?;
    let steps: Vec<&PlannedMigration> = if args.all {
        plan.select_up_to(&args.modules, &to)?
    } else {
        vytal_host::pending(&plan, &global.target()?, &args.modules, &to).await?
    };
    let settings = plan.settings();
    if global.json {
        let json: Vec<Step> = steps
            .iter()
            .map(|m| Step {
                module: m.module.as_str(),
                id: m.id.as_str(),
                name: &m.name,
                version: m.version.to_string(),
                file: &m.up_path,
                transaction: !m.directives.no_transaction,
                checksum: &m.checksum,
                sql: args.sql.then_some(m.up.as_ref()),
            })
            .collect();
        out_json(&serde_json::json!({ "migrations": json }))?;
    } else if args.sql {
        for m in &steps {
            let lock = m.directives.lock_timeout.unwrap_or(settings.lock_timeout);
            let statement = m.directives.statement_timeout.unwrap_or(settings.statement_timeout);
            out(format!(
                "-- ==== {} ({} {}) from {}\n-- {}; lock_timeout {}ms, statement_timeout {}ms\n{}",
                m.label(),
                m.module,
                m.version,
                m.up_path,
                if m.directives.no_transaction {
                    "runs outside a transaction"
                } else {
                    "runs in its own transaction with its ledger row"
                },
                lock.as_millis(),
                statement.as_millis(),
                m.up.trim_end()
            ));
        }
    } else {
        for (n, m) in steps.iter().enumerate() {
            let mode = if m.directives.no_transaction { "  (no transaction)" } else { "" };
            out(format!("{:>4}. {} ({}){mode}", n + 1, m.label(), m.version));
        }
        out(if steps.is_empty() {
            "nothing to apply".to_owned()
        } else {
            format!("{} migration(s) to apply", steps.len())
        });
    }
    Ok(if args.check && !steps.is_empty() { ExitCode::from(EXIT_CHECK) } else { ExitCode::SUCCESS })
}
