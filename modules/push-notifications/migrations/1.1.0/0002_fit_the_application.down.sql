-- push-notifications 1.1.0 down: back to 1.0.0 exactly: lengths, ON DELETE behaviour,
-- column types; values are kept (a value longer than its old limit stops
-- the rollback with PostgreSQL's message, and nothing is changed).
ALTER TABLE "device_tokens"
    ALTER COLUMN "token" TYPE varchar(500);
