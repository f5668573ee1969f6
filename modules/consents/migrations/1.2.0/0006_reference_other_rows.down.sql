-- consents 1.2.0 down: drop the foreign keys; no row changes.

ALTER TABLE "consents"
    DROP CONSTRAINT "FK_consents_witnessedBy",
    DROP CONSTRAINT "FK_consents_revokedBy";
