//! A finding: one thing `verify` or `adopt` reports about a database, in the shape `--json` prints.

use serde::Serialize;

use crate::schema::Drift;

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The module it concerns, or `(unowned)` for objects no module creates.
    pub module: String,
    /// `history`, `drift`, `prerequisite` or `plugin`.
    pub category: &'static str,
    /// `error`, `warning` or `info`; only errors make `verify` fail.
    pub severity: &'static str,
    /// What differs, e.g. `missing index`, `column type`, `checksum`.
    pub kind: String,
    /// The object, e.g. `medications.status` or `IDX_tasks_status`.
    pub object: String,
    /// What the build says.
    pub expected: Option<String>,
    /// What the database has.
    pub found: Option<String>,
}

/// How findings name objects no module creates.
pub const UNOWNED: &str = "(unowned)";

impl Finding {
    /// A drift as a finding of `category`.
    pub fn of(d: &Drift, category: &'static str) -> Finding {
        Finding {
            module: d.owner.as_ref().map_or_else(|| UNOWNED.to_owned(), ToString::to_string),
            category,
            severity: "error",
            kind: d.what(),
            object: d.object.clone(),
            expected: d.expected().map(str::to_owned),
            found: d.found().map(str::to_owned),
        }
    }
}
