-- medications 1.1.0 down: lengths, ON DELETE behaviour and references back to 1.0.0,
-- values kept. A value longer than its old limit stops the rollback with
-- PostgreSQL's message, and nothing is changed; narrowing a column rescans the table.
ALTER TABLE "medications"
    ALTER COLUMN "name" TYPE varchar(255),
    ALTER COLUMN "genericName" TYPE varchar(255),
    ALTER COLUMN "brandName" TYPE varchar(255),
    ALTER COLUMN "ndcCode" TYPE varchar(50),
    ALTER COLUMN "dosage" TYPE varchar(100),
    ALTER COLUMN "strength" TYPE varchar(100),
    ALTER COLUMN "frequencyDetails" TYPE varchar(255),
    ALTER COLUMN "status" TYPE varchar(50),
    ALTER COLUMN "prescriptionNumber" TYPE varchar(100),
    ALTER COLUMN "pharmacy" TYPE varchar(255),
    ALTER COLUMN "pharmacyPhone" TYPE varchar(20);
ALTER TABLE "medications"
    DROP CONSTRAINT "FK_medications_patientId",
    ADD CONSTRAINT "FK_medications_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") ON DELETE CASCADE,
    DROP CONSTRAINT "FK_medications_prescribedBy",
    ADD CONSTRAINT "FK_medications_prescribedBy" FOREIGN KEY ("prescribedBy") REFERENCES "users" ("id") ON DELETE CASCADE;

ALTER TABLE "medication_schedules"
    ALTER COLUMN "scheduledDosage" TYPE varchar(100);
ALTER TABLE "medication_schedules"
    DROP CONSTRAINT "FK_medication_schedules_patientId",
    ADD CONSTRAINT "FK_medication_schedules_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") ON DELETE CASCADE;

ALTER TABLE "medication_adherence"
    ALTER COLUMN "dosageTaken" TYPE varchar(100),
    ALTER COLUMN "recordMethod" TYPE varchar(50);
ALTER TABLE "medication_adherence"
    DROP CONSTRAINT "FK_medication_adherence_patientId",
    ADD CONSTRAINT "FK_medication_adherence_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") ON DELETE CASCADE,
    DROP CONSTRAINT "FK_medication_adherence_recordedBy",
    ADD CONSTRAINT "FK_medication_adherence_recordedBy" FOREIGN KEY ("recordedBy") REFERENCES "users" ("id") ON DELETE SET NULL;
