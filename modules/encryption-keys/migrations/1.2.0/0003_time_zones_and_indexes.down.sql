-- encryption-keys 1.2.0 down: timestamptz back to timestamp, each value written as
-- its UTC wall-clock time, and the dropped indexes rebuilt (blocking writes while they build).

SET LOCAL timezone = 'UTC';

ALTER TABLE "encryption_keys"
    ALTER COLUMN "activatedAt" TYPE timestamp,
    ALTER COLUMN "expiresAt" TYPE timestamp,
    ALTER COLUMN "rotatedAt" TYPE timestamp,
    ALTER COLUMN "revokedAt" TYPE timestamp,
    ALTER COLUMN "lastUsedAt" TYPE timestamp,
    ALTER COLUMN "lastBackupAt" TYPE timestamp,
    ALTER COLUMN "createdAt" TYPE timestamp,
    ALTER COLUMN "updatedAt" TYPE timestamp,
    ALTER COLUMN "deletedAt" TYPE timestamp;
CREATE UNIQUE INDEX "IDX_encryption_keys_keyId" ON "encryption_keys" ("keyId");
CREATE INDEX "IDX_encryption_keys_keyType" ON "encryption_keys" ("keyType");
CREATE INDEX "IDX_encryption_keys_status" ON "encryption_keys" ("status");

SET LOCAL timezone TO DEFAULT;
