-- consents 1.2.0 down: drop the foreign-key indexes (each takes ACCESS EXCLUSIVE
-- on its table for a moment).

DROP INDEX "IDX_consents_witnessedBy";
DROP INDEX "IDX_consents_revokedBy";
