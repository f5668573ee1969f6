-- core 1.0.0: the `users` table every module references, and the extension
-- that generates its ids. The application owns the rest of the users schema;
-- this is the part other modules depend on.
--
-- vytal:allow prefer-timestamptz: 1.0.0 reproduces the schema of record exactly, so a database built by the old suite adopts with no DDL; timestamptz is a later version's fix
-- vytal:allow conditional-ddl: uuid-ossp is database-wide and often installed by the server's owner before any migration runs (managed servers preinstall it); the schema of record creates it this way

CREATE EXTENSION IF NOT EXISTS "uuid-ossp";

CREATE TYPE "users_role_enum" AS ENUM ('patient', 'provider', 'admin', 'superadmin');

CREATE TABLE "users" (
    "id"        uuid              NOT NULL DEFAULT uuid_generate_v4(),
    "email"     varchar           NOT NULL,
    "firstName" varchar           NOT NULL,
    "lastName"  varchar           NOT NULL,
    "role"      "users_role_enum" NOT NULL DEFAULT 'patient',
    "createdAt" timestamp         NOT NULL DEFAULT now(),
    "updatedAt" timestamp         NOT NULL DEFAULT now(),

    CONSTRAINT "UQ_users_email" UNIQUE ("email"),
    CONSTRAINT "PK_users_id" PRIMARY KEY ("id")
);
