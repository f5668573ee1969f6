-- ai-conversations 1.2.0 down: timestamptz back to timestamp, each value written as
-- its UTC wall-clock time, and the dropped indexes rebuilt (blocking writes while they build).

SET LOCAL timezone = 'UTC';

ALTER TABLE "ai_conversations"
    ALTER COLUMN "lastMessageAt" TYPE timestamp,
    ALTER COLUMN "summarizedAt" TYPE timestamp,
    ALTER COLUMN "createdAt" TYPE timestamp,
    ALTER COLUMN "updatedAt" TYPE timestamp,
    ALTER COLUMN "deletedAt" TYPE timestamp;
CREATE INDEX "IDX_ai_conversations_userId" ON "ai_conversations" ("userId");

ALTER TABLE "ai_messages"
    ALTER COLUMN "streamStartedAt" TYPE timestamp,
    ALTER COLUMN "streamCompletedAt" TYPE timestamp,
    ALTER COLUMN "createdAt" TYPE timestamp,
    ALTER COLUMN "updatedAt" TYPE timestamp,
    ALTER COLUMN "deletedAt" TYPE timestamp;
CREATE INDEX "IDX_ai_messages_conversationId" ON "ai_messages" ("conversationId");

SET LOCAL timezone TO DEFAULT;
