-- encryption-keys 1.1.0 down: `auditLog` back to jsonb[], element for element (the
-- table is rewritten again, under ACCESS EXCLUSIVE).

-- jsonb (a JSON array) back to jsonb[], element for element; a subquery
-- cannot appear in ALTER COLUMN ... USING, a function can. pg_temp: it
-- lives only as long as this connection, and is dropped at the end.
CREATE OR REPLACE FUNCTION pg_temp.vytal_jsonb_array(doc jsonb) RETURNS jsonb[] LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE WHEN doc IS NULL THEN NULL
                ELSE coalesce((SELECT array_agg(e ORDER BY n) FROM jsonb_array_elements(doc) WITH ORDINALITY AS x(e, n)), '{}')
           END
$fn$;

ALTER TABLE "encryption_keys"
    DROP CONSTRAINT "CHK_encryption_keys_auditLog_array",
    ALTER COLUMN "auditLog" TYPE jsonb[] USING pg_temp.vytal_jsonb_array("auditLog");

DROP FUNCTION pg_temp.vytal_jsonb_array(jsonb);
