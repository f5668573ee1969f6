//! Panics: its message must reach the host.
use vytal_plugins_sdk::{Finding, Info, Verify};
struct Panics;
impl Verify for Panics {
    fn info() -> Info {
        Info::new("panics", "0.1.0", "medications")
    }
    fn verify() -> Result<Vec<Finding>, String> {
        let rows: Vec<u32> = std::hint::black_box(Vec::new());
        if rows.is_empty() {
            panic!("boom: the medication index is inconsistent");
        }
        Ok(Vec::new())
    }
}
vytal_plugins_sdk::export_verifier!(Panics);
