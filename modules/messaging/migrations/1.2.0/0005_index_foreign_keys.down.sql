-- messaging 1.2.0 down: drop the foreign-key indexes (each takes ACCESS EXCLUSIVE
-- on its table for a moment).

DROP INDEX "IDX_conversations_providerId";
DROP INDEX "IDX_conversations_lastMessageId";
DROP INDEX "IDX_messages_replyToMessageId";
