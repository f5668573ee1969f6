-- appointments 1.1.0: what VytalWatch's application needs of these tables.
--
-- Widened: varchar(n) columns the application puts no limit on become
-- varchar. Dropping a length limit needs no table rewrite and no index
-- rebuild: the lock is brief whatever the size of the table.
-- Records outlive accounts: foreign keys to users that deleted (or
-- cleared) a patient's records with the account now refuse the
-- deletion while records remain (NO ACTION). Each is re-added and checked
-- in the same statement as its drop.
-- References into monitoring (vitalReadingId, alertId) get foreign keys
-- (ON DELETE SET NULL) and indexes. They are NOT VALID: enforced for every
-- new write, while values written before the monitoring tables existed
-- are left as they are; `ALTER TABLE ... VALIDATE CONSTRAINT` checks them
-- once any that point nowhere have been fixed. Requires monitoring ^1.0.

-- appointments
ALTER TABLE "appointments"
    ALTER COLUMN "location" TYPE varchar,
    ALTER COLUMN "meetingUrl" TYPE varchar,
    ALTER COLUMN "meetingId" TYPE varchar,
    ALTER COLUMN "meetingPassword" TYPE varchar,
    ALTER COLUMN "roomNumber" TYPE varchar,
    ALTER COLUMN "title" TYPE varchar,
    ALTER COLUMN "timezone" TYPE varchar;
ALTER TABLE "appointments"
    DROP CONSTRAINT "FK_appointments_createdBy",
    ADD CONSTRAINT "FK_appointments_createdBy" FOREIGN KEY ("createdBy") REFERENCES "users" ("id"),
    DROP CONSTRAINT "FK_appointments_patientId",
    ADD CONSTRAINT "FK_appointments_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id"),
    DROP CONSTRAINT "FK_appointments_providerId",
    ADD CONSTRAINT "FK_appointments_providerId" FOREIGN KEY ("providerId") REFERENCES "users" ("id");
ALTER TABLE "appointments" ADD CONSTRAINT "FK_appointments_vitalReadingId" FOREIGN KEY ("vitalReadingId") REFERENCES "vital_readings" ("id") ON DELETE SET NULL NOT VALID;
CREATE INDEX "IDX_appointments_vitalReadingId" ON "appointments" ("vitalReadingId");
ALTER TABLE "appointments" ADD CONSTRAINT "FK_appointments_alertId" FOREIGN KEY ("alertId") REFERENCES "alerts" ("id") ON DELETE SET NULL NOT VALID;
CREATE INDEX "IDX_appointments_alertId" ON "appointments" ("alertId");
