-- encryption-keys 1.0.0 down: drops its tables (dependants first) and its enum types.

DROP TABLE "encryption_keys";

DROP TYPE "encryption_keys_keytype_enum";
DROP TYPE "encryption_keys_status_enum";
