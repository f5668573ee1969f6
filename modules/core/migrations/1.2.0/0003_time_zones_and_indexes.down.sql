-- core 1.2.0 down: timestamptz back to timestamp, each value written as
-- its UTC wall-clock time.

SET LOCAL timezone = 'UTC';

ALTER TABLE "users"
    ALTER COLUMN "createdAt" TYPE timestamp,
    ALTER COLUMN "updatedAt" TYPE timestamp;

SET LOCAL timezone TO DEFAULT;
