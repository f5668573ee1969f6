-- messaging 1.1.0 down: lengths, ON DELETE behaviour and references back to 1.0.0,
-- values kept. A value longer than its old limit stops the rollback with
-- PostgreSQL's message, and nothing is changed; narrowing a column rescans the table.
ALTER TABLE "conversations"
    ALTER COLUMN "encryptionKeyId" TYPE varchar(255);
ALTER TABLE "conversations"
    DROP CONSTRAINT "FK_conversations_patientId",
    ADD CONSTRAINT "FK_conversations_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") ON DELETE CASCADE,
    DROP CONSTRAINT "FK_conversations_providerId",
    ADD CONSTRAINT "FK_conversations_providerId" FOREIGN KEY ("providerId") REFERENCES "users" ("id") ON DELETE CASCADE;

ALTER TABLE "messages"
    ALTER COLUMN "iv" TYPE varchar(255),
    ALTER COLUMN "authTag" TYPE varchar(255),
    ALTER COLUMN "ipAddress" TYPE varchar(45);
ALTER TABLE "messages"
    DROP CONSTRAINT "FK_messages_conversationId",
    ADD CONSTRAINT "FK_messages_conversationId" FOREIGN KEY ("conversationId") REFERENCES "conversations" ("id") ON DELETE CASCADE,
    DROP CONSTRAINT "FK_messages_senderId",
    ADD CONSTRAINT "FK_messages_senderId" FOREIGN KEY ("senderId") REFERENCES "users" ("id") ON DELETE CASCADE;
