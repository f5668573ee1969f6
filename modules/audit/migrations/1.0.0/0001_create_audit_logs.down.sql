-- audit 1.0.0 down: drops its table and its enum type.

DROP TABLE "audit_logs";

DROP TYPE "audit_logs_action_enum";
