//! The `tasks` module. Care-team tasks: follow-ups, reviews and calls raised for a patient,
//! assigned to a user, with priority, status and due dates.
//!
//! | table | columns | points at (foreign key) |
//! |---|---|---|
//! | `tasks` | 26 | `assignedTo` (users), `createdBy` (users), `patientId` (users) |
//!
//! Foreign keys to `users` come from the `core` module; the module requires `core ^1.0`.
//!
//! References to other modules' rows: `tasks.appointmentId` (appointments), `tasks.medicationId`
//! (medications), `tasks.vitalReadingId` and `tasks.alertId` (monitoring, outside these modules)
//! and `tasks.completedBy` (users) carry no foreign key in 1.0.0.
//!
//! 1.2.0 gives `appointmentId`, `medicationId` (ON DELETE SET NULL) and `completedBy` (users, NO ACTION)
//! foreign keys, and requires appointments and medications from then on.

vytal_contract::module!("tasks");
