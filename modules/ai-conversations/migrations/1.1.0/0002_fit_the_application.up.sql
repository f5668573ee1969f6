-- ai-conversations 1.1.0: what VytalWatch's application needs of these tables.
--
-- Widened: varchar(n) columns the application puts no limit on become
-- varchar. Dropping a length limit needs no table rewrite and no index
-- rebuild: the lock is brief whatever the size of the table.
-- Records outlive accounts: foreign keys to users that deleted (or
-- cleared) a patient's records with the account now refuse the
-- deletion while records remain (NO ACTION). Each is re-added and checked
-- in the same statement as its drop.
-- References into monitoring (vitalReadingId, alertId) get foreign keys
-- (ON DELETE SET NULL) and indexes. They are NOT VALID: enforced for every
-- new write, while values written before the monitoring tables existed
-- are left as they are; `ALTER TABLE ... VALIDATE CONSTRAINT` checks them
-- once any that point nowhere have been fixed. Requires monitoring ^1.0.

-- ai_conversations
ALTER TABLE "ai_conversations"
    ALTER COLUMN "model" TYPE varchar;
ALTER TABLE "ai_conversations"
    DROP CONSTRAINT "FK_ai_conversations_userId",
    ADD CONSTRAINT "FK_ai_conversations_userId" FOREIGN KEY ("userId") REFERENCES "users" ("id");
ALTER TABLE "ai_conversations" ADD CONSTRAINT "FK_ai_conversations_vitalReadingId" FOREIGN KEY ("vitalReadingId") REFERENCES "vital_readings" ("id") ON DELETE SET NULL NOT VALID;
CREATE INDEX "IDX_ai_conversations_vitalReadingId" ON "ai_conversations" ("vitalReadingId");
ALTER TABLE "ai_conversations" ADD CONSTRAINT "FK_ai_conversations_alertId" FOREIGN KEY ("alertId") REFERENCES "alerts" ("id") ON DELETE SET NULL NOT VALID;
CREATE INDEX "IDX_ai_conversations_alertId" ON "ai_conversations" ("alertId");

-- ai_messages
ALTER TABLE "ai_messages"
    ALTER COLUMN "model" TYPE varchar,
    ALTER COLUMN "errorCode" TYPE varchar;
