-- clinical-notes 1.2.0 down: timestamptz back to timestamp, each value written as
-- its UTC wall-clock time, and the dropped indexes rebuilt (blocking writes while they build).

SET LOCAL timezone = 'UTC';

ALTER TABLE "clinical_notes"
    ALTER COLUMN "encounterDate" TYPE timestamp,
    ALTER COLUMN "signedAt" TYPE timestamp,
    ALTER COLUMN "lockedAt" TYPE timestamp,
    ALTER COLUMN "addendumAddedAt" TYPE timestamp,
    ALTER COLUMN "coSignedAt" TYPE timestamp,
    ALTER COLUMN "lastEditedAt" TYPE timestamp,
    ALTER COLUMN "createdAt" TYPE timestamp,
    ALTER COLUMN "updatedAt" TYPE timestamp,
    ALTER COLUMN "deletedAt" TYPE timestamp;
CREATE INDEX "IDX_clinical_notes_patientId" ON "clinical_notes" ("patientId");
CREATE INDEX "IDX_clinical_notes_providerId" ON "clinical_notes" ("providerId");

SET LOCAL timezone TO DEFAULT;
