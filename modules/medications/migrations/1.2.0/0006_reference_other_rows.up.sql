-- medications 1.2.0: foreign keys for the columns that name a row of another
-- table, so no new write can point nowhere.
-- A user named as the one who did something (completed, signed, revoked...)
-- is part of the record: deleting that user is refused while the record
-- names them (NO ACTION), as for the other user references since 1.1.0.
--
-- Added NOT VALID: enforced at once for every new write, without checking
-- the rows already there (the next migration does, under a weaker lock).
-- Lock: SHARE ROW EXCLUSIVE on each table and each table it references,
-- for milliseconds (no scan): writes to them wait that long.

ALTER TABLE "medications"
    ADD CONSTRAINT "FK_medications_discontinuedBy" FOREIGN KEY ("discontinuedBy") REFERENCES "users" ("id") NOT VALID;
