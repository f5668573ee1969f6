-- claims 1.1.0 down: lengths, ON DELETE behaviour and references back to 1.0.0,
-- values kept. A value longer than its old limit stops the rollback with
-- PostgreSQL's message, and nothing is changed; narrowing a column rescans the table.
ALTER TABLE "claims"
    ALTER COLUMN "claimNumber" TYPE varchar(100),
    ALTER COLUMN "primaryInsuranceName" TYPE varchar(255),
    ALTER COLUMN "primaryInsuranceId" TYPE varchar(100),
    ALTER COLUMN "primaryGroupNumber" TYPE varchar(100),
    ALTER COLUMN "secondaryInsuranceName" TYPE varchar(255),
    ALTER COLUMN "secondaryInsuranceId" TYPE varchar(100),
    ALTER COLUMN "submittedBy" TYPE varchar(255),
    ALTER COLUMN "submissionMethod" TYPE varchar(50),
    ALTER COLUMN "clearinghouseId" TYPE varchar(100),
    ALTER COLUMN "denialReason" TYPE varchar(255),
    ALTER COLUMN "appealReason" TYPE varchar(500),
    ALTER COLUMN "appealOutcome" TYPE varchar(50);
ALTER TABLE "claims"
    DROP CONSTRAINT "FK_claims_patientId",
    ADD CONSTRAINT "FK_claims_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") ON DELETE CASCADE,
    DROP CONSTRAINT "FK_claims_providerId",
    ADD CONSTRAINT "FK_claims_providerId" FOREIGN KEY ("providerId") REFERENCES "users" ("id") ON DELETE CASCADE;
