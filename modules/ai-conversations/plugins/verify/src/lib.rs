//! ai-conversations' verify plugin: AI conversations name their patient, provider and last message, and 1.2.0 makes each a foreign key.
//!
//! A value that names no row stops 1.2.0 at the migration that validates
//! those keys. This reports every such column, with a count and a query
//! that lists the rows, on any version, so they can be fixed before the
//! upgrade runs. Columns whose key is validated are skipped: PostgreSQL
//! already guarantees them.

use vytal_plugins_sdk::{Finding, Info, Level, Reference, Verify, dangling};

/// The columns 1.2.0 gives a foreign key.
const REFERENCES: &[Reference] = &[
    Reference::to_id("ai_conversations", "patientId", "users"),
    Reference::to_id("ai_conversations", "providerId", "users"),
    Reference::to_id("ai_conversations", "lastMessageId", "ai_messages"),
];

struct References;

impl Verify for References {
    fn info() -> Info {
        Info::new("ai-conversations-verify", env!("CARGO_PKG_VERSION"), "ai-conversations").reads(&["ai_conversations", "ai_messages", "users"])
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
