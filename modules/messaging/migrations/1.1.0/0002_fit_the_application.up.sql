-- messaging 1.1.0: what VytalWatch's application needs of these tables.
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
-- messages.conversationId no longer cascades either: deleting a conversation
-- is refused while it holds messages, which are part of the patient's
-- record. messages.replyToMessageId keeps ON DELETE SET NULL: a reply
-- survives the message it answered.

-- conversations
ALTER TABLE "conversations"
    ALTER COLUMN "encryptionKeyId" TYPE varchar;
ALTER TABLE "conversations"
    DROP CONSTRAINT "FK_conversations_patientId",
    ADD CONSTRAINT "FK_conversations_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") NOT VALID,
    DROP CONSTRAINT "FK_conversations_providerId",
    ADD CONSTRAINT "FK_conversations_providerId" FOREIGN KEY ("providerId") REFERENCES "users" ("id") NOT VALID;

-- messages
ALTER TABLE "messages"
    ALTER COLUMN "iv" TYPE varchar,
    ALTER COLUMN "authTag" TYPE varchar,
    ALTER COLUMN "ipAddress" TYPE varchar;
ALTER TABLE "messages"
    DROP CONSTRAINT "FK_messages_conversationId",
    ADD CONSTRAINT "FK_messages_conversationId" FOREIGN KEY ("conversationId") REFERENCES "conversations" ("id") NOT VALID,
    DROP CONSTRAINT "FK_messages_senderId",
    ADD CONSTRAINT "FK_messages_senderId" FOREIGN KEY ("senderId") REFERENCES "users" ("id") NOT VALID;

-- Changing a column's type drops its statistics, even without a rewrite.
ANALYZE "conversations", "messages";
