-- consents 1.1.0: what VytalWatch's application needs of these tables.
--
-- Widened: varchar(n) columns the application puts no limit on become
-- varchar. Dropping a length limit needs no table rewrite and no index
-- rebuild: the lock is brief whatever the size of the table.
-- Records outlive accounts: foreign keys to users that deleted (or
-- cleared) a patient's records with the account now refuse the
-- deletion while records remain (NO ACTION). Each is re-added and checked
-- in the same statement as its drop.

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
    ADD CONSTRAINT "FK_consents_userId" FOREIGN KEY ("userId") REFERENCES "users" ("id");
