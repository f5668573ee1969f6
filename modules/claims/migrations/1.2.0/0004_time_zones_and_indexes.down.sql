-- claims 1.2.0 down: timestamptz back to timestamp, each value written as
-- its UTC wall-clock time, and the dropped indexes rebuilt (blocking writes while they build).

-- The time zone the session had, put back at the end; then UTC for the
-- conversion, which needs a transaction: outside one SET LOCAL does nothing.
SELECT set_config('vytal.timezone_before', current_setting('TimeZone'), true);
SET LOCAL timezone = 'UTC';
DO $$
BEGIN
    IF current_setting('TimeZone') <> 'UTC' THEN
        RAISE EXCEPTION 'this migration must run inside a transaction, with timezone UTC for it (found %)', current_setting('TimeZone')
            USING HINT = 'apply it with vytal-host run, or with psql -1; nothing was changed';
    END IF;
END
$$;

ALTER TABLE "claims"
    ALTER COLUMN "submittedAt" TYPE timestamp,
    ALTER COLUMN "responseReceivedAt" TYPE timestamp,
    ALTER COLUMN "paymentReceivedAt" TYPE timestamp,
    ALTER COLUMN "appealedAt" TYPE timestamp,
    ALTER COLUMN "appealResolutionDate" TYPE timestamp,
    ALTER COLUMN "createdAt" TYPE timestamp,
    ALTER COLUMN "updatedAt" TYPE timestamp;
CREATE UNIQUE INDEX "IDX_claims_claimNumber" ON "claims" ("claimNumber");
CREATE INDEX "IDX_claims_patientId" ON "claims" ("patientId");
CREATE INDEX "IDX_claims_providerId" ON "claims" ("providerId");

-- Later migrations in the same transaction see the session's time zone again.
SELECT set_config('TimeZone', coalesce(nullif(current_setting('vytal.timezone_before', true), ''), current_setting('TimeZone')), true);
