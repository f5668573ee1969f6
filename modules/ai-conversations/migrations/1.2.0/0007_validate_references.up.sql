-- ai-conversations 1.2.0: check the rows already there against the foreign keys the
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
    SELECT count(*) INTO n FROM "ai_conversations" c WHERE c."patientId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."patientId");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of ai_conversations."patientId" name no users row; list them with: %s', n, 'SELECT c."id", c."patientId" FROM "ai_conversations" c WHERE c."patientId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."patientId")');
    END IF;
    SELECT count(*) INTO n FROM "ai_conversations" c WHERE c."providerId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."providerId");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of ai_conversations."providerId" name no users row; list them with: %s', n, 'SELECT c."id", c."providerId" FROM "ai_conversations" c WHERE c."providerId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "users" p WHERE p."id" = c."providerId")');
    END IF;
    SELECT count(*) INTO n FROM "ai_conversations" c WHERE c."lastMessageId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "ai_messages" p WHERE p."id" = c."lastMessageId");
    IF n > 0 THEN
        report := report || format(E'\n  %s row(s) of ai_conversations."lastMessageId" name no ai_messages row; list them with: %s', n, 'SELECT c."id", c."lastMessageId" FROM "ai_conversations" c WHERE c."lastMessageId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "ai_messages" p WHERE p."id" = c."lastMessageId")');
    END IF;
    IF report <> '' THEN
        RAISE EXCEPTION 'references that point at no row, so their foreign keys cannot be validated:%', report
            USING HINT = 'nothing was deleted or changed; point each listed row at an existing row or set the column to NULL, then run again';
    END IF;
END
$$;

ALTER TABLE "ai_conversations" VALIDATE CONSTRAINT "FK_ai_conversations_patientId";
ALTER TABLE "ai_conversations" VALIDATE CONSTRAINT "FK_ai_conversations_providerId";
ALTER TABLE "ai_conversations" VALIDATE CONSTRAINT "FK_ai_conversations_lastMessageId";
