-- push-notifications 1.2.0 down: timestamptz back to timestamp, each value written as
-- its UTC wall-clock time, and the dropped indexes rebuilt (blocking writes while they build).

SET LOCAL timezone = 'UTC';

ALTER TABLE "device_tokens"
    ALTER COLUMN "lastUsedAt" TYPE timestamp,
    ALTER COLUMN "expiresAt" TYPE timestamp,
    ALTER COLUMN "lastFailureAt" TYPE timestamp,
    ALTER COLUMN "createdAt" TYPE timestamp,
    ALTER COLUMN "updatedAt" TYPE timestamp;
CREATE UNIQUE INDEX "IDX_device_tokens_token" ON "device_tokens" ("token");
CREATE INDEX "IDX_device_tokens_platform" ON "device_tokens" ("platform");
CREATE INDEX "IDX_device_tokens_userId" ON "device_tokens" ("userId");

SET LOCAL timezone TO DEFAULT;
