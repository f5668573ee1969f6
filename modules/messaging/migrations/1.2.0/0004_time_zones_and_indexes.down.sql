-- messaging 1.2.0 down: timestamptz back to timestamp, each value written as
-- its UTC wall-clock time, and the dropped indexes rebuilt (blocking writes while they build).

SET LOCAL timezone = 'UTC';

ALTER TABLE "conversations"
    ALTER COLUMN "lastMessageAt" TYPE timestamp,
    ALTER COLUMN "createdAt" TYPE timestamp,
    ALTER COLUMN "updatedAt" TYPE timestamp,
    ALTER COLUMN "deletedAt" TYPE timestamp;

ALTER TABLE "messages"
    ALTER COLUMN "deliveredAt" TYPE timestamp,
    ALTER COLUMN "readAt" TYPE timestamp,
    ALTER COLUMN "createdAt" TYPE timestamp,
    ALTER COLUMN "updatedAt" TYPE timestamp,
    ALTER COLUMN "deletedAt" TYPE timestamp;
CREATE INDEX "IDX_messages_conversationId" ON "messages" ("conversationId");
CREATE INDEX "IDX_messages_senderId" ON "messages" ("senderId");
CREATE INDEX "IDX_messages_status" ON "messages" ("status");

SET LOCAL timezone TO DEFAULT;
