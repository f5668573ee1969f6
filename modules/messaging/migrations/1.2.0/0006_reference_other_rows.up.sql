-- messaging 1.2.0: foreign keys for the columns that name a row of another
-- table, so no new write can point nowhere.
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

ALTER TABLE "conversations"
    ADD CONSTRAINT "FK_conversations_lastMessageId" FOREIGN KEY ("lastMessageId") REFERENCES "messages" ("id") ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED NOT VALID;
