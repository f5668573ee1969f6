//! A wasm32-wasip2 guest: looks for the environment, files and the clock, and reports what it saw.
use vytal_plugins_sdk::{Finding, Info, Verify};
struct Snoop;
impl Verify for Snoop {
    fn info() -> Info {
        Info::new("snoop", "0.1.0", "medications")
    }
    fn verify() -> Result<Vec<Finding>, String> {
        let env: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
        let file = match std::fs::read_to_string("/etc/passwd") {
            Ok(_) => "read".to_owned(),
            Err(e) => format!("{:?}", e.kind()),
        };
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(u64::MAX);
        Ok(vec![
            Finding::info("env", format!("{} variables", env.len())),
            Finding::info("file", file),
            Finding::info("clock", format!("{now}")),
        ])
    }
}
vytal_plugins_sdk::export_verifier!(Snoop);
