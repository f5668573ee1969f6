-- clinical-notes 1.1.0: what VytalWatch's application needs of these tables.
--
-- Widened: varchar(n) columns the application puts no limit on become
-- varchar. Dropping a length limit needs no table rewrite and no index
-- rebuild: the lock is brief whatever the size of the table.
-- Records outlive accounts: foreign keys to users that deleted (or
-- cleared) a patient's records with the account now refuse the
-- deletion while records remain (NO ACTION). Each is re-added and checked
-- in the same statement as its drop.
-- `amendments` becomes jsonb holding a JSON array (jsonb[] could not be
-- written by the application's driver); every array converts element for
-- element, NULL stays NULL.

-- clinical_notes
ALTER TABLE "clinical_notes"
    ALTER COLUMN "encounterLocation" TYPE varchar,
    ALTER COLUMN "title" TYPE varchar,
    ALTER COLUMN "templateId" TYPE varchar,
    ALTER COLUMN "templateName" TYPE varchar,
    ALTER COLUMN "billingNotes" TYPE varchar;
ALTER TABLE "clinical_notes"
    DROP CONSTRAINT "FK_clinical_notes_patientId",
    ADD CONSTRAINT "FK_clinical_notes_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id"),
    DROP CONSTRAINT "FK_clinical_notes_providerId",
    ADD CONSTRAINT "FK_clinical_notes_providerId" FOREIGN KEY ("providerId") REFERENCES "users" ("id");
ALTER TABLE "clinical_notes" ALTER COLUMN "amendments" TYPE jsonb USING array_to_json("amendments")::jsonb;
