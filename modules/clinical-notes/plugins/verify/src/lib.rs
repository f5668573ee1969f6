//! clinical-notes' verify plugin: notes name their claim, their original and previous versions, and the users who acted on them, and 1.2.0 makes each a foreign key.
//!
//! A value that names no row stops 1.2.0 at the migration that validates
//! those keys. This reports every such column, with a count and a query
//! that lists the rows, on any version, so they can be fixed before the
//! upgrade runs. Columns whose key is validated are skipped: PostgreSQL
//! already guarantees them.

use vytal_plugins_sdk::{Finding, Info, Level, Reference, Verify, dangling};

/// The columns 1.2.0 gives a foreign key.
const REFERENCES: &[Reference] = &[
    Reference::to_id("clinical_notes", "billingClaimId", "claims"),
    Reference::to_id("clinical_notes", "originalNoteId", "clinical_notes"),
    Reference::to_id("clinical_notes", "previousVersionId", "clinical_notes"),
    Reference::to_id("clinical_notes", "supersededBy", "clinical_notes"),
    Reference::to_id("clinical_notes", "lockedBy", "users"),
    Reference::to_id("clinical_notes", "addendumAddedBy", "users"),
    Reference::to_id("clinical_notes", "coSignedBy", "users"),
    Reference::to_id("clinical_notes", "lastEditedBy", "users"),
    Reference::to_id("clinical_notes", "deletedBy", "users"),
];

struct References;

impl Verify for References {
    fn info() -> Info {
        Info::new("clinical-notes-verify", env!("CARGO_PKG_VERSION"), "clinical-notes").reads(&["claims", "clinical_notes", "users"])
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
