-- webrtc 1.1.0 down: lengths, ON DELETE behaviour and references back to 1.0.0,
-- values kept. A value longer than its old limit stops the rollback with
-- PostgreSQL's message, and nothing is changed; narrowing a column rescans the table.
ALTER TABLE "calls"
    ALTER COLUMN "roomId" TYPE varchar(255),
    ALTER COLUMN "sessionId" TYPE varchar(255),
    ALTER COLUMN "fallbackReason" TYPE varchar(255);
ALTER TABLE "calls"
    DROP CONSTRAINT "FK_calls_createdBy",
    ADD CONSTRAINT "FK_calls_createdBy" FOREIGN KEY ("createdBy") REFERENCES "users" ("id") ON DELETE CASCADE,
    DROP CONSTRAINT "FK_calls_initiatedBy",
    ADD CONSTRAINT "FK_calls_initiatedBy" FOREIGN KEY ("initiatedBy") REFERENCES "users" ("id") ON DELETE CASCADE,
    DROP CONSTRAINT "FK_calls_patientId",
    ADD CONSTRAINT "FK_calls_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") ON DELETE CASCADE,
    DROP CONSTRAINT "FK_calls_providerId",
    ADD CONSTRAINT "FK_calls_providerId" FOREIGN KEY ("providerId") REFERENCES "users" ("id") ON DELETE CASCADE;

ALTER TABLE "call_participants"
    ALTER COLUMN "socketId" TYPE varchar(255),
    ALTER COLUMN "peerId" TYPE varchar(255),
    ALTER COLUMN "ipAddress" TYPE varchar(45);
ALTER TABLE "call_participants"
    DROP CONSTRAINT "FK_call_participants_userId",
    ADD CONSTRAINT "FK_call_participants_userId" FOREIGN KEY ("userId") REFERENCES "users" ("id") ON DELETE CASCADE;

ALTER TABLE "call_recordings"
    ALTER COLUMN "fileName" TYPE varchar(255),
    ALTER COLUMN "filePath" TYPE varchar(500),
    ALTER COLUMN "fileUrl" TYPE varchar(500),
    ALTER COLUMN "mimeType" TYPE varchar(100),
    ALTER COLUMN "storageProvider" TYPE varchar(50),
    ALTER COLUMN "storageBucket" TYPE varchar(255),
    ALTER COLUMN "storageKey" TYPE varchar(500),
    ALTER COLUMN "storageRegion" TYPE varchar(50),
    ALTER COLUMN "transcriptionUrl" TYPE varchar(500);
ALTER TABLE "call_recordings"
    DROP CONSTRAINT "FK_call_recordings_createdBy",
    ADD CONSTRAINT "FK_call_recordings_createdBy" FOREIGN KEY ("createdBy") REFERENCES "users" ("id") ON DELETE CASCADE;
