-- push-notifications 1.1.0 down: lengths, ON DELETE behaviour and references back to 1.0.0,
-- values kept. A value longer than its old limit stops the rollback with
-- PostgreSQL's message, and nothing is changed; narrowing a column rescans the table.
ALTER TABLE "device_tokens"
    ALTER COLUMN "token" TYPE varchar(500);
