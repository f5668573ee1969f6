-- notifications 1.0.0: notifications, as VytalWatch's application uses it
-- (its Notification entity): each message sent to a user and how far it got.

CREATE TYPE "notifications_type_enum" AS ENUM ('email', 'sms', 'push', 'in_app');
CREATE TYPE "notifications_category_enum" AS ENUM ('alert', 'reminder', 'system', 'billing', 'security', 'marketing');
CREATE TYPE "notifications_status_enum" AS ENUM ('pending', 'sent', 'delivered', 'failed', 'read');

CREATE TABLE "notifications" (
    "id"           uuid                          NOT NULL DEFAULT uuid_generate_v4(),
    "type"         "notifications_type_enum"     NOT NULL,
    "category"     "notifications_category_enum" NOT NULL,
    "status"       "notifications_status_enum"   NOT NULL DEFAULT 'pending',
    "userId"       uuid                          NOT NULL,
    "title"        varchar                       NOT NULL,
    "body"         text                          NOT NULL,
    "data"         jsonb,
    "recipient"    varchar,
    "externalId"   varchar,
    "errorMessage" varchar,
    "sentAt"       timestamptz,
    "deliveredAt"  timestamptz,
    "readAt"       timestamptz,
    "retryCount"   integer                       NOT NULL DEFAULT 0,
    "createdAt"    timestamptz                   NOT NULL DEFAULT now(),
    "updatedAt"    timestamptz                   NOT NULL DEFAULT now(),

    CONSTRAINT "PK_notifications" PRIMARY KEY ("id"),
    CONSTRAINT "FK_notifications_userId" FOREIGN KEY ("userId") REFERENCES "users" ("id")
);

-- A user's inbox, newest first; and the delivery queue by type.
CREATE INDEX "IDX_notifications_userId_status_createdAt" ON "notifications" ("userId", "status", "createdAt");
CREATE INDEX "IDX_notifications_type_status" ON "notifications" ("type", "status");
