//! The `monitoring` module: remote patient monitoring itself. The devices
//! patients measure with, the readings they send, and the alerts readings
//! raise.
//!
//! | table | points at (foreign key) |
//! |---|---|
//! | `devices` | `patientId` (users) |
//! | `vital_readings` | `patientId` (users), `deviceId` (devices), `alertId` (alerts) |
//! | `alerts` | `patientId`, `providerId` (users), `vitalReadingId` (vital_readings), `deviceId` (devices) |
//!
//! Readings and alerts are medical records: deleting a user is refused
//! while they exist (no cascade). A reading and the alert it raised point at
//! each other; deleting either clears the other's reference.
//! Other modules point here from their 1.1.0 versions: `tasks`,
//! `appointments` and `ai_conversations` (`vitalReadingId`, `alertId`).

vytal_contract::module!("monitoring");
