-- webrtc 1.2.0 down: timestamptz back to timestamp, each value written as
-- its UTC wall-clock time, and the dropped indexes rebuilt (blocking writes while they build).

SET LOCAL timezone = 'UTC';

ALTER TABLE "calls"
    ALTER COLUMN "scheduledAt" TYPE timestamp,
    ALTER COLUMN "startedAt" TYPE timestamp,
    ALTER COLUMN "endedAt" TYPE timestamp,
    ALTER COLUMN "recordingConsentedAt" TYPE timestamp,
    ALTER COLUMN "fallbackAt" TYPE timestamp,
    ALTER COLUMN "lastReconnectionAt" TYPE timestamp,
    ALTER COLUMN "createdAt" TYPE timestamp,
    ALTER COLUMN "updatedAt" TYPE timestamp;
CREATE UNIQUE INDEX "IDX_calls_roomId" ON "calls" ("roomId");
CREATE INDEX "IDX_calls_patientId" ON "calls" ("patientId");
CREATE INDEX "IDX_calls_providerId" ON "calls" ("providerId");
CREATE INDEX "IDX_calls_status" ON "calls" ("status");

ALTER TABLE "call_participants"
    ALTER COLUMN "invitedAt" TYPE timestamp,
    ALTER COLUMN "joinedAt" TYPE timestamp,
    ALTER COLUMN "leftAt" TYPE timestamp,
    ALTER COLUMN "lastDisconnectedAt" TYPE timestamp,
    ALTER COLUMN "consentedToRecordingAt" TYPE timestamp,
    ALTER COLUMN "createdAt" TYPE timestamp,
    ALTER COLUMN "updatedAt" TYPE timestamp;
CREATE INDEX "IDX_call_participants_callId" ON "call_participants" ("callId");

ALTER TABLE "call_recordings"
    ALTER COLUMN "startedAt" TYPE timestamp,
    ALTER COLUMN "stoppedAt" TYPE timestamp,
    ALTER COLUMN "consentObtainedAt" TYPE timestamp,
    ALTER COLUMN "encryptedAt" TYPE timestamp,
    ALTER COLUMN "expiresAt" TYPE timestamp,
    ALTER COLUMN "archivedAt" TYPE timestamp,
    ALTER COLUMN "processedAt" TYPE timestamp,
    ALTER COLUMN "lastViewedAt" TYPE timestamp,
    ALTER COLUMN "createdAt" TYPE timestamp,
    ALTER COLUMN "updatedAt" TYPE timestamp;
CREATE INDEX "IDX_call_recordings_callId" ON "call_recordings" ("callId");

SET LOCAL timezone TO DEFAULT;
