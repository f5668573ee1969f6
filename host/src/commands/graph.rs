//! `vytal-host graph`: the module dependency graph.

use std::process::ExitCode;

use vytal_host::graph::{GraphFormat, render};

use super::{Global, out, out_json};

/// Print the module dependency graph (module@version nodes, "requires" edges).
///
/// Render Mermaid in any Markdown viewer that supports it, or dot with
/// `vytal-host graph --format dot | dot -Tsvg > modules.svg`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Mermaid)]
    format: Format,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Mermaid,
    Dot,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let plan = global.plan()?;
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
        out_json(&nodes)?;
        return Ok(ExitCode::SUCCESS);
    }
    let format = match args.format {
        Format::Mermaid => GraphFormat::Mermaid,
        Format::Dot => GraphFormat::Dot,
    };
    out(render(&plan, format).trim_end());
    Ok(ExitCode::SUCCESS)
}
