//! Built against a vytal:plugin version no host supports (0.9.0): must be refused by name.
wit_bindgen::generate!({ path: "wit", world: "verifier" });
struct Future;
impl Guest for Future {
    fn describe() -> PluginInfo {
        vytal::plugin::log::log(vytal::plugin::log::Level::Info, "from the future");
        PluginInfo {
            name: "future".into(),
            version: "0.1.0".into(),
            wit_version: "0.9.0".into(),
            module: "medications".into(),
            reads: Vec::new(),
            writes: Vec::new(),
        }
    }
    fn verify() -> Result<Vec<Finding>, String> {
        Ok(Vec::new())
    }
}
export!(Future);
