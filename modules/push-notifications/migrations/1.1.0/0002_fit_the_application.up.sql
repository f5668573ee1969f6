-- push-notifications 1.1.0: what VytalWatch's application needs of these tables.
--
-- Widened: varchar(n) columns the application puts no limit on become
-- varchar. Dropping a length limit needs no table rewrite and no index
-- rebuild: the lock is brief whatever the size of the table.
-- device_tokens.userId keeps ON DELETE CASCADE: a token is only a way to
-- reach a device, with no record value, and a deleted account must stop
-- receiving pushes.

-- device_tokens
ALTER TABLE "device_tokens"
    ALTER COLUMN "token" TYPE varchar;
