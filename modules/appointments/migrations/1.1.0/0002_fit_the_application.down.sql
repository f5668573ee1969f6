-- appointments 1.1.0 down: lengths, ON DELETE behaviour and references back to 1.0.0,
-- values kept. A value longer than its old limit stops the rollback with
-- PostgreSQL's message, and nothing is changed; narrowing a column rescans the table.
ALTER TABLE "appointments"
    ALTER COLUMN "location" TYPE varchar(500),
    ALTER COLUMN "meetingUrl" TYPE varchar(500),
    ALTER COLUMN "meetingId" TYPE varchar(255),
    ALTER COLUMN "meetingPassword" TYPE varchar(255),
    ALTER COLUMN "roomNumber" TYPE varchar(50),
    ALTER COLUMN "title" TYPE varchar(255),
    ALTER COLUMN "timezone" TYPE varchar(100);
ALTER TABLE "appointments"
    DROP CONSTRAINT "FK_appointments_createdBy",
    ADD CONSTRAINT "FK_appointments_createdBy" FOREIGN KEY ("createdBy") REFERENCES "users" ("id") ON DELETE CASCADE,
    DROP CONSTRAINT "FK_appointments_patientId",
    ADD CONSTRAINT "FK_appointments_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") ON DELETE CASCADE,
    DROP CONSTRAINT "FK_appointments_providerId",
    ADD CONSTRAINT "FK_appointments_providerId" FOREIGN KEY ("providerId") REFERENCES "users" ("id") ON DELETE CASCADE;
DROP INDEX "IDX_appointments_vitalReadingId";
ALTER TABLE "appointments" DROP CONSTRAINT "FK_appointments_vitalReadingId";
DROP INDEX "IDX_appointments_alertId";
ALTER TABLE "appointments" DROP CONSTRAINT "FK_appointments_alertId";
