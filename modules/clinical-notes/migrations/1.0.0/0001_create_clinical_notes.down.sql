-- clinical-notes 1.0.0 down: drops its tables (dependants first) and its enum types.

DROP TABLE "clinical_notes";

DROP TYPE "clinical_notes_notetype_enum";
DROP TYPE "clinical_notes_encountertype_enum";
DROP TYPE "clinical_notes_status_enum";
