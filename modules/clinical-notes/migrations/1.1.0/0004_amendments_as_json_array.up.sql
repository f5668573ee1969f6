-- clinical-notes 1.1.0: `amendments` becomes jsonb holding a JSON array.
--
-- The application's driver writes a JSON array, which a jsonb[] column
-- rejects ("malformed array literal").
-- Each array converts element for element, in order; an empty array
-- becomes [] and NULL stays NULL. An array a JSON array cannot hold
-- exactly (more than one dimension, a lower bound other than 1, a NULL
-- element) stops the migration, counted, with the query that lists the
-- rows; nothing changes. A CHECK keeps the column an array, so the way
-- back stays open.
--
-- Lock: the type change rewrites clinical_notes and rebuilds its indexes under
-- ACCESS EXCLUSIVE: reads and writes of clinical_notes wait until it commits.
--
-- vytal:allow table-rewrite: an array column cannot become jsonb without a rewrite; the header states the lock, and the rewrite is why this is a migration of its own
-- vytal:allow constraint-missing-not-valid: the CHECK is added in the ALTER TABLE that rewrites the table, so it is checked during the rewrite with no second scan or lock

DO $check$
DECLARE
    bad bigint;
BEGIN
    SELECT count(*) INTO bad FROM "clinical_notes"
    WHERE array_ndims("amendments") > 1 OR array_lower("amendments", 1) <> 1 OR array_position("amendments", NULL) IS NOT NULL;
    IF bad > 0 THEN
        RAISE EXCEPTION '% clinical_notes row(s) hold a amendments array that a JSON array cannot keep exactly (nested, offset, or with a NULL element)', bad
            USING HINT = 'list them with: SELECT id FROM "clinical_notes" WHERE array_ndims("amendments") > 1 OR array_lower("amendments", 1) <> 1 OR array_position("amendments", NULL) IS NOT NULL';
    END IF;
END
$check$;

ALTER TABLE "clinical_notes"
    ALTER COLUMN "amendments" TYPE jsonb USING array_to_json("amendments")::jsonb,
    ADD CONSTRAINT "CHK_clinical_notes_amendments_array" CHECK (jsonb_typeof("amendments") = 'array');
