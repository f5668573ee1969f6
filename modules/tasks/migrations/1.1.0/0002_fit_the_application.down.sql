-- tasks 1.1.0 down: lengths, ON DELETE behaviour and references back to 1.0.0,
-- values kept. A value longer than its old limit stops the rollback with
-- PostgreSQL's message, and nothing is changed; narrowing a column rescans the table.
ALTER TABLE "tasks"
    ALTER COLUMN "title" TYPE varchar(255),
    ALTER COLUMN "recurrencePattern" TYPE varchar(50);
ALTER TABLE "tasks"
    DROP CONSTRAINT "FK_tasks_assignedTo",
    ADD CONSTRAINT "FK_tasks_assignedTo" FOREIGN KEY ("assignedTo") REFERENCES "users" ("id") ON DELETE CASCADE,
    DROP CONSTRAINT "FK_tasks_createdBy",
    ADD CONSTRAINT "FK_tasks_createdBy" FOREIGN KEY ("createdBy") REFERENCES "users" ("id") ON DELETE CASCADE,
    DROP CONSTRAINT "FK_tasks_patientId",
    ADD CONSTRAINT "FK_tasks_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") ON DELETE CASCADE;
DROP INDEX "IDX_tasks_vitalReadingId";
ALTER TABLE "tasks" DROP CONSTRAINT "FK_tasks_vitalReadingId";
DROP INDEX "IDX_tasks_alertId";
ALTER TABLE "tasks" DROP CONSTRAINT "FK_tasks_alertId";
