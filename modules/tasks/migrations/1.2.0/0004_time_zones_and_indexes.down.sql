-- tasks 1.2.0 down: timestamptz back to timestamp, each value written as
-- its UTC wall-clock time, and the dropped indexes rebuilt (blocking writes while they build).

SET LOCAL timezone = 'UTC';

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

SET LOCAL timezone TO DEFAULT;
