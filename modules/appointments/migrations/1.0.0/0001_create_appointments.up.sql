-- appointments 1.0.0: appointments.
-- The baseline: exactly the schema VytalWatch databases already have, so an
-- existing database can be adopted without running DDL. Timestamps are
-- `timestamp` (without time zone) as in those databases; later versions improve on it.
--
-- vytal:allow prefer-timestamptz: 1.0.0 reproduces the schema of record exactly, so a database built by the old suite adopts with no DDL; timestamptz is a later version's fix

CREATE TYPE "appointments_type_enum" AS ENUM ('telehealth', 'in_person', 'phone', 'follow_up', 'initial_consult', 'emergency');
CREATE TYPE "appointments_status_enum" AS ENUM ('scheduled', 'confirmed', 'in_progress', 'completed', 'cancelled', 'no_show');
CREATE TYPE "appointments_recurrencepattern_enum" AS ENUM ('none', 'daily', 'weekly', 'biweekly', 'monthly');

CREATE TABLE "appointments" (
    "id"                    uuid                                  NOT NULL DEFAULT uuid_generate_v4(),
    "patientId"             uuid                                  NOT NULL,
    "providerId"            uuid                                  NOT NULL,
    "organizationId"        uuid,
    "type"                  "appointments_type_enum"              NOT NULL,
    "status"                "appointments_status_enum"            NOT NULL DEFAULT 'scheduled',
    "scheduledAt"           timestamp                             NOT NULL,
    "duration"              integer                               NOT NULL DEFAULT 30,
    "endTime"               timestamp,
    "location"              varchar(500),
    "meetingUrl"            varchar(500),
    "meetingId"             varchar(255),
    "meetingPassword"       varchar(255),
    "roomNumber"            varchar(50),
    "title"                 varchar(255),
    "notes"                 text,
    "chiefComplaint"        text,
    "reasonForVisit"        text,
    "clinicalNotes"         text,
    "diagnosis"             text,
    "treatmentPlan"         text,
    "prescriptions"         jsonb,
    "followUpInstructions"  text,
    "startedAt"             timestamp,
    "completedAt"           timestamp,
    "completedBy"           uuid,
    "cancelledAt"           timestamp,
    "cancelledBy"           uuid,
    "cancellationReason"    text,
    "isConfirmed"           boolean                               NOT NULL DEFAULT false,
    "confirmedAt"           timestamp,
    "confirmedBy"           uuid,
    "reminder24HourSent"    boolean                               NOT NULL DEFAULT false,
    "reminder24HourSentAt"  timestamp,
    "reminder1HourSent"     boolean                               NOT NULL DEFAULT false,
    "reminder1HourSentAt"   timestamp,
    "reminderTypes"         text,
    "isRecurring"           boolean                               NOT NULL DEFAULT false,
    "recurrencePattern"     "appointments_recurrencepattern_enum" NOT NULL DEFAULT 'none',
    "recurrenceInterval"    integer,
    "recurrenceDaysOfWeek"  text,
    "recurrenceEndDate"     timestamp,
    "parentAppointmentId"   uuid,
    "isRecurrenceException" boolean                               NOT NULL DEFAULT false,
    "vitalReadingId"        uuid,
    "alertId"               uuid,
    "taskId"                uuid,
    "isBillable"            boolean                               NOT NULL DEFAULT false,
    "claimId"               uuid,
    "estimatedCost"         numeric(10,2),
    "actualCost"            numeric(10,2),
    "timezone"              varchar(100)                          NOT NULL DEFAULT 'UTC',
    "metadata"              jsonb,
    "createdBy"             uuid                                  NOT NULL,
    "lastModifiedBy"        uuid,
    "createdAt"             timestamp                             NOT NULL DEFAULT now(),
    "updatedAt"             timestamp                             NOT NULL DEFAULT now(),

    CONSTRAINT "PK_appointments" PRIMARY KEY ("id"),
    CONSTRAINT "FK_appointments_createdBy" FOREIGN KEY ("createdBy") REFERENCES "users" ("id") ON DELETE CASCADE,
    CONSTRAINT "FK_appointments_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") ON DELETE CASCADE,
    CONSTRAINT "FK_appointments_providerId" FOREIGN KEY ("providerId") REFERENCES "users" ("id") ON DELETE CASCADE
);

CREATE INDEX "IDX_appointments_patientId" ON "appointments" ("patientId");
CREATE INDEX "IDX_appointments_patientId_scheduledAt" ON "appointments" ("patientId", "scheduledAt");
CREATE INDEX "IDX_appointments_providerId" ON "appointments" ("providerId");
CREATE INDEX "IDX_appointments_providerId_scheduledAt" ON "appointments" ("providerId", "scheduledAt");
CREATE INDEX "IDX_appointments_scheduledAt" ON "appointments" ("scheduledAt");
CREATE INDEX "IDX_appointments_status" ON "appointments" ("status");
CREATE INDEX "IDX_appointments_status_scheduledAt" ON "appointments" ("status", "scheduledAt");
