-- appointments 1.0.0 down: drops its tables (dependants first) and its enum types.

DROP TABLE "appointments";

DROP TYPE "appointments_type_enum";
DROP TYPE "appointments_status_enum";
DROP TYPE "appointments_recurrencepattern_enum";
