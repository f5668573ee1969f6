//! Adopting a database whose schema something else built.

use serde_json::Value;
use vytal_host::{Catalog, Manifest};

use crate::support::{TestDb, expect_code, host, stderr};

/// Builds the schema the way the earlier suite did: the same DDL (1.0.0 of
/// the modules it had), no ledger.
pub(crate) async fn built_elsewhere(name: &str, modules: &[&str]) -> TestDb {
    let db = TestDb::new(name).await;
    let plan = vytal_host::resolve(&Manifest::embedded().unwrap(), &Catalog::linked()).unwrap();
    let v1 = semver::Version::new(1, 0, 0);
    let old_suite = |m: &str| crate::schema::RECORD_MODULES.contains(&m);
    for m in plan.migrations().iter().filter(|m| {
        m.version == v1 && old_suite(m.module.as_str()) && (modules.is_empty() || modules.contains(&m.module.as_str()))
    }) {
        db.exec(&m.up).await;
    }
    db
}

#[tokio::test]
async fn a_database_built_elsewhere_is_adopted_without_ddl() {
    let db = built_elsewhere("adopt_full", &[]).await;
    // The application added a column of its own to users.
    db.exec("ALTER TABLE users ADD COLUMN phone varchar(32)").await;

    let o = host(Some(&db), &["run"]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    assert!(stderr(&o).contains("`vytal-host adopt --dry-run`"), "{}", stderr(&o));

    let dry = expect_code(&host(Some(&db), &["adopt", "--dry-run"]), 0);
    assert!(dry.contains("would record core/0001_create_users (1.0.0) as applied"), "{dry}");
    assert!(dry.contains("note: core: extra column users.phone is not created by any migration; left alone"), "{dry}");
    assert!(dry.contains("dry run: the database holds what 12 migration(s) create; nothing was recorded"), "{dry}");
    assert!(db.ledger().await.is_empty());

    let out = expect_code(&host(Some(&db), &["adopt"]), 0);
    assert!(out.contains("adopted 12 migration(s)"), "{out}");
    assert_eq!(db.ledger().await.len(), 12);
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.events WHERE kind = 'migration' AND outcome = 'adopted'").await,
        12
    );
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE kind = 'migration' AND outcome = 'applied'").await, 0);
    let adopt_again = expect_code(&host(Some(&db), &["adopt"]), 0);
    assert!(adopt_again.contains("nothing to adopt"), "{adopt_again}");

    // The upgrade to what the application needs meets the application's own users.phone,
    // with another type than it needs: it stops and says so, and nothing changes.
    let o = host(Some(&db), &["run"]);
    expect_code(&o, 2);
    assert!(
        stderr(&o).contains(
            "users.\"phone\" already exists as character varying(32), but the application needs character varying"
        ),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("convert or rename that column first"), "{}", stderr(&o));
    // Migrations before it in the plan committed; core's did not, and users is as it was.
    assert!(!db.ledger().await.contains(&"core/0002".to_owned()));
    assert_eq!(db.count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'users'").await, 8);
    // Once the operator has widened it, the column is kept, values and all, and the rest applies.
    db.exec("INSERT INTO users (email, \"firstName\", \"lastName\", phone) VALUES ('a@example.org', 'A', 'B', '+1-555-0100')").await;
    db.exec("ALTER TABLE users ALTER COLUMN phone TYPE varchar").await;
    let run = expect_code(&host(Some(&db), &["run"]), 0);
    assert!(run.contains("applied core/0002_users_as_the_application_needs (1.1.0)"), "{run}");
    assert_eq!(db.ledger().await.len(), 74, "everything the build carries");
    assert_eq!(db.count("SELECT count(*) FROM users WHERE phone = '+1-555-0100' AND status = 'active'").await, 1);
    let again = expect_code(&host(Some(&db), &["run"]), 0);
    assert!(again.contains("nothing to apply"), "{again}");

    // verify agrees; the one difference left is where the application's column sits.
    let verify = host(Some(&db), &["verify", "--json"]);
    let v: Value = serde_json::from_str(&String::from_utf8_lossy(&verify.stdout)).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert!(findings.len() <= 1, "{findings:#?}");
    assert!(findings.iter().all(|f| f["object"].as_str().is_some_and(|o| o.starts_with("users"))), "{findings:#?}");
    db.drop().await;
}

#[tokio::test]
async fn a_database_that_differs_is_not_adopted() {
    let db = built_elsewhere("adopt_differs", &[]).await;
    db.exec("DROP INDEX \"IDX_claims_status\"; ALTER TABLE tasks ALTER COLUMN priority SET DEFAULT 'low'").await;
    let o = host(Some(&db), &["adopt"]);
    expect_code(&o, 2);
    let err = stderr(&o);
    assert!(err.contains("cannot adopt: the database does not hold what 12 migration(s) create"), "{err}");
    assert!(err.contains("claims: missing index: claims.IDX_claims_status"), "{err}");
    assert!(err.contains("tasks: column default: tasks.priority\n      expected: 'medium'::tasks_priority_enum\n      found:    'low'::tasks_priority_enum"), "{err}");
    assert!(err.contains("nothing was recorded"), "{err}");
    assert!(db.ledger().await.is_empty());
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.events WHERE kind = 'run' AND outcome = 'failed' AND command = 'adopt'")
            .await,
        1
    );
    assert_eq!(db.advisory_locks().await, 0);
    db.drop().await;
}

#[tokio::test]
async fn one_module_and_what_it_requires_can_be_adopted() {
    let db = built_elsewhere("adopt_module", &["core", "medications"]).await;
    let out = expect_code(&host(Some(&db), &["adopt", "--module", "medications"]), 0);
    assert!(out.contains("adopted 2 migration(s)"), "{out}");
    assert_eq!(db.ledger().await, vec!["core/0001", "medications/0001"]);
    let run = expect_code(&host(Some(&db), &["run"]), 0);
    assert!(run.contains("applied 72 migration(s)"), "the rest applies normally:\n{run}");
    expect_code(&host(Some(&db), &["verify"]), 0);
    db.drop().await;
}

#[tokio::test]
async fn a_database_at_an_older_module_version_is_adopted_at_that_version() {
    use vytal_host::adopt::{AdoptOptions, adopt};
    use vytal_host::{Quiet, RunOptions};

    let manifest = "[modules.core]\nversion = \"1.0.0\"\n\n[modules.clinic]\nversion = \"1.1.0\"\nrequires = { core = \"^1.0\" }\n";
    let clinic_v1 =
        ("1.0.0", "0001_visits", "CREATE TABLE visits (id int PRIMARY KEY, at timestamp);", "DROP TABLE visits;");
    let modules = |clinic: Vec<crate::support::Fixture<'static>>| {
        vec![
            crate::support::module(
                "core",
                "1.0.0",
                &[("1.0.0", "0001_people", "CREATE TABLE people (id int PRIMARY KEY);", "DROP TABLE people;")],
            ),
            crate::support::module("clinic", "1.1.0", &clinic),
        ]
    };
    let p = crate::support::plan(
        manifest,
        modules(vec![
            clinic_v1,
            (
                "1.1.0",
                "0002_visits_tz",
                "ALTER TABLE visits ALTER COLUMN at TYPE timestamptz;",
                "ALTER TABLE visits ALTER COLUMN at TYPE timestamp;",
            ),
            ("1.1.0", "0003_rooms", "CREATE TABLE rooms (id int PRIMARY KEY);", "DROP TABLE rooms;"),
        ]),
    );
    // Built elsewhere at clinic 1.0.0.
    let db = TestDb::new("adopt_older_version").await;
    db.exec("CREATE TABLE people (id int PRIMARY KEY); CREATE TABLE visits (id int PRIMARY KEY, at timestamp);").await;

    let options = AdoptOptions { command: "adopt".into(), ..AdoptOptions::default() };
    let report = adopt(&p, &db.target(), &options).await.unwrap();
    let adopted: Vec<String> = report.adopted.iter().map(|m| format!("{}/{}", m.module, m.id)).collect();
    assert_eq!(adopted, vec!["core/0001", "clinic/0001"]);
    assert_eq!(report.pending, vec!["clinic/0002_visits_tz", "clinic/0003_rooms"]);
    assert_eq!(report.versions.get("clinic").map(String::as_str), Some("1.0.0"));
    assert_eq!(db.ledger().await, vec!["clinic/0001", "core/0001"]);

    // run then brings it to the build's version, and verify agrees.
    let run = vytal_host::run(&p, &db.target(), &RunOptions::default(), &mut Quiet).await.unwrap();
    assert_eq!(run.migrations.len(), 2);
    let v = vytal_host::verify::verify(&p, &db.target(), &Default::default()).await.unwrap();
    assert!(v.findings.is_empty(), "{:#?}", v.findings);

    // A database that matches no version is refused, naming the version it was last compared with.
    let other = TestDb::new("adopt_no_version").await;
    other
        .exec("CREATE TABLE people (id int PRIMARY KEY); CREATE TABLE visits (id bigint PRIMARY KEY, at timestamp);")
        .await;
    let msg = adopt(&p, &other.target(), &options).await.unwrap_err().to_string();
    assert!(msg.contains("compared at clinic@1.0.0, core@1.0.0"), "{msg}");
    assert!(msg.contains("clinic: column type: visits.id\n      expected: integer\n      found:    bigint"), "{msg}");
    assert!(other.ledger().await.is_empty());
    other.drop().await;
    db.drop().await;
}
