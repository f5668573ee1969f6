-- ai-conversations 1.0.0 down: drops its tables (dependants first) and its enum types.

DROP TABLE "ai_messages";
DROP TABLE "ai_conversations";

DROP TYPE "ai_conversations_type_enum";
DROP TYPE "ai_messages_role_enum";
DROP TYPE "ai_messages_status_enum";
