-- medications 1.2.0 down: drop the foreign keys; no row changes.

ALTER TABLE "medications"
    DROP CONSTRAINT "FK_medications_discontinuedBy";
