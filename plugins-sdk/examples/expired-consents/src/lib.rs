//! A third-party verify plugin: consents still marked granted after they expired.
use vytal_plugins_sdk::{Finding, Info, Verify, query};

struct ExpiredConsents;

impl Verify for ExpiredConsents {
    fn info() -> Info {
        Info::new("expired-consents", env!("CARGO_PKG_VERSION"), "consents").reads(&["consents"])
    }

    fn verify() -> Result<Vec<Finding>, String> {
        let rows = query(
            "SELECT id, type::text FROM consents WHERE status = 'granted' AND \"expiresAt\" < $1::timestamp ORDER BY id",
            &[Some("now")],
        )?;
        Ok(rows
            .rows
            .iter()
            .map(|r| {
                let (id, kind) = (r[0].as_deref().unwrap_or("?"), r[1].as_deref().unwrap_or("?"));
                Finding::error(
                    format!("consents.id={id}"),
                    format!("{kind} consent is marked granted but has expired; mark it expired or renew it"),
                )
            })
            .collect())
    }
}

vytal_plugins_sdk::export_verifier!(ExpiredConsents);
