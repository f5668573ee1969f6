-- push-notifications 1.0.0: device_tokens.
-- The baseline: exactly the schema VytalWatch databases already have, so an
-- existing database can be adopted without running DDL. Timestamps are
-- `timestamp` (without time zone) as in those databases; later versions improve on it.
--
-- vytal:allow prefer-timestamptz: 1.0.0 reproduces the schema of record exactly, so a database built by the old suite adopts with no DDL; timestamptz is a later version's fix

CREATE TYPE "device_tokens_platform_enum" AS ENUM ('ios', 'android', 'web');
CREATE TYPE "device_tokens_status_enum" AS ENUM ('active', 'expired', 'invalid', 'disabled');

CREATE TABLE "device_tokens" (
    "id"               uuid                          NOT NULL DEFAULT uuid_generate_v4(),
    "userId"           uuid                          NOT NULL,
    "token"            varchar(500)                  NOT NULL,
    "platform"         "device_tokens_platform_enum" NOT NULL,
    "status"           "device_tokens_status_enum"   NOT NULL DEFAULT 'active',
    "deviceInfo"       jsonb,
    "enabled"          boolean                       NOT NULL DEFAULT true,
    "lastUsedAt"       timestamp,
    "expiresAt"        timestamp,
    "failureCount"     integer                       NOT NULL DEFAULT 0,
    "lastFailureAt"    timestamp,
    "lastErrorMessage" text,
    "badgeCount"       integer                       NOT NULL DEFAULT 0,
    "preferences"      jsonb                         NOT NULL DEFAULT '{}',
    "createdAt"        timestamp                     NOT NULL DEFAULT now(),
    "updatedAt"        timestamp                     NOT NULL DEFAULT now(),

    CONSTRAINT "PK_device_tokens" PRIMARY KEY ("id"),
    CONSTRAINT "UQ_device_tokens_token" UNIQUE ("token"),
    CONSTRAINT "FK_device_tokens_userId" FOREIGN KEY ("userId") REFERENCES "users" ("id") ON DELETE CASCADE
);

CREATE INDEX "IDX_device_tokens_enabled" ON "device_tokens" ("enabled");
CREATE INDEX "IDX_device_tokens_expiresAt" ON "device_tokens" ("expiresAt");
CREATE INDEX "IDX_device_tokens_platform" ON "device_tokens" ("platform");
CREATE INDEX "IDX_device_tokens_platform_enabled" ON "device_tokens" ("platform", "enabled");
CREATE INDEX "IDX_device_tokens_status" ON "device_tokens" ("status");
CREATE UNIQUE INDEX "IDX_device_tokens_token" ON "device_tokens" ("token");
CREATE INDEX "IDX_device_tokens_userId" ON "device_tokens" ("userId");
CREATE INDEX "IDX_device_tokens_userId_enabled" ON "device_tokens" ("userId", "enabled");
