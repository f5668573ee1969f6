//! medications' verify plugin: every active medication has at least one
//! schedule, and every `discontinuedBy` names a user.
//!
//! A medication a patient should be taking but that has no schedule never
//! produces a reminder or an adherence record: the patient silently stops
//! being followed. A `discontinuedBy` that names no user stops 1.2.0 at the
//! migration that validates its new foreign key; reported on any version,
//! it can be fixed first. `vytal-host verify` runs this after its own checks.

use vytal_plugins_sdk::{Finding, Info, Level, Reference, Verify, dangling, query};

struct ActiveHaveSchedules;

impl Verify for ActiveHaveSchedules {
    fn info() -> Info {
        Info::new("medications-verify", env!("CARGO_PKG_VERSION"), "medications")
            .reads(&["medications", "medication_schedules", "users"])
    }

    fn verify() -> Result<Vec<Finding>, String> {
        let rows = query(
            "SELECT m.id, m.name FROM medications m \
             WHERE m.\"isActive\" AND m.status = 'active' \
               AND NOT EXISTS (SELECT 1 FROM medication_schedules s WHERE s.\"medicationId\" = m.id) \
             ORDER BY m.id LIMIT 50",
            &[],
        )?;
        let mut findings: Vec<Finding> = rows
            .rows
            .iter()
            .map(|r| {
                let id = r.first().cloned().flatten().unwrap_or_default();
                let name = r.get(1).cloned().flatten().unwrap_or_default();
                Finding::error(
                    format!("medications.id={id}"),
                    format!("active medication `{name}` has no schedule, so it produces no reminders or adherence records; add a schedule or mark it inactive"),
                )
            })
            .collect();
        findings.extend(dangling(
            &[Reference::to_id("medications", "discontinuedBy", "users")],
            Level::Error,
            "1.2.0's foreign key on this column cannot be validated, so the upgrade stops at that migration until each names a user or is NULL",
        )?);
        Ok(findings)
    }
}

vytal_plugins_sdk::export_verifier!(ActiveHaveSchedules);
