-- clinical-notes 1.2.0 down: drop the foreign-key indexes (each takes ACCESS EXCLUSIVE
-- on its table for a moment).

DROP INDEX "IDX_clinical_notes_billingClaimId";
DROP INDEX "IDX_clinical_notes_originalNoteId";
DROP INDEX "IDX_clinical_notes_previousVersionId";
DROP INDEX "IDX_clinical_notes_supersededBy";
DROP INDEX "IDX_clinical_notes_lockedBy";
DROP INDEX "IDX_clinical_notes_addendumAddedBy";
DROP INDEX "IDX_clinical_notes_coSignedBy";
DROP INDEX "IDX_clinical_notes_lastEditedBy";
DROP INDEX "IDX_clinical_notes_deletedBy";
