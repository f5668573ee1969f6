-- audit 1.0.0: audit_logs, as VytalWatch's application uses it (its
-- AuditLog entity). The application writes a row at every login.

CREATE TYPE "audit_logs_action_enum" AS ENUM (
    'LOGIN_SUCCESS', 'LOGIN_FAILED', 'LOGOUT',
    'PASSWORD_CHANGED', 'PASSWORD_RESET_REQUESTED', 'PASSWORD_RESET_COMPLETED', 'EMAIL_VERIFIED',
    'USER_REGISTERED', 'OAUTH_REGISTRATION', 'USER_CREATED', 'USER_UPDATED', 'USER_DELETED',
    'USER_DEACTIVATED', 'USER_ACTIVATED', 'PATIENT_ASSIGNED', 'PATIENT_UNASSIGNED',
    'VITAL_RECORDED', 'VITAL_UPDATED', 'VITAL_DELETED',
    'ALERT_CREATED', 'ALERT_ACKNOWLEDGED', 'ALERT_RESOLVED', 'ALERT_ESCALATED',
    'INVOICE_CREATED', 'PAYMENT_RECEIVED', 'SUBSCRIPTION_CREATED', 'SUBSCRIPTION_CANCELLED',
    'DEVICE_REGISTERED', 'DEVICE_UNREGISTERED', 'DEVICE_DATA_RECEIVED',
    'API_ACCESS', 'EXPORT_DATA', 'IMPORT_DATA', 'SETTINGS_CHANGED'
);

CREATE TABLE "audit_logs" (
    "id"             uuid                     NOT NULL DEFAULT uuid_generate_v4(),
    "action"         "audit_logs_action_enum" NOT NULL,
    "userId"         uuid,
    "resourceType"   varchar,
    "resourceId"     varchar,
    "details"        jsonb,
    "ipAddress"      varchar,
    "userAgent"      varchar,
    "organizationId" varchar,
    "createdAt"      timestamptz              NOT NULL DEFAULT now(),

    CONSTRAINT "PK_audit_logs" PRIMARY KEY ("id"),
    CONSTRAINT "FK_audit_logs_userId" FOREIGN KEY ("userId") REFERENCES "users" ("id")
);

CREATE INDEX "IDX_audit_logs_userId_createdAt" ON "audit_logs" ("userId", "createdAt");
CREATE INDEX "IDX_audit_logs_action_createdAt" ON "audit_logs" ("action", "createdAt");
CREATE INDEX "IDX_audit_logs_resourceType_resourceId" ON "audit_logs" ("resourceType", "resourceId");
