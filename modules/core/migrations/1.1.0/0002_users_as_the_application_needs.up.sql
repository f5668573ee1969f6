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
-- adopt` reports such columns before anything runs.

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
        IF found IS NOT NULL AND found <> wanted.type THEN
            RAISE EXCEPTION 'users."%" already exists as %, but the application needs %', wanted.name, found, wanted.type
                USING HINT = 'convert or rename that column first (its data is yours to keep), then run again';
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_type WHERE typname = 'users_status_enum' AND typnamespace = 'public'::regnamespace)
       AND (SELECT array_agg(enumlabel::text ORDER BY enumsortorder) FROM pg_enum
            WHERE enumtypid = to_regtype('public.users_status_enum')) <> ARRAY['active', 'inactive', 'suspended', 'pending'] THEN
        RAISE EXCEPTION 'type users_status_enum already exists with other labels than active, inactive, suspended, pending'
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

-- Existing accounts are active; a new one is pending until verified.
ALTER TABLE "users" ALTER COLUMN "status" SET DEFAULT 'pending';
