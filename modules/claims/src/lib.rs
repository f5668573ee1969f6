//! The `claims` module. Billing claims for remote monitoring services: codes, amounts, payer
//! responses and status through submission and payment.
//!
//! | table | columns | points at (foreign key) |
//! |---|---|---|
//! | `claims` | 41 | `patientId` (users), `providerId` (users) |
//!
//! Foreign keys to `users` come from the `core` module; the module requires `core ^1.0`.
//!
//! References to other modules' rows: `claims.organizationId` points at an organization outside
//! these modules; no foreign key.

vytal_contract::module!("claims");
