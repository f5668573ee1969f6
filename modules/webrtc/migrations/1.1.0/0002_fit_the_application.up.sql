-- webrtc 1.1.0: what VytalWatch's application needs of these tables.
--
-- Widened: varchar(n) columns the application puts no limit on become
-- varchar. Dropping a length limit rewrites no table and rebuilds no index:
-- the ALTER holds its ACCESS EXCLUSIVE lock for milliseconds whatever the
-- size of the table.
-- Records outlive accounts: foreign keys to users that deleted (or cleared)
-- a patient's records with the account now refuse the deletion while records
-- remain (NO ACTION). Each is dropped and re-added NOT VALID in one
-- statement: enforced at once for every write, checked against the rows
-- already there by the next migration under a lock that lets reads and
-- writes go on. (Dropping a foreign key briefly locks the referenced table
-- too: users.)

-- calls
ALTER TABLE "calls"
    ALTER COLUMN "roomId" TYPE varchar,
    ALTER COLUMN "sessionId" TYPE varchar,
    ALTER COLUMN "fallbackReason" TYPE varchar;
ALTER TABLE "calls"
    DROP CONSTRAINT "FK_calls_createdBy",
    ADD CONSTRAINT "FK_calls_createdBy" FOREIGN KEY ("createdBy") REFERENCES "users" ("id") NOT VALID,
    DROP CONSTRAINT "FK_calls_initiatedBy",
    ADD CONSTRAINT "FK_calls_initiatedBy" FOREIGN KEY ("initiatedBy") REFERENCES "users" ("id") NOT VALID,
    DROP CONSTRAINT "FK_calls_patientId",
    ADD CONSTRAINT "FK_calls_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") NOT VALID,
    DROP CONSTRAINT "FK_calls_providerId",
    ADD CONSTRAINT "FK_calls_providerId" FOREIGN KEY ("providerId") REFERENCES "users" ("id") NOT VALID;

-- call_participants
ALTER TABLE "call_participants"
    ALTER COLUMN "socketId" TYPE varchar,
    ALTER COLUMN "peerId" TYPE varchar,
    ALTER COLUMN "ipAddress" TYPE varchar;
ALTER TABLE "call_participants"
    DROP CONSTRAINT "FK_call_participants_userId",
    ADD CONSTRAINT "FK_call_participants_userId" FOREIGN KEY ("userId") REFERENCES "users" ("id") NOT VALID;

-- call_recordings
ALTER TABLE "call_recordings"
    ALTER COLUMN "fileName" TYPE varchar,
    ALTER COLUMN "filePath" TYPE varchar,
    ALTER COLUMN "fileUrl" TYPE varchar,
    ALTER COLUMN "mimeType" TYPE varchar,
    ALTER COLUMN "storageProvider" TYPE varchar,
    ALTER COLUMN "storageBucket" TYPE varchar,
    ALTER COLUMN "storageKey" TYPE varchar,
    ALTER COLUMN "storageRegion" TYPE varchar,
    ALTER COLUMN "transcriptionUrl" TYPE varchar;
ALTER TABLE "call_recordings"
    DROP CONSTRAINT "FK_call_recordings_createdBy",
    ADD CONSTRAINT "FK_call_recordings_createdBy" FOREIGN KEY ("createdBy") REFERENCES "users" ("id") NOT VALID;

-- Changing a column's type drops its statistics, even without a rewrite.
ANALYZE "calls", "call_participants", "call_recordings";
