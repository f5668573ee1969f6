-- messaging 1.1.0: check the rows already there against the foreign keys
-- 0002 re-added NOT VALID. VALIDATE takes SHARE UPDATE EXCLUSIVE on the
-- table (reads and writes go on) and ROW SHARE on users while it scans.
-- A row pointing nowhere stops it, naming the constraint; nothing changes.
ALTER TABLE "conversations" VALIDATE CONSTRAINT "FK_conversations_patientId";
ALTER TABLE "conversations" VALIDATE CONSTRAINT "FK_conversations_providerId";
ALTER TABLE "messages" VALIDATE CONSTRAINT "FK_messages_conversationId";
ALTER TABLE "messages" VALIDATE CONSTRAINT "FK_messages_senderId";
