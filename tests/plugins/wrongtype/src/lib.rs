//! Writes integers into a text column: refused, naming table and column.
use vytal_plugins_sdk::{Batch, Info, Seed, write};
struct WrongType;
impl Seed for WrongType {
    fn info() -> Info {
        Info::new("wrongtype", "0.1.0", "medications").writes(&["medication_schedules"])
    }
    fn seed(_count: u32) -> Result<(), String> {
        write(
            Batch::new("medication_schedules")
                .uuid("medicationId", [Some((1, 1))])
                .integer("scheduledDosage", [Some(5)]),
        )?;
        Ok(())
    }
}
vytal_plugins_sdk::export_seeder!(WrongType);
