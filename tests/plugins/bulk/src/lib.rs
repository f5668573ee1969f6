//! For the benchmark: `count` medications and one schedule each, in batches of 10,000.
use vytal_plugins_sdk::values::Gen;
use vytal_plugins_sdk::{Batch, Info, Seed, query, write};

struct Bulk;

impl Seed for Bulk {
    fn info() -> Info {
        Info::new("bulk", "0.1.0", "medications").writes(&["medications", "medication_schedules"])
    }

    fn seed(count: u32) -> Result<(), String> {
        let user = query("SELECT id::text FROM users ORDER BY id LIMIT 1", &[])?;
        let id = user.first_cell().ok_or("no user to prescribe to")?.replace('-', "");
        let n = u128::from_str_radix(&id, 16).map_err(|e| e.to_string())?;
        let user = Some(((n >> 64) as u64, n as u64));
        let mut g = Gen::from_host();
        let mut left = u64::from(count);
        while left > 0 {
            let rows = left.min(10_000) as usize;
            left -= rows as u64;
            let ids: Vec<_> = (0..rows).map(|_| Some(g.uuid())).collect();
            let at: Vec<_> = (0..rows).map(|i| Some(1_767_225_600_000_000 + i as i64 * 60_000_000)).collect();
            let text = |s: &str| vec![Some(s.to_owned()); rows];
            write(
                Batch::new("medications")
                    .uuid("id", ids.clone())
                    .text("name", text("Metformin"))
                    .text("dosage", text("500 mg"))
                    .text("strength", text("500 mg"))
                    .text("frequency", text("twice_daily"))
                    .uuid("patientId", vec![user; rows])
                    .uuid("prescribedBy", vec![user; rows])
                    .timestamp("startDate", at.clone())
                    .timestamp("createdAt", at.clone())
                    .timestamp("updatedAt", at.clone()),
            )?;
            write(
                Batch::new("medication_schedules")
                    .uuid("id", (0..rows).map(|_| Some(g.uuid())))
                    .uuid("medicationId", ids)
                    .uuid("patientId", vec![user; rows])
                    .timestamp("scheduledTime", at.clone())
                    .timestamp("createdAt", at.clone())
                    .timestamp("updatedAt", at),
            )?;
        }
        Ok(())
    }
}

vytal_plugins_sdk::export_seeder!(Bulk);
