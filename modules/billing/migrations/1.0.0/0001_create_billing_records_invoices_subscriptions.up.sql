-- billing 1.0.0: billing_records, invoices and subscriptions, as
-- VytalWatch's application uses them (its BillingRecord, Invoice and
-- Subscription entities). Amounts are numeric(10,2); timestamps timestamptz.

CREATE TYPE "billing_records_cptcode_enum" AS ENUM ('99453', '99454', '99457', '99458');
CREATE TYPE "billing_records_status_enum" AS ENUM ('pending', 'submitted', 'approved', 'denied', 'paid');
CREATE TYPE "invoices_status_enum" AS ENUM ('draft', 'open', 'paid', 'void', 'uncollectible');
CREATE TYPE "subscriptions_plan_enum" AS ENUM ('starter', 'pro', 'enterprise');
CREATE TYPE "subscriptions_status_enum" AS ENUM ('active', 'past_due', 'canceled', 'trialing', 'incomplete', 'paused');

CREATE TABLE "billing_records" (
    "id"                 uuid                           NOT NULL DEFAULT uuid_generate_v4(),
    "patientId"          uuid                           NOT NULL,
    "providerId"         uuid                           NOT NULL,
    "organizationId"     varchar,
    "cptCode"            "billing_records_cptcode_enum" NOT NULL,
    "status"             "billing_records_status_enum"  NOT NULL DEFAULT 'pending',
    "serviceDate"        date                           NOT NULL,
    "billingPeriodStart" date                           NOT NULL,
    "billingPeriodEnd"   date                           NOT NULL,
    "amount"             numeric(10,2)                  NOT NULL,
    "minutesSpent"       integer                        NOT NULL DEFAULT 0,
    "daysWithReadings"   integer                        NOT NULL DEFAULT 0,
    "notes"              text,
    "supportingData"     jsonb,
    "claimNumber"        varchar,
    "submittedAt"        timestamptz,
    "processedAt"        timestamptz,
    "metadata"           jsonb,
    "createdAt"          timestamptz                    NOT NULL DEFAULT now(),
    "updatedAt"          timestamptz                    NOT NULL DEFAULT now(),

    CONSTRAINT "PK_billing_records" PRIMARY KEY ("id"),
    CONSTRAINT "FK_billing_records_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id"),
    CONSTRAINT "FK_billing_records_providerId" FOREIGN KEY ("providerId") REFERENCES "users" ("id")
);

CREATE INDEX "IDX_billing_records_patientId_serviceDate" ON "billing_records" ("patientId", "serviceDate");
CREATE INDEX "IDX_billing_records_providerId_status" ON "billing_records" ("providerId", "status");
CREATE INDEX "IDX_billing_records_cptCode_serviceDate" ON "billing_records" ("cptCode", "serviceDate");

CREATE TABLE "invoices" (
    "id"                    uuid                   NOT NULL DEFAULT uuid_generate_v4(),
    "organizationId"        varchar,
    "userId"                uuid,
    "status"                "invoices_status_enum" NOT NULL DEFAULT 'draft',
    "stripeInvoiceId"       varchar,
    "stripePaymentIntentId" varchar,
    "subtotal"              numeric(10,2)          NOT NULL,
    "tax"                   numeric(10,2)          NOT NULL DEFAULT 0,
    "total"                 numeric(10,2)          NOT NULL,
    "currency"              varchar,
    "periodStart"           timestamptz,
    "periodEnd"             timestamptz,
    "dueDate"               timestamptz,
    "paidAt"                timestamptz,
    "invoicePdfUrl"         varchar,
    "hostedInvoiceUrl"      varchar,
    "lineItems"             jsonb,
    "metadata"              jsonb,
    "createdAt"             timestamptz            NOT NULL DEFAULT now(),
    "updatedAt"             timestamptz            NOT NULL DEFAULT now(),

    CONSTRAINT "PK_invoices" PRIMARY KEY ("id"),
    CONSTRAINT "FK_invoices_userId" FOREIGN KEY ("userId") REFERENCES "users" ("id")
);

CREATE UNIQUE INDEX "IDX_invoices_stripeInvoiceId" ON "invoices" ("stripeInvoiceId");
CREATE INDEX "IDX_invoices_organizationId_status" ON "invoices" ("organizationId", "status");
CREATE INDEX "IDX_invoices_userId" ON "invoices" ("userId");

CREATE TABLE "subscriptions" (
    "id"                   uuid                        NOT NULL DEFAULT uuid_generate_v4(),
    "organizationId"       varchar,
    "userId"               uuid,
    "plan"                 "subscriptions_plan_enum"   NOT NULL,
    "status"               "subscriptions_status_enum" NOT NULL DEFAULT 'incomplete',
    "stripeCustomerId"     varchar,
    "stripeSubscriptionId" varchar,
    "stripePriceId"        varchar,
    "monthlyPrice"         numeric(10,2)               NOT NULL,
    "patientLimit"         integer                     NOT NULL DEFAULT 0,
    "providerLimit"        integer                     NOT NULL DEFAULT 0,
    "currentPeriodStart"   timestamptz,
    "currentPeriodEnd"     timestamptz,
    "trialEnd"             timestamptz,
    "canceledAt"           timestamptz,
    "metadata"             jsonb,
    "createdAt"            timestamptz                 NOT NULL DEFAULT now(),
    "updatedAt"            timestamptz                 NOT NULL DEFAULT now(),

    CONSTRAINT "PK_subscriptions" PRIMARY KEY ("id"),
    CONSTRAINT "FK_subscriptions_userId" FOREIGN KEY ("userId") REFERENCES "users" ("id")
);

CREATE UNIQUE INDEX "IDX_subscriptions_stripeSubscriptionId" ON "subscriptions" ("stripeSubscriptionId");
CREATE INDEX "IDX_subscriptions_organizationId_status" ON "subscriptions" ("organizationId", "status");
CREATE INDEX "IDX_subscriptions_userId" ON "subscriptions" ("userId");
