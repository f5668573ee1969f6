-- webrtc 1.2.0: foreign keys for the columns that name a row of another
-- table, so no new write can point nowhere.
-- A user named as the one who did something (completed, signed, revoked...)
-- is part of the record: deleting that user is refused while the record
-- names them (NO ACTION), as for the other user references since 1.1.0.
-- Every reference to another row is optional: when the row it names is
-- deleted, the column becomes NULL (ON DELETE SET NULL).
--
-- Added NOT VALID: enforced at once for every new write, without checking
-- the rows already there (the next migration does, under a weaker lock).
-- Lock: SHARE ROW EXCLUSIVE on each table and each table it references,
-- for milliseconds (no scan): writes to them wait that long.

ALTER TABLE "calls"
    ADD CONSTRAINT "FK_calls_appointmentId" FOREIGN KEY ("appointmentId") REFERENCES "appointments" ("id") ON DELETE SET NULL NOT VALID,
    ADD CONSTRAINT "FK_calls_clinicalNoteId" FOREIGN KEY ("clinicalNoteId") REFERENCES "clinical_notes" ("id") ON DELETE SET NULL NOT VALID,
    ADD CONSTRAINT "FK_calls_endedBy" FOREIGN KEY ("endedBy") REFERENCES "users" ("id") NOT VALID;
ALTER TABLE "call_recordings"
    ADD CONSTRAINT "FK_call_recordings_startedBy" FOREIGN KEY ("startedBy") REFERENCES "users" ("id") NOT VALID,
    ADD CONSTRAINT "FK_call_recordings_stoppedBy" FOREIGN KEY ("stoppedBy") REFERENCES "users" ("id") NOT VALID,
    ADD CONSTRAINT "FK_call_recordings_lastViewedBy" FOREIGN KEY ("lastViewedBy") REFERENCES "users" ("id") NOT VALID;
