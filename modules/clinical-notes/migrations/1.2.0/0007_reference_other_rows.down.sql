-- clinical-notes 1.2.0 down: drop the foreign keys; no row changes.

ALTER TABLE "clinical_notes"
    DROP CONSTRAINT "FK_clinical_notes_billingClaimId",
    DROP CONSTRAINT "FK_clinical_notes_originalNoteId",
    DROP CONSTRAINT "FK_clinical_notes_previousVersionId",
    DROP CONSTRAINT "FK_clinical_notes_supersededBy",
    DROP CONSTRAINT "FK_clinical_notes_lockedBy",
    DROP CONSTRAINT "FK_clinical_notes_addendumAddedBy",
    DROP CONSTRAINT "FK_clinical_notes_coSignedBy",
    DROP CONSTRAINT "FK_clinical_notes_lastEditedBy",
    DROP CONSTRAINT "FK_clinical_notes_deletedBy";
