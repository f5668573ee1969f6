-- core 1.2.0: every timestamp becomes timestamptz.
--
-- Existing values are read as UTC: with timezone set to UTC for this
-- transaction, timestamp -> timestamptz is binary-coercible, so PostgreSQL
-- rewrites no table; it does rebuild every index that contains a converted
-- column. One ALTER TABLE per table, so each table's indexes are rebuilt once.
-- Lock: ACCESS EXCLUSIVE on users until the migration commits (reads and
-- writes of the table wait), for as long as the index rebuilds take: see
-- docs/upgrade-1.2.0.md for the times measured on a million rows. The
-- default lock and statement timeouts fit.

SET LOCAL timezone = 'UTC';

ALTER TABLE "users"
    ALTER COLUMN "createdAt" TYPE timestamptz,
    ALTER COLUMN "updatedAt" TYPE timestamptz;

-- Later migrations in the same transaction see the session's own time zone again.
SET LOCAL timezone TO DEFAULT;
