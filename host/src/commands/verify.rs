//! `vytal-host verify`: history, drift and prerequisites.

use std::process::ExitCode;

use super::{EXIT_CHECK, Global, ms, out, out_json};

/// Check the database against the build: exit 0 when nothing is an error, 1 otherwise.
///
/// History: every migration applied, none unknown, checksums and module
/// versions as the build says. Drift: the live schema against the one the
/// registered migrations produce, replayed into a scratch database (the
/// user needs CREATEDB). Prerequisites: what the modules need from others.
///
/// The replayed schema is kept in the scratch database, under a hash of the
/// migrations' text, this build and the server's version, and reused while
/// those stay the same; --replay replays regardless and refreshes it.
///
/// Audit: the event log's hash chain, event by event, and the triggers
/// that guard it; with --head, a head exported earlier must still be there.
///
/// On a database the build is ahead of, every pending migration shows as
/// drift; --applied compares with what the ledger records instead, and
/// lists the pending migrations as notes (exit 0 when nothing else is found).
/// Objects no migration creates that were acknowledged with `adopt
/// --acknowledge-foreign` are notes too.
///
/// Example: vytal-host verify --applied
///
/// Example: vytal-host verify --module medications --plugin expired_consents.wasm
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this module's objects (repeatable)
    #[arg(long = "module", short = 'm', value_name = "MODULE")]
    modules: Vec<String>,
    /// Also run this verify plugin, a WebAssembly component (repeatable); see plugins-sdk/README.md
    #[arg(long = "plugin", value_name = "PATH")]
    plugins: Vec<std::path::PathBuf>,
    /// Replay the migrations even if the cache holds the schema they produce (and refresh it)
    #[arg(long)]
    replay: bool,
    /// Also check the log against a head exported earlier with `history --head`: SEQ:HASH
    #[arg(long, value_name = "SEQ:HASH")]
    head: Option<String>,
    /// Check only what the ledger says is applied: pending migrations are notes, not drift
    #[arg(long)]
    applied: bool,
}

pub async fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let plan = global.plan()?;
    let target = global.target()?;
    let head = match args.head.as_deref() {
        None => None,
        Some(h) => {
            let parsed = h.split_once(':').and_then(|(seq, hash)| Some((seq.parse::<i64>().ok()?, hash.to_owned())));
            Some(parsed.ok_or_else(|| {
                anyhow::anyhow!("--head takes SEQ:HASH as `vytal-host history --head` prints it; got `{h}`")
            })?)
        }
    };
    let options = vytal_host::verify::VerifyOptions {
        modules: args.modules,
        plugins: args.plugins,
        replay: args.replay,
        head,
        applied: args.applied,
    };
    let report = vytal_host::verify::verify(&plan, &target, &options).await?;
    let errors = report.findings.iter().filter(|f| f.severity == "error").count();
    if global.json {
        out_json(&report)?;
    } else {
        out(format!("database: {}", report.database));
        let mut current = "";
        for f in &report.findings {
            if f.module != current {
                current = &f.module;
                out(&f.module);
            }
            if f.category == "plugin" {
                let message = f.found.as_deref().unwrap_or_default();
                out(format!("  {:<12} {} ({}): {}\n      {message}", f.category, f.kind, f.severity, f.object));
                continue;
            }
            let severity = if f.severity == "error" { String::new() } else { format!(" ({})", f.severity) };
            let mut line = format!("  {:<12} {}: {}{severity}", f.category, f.kind, f.object);
            match (&f.expected, &f.found) {
                (Some(e), Some(g)) => line.push_str(&format!("\n      expected: {e}\n      found:    {g}")),
                (Some(e), None) => line.push_str(&format!("\n      expected: {e}\n      found:    (missing)")),
                (None, Some(g)) => line.push_str(&format!("\n      found:    {g}")),
                (None, None) => {}
            }
            out(line);
        }
        let modules: std::collections::BTreeSet<&str> = report.findings.iter().map(|f| f.module.as_str()).collect();
        out(if report.findings.is_empty() {
            format!("clean: {} module(s) verified in {}", report.modules.len(), ms(report.elapsed_ms))
        } else {
            format!(
                "{} finding(s) in {} module(s), {} verified in {}{}",
                report.findings.len(),
                modules.len(),
                report.modules.len(),
                ms(report.elapsed_ms),
                if errors == 0 { "; none is an error" } else { "" }
            )
        });
    }
    Ok(if errors == 0 { ExitCode::SUCCESS } else { ExitCode::from(EXIT_CHECK) })
}
