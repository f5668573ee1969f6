-- clinical-notes 1.0.0: clinical_notes.
-- The baseline: exactly the schema VytalWatch databases already have, so an
-- existing database can be adopted without running DDL. Timestamps are
-- `timestamp` (without time zone) as in those databases; later versions improve on it.
--
-- vytal:allow prefer-timestamptz: 1.0.0 reproduces the schema of record exactly, so a database built by the old suite adopts with no DDL; timestamptz is a later version's fix

CREATE TYPE "clinical_notes_notetype_enum" AS ENUM ('soap', 'progress', 'consultation', 'discharge', 'assessment', 'rpm_review', 'initial_assessment', 'follow_up', 'referral', 'procedure');
CREATE TYPE "clinical_notes_encountertype_enum" AS ENUM ('telehealth', 'in_person', 'phone', 'async', 'emergency', 'rpm_monitoring');
CREATE TYPE "clinical_notes_status_enum" AS ENUM ('draft', 'in_progress', 'pending_signature', 'signed', 'locked', 'amended', 'deleted');

CREATE TABLE "clinical_notes" (
    "id"                  uuid                                NOT NULL DEFAULT uuid_generate_v4(),
    "patientId"           uuid                                NOT NULL,
    "providerId"          uuid                                NOT NULL,
    "noteType"            "clinical_notes_notetype_enum"      NOT NULL,
    "encounterType"       "clinical_notes_encountertype_enum" NOT NULL,
    "status"              "clinical_notes_status_enum"        NOT NULL DEFAULT 'draft',
    "encounterDate"       timestamp                           NOT NULL,
    "encounterDuration"   integer,
    "encounterLocation"   varchar(255),
    "title"               varchar(500)                        NOT NULL,
    "content"             text                                NOT NULL,
    "structuredData"      jsonb,
    "templateId"          varchar(255),
    "templateName"        varchar(255),
    "vitalReadingIds"     uuid[],
    "alertIds"            uuid[],
    "medicationIds"       uuid[],
    "appointmentIds"      uuid[],
    "deviceIds"           uuid[],
    "billingClaimId"      uuid,
    "isSigned"            boolean                             NOT NULL DEFAULT false,
    "signature"           jsonb,
    "signedAt"            timestamp,
    "isLocked"            boolean                             NOT NULL DEFAULT false,
    "lockedAt"            timestamp,
    "lockedBy"            uuid,
    "isAmended"           boolean                             NOT NULL DEFAULT false,
    "amendments"          jsonb[],
    "originalNoteId"      uuid,
    "supersededBy"        uuid,
    "aiGenerated"         boolean                             NOT NULL DEFAULT false,
    "aiAssisted"          boolean                             NOT NULL DEFAULT false,
    "aiMetadata"          jsonb,
    "icdCodes"            text,
    "cptCodes"            text,
    "billingNotes"        varchar(500),
    "billingSubmitted"    boolean                             NOT NULL DEFAULT false,
    "addendum"            text,
    "addendumAddedAt"     timestamp,
    "addendumAddedBy"     uuid,
    "requiresCoSignature" boolean                             NOT NULL DEFAULT false,
    "coSignedBy"          uuid,
    "coSignedAt"          timestamp,
    "coSignatureNotes"    text,
    "isConfidential"      boolean                             NOT NULL DEFAULT false,
    "accessibleTo"        text,
    "metadata"            jsonb,
    "version"             integer                             NOT NULL DEFAULT 1,
    "previousVersionId"   uuid,
    "lastEditedBy"        uuid,
    "lastEditedAt"        timestamp,
    "createdAt"           timestamp                           NOT NULL DEFAULT now(),
    "updatedAt"           timestamp                           NOT NULL DEFAULT now(),
    "deletedAt"           timestamp,
    "deletedBy"           uuid,
    "deletionReason"      text,

    CONSTRAINT "PK_clinical_notes" PRIMARY KEY ("id"),
    CONSTRAINT "FK_clinical_notes_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") ON DELETE CASCADE,
    CONSTRAINT "FK_clinical_notes_providerId" FOREIGN KEY ("providerId") REFERENCES "users" ("id") ON DELETE CASCADE
);

CREATE INDEX "IDX_clinical_notes_encounterDate" ON "clinical_notes" ("encounterDate");
CREATE INDEX "IDX_clinical_notes_noteType" ON "clinical_notes" ("noteType");
CREATE INDEX "IDX_clinical_notes_patientId" ON "clinical_notes" ("patientId");
CREATE INDEX "IDX_clinical_notes_patientId_noteType_createdAt" ON "clinical_notes" ("patientId", "noteType", "createdAt");
CREATE INDEX "IDX_clinical_notes_patientId_status" ON "clinical_notes" ("patientId", "status");
CREATE INDEX "IDX_clinical_notes_providerId" ON "clinical_notes" ("providerId");
CREATE INDEX "IDX_clinical_notes_providerId_status_createdAt" ON "clinical_notes" ("providerId", "status", "createdAt");
CREATE INDEX "IDX_clinical_notes_status" ON "clinical_notes" ("status");
