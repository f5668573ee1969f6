//! The `webrtc` module. Video and audio calls: the call, who took part, and recordings.
//!
//! | table | columns | points at (foreign key) |
//! |---|---|---|
//! | `calls` | 39 | `createdBy` (users), `initiatedBy` (users), `patientId` (users), `providerId` (users) |
//! | `call_participants` | 23 | `callId` (calls), `userId` (users) |
//! | `call_recordings` | 43 | `callId` (calls), `createdBy` (users) |
//!
//! Foreign keys to `users` come from the `core` module; the module requires `core ^1.0`.
//!
//! References to other modules' rows: `calls.appointmentId` (appointments), `calls.clinicalNoteId`
//! (clinical-notes), `call_recordings.encryptionKeyId` (encryption-keys) and the
//! `endedBy`/`startedBy`/`stoppedBy`/`lastViewedBy` users carry no foreign key in 1.0.0.
//!
//! 1.2.0 gives `calls.appointmentId`, `calls.clinicalNoteId` (ON DELETE SET NULL) and the `...By`
//! users (NO ACTION) foreign keys, and requires appointments and clinical-notes from then on.
//! `call_recordings.encryptionKeyId` stays without one: `encryption_keys` is standalone.

vytal_contract::module!("webrtc");
