-- core 1.1.0: `users` as VytalWatch's application reads and writes it.
--
-- 1.0.0 created the 7 columns other modules' foreign keys need; the
-- application's User entity has 34. This adds the other 27, keeping every
-- existing row. Existing accounts become `active` (they are in use today);
-- new ones start `pending` until their email is verified, as the
-- application expects.
--
-- Applications add columns of their own, so some of these may already be
-- there. The check below accepts a column that is already there with the
-- type the application needs, and stops the migration, naming the column,
-- when one has another type: nothing is converted silently. `vytal-host
-- adopt` reports such columns before anything runs. A column that was
-- there keeps its values; its NULLs, default and nullability are then set
-- as the application expects (the last statements below).
--
-- vytal:allow conditional-ddl: a column the application added itself is accepted only after the check above found it with the right type (see the header)
-- vytal:allow adding-not-nullable-field: the scan runs in the transaction that already holds users' ACCESS EXCLUSIVE lock for the ADD COLUMNs, and every NULL was filled just above

DO $check$
DECLARE
    wanted record;
    found  text;
BEGIN
    FOR wanted IN
        SELECT * FROM (VALUES
            ('passwordHash', 'character varying'), ('phone', 'character varying'),
            ('avatar', 'character varying'), ('status', 'users_status_enum'),
            ('emailVerified', 'boolean'), ('phoneVerified', 'boolean'), ('mfaEnabled', 'boolean'),
            ('mfaSecret', 'character varying'), ('organizationId', 'character varying'),
            ('npi', 'character varying'), ('specialty', 'character varying'), ('credentials', 'text'),
            ('licenseStates', 'text'), ('dateOfBirth', 'date'), ('conditions', 'text'),
            ('providerId', 'character varying'), ('googleId', 'character varying'),
            ('microsoftId', 'character varying'), ('appleId', 'character varying'),
            ('lastLoginAt', 'timestamp with time zone'), ('lastLoginIp', 'character varying'),
            ('passwordChangedAt', 'timestamp with time zone'), ('verificationToken', 'character varying'),
            ('resetToken', 'character varying'), ('resetTokenExpiresAt', 'timestamp with time zone'),
            ('assignedProviderId', 'character varying'), ('notificationPreferences', 'text')
        ) AS w(name, type)
    LOOP
        SELECT format_type(a.atttypid, a.atttypmod) INTO found
        FROM pg_attribute a
        WHERE a.attrelid = 'public.users'::regclass AND a.attname = wanted.name AND NOT a.attisdropped;
        -- The application reads a timestamp with or without time zone alike.
        IF found IS NOT NULL AND found <> wanted.type
           AND NOT (wanted.type = 'timestamp with time zone' AND found = 'timestamp without time zone') THEN
            RAISE EXCEPTION 'users."%" already exists as %, but the application needs %', wanted.name, found, wanted.type
                USING HINT = 'convert or rename that column first (its data is yours to keep), then run again';
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_type WHERE typname = 'users_status_enum' AND typnamespace = 'public'::regnamespace)
       AND ((SELECT typtype FROM pg_type WHERE typname = 'users_status_enum' AND typnamespace = 'public'::regnamespace) <> 'e'
            OR (SELECT array_agg(enumlabel::text ORDER BY enumsortorder) FROM pg_enum
                WHERE enumtypid = to_regtype('public.users_status_enum'))
               IS DISTINCT FROM ARRAY['active', 'inactive', 'suspended', 'pending']) THEN
        RAISE EXCEPTION 'type users_status_enum already exists, but not as the enum (active, inactive, suspended, pending) the application needs'
            USING HINT = 'rename that type first, then run again';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'users_status_enum' AND typnamespace = 'public'::regnamespace) THEN
        CREATE TYPE "users_status_enum" AS ENUM ('active', 'inactive', 'suspended', 'pending');
    END IF;
END
$check$;

-- IF NOT EXISTS only for a column the check above found with the right type.
ALTER TABLE "users"
    ADD COLUMN IF NOT EXISTS "passwordHash"            varchar,
    ADD COLUMN IF NOT EXISTS "phone"                   varchar,
    ADD COLUMN IF NOT EXISTS "avatar"                  varchar,
    ADD COLUMN IF NOT EXISTS "status"                  "users_status_enum" NOT NULL DEFAULT 'active',
    ADD COLUMN IF NOT EXISTS "emailVerified"           boolean             NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS "phoneVerified"           boolean             NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS "mfaEnabled"              boolean             NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS "mfaSecret"               varchar,
    ADD COLUMN IF NOT EXISTS "organizationId"          varchar,
    ADD COLUMN IF NOT EXISTS "npi"                     varchar,
    ADD COLUMN IF NOT EXISTS "specialty"               varchar,
    ADD COLUMN IF NOT EXISTS "credentials"             text,
    ADD COLUMN IF NOT EXISTS "licenseStates"           text,
    ADD COLUMN IF NOT EXISTS "dateOfBirth"             date,
    ADD COLUMN IF NOT EXISTS "conditions"              text,
    ADD COLUMN IF NOT EXISTS "providerId"              varchar,
    ADD COLUMN IF NOT EXISTS "googleId"                varchar,
    ADD COLUMN IF NOT EXISTS "microsoftId"             varchar,
    ADD COLUMN IF NOT EXISTS "appleId"                 varchar,
    ADD COLUMN IF NOT EXISTS "lastLoginAt"             timestamptz,
    ADD COLUMN IF NOT EXISTS "lastLoginIp"             varchar,
    ADD COLUMN IF NOT EXISTS "passwordChangedAt"       timestamptz,
    ADD COLUMN IF NOT EXISTS "verificationToken"       varchar,
    ADD COLUMN IF NOT EXISTS "resetToken"              varchar,
    ADD COLUMN IF NOT EXISTS "resetTokenExpiresAt"     timestamptz,
    ADD COLUMN IF NOT EXISTS "assignedProviderId"      varchar,
    ADD COLUMN IF NOT EXISTS "notificationPreferences" text;

-- A column that was already there: fill its NULLs as a new column would be
-- filled (existing accounts are active), then give every column the
-- default and nullability the application expects. On columns added just
-- above this changes nothing.
UPDATE "users" SET
    "status"        = coalesce("status", 'active'),
    "emailVerified" = coalesce("emailVerified", false),
    "phoneVerified" = coalesce("phoneVerified", false),
    "mfaEnabled"    = coalesce("mfaEnabled", false)
WHERE "status" IS NULL OR "emailVerified" IS NULL OR "phoneVerified" IS NULL OR "mfaEnabled" IS NULL;

ALTER TABLE "users"
    ALTER COLUMN "status"                  SET DEFAULT 'pending', -- a new account is pending until verified
    ALTER COLUMN "status"                  SET NOT NULL,
    ALTER COLUMN "emailVerified"           SET DEFAULT false,
    ALTER COLUMN "emailVerified"           SET NOT NULL,
    ALTER COLUMN "phoneVerified"           SET DEFAULT false,
    ALTER COLUMN "phoneVerified"           SET NOT NULL,
    ALTER COLUMN "mfaEnabled"              SET DEFAULT false,
    ALTER COLUMN "mfaEnabled"              SET NOT NULL,
    ALTER COLUMN "passwordHash"            DROP DEFAULT, ALTER COLUMN "passwordHash"            DROP NOT NULL,
    ALTER COLUMN "phone"                   DROP DEFAULT, ALTER COLUMN "phone"                   DROP NOT NULL,
    ALTER COLUMN "avatar"                  DROP DEFAULT, ALTER COLUMN "avatar"                  DROP NOT NULL,
    ALTER COLUMN "mfaSecret"               DROP DEFAULT, ALTER COLUMN "mfaSecret"               DROP NOT NULL,
    ALTER COLUMN "organizationId"          DROP DEFAULT, ALTER COLUMN "organizationId"          DROP NOT NULL,
    ALTER COLUMN "npi"                     DROP DEFAULT, ALTER COLUMN "npi"                     DROP NOT NULL,
    ALTER COLUMN "specialty"               DROP DEFAULT, ALTER COLUMN "specialty"               DROP NOT NULL,
    ALTER COLUMN "credentials"             DROP DEFAULT, ALTER COLUMN "credentials"             DROP NOT NULL,
    ALTER COLUMN "licenseStates"           DROP DEFAULT, ALTER COLUMN "licenseStates"           DROP NOT NULL,
    ALTER COLUMN "dateOfBirth"             DROP DEFAULT, ALTER COLUMN "dateOfBirth"             DROP NOT NULL,
    ALTER COLUMN "conditions"              DROP DEFAULT, ALTER COLUMN "conditions"              DROP NOT NULL,
    ALTER COLUMN "providerId"              DROP DEFAULT, ALTER COLUMN "providerId"              DROP NOT NULL,
    ALTER COLUMN "googleId"                DROP DEFAULT, ALTER COLUMN "googleId"                DROP NOT NULL,
    ALTER COLUMN "microsoftId"             DROP DEFAULT, ALTER COLUMN "microsoftId"             DROP NOT NULL,
    ALTER COLUMN "appleId"                 DROP DEFAULT, ALTER COLUMN "appleId"                 DROP NOT NULL,
    ALTER COLUMN "lastLoginAt"             DROP DEFAULT, ALTER COLUMN "lastLoginAt"             DROP NOT NULL,
    ALTER COLUMN "lastLoginIp"             DROP DEFAULT, ALTER COLUMN "lastLoginIp"             DROP NOT NULL,
    ALTER COLUMN "passwordChangedAt"       DROP DEFAULT, ALTER COLUMN "passwordChangedAt"       DROP NOT NULL,
    ALTER COLUMN "verificationToken"       DROP DEFAULT, ALTER COLUMN "verificationToken"       DROP NOT NULL,
    ALTER COLUMN "resetToken"              DROP DEFAULT, ALTER COLUMN "resetToken"              DROP NOT NULL,
    ALTER COLUMN "resetTokenExpiresAt"     DROP DEFAULT, ALTER COLUMN "resetTokenExpiresAt"     DROP NOT NULL,
    ALTER COLUMN "assignedProviderId"      DROP DEFAULT, ALTER COLUMN "assignedProviderId"      DROP NOT NULL,
    ALTER COLUMN "notificationPreferences" DROP DEFAULT, ALTER COLUMN "notificationPreferences" DROP NOT NULL;
