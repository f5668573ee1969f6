-- messaging 1.2.0 down: drop the foreign keys; no row changes.

ALTER TABLE "conversations"
    DROP CONSTRAINT "FK_conversations_lastMessageId";
