-- appointments 1.2.0: check the rows already there against the foreign keys the
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
    SELECT count(*) INTO n FROM "appointments" c WHERE c."completedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."completedBy");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of appointments."completedBy" name no users row; list them with: %s', n, 'SELECT c."id", c."completedBy" FROM "appointments" c WHERE c."completedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."completedBy")');
    END IF;
    SELECT count(*) INTO n FROM "appointments" c WHERE c."cancelledBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."cancelledBy");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of appointments."cancelledBy" name no users row; list them with: %s', n, 'SELECT c."id", c."cancelledBy" FROM "appointments" c WHERE c."cancelledBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."cancelledBy")');
    END IF;
    SELECT count(*) INTO n FROM "appointments" c WHERE c."confirmedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."confirmedBy");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of appointments."confirmedBy" name no users row; list them with: %s', n, 'SELECT c."id", c."confirmedBy" FROM "appointments" c WHERE c."confirmedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."confirmedBy")');
    END IF;
    SELECT count(*) INTO n FROM "appointments" c WHERE c."lastModifiedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."lastModifiedBy");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of appointments."lastModifiedBy" name no users row; list them with: %s', n, 'SELECT c."id", c."lastModifiedBy" FROM "appointments" c WHERE c."lastModifiedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."lastModifiedBy")');
    END IF;
    SELECT count(*) INTO n FROM "appointments" c WHERE c."parentAppointmentId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "appointments" p WHERE p."id" = c."parentAppointmentId");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of appointments."parentAppointmentId" name no appointments row; list them with: %s', n, 'SELECT c."id", c."parentAppointmentId" FROM "appointments" c WHERE c."parentAppointmentId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "appointments" p WHERE p."id" = c."parentAppointmentId")');
    END IF;
    SELECT count(*) INTO n FROM "appointments" c WHERE c."taskId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "tasks" p WHERE p."id" = c."taskId");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of appointments."taskId" name no tasks row; list them with: %s', n, 'SELECT c."id", c."taskId" FROM "appointments" c WHERE c."taskId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "tasks" p WHERE p."id" = c."taskId")');
    END IF;
    SELECT count(*) INTO n FROM "appointments" c WHERE c."claimId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "claims" p WHERE p."id" = c."claimId");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of appointments."claimId" name no claims row; list them with: %s', n, 'SELECT c."id", c."claimId" FROM "appointments" c WHERE c."claimId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "claims" p WHERE p."id" = c."claimId")');
    END IF;
    IF report <> '' THEN
        RAISE EXCEPTION 'references that point at no row, so their foreign keys cannot be validated:%', report
            USING HINT = 'nothing was deleted or changed; point each listed row at an existing row or set the column to NULL, then run again';
    END IF;
END
$$;

ALTER TABLE "appointments" VALIDATE CONSTRAINT "FK_appointments_completedBy";
ALTER TABLE "appointments" VALIDATE CONSTRAINT "FK_appointments_cancelledBy";
ALTER TABLE "appointments" VALIDATE CONSTRAINT "FK_appointments_confirmedBy";
ALTER TABLE "appointments" VALIDATE CONSTRAINT "FK_appointments_lastModifiedBy";
ALTER TABLE "appointments" VALIDATE CONSTRAINT "FK_appointments_parentAppointmentId";
ALTER TABLE "appointments" VALIDATE CONSTRAINT "FK_appointments_taskId";
ALTER TABLE "appointments" VALIDATE CONSTRAINT "FK_appointments_claimId";
