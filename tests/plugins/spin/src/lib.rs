//! Computes forever: stopped by fuel, or by the wall-clock deadline when fuel is plentiful.
use vytal_plugins_sdk::{Finding, Info, Verify};
struct Spin;
impl Verify for Spin {
    fn info() -> Info {
        Info::new("spin", "0.1.0", "medications")
    }
    fn verify() -> Result<Vec<Finding>, String> {
        let mut x: u64 = 1;
        loop {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            if x == 0 {
                return Ok(Vec::new());
            }
        }
    }
}
vytal_plugins_sdk::export_verifier!(Spin);
