-- clinical-notes 1.1.0 down: lengths, ON DELETE behaviour and references back to 1.0.0,
-- values kept. A value longer than its old limit stops the rollback with
-- PostgreSQL's message, and nothing is changed; narrowing a column rescans the table.
ALTER TABLE "clinical_notes"
    ALTER COLUMN "encounterLocation" TYPE varchar(255),
    ALTER COLUMN "title" TYPE varchar(500),
    ALTER COLUMN "templateId" TYPE varchar(255),
    ALTER COLUMN "templateName" TYPE varchar(255),
    ALTER COLUMN "billingNotes" TYPE varchar(500);
ALTER TABLE "clinical_notes"
    DROP CONSTRAINT "FK_clinical_notes_patientId",
    ADD CONSTRAINT "FK_clinical_notes_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") ON DELETE CASCADE,
    DROP CONSTRAINT "FK_clinical_notes_providerId",
    ADD CONSTRAINT "FK_clinical_notes_providerId" FOREIGN KEY ("providerId") REFERENCES "users" ("id") ON DELETE CASCADE;
