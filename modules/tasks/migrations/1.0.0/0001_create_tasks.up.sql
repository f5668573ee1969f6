-- tasks 1.0.0: tasks.
-- The baseline: exactly the schema VytalWatch databases already have, so an
-- existing database can be adopted without running DDL. Timestamps are
-- `timestamp` (without time zone) as in those databases; later versions improve on it.
--
-- vytal:allow prefer-timestamptz: 1.0.0 reproduces the schema of record exactly, so a database built by the old suite adopts with no DDL; timestamptz is a later version's fix

CREATE TYPE "tasks_type_enum" AS ENUM ('vitals_check', 'medication_reminder', 'appointment', 'follow_up_call', 'device_setup', 'provider_review', 'clinical_assessment', 'patient_education', 'care_plan_update', 'custom');
CREATE TYPE "tasks_status_enum" AS ENUM ('pending', 'in_progress', 'completed', 'cancelled', 'overdue');
CREATE TYPE "tasks_priority_enum" AS ENUM ('low', 'medium', 'high', 'urgent');

CREATE TABLE "tasks" (
    "id"                 uuid                  NOT NULL DEFAULT uuid_generate_v4(),
    "type"               "tasks_type_enum"     NOT NULL,
    "title"              varchar(255)          NOT NULL,
    "description"        text,
    "status"             "tasks_status_enum"   NOT NULL DEFAULT 'pending',
    "priority"           "tasks_priority_enum" NOT NULL DEFAULT 'medium',
    "patientId"          uuid                  NOT NULL,
    "assignedTo"         uuid                  NOT NULL,
    "createdBy"          uuid                  NOT NULL,
    "dueDate"            timestamp,
    "completedAt"        timestamp,
    "completedBy"        uuid,
    "completionNotes"    text,
    "vitalReadingId"     uuid,
    "alertId"            uuid,
    "appointmentId"      uuid,
    "medicationId"       uuid,
    "isRecurring"        boolean               NOT NULL DEFAULT false,
    "recurrencePattern"  varchar(50),
    "recurrenceInterval" integer,
    "recurrenceEndDate"  timestamp,
    "reminderSent"       boolean               NOT NULL DEFAULT false,
    "reminderSentAt"     timestamp,
    "metadata"           jsonb,
    "createdAt"          timestamp             NOT NULL DEFAULT now(),
    "updatedAt"          timestamp             NOT NULL DEFAULT now(),

    CONSTRAINT "PK_tasks" PRIMARY KEY ("id"),
    CONSTRAINT "FK_tasks_assignedTo" FOREIGN KEY ("assignedTo") REFERENCES "users" ("id") ON DELETE CASCADE,
    CONSTRAINT "FK_tasks_createdBy" FOREIGN KEY ("createdBy") REFERENCES "users" ("id") ON DELETE CASCADE,
    CONSTRAINT "FK_tasks_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") ON DELETE CASCADE
);

CREATE INDEX "IDX_tasks_assignedTo" ON "tasks" ("assignedTo");
CREATE INDEX "IDX_tasks_assignedTo_status" ON "tasks" ("assignedTo", "status");
CREATE INDEX "IDX_tasks_dueDate" ON "tasks" ("dueDate");
CREATE INDEX "IDX_tasks_dueDate_status" ON "tasks" ("dueDate", "status");
CREATE INDEX "IDX_tasks_patientId" ON "tasks" ("patientId");
CREATE INDEX "IDX_tasks_patientId_status" ON "tasks" ("patientId", "status");
CREATE INDEX "IDX_tasks_status" ON "tasks" ("status");
