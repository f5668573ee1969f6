-- core 1.0.0 down: removes `users`, its enum type and the uuid-ossp extension.
-- DROP EXTENSION has no CASCADE: if anything outside these modules still uses
-- uuid_generate_v4(), the rollback stops here with PostgreSQL's list of
-- dependants instead of removing them.

DROP TABLE "users";
DROP TYPE "users_role_enum";
DROP EXTENSION "uuid-ossp";
