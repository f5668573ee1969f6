-- billing 1.0.0 down: drops its tables and its enum types.

DROP TABLE "subscriptions";
DROP TABLE "invoices";
DROP TABLE "billing_records";

DROP TYPE "subscriptions_status_enum";
DROP TYPE "subscriptions_plan_enum";
DROP TYPE "invoices_status_enum";
DROP TYPE "billing_records_status_enum";
DROP TYPE "billing_records_cptcode_enum";
