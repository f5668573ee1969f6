-- messaging 1.0.0: conversations, messages.
-- The baseline: exactly the schema VytalWatch databases already have, so an
-- existing database can be adopted without running DDL. Timestamps are
-- `timestamp` (without time zone) as in those databases; later versions improve on it.
--
-- vytal:allow prefer-timestamptz: 1.0.0 reproduces the schema of record exactly, so a database built by the old suite adopts with no DDL; timestamptz is a later version's fix

CREATE TABLE "conversations" (
    "id"                  uuid         NOT NULL DEFAULT uuid_generate_v4(),
    "patientId"           uuid         NOT NULL,
    "providerId"          uuid         NOT NULL,
    "lastMessageId"       uuid,
    "lastMessagePreview"  text,
    "lastMessageAt"       timestamp,
    "patientUnreadCount"  integer      NOT NULL DEFAULT 0,
    "providerUnreadCount" integer      NOT NULL DEFAULT 0,
    "patientArchived"     boolean      NOT NULL DEFAULT false,
    "providerArchived"    boolean      NOT NULL DEFAULT false,
    "patientMuted"        boolean      NOT NULL DEFAULT false,
    "providerMuted"       boolean      NOT NULL DEFAULT false,
    "encryptionKeyId"     varchar(255),
    "metadata"            jsonb,
    "createdAt"           timestamp    NOT NULL DEFAULT now(),
    "updatedAt"           timestamp    NOT NULL DEFAULT now(),
    "deletedAt"           timestamp,

    CONSTRAINT "PK_conversations" PRIMARY KEY ("id"),
    CONSTRAINT "FK_conversations_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") ON DELETE CASCADE,
    CONSTRAINT "FK_conversations_providerId" FOREIGN KEY ("providerId") REFERENCES "users" ("id") ON DELETE CASCADE
);

CREATE INDEX "IDX_conversations_createdAt" ON "conversations" ("createdAt");
CREATE INDEX "IDX_conversations_patientId_providerId" ON "conversations" ("patientId", "providerId");
CREATE INDEX "IDX_conversations_updatedAt" ON "conversations" ("updatedAt");

CREATE TYPE "messages_type_enum" AS ENUM ('text', 'image', 'file', 'system');
CREATE TYPE "messages_status_enum" AS ENUM ('sent', 'delivered', 'read');

CREATE TABLE "messages" (
    "id"               uuid                   NOT NULL DEFAULT uuid_generate_v4(),
    "conversationId"   uuid                   NOT NULL,
    "senderId"         uuid                   NOT NULL,
    "type"             "messages_type_enum"   NOT NULL DEFAULT 'text',
    "status"           "messages_status_enum" NOT NULL DEFAULT 'sent',
    "encryptedContent" text                   NOT NULL,
    "iv"               varchar(255),
    "authTag"          varchar(255),
    "plainContent"     text,
    "attachments"      jsonb,
    "replyToMessageId" uuid,
    "metadata"         jsonb,
    "deliveredAt"      timestamp,
    "readAt"           timestamp,
    "ipAddress"        varchar(45),
    "userAgent"        text,
    "createdAt"        timestamp              NOT NULL DEFAULT now(),
    "updatedAt"        timestamp              NOT NULL DEFAULT now(),
    "deletedAt"        timestamp,

    CONSTRAINT "PK_messages" PRIMARY KEY ("id"),
    CONSTRAINT "FK_messages_conversationId" FOREIGN KEY ("conversationId") REFERENCES "conversations" ("id") ON DELETE CASCADE,
    CONSTRAINT "FK_messages_replyToMessageId" FOREIGN KEY ("replyToMessageId") REFERENCES "messages" ("id") ON DELETE SET NULL,
    CONSTRAINT "FK_messages_senderId" FOREIGN KEY ("senderId") REFERENCES "users" ("id") ON DELETE CASCADE
);

CREATE INDEX "IDX_messages_conversationId" ON "messages" ("conversationId");
CREATE INDEX "IDX_messages_conversationId_createdAt" ON "messages" ("conversationId", "createdAt");
CREATE INDEX "IDX_messages_senderId" ON "messages" ("senderId");
CREATE INDEX "IDX_messages_senderId_createdAt" ON "messages" ("senderId", "createdAt");
CREATE INDEX "IDX_messages_status" ON "messages" ("status");
CREATE INDEX "IDX_messages_status_createdAt" ON "messages" ("status", "createdAt");
