-- tasks 1.0.0 down: drops its tables (dependants first) and its enum types.

DROP TABLE "tasks";

DROP TYPE "tasks_type_enum";
DROP TYPE "tasks_status_enum";
DROP TYPE "tasks_priority_enum";
