-- messaging 1.0.0 down: drops its tables (dependants first) and its enum types.

DROP TABLE "messages";
DROP TABLE "conversations";

DROP TYPE "messages_type_enum";
DROP TYPE "messages_status_enum";
