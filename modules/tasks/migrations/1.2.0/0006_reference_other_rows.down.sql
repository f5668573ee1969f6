-- tasks 1.2.0 down: drop the foreign keys; no row changes.

ALTER TABLE "tasks"
    DROP CONSTRAINT "FK_tasks_completedBy",
    DROP CONSTRAINT "FK_tasks_appointmentId",
    DROP CONSTRAINT "FK_tasks_medicationId";
