-- appointments 1.2.0 down: drop the foreign keys; no row changes.

ALTER TABLE "appointments"
    DROP CONSTRAINT "FK_appointments_completedBy",
    DROP CONSTRAINT "FK_appointments_cancelledBy",
    DROP CONSTRAINT "FK_appointments_confirmedBy",
    DROP CONSTRAINT "FK_appointments_lastModifiedBy",
    DROP CONSTRAINT "FK_appointments_parentAppointmentId",
    DROP CONSTRAINT "FK_appointments_taskId",
    DROP CONSTRAINT "FK_appointments_claimId";
