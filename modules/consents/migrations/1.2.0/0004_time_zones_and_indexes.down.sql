-- consents 1.2.0 down: timestamptz back to timestamp, each value written as
-- its UTC wall-clock time, and the dropped indexes rebuilt (blocking writes while they build).

SET LOCAL timezone = 'UTC';

ALTER TABLE "consents"
    ALTER COLUMN "signedAt" TYPE timestamp,
    ALTER COLUMN "witnessedAt" TYPE timestamp,
    ALTER COLUMN "expiresAt" TYPE timestamp,
    ALTER COLUMN "revokedAt" TYPE timestamp,
    ALTER COLUMN "createdAt" TYPE timestamp,
    ALTER COLUMN "updatedAt" TYPE timestamp;
CREATE INDEX "IDX_consents_userId" ON "consents" ("userId");

SET LOCAL timezone TO DEFAULT;
