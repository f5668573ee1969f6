//! appointments' verify plugin: appointments name their task, claim, parent appointment and the users who acted on them, and 1.2.0 makes each a foreign key.
//!
//! A value that names no row stops 1.2.0 at the migration that validates
//! those keys. This reports every such column, with a count and a query
//! that lists the rows, on any version, so they can be fixed before the
//! upgrade runs. Columns whose key is validated are skipped: PostgreSQL
//! already guarantees them.

use vytal_plugins_sdk::{Finding, Info, Level, Reference, Verify, dangling};

/// The columns 1.2.0 gives a foreign key.
const REFERENCES: &[Reference] = &[
    Reference::to_id("appointments", "completedBy", "users"),
    Reference::to_id("appointments", "cancelledBy", "users"),
    Reference::to_id("appointments", "confirmedBy", "users"),
    Reference::to_id("appointments", "lastModifiedBy", "users"),
    Reference::to_id("appointments", "parentAppointmentId", "appointments"),
    Reference::to_id("appointments", "taskId", "tasks"),
    Reference::to_id("appointments", "claimId", "claims"),
];

struct References;

impl Verify for References {
    fn info() -> Info {
        Info::new("appointments-verify", env!("CARGO_PKG_VERSION"), "appointments").reads(&["appointments", "claims", "tasks", "users"])
    }

    fn verify() -> Result<Vec<Finding>, String> {
        dangling(
            REFERENCES,
            Level::Error,
            "1.2.0's foreign key on this column cannot be validated, so the upgrade stops at that migration until each points at a row or is NULL",
        )
    }
}

vytal_plugins_sdk::export_verifier!(References);
