-- medications 1.2.0 down: timestamptz back to timestamp, each value written as
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

ALTER TABLE "medications"
    ALTER COLUMN "startDate" TYPE timestamp,
    ALTER COLUMN "endDate" TYPE timestamp,
    ALTER COLUMN "discontinuedDate" TYPE timestamp,
    ALTER COLUMN "lastRefillDate" TYPE timestamp,
    ALTER COLUMN "createdAt" TYPE timestamp,
    ALTER COLUMN "updatedAt" TYPE timestamp;
CREATE INDEX "IDX_medications_patientId" ON "medications" ("patientId");
CREATE INDEX "IDX_medications_prescribedBy" ON "medications" ("prescribedBy");
CREATE INDEX "IDX_medications_startDate" ON "medications" ("startDate");

ALTER TABLE "medication_schedules"
    ALTER COLUMN "scheduledTime" TYPE timestamp,
    ALTER COLUMN "completedAt" TYPE timestamp,
    ALTER COLUMN "reminderSentAt" TYPE timestamp,
    ALTER COLUMN "createdAt" TYPE timestamp,
    ALTER COLUMN "updatedAt" TYPE timestamp;
CREATE INDEX "IDX_medication_schedules_medicationId" ON "medication_schedules" ("medicationId");
CREATE INDEX "IDX_medication_schedules_patientId" ON "medication_schedules" ("patientId");

ALTER TABLE "medication_adherence"
    ALTER COLUMN "recordedAt" TYPE timestamp,
    ALTER COLUMN "scheduledTime" TYPE timestamp,
    ALTER COLUMN "takenAt" TYPE timestamp,
    ALTER COLUMN "createdAt" TYPE timestamp,
    ALTER COLUMN "updatedAt" TYPE timestamp;
CREATE INDEX "IDX_medication_adherence_medicationId" ON "medication_adherence" ("medicationId");
CREATE INDEX "IDX_medication_adherence_patientId" ON "medication_adherence" ("patientId");

-- Later migrations in the same transaction see the session's time zone again.
SELECT set_config('TimeZone', coalesce(nullif(current_setting('vytal.timezone_before', true), ''), current_setting('TimeZone')), true);
