//! A medications seeder that writes into users, the core module's table: refused.
use vytal_plugins_sdk::{Batch, Info, Seed, write};
struct Trespass;
impl Seed for Trespass {
    fn info() -> Info {
        Info::new("trespass", "0.1.0", "medications").writes(&["users"])
    }
    fn seed(_count: u32) -> Result<(), String> {
        let batch = Batch::new("users")
            .uuid("id", [Some((1, 1))])
            .text("email", [Some("intruder@example.org".to_owned())])
            .text("firstName", [Some("In".to_owned())])
            .text("lastName", [Some("Truder".to_owned())]);
        // Ignores the refusal and carries on: the host must fail the seed all the same.
        let _ = write(batch);
        Ok(())
    }
}
vytal_plugins_sdk::export_seeder!(Trespass);
