//! Broken manifests: each is an error naming file, line and culprit, with nothing touched.

use crate::support::{TestDb, expect_code, host, stderr};

const REAL: &str = include_str!("../../migrations.toml");

/// Each case edits the real manifest and states what the error must say.
fn cases() -> Vec<(&'static str, String, Vec<String>)> {
    let line_of = |text: &str, needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let mut v = Vec::new();

    let t = REAL
        .replace("[modules.claims]\nversion = \"1.2.0\"", "[modules.claims]\nversion = \"1.2.0\"\nowner = \"billing\"");
    v.push((
        "unknown key",
        t.clone(),
        vec![format!("line {}, column 1: unknown field `owner`", line_of(&t, "owner ="))],
    ));

    let t = REAL.replace("[modules.consents]\nversion = \"1.2.0\"", "[modules.consents]\nversion = \"1.0\"");
    v.push((
        "bad semver",
        t.clone(),
        vec![format!(":{}:11: module `consents`: version `1.0` is not semver", line_of(&t, "consents]") + 1)],
    ));

    let t = REAL.replace(
        "[modules.tasks]\nversion = \"1.2.0\"\nrequires = { core = \"^1.0\" }",
        "[modules.tasks]\nversion = \"1.2.0\"\nrequires = { core = \"^1.0\", medications = \"^2.0\" }",
    );
    v.push(("unsatisfiable constraint", t.clone(), vec![format!(
        ":{}:43: tasks@1.0.0 requires medications ^2.0, but the build carries medications@1.2.0; change the constraint or the medications version",
        line_of(&t, "medications = \"^2.0\"")
    )]));

    let t = format!("{REAL}\n[modules.pharmacy]\nversion = \"1.0.0\"\n");
    v.push((
        "module missing from the build",
        t.clone(),
        vec![format!(
            ":{}:11: module `pharmacy` is listed but the build has no such module; create modules/pharmacy",
            line_of(&t, "[modules.pharmacy]") + 1
        )],
    ));

    let t = REAL.replace(
        "[modules.webrtc]\nversion = \"1.2.0\"\nrequires = { core = \"^1.0\" }\nsince.\"1.2.0\".requires = { appointments = \"^1.0\", clinical-notes = \"^1.0\" }   # calls.appointmentId, calls.clinicalNoteId get foreign keys\nplugins.verify = \"plugins/verify\"   # every appointment, clinical note and ...By user named exists\n",
        "",
    );
    v.push(("module in the build but not listed", t, vec![
        "module `webrtc` (modules/webrtc) is in the build but not listed; add [modules.webrtc] with version = \"1.2.0\"".to_owned(),
    ]));

    let t = REAL.replace("[modules.core]\nversion = \"1.2.0\"", "[modules.core]\nversion = \"1.3.0\"");
    v.push(("version differs from the crate", t.clone(), vec![format!(
        ":{}:11: module `core` is listed at version 1.3.0 but its crate (modules/core/Cargo.toml) is 1.2.0; make the two agree",
        line_of(&t, "[modules.core]") + 1
    )]));

    let t = REAL
        .replace(
            "[modules.tasks]\nversion = \"1.2.0\"\nrequires = { core = \"^1.0\" }",
            "[modules.tasks]\nversion = \"1.2.0\"\nrequires = { core = \"^1.0\", appointments = \"^1.0\" }",
        )
        .replace(
            "[modules.appointments]\nversion = \"1.2.0\"\nrequires = { core = \"^1.0\" }",
            "[modules.appointments]\nversion = \"1.2.0\"\nrequires = { core = \"^1.0\", tasks = \"^1.0\" }",
        );
    v.push((
        "dependency cycle",
        t.clone(),
        vec![
            "dependency cycle: appointments@1.0.0 -> tasks@1.0.0 -> appointments@1.0.0; declared at ".to_owned(),
            format!(":{}:37 (appointments requires tasks), ", line_of(&t, "core = \"^1.0\", tasks")),
            format!(
                ":{}:44 (tasks requires appointments); declare one of these requirements at a later version",
                line_of(&t, "core = \"^1.0\", appointments")
            ),
        ],
    ));

    let t = REAL.replace("lock_timeout = \"10s\"", "lock_timeout = \"10 seconds\"");
    v.push((
        "bad duration",
        t.clone(),
        vec![format!(":{}:16: host.lock_timeout: `10 seconds` has no known unit", line_of(&t, "10 seconds"))],
    ));

    let t = REAL.replace(
        "[modules.push-notifications]\nversion = \"1.2.0\"\nrequires = { core = \"^1.0\" }\n",
        "[modules.push-notifications]\nversion = \"1.2.0\"\nrequires = { core = \"^1.0\" \n",
    );
    v.push(("toml syntax", t, vec!["migrations.toml: line ".to_owned()]));

    // Too long for PostgreSQL, or for any integer: refused here, not by the server later,
    // and never wrapped round to a small number (or to 0, no limit at all).
    for huge in ["99999999999h", "144115188075855872h"] {
        let t = REAL.replace("lock_timeout = \"10s\"", &format!("lock_timeout = \"{huge}\""));
        v.push((
            "duration too long",
            t.clone(),
            vec![format!(
                ":{}:16: host.lock_timeout: `{huge}` is longer than PostgreSQL accepts for a timeout (2147483647ms, about 24 days)",
                line_of(&t, huge)
            )],
        ));
    }

    let t = REAL.replace(
        "[modules.claims]\nversion = \"1.2.0\"\nrequires = { core = \"^1.0\" }",
        "[modules.claims]\nversion = \"1.2.0\"\nrequires = { core = \"^1.0\", ledger = \"^1.0\" }",
    );
    v.push((
        "requirement on an unknown module",
        t,
        vec!["module `claims` requires `ledger`, which is not a listed module".to_owned()],
    ));
    v
}

#[tokio::test]
async fn each_broken_manifest_names_the_culprit_and_touches_nothing() {
    let db = TestDb::new("manifest_errors").await;
    let dir = std::env::temp_dir().join(format!("vytal-manifests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("migrations.toml");
    let path_str = path.to_str().unwrap();
    for (case, text, expected) in cases() {
        assert_ne!(text, REAL, "case `{case}` must change the manifest");
        std::fs::write(&path, &text).unwrap();
        for command in [&["run"][..], &["plan", "--all"], &["status"]] {
            let mut args = vec!["--manifest", path_str];
            args.extend_from_slice(command);
            let o = host(Some(&db), &args);
            expect_code(&o, 2);
            let err = stderr(&o);
            assert!(err.starts_with("error: ") && err.contains(path_str), "case `{case}`: the file is named:\n{err}");
            for e in &expected {
                assert!(err.contains(e.as_str()), "case `{case}`, {command:?}: expected `{e}` in:\n{err}");
            }
        }
    }
    assert!(db.tables().await.is_empty(), "no module table was created");
    assert_eq!(db.count("SELECT count(*) FROM pg_namespace WHERE nspname = 'vytal'").await, 0, "no ledger was created");
    std::fs::remove_dir_all(dir).unwrap();
    db.drop().await;
}

#[test]
fn the_manifest_can_come_from_the_environment() {
    let dir = std::env::temp_dir().join(format!("vytal-manifest-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("m.toml");
    std::fs::write(&path, REAL.replace("[modules.core]\nversion = \"1.2.0\"", "[modules.core]\nversion = \"9\""))
        .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_vytal-host"))
        .args(["plan", "--all"])
        .env("VYTAL_MANIFEST", &path)
        .output()
        .unwrap();
    expect_code(&o, 2);
    assert!(stderr(&o).contains("module `core`: version `9` is not semver"), "{}", stderr(&o));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_missing_manifest_file_says_how_to_pass_one() {
    let o = host(None, &["--manifest", "/nonexistent/migrations.toml", "plan", "--all"]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("cannot read manifest /nonexistent/migrations.toml"), "{}", stderr(&o));
    assert!(stderr(&o).contains("pass an existing file"), "{}", stderr(&o));
    // A file that is there but is not text: said so, and the cause once.
    let binary = std::env::temp_dir().join(format!("vt_manifest_binary_{}", std::process::id()));
    std::fs::write(&binary, [0xffu8, 0xfe, 0x00, 0x9f, 0x92, 0x96]).unwrap();
    let o = host(None, &["--manifest", binary.to_str().unwrap(), "plan", "--all"]);
    expect_code(&o, 2);
    let err = stderr(&o);
    assert!(err.contains("it is not a text file (not UTF-8): pass a migrations.toml"), "{err}");
    assert!(!err.contains("pass an existing file"), "{err}");
    assert_eq!(err.matches("valid UTF-8").count(), 1, "the cause once: {err}");
    std::fs::remove_file(binary).unwrap();
}
