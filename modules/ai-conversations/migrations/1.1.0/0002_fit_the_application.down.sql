-- ai-conversations 1.1.0 down: lengths, ON DELETE behaviour and references back to 1.0.0,
-- values kept. A value longer than its old limit stops the rollback with
-- PostgreSQL's message, and nothing is changed; narrowing a column rescans the table.
ALTER TABLE "ai_conversations"
    ALTER COLUMN "model" TYPE varchar(100);
ALTER TABLE "ai_conversations"
    DROP CONSTRAINT "FK_ai_conversations_userId",
    ADD CONSTRAINT "FK_ai_conversations_userId" FOREIGN KEY ("userId") REFERENCES "users" ("id") ON DELETE CASCADE;
DROP INDEX "IDX_ai_conversations_vitalReadingId";
ALTER TABLE "ai_conversations" DROP CONSTRAINT "FK_ai_conversations_vitalReadingId";
DROP INDEX "IDX_ai_conversations_alertId";
ALTER TABLE "ai_conversations" DROP CONSTRAINT "FK_ai_conversations_alertId";

ALTER TABLE "ai_messages"
    ALTER COLUMN "model" TYPE varchar(100),
    ALTER COLUMN "errorCode" TYPE varchar(100);
