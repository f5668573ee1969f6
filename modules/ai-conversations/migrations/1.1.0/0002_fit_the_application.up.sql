-- ai-conversations 1.1.0: what VytalWatch's application needs of these tables.
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
-- References into monitoring (vitalReadingId, alertId) get foreign keys (ON
-- DELETE SET NULL) and indexes; the modules require monitoring ^1.0 from
-- 1.1.0. They stay NOT VALID: enforced for every new write, while values
-- written before the monitoring tables existed are left as they are; `ALTER
-- TABLE ... VALIDATE CONSTRAINT` checks them once any that point nowhere
-- have been fixed. The index build (CREATE INDEX in the migration's
-- transaction) blocks writes to the table while it runs.
--
-- vytal:allow require-concurrent-index-creation: 1.1.0 has shipped with these index builds in its transaction, and changing an applied migration would make every 1.1.0 database read as edited; the header says what they lock

-- ai_conversations
ALTER TABLE "ai_conversations"
    ALTER COLUMN "model" TYPE varchar;
ALTER TABLE "ai_conversations"
    DROP CONSTRAINT "FK_ai_conversations_userId",
    ADD CONSTRAINT "FK_ai_conversations_userId" FOREIGN KEY ("userId") REFERENCES "users" ("id") NOT VALID;
ALTER TABLE "ai_conversations" ADD CONSTRAINT "FK_ai_conversations_vitalReadingId" FOREIGN KEY ("vitalReadingId") REFERENCES "vital_readings" ("id") ON DELETE SET NULL NOT VALID;
CREATE INDEX "IDX_ai_conversations_vitalReadingId" ON "ai_conversations" ("vitalReadingId");
ALTER TABLE "ai_conversations" ADD CONSTRAINT "FK_ai_conversations_alertId" FOREIGN KEY ("alertId") REFERENCES "alerts" ("id") ON DELETE SET NULL NOT VALID;
CREATE INDEX "IDX_ai_conversations_alertId" ON "ai_conversations" ("alertId");

-- ai_messages
ALTER TABLE "ai_messages"
    ALTER COLUMN "model" TYPE varchar,
    ALTER COLUMN "errorCode" TYPE varchar;

-- Changing a column's type drops its statistics, even without a rewrite.
ANALYZE "ai_conversations", "ai_messages";
