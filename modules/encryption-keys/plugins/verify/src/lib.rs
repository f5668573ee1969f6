//! encryption-keys' verify plugin: every reference to an encryption key names one.
//!
//! `encryption_keys` is standalone by design: no foreign key points at it,
//! so nothing stops a recording or a conversation from naming a key whose
//! row is gone (or never was). Such a reference is reported here, as a
//! warning: the data it protects names a key whose metadata (algorithm,
//! rotation, revocation, audit log) this database no longer has.

use vytal_plugins_sdk::{Finding, Info, Level, Reference, Verify, dangling};

/// The columns that name an encryption key, by its `keyId` or its `id`.
const REFERENCES: &[Reference] = &[
    Reference { table: "call_recordings", column: "encryptionKeyId", target: "encryption_keys", keys: &["keyId", "id"] },
    Reference { table: "conversations", column: "encryptionKeyId", target: "encryption_keys", keys: &["keyId", "id"] },
];

struct KeyReferences;

impl Verify for KeyReferences {
    fn info() -> Info {
        Info::new("encryption-keys-verify", env!("CARGO_PKG_VERSION"), "encryption-keys")
            .reads(&["encryption_keys", "call_recordings", "conversations"])
    }

    fn verify() -> Result<Vec<Finding>, String> {
        dangling(
            REFERENCES,
            Level::Warning,
            "the data they protect names a key whose metadata is not here; restore the key's row or correct the reference",
        )
    }
}

vytal_plugins_sdk::export_verifier!(KeyReferences);
