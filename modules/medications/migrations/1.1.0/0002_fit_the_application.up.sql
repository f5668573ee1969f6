-- medications 1.1.0: what VytalWatch's application needs of these tables.
--
-- Widened: varchar(n) columns the application puts no limit on become
-- varchar. Dropping a length limit rewrites no table and rebuilds no index:
-- the ALTER holds its ACCESS EXCLUSIVE lock for milliseconds whatever the
-- size of the table.
-- Records outlive accounts: foreign keys to users that deleted (or cleared)
-- a patient's records with the account now refuse the deletion while records
-- remain (NO ACTION). Each is dropped and re-added NOT VALID in one
-- statement: enforced at once for every write, checked against the rows
-- already there by the next migration under a lock that lets reads and
-- writes go on. (Dropping a foreign key briefly locks the referenced table
-- too: users.)
-- medication_adherence.scheduleId keeps ON DELETE SET NULL: removing a
-- schedule unlinks its adherence records and keeps them.

-- medications
ALTER TABLE "medications"
    ALTER COLUMN "name" TYPE varchar,
    ALTER COLUMN "genericName" TYPE varchar,
    ALTER COLUMN "brandName" TYPE varchar,
    ALTER COLUMN "ndcCode" TYPE varchar,
    ALTER COLUMN "dosage" TYPE varchar,
    ALTER COLUMN "strength" TYPE varchar,
    ALTER COLUMN "frequencyDetails" TYPE varchar,
    ALTER COLUMN "status" TYPE varchar,
    ALTER COLUMN "prescriptionNumber" TYPE varchar,
    ALTER COLUMN "pharmacy" TYPE varchar,
    ALTER COLUMN "pharmacyPhone" TYPE varchar;
ALTER TABLE "medications"
    DROP CONSTRAINT "FK_medications_patientId",
    ADD CONSTRAINT "FK_medications_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") NOT VALID,
    DROP CONSTRAINT "FK_medications_prescribedBy",
    ADD CONSTRAINT "FK_medications_prescribedBy" FOREIGN KEY ("prescribedBy") REFERENCES "users" ("id") NOT VALID;

-- medication_schedules
ALTER TABLE "medication_schedules"
    ALTER COLUMN "scheduledDosage" TYPE varchar;
ALTER TABLE "medication_schedules"
    DROP CONSTRAINT "FK_medication_schedules_patientId",
    ADD CONSTRAINT "FK_medication_schedules_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") NOT VALID;

-- medication_adherence
ALTER TABLE "medication_adherence"
    ALTER COLUMN "dosageTaken" TYPE varchar,
    ALTER COLUMN "recordMethod" TYPE varchar;
ALTER TABLE "medication_adherence"
    DROP CONSTRAINT "FK_medication_adherence_patientId",
    ADD CONSTRAINT "FK_medication_adherence_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") NOT VALID,
    DROP CONSTRAINT "FK_medication_adherence_recordedBy",
    ADD CONSTRAINT "FK_medication_adherence_recordedBy" FOREIGN KEY ("recordedBy") REFERENCES "users" ("id") NOT VALID;

-- Changing a column's type drops its statistics, even without a rewrite.
ANALYZE "medications", "medication_schedules", "medication_adherence";
