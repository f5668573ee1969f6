-- webrtc 1.2.0 down: timestamptz back to timestamp, each value written as
-- its UTC wall-clock time, and the dropped indexes rebuilt (blocking writes while they build).

-- The time zone the session had, put back at the end; then UTC for the
-- conversion, which needs a transaction: outside one SET LOCAL does nothing.
SELECT set_config('vytal.timezone_before', current_setting('TimeZone'), true);
SET LOCAL timezone = 'UTC';
DO $$
BEGIN
    IF current_setting('TimeZone') <> 'UTC' THEN
        RAISE EXCEPTION 'this migration must run inside a transaction, with timezone UTC for it (found %)', current_setting('TimeZone')
            USING HINT = 'apply it with vytal-host run, or with psql -1; nothing was changed';
    END IF;
END
$$;

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

-- Later migrations in the same transaction see the session's time zone again.
SELECT set_config('TimeZone', coalesce(nullif(current_setting('vytal.timezone_before', true), ''), current_setting('TimeZone')), true);
