//! Tries, through db-read, what a read must never do, and reports each answer as a finding.
use vytal_plugins_sdk::{Finding, Info, Verify, query};
struct Reader;
impl Verify for Reader {
    fn info() -> Info {
        Info::new("reader", "0.1.0", "medications").reads(&["users"])
    }
    fn verify() -> Result<Vec<Finding>, String> {
        let attempts = [
            ("ddl", "CREATE TABLE smuggled (id int)"),
            ("delete", "DELETE FROM users"),
            ("cte", "WITH gone AS (DELETE FROM users RETURNING id) SELECT id FROM gone"),
            ("two", "SELECT 1; DROP TABLE users"),
            ("nextval", "SELECT nextval('vytal.events_seq_seq')"),
            ("readonly", "SELECT set_config('transaction_read_only', 'off', true)"),
            ("big", "SELECT g FROM generate_series(1, 200000) g"),
            ("param", "SELECT count(*) FROM users WHERE email = $1"),
        ];
        let mut out = Vec::new();
        for (name, sql) in attempts {
            let params: &[Option<&str>] = if name == "param" { &[Some("nobody@example.org")] } else { &[] };
            let message = match query(sql, params) {
                Ok(rows) => format!("ok: {:?}", rows.first_cell()),
                Err(e) => format!("refused: {e}"),
            };
            out.push(Finding::info(name, message));
        }
        Ok(out)
    }
}
vytal_plugins_sdk::export_verifier!(Reader);
