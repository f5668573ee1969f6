//! The library entry point as an embedding application uses it.

use vytal_host::{Catalog, Manifest, Quiet, RunOptions, Target};

use crate::support::TestDb;

#[tokio::test]
async fn an_application_can_run_the_plan_from_its_own_main() {
    let db = TestDb::new("embedded").await;
    // The same lines as the crate documentation shows.
    let plan = vytal_host::resolve(&Manifest::embedded().unwrap(), &Catalog::linked()).unwrap();
    let target = Target::from_url(&db.url, "config").unwrap();
    let report = vytal_host::run(&plan, &target, &RunOptions::default(), &mut Quiet).await.unwrap();
    assert_eq!(report.migrations.len(), 74);
    assert_eq!(report.migrations[0].module, "core");
    assert!(report.migrations.iter().all(|m| m.duration_ms.is_some_and(|d| d > 0.0)));
    db.drop().await;
}
