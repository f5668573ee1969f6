-- appointments 1.2.0 down: drop the foreign-key indexes (each takes ACCESS EXCLUSIVE
-- on its table for a moment).

DROP INDEX "IDX_appointments_createdBy";
DROP INDEX "IDX_appointments_completedBy";
DROP INDEX "IDX_appointments_cancelledBy";
DROP INDEX "IDX_appointments_confirmedBy";
DROP INDEX "IDX_appointments_lastModifiedBy";
DROP INDEX "IDX_appointments_parentAppointmentId";
DROP INDEX "IDX_appointments_taskId";
DROP INDEX "IDX_appointments_claimId";
