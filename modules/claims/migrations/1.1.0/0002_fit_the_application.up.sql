-- claims 1.1.0: what VytalWatch's application needs of these tables.
--
-- Widened: varchar(n) columns the application puts no limit on become
-- varchar. Dropping a length limit rewrites no table and rebuilds no index:
-- the ALTER holds its ACCESS EXCLUSIVE lock for milliseconds whatever the
-- size of the table.
-- Records outlive accounts: foreign keys to users that deleted (or cleared)
-- a patient's records with the account now refuse the deletion while records
-- remain (NO ACTION). Each is dropped and re-added NOT VALID in one
-- statement: enforced at once for every write, checked against the rows
-- already there by the next migration under a lock that lets reads and
-- writes go on. (Dropping a foreign key briefly locks the referenced table
-- too: users.)

-- claims
ALTER TABLE "claims"
    ALTER COLUMN "claimNumber" TYPE varchar,
    ALTER COLUMN "primaryInsuranceName" TYPE varchar,
    ALTER COLUMN "primaryInsuranceId" TYPE varchar,
    ALTER COLUMN "primaryGroupNumber" TYPE varchar,
    ALTER COLUMN "secondaryInsuranceName" TYPE varchar,
    ALTER COLUMN "secondaryInsuranceId" TYPE varchar,
    ALTER COLUMN "submittedBy" TYPE varchar,
    ALTER COLUMN "submissionMethod" TYPE varchar,
    ALTER COLUMN "clearinghouseId" TYPE varchar,
    ALTER COLUMN "denialReason" TYPE varchar,
    ALTER COLUMN "appealReason" TYPE varchar,
    ALTER COLUMN "appealOutcome" TYPE varchar;
ALTER TABLE "claims"
    DROP CONSTRAINT "FK_claims_patientId",
    ADD CONSTRAINT "FK_claims_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") NOT VALID,
    DROP CONSTRAINT "FK_claims_providerId",
    ADD CONSTRAINT "FK_claims_providerId" FOREIGN KEY ("providerId") REFERENCES "users" ("id") NOT VALID;

-- Changing a column's type drops its statistics, even without a rewrite.
ANALYZE "claims";
