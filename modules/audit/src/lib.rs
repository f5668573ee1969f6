//! The `audit` module: the application's audit log (logins, changes to
//! users, vitals, alerts and billing, exports). The application writes a
//! row at every login, so it cannot run without this table.
//!
//! | table | points at (foreign key) |
//! |---|---|
//! | `audit_logs` | `userId` (users) |
//!
//! An audit row outlives its user: deleting a user is refused while rows name them.

vytal_contract::module!("audit");
