//! The `billing` module: what VytalWatch bills. RPM billing records per
//! patient and CPT code, and the practice's invoices and subscriptions.
//!
//! | table | points at (foreign key) |
//! |---|---|
//! | `billing_records` | `patientId`, `providerId` (users) |
//! | `invoices` | `userId` (users) |
//! | `subscriptions` | `userId` (users) |
//!
//! Billing records outlive accounts: deleting a user is refused while they exist.

vytal_contract::module!("billing");
