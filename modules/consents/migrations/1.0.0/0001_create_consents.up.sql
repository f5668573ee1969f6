-- consents 1.0.0: consents.
-- The baseline: exactly the schema VytalWatch databases already have, so an
-- existing database can be adopted without running DDL. Timestamps are
-- `timestamp` (without time zone) as in those databases; later versions improve on it.
--
-- vytal:allow prefer-timestamptz: 1.0.0 reproduces the schema of record exactly, so a database built by the old suite adopts with no DDL; timestamptz is a later version's fix

CREATE TYPE "consents_type_enum" AS ENUM ('treatment', 'data_collection', 'data_sharing', 'telehealth', 'research', 'marketing', 'device_monitoring', 'ai_analysis', 'third_party_sharing', 'emergency_contact', 'notice_of_privacy_practices');
CREATE TYPE "consents_status_enum" AS ENUM ('pending', 'granted', 'revoked', 'expired');

CREATE TABLE "consents" (
    "id"               uuid                   NOT NULL DEFAULT uuid_generate_v4(),
    "userId"           uuid                   NOT NULL,
    "type"             "consents_type_enum"   NOT NULL,
    "status"           "consents_status_enum" NOT NULL DEFAULT 'pending',
    "version"          varchar(20)            NOT NULL,
    "consentText"      text                   NOT NULL,
    "consentUrl"       varchar(500),
    "signatureMethod"  varchar(50),
    "signatureData"    text,
    "signedAt"         timestamp,
    "ipAddress"        varchar(45),
    "userAgent"        text,
    "location"         varchar(255),
    "witnessedBy"      uuid,
    "witnessName"      varchar(255),
    "witnessedAt"      timestamp,
    "expiresAt"        timestamp,
    "revokedAt"        timestamp,
    "revokedBy"        uuid,
    "revocationReason" text,
    "metadata"         jsonb,
    "notes"            text,
    "createdAt"        timestamp              NOT NULL DEFAULT now(),
    "updatedAt"        timestamp              NOT NULL DEFAULT now(),

    CONSTRAINT "PK_consents" PRIMARY KEY ("id"),
    CONSTRAINT "FK_consents_userId" FOREIGN KEY ("userId") REFERENCES "users" ("id") ON DELETE CASCADE
);

CREATE INDEX "IDX_consents_expiresAt" ON "consents" ("expiresAt");
CREATE INDEX "IDX_consents_status" ON "consents" ("status");
CREATE INDEX "IDX_consents_type" ON "consents" ("type");
CREATE INDEX "IDX_consents_userId" ON "consents" ("userId");
CREATE INDEX "IDX_consents_userId_status" ON "consents" ("userId", "status");
CREATE INDEX "IDX_consents_userId_type_status" ON "consents" ("userId", "type", "status");
