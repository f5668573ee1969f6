-- consents 1.1.0: what VytalWatch's application needs of these tables.
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

-- consents
ALTER TABLE "consents"
    ALTER COLUMN "version" TYPE varchar,
    ALTER COLUMN "consentUrl" TYPE varchar,
    ALTER COLUMN "signatureMethod" TYPE varchar,
    ALTER COLUMN "ipAddress" TYPE varchar,
    ALTER COLUMN "location" TYPE varchar,
    ALTER COLUMN "witnessName" TYPE varchar;
ALTER TABLE "consents"
    DROP CONSTRAINT "FK_consents_userId",
    ADD CONSTRAINT "FK_consents_userId" FOREIGN KEY ("userId") REFERENCES "users" ("id") NOT VALID;

-- Changing a column's type drops its statistics, even without a rewrite.
ANALYZE "consents";
