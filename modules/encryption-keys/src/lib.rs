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
//! (encryption_keys) and the `createdBy`/`revokedBy`/`lastModifiedBy` users carry no foreign key
//! in 1.0.0.

vytal_contract::module!("encryption-keys");
