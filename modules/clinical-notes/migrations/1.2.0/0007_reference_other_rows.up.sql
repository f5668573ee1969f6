-- clinical-notes 1.2.0: foreign keys for the columns that name a row of another
-- table, so no new write can point nowhere.
-- A user named as the one who did something (completed, signed, revoked...)
-- is part of the record: deleting that user is refused while the record
-- names them (NO ACTION), as for the other user references since 1.1.0.
-- Every reference to another row is optional: when the row it names is
-- deleted, the column becomes NULL (ON DELETE SET NULL).
--
-- Added NOT VALID: enforced at once for every new write, without checking
-- the rows already there (the next migration does, under a weaker lock).
-- Lock: SHARE ROW EXCLUSIVE on each table and each table it references,
-- for milliseconds (no scan): writes to them wait that long.

ALTER TABLE "clinical_notes"
    ADD CONSTRAINT "FK_clinical_notes_billingClaimId" FOREIGN KEY ("billingClaimId") REFERENCES "claims" ("id") ON DELETE SET NULL NOT VALID,
    ADD CONSTRAINT "FK_clinical_notes_originalNoteId" FOREIGN KEY ("originalNoteId") REFERENCES "clinical_notes" ("id") ON DELETE SET NULL NOT VALID,
    ADD CONSTRAINT "FK_clinical_notes_previousVersionId" FOREIGN KEY ("previousVersionId") REFERENCES "clinical_notes" ("id") ON DELETE SET NULL NOT VALID,
    ADD CONSTRAINT "FK_clinical_notes_supersededBy" FOREIGN KEY ("supersededBy") REFERENCES "clinical_notes" ("id") ON DELETE SET NULL NOT VALID,
    ADD CONSTRAINT "FK_clinical_notes_lockedBy" FOREIGN KEY ("lockedBy") REFERENCES "users" ("id") NOT VALID,
    ADD CONSTRAINT "FK_clinical_notes_addendumAddedBy" FOREIGN KEY ("addendumAddedBy") REFERENCES "users" ("id") NOT VALID,
    ADD CONSTRAINT "FK_clinical_notes_coSignedBy" FOREIGN KEY ("coSignedBy") REFERENCES "users" ("id") NOT VALID,
    ADD CONSTRAINT "FK_clinical_notes_lastEditedBy" FOREIGN KEY ("lastEditedBy") REFERENCES "users" ("id") NOT VALID,
    ADD CONSTRAINT "FK_clinical_notes_deletedBy" FOREIGN KEY ("deletedBy") REFERENCES "users" ("id") NOT VALID;
