-- clinical-notes 1.2.0: check the rows already there against the foreign keys the
-- previous migration added NOT VALID.
--
-- First every reference that points at no row is counted, per column; if
-- any does, the migration stops with the counts and, for each column, a
-- query that lists the rows. Nothing is deleted or changed: fix or clear
-- those values and run again. Then VALIDATE takes SHARE UPDATE EXCLUSIVE on
-- the table (reads and writes go on) and ROW SHARE on the referenced table
-- while it scans. The default timeouts fit.

DO $$
DECLARE
    n bigint;
    report text := '';
BEGIN
    SELECT count(*) INTO n FROM "clinical_notes" c WHERE c."billingClaimId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "claims" p WHERE p."id" = c."billingClaimId");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of clinical_notes."billingClaimId" name no claims row; list them with: %s', n, 'SELECT c."id", c."billingClaimId" FROM "clinical_notes" c WHERE c."billingClaimId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "claims" p WHERE p."id" = c."billingClaimId")');
    END IF;
    SELECT count(*) INTO n FROM "clinical_notes" c WHERE c."originalNoteId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "clinical_notes" p WHERE p."id" = c."originalNoteId");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of clinical_notes."originalNoteId" name no clinical_notes row; list them with: %s', n, 'SELECT c."id", c."originalNoteId" FROM "clinical_notes" c WHERE c."originalNoteId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "clinical_notes" p WHERE p."id" = c."originalNoteId")');
    END IF;
    SELECT count(*) INTO n FROM "clinical_notes" c WHERE c."previousVersionId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "clinical_notes" p WHERE p."id" = c."previousVersionId");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of clinical_notes."previousVersionId" name no clinical_notes row; list them with: %s', n, 'SELECT c."id", c."previousVersionId" FROM "clinical_notes" c WHERE c."previousVersionId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "clinical_notes" p WHERE p."id" = c."previousVersionId")');
    END IF;
    SELECT count(*) INTO n FROM "clinical_notes" c WHERE c."supersededBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "clinical_notes" p WHERE p."id" = c."supersededBy");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of clinical_notes."supersededBy" name no clinical_notes row; list them with: %s', n, 'SELECT c."id", c."supersededBy" FROM "clinical_notes" c WHERE c."supersededBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "clinical_notes" p WHERE p."id" = c."supersededBy")');
    END IF;
    SELECT count(*) INTO n FROM "clinical_notes" c WHERE c."lockedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."lockedBy");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of clinical_notes."lockedBy" name no users row; list them with: %s', n, 'SELECT c."id", c."lockedBy" FROM "clinical_notes" c WHERE c."lockedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."lockedBy")');
    END IF;
    SELECT count(*) INTO n FROM "clinical_notes" c WHERE c."addendumAddedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."addendumAddedBy");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of clinical_notes."addendumAddedBy" name no users row; list them with: %s', n, 'SELECT c."id", c."addendumAddedBy" FROM "clinical_notes" c WHERE c."addendumAddedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."addendumAddedBy")');
    END IF;
    SELECT count(*) INTO n FROM "clinical_notes" c WHERE c."coSignedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."coSignedBy");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of clinical_notes."coSignedBy" name no users row; list them with: %s', n, 'SELECT c."id", c."coSignedBy" FROM "clinical_notes" c WHERE c."coSignedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."coSignedBy")');
    END IF;
    SELECT count(*) INTO n FROM "clinical_notes" c WHERE c."lastEditedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."lastEditedBy");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of clinical_notes."lastEditedBy" name no users row; list them with: %s', n, 'SELECT c."id", c."lastEditedBy" FROM "clinical_notes" c WHERE c."lastEditedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."lastEditedBy")');
    END IF;
    SELECT count(*) INTO n FROM "clinical_notes" c WHERE c."deletedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."deletedBy");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of clinical_notes."deletedBy" name no users row; list them with: %s', n, 'SELECT c."id", c."deletedBy" FROM "clinical_notes" c WHERE c."deletedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."deletedBy")');
    END IF;
    IF report <> '' THEN
        RAISE EXCEPTION 'references that point at no row, so their foreign keys cannot be validated:%', report
            USING HINT = 'nothing was deleted or changed; point each listed row at an existing row or set the column to NULL, then run again';
    END IF;
END
$$;

ALTER TABLE "clinical_notes" VALIDATE CONSTRAINT "FK_clinical_notes_billingClaimId";
ALTER TABLE "clinical_notes" VALIDATE CONSTRAINT "FK_clinical_notes_originalNoteId";
ALTER TABLE "clinical_notes" VALIDATE CONSTRAINT "FK_clinical_notes_previousVersionId";
ALTER TABLE "clinical_notes" VALIDATE CONSTRAINT "FK_clinical_notes_supersededBy";
ALTER TABLE "clinical_notes" VALIDATE CONSTRAINT "FK_clinical_notes_lockedBy";
ALTER TABLE "clinical_notes" VALIDATE CONSTRAINT "FK_clinical_notes_addendumAddedBy";
ALTER TABLE "clinical_notes" VALIDATE CONSTRAINT "FK_clinical_notes_coSignedBy";
ALTER TABLE "clinical_notes" VALIDATE CONSTRAINT "FK_clinical_notes_lastEditedBy";
ALTER TABLE "clinical_notes" VALIDATE CONSTRAINT "FK_clinical_notes_deletedBy";
