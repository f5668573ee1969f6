//! The `clinical-notes` module. Clinical documentation (SOAP and progress notes), with signing,
//! locking, amendments and versions.
//!
//! | table | columns | points at (foreign key) |
//! |---|---|---|
//! | `clinical_notes` | 56 | `patientId` (users), `providerId` (users) |
//!
//! Foreign keys to `users` come from the `core` module; the module requires `core ^1.0`.
//!
//! References to other modules' rows: `clinical_notes.billingClaimId` (claims), the arrays
//! `vitalReadingIds`, `alertIds`, `medicationIds` (medications), `appointmentIds` (appointments)
//! and `deviceIds`, and the note and user references (`originalNoteId`, `supersededBy`,
//! `previousVersionId`, `lockedBy`, `coSignedBy`...) carry no foreign key in 1.0.0.
//!
//! 1.2.0 gives `billingClaimId` and the note versions `originalNoteId`, `previousVersionId`,
//! `supersededBy` (ON DELETE SET NULL), and the `...By` users (NO ACTION), foreign keys, and
//! requires claims from then on. The uuid arrays cannot carry foreign keys and stay as they are.

vytal_contract::module!("clinical-notes");
