//! Writes NULL into a NOT NULL column: refused, naming table, column and row.
use vytal_plugins_sdk::{Batch, Info, Seed, write};
struct Nulls;
impl Seed for Nulls {
    fn info() -> Info {
        Info::new("nulls", "0.1.0", "medications").writes(&["medication_schedules"])
    }
    fn seed(_count: u32) -> Result<(), String> {
        write(
            Batch::new("medication_schedules")
                .uuid("medicationId", [Some((1, 1)), None])
                .uuid("patientId", [Some((1, 1)), Some((1, 1))])
                .timestamp("scheduledTime", [Some(0), Some(0)]),
        )?;
        Ok(())
    }
}
vytal_plugins_sdk::export_seeder!(Nulls);
