//! The `encryption-keys` module. Encryption key metadata for PHI at rest: key ids, algorithms,
//! rotation and revocation, with an audit log. No key material is stored here.
//!
//! | table | columns | points at (foreign key) |
//! |---|---|---|
//! | `encryption_keys` | 38 | nothing |
//!
//! Foreign keys to `users` come from the `core` module; the module requires `core ^1.0`.
//!
//! References to other modules' rows: `encryption_keys.previousKeyId`/`nextKeyId`
//! (encryption_keys) and the `createdBy`/`revokedBy`/`lastModifiedBy` users carry no foreign key.
//!
//! The table stays standalone in every version, by VytalWatch's design: no foreign key points
//! at it (`call_recordings.encryptionKeyId`, `conversations.encryptionKeyId` name keys by id) and
//! it points at nothing, so key metadata can be kept, moved and revoked apart from the data it
//! protects. 1.2.0 changes only its timestamps and its redundant indexes.

vytal_contract::module!("encryption-keys");
