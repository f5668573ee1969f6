//! Adopting a database whose schema something else built.

use serde_json::Value;
use vytal_host::{Catalog, Manifest};

use crate::support::{TestDb, expect_code, host, stderr};

/// Builds the schema the way the earlier suite did: the same DDL, no ledger.
async fn built_elsewhere(name: &str, modules: &[&str]) -> TestDb {
    let db = TestDb::new(name).await;
    let plan = vytal_host::resolve(&Manifest::embedded().unwrap(), &Catalog::linked()).unwrap();
    for m in plan.migrations().iter().filter(|m| modules.is_empty() || modules.contains(&m.module.as_str())) {
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

    let again = expect_code(&host(Some(&db), &["run"]), 0);
    assert!(again.contains("nothing to apply"), "{again}");
    let adopt_again = expect_code(&host(Some(&db), &["adopt"]), 0);
    assert!(adopt_again.contains("nothing to adopt"), "{adopt_again}");

    // verify agrees, and still points out the application's own column.
    let v: Value = serde_json::from_str(&expect_code(&host(Some(&db), &["verify", "--json"]), 1)).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["object"], "users.phone");
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
    assert!(run.contains("applied 10 migration(s)"), "the rest applies normally:\n{run}");
    expect_code(&host(Some(&db), &["verify"]), 0);
    db.drop().await;
}
