-- webrtc 1.2.0: check the rows already there against the foreign keys the
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
    SELECT count(*) INTO n FROM "calls" c WHERE c."appointmentId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "appointments" p WHERE p."id" = c."appointmentId");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of calls."appointmentId" name no appointments row; list them with: %s', n, 'SELECT c."id", c."appointmentId" FROM "calls" c WHERE c."appointmentId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "appointments" p WHERE p."id" = c."appointmentId")');
    END IF;
    SELECT count(*) INTO n FROM "calls" c WHERE c."clinicalNoteId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "clinical_notes" p WHERE p."id" = c."clinicalNoteId");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of calls."clinicalNoteId" name no clinical_notes row; list them with: %s', n, 'SELECT c."id", c."clinicalNoteId" FROM "calls" c WHERE c."clinicalNoteId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "clinical_notes" p WHERE p."id" = c."clinicalNoteId")');
    END IF;
    SELECT count(*) INTO n FROM "calls" c WHERE c."endedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."endedBy");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of calls."endedBy" name no users row; list them with: %s', n, 'SELECT c."id", c."endedBy" FROM "calls" c WHERE c."endedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."endedBy")');
    END IF;
    SELECT count(*) INTO n FROM "call_recordings" c WHERE c."startedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."startedBy");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of call_recordings."startedBy" name no users row; list them with: %s', n, 'SELECT c."id", c."startedBy" FROM "call_recordings" c WHERE c."startedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."startedBy")');
    END IF;
    SELECT count(*) INTO n FROM "call_recordings" c WHERE c."stoppedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."stoppedBy");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of call_recordings."stoppedBy" name no users row; list them with: %s', n, 'SELECT c."id", c."stoppedBy" FROM "call_recordings" c WHERE c."stoppedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."stoppedBy")');
    END IF;
    SELECT count(*) INTO n FROM "call_recordings" c WHERE c."lastViewedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."lastViewedBy");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of call_recordings."lastViewedBy" name no users row; list them with: %s', n, 'SELECT c."id", c."lastViewedBy" FROM "call_recordings" c WHERE c."lastViewedBy" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."lastViewedBy")');
    END IF;
    IF report <> '' THEN
        RAISE EXCEPTION 'references that point at no row, so their foreign keys cannot be validated:%', report
            USING HINT = 'nothing was deleted or changed; point each listed row at an existing row or set the column to NULL, then run again';
    END IF;
END
$$;

ALTER TABLE "calls" VALIDATE CONSTRAINT "FK_calls_appointmentId";
ALTER TABLE "calls" VALIDATE CONSTRAINT "FK_calls_clinicalNoteId";
ALTER TABLE "calls" VALIDATE CONSTRAINT "FK_calls_endedBy";
ALTER TABLE "call_recordings" VALIDATE CONSTRAINT "FK_call_recordings_startedBy";
ALTER TABLE "call_recordings" VALIDATE CONSTRAINT "FK_call_recordings_stoppedBy";
ALTER TABLE "call_recordings" VALIDATE CONSTRAINT "FK_call_recordings_lastViewedBy";
