-- encryption-keys 1.2.0 down: timestamptz back to timestamp, each value written as
-- its UTC wall-clock time, and the dropped indexes rebuilt (blocking writes while they build).

-- The time zone the session had, put back at the end; then UTC for the
-- conversion, which needs a transaction: outside one SET LOCAL does nothing.
SELECT set_config('vytal.timezone_before', current_setting('TimeZone'), true);
SET LOCAL timezone = 'UTC';
DO $$
BEGIN
    IF current_setting('TimeZone') <> 'UTC' THEN
        RAISE EXCEPTION 'this migration must run inside a transaction, with timezone UTC for it (found %)', current_setting('TimeZone')
            USING HINT = 'apply it with vytal-host run, or with psql -1; nothing was changed';
    END IF;
END
$$;

ALTER TABLE "encryption_keys"
    ALTER COLUMN "activatedAt" TYPE timestamp,
    ALTER COLUMN "expiresAt" TYPE timestamp,
    ALTER COLUMN "rotatedAt" TYPE timestamp,
    ALTER COLUMN "revokedAt" TYPE timestamp,
    ALTER COLUMN "lastUsedAt" TYPE timestamp,
    ALTER COLUMN "lastBackupAt" TYPE timestamp,
    ALTER COLUMN "createdAt" TYPE timestamp,
    ALTER COLUMN "updatedAt" TYPE timestamp,
    ALTER COLUMN "deletedAt" TYPE timestamp;
CREATE UNIQUE INDEX "IDX_encryption_keys_keyId" ON "encryption_keys" ("keyId");
CREATE INDEX "IDX_encryption_keys_keyType" ON "encryption_keys" ("keyType");
CREATE INDEX "IDX_encryption_keys_status" ON "encryption_keys" ("status");

-- Later migrations in the same transaction see the session's time zone again.
SELECT set_config('TimeZone', coalesce(nullif(current_setting('vytal.timezone_before', true), ''), current_setting('TimeZone')), true);
