//! `verify`: how the live database differs from what the build says it should be.
//!
//! Three kinds of finding, each tagged with the module it concerns:
//! - history: the ledger against the build (pending, unknown, edited, versions);
//! - drift: the live catalog against the catalog the registered migrations
//!   produce, got by replaying them into a scratch database, so no second
//!   description of the schema is kept anywhere;
//! - prerequisites: objects a selected module needs from another module
//!   (the extension, the `users` columns its foreign keys point at).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;
use sqlx::AssertSqlSafe;
use sqlx::postgres::PgConnection;

use crate::apply::ApplyError;
use crate::db::Target;
use crate::ledger::Ledger;
use crate::resolve::Plan;
use crate::schema::describe;
use crate::state::Assessment;

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The module it concerns, or `(unowned)` for objects no module creates.
    pub module: String,
    /// `history`, `drift` or `prerequisite`.
    pub category: &'static str,
    /// What differs, e.g. `missing index`, `column type`, `checksum`.
    pub kind: String,
    /// The object, e.g. `medications.status` or `IDX_tasks_status`.
    pub object: String,
    /// What the build says.
    pub expected: Option<String>,
    /// What the database has.
    pub found: Option<String>,
}

/// The result of a verify.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// The database, without password.
    pub database: String,
    /// Modules checked.
    pub modules: Vec<String>,
    /// Every finding, grouped by module.
    pub findings: Vec<Finding>,
    /// Wall time in milliseconds.
    pub elapsed_ms: f64,
}

/// Which modules own which tables and enum types, learnt while replaying.
pub(crate) type Owners = BTreeMap<String, String>;

/// Verifies `modules` (all when empty).
pub async fn verify(plan: &Plan, target: &Target, modules: &[String]) -> Result<VerifyReport, ApplyError> {
    let started = Instant::now();
    crate::apply::check_modules(plan, modules)?;
    let selected: BTreeSet<String> =
        if modules.is_empty() { plan.modules().keys().cloned().collect() } else { modules.iter().cloned().collect() };
    let db = |during: &'static str| move |source| ApplyError::Database { during, source };

    let mut live = target.connect("vytal-host verify").await?;
    let ledger = Ledger::new(&plan.settings().ledger_schema);
    let rows = ledger.applied(&mut live).await.map_err(db("reading the ledger"))?;
    let mut findings = history(plan, &rows);

    tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "ledger read");
    let found = describe(&mut live, "public", &[]).await.map_err(db("reading the live catalog"))?;
    tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "live catalog read");
    let (expected, owners) = replay(plan, target, &mut live).await?;
    tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "expected catalog replayed");
    let _ = sqlx::Connection::close(live).await;

    findings.extend(drift(&expected, &found, &owners));
    findings.extend(prerequisites(&expected, &found, &owners, &selected));
    // A whole-database verify keeps everything, including ledger rows of modules the build no longer has.
    if !modules.is_empty() {
        findings.retain(|f| selected.contains(&f.module));
    }
    findings
        .sort_by(|a, b| (&a.module, a.category, &a.object, &a.kind).cmp(&(&b.module, b.category, &b.object, &b.kind)));
    Ok(VerifyReport {
        database: target.to_string(),
        modules: selected.into_iter().collect(),
        findings,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

pub(crate) const UNOWNED: &str = "(unowned)";

fn finding(
    module: &str,
    category: &'static str,
    kind: &str,
    object: String,
    expected: Option<String>,
    found: Option<String>,
) -> Finding {
    Finding { module: module.to_owned(), category, kind: kind.to_owned(), object, expected, found }
}

fn history(plan: &Plan, rows: &[crate::ledger::AppliedRow]) -> Vec<Finding> {
    let a = Assessment::new(plan, rows.to_vec());
    let mut out = Vec::new();
    for &i in &a.pending {
        let m = &plan.migrations()[i];
        out.push(finding(
            &m.module,
            "history",
            "not applied",
            m.label(),
            Some("applied".into()),
            Some("pending".into()),
        ));
    }
    for e in &a.edited {
        let module = e.migration.split('/').next().unwrap_or_default();
        out.push(finding(
            module,
            "history",
            "checksum",
            e.migration.clone(),
            Some(e.file_checksum.clone()),
            Some(e.applied_checksum.clone()),
        ));
    }
    for r in &a.unknown {
        out.push(finding(
            &r.module,
            "history",
            "unknown to this build",
            format!("{}/{}_{}", r.module, r.id, r.name),
            None,
            Some(format!("applied at {}", r.applied_at)),
        ));
    }
    for r in rows {
        let Some(built) = plan.modules().get(&r.module) else { continue };
        let recorded = semver::Version::parse(&r.module_version);
        let compiled = plan.position(&r.module, &r.id).map(|p| &plan.migrations()[p].version);
        let object = format!("{}/{}_{}", r.module, r.id, r.name);
        match recorded {
            Ok(v) if v > built.version => out.push(finding(
                &r.module,
                "history",
                "module version",
                object,
                Some(format!("at most {}", built.version)),
                Some(v.to_string()),
            )),
            Ok(v) if compiled.is_some_and(|c| *c != v) => {
                out.push(finding(
                    &r.module,
                    "history",
                    "module version",
                    object,
                    compiled.map(ToString::to_string),
                    Some(v.to_string()),
                ));
            }
            Ok(_) => {}
            Err(_) => out.push(finding(
                &r.module,
                "history",
                "module version",
                object,
                Some("a semver version".into()),
                Some(r.module_version.clone()),
            )),
        }
    }
    out
}

/// Replays every registered migration into a scratch database and describes it.
///
/// The replay runs in one transaction that is rolled back, so the scratch
/// database (`<database>_vytal_scratch`, created once) stays empty and never
/// needs dropping: dropping a database forces a checkpoint, which costs more
/// than the whole replay. A plan with `no-transaction` migrations cannot
/// replay that way; it uses a throwaway database, dropped afterwards.
pub(crate) async fn replay(
    plan: &Plan,
    target: &Target,
    live: &mut PgConnection,
) -> Result<(Value, Owners), ApplyError> {
    let transactional = plan.migrations().iter().all(|m| !m.directives.no_transaction);
    let name = if transactional {
        let mut n = format!("{}_vytal_scratch", target.database());
        n.truncate(63);
        n
    } else {
        format!("vytal_verify_{}", std::process::id())
    };
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(&name)
        .fetch_one(&mut *live)
        .await
        .map_err(|source| ApplyError::Database { during: "looking for the scratch database", source })?;
    if !exists {
        let created = sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).execute(&mut *live).await;
        let raced = created
            .as_ref()
            .err()
            .and_then(|e| e.as_database_error())
            .and_then(|d| d.code())
            .is_some_and(|c| c == "42P04");
        if let Err(source) = created
            && !raced
        {
            return Err(ApplyError::Database {
                during: "creating the scratch database verify replays the migrations into (the user needs CREATEDB)",
                source,
            });
        }
    }
    let t = Instant::now();
    let result = async {
        let mut scratch = target.with_database(&name).connect("vytal-host verify (scratch)").await?;
        let replayed = replay_into(plan, &mut scratch, transactional).await;
        if transactional {
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut scratch).await;
        }
        let _ = sqlx::Connection::close(scratch).await;
        replayed.map_err(|(during, source)| ApplyError::Database { during, source })
    }
    .await;
    tracing::debug!(elapsed_ms = t.elapsed().as_millis() as u64, transactional, "migrations replayed into {name}");
    if !transactional
        && let Err(e) = sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")))
            .execute(&mut *live)
            .await
    {
        tracing::warn!(error = %e, database = %name, "could not drop the scratch database; drop it by hand");
    }
    result
}

async fn replay_into(
    plan: &Plan,
    scratch: &mut PgConnection,
    transactional: bool,
) -> Result<(Value, Owners), (&'static str, sqlx::Error)> {
    let replaying = |e| ("replaying the migrations into the scratch database", e);
    let reading = |e| ("reading the scratch catalog", e);
    if transactional {
        sqlx::raw_sql("BEGIN").execute(&mut *scratch).await.map_err(replaying)?;
    }
    let mut owners = Owners::new();
    for m in plan.migrations() {
        if transactional || !m.directives.no_transaction {
            let body = if transactional { format!("{}\n;", m.up) } else { format!("BEGIN;\n{}\n;COMMIT;", m.up) };
            sqlx::raw_sql(AssertSqlSafe(body)).execute(&mut *scratch).await.map_err(replaying)?;
        } else {
            for s in crate::sql::split_statements(&m.up) {
                sqlx::raw_sql(AssertSqlSafe(s.text)).execute(&mut *scratch).await.map_err(replaying)?;
            }
        }
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT relname::text FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') \
             UNION ALL SELECT typname::text FROM pg_type WHERE typnamespace = 'public'::regnamespace AND typtype = 'e' \
             UNION ALL SELECT 'extension ' || extname FROM pg_extension WHERE extname <> 'plpgsql'",
        )
        .fetch_all(&mut *scratch)
        .await
        .map_err(reading)?;
        for n in names {
            owners.entry(n).or_insert_with(|| m.module.clone());
        }
    }
    let expected = describe(scratch, "public", &[]).await.map_err(reading)?;
    Ok((expected, owners))
}

fn named<'a>(v: &'a Value, key: &str) -> BTreeMap<String, &'a Value> {
    v[key]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["name"].as_str().map(|n| (n.to_owned(), x))).collect())
        .unwrap_or_default()
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "(none)".to_owned(),
        other => other.to_string(),
    }
}

/// Compares two catalogs; findings are attributed through `owners`.
pub fn drift(expected: &Value, found: &Value, owners: &Owners) -> Vec<Finding> {
    let owner = |name: &str| owners.get(name).cloned().unwrap_or_else(|| UNOWNED.to_owned());
    let mut out = Vec::new();
    let (et, ft) = (named(expected, "tables"), named(found, "tables"));
    for (name, e) in &et {
        let Some(f) = ft.get(name) else {
            out.push(finding(&owner(name), "drift", "missing table", name.clone(), Some("present".into()), None));
            continue;
        };
        table(&owner(name), name, e, f, &mut out);
    }
    for name in ft.keys().filter(|n| !et.contains_key(*n)) {
        out.push(finding(&owner(name), "drift", "extra table", name.clone(), None, Some("present".into())));
    }
    let (ee, fe) = (named(expected, "enum_types"), named(found, "enum_types"));
    for (name, e) in &ee {
        match fe.get(name) {
            None => out.push(finding(
                &owner(name),
                "drift",
                "missing enum type",
                name.clone(),
                Some(text(&e["labels"])),
                None,
            )),
            Some(f) if e["labels"] != f["labels"] => {
                out.push(finding(
                    &owner(name),
                    "drift",
                    "enum labels",
                    name.clone(),
                    Some(text(&e["labels"])),
                    Some(text(&f["labels"])),
                ));
            }
            Some(_) => {}
        }
    }
    for name in fe.keys().filter(|n| !ee.contains_key(*n)) {
        out.push(finding(
            &owner(name),
            "drift",
            "extra enum type",
            name.clone(),
            None,
            Some(text(&fe[name]["labels"])),
        ));
    }
    out
}

fn table(module: &str, t: &str, e: &Value, f: &Value, out: &mut Vec<Finding>) {
    let mut push = |kind: &str, object: String, ev: Option<String>, fv: Option<String>| {
        out.push(finding(module, "drift", kind, object, ev, fv));
    };
    let (ec, fc) = (named(e, "columns"), named(f, "columns"));
    for (name, ecol) in &ec {
        let object = format!("{t}.{name}");
        let Some(fcol) = fc.get(name) else {
            push("missing column", object, Some(text(&ecol["type"])), None);
            continue;
        };
        for (field, kind) in [
            ("type", "column type"),
            ("nullable", "column nullability"),
            ("default", "column default"),
            ("identity", "column identity"),
            ("generated", "column generated"),
        ] {
            if ecol[field] != fcol[field] {
                let show = |v: &Value| {
                    if field == "nullable" {
                        if v == &Value::Bool(true) { "NULL".to_owned() } else { "NOT NULL".to_owned() }
                    } else {
                        text(v)
                    }
                };
                push(kind, object.clone(), Some(show(&ecol[field])), Some(show(&fcol[field])));
            }
        }
    }
    for name in fc.keys().filter(|n| !ec.contains_key(*n)) {
        push("extra column", format!("{t}.{name}"), None, Some(text(&fc[name]["type"])));
    }
    if e["primary_key"]["columns"] != f["primary_key"]["columns"] {
        push(
            "primary key",
            t.to_owned(),
            Some(text(&e["primary_key"]["columns"])),
            Some(text(&f["primary_key"]["columns"])),
        );
    }
    let sets = |v: &Value| -> BTreeSet<String> {
        v["unique_constraints"].as_array().map(|a| a.iter().map(|u| text(&u["columns"])).collect()).unwrap_or_default()
    };
    let (eu, fu) = (sets(e), sets(f));
    for u in eu.difference(&fu) {
        push("missing unique constraint", format!("{t} {u}"), Some(u.clone()), None);
    }
    for u in fu.difference(&eu) {
        push("extra unique constraint", format!("{t} {u}"), None, Some(u.clone()));
    }
    let (ek, fk) = (named(e, "foreign_keys"), named(f, "foreign_keys"));
    for (name, k) in &ek {
        match fk.get(name) {
            None => push("missing foreign key", format!("{t}.{name}"), Some(text(&k["definition"])), None),
            Some(g) if k["definition"] != g["definition"] || k["on_delete"] != g["on_delete"] => {
                push("foreign key", format!("{t}.{name}"), Some(text(&k["definition"])), Some(text(&g["definition"])));
            }
            Some(_) => {}
        }
    }
    for name in fk.keys().filter(|n| !ek.contains_key(*n)) {
        push("extra foreign key", format!("{t}.{name}"), None, Some(text(&fk[name]["definition"])));
    }
    // Indexes behind primary-key and unique constraints are covered above; their names are not drift.
    let standalone = |v: &Value| -> BTreeMap<String, Value> {
        v["indexes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|i| i["constraint"].is_null())
                    .filter_map(|i| i["name"].as_str().map(|n| (n.to_owned(), i["definition"].clone())))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (ei, fi) = (standalone(e), standalone(f));
    for (name, def) in &ei {
        match fi.get(name) {
            None => push("missing index", format!("{t}.{name}"), Some(text(def)), None),
            Some(g) if g != def => push("index definition", format!("{t}.{name}"), Some(text(def)), Some(text(g))),
            Some(_) => {}
        }
    }
    for name in fi.keys().filter(|n| !ei.contains_key(*n)) {
        push("extra index", format!("{t}.{name}"), None, Some(text(&fi[name])));
    }
    let (eck, fck) = (named(e, "check_constraints"), named(f, "check_constraints"));
    for (name, c) in &eck {
        match fck.get(name) {
            None => push("missing check constraint", format!("{t}.{name}"), Some(text(&c["definition"])), None),
            Some(g) if g["definition"] != c["definition"] => push(
                "check constraint",
                format!("{t}.{name}"),
                Some(text(&c["definition"])),
                Some(text(&g["definition"])),
            ),
            Some(_) => {}
        }
    }
    for name in fck.keys().filter(|n| !eck.contains_key(*n)) {
        push("extra check constraint", format!("{t}.{name}"), None, Some(text(&fck[name]["definition"])));
    }
}

/// What selected modules need from modules outside the selection: extensions and referenced columns.
pub(crate) fn prerequisites(
    expected: &Value,
    found: &Value,
    owners: &Owners,
    selected: &BTreeSet<String>,
) -> Vec<Finding> {
    let owner = |name: &str| owners.get(name).cloned().unwrap_or_else(|| UNOWNED.to_owned());
    let mut out = Vec::new();
    let found_ext: BTreeSet<String> =
        found["extensions"].as_array().map(|a| a.iter().map(|x| text(&x["name"])).collect()).unwrap_or_default();
    for x in expected["extensions"].as_array().into_iter().flatten() {
        let name = text(&x["name"]);
        if !found_ext.contains(&name) {
            let module = owner(&format!("extension {name}"));
            out.push(finding(&module, "prerequisite", "missing extension", name, Some("installed".into()), None));
        }
    }
    let found_tables = named(found, "tables");
    let mut seen = BTreeSet::new();
    for (tname, t) in named(expected, "tables") {
        let module = owner(&tname);
        if !selected.contains(&module) {
            continue;
        }
        for fk in t["foreign_keys"].as_array().into_iter().flatten() {
            let target = text(&fk["ref_table"]);
            if selected.contains(&owner(&target)) {
                continue; // the target's own drift covers it
            }
            for col in fk["ref_columns"].as_array().into_iter().flatten() {
                let col = text(col);
                let present = found_tables
                    .get(&target)
                    .and_then(|ft| ft["columns"].as_array())
                    .is_some_and(|cols| cols.iter().any(|c| c["name"] == Value::String(col.clone())));
                if !present && seen.insert((module.clone(), target.clone(), col.clone())) {
                    out.push(finding(
                        &module,
                        "prerequisite",
                        "missing referenced column",
                        format!("{target}.{col}"),
                        Some(format!("referenced by {tname}")),
                        None,
                    ));
                }
            }
        }
    }
    out
}
