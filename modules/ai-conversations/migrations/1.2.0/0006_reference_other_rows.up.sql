-- ai-conversations 1.2.0: foreign keys for the columns that name a row of another
-- table, so no new write can point nowhere.
-- A user named as the one who did something (completed, signed, revoked...)
-- is part of the record: deleting that user is refused while the record
-- names them (NO ACTION), as for the other user references since 1.1.0.
-- Every reference to another row is optional: when the row it names is
-- deleted, the column becomes NULL (ON DELETE SET NULL).
-- lastMessageId names the newest message of a conversation whose messages
-- name it back; the key is checked at commit (DEFERRABLE INITIALLY DEFERRED)
-- so the two can be written in either order within one transaction.
--
-- Added NOT VALID: enforced at once for every new write, without checking
-- the rows already there (the next migration does, under a weaker lock).
-- Lock: SHARE ROW EXCLUSIVE on each table and each table it references,
-- for milliseconds (no scan): writes to them wait that long.

ALTER TABLE "ai_conversations"
    ADD CONSTRAINT "FK_ai_conversations_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") NOT VALID,
    ADD CONSTRAINT "FK_ai_conversations_providerId" FOREIGN KEY ("providerId") REFERENCES "users" ("id") NOT VALID,
    ADD CONSTRAINT "FK_ai_conversations_lastMessageId" FOREIGN KEY ("lastMessageId") REFERENCES "ai_messages" ("id") ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED NOT VALID;
