-- consents 1.0.0 down: drops its tables (dependants first) and its enum types.

DROP TABLE "consents";

DROP TYPE "consents_type_enum";
DROP TYPE "consents_status_enum";
