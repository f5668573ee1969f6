//! `graph`: the module dependency graph as Mermaid or Graphviz text.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::resolve::Plan;

/// Output format of the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GraphFormat {
    /// A Mermaid `flowchart`, which GitHub and most wikis render.
    #[default]
    Mermaid,
    /// A Graphviz `digraph`, for `dot -Tsvg`.
    Dot,
}

/// Renders each (module, version) node and what it must follow, across modules.
pub fn render(plan: &Plan, format: GraphFormat) -> String {
    let mut edges = BTreeSet::new();
    let mut nodes = BTreeSet::new();
    for (node, before) in plan.graph() {
        nodes.insert(node.to_string());
        for b in before {
            if b.module != node.module {
                edges.insert((node.to_string(), b.to_string()));
            }
        }
    }
    let id = |n: &str| n.replace(['@', '.', '-'], "_");
    let mut out = String::new();
    match format {
        GraphFormat::Mermaid => {
            out.push_str("flowchart BT\n");
            for n in &nodes {
                let _ = writeln!(out, "    {}[\"{n}\"]", id(n));
            }
            for (from, to) in &edges {
                let _ = writeln!(out, "    {} -->|requires| {}", id(from), id(to));
            }
        }
        GraphFormat::Dot => {
            out.push_str("digraph modules {\n    rankdir=BT;\n    node [shape=box];\n");
            for n in &nodes {
                let _ = writeln!(out, "    \"{n}\";");
            }
            for (from, to) in &edges {
                let _ = writeln!(out, "    \"{from}\" -> \"{to}\" [label=\"requires\"];");
            }
            out.push_str("}\n");
        }
    }
    out
}
