-- clinical-notes 1.2.0: every timestamp becomes timestamptz, and indexes another index already serves are dropped.
--
-- Existing values are read as UTC: with timezone set to UTC for this
-- transaction (it stops if it is not in one), timestamp -> timestamptz is
-- binary-coercible, so PostgreSQL rewrites no table; it does rebuild every index that contains a converted
-- column. One ALTER TABLE per table, so each table's indexes are rebuilt once.
-- Lock: ACCESS EXCLUSIVE on clinical_notes until the migration commits (reads and
-- writes of the table wait), for as long as the index rebuilds take: see
-- docs/upgrade-1.2.0.md for the times measured on a million rows. The
-- default lock and statement timeouts fit.
-- A dropped index is one whose columns lead another index on the same
-- table (no predicates involved), or that repeats a unique constraint.

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

-- clinical_notes: indexes another index already serves
DROP INDEX "IDX_clinical_notes_patientId";  -- leads IDX_clinical_notes_patientId_noteType_createdAt (patientId, noteType, createdAt)
DROP INDEX "IDX_clinical_notes_providerId";  -- leads IDX_clinical_notes_providerId_status_createdAt (providerId, status, createdAt)
ALTER TABLE "clinical_notes"
    ALTER COLUMN "encounterDate" TYPE timestamptz,
    ALTER COLUMN "signedAt" TYPE timestamptz,
    ALTER COLUMN "lockedAt" TYPE timestamptz,
    ALTER COLUMN "addendumAddedAt" TYPE timestamptz,
    ALTER COLUMN "coSignedAt" TYPE timestamptz,
    ALTER COLUMN "lastEditedAt" TYPE timestamptz,
    ALTER COLUMN "createdAt" TYPE timestamptz,
    ALTER COLUMN "updatedAt" TYPE timestamptz,
    ALTER COLUMN "deletedAt" TYPE timestamptz;

-- Later migrations in the same transaction see the session's time zone again.
SELECT set_config('TimeZone', coalesce(nullif(current_setting('vytal.timezone_before', true), ''), current_setting('TimeZone')), true);
