-- claims 1.2.0 down: timestamptz back to timestamp, each value written as
-- its UTC wall-clock time, and the dropped indexes rebuilt (blocking writes while they build).

SET LOCAL timezone = 'UTC';

ALTER TABLE "claims"
    ALTER COLUMN "submittedAt" TYPE timestamp,
    ALTER COLUMN "responseReceivedAt" TYPE timestamp,
    ALTER COLUMN "paymentReceivedAt" TYPE timestamp,
    ALTER COLUMN "appealedAt" TYPE timestamp,
    ALTER COLUMN "appealResolutionDate" TYPE timestamp,
    ALTER COLUMN "createdAt" TYPE timestamp,
    ALTER COLUMN "updatedAt" TYPE timestamp;
CREATE UNIQUE INDEX "IDX_claims_claimNumber" ON "claims" ("claimNumber");
CREATE INDEX "IDX_claims_patientId" ON "claims" ("patientId");
CREATE INDEX "IDX_claims_providerId" ON "claims" ("providerId");

SET LOCAL timezone TO DEFAULT;
