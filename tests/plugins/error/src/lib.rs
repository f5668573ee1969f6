//! Returns an error of its own.
use vytal_plugins_sdk::{Finding, Info, Verify};
struct Fails;
impl Verify for Fails {
    fn info() -> Info {
        Info::new("fails", "0.1.0", "medications")
    }
    fn verify() -> Result<Vec<Finding>, String> {
        Err("cannot decide: the reference table is empty".to_owned())
    }
}
vytal_plugins_sdk::export_verifier!(Fails);
