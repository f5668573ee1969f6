-- webrtc 1.1.0: check the rows already there against the foreign keys
-- 0002 re-added NOT VALID. VALIDATE takes SHARE UPDATE EXCLUSIVE on the
-- table (reads and writes go on) and ROW SHARE on users while it scans.
-- A row pointing nowhere stops it, naming the constraint; nothing changes.
ALTER TABLE "calls" VALIDATE CONSTRAINT "FK_calls_createdBy";
ALTER TABLE "calls" VALIDATE CONSTRAINT "FK_calls_initiatedBy";
ALTER TABLE "calls" VALIDATE CONSTRAINT "FK_calls_patientId";
ALTER TABLE "calls" VALIDATE CONSTRAINT "FK_calls_providerId";
ALTER TABLE "call_participants" VALIDATE CONSTRAINT "FK_call_participants_userId";
ALTER TABLE "call_recordings" VALIDATE CONSTRAINT "FK_call_recordings_createdBy";
