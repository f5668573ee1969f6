-- tasks 1.2.0: check the rows already there against the foreign keys the
-- previous migration added NOT VALID.
--
-- First every reference that points at no row is counted, per column; if
-- any does, the migration stops with the counts and, for each column, a
-- query that lists the rows. Nothing is deleted or changed: fix or clear
-- those values and run again. Then VALIDATE takes SHARE UPDATE EXCLUSIVE on
-- the table (reads and writes go on) and ROW SHARE on the referenced table
-- while it scans. The default timeouts fit.

DO $$
DECLARE
    n bigint;
    report text := '';
BEGIN
    SELECT count(*) INTO n FROM "tasks" c WHERE c."completedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."completedBy");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of tasks."completedBy" name no users row; list them with: %s', n, 'SELECT c."id", c."completedBy" FROM "tasks" c WHERE c."completedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."completedBy")');
    END IF;
    SELECT count(*) INTO n FROM "tasks" c WHERE c."appointmentId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "appointments" p WHERE p."id" = c."appointmentId");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of tasks."appointmentId" name no appointments row; list them with: %s', n, 'SELECT c."id", c."appointmentId" FROM "tasks" c WHERE c."appointmentId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "appointments" p WHERE p."id" = c."appointmentId")');
    END IF;
    SELECT count(*) INTO n FROM "tasks" c WHERE c."medicationId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "medications" p WHERE p."id" = c."medicationId");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of tasks."medicationId" name no medications row; list them with: %s', n, 'SELECT c."id", c."medicationId" FROM "tasks" c WHERE c."medicationId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "medications" p WHERE p."id" = c."medicationId")');
    END IF;
    IF report <> '' THEN
        RAISE EXCEPTION 'references that point at no row, so their foreign keys cannot be validated:%', report
            USING HINT = 'nothing was deleted or changed; point each listed row at an existing row or set the column to NULL, then run again';
    END IF;
END
$$;

ALTER TABLE "tasks" VALIDATE CONSTRAINT "FK_tasks_completedBy";
ALTER TABLE "tasks" VALIDATE CONSTRAINT "FK_tasks_appointmentId";
ALTER TABLE "tasks" VALIDATE CONSTRAINT "FK_tasks_medicationId";
