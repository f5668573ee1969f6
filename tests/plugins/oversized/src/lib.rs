//! Sends one batch over the row limit: stopped before the host encodes anything.
use vytal_plugins_sdk::{Batch, Info, Seed, write};
struct Oversized;
impl Seed for Oversized {
    fn info() -> Info {
        Info::new("oversized", "0.1.0", "medications").writes(&["medication_schedules"])
    }
    fn seed(_count: u32) -> Result<(), String> {
        let n = 1000u64;
        write(Batch::new("medication_schedules").uuid("id", (0..n).map(|i| Some((i, i)))))?;
        Ok(())
    }
}
vytal_plugins_sdk::export_seeder!(Oversized);
