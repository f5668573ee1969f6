-- ai-conversations 1.2.0 down: drop the foreign-key indexes (each takes ACCESS EXCLUSIVE
-- on its table for a moment).

DROP INDEX "IDX_ai_conversations_patientId";
DROP INDEX "IDX_ai_conversations_providerId";
DROP INDEX "IDX_ai_conversations_lastMessageId";
