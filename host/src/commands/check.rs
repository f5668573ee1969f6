//! `vytal-host check`: lint and replay the migrations before any database sees them.

use std::process::ExitCode;

use vytal_host::check::{CheckOptions, Diagnostic, Level, Rule};

use super::{EXIT_CHECK, Global, ms, out, out_json};

/// Check migrations before they reach a database: exit 0 clean, 1 on errors.
///
/// Replays every migration in plan order into a scratch database next to
/// the target (the user needs CREATEDB; the target's schemas are never
/// touched), taking each checked one up, down and up again: a statement
/// PostgreSQL rejects, a down that does not undo its up, and an up that
/// rewrites an existing table are errors. Then lints each file's parse tree:
/// unquoted mixed-case names, index builds that block writes, constraints
/// that scan under lock, IF [NOT] EXISTS, timestamp without time zone,
/// foreign keys without an index, transaction control.
///
/// A rule can be allowed for one migration, with a reason, by a line in its
/// up or down file: `-- vytal:allow RULE: why it is acceptable here`. Allow
/// lines are not part of the migration's checksum.
///
/// Examples:
///   vytal-host check                       every migration the build carries
///   vytal-host check -m medications        one module (prerequisites are replayed, not reported)
///   vytal-host check modules/tasks/migrations/1.2.0/0004_x.up.sql   a migration being written
///   vytal-host check --rules               the rules, their levels and why they matter
///
/// Example: vytal-host check modules/medications/migrations/1.2.0/0008_add_refill_reminders.up.sql
///
/// Example: vytal-host check --rules
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Only this module's migrations (repeatable)
    #[arg(long = "module", short = 'm', value_name = "MODULE")]
    modules: Vec<String>,
    /// List the rules and exit
    #[arg(long)]
    rules: bool,
    /// Up migration files to check as they are on disk (the .down.sql beside each is read too)
    #[arg(value_name = "PATH")]
    paths: Vec<std::path::PathBuf>,
}

pub async fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    if args.rules {
        return Ok(list_rules(global.json));
    }
    let plan = global.plan()?;
    let target = global.target()?;
    let options = CheckOptions { modules: args.modules, paths: args.paths };
    let report = vytal_host::check::check(&plan, &target, &options).await?;
    if global.json {
        out_json(&report)?;
    } else {
        for d in report.diagnostics.iter().filter(|d| d.allowed.is_none()) {
            out(render(d));
        }
        let mut summary = format!(
            "checked {} migration(s) ({} replayed) in {}: {} error(s), {} warning(s)",
            report.checked,
            report.replayed,
            ms(report.elapsed_ms),
            report.errors,
            report.warnings
        );
        if report.allowed > 0 {
            summary.push_str(&format!(", {} allowed by `-- vytal:allow`", report.allowed));
        }
        out(summary);
    }
    Ok(if report.errors == 0 { ExitCode::SUCCESS } else { ExitCode::from(EXIT_CHECK) })
}

/// One diagnostic in the style of rustc: what, where, the line with a caret, why, fix.
fn render(d: &Diagnostic) -> String {
    let mut s = format!("{}[{}]: {}\n", d.level, d.rule, d.message);
    let location = match (d.line, d.column) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", d.file),
        (Some(l), None) => format!("{}:{l}", d.file),
        _ => d.file.clone(),
    };
    let gutter = d.line.map_or(1, |l| l.to_string().len());
    let pad = " ".repeat(gutter);
    s.push_str(&format!("{pad}--> {location} ({})\n", d.migration));
    if let (Some(line), Some(source)) = (d.line, &d.source) {
        s.push_str(&format!("{pad} |\n{line} | {source}\n"));
        if let Some(column) = d.column {
            let lead: String = source.chars().take(column - 1).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
            s.push_str(&format!("{pad} | {lead}{}\n", "^".repeat(d.width.unwrap_or(1))));
        }
        s.push_str(&format!("{pad} |\n"));
    }
    for note in &d.notes {
        s.push_str(&format!("{pad} = {note}\n"));
    }
    s.push_str(&format!("{pad} = why: {}\n{pad} = fix: {}\n", d.why, d.fix));
    if d.rule != Rule::AllowWithoutReason.name() && d.rule != Rule::UnknownRule.name() && d.rule != "rejected" {
        s.push_str(&format!("{pad} = or, if it is right here: -- vytal:allow {}: <reason>\n", d.rule));
    }
    s
}

fn list_rules(json: bool) -> ExitCode {
    if json {
        let rules: Vec<_> = Rule::ALL
            .iter()
            .map(|r| {
                serde_json::json!({
                    "rule": r.name(), "level": r.level(), "why": r.why(), "fix": r.fix(),
                    "can_be_allowed": r.can_be_allowed(),
                })
            })
            .collect();
        if out_json(&serde_json::json!({ "rules": rules })).is_err() {
            return ExitCode::from(2);
        }
        return ExitCode::SUCCESS;
    }
    for r in Rule::ALL {
        let level = match r.level() {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        out(format!("{:<36} {level:<8} {}", r.name(), r.why()));
    }
    ExitCode::SUCCESS
}
