-- vytal:no-transaction
-- vytal:lock-timeout 10min
-- vytal:statement-timeout 2h
-- messaging 1.2.0: an index for every foreign key (and every reference 1.2.0 makes one) that lacks one, so that
-- deleting a referenced row does not scan the whole table.
--
-- CREATE INDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE: reads and writes go
-- on while it builds. It first waits for every transaction that could see the
-- table (hence the long lock timeout: waiting blocks no one). Outside a
-- transaction, a failed run leaves the indexes built so far, or an INVALID
-- one; each is dropped before it is built, so running again finishes the job.
--
-- vytal:allow conditional-ddl: after a failed run, the next run starts from the first statement; IF EXISTS drops what the failed run left (possibly an INVALID index) so that each index is built exactly once per run

DROP INDEX CONCURRENTLY IF EXISTS "IDX_conversations_providerId";
CREATE INDEX CONCURRENTLY "IDX_conversations_providerId" ON "conversations" ("providerId");
DROP INDEX CONCURRENTLY IF EXISTS "IDX_conversations_lastMessageId";
CREATE INDEX CONCURRENTLY "IDX_conversations_lastMessageId" ON "conversations" ("lastMessageId");
DROP INDEX CONCURRENTLY IF EXISTS "IDX_messages_replyToMessageId";
CREATE INDEX CONCURRENTLY "IDX_messages_replyToMessageId" ON "messages" ("replyToMessageId");
