//! The VytalWatch schema: parity with the schema of record, and down migrations that leave nothing.

use serde_json::Value;
use sqlx::{AssertSqlSafe, Connection};
use vytal_host::{Catalog, Manifest, Plan, Quiet, RunOptions};

use crate::support::TestDb;

const REFERENCE: &str = include_str!("../reference/catalog.json");

fn shipped_plan() -> Plan {
    vytal_host::resolve(&Manifest::embedded().unwrap(), &Catalog::linked()).unwrap()
}

/// The modules the schema of record covers: core and the 11 of the old suite.
pub const RECORD_MODULES: &[&str] = &[
    "core",
    "tasks",
    "consents",
    "claims",
    "medications",
    "appointments",
    "messaging",
    "clinical-notes",
    "webrtc",
    "push-notifications",
    "ai-conversations",
    "encryption-keys",
];

/// The shipped plan as it stood at 1.0.0, every module cut there.
pub fn plan_at_1_0_0() -> Plan {
    let plan = shipped_plan();
    let v1 = semver::Version::new(1, 0, 0);
    plan.cut(&plan.modules().keys().map(|m| (m.clone(), v1.clone())).collect())
}

/// Runs options selecting the modules of the schema of record.
pub fn record_modules() -> RunOptions {
    RunOptions { modules: RECORD_MODULES.iter().map(|m| (*m).to_owned()).collect(), ..RunOptions::default() }
}

pub async fn describe(db: &TestDb, exclude: &[&str]) -> Value {
    let mut c = db.conn().await;
    let v = vytal_host::schema::describe_json(&mut c, "public", exclude).await.unwrap();
    c.close().await.unwrap();
    v
}

/// Drops what parity does not cover: comments, the server version, and the
/// generated names of primary-key and unique constraints (and their indexes).
pub fn normalise(mut v: Value) -> Value {
    let o = v.as_object_mut().unwrap();
    o.remove("excluded");
    o.remove("server_version_num");
    for t in o["tables"].as_array_mut().unwrap() {
        let t = t.as_object_mut().unwrap();
        t.remove("comment");
        for c in t["columns"].as_array_mut().unwrap() {
            c.as_object_mut().unwrap().remove("comment");
        }
        t["primary_key"].as_object_mut().unwrap().remove("name");
        for u in t["unique_constraints"].as_array_mut().unwrap() {
            u.as_object_mut().unwrap().remove("name");
        }
        let indexes = t["indexes"].as_array_mut().unwrap();
        for i in indexes.iter_mut() {
            if !i["constraint"].is_null() {
                let i = i.as_object_mut().unwrap();
                i.remove("name");
                i.remove("definition");
                i["constraint"].as_object_mut().unwrap().remove("name");
            }
        }
        indexes.sort_by_key(|i| format!("{}{}", i["name"].as_str().unwrap_or(""), i["columns"]));
    }
    v
}

/// A readable list of differences: `tables[claims].columns[status].default: expected X, found Y`.
pub fn diff(path: &str, expected: &Value, found: &Value, out: &mut Vec<String>) {
    let key = |v: &Value| v.get("name").and_then(Value::as_str).map(str::to_owned);
    match (expected, found) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, av) in a {
                match b.get(k) {
                    Some(bv) => diff(&format!("{path}.{k}"), av, bv, out),
                    None => out.push(format!("{path}.{k}: expected {av}, missing")),
                }
            }
            for k in b.keys().filter(|k| !a.contains_key(*k)) {
                out.push(format!("{path}.{k}: unexpected {}", b[k]));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.iter().chain(b).all(|v| key(v).is_some()) => {
            for av in a {
                let name = key(av).unwrap_or_default();
                match b.iter().find(|bv| key(bv).as_deref() == Some(&name)) {
                    Some(bv) => diff(&format!("{path}[{name}]"), av, bv, out),
                    None => out.push(format!("{path}[{name}]: missing")),
                }
            }
            for bv in b.iter().filter(|bv| a.iter().all(|av| key(av) != key(bv))) {
                out.push(format!("{path}[{}]: unexpected", key(bv).unwrap_or_default()));
            }
            let order = |l: &Vec<Value>| l.iter().filter_map(key).collect::<Vec<_>>();
            if out.is_empty() && order(a) != order(b) {
                out.push(format!("{path}: order differs: expected {:?}, found {:?}", order(a), order(b)));
            }
        }
        _ if expected != found => out.push(format!("{path}: expected {expected}, found {found}")),
        _ => {}
    }
}

#[tokio::test]
async fn a_fresh_database_matches_the_schema_of_record() {
    let db = TestDb::new("schema_parity").await;
    // The 1.0.0 modules reproduce the schema of record exactly; later versions fix it.
    let plan = plan_at_1_0_0();
    vytal_host::run(&plan, &db.target(), &record_modules(), &mut Quiet).await.unwrap();
    let expected = normalise(serde_json::from_str(REFERENCE).unwrap());
    let found = normalise(describe(&db, &["users", "users_role_enum"]).await);
    let mut differences = Vec::new();
    diff("catalog", &expected, &found, &mut differences);
    assert!(
        differences.is_empty(),
        "{} difference(s) from catalog.json:\n{}",
        differences.len(),
        differences.join("\n")
    );
    assert_eq!(expected, found);
    assert_eq!(found["summary"]["tables"], 17);
    assert_eq!(found["summary"]["enum_types"], 30);
    assert_eq!(found["summary"]["indexes_total"], 129);
    assert_eq!(found["summary"]["foreign_keys"], 35);

    let again = vytal_host::run(&plan, &db.target(), &record_modules(), &mut Quiet).await.unwrap();
    assert!(again.migrations.is_empty(), "a second run applies nothing");
    db.drop().await;
}

#[test]
fn the_differ_reports_what_differs() {
    let expected = normalise(serde_json::from_str(REFERENCE).unwrap());
    let mut found = expected.clone();
    found["tables"][6]["columns"][1]["nullable"] = Value::Bool(true);
    let mut out = Vec::new();
    diff("catalog", &expected, &found, &mut out);
    assert_eq!(out, vec!["catalog.tables[claims].columns[claimNumber].nullable: expected false, found true"]);
}

/// Runs a module's applied down migrations, newest first, and removes their ledger rows.
async fn down(db: &TestDb, plan: &Plan, module: &str) {
    let applied = db.ledger().await;
    let mut c = db.conn().await;
    for m in plan
        .migrations()
        .iter()
        .rev()
        .filter(|m| m.module == module && applied.contains(&format!("{}/{}", m.module, m.id)))
    {
        let mut tx = c.begin().await.unwrap();
        sqlx::raw_sql(AssertSqlSafe(m.down.to_string())).execute(&mut *tx).await.unwrap();
        sqlx::query("DELETE FROM vytal.migrations WHERE module = $1 AND id = $2")
            .bind(m.module.as_str())
            .bind(m.id.as_str())
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    c.close().await.unwrap();
}

async fn objects(db: &TestDb) -> (i64, i64, i64) {
    (
        db.count("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'").await,
        db.count("SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' AND t.typtype = 'e'").await,
        db.count("SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql'").await,
    )
}

/// The modules the ledger records, other than core, newest first in plan order.
async fn applied_modules(db: &TestDb, plan: &Plan) -> Vec<String> {
    let ledger = db.ledger().await;
    let mut out: Vec<String> = Vec::new();
    for m in plan.migrations().iter().rev() {
        let name = m.module.to_string();
        if name != "core" && ledger.contains(&format!("{}/{}", m.module, m.id)) && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

#[tokio::test]
async fn every_module_round_trips_and_leaves_nothing_behind() {
    let plan = shipped_plan();
    let db = TestDb::new("schema_round_trip").await;
    let core = RunOptions { modules: vec!["core".to_owned()], ..RunOptions::default() };
    vytal_host::run(&plan, &db.target(), &core, &mut Quiet).await.unwrap();
    for module in plan.modules().keys() {
        let before = describe(&db, &[]).await;
        let objects_before = objects(&db).await;
        let select = RunOptions { modules: vec![module.to_string()], ..RunOptions::default() };
        vytal_host::run(&plan, &db.target(), &select, &mut Quiet).await.unwrap();
        let with_module = describe(&db, &[]).await;
        assert!(objects(&db).await.0 > objects_before.0 || module == "core", "{module} creates relations");

        // Down: the module, then what it pulled in, dependants first.
        for m in applied_modules(&db, &plan).await {
            down(&db, &plan, &m).await;
        }
        if module == "core" {
            down(&db, &plan, "core").await;
            assert_eq!(objects(&db).await, (0, 0, 0), "core's down leaves an empty public schema");
        } else {
            assert_eq!(describe(&db, &[]).await, before, "{module}: its down leaves what was there before, exactly");
            assert_eq!(objects(&db).await, objects_before, "{module}: every relation and type of the module is gone");
        }

        vytal_host::run(&plan, &db.target(), &select, &mut Quiet).await.unwrap();
        assert_eq!(describe(&db, &[]).await, with_module, "{module}: up, down, up gives the same catalog");
        // Leave only core for the next module.
        for m in applied_modules(&db, &plan).await {
            down(&db, &plan, &m).await;
        }
    }
    db.drop().await;
}

#[tokio::test]
async fn everything_then_every_down_leaves_only_the_ledger() {
    let plan = shipped_plan();
    let db = TestDb::new("schema_all_down").await;
    vytal_host::run(&plan, &db.target(), &RunOptions::default(), &mut Quiet).await.unwrap();
    let mut c = db.conn().await;
    for m in plan.migrations().iter().rev() {
        sqlx::raw_sql(AssertSqlSafe(m.down.to_string())).execute(&mut c).await.unwrap();
    }
    c.close().await.unwrap();
    assert_eq!(objects(&db).await, (0, 0, 0), "public is empty: no relation, enum type or extension");
    assert_eq!(
        db.count("SELECT count(*) FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' AND nspname NOT IN ('information_schema', 'public')").await,
        1,
        "only the ledger schema is left"
    );
    db.drop().await;
}
