-- webrtc 1.0.0: calls, call_participants, call_recordings.
-- The baseline: exactly the schema VytalWatch databases already have, so an
-- existing database can be adopted without running DDL. Timestamps are
-- `timestamp` (without time zone) as in those databases; later versions improve on it.
--
-- vytal:allow prefer-timestamptz: 1.0.0 reproduces the schema of record exactly, so a database built by the old suite adopts with no DDL; timestamptz is a later version's fix

CREATE TYPE "calls_type_enum" AS ENUM ('video', 'audio', 'screen_share');
CREATE TYPE "calls_status_enum" AS ENUM ('scheduled', 'ringing', 'in_progress', 'ended', 'cancelled', 'failed', 'missed');

CREATE TABLE "calls" (
    "id"                       uuid                NOT NULL DEFAULT uuid_generate_v4(),
    "patientId"                uuid                NOT NULL,
    "providerId"               uuid                NOT NULL,
    "organizationId"           uuid,
    "type"                     "calls_type_enum"   NOT NULL DEFAULT 'video',
    "status"                   "calls_status_enum" NOT NULL DEFAULT 'scheduled',
    "scheduledAt"              timestamp,
    "startedAt"                timestamp,
    "endedAt"                  timestamp,
    "duration"                 integer,
    "actualDuration"           integer,
    "roomId"                   varchar(255)        NOT NULL,
    "sessionId"                varchar(255),
    "initiatedBy"              uuid                NOT NULL,
    "appointmentId"            uuid,
    "clinicalNoteId"           uuid,
    "qualityMetrics"           jsonb,
    "stunServers"              text,
    "turnServers"              text,
    "endReason"                text,
    "endedBy"                  uuid,
    "failureReason"            text,
    "errorDetails"             jsonb,
    "recordingEnabled"         boolean             NOT NULL DEFAULT false,
    "recordingConsentObtained" boolean             NOT NULL DEFAULT false,
    "recordingConsentedAt"     timestamp,
    "recordingConsentedBy"     text,
    "isEncrypted"              boolean             NOT NULL DEFAULT false,
    "isHIPAACompliant"         boolean             NOT NULL DEFAULT false,
    "encryptionKey"            text,
    "fellbackToAudio"          boolean             NOT NULL DEFAULT false,
    "fallbackReason"           varchar(255),
    "fallbackAt"               timestamp,
    "reconnectionAttempts"     integer             NOT NULL DEFAULT 0,
    "lastReconnectionAt"       timestamp,
    "metadata"                 jsonb,
    "createdBy"                uuid                NOT NULL,
    "createdAt"                timestamp           NOT NULL DEFAULT now(),
    "updatedAt"                timestamp           NOT NULL DEFAULT now(),

    CONSTRAINT "PK_calls" PRIMARY KEY ("id"),
    CONSTRAINT "UQ_calls_roomId" UNIQUE ("roomId"),
    CONSTRAINT "FK_calls_createdBy" FOREIGN KEY ("createdBy") REFERENCES "users" ("id") ON DELETE CASCADE,
    CONSTRAINT "FK_calls_initiatedBy" FOREIGN KEY ("initiatedBy") REFERENCES "users" ("id") ON DELETE CASCADE,
    CONSTRAINT "FK_calls_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id") ON DELETE CASCADE,
    CONSTRAINT "FK_calls_providerId" FOREIGN KEY ("providerId") REFERENCES "users" ("id") ON DELETE CASCADE
);

CREATE INDEX "IDX_calls_appointmentId" ON "calls" ("appointmentId");
CREATE INDEX "IDX_calls_patientId" ON "calls" ("patientId");
CREATE INDEX "IDX_calls_patientId_createdAt" ON "calls" ("patientId", "createdAt");
CREATE INDEX "IDX_calls_providerId" ON "calls" ("providerId");
CREATE INDEX "IDX_calls_providerId_createdAt" ON "calls" ("providerId", "createdAt");
CREATE UNIQUE INDEX "IDX_calls_roomId" ON "calls" ("roomId");
CREATE INDEX "IDX_calls_scheduledAt" ON "calls" ("scheduledAt");
CREATE INDEX "IDX_calls_status" ON "calls" ("status");
CREATE INDEX "IDX_calls_status_scheduledAt" ON "calls" ("status", "scheduledAt");

CREATE TYPE "call_participants_status_enum" AS ENUM ('invited', 'joining', 'connected', 'disconnected', 'left');

CREATE TABLE "call_participants" (
    "id"                     uuid                            NOT NULL DEFAULT uuid_generate_v4(),
    "callId"                 uuid                            NOT NULL,
    "userId"                 uuid                            NOT NULL,
    "status"                 "call_participants_status_enum" NOT NULL DEFAULT 'invited',
    "invitedAt"              timestamp,
    "joinedAt"               timestamp,
    "leftAt"                 timestamp,
    "participationDuration"  integer,
    "socketId"               varchar(255),
    "peerId"                 varchar(255),
    "ipAddress"              varchar(45),
    "userAgent"              text,
    "videoEnabled"           boolean                         NOT NULL DEFAULT false,
    "audioEnabled"           boolean                         NOT NULL DEFAULT false,
    "screenShareEnabled"     boolean                         NOT NULL DEFAULT false,
    "connectionQuality"      jsonb,
    "disconnectionCount"     integer                         NOT NULL DEFAULT 0,
    "lastDisconnectedAt"     timestamp,
    "disconnectionReason"    text,
    "consentedToRecording"   boolean                         NOT NULL DEFAULT false,
    "consentedToRecordingAt" timestamp,
    "createdAt"              timestamp                       NOT NULL DEFAULT now(),
    "updatedAt"              timestamp                       NOT NULL DEFAULT now(),

    CONSTRAINT "PK_call_participants" PRIMARY KEY ("id"),
    CONSTRAINT "FK_call_participants_callId" FOREIGN KEY ("callId") REFERENCES "calls" ("id") ON DELETE CASCADE,
    CONSTRAINT "FK_call_participants_userId" FOREIGN KEY ("userId") REFERENCES "users" ("id") ON DELETE CASCADE
);

CREATE INDEX "IDX_call_participants_callId" ON "call_participants" ("callId");
CREATE INDEX "IDX_call_participants_callId_status" ON "call_participants" ("callId", "status");
CREATE INDEX "IDX_call_participants_callId_userId" ON "call_participants" ("callId", "userId");
CREATE INDEX "IDX_call_participants_status" ON "call_participants" ("status");
CREATE INDEX "IDX_call_participants_userId" ON "call_participants" ("userId");

CREATE TYPE "call_recordings_status_enum" AS ENUM ('pending', 'recording', 'processing', 'completed', 'failed');

CREATE TABLE "call_recordings" (
    "id"                    uuid                          NOT NULL DEFAULT uuid_generate_v4(),
    "callId"                uuid                          NOT NULL,
    "status"                "call_recordings_status_enum" NOT NULL DEFAULT 'pending',
    "fileName"              varchar(255),
    "filePath"              varchar(500),
    "fileUrl"               varchar(500),
    "fileSize"              bigint,
    "mimeType"              varchar(100),
    "duration"              integer,
    "startedAt"             timestamp,
    "stoppedAt"             timestamp,
    "startedBy"             uuid,
    "stoppedBy"             uuid,
    "consentObtained"       boolean                       NOT NULL DEFAULT false,
    "consentedParticipants" text,
    "consentObtainedAt"     timestamp,
    "consentDetails"        jsonb,
    "isEncrypted"           boolean                       NOT NULL DEFAULT false,
    "isHIPAACompliant"      boolean                       NOT NULL DEFAULT false,
    "encryptionAlgorithm"   text,
    "encryptionKeyId"       text,
    "encryptedAt"           timestamp,
    "storageProvider"       varchar(50),
    "storageBucket"         varchar(255),
    "storageKey"            varchar(500),
    "storageRegion"         varchar(50),
    "retentionPeriod"       integer,
    "expiresAt"             timestamp,
    "isArchived"            boolean                       NOT NULL DEFAULT false,
    "archivedAt"            timestamp,
    "processingProgress"    integer                       NOT NULL DEFAULT 0,
    "processingError"       text,
    "processedAt"           timestamp,
    "isTranscribed"         boolean                       NOT NULL DEFAULT false,
    "transcriptionText"     text,
    "transcriptionUrl"      varchar(500),
    "transcriptionData"     jsonb,
    "viewCount"             integer                       NOT NULL DEFAULT 0,
    "lastViewedAt"          timestamp,
    "lastViewedBy"          uuid,
    "createdBy"             uuid                          NOT NULL,
    "createdAt"             timestamp                     NOT NULL DEFAULT now(),
    "updatedAt"             timestamp                     NOT NULL DEFAULT now(),

    CONSTRAINT "PK_call_recordings" PRIMARY KEY ("id"),
    CONSTRAINT "FK_call_recordings_callId" FOREIGN KEY ("callId") REFERENCES "calls" ("id") ON DELETE CASCADE,
    CONSTRAINT "FK_call_recordings_createdBy" FOREIGN KEY ("createdBy") REFERENCES "users" ("id") ON DELETE CASCADE
);

CREATE INDEX "IDX_call_recordings_callId" ON "call_recordings" ("callId");
CREATE INDEX "IDX_call_recordings_callId_status" ON "call_recordings" ("callId", "status");
CREATE INDEX "IDX_call_recordings_createdAt" ON "call_recordings" ("createdAt");
CREATE INDEX "IDX_call_recordings_status" ON "call_recordings" ("status");
