-- consents 1.1.0: check the rows already there against the foreign keys
-- 0002 re-added NOT VALID. VALIDATE takes SHARE UPDATE EXCLUSIVE on the
-- table (reads and writes go on) and ROW SHARE on users while it scans.
-- A row pointing nowhere stops it, naming the constraint; nothing changes.
ALTER TABLE "consents" VALIDATE CONSTRAINT "FK_consents_userId";
