-- monitoring 1.0.0 down: drops its tables (the reading-alert loop first) and its enum types.

ALTER TABLE "vital_readings" DROP CONSTRAINT "FK_vital_readings_alertId";
DROP TABLE "alerts";
DROP TABLE "vital_readings";
DROP TABLE "devices";

DROP TYPE "alerts_status_enum";
DROP TYPE "alerts_severity_enum";
DROP TYPE "alerts_type_enum";
DROP TYPE "vital_readings_status_enum";
DROP TYPE "vital_readings_type_enum";
DROP TYPE "devices_status_enum";
DROP TYPE "devices_vendor_enum";
DROP TYPE "devices_type_enum";
