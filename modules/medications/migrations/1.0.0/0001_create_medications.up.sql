-- medications 1.0.0: medications, medication_schedules, medication_adherence.
-- The baseline: exactly the schema VytalWatch databases already have, so an
-- existing database can be adopted without running DDL. Timestamps are
-- `timestamp` (without time zone) as in those databases; later versions improve on it.
--
-- vytal:allow prefer-timestamptz: 1.0.0 reproduces the schema of record exactly, so a database built by the old suite adopts with no DDL; timestamptz is a later version's fix

CREATE TYPE "medications_type_enum" AS ENUM ('tablet', 'capsule', 'liquid', 'injection', 'inhaler', 'topical', 'patch', 'drops', 'suppository', 'other');
CREATE TYPE "medications_route_enum" AS ENUM ('oral', 'sublingual', 'intravenous', 'intramuscular', 'subcutaneous', 'topical', 'transdermal', 'inhalation', 'nasal', 'ophthalmic', 'otic', 'rectal', 'vaginal');
CREATE TYPE "medications_frequency_enum" AS ENUM ('once_daily', 'twice_daily', 'three_times_daily', 'four_times_daily', 'every_4_hours', 'every_6_hours', 'every_8_hours', 'every_12_hours', 'as_needed', 'weekly', 'every_other_day', 'bedtime', 'morning', 'custom');

CREATE TABLE "medications" (
    "id"                    uuid                         NOT NULL DEFAULT uuid_generate_v4(),
    "name"                  varchar(255)                 NOT NULL,
    "genericName"           varchar(255),
    "brandName"             varchar(255),
    "ndcCode"               varchar(50),
    "type"                  "medications_type_enum"      NOT NULL DEFAULT 'tablet',
    "dosage"                varchar(100)                 NOT NULL,
    "strength"              varchar(100)                 NOT NULL,
    "route"                 "medications_route_enum"     NOT NULL DEFAULT 'oral',
    "frequency"             "medications_frequency_enum" NOT NULL,
    "frequencyDetails"      varchar(255),
    "instructions"          text,
    "purpose"               text,
    "patientId"             uuid                         NOT NULL,
    "prescribedBy"          uuid                         NOT NULL,
    "startDate"             timestamp                    NOT NULL,
    "endDate"               timestamp,
    "isActive"              boolean                      NOT NULL DEFAULT true,
    "status"                varchar(50)                  NOT NULL DEFAULT 'active',
    "discontinuedDate"      timestamp,
    "discontinuedBy"        uuid,
    "discontinuedReason"    text,
    "prescriptionNumber"    varchar(100),
    "pharmacy"              varchar(255),
    "pharmacyPhone"         varchar(20),
    "refillsAuthorized"     integer,
    "refillsUsed"           integer                      NOT NULL DEFAULT 0,
    "lastRefillDate"        timestamp,
    "sideEffects"           text,
    "contraindications"     text,
    "interactions"          text,
    "warnings"              text,
    "precautions"           text,
    "requiresMonitoring"    boolean                      NOT NULL DEFAULT false,
    "monitoringParameters"  text,
    "reminderEnabled"       boolean                      NOT NULL DEFAULT true,
    "reminderMinutesBefore" integer,
    "trackAdherence"        boolean                      NOT NULL DEFAULT true,
    "metadata"              jsonb,
    "notes"                 text,
    "attachments"           text,
    "createdAt"             timestamp                    NOT NULL DEFAULT now(),
    "updatedAt"             timestamp                    NOT NULL DEFAULT now(),

    CONSTRAINT "PK_medications" PRIMARY KEY ("id"),
    CONSTRAINT "FK_medications_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") ON DELETE CASCADE,
    CONSTRAINT "FK_medications_prescribedBy" FOREIGN KEY ("prescribedBy") REFERENCES "users" ("id") ON DELETE CASCADE
);

CREATE INDEX "IDX_medications_endDate" ON "medications" ("endDate");
CREATE INDEX "IDX_medications_patientId" ON "medications" ("patientId");
CREATE INDEX "IDX_medications_patientId_status" ON "medications" ("patientId", "status");
CREATE INDEX "IDX_medications_prescribedBy" ON "medications" ("prescribedBy");
CREATE INDEX "IDX_medications_prescribedBy_status" ON "medications" ("prescribedBy", "status");
CREATE INDEX "IDX_medications_startDate" ON "medications" ("startDate");
CREATE INDEX "IDX_medications_startDate_endDate" ON "medications" ("startDate", "endDate");
CREATE INDEX "IDX_medications_status" ON "medications" ("status");

CREATE TABLE "medication_schedules" (
    "id"                  uuid         NOT NULL DEFAULT uuid_generate_v4(),
    "medicationId"        uuid         NOT NULL,
    "patientId"           uuid         NOT NULL,
    "scheduledTime"       timestamp    NOT NULL,
    "scheduledDosage"     varchar(100),
    "specialInstructions" text,
    "isCompleted"         boolean      NOT NULL DEFAULT false,
    "completedAt"         timestamp,
    "reminderSent"        boolean      NOT NULL DEFAULT false,
    "reminderSentAt"      timestamp,
    "isRecurring"         boolean      NOT NULL DEFAULT false,
    "recurrenceRule"      jsonb,
    "createdAt"           timestamp    NOT NULL DEFAULT now(),
    "updatedAt"           timestamp    NOT NULL DEFAULT now(),

    CONSTRAINT "PK_medication_schedules" PRIMARY KEY ("id"),
    CONSTRAINT "FK_medication_schedules_medicationId" FOREIGN KEY ("medicationId") REFERENCES "medications" ("id") ON DELETE CASCADE,
    CONSTRAINT "FK_medication_schedules_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") ON DELETE CASCADE
);

CREATE INDEX "IDX_medication_schedules_medicationId" ON "medication_schedules" ("medicationId");
CREATE INDEX "IDX_medication_schedules_medicationId_scheduledTime" ON "medication_schedules" ("medicationId", "scheduledTime");
CREATE INDEX "IDX_medication_schedules_patientId" ON "medication_schedules" ("patientId");
CREATE INDEX "IDX_medication_schedules_patientId_scheduledTime" ON "medication_schedules" ("patientId", "scheduledTime");
CREATE INDEX "IDX_medication_schedules_scheduledTime" ON "medication_schedules" ("scheduledTime");

CREATE TYPE "medication_adherence_status_enum" AS ENUM ('taken', 'missed', 'skipped', 'pending', 'late');

CREATE TABLE "medication_adherence" (
    "id"                  uuid                               NOT NULL DEFAULT uuid_generate_v4(),
    "medicationId"        uuid                               NOT NULL,
    "patientId"           uuid                               NOT NULL,
    "scheduleId"          uuid,
    "status"              "medication_adherence_status_enum" NOT NULL,
    "recordedAt"          timestamp                          NOT NULL,
    "scheduledTime"       timestamp,
    "takenAt"             timestamp,
    "dosageTaken"         varchar(100),
    "recordMethod"        varchar(50)                        NOT NULL DEFAULT 'manual',
    "recordedBy"          uuid,
    "notes"               text,
    "reason"              text,
    "hadSideEffects"      boolean                            NOT NULL DEFAULT false,
    "reportedSideEffects" text,
    "location"            jsonb,
    "metadata"            jsonb,
    "createdAt"           timestamp                          NOT NULL DEFAULT now(),
    "updatedAt"           timestamp                          NOT NULL DEFAULT now(),

    CONSTRAINT "PK_medication_adherence" PRIMARY KEY ("id"),
    CONSTRAINT "FK_medication_adherence_medicationId" FOREIGN KEY ("medicationId") REFERENCES "medications" ("id") ON DELETE CASCADE,
    CONSTRAINT "FK_medication_adherence_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") ON DELETE CASCADE,
    CONSTRAINT "FK_medication_adherence_recordedBy" FOREIGN KEY ("recordedBy") REFERENCES "users" ("id") ON DELETE SET NULL,
    CONSTRAINT "FK_medication_adherence_scheduleId" FOREIGN KEY ("scheduleId") REFERENCES "medication_schedules" ("id") ON DELETE SET NULL
);

CREATE INDEX "IDX_medication_adherence_medicationId" ON "medication_adherence" ("medicationId");
CREATE INDEX "IDX_medication_adherence_medicationId_recordedAt" ON "medication_adherence" ("medicationId", "recordedAt");
CREATE INDEX "IDX_medication_adherence_patientId" ON "medication_adherence" ("patientId");
CREATE INDEX "IDX_medication_adherence_patientId_recordedAt" ON "medication_adherence" ("patientId", "recordedAt");
CREATE INDEX "IDX_medication_adherence_recordedAt" ON "medication_adherence" ("recordedAt");
CREATE INDEX "IDX_medication_adherence_status" ON "medication_adherence" ("status");
