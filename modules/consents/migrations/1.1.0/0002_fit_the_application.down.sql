-- consents 1.1.0 down: lengths, ON DELETE behaviour and references back to 1.0.0,
-- values kept. A value longer than its old limit stops the rollback with
-- PostgreSQL's message, and nothing is changed; narrowing a column rescans the table.
ALTER TABLE "consents"
    ALTER COLUMN "version" TYPE varchar(20),
    ALTER COLUMN "consentUrl" TYPE varchar(500),
    ALTER COLUMN "signatureMethod" TYPE varchar(50),
    ALTER COLUMN "ipAddress" TYPE varchar(45),
    ALTER COLUMN "location" TYPE varchar(255),
    ALTER COLUMN "witnessName" TYPE varchar(255);
ALTER TABLE "consents"
    DROP CONSTRAINT "FK_consents_userId",
    ADD CONSTRAINT "FK_consents_userId" FOREIGN KEY ("userId") REFERENCES "users" ("id") ON DELETE CASCADE;
