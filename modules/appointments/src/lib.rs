//! The `appointments` module. Scheduled visits (telehealth, in person, phone) between patients and
//! providers, with recurrence, reminders and outcome.
//!
//! | table | columns | points at (foreign key) |
//! |---|---|---|
//! | `appointments` | 57 | `createdBy` (users), `patientId` (users), `providerId` (users) |
//!
//! Foreign keys to `users` come from the `core` module; the module requires `core ^1.0`.
//!
//! References to other modules' rows: `appointments.taskId` (tasks), `appointments.claimId`
//! (claims), `appointments.parentAppointmentId` (appointments), `vitalReadingId`, `alertId`,
//! `organizationId`, and the `completedBy`/`cancelledBy`/`confirmedBy`/`lastModifiedBy` users
//! carry no foreign key in 1.0.0.
//!
//! 1.2.0 gives `taskId`, `claimId`, `parentAppointmentId` (ON DELETE SET NULL) and the `...By`
//! users (NO ACTION) foreign keys, and requires tasks and claims from then on.

vytal_contract::module!("appointments");
