-- medications 1.2.0: every timestamp becomes timestamptz, and indexes another index already serves are dropped.
--
-- Existing values are read as UTC: with timezone set to UTC for this
-- transaction (it stops if it is not in one), timestamp -> timestamptz is
-- binary-coercible, so PostgreSQL rewrites no table; it does rebuild every index that contains a converted
-- column. One ALTER TABLE per table, so each table's indexes are rebuilt once.
-- Lock: ACCESS EXCLUSIVE on medications, medication_schedules, medication_adherence until the migration commits (reads and
-- writes of those tables wait), for as long as the index rebuilds take: see
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

-- medications: indexes another index already serves
DROP INDEX "IDX_medications_patientId";  -- leads IDX_medications_patientId_status (patientId, status)
DROP INDEX "IDX_medications_prescribedBy";  -- leads IDX_medications_prescribedBy_status (prescribedBy, status)
DROP INDEX "IDX_medications_startDate";  -- leads IDX_medications_startDate_endDate (startDate, endDate)
ALTER TABLE "medications"
    ALTER COLUMN "startDate" TYPE timestamptz,
    ALTER COLUMN "endDate" TYPE timestamptz,
    ALTER COLUMN "discontinuedDate" TYPE timestamptz,
    ALTER COLUMN "lastRefillDate" TYPE timestamptz,
    ALTER COLUMN "createdAt" TYPE timestamptz,
    ALTER COLUMN "updatedAt" TYPE timestamptz;

-- medication_schedules: indexes another index already serves
DROP INDEX "IDX_medication_schedules_medicationId";  -- leads IDX_medication_schedules_medicationId_scheduledTime (medicationId, scheduledTime)
DROP INDEX "IDX_medication_schedules_patientId";  -- leads IDX_medication_schedules_patientId_scheduledTime (patientId, scheduledTime)
ALTER TABLE "medication_schedules"
    ALTER COLUMN "scheduledTime" TYPE timestamptz,
    ALTER COLUMN "completedAt" TYPE timestamptz,
    ALTER COLUMN "reminderSentAt" TYPE timestamptz,
    ALTER COLUMN "createdAt" TYPE timestamptz,
    ALTER COLUMN "updatedAt" TYPE timestamptz;

-- medication_adherence: indexes another index already serves
DROP INDEX "IDX_medication_adherence_medicationId";  -- leads IDX_medication_adherence_medicationId_recordedAt (medicationId, recordedAt)
DROP INDEX "IDX_medication_adherence_patientId";  -- leads IDX_medication_adherence_patientId_recordedAt (patientId, recordedAt)
ALTER TABLE "medication_adherence"
    ALTER COLUMN "recordedAt" TYPE timestamptz,
    ALTER COLUMN "scheduledTime" TYPE timestamptz,
    ALTER COLUMN "takenAt" TYPE timestamptz,
    ALTER COLUMN "createdAt" TYPE timestamptz,
    ALTER COLUMN "updatedAt" TYPE timestamptz;

-- Later migrations in the same transaction see the session's time zone again.
SELECT set_config('TimeZone', coalesce(nullif(current_setting('vytal.timezone_before', true), ''), current_setting('TimeZone')), true);
