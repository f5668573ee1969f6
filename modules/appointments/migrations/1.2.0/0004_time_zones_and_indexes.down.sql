-- appointments 1.2.0 down: timestamptz back to timestamp, each value written as
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

ALTER TABLE "appointments"
    ALTER COLUMN "scheduledAt" TYPE timestamp,
    ALTER COLUMN "endTime" TYPE timestamp,
    ALTER COLUMN "startedAt" TYPE timestamp,
    ALTER COLUMN "completedAt" TYPE timestamp,
    ALTER COLUMN "cancelledAt" TYPE timestamp,
    ALTER COLUMN "confirmedAt" TYPE timestamp,
    ALTER COLUMN "reminder24HourSentAt" TYPE timestamp,
    ALTER COLUMN "reminder1HourSentAt" TYPE timestamp,
    ALTER COLUMN "recurrenceEndDate" TYPE timestamp,
    ALTER COLUMN "createdAt" TYPE timestamp,
    ALTER COLUMN "updatedAt" TYPE timestamp;
CREATE INDEX "IDX_appointments_patientId" ON "appointments" ("patientId");
CREATE INDEX "IDX_appointments_providerId" ON "appointments" ("providerId");
CREATE INDEX "IDX_appointments_status" ON "appointments" ("status");

-- Later migrations in the same transaction see the session's time zone again.
SELECT set_config('TimeZone', coalesce(nullif(current_setting('vytal.timezone_before', true), ''), current_setting('TimeZone')), true);
