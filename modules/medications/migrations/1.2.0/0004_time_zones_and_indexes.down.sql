-- medications 1.2.0 down: timestamptz back to timestamp, each value written as
-- its UTC wall-clock time, and the dropped indexes rebuilt (blocking writes while they build).

SET LOCAL timezone = 'UTC';

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

SET LOCAL timezone TO DEFAULT;
