-- vytal:no-transaction
-- vytal:lock-timeout 10min
-- vytal:statement-timeout 2h
-- clinical-notes 1.2.0: an index for every foreign key (and every reference 1.2.0 makes one) that lacks one, so that
-- deleting a referenced row does not scan the whole table.
--
-- CREATE INDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE: reads and writes go
-- on while it builds. It first waits for every transaction that could see the
-- table (hence the long lock timeout: waiting blocks no one). Outside a
-- transaction, a failed run leaves the indexes built so far, or an INVALID
-- one; each is dropped before it is built, so running again finishes the job.
--
-- vytal:allow conditional-ddl: after a failed run, the next run starts from the first statement; IF EXISTS drops what the failed run left (possibly an INVALID index) so that each index is built exactly once per run

DROP INDEX CONCURRENTLY IF EXISTS "IDX_clinical_notes_billingClaimId";
CREATE INDEX CONCURRENTLY "IDX_clinical_notes_billingClaimId" ON "clinical_notes" ("billingClaimId");
DROP INDEX CONCURRENTLY IF EXISTS "IDX_clinical_notes_originalNoteId";
CREATE INDEX CONCURRENTLY "IDX_clinical_notes_originalNoteId" ON "clinical_notes" ("originalNoteId");
DROP INDEX CONCURRENTLY IF EXISTS "IDX_clinical_notes_previousVersionId";
CREATE INDEX CONCURRENTLY "IDX_clinical_notes_previousVersionId" ON "clinical_notes" ("previousVersionId");
DROP INDEX CONCURRENTLY IF EXISTS "IDX_clinical_notes_supersededBy";
CREATE INDEX CONCURRENTLY "IDX_clinical_notes_supersededBy" ON "clinical_notes" ("supersededBy");
DROP INDEX CONCURRENTLY IF EXISTS "IDX_clinical_notes_lockedBy";
CREATE INDEX CONCURRENTLY "IDX_clinical_notes_lockedBy" ON "clinical_notes" ("lockedBy");
DROP INDEX CONCURRENTLY IF EXISTS "IDX_clinical_notes_addendumAddedBy";
CREATE INDEX CONCURRENTLY "IDX_clinical_notes_addendumAddedBy" ON "clinical_notes" ("addendumAddedBy");
DROP INDEX CONCURRENTLY IF EXISTS "IDX_clinical_notes_coSignedBy";
CREATE INDEX CONCURRENTLY "IDX_clinical_notes_coSignedBy" ON "clinical_notes" ("coSignedBy");
DROP INDEX CONCURRENTLY IF EXISTS "IDX_clinical_notes_lastEditedBy";
CREATE INDEX CONCURRENTLY "IDX_clinical_notes_lastEditedBy" ON "clinical_notes" ("lastEditedBy");
DROP INDEX CONCURRENTLY IF EXISTS "IDX_clinical_notes_deletedBy";
CREATE INDEX CONCURRENTLY "IDX_clinical_notes_deletedBy" ON "clinical_notes" ("deletedBy");
