//! The application runs on it: a fresh database holds what VytalWatch's
//! application reads and writes (`tests/reference/app-catalog.json`), and a
//! 1.0.0 database with rows in every table upgrades to it and back with
//! every row and value intact.

use std::collections::BTreeMap;

use serde_json::Value;
use vytal_host::seed::{SeedOptions, Silent};
use vytal_host::{Quiet, RunOptions};

use crate::schema::{RECORD_MODULES, describe, diff, normalise, plan_at_1_0_0, record_modules};
use crate::support::{TestDb, expect_code, host, stderr};

const APP: &str = include_str!("../reference/app-catalog.json");
const REFERENCE: &str = include_str!("../reference/catalog.json");

/// Columns whose entity says `varchar` but that stay `uuid`: stricter, and the
/// application only ever stores UUIDs in them (README, "The application's schema").
const STRICTER_UUID: &[&str] = &[
    "ai_conversations.lastMessageId",
    "ai_conversations.patientId",
    "ai_conversations.providerId",
    "ai_conversations.vitalReadingId",
    "ai_conversations.alertId",
    "clinical_notes.originalNoteId",
    "clinical_notes.supersededBy",
    "clinical_notes.previousVersionId",
    "conversations.lastMessageId",
];

/// Foreign keys to users that may still cascade, and why: a device token is
/// only a way to reach a device, and must go with the account.
const CASCADE_ALLOWED: &[&str] = &["device_tokens.userId"];

/// Whether a column of type `ours` can take every value the application writes as `app`.
fn writable(app: &str, ours: &str) -> bool {
    let base = |t: &str| t.split('(').next().unwrap_or(t).trim().to_owned();
    if app == "jsonb[]" {
        // The entity says jsonb[], but its driver writes a JSON array, which only jsonb takes.
        return ours == "jsonb";
    }
    if app == ours {
        return true;
    }
    match (app, ours) {
        // No length cap where the application has none: text or varchar without a length.
        ("character varying", "text") | ("text", "character varying") => true,
        // The application reads both.
        ("timestamp without time zone", "timestamp with time zone") => true,
        _ => base(app) == base(ours) && !ours.contains('(') && !app.contains('('),
    }
}

#[tokio::test]
async fn a_fresh_database_holds_what_the_application_reads_and_writes() {
    let db = TestDb::new("app_fresh").await;
    expect_code(&host(Some(&db), &["run"]), 0);
    let app: Value = serde_json::from_str(APP).unwrap();
    let ours = describe(&db, &[]).await;
    let table = |v: &Value, name: &str| v["tables"].as_array().unwrap().iter().find(|t| t["name"] == name).cloned();
    let mut problems = Vec::new();
    for t in app["tables"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        let Some(o) = table(&ours, name) else {
            problems.push(format!("missing table {name}"));
            continue;
        };
        for c in t["columns"].as_array().unwrap() {
            let col = c["name"].as_str().unwrap();
            let Some(oc) = o["columns"].as_array().unwrap().iter().find(|x| x["name"] == col) else {
                problems.push(format!("missing column {name}.{col}"));
                continue;
            };
            let (at, ot) = (c["type"].as_str().unwrap(), oc["type"].as_str().unwrap());
            let qualified = format!("{name}.{col}");
            let stricter = STRICTER_UUID.contains(&qualified.as_str()) && at == "character varying" && ot == "uuid";
            if !writable(at, ot) && !stricter {
                problems.push(format!("{qualified}: the application writes {at}, the column is {ot}"));
            }
            if c["nullable"] == true && oc["nullable"] == false {
                problems.push(format!("{qualified}: the application may leave it NULL, the column is NOT NULL"));
            }
        }
    }
    // Enum labels: every label the application uses exists.
    for e in app["enum_types"].as_array().unwrap() {
        let name = e["name"].as_str().unwrap();
        let Some(oe) = ours["enum_types"].as_array().unwrap().iter().find(|x| x["name"] == name) else {
            problems.push(format!("missing enum type {name}"));
            continue;
        };
        for l in e["labels"].as_array().unwrap() {
            if !oe["labels"].as_array().unwrap().contains(l) {
                problems.push(format!("{name}: missing label {l}"));
            }
        }
    }
    // What the application relies on being unique is unique; what it joins on has a foreign key.
    let unique_sets = |t: &Value| -> Vec<Vec<String>> {
        let cols = |v: &Value| v.as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect::<Vec<_>>();
        let mut out: Vec<Vec<String>> =
            t["unique_constraints"].as_array().unwrap().iter().map(|u| cols(&u["columns"])).collect();
        out.extend(
            t["indexes"].as_array().unwrap().iter().filter(|i| i["unique"] == true).map(|i| cols(&i["columns"])),
        );
        out
    };
    for t in app["tables"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        let Some(o) = table(&ours, name) else { continue };
        let ours_unique = unique_sets(&o);
        for u in unique_sets(t) {
            if !ours_unique.contains(&u) {
                problems.push(format!("{name}: ({}) is unique for the application, not here", u.join(", ")));
            }
        }
        for f in t["foreign_keys"].as_array().unwrap() {
            let found = o["foreign_keys"].as_array().unwrap().iter().any(|g| {
                g["columns"] == f["columns"] && g["ref_table"] == f["ref_table"] && g["ref_columns"] == f["ref_columns"]
            });
            if !found {
                problems.push(format!("{name}: no foreign key {} -> {}", f["columns"], f["ref_table"]));
            }
        }
    }
    // Records outlive accounts: no foreign key to users deletes or clears a record.
    for t in ours["tables"].as_array().unwrap() {
        for f in t["foreign_keys"].as_array().unwrap() {
            let at = format!("{}.{}", t["name"].as_str().unwrap(), f["columns"][0].as_str().unwrap());
            if f["ref_table"] == "users" && f["on_delete"] != "NO ACTION" && !CASCADE_ALLOWED.contains(&at.as_str()) {
                problems.push(format!("{at} -> users ON DELETE {}", f["on_delete"]));
            }
        }
    }
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));

    // And it behaves so: a user with a record cannot be deleted; their device tokens go with them.
    db.exec("INSERT INTO users (id, email, \"firstName\", \"lastName\") VALUES ('00000000-0000-4000-8000-000000000001', 'p@example.org', 'P', 'Q')").await;
    db.exec("INSERT INTO device_tokens (\"userId\", token, platform) VALUES ('00000000-0000-4000-8000-000000000001', 't1', 'ios')").await;
    db.exec("INSERT INTO consents (\"userId\", type, version, \"consentText\") VALUES ('00000000-0000-4000-8000-000000000001', 'treatment', '1', 'I agree')").await;
    let mut c = db.conn().await;
    let err = sqlx::raw_sql("DELETE FROM users").execute(&mut c).await.unwrap_err().to_string();
    assert!(err.contains("FK_consents_userId"), "{err}");
    sqlx::raw_sql("DELETE FROM consents; DELETE FROM users").execute(&mut c).await.unwrap();
    assert_eq!(db.count("SELECT count(*) FROM device_tokens").await, 0, "tokens went with the account");
    drop(c);
    // A user's application-side columns are there with their defaults.
    db.exec("INSERT INTO users (email, \"firstName\", \"lastName\") VALUES ('n@example.org', 'N', 'M')").await;
    assert_eq!(db.count("SELECT count(*) FROM users WHERE status = 'pending' AND NOT \"mfaEnabled\"").await, 1);
    db.drop().await;
}

/// Each 1.0.0 table's rows, hashed column by column as JSON values: a
/// `jsonb[]` and the `jsonb` array it becomes hash the same, and so do a
/// timestamp and the timestamptz it becomes when both name the same instant.
async fn values(db: &TestDb) -> BTreeMap<String, (i64, String)> {
    let reference: Value = serde_json::from_str(REFERENCE).unwrap();
    let mut out = BTreeMap::new();
    let mut c = db.conn().await;
    for t in reference["tables"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        let cols: Vec<String> = t["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| match c["type"].as_str().unwrap() {
                // The instant, read as UTC while it is a timestamp: equal before and after 1.2.0.
                "timestamp without time zone" => {
                    format!("to_jsonb(extract(epoch FROM \"{}\"))", c["name"].as_str().unwrap())
                }
                _ => format!("to_jsonb(\"{}\")", c["name"].as_str().unwrap()),
            })
            .collect();
        let sql = format!(
            "SELECT count(*), coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM (SELECT jsonb_build_array({}) AS x FROM \"{name}\") s",
            cols.join(", ")
        );
        let (n, h): (i64, String) = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(&mut c).await.unwrap();
        out.insert(name.to_owned(), (n, h));
    }
    out
}

/// Every table's rows exactly as stored.
async fn rows(db: &TestDb, tables: &[&str]) -> Vec<String> {
    let mut c = db.conn().await;
    let mut out = Vec::new();
    for t in tables {
        let sql = format!("SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM \"{t}\" t");
        out.push(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut c).await.unwrap());
    }
    out
}

#[tokio::test]
async fn a_1_0_0_database_with_rows_upgrades_and_comes_back_intact() {
    let db = TestDb::new("app_upgrade").await;
    // 1.0.0 of the old suite's modules, with rows in every table (amendments arrays included).
    let old = plan_at_1_0_0();
    vytal_host::run(&old, &db.target(), &record_modules(), &mut Quiet).await.unwrap();
    let options = SeedOptions { count: 60, seed: 5, ..SeedOptions::default() };
    vytal_host::seed::seed(&old, &db.target(), &options, &mut Silent).await.unwrap();
    let mut tables: Vec<&str> = vec!["users"];
    let reference: Value = serde_json::from_str(REFERENCE).unwrap();
    tables.extend(reference["tables"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()));
    for t in &tables {
        assert!(db.count(&format!("SELECT count(*) FROM \"{t}\"")).await > 0, "{t} holds rows");
    }
    // Arrays of JSON documents (order matters), empty arrays and NULLs, for the jsonb[] -> jsonb conversion.
    db.exec(
        "UPDATE clinical_notes c SET amendments = CASE n.k % 3 \
             WHEN 0 THEN ARRAY['{\"at\": 1720000000000, \"reason\": \"typo\"}'::jsonb, '{\"at\": 1720000500000, \"by\": \"dr\"}'::jsonb, '[1, 2]'::jsonb] \
             WHEN 1 THEN '{}'::jsonb[] ELSE NULL END \
         FROM (SELECT id, row_number() OVER (ORDER BY id) AS k FROM clinical_notes) n WHERE n.id = c.id;
         UPDATE encryption_keys e SET \"auditLog\" = CASE n.k % 3 \
             WHEN 0 THEN ARRAY['{\"action\": \"rotated\"}'::jsonb, '{\"action\": \"accessed\"}'::jsonb] \
             WHEN 1 THEN '{}'::jsonb[] ELSE NULL END \
         FROM (SELECT id, row_number() OVER (ORDER BY id) AS k FROM encryption_keys) n WHERE n.id = e.id",
    )
    .await;
    for (table, col) in [("clinical_notes", "amendments"), ("encryption_keys", "\"auditLog\"")] {
        for case in [format!("cardinality({col}) > 1"), format!("cardinality({col}) = 0"), format!("{col} IS NULL")] {
            assert!(db.count(&format!("SELECT count(*) FROM {table} WHERE {case}")).await > 0, "{table}: {case}");
        }
    }
    let before_values = values(&db).await;
    let sample: (String, String) =
        sqlx::query_as("SELECT id::text, \"createdAt\"::text FROM tasks ORDER BY id LIMIT 1")
            .fetch_one(&mut db.conn().await)
            .await
            .unwrap();
    let before_rows = rows(&db, &tables).await;
    let files =
        "SELECT array_agg(relfilenode::int8 ORDER BY relname)::text FROM pg_class WHERE relname IN ('tasks', 'claims')";
    let files_before: String = sqlx::query_scalar(files).fetch_one(&mut db.conn().await).await.unwrap();

    // Up to what the build carries.
    let out = expect_code(&host(Some(&db), &["run"]), 0);
    assert!(out.contains("applied 62 migration(s)"), "{out}");
    assert_eq!(values(&db).await, before_values, "every row and value is there after the upgrade");
    assert_eq!(
        db.count("SELECT count(*) FROM clinical_notes WHERE jsonb_typeof(amendments) <> 'array'").await,
        0,
        "amendments are JSON arrays now"
    );
    assert_eq!(
        db.count("SELECT count(*) FROM users WHERE status <> 'active'").await,
        0,
        "existing accounts stay usable"
    );
    let same_instant = format!(
        "SELECT count(*) FROM tasks WHERE id = '{}' AND \"createdAt\" = '{} UTC'::timestamptz AND pg_typeof(\"createdAt\") = 'timestamptz'::regtype",
        sample.0, sample.1
    );
    assert_eq!(db.count(&same_instant).await, 1, "{sample:?} is the same instant, read as UTC");
    // Widening a varchar, changing ON DELETE and timestamp -> timestamptz under UTC rewrite no table.
    let files_after: String = sqlx::query_scalar(files).fetch_one(&mut db.conn().await).await.unwrap();
    assert_eq!(files_after, files_before);
    expect_code(&host(Some(&db), &["verify"]), 0);

    // And back: every module to 1.0.0, the new ones removed. A down that
    // drops columns holding values (users' from 1.1.0) is refused until confirmed.
    let mut asked = Vec::new();
    for m in RECORD_MODULES {
        let to = format!("{m}@1.0.0");
        let o = host(Some(&db), &["rollback", "--to", &to]);
        if o.status.code() == Some(2) && stderr(&o).contains("its down SQL would destroy data") {
            asked.push((m, stderr(&o)));
            expect_code(&host(Some(&db), &["rollback", "--to", &to, "--yes"]), 0);
        } else {
            expect_code(&o, 0);
        }
    }
    // In this database only core's down destroys values: the columns 1.1.0 gave users, filled by their defaults.
    assert_eq!(asked.iter().map(|(m, _)| **m).collect::<Vec<&str>>(), ["core"], "{asked:?}");
    let core = asked.iter().find(|(m, _)| **m == "core").map(|(_, e)| e.as_str()).unwrap_or_default();
    assert!(core.contains("value(s) in users.status (drop column)"), "core's rollback asks first: {asked:?}");
    for m in ["monitoring", "billing", "notifications", "audit"] {
        expect_code(&host(Some(&db), &["rollback", "--module", m, "--yes"]), 0);
    }
    assert_eq!(db.ledger().await.len(), 12);
    let expected = normalise(serde_json::from_str(REFERENCE).unwrap());
    let found = normalise(describe(&db, &["users", "users_role_enum"]).await);
    let mut differences = Vec::new();
    diff("catalog", &expected, &found, &mut differences);
    assert!(differences.is_empty(), "back at 1.0.0, the schema of record:\n{}", differences.join("\n"));
    assert_eq!(rows(&db, &tables).await, before_rows, "every row exactly as it was, arrays included");
    db.drop().await;
}

#[tokio::test]
async fn the_upgrade_refuses_a_users_column_of_another_type() {
    let db = TestDb::new("app_users_type").await;
    let old = plan_at_1_0_0();
    vytal_host::run(
        &old,
        &db.target(),
        &RunOptions { modules: vec!["core".into()], ..RunOptions::default() },
        &mut Quiet,
    )
    .await
    .unwrap();
    // The application added three of the columns: two as it needs them (one without a time
    // zone, which it reads alike), one not.
    db.exec(
        "ALTER TABLE users ADD COLUMN \"mfaEnabled\" boolean DEFAULT true, ADD COLUMN \"lastLoginAt\" timestamp, ADD COLUMN npi integer;
         INSERT INTO users (email, \"firstName\", \"lastName\", \"mfaEnabled\", \"lastLoginAt\") VALUES
             ('a@example.org', 'A', 'B', true, '2026-01-02 03:04:05'), ('c@example.org', 'C', 'D', NULL, NULL)",
    )
    .await;
    let o = host(Some(&db), &["run", "--module", "core"]);
    expect_code(&o, 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("users.\"npi\" already exists as integer, but the application needs character varying"),
        "{err}"
    );
    assert_eq!(db.ledger().await, vec!["core/0001"]);
    db.exec("ALTER TABLE users ALTER COLUMN npi TYPE varchar").await;
    expect_code(&host(Some(&db), &["run", "--module", "core"]), 0);
    // The columns that were there keep their values; NULLs, default and nullability become the application's.
    assert_eq!(db.count("SELECT count(*) FROM users WHERE email = 'a@example.org' AND \"mfaEnabled\" AND \"lastLoginAt\" = '2026-01-02 03:04:05'").await, 1);
    assert_eq!(
        db.count(
            "SELECT count(*) FROM users WHERE email = 'c@example.org' AND NOT \"mfaEnabled\" AND status = 'active'"
        )
        .await,
        1
    );
    assert_eq!(
        db.count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'mfaEnabled' AND column_default = 'false' AND is_nullable = 'NO'").await,
        1
    );
    // A users_status_enum of the application's own with other labels is refused too.
    let other = TestDb::new("app_users_enum").await;
    vytal_host::run(
        &old,
        &other.target(),
        &RunOptions { modules: vec!["core".into()], ..RunOptions::default() },
        &mut Quiet,
    )
    .await
    .unwrap();
    other.exec("CREATE TYPE users_status_enum AS ENUM ('active', 'banned')").await;
    let o = host(Some(&other), &["run", "--module", "core"]);
    expect_code(&o, 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("type users_status_enum already exists, but not as the enum"));
    other.drop().await;
    db.drop().await;
}
