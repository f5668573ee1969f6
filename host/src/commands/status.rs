//! `vytal-host status`: what is applied and pending, per module.

use std::process::ExitCode;

use super::{EXIT_CHECK, Global, out, out_json};

/// Show, per module, the version built, and the migrations applied (when,
/// by whom, how long) and pending.
///
/// Reads the ledger only: takes no lock and writes nothing.
///
/// Example: vytal-host status --check   (exit 1 when anything is pending)
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Exit with 1 when anything is pending or an applied migration was edited
    #[arg(long)]
    check: bool,
}

pub async fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let plan = global.plan()?;
    let target = global.target()?;
    let report = vytal_host::status(&plan, &target).await?;
    if global.json {
        out_json(&report)?;
    } else {
        out(format!("database: {}   ledger: schema {}", report.database, report.ledger_schema));
        out(match &report.tls {
            Some(version) => format!("connection: encrypted ({version})"),
            None => {
                "connection: NOT encrypted (sslmode=disable, or a server without TLS under sslmode=prefer)".to_owned()
            }
        });
        out(format!("{:<20} {:>8} {:>8} {:>8} {:>8}", "MODULE", "BUILT", "AT", "APPLIED", "PENDING"));
        for m in &report.modules {
            out(format!(
                "{:<20} {:>8} {:>8} {:>8} {:>8}",
                m.module,
                m.version,
                m.applied_version.as_deref().unwrap_or("-"),
                m.applied.len(),
                m.pending.len()
            ));
            for a in &m.applied {
                out(format!(
                    "    applied {}_{} ({}) at {} by {} in {}",
                    a.id,
                    a.name,
                    a.version,
                    a.applied_at.as_deref().unwrap_or("?"),
                    a.applied_by.as_deref().unwrap_or("?"),
                    a.duration_ms.map_or_else(|| "?".to_owned(), |d| format!("{d:.1} ms"))
                ));
            }
            for p in &m.pending {
                out(format!("    pending {}_{} ({})", p.id, p.name, p.version));
            }
        }
        for e in &report.edited {
            out(format!(
                "EDITED {}: applied checksum {}, file {} ({})",
                e.migration, e.applied_checksum, e.file_checksum, e.path
            ));
        }
        for v in &report.misversioned {
            out(format!(
                "VERSION {}: the ledger says {} {}, this build has it in {} {}",
                v.migration, v.module, v.recorded, v.module, v.built
            ));
        }
        for u in &report.unknown {
            out(format!("UNKNOWN {u}: in the ledger, not in this build"));
        }
        let broken = report.edited.len() + report.misversioned.len();
        out(if broken > 0 {
            format!(
                "{broken} applied migration(s) no longer match the ledger (above); `vytal-host run` refuses until they do{}",
                if report.pending > 0 {
                    format!(", and {} migration(s) are pending", report.pending)
                } else {
                    String::new()
                }
            )
        } else if report.pending == 0 {
            "up to date".to_owned()
        } else {
            format!("{} migration(s) pending; apply them with `vytal-host run`", report.pending)
        });
    }
    let dirty = report.pending > 0 || !report.edited.is_empty() || !report.misversioned.is_empty();
    Ok(if args.check && dirty { ExitCode::from(EXIT_CHECK) } else { ExitCode::SUCCESS })
}
