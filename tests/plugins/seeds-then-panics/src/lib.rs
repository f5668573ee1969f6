//! Writes valid rows, then panics: the rows must not survive.
use vytal_plugins_sdk::{Batch, Info, Seed, query, write};
struct Half;
impl Seed for Half {
    fn info() -> Info {
        Info::new("seeds-then-panics", "0.1.0", "medications").writes(&["medications"])
    }
    fn seed(_count: u32) -> Result<(), String> {
        let patient = query("SELECT id::text FROM users LIMIT 1", &[])?;
        let id = patient.first_cell().ok_or("no user")?.replace('-', "");
        let n = u128::from_str_radix(&id, 16).map_err(|e| e.to_string())?;
        let user = ((n >> 64) as u64, n as u64);
        let written = write(
            Batch::new("medications")
                .uuid("id", [Some((7, 7))])
                .text("name", [Some("Aspirin".to_owned())])
                .text("dosage", [Some("81 mg".to_owned())])
                .text("strength", [Some("81 mg".to_owned())])
                .text("frequency", [Some("once_daily".to_owned())])
                .uuid("patientId", [Some(user)])
                .uuid("prescribedBy", [Some(user)])
                .timestamp("startDate", [Some(0)]),
        )?;
        assert!(written == 0, "wrote {written} row(s), now failing on purpose");
        Ok(())
    }
}
vytal_plugins_sdk::export_seeder!(Half);
