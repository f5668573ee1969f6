-- clinical-notes 1.1.0 down: back to 1.0.0 exactly: lengths, ON DELETE behaviour,
-- column types; values are kept (a value longer than its old limit stops
-- the rollback with PostgreSQL's message, and nothing is changed).
-- jsonb (a JSON array) back to jsonb[], element for element; a subquery
-- cannot appear in ALTER COLUMN ... USING, a function can. pg_temp: it
-- lives only as long as this connection.
CREATE OR REPLACE FUNCTION pg_temp.vytal_jsonb_array(doc jsonb) RETURNS jsonb[] LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE WHEN doc IS NULL THEN NULL
                ELSE coalesce((SELECT array_agg(e ORDER BY n) FROM jsonb_array_elements(doc) WITH ORDINALITY AS x(e, n)), '{}')
           END
$fn$;

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
ALTER TABLE "clinical_notes" ALTER COLUMN "amendments" TYPE jsonb[] USING pg_temp.vytal_jsonb_array("amendments");
