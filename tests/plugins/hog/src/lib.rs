//! Allocates without end: stopped by the memory cap.
use vytal_plugins_sdk::{Finding, Info, Verify};
struct Hog;
impl Verify for Hog {
    fn info() -> Info {
        Info::new("hog", "0.1.0", "medications")
    }
    fn verify() -> Result<Vec<Finding>, String> {
        let mut keep: Vec<Vec<u8>> = Vec::new();
        loop {
            keep.push(vec![1u8; 16 << 20]);
            std::hint::black_box(&keep);
        }
    }
}
vytal_plugins_sdk::export_verifier!(Hog);
