-- webrtc 1.2.0 down: drop the foreign keys; no row changes.

ALTER TABLE "calls"
    DROP CONSTRAINT "FK_calls_appointmentId",
    DROP CONSTRAINT "FK_calls_clinicalNoteId",
    DROP CONSTRAINT "FK_calls_endedBy";
ALTER TABLE "call_recordings"
    DROP CONSTRAINT "FK_call_recordings_startedBy",
    DROP CONSTRAINT "FK_call_recordings_stoppedBy",
    DROP CONSTRAINT "FK_call_recordings_lastViewedBy";
