-- claims 1.0.0 down: drops its tables (dependants first) and its enum types.

DROP TABLE "claims";

DROP TYPE "claims_type_enum";
DROP TYPE "claims_status_enum";
