-- core 1.1.0 down: `users` back to its 1.0.0 columns. The 27 columns the
-- application uses are dropped with their values, including any that were
-- there before 1.1.0 (an application's own column of the same name); the
-- rows stay. Roll back with --dry-run first to read this.

ALTER TABLE "users"
    DROP COLUMN "passwordHash",
    DROP COLUMN "phone",
    DROP COLUMN "avatar",
    DROP COLUMN "status",
    DROP COLUMN "emailVerified",
    DROP COLUMN "phoneVerified",
    DROP COLUMN "mfaEnabled",
    DROP COLUMN "mfaSecret",
    DROP COLUMN "organizationId",
    DROP COLUMN "npi",
    DROP COLUMN "specialty",
    DROP COLUMN "credentials",
    DROP COLUMN "licenseStates",
    DROP COLUMN "dateOfBirth",
    DROP COLUMN "conditions",
    DROP COLUMN "providerId",
    DROP COLUMN "googleId",
    DROP COLUMN "microsoftId",
    DROP COLUMN "appleId",
    DROP COLUMN "lastLoginAt",
    DROP COLUMN "lastLoginIp",
    DROP COLUMN "passwordChangedAt",
    DROP COLUMN "verificationToken",
    DROP COLUMN "resetToken",
    DROP COLUMN "resetTokenExpiresAt",
    DROP COLUMN "assignedProviderId",
    DROP COLUMN "notificationPreferences";

DROP TYPE "users_status_enum";
