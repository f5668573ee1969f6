-- push-notifications 1.0.0 down: drops its tables (dependants first) and its enum types.

DROP TABLE "device_tokens";

DROP TYPE "device_tokens_platform_enum";
DROP TYPE "device_tokens_status_enum";
