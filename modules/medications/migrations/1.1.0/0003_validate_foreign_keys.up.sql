-- medications 1.1.0: check the rows already there against the foreign keys
-- 0002 re-added NOT VALID. VALIDATE takes SHARE UPDATE EXCLUSIVE on the
-- table (reads and writes go on) and ROW SHARE on users while it scans.
-- A row pointing nowhere stops it, naming the constraint; nothing changes.
ALTER TABLE "medications" VALIDATE CONSTRAINT "FK_medications_patientId";
ALTER TABLE "medications" VALIDATE CONSTRAINT "FK_medications_prescribedBy";
ALTER TABLE "medication_schedules" VALIDATE CONSTRAINT "FK_medication_schedules_patientId";
ALTER TABLE "medication_adherence" VALIDATE CONSTRAINT "FK_medication_adherence_patientId";
ALTER TABLE "medication_adherence" VALIDATE CONSTRAINT "FK_medication_adherence_recordedBy";
