-- medications 1.2.0 down: drop the foreign-key indexes (each takes ACCESS EXCLUSIVE
-- on its table for a moment).

DROP INDEX "IDX_medications_discontinuedBy";
DROP INDEX "IDX_medication_adherence_recordedBy";
DROP INDEX "IDX_medication_adherence_scheduleId";
