-- tasks 1.2.0 down: timestamptz back to timestamp, each value written as
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

ALTER TABLE "tasks"
    ALTER COLUMN "dueDate" TYPE timestamp,
    ALTER COLUMN "completedAt" TYPE timestamp,
    ALTER COLUMN "recurrenceEndDate" TYPE timestamp,
    ALTER COLUMN "reminderSentAt" TYPE timestamp,
    ALTER COLUMN "createdAt" TYPE timestamp,
    ALTER COLUMN "updatedAt" TYPE timestamp;
CREATE INDEX "IDX_tasks_assignedTo" ON "tasks" ("assignedTo");
CREATE INDEX "IDX_tasks_dueDate" ON "tasks" ("dueDate");
CREATE INDEX "IDX_tasks_patientId" ON "tasks" ("patientId");

-- Later migrations in the same transaction see the session's time zone again.
SELECT set_config('TimeZone', coalesce(nullif(current_setting('vytal.timezone_before', true), ''), current_setting('TimeZone')), true);
