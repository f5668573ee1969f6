-- webrtc 1.2.0 down: drop the foreign-key indexes (each takes ACCESS EXCLUSIVE
-- on its table for a moment).

DROP INDEX "IDX_calls_createdBy";
DROP INDEX "IDX_calls_initiatedBy";
DROP INDEX "IDX_calls_clinicalNoteId";
DROP INDEX "IDX_calls_endedBy";
DROP INDEX "IDX_call_recordings_createdBy";
DROP INDEX "IDX_call_recordings_startedBy";
DROP INDEX "IDX_call_recordings_stoppedBy";
DROP INDEX "IDX_call_recordings_lastViewedBy";
