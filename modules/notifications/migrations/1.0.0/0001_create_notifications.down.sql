-- notifications 1.0.0 down: drops its table and its enum types.

DROP TABLE "notifications";

DROP TYPE "notifications_status_enum";
DROP TYPE "notifications_category_enum";
DROP TYPE "notifications_type_enum";
