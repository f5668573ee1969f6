//! The `medications` module. Medication lists per patient, their dosing schedules, and adherence
//! records of each dose taken, missed or skipped.
//!
//! | table | columns | points at (foreign key) |
//! |---|---|---|
//! | `medications` | 43 | `patientId` (users), `prescribedBy` (users) |
//! | `medication_schedules` | 14 | `medicationId` (medications), `patientId` (users) |
//! | `medication_adherence` | 19 | `medicationId` (medications), `patientId` (users), `recordedBy` (users), `scheduleId` (medication_schedules) |
//!
//! Foreign keys to `users` come from the `core` module; the module requires `core ^1.0`.
//!
//! References to other modules' rows: `medications.discontinuedBy` points at users without a
//! foreign key in 1.0.0.
//!
//! 1.2.0 gives `discontinuedBy` a foreign key to users (NO ACTION).

vytal_contract::module!("medications");
