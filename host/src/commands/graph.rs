//! `vytal-host graph`: the module dependency graph.

use std::process::ExitCode;

use vytal_host::graph::{GraphFormat, render};

use super::{Global, out, out_json};

/// Print the module dependency graph (module@version nodes, "requires" edges).
///
/// Mermaid comes as a fenced ```mermaid block, ready to paste into Markdown;
/// dot renders with `vytal-host graph --format dot | dot -Tsvg > modules.svg`;
/// --json gives {"modules": [{module, version, requires}]}.
///
/// Example: vytal-host graph --format dot | dot -Tsvg > modules.svg
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format [default: mermaid]
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Mermaid,
    Dot,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let plan = global.plan()?;
    if global.json && args.format.is_some() {
        anyhow::bail!("--json and --format both choose the output; give one of them");
    }
    if global.json {
        let nodes: Vec<_> = plan
            .graph()
            .map(|(node, before)| {
                serde_json::json!({
                    "module": node.module,
                    "version": node.version.to_string(),
                    "requires": before.iter().filter(|b| b.module != node.module).map(ToString::to_string).collect::<Vec<_>>(),
                })
            })
            .collect();
        out_json(&serde_json::json!({ "modules": nodes }))?;
        return Ok(ExitCode::SUCCESS);
    }
    match args.format.unwrap_or(Format::Mermaid) {
        Format::Mermaid => out(format!("```mermaid\n{}\n```", render(&plan, GraphFormat::Mermaid).trim_end())),
        Format::Dot => out(render(&plan, GraphFormat::Dot).trim_end()),
    }
    Ok(ExitCode::SUCCESS)
}
