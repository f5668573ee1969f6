-- ai-conversations 1.2.0 down: drop the foreign keys; no row changes.

ALTER TABLE "ai_conversations"
    DROP CONSTRAINT "FK_ai_conversations_patientId",
    DROP CONSTRAINT "FK_ai_conversations_providerId",
    DROP CONSTRAINT "FK_ai_conversations_lastMessageId";
