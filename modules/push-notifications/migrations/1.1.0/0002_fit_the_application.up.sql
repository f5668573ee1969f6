-- push-notifications 1.1.0: what VytalWatch's application needs of these tables.
--
-- Widened: varchar(n) columns the application puts no limit on become
-- varchar. Dropping a length limit rewrites no table and rebuilds no index:
-- the ALTER holds its ACCESS EXCLUSIVE lock for milliseconds whatever the
-- size of the table.
-- device_tokens.userId keeps ON DELETE CASCADE: a token is only a way to
-- reach a device, with no record value, and a deleted account must stop
-- receiving pushes.

-- device_tokens
ALTER TABLE "device_tokens"
    ALTER COLUMN "token" TYPE varchar;

-- Changing a column's type drops its statistics, even without a rewrite.
ANALYZE "device_tokens";
