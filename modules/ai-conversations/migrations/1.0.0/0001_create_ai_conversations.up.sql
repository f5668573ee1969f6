-- ai-conversations 1.0.0: ai_conversations, ai_messages.
-- The baseline: exactly the schema VytalWatch databases already have, so an
-- existing database can be adopted without running DDL. Timestamps are
-- `timestamp` (without time zone) as in those databases; later versions improve on it.
--
-- vytal:allow prefer-timestamptz: 1.0.0 reproduces the schema of record exactly, so a database built by the old suite adopts with no DDL; timestamptz is a later version's fix

CREATE TYPE "ai_conversations_type_enum" AS ENUM ('general_chat', 'vital_analysis', 'patient_insight', 'health_summary', 'alert_recommendation', 'clinical_decision');

CREATE TABLE "ai_conversations" (
    "id"                 uuid                         NOT NULL DEFAULT uuid_generate_v4(),
    "userId"             uuid                         NOT NULL,
    "title"              varchar(500)                 NOT NULL,
    "type"               "ai_conversations_type_enum" NOT NULL DEFAULT 'general_chat',
    "context"            text,
    "messageCount"       integer                      NOT NULL DEFAULT 0,
    "totalTokens"        integer                      NOT NULL DEFAULT 0,
    "totalCost"          numeric(10,6)                NOT NULL DEFAULT 0,
    "lastMessageId"      uuid,
    "lastMessagePreview" text,
    "lastMessageAt"      timestamp,
    "model"              varchar(100)                 NOT NULL DEFAULT 'gpt-4',
    "systemPrompt"       text,
    "summary"            text,
    "summarizedAt"       timestamp,
    "tags"               text,
    "patientId"          uuid,
    "providerId"         uuid,
    "vitalReadingId"     uuid,
    "alertId"            uuid,
    "sharedWithProvider" boolean                      NOT NULL DEFAULT false,
    "sharedWithUserIds"  text,
    "containsPHI"        boolean                      NOT NULL DEFAULT false,
    "hipaaCompliant"     boolean                      NOT NULL DEFAULT false,
    "contentFiltered"    boolean                      NOT NULL DEFAULT false,
    "archived"           boolean                      NOT NULL DEFAULT false,
    "pinned"             boolean                      NOT NULL DEFAULT false,
    "settings"           jsonb,
    "metadata"           jsonb,
    "createdAt"          timestamp                    NOT NULL DEFAULT now(),
    "updatedAt"          timestamp                    NOT NULL DEFAULT now(),
    "deletedAt"          timestamp,

    CONSTRAINT "PK_ai_conversations" PRIMARY KEY ("id"),
    CONSTRAINT "FK_ai_conversations_userId" FOREIGN KEY ("userId") REFERENCES "users" ("id") ON DELETE CASCADE
);

CREATE INDEX "IDX_ai_conversations_createdAt" ON "ai_conversations" ("createdAt");
CREATE INDEX "IDX_ai_conversations_type" ON "ai_conversations" ("type");
CREATE INDEX "IDX_ai_conversations_updatedAt" ON "ai_conversations" ("updatedAt");
CREATE INDEX "IDX_ai_conversations_userId" ON "ai_conversations" ("userId");
CREATE INDEX "IDX_ai_conversations_userId_createdAt" ON "ai_conversations" ("userId", "createdAt");

CREATE TYPE "ai_messages_role_enum" AS ENUM ('user', 'assistant', 'system');
CREATE TYPE "ai_messages_status_enum" AS ENUM ('pending', 'streaming', 'completed', 'failed', 'stopped');

CREATE TABLE "ai_messages" (
    "id"                 uuid                      NOT NULL DEFAULT uuid_generate_v4(),
    "conversationId"     uuid                      NOT NULL,
    "role"               "ai_messages_role_enum"   NOT NULL,
    "content"            text                      NOT NULL,
    "status"             "ai_messages_status_enum" NOT NULL DEFAULT 'completed',
    "promptTokens"       integer                   NOT NULL DEFAULT 0,
    "completionTokens"   integer                   NOT NULL DEFAULT 0,
    "totalTokens"        integer                   NOT NULL DEFAULT 0,
    "cost"               numeric(10,6)             NOT NULL DEFAULT 0,
    "model"              varchar(100),
    "streamStartedAt"    timestamp,
    "streamCompletedAt"  timestamp,
    "streamChunks"       integer                   NOT NULL DEFAULT 0,
    "responseTime"       integer,
    "contentFiltered"    boolean                   NOT NULL DEFAULT false,
    "contentFilterFlags" text,
    "containsPHI"        boolean                   NOT NULL DEFAULT false,
    "functionCall"       jsonb,
    "toolCalls"          jsonb,
    "error"              text,
    "errorCode"          varchar(100),
    "metadata"           jsonb,
    "createdAt"          timestamp                 NOT NULL DEFAULT now(),
    "updatedAt"          timestamp,
    "deletedAt"          timestamp,

    CONSTRAINT "PK_ai_messages" PRIMARY KEY ("id"),
    CONSTRAINT "FK_ai_messages_conversationId" FOREIGN KEY ("conversationId") REFERENCES "ai_conversations" ("id") ON DELETE CASCADE
);

CREATE INDEX "IDX_ai_messages_conversationId" ON "ai_messages" ("conversationId");
CREATE INDEX "IDX_ai_messages_conversationId_createdAt" ON "ai_messages" ("conversationId", "createdAt");
CREATE INDEX "IDX_ai_messages_createdAt" ON "ai_messages" ("createdAt");
CREATE INDEX "IDX_ai_messages_role" ON "ai_messages" ("role");
CREATE INDEX "IDX_ai_messages_status" ON "ai_messages" ("status");
