//! `vytal-host history`: the event log, its chain's head, and acknowledging a break.

use std::process::ExitCode;

use vytal_host::history::{HistoryOptions, When};

use super::{Global, ms, out, out_json};

/// Show the event log: who ran what, when, from where, with what outcome.
///
/// Every event is chained to the one before it by a hash; `verify` checks
/// the chain. Export the head (--head) now and then and keep it where the
/// database's owner cannot write: `verify --head SEQ:HASH` then tells whether
/// the log still holds it, which catches even a rewrite of the whole chain.
///
/// Examples:
///   vytal-host history                      the newest 50 events
///   vytal-host history -n 500 -m claims     one module's, more of them
///   vytal-host history --since 7d --command rollback --failed
///   vytal-host history --head >> /secure/vytal-heads.txt
///   vytal-host history --acknowledge "restored from backup after INC-42"
///
/// Example: vytal-host history -n 20 --module claims
///
/// Example: vytal-host history --head > head.txt
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// How many of the newest events
    #[arg(short = 'n', value_name = "N", default_value_t = 50)]
    limit: i64,
    /// Only this module's events
    #[arg(long, short = 'm', value_name = "MODULE")]
    module: Option<String>,
    /// Only events whose command starts with this, e.g. run, "rollback --all", repair
    #[arg(long, value_name = "COMMAND")]
    command: Option<String>,
    /// Only events of this kind
    #[arg(long, value_name = "KIND", value_parser = ["run", "migration", "rollback", "mark", "foreign", "acknowledge", "upgrade"])]
    kind: Option<String>,
    /// Only events from this time on: a date or time (2026-12-01, "2026-12-01 14:00+01") or a while ago (90m, 12h, 7d, 2w)
    #[arg(long, value_name = "WHEN")]
    since: Option<When>,
    /// Only events before this time (same forms as --since)
    #[arg(long, value_name = "WHEN")]
    until: Option<When>,
    /// Only events that failed
    #[arg(long)]
    failed: bool,
    /// Print only the chain's head, as SEQ:HASH
    #[arg(long, conflicts_with = "acknowledge")]
    head: bool,
    /// Record that you have looked into a broken chain, and why it is broken;
    /// restores the triggers that guard the log and the chain's head (takes the run lock)
    #[arg(long, value_name = "WHAT HAPPENED")]
    acknowledge: Option<String>,
}

pub async fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let plan = global.plan()?;
    let target = global.target()?;
    if let Some(reason) = args.acknowledge {
        if reason.trim().is_empty() {
            anyhow::bail!(
                "--acknowledge needs what happened, e.g. --acknowledge \"restored from backup after INC-42\""
            );
        }
        let done = vytal_host::history::acknowledge(&plan, &target, &reason, "history --acknowledge").await?;
        if global.json {
            out_json(&done)?;
        } else {
            for p in &done.problems {
                out(format!("found: {}", p.what));
            }
            out(format!(
                "acknowledged through event {}; the triggers that guard the log are in place again",
                done.through_seq
            ));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let options = HistoryOptions {
        limit: args.limit,
        module: args.module,
        command: args.command,
        kind: args.kind,
        since: args.since,
        until: args.until,
        failed: args.failed,
    };
    let report = vytal_host::history::history(&plan, &target, &options).await?;
    if args.head {
        let Some(head) = &report.head else {
            anyhow::bail!("{} has no chained event log yet; `vytal-host run` creates it", report.database);
        };
        if global.json {
            out_json(head)?;
        } else {
            out(format!("{}:{}", head.seq, head.hash));
        }
        return Ok(ExitCode::SUCCESS);
    }
    if global.json {
        out_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    out(format!("database: {}", report.database));
    for e in &report.events {
        let what = match (&e.module, &e.migration) {
            (Some(m), Some(id)) => format!("{m}/{id}"),
            (Some(m), None) => m.clone(),
            _ => String::new(),
        };
        let tls = if e.tls.is_some() { "tls" } else { "clear" };
        out(format!(
            "{:>6} {} {:<11} {:<16} {:<36} {:>9} {}@{} ({}, {tls}) `{}`",
            e.seq,
            e.at,
            e.kind,
            e.outcome,
            what,
            ms(e.duration_ms),
            e.os_user,
            e.host,
            e.db_user,
            e.command
        ));
        if let Some(error) = &e.error {
            out(format!("         error: {}", error.lines().next().unwrap_or_default()));
        }
    }
    if let Some(head) = &report.head {
        out(format!("head: {}:{}", head.seq, head.hash));
    }
    Ok(ExitCode::SUCCESS)
}
