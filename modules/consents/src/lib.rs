//! The `consents` module. Patient consent records (treatment, telehealth, data sharing,
//! research...): what was agreed, signed, witnessed or revoked, and when.
//!
//! | table | columns | points at (foreign key) |
//! |---|---|---|
//! | `consents` | 24 | `userId` (users) |
//!
//! Foreign keys to `users` come from the `core` module; the module requires `core ^1.0`.
//!
//! References to other modules' rows: `consents.witnessedBy` and `consents.revokedBy` point at
//! users without a foreign key in 1.0.0.
//!
//! 1.2.0 gives `witnessedBy` and `revokedBy` foreign keys to users (NO ACTION).

vytal_contract::module!("consents");
