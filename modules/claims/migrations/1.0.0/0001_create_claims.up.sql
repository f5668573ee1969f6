-- claims 1.0.0: claims.
-- The baseline: exactly the schema VytalWatch databases already have, so an
-- existing database can be adopted without running DDL. Timestamps are
-- `timestamp` (without time zone) as in those databases; later versions improve on it.
--
-- vytal:allow prefer-timestamptz: 1.0.0 reproduces the schema of record exactly, so a database built by the old suite adopts with no DDL; timestamptz is a later version's fix

CREATE TYPE "claims_type_enum" AS ENUM ('rpm', 'telehealth', 'office_visit', 'procedure', 'diagnostic');
CREATE TYPE "claims_status_enum" AS ENUM ('draft', 'pending', 'submitted', 'accepted', 'partially_paid', 'paid', 'denied', 'appealed', 'cancelled');

CREATE TABLE "claims" (
    "id"                     uuid                 NOT NULL DEFAULT uuid_generate_v4(),
    "claimNumber"            varchar(100)         NOT NULL,
    "type"                   "claims_type_enum"   NOT NULL,
    "status"                 "claims_status_enum" NOT NULL DEFAULT 'draft',
    "patientId"              uuid                 NOT NULL,
    "providerId"             uuid                 NOT NULL,
    "organizationId"         uuid,
    "serviceDate"            date                 NOT NULL,
    "serviceEndDate"         date,
    "cptCodes"               jsonb                NOT NULL,
    "diagnosisCodes"         jsonb                NOT NULL,
    "totalCharge"            numeric(10,2)        NOT NULL,
    "paidAmount"             numeric(10,2)        NOT NULL DEFAULT 0,
    "adjustedAmount"         numeric(10,2)        NOT NULL DEFAULT 0,
    "patientResponsibility"  numeric(10,2)        NOT NULL DEFAULT 0,
    "primaryInsuranceName"   varchar(255),
    "primaryInsuranceId"     varchar(100),
    "primaryGroupNumber"     varchar(100),
    "secondaryInsuranceName" varchar(255),
    "secondaryInsuranceId"   varchar(100),
    "submittedAt"            timestamp,
    "submittedBy"            varchar(255),
    "submissionMethod"       varchar(50),
    "clearinghouseId"        varchar(100),
    "responseReceivedAt"     timestamp,
    "paymentReceivedAt"      timestamp,
    "denialReason"           varchar(255),
    "denialDetails"          text,
    "supportingDocuments"    jsonb,
    "billingRecordIds"       text,
    "vitalReadingIds"        text,
    "alertIds"               text,
    "clinicalNoteIds"        text,
    "appealedAt"             timestamp,
    "appealReason"           varchar(500),
    "appealResolutionDate"   timestamp,
    "appealOutcome"          varchar(50),
    "metadata"               jsonb,
    "notes"                  text,
    "createdAt"              timestamp            NOT NULL DEFAULT now(),
    "updatedAt"              timestamp            NOT NULL DEFAULT now(),

    CONSTRAINT "PK_claims" PRIMARY KEY ("id"),
    CONSTRAINT "UQ_claims_claimNumber" UNIQUE ("claimNumber"),
    CONSTRAINT "FK_claims_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") ON DELETE CASCADE,
    CONSTRAINT "FK_claims_providerId" FOREIGN KEY ("providerId") REFERENCES "users" ("id") ON DELETE CASCADE
);

CREATE UNIQUE INDEX "IDX_claims_claimNumber" ON "claims" ("claimNumber");
CREATE INDEX "IDX_claims_patientId" ON "claims" ("patientId");
CREATE INDEX "IDX_claims_patientId_status" ON "claims" ("patientId", "status");
CREATE INDEX "IDX_claims_providerId" ON "claims" ("providerId");
CREATE INDEX "IDX_claims_providerId_status" ON "claims" ("providerId", "status");
CREATE INDEX "IDX_claims_serviceDate" ON "claims" ("serviceDate");
CREATE INDEX "IDX_claims_status" ON "claims" ("status");
