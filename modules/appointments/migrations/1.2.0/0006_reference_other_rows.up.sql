-- appointments 1.2.0: foreign keys for the columns that name a row of another
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

ALTER TABLE "appointments"
    ADD CONSTRAINT "FK_appointments_completedBy" FOREIGN KEY ("completedBy") REFERENCES "users" ("id") NOT VALID,
    ADD CONSTRAINT "FK_appointments_cancelledBy" FOREIGN KEY ("cancelledBy") REFERENCES "users" ("id") NOT VALID,
    ADD CONSTRAINT "FK_appointments_confirmedBy" FOREIGN KEY ("confirmedBy") REFERENCES "users" ("id") NOT VALID,
    ADD CONSTRAINT "FK_appointments_lastModifiedBy" FOREIGN KEY ("lastModifiedBy") REFERENCES "users" ("id") NOT VALID,
    ADD CONSTRAINT "FK_appointments_parentAppointmentId" FOREIGN KEY ("parentAppointmentId") REFERENCES "appointments" ("id") ON DELETE SET NULL NOT VALID,
    ADD CONSTRAINT "FK_appointments_taskId" FOREIGN KEY ("taskId") REFERENCES "tasks" ("id") ON DELETE SET NULL NOT VALID,
    ADD CONSTRAINT "FK_appointments_claimId" FOREIGN KEY ("claimId") REFERENCES "claims" ("id") ON DELETE SET NULL NOT VALID;
