-- encryption-keys 1.1.0 down: back to 1.0.0 exactly: lengths, ON DELETE behaviour,
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

ALTER TABLE "encryption_keys" ALTER COLUMN "auditLog" TYPE jsonb[] USING pg_temp.vytal_jsonb_array("auditLog");
