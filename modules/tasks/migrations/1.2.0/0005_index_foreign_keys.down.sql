-- tasks 1.2.0 down: drop the foreign-key indexes (each takes ACCESS EXCLUSIVE
-- on its table for a moment).

DROP INDEX "IDX_tasks_createdBy";
DROP INDEX "IDX_tasks_completedBy";
DROP INDEX "IDX_tasks_appointmentId";
DROP INDEX "IDX_tasks_medicationId";
