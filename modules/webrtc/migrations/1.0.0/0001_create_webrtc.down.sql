-- webrtc 1.0.0 down: drops its tables (dependants first) and its enum types.

DROP TABLE "call_recordings";
DROP TABLE "call_participants";
DROP TABLE "calls";

DROP TYPE "calls_type_enum";
DROP TYPE "calls_status_enum";
DROP TYPE "call_participants_status_enum";
DROP TYPE "call_recordings_status_enum";
