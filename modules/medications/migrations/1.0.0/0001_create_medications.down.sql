-- medications 1.0.0 down: drops its tables (dependants first) and its enum types.

DROP TABLE "medication_adherence";
DROP TABLE "medication_schedules";
DROP TABLE "medications";

DROP TYPE "medications_type_enum";
DROP TYPE "medications_route_enum";
DROP TYPE "medications_frequency_enum";
DROP TYPE "medication_adherence_status_enum";
