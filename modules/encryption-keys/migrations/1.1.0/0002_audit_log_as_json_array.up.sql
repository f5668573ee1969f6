-- encryption-keys 1.1.0: `auditLog` becomes jsonb holding a JSON array.
--
-- A JSON array is what an application can write: a jsonb[] column rejects
-- one ("malformed array literal"). encryption_keys is not among the
-- application's entities and keeps its lengths; references to it stay
-- without foreign keys, as VytalWatch keeps the table standalone.
-- Each array converts element for element, in order; an empty array
-- becomes [] and NULL stays NULL. An array a JSON array cannot hold
-- exactly (more than one dimension, a lower bound other than 1, a NULL
-- element) stops the migration, counted, with the query that lists the
-- rows; nothing changes. A CHECK keeps the column an array, so the way
-- back stays open.
--
-- Lock: the type change rewrites encryption_keys and rebuilds its indexes under
-- ACCESS EXCLUSIVE: reads and writes of encryption_keys wait until it commits.
--
-- vytal:allow table-rewrite: an array column cannot become jsonb without a rewrite; the header states the lock, and the rewrite is why this is a migration of its own
-- vytal:allow constraint-missing-not-valid: the CHECK is added in the ALTER TABLE that rewrites the table, so it is checked during the rewrite with no second scan or lock

DO $check$
DECLARE
    bad bigint;
BEGIN
    SELECT count(*) INTO bad FROM "encryption_keys"
    WHERE array_ndims("auditLog") > 1 OR array_lower("auditLog", 1) <> 1 OR array_position("auditLog", NULL) IS NOT NULL;
    IF bad > 0 THEN
        RAISE EXCEPTION '% encryption_keys row(s) hold a auditLog array that a JSON array cannot keep exactly (nested, offset, or with a NULL element)', bad
            USING HINT = 'list them with: SELECT id FROM "encryption_keys" WHERE array_ndims("auditLog") > 1 OR array_lower("auditLog", 1) <> 1 OR array_position("auditLog", NULL) IS NOT NULL';
    END IF;
END
$check$;

ALTER TABLE "encryption_keys"
    ALTER COLUMN "auditLog" TYPE jsonb USING array_to_json("auditLog")::jsonb,
    ADD CONSTRAINT "CHK_encryption_keys_auditLog_array" CHECK (jsonb_typeof("auditLog") = 'array');
