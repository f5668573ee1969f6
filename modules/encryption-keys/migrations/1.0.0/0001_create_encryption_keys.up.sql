-- encryption-keys 1.0.0: encryption_keys.
-- The baseline: exactly the schema VytalWatch databases already have, so an
-- existing database can be adopted without running DDL. Timestamps are
-- `timestamp` (without time zone) as in those databases; later versions improve on it.
--
-- vytal:allow prefer-timestamptz: 1.0.0 reproduces the schema of record exactly, so a database built by the old suite adopts with no DDL; timestamptz is a later version's fix

CREATE TYPE "encryption_keys_keytype_enum" AS ENUM ('master', 'data', 'messaging', 'file', 'call', 'database');
CREATE TYPE "encryption_keys_status_enum" AS ENUM ('active', 'rotating', 'deprecated', 'revoked', 'compromised');

CREATE TABLE "encryption_keys" (
    "id"               uuid                           NOT NULL DEFAULT uuid_generate_v4(),
    "keyId"            varchar(255)                   NOT NULL,
    "keyType"          "encryption_keys_keytype_enum" NOT NULL,
    "algorithm"        varchar(100)                   NOT NULL DEFAULT 'AES-256-GCM',
    "encryptedKey"     text                           NOT NULL,
    "iv"               varchar(255),
    "authTag"          varchar(255),
    "version"          integer                        NOT NULL DEFAULT 1,
    "status"           "encryption_keys_status_enum"  NOT NULL DEFAULT 'active',
    "purpose"          varchar(255),
    "activatedAt"      timestamp                      NOT NULL DEFAULT now(),
    "expiresAt"        timestamp,
    "rotatedAt"        timestamp,
    "revokedAt"        timestamp,
    "revokedBy"        uuid,
    "revocationReason" text,
    "previousKeyId"    uuid,
    "nextKeyId"        uuid,
    "usageCount"       bigint                         NOT NULL DEFAULT 0,
    "lastUsedAt"       timestamp,
    "derivationInfo"   jsonb,
    "externalKeyId"    varchar(255),
    "kmsProvider"      varchar(100),
    "kmsRegion"        varchar(100),
    "isHIPAACompliant" boolean                        NOT NULL DEFAULT true,
    "auditLog"         jsonb[],
    "allowedServices"  text,
    "allowedRoles"     text,
    "hasBackup"        boolean                        NOT NULL DEFAULT false,
    "backupLocation"   varchar(500),
    "lastBackupAt"     timestamp,
    "metadata"         jsonb,
    "notes"            text,
    "createdBy"        uuid                           NOT NULL,
    "lastModifiedBy"   uuid,
    "createdAt"        timestamp                      NOT NULL DEFAULT now(),
    "updatedAt"        timestamp                      NOT NULL DEFAULT now(),
    "deletedAt"        timestamp,

    CONSTRAINT "PK_encryption_keys" PRIMARY KEY ("id"),
    CONSTRAINT "UQ_encryption_keys_keyId" UNIQUE ("keyId")
);

CREATE INDEX "IDX_encryption_keys_activatedAt" ON "encryption_keys" ("activatedAt");
CREATE INDEX "IDX_encryption_keys_expiresAt" ON "encryption_keys" ("expiresAt");
CREATE INDEX "IDX_encryption_keys_externalKeyId" ON "encryption_keys" ("externalKeyId");
CREATE UNIQUE INDEX "IDX_encryption_keys_keyId" ON "encryption_keys" ("keyId");
CREATE INDEX "IDX_encryption_keys_keyType" ON "encryption_keys" ("keyType");
CREATE INDEX "IDX_encryption_keys_keyType_status" ON "encryption_keys" ("keyType", "status");
CREATE INDEX "IDX_encryption_keys_status" ON "encryption_keys" ("status");
CREATE INDEX "IDX_encryption_keys_status_version" ON "encryption_keys" ("status", "version");
CREATE INDEX "IDX_encryption_keys_version" ON "encryption_keys" ("version");
