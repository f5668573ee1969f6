-- appointments 1.2.0 down: timestamptz back to timestamp, each value written as
-- its UTC wall-clock time, and the dropped indexes rebuilt (blocking writes while they build).

SET LOCAL timezone = 'UTC';

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

SET LOCAL timezone TO DEFAULT;
