-- encryption-keys 1.1.0: what VytalWatch's application needs of these tables.
--
-- `auditLog` becomes jsonb holding a JSON array (jsonb[] could not be
-- written by the application's driver); every array converts element for
-- element, NULL stays NULL. encryption_keys is not among the application's
-- entities and keeps its lengths; references to it stay without foreign
-- keys, as the design keeps the table standalone.

-- encryption_keys
ALTER TABLE "encryption_keys" ALTER COLUMN "auditLog" TYPE jsonb USING array_to_json("auditLog")::jsonb;
