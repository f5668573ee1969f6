-- monitoring 1.0.0: devices, vital_readings and alerts, as VytalWatch's
-- application uses them (its Device, VitalReading and Alert entities).
-- Timestamps are timestamptz: a reading's instant must not depend on the
-- server's time zone. A reading and the alert it raised point at each
-- other, so those two foreign keys are added once both tables exist.

CREATE TYPE "devices_type_enum" AS ENUM
    ('blood_pressure_monitor', 'glucose_meter', 'pulse_oximeter', 'weight_scale', 'thermometer', 'ecg_monitor', 'activity_tracker');
CREATE TYPE "devices_vendor_enum" AS ENUM ('tenovi', 'withings', 'omron', 'dexcom', 'abbott', 'other');
CREATE TYPE "devices_status_enum" AS ENUM ('active', 'inactive', 'disconnected', 'maintenance', 'retired');
CREATE TYPE "vital_readings_type_enum" AS ENUM
    ('blood_pressure', 'glucose', 'spo2', 'weight', 'heart_rate', 'temperature', 'ecg', 'respiratory_rate');
CREATE TYPE "vital_readings_status_enum" AS ENUM ('normal', 'warning', 'critical');
CREATE TYPE "alerts_type_enum" AS ENUM
    ('vital_threshold', 'vital_trend', 'device_offline', 'medication_missed', 'no_reading', 'ai_prediction', 'weight_change', 'custom');
CREATE TYPE "alerts_severity_enum" AS ENUM ('low', 'medium', 'high', 'critical');
CREATE TYPE "alerts_status_enum" AS ENUM ('active', 'acknowledged', 'resolved', 'dismissed');

CREATE TABLE "devices" (
    "id"              uuid                  NOT NULL DEFAULT uuid_generate_v4(),
    "patientId"       uuid                  NOT NULL,
    "type"            "devices_type_enum"   NOT NULL,
    "vendor"          "devices_vendor_enum" NOT NULL DEFAULT 'tenovi',
    "status"          "devices_status_enum" NOT NULL DEFAULT 'inactive',
    "name"            varchar               NOT NULL,
    "model"           varchar,
    "serialNumber"    varchar               NOT NULL,
    "tenoviDeviceId"  varchar,
    "firmwareVersion" varchar,
    "lastSyncAt"      timestamptz,
    "lastReadingAt"   timestamptz,
    "totalReadings"   integer               NOT NULL DEFAULT 0,
    "batteryLevel"    numeric(5,2),
    "settings"        jsonb,
    "metadata"        jsonb,
    "createdAt"       timestamptz           NOT NULL DEFAULT now(),
    "updatedAt"       timestamptz           NOT NULL DEFAULT now(),

    CONSTRAINT "PK_devices" PRIMARY KEY ("id"),
    CONSTRAINT "UQ_devices_serialNumber" UNIQUE ("serialNumber"),
    CONSTRAINT "FK_devices_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id")
);

CREATE INDEX "IDX_devices_patientId_status" ON "devices" ("patientId", "status");
CREATE INDEX "IDX_devices_tenoviDeviceId" ON "devices" ("tenoviDeviceId");

CREATE TABLE "vital_readings" (
    "id"              uuid                         NOT NULL DEFAULT uuid_generate_v4(),
    "patientId"       uuid                         NOT NULL,
    "deviceId"        uuid,
    "type"            "vital_readings_type_enum"   NOT NULL,
    "values"          jsonb                        NOT NULL,
    "unit"            varchar                      NOT NULL,
    "status"          "vital_readings_status_enum" NOT NULL DEFAULT 'normal',
    "timestamp"       timestamptz                  NOT NULL,
    "mealContext"     varchar,
    "notes"           varchar,
    "deviceSerial"    varchar,
    "deviceModel"     varchar,
    "firmwareVersion" varchar,
    "batteryLevel"    integer,
    "aiProcessed"     boolean                      NOT NULL DEFAULT false,
    "aiAnalysis"      jsonb,
    "alertGenerated"  boolean                      NOT NULL DEFAULT false,
    "alertId"         uuid,
    "rawData"         jsonb,
    "createdAt"       timestamptz                  NOT NULL DEFAULT now(),

    CONSTRAINT "PK_vital_readings" PRIMARY KEY ("id"),
    CONSTRAINT "FK_vital_readings_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id"),
    CONSTRAINT "FK_vital_readings_deviceId" FOREIGN KEY ("deviceId") REFERENCES "devices" ("id") ON DELETE SET NULL
);

-- A patient's readings by type and time, and by time (the two queries the application runs).
CREATE INDEX "IDX_vital_readings_patientId_type_timestamp" ON "vital_readings" ("patientId", "type", "timestamp");
CREATE INDEX "IDX_vital_readings_patientId_timestamp" ON "vital_readings" ("patientId", "timestamp");
CREATE INDEX "IDX_vital_readings_timestamp" ON "vital_readings" ("timestamp");
CREATE INDEX "IDX_vital_readings_deviceId" ON "vital_readings" ("deviceId");
CREATE INDEX "IDX_vital_readings_alertId" ON "vital_readings" ("alertId");

CREATE TABLE "alerts" (
    "id"                 uuid                   NOT NULL DEFAULT uuid_generate_v4(),
    "patientId"          uuid                   NOT NULL,
    "providerId"         uuid                   NOT NULL,
    "organizationId"     uuid,
    "type"               "alerts_type_enum"     NOT NULL,
    "severity"           "alerts_severity_enum" NOT NULL,
    "status"             "alerts_status_enum"   NOT NULL DEFAULT 'active',
    "title"              varchar                NOT NULL,
    "message"            text                   NOT NULL,
    "vitalReadingId"     uuid,
    "triggerData"        jsonb,
    "aiRecommendation"   text,
    "aiConfidence"       double precision,
    "acknowledgedAt"     timestamptz,
    "acknowledgedBy"     uuid,
    "resolvedAt"         timestamptz,
    "resolvedBy"         uuid,
    "resolution"         text,
    "notes"              text,
    "deviceId"           uuid,
    "metadata"           jsonb,
    "notificationSent"   boolean                NOT NULL DEFAULT false,
    "notificationSentAt" timestamptz,
    "pushSent"           boolean                NOT NULL DEFAULT false,
    "smsSent"            boolean                NOT NULL DEFAULT false,
    "emailSent"          boolean                NOT NULL DEFAULT false,
    "lastNotificationAt" timestamptz,
    "escalationLevel"    integer                NOT NULL DEFAULT 0,
    "nextEscalationAt"   timestamptz,
    "escalatedAt"        timestamptz,
    "createdAt"          timestamptz            NOT NULL DEFAULT now(),
    "updatedAt"          timestamptz            NOT NULL DEFAULT now(),

    CONSTRAINT "PK_alerts" PRIMARY KEY ("id"),
    CONSTRAINT "FK_alerts_patientId" FOREIGN KEY ("patientId") REFERENCES "users" ("id"),
    CONSTRAINT "FK_alerts_providerId" FOREIGN KEY ("providerId") REFERENCES "users" ("id"),
    CONSTRAINT "FK_alerts_vitalReadingId" FOREIGN KEY ("vitalReadingId") REFERENCES "vital_readings" ("id") ON DELETE SET NULL,
    CONSTRAINT "FK_alerts_deviceId" FOREIGN KEY ("deviceId") REFERENCES "devices" ("id") ON DELETE SET NULL
);

CREATE INDEX "IDX_alerts_patientId_status" ON "alerts" ("patientId", "status");
CREATE INDEX "IDX_alerts_providerId_status" ON "alerts" ("providerId", "status");
CREATE INDEX "IDX_alerts_severity_status" ON "alerts" ("severity", "status");
CREATE INDEX "IDX_alerts_vitalReadingId" ON "alerts" ("vitalReadingId");
CREATE INDEX "IDX_alerts_deviceId" ON "alerts" ("deviceId");

ALTER TABLE "vital_readings"
    ADD CONSTRAINT "FK_vital_readings_alertId" FOREIGN KEY ("alertId") REFERENCES "alerts" ("id") ON DELETE SET NULL;
