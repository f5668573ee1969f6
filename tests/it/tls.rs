//! TLS: sslmode and sslrootcert from the URL or PGSSLMODE/PGSSLROOTCERT,
//! against the local server (which has ssl on, with a certificate for
//! `localhost`), and the failures an operator meets, each with what to do.

use crate::support::{TestDb, expect_code, server_url, stderr};

/// Runs the binary with exactly this URL (and extra environment).
fn host_at(url: &str, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_vytal-host"));
    cmd.args(args).env("DATABASE_URL", url).env("NO_COLOR", "1").env_remove("PGSSLMODE").env_remove("PGSSLROOTCERT");
    cmd.envs(env.iter().copied()).current_dir(std::env::temp_dir());
    cmd.output().unwrap()
}

/// The server's certificate, which is self-signed: its own CA.
async fn server_certificate(db: &TestDb) -> String {
    let mut c = db.conn().await;
    let path: String = sqlx::query_scalar("SELECT current_setting('ssl_cert_file')").fetch_one(&mut c).await.unwrap();
    let on: String = sqlx::query_scalar("SELECT current_setting('ssl')").fetch_one(&mut c).await.unwrap();
    assert_eq!(on, "on", "these tests need a server with ssl = on (Debian's default cluster has it)");
    std::fs::canonicalize(path).unwrap().display().to_string()
}

fn connection_line(out: &str) -> String {
    out.lines().find(|l| l.starts_with("connection: ")).unwrap_or_default().to_owned()
}

#[tokio::test]
async fn sslmode_decides_and_status_and_the_event_log_say_what_was_used() {
    let db = TestDb::new("tls_modes").await;
    let base = format!("{}/{}", server_url(), db.name);
    for (query, encrypted) in
        [("", true), ("?sslmode=disable", false), ("?sslmode=prefer", true), ("?sslmode=require", true)]
    {
        let out = expect_code(&host_at(&format!("{base}{query}"), &[], &["status"]), 0);
        let line = connection_line(&out);
        assert_eq!(line.starts_with("connection: encrypted (TLSv1."), encrypted, "{query}: {line}");
    }
    // PGSSLMODE applies when the URL does not say; a mode that does not exist is refused, not ignored.
    let out = expect_code(&host_at(&base, &[("PGSSLMODE", "disable")], &["status"]), 0);
    assert!(connection_line(&out).starts_with("connection: NOT encrypted"), "{out}");
    let o = host_at(&base, &[("PGSSLMODE", "requir")], &["status"]);
    expect_code(&o, 2);
    assert!(
        stderr(&o)
            .contains("PGSSLMODE `requir` is not a TLS mode; use disable, prefer, require, verify-ca or verify-full")
    );

    // The event log records the connection of every event.
    expect_code(&host_at(&format!("{base}?sslmode=require"), &[], &["run"]), 0);
    let tls: Vec<String> = {
        let mut c = db.conn().await;
        sqlx::query_scalar("SELECT coalesce(details->>'tls', 'none') FROM vytal.events ORDER BY seq")
            .fetch_all(&mut c)
            .await
            .unwrap()
    };
    assert!(!tls.is_empty() && tls.iter().all(|t| t.starts_with("TLSv1.")), "{tls:?}");
    expect_code(&host_at(&format!("{base}?sslmode=disable"), &[], &["run"]), 0);
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.events WHERE kind = 'run' AND details->'tls' = 'null'::jsonb").await,
        1
    );
    db.drop().await;
}

#[tokio::test]
async fn verify_full_checks_the_ca_and_the_host_name() {
    let db = TestDb::new("tls_verify").await;
    let cert = server_certificate(&db).await;
    let port = server_url().rsplit(':').next().unwrap().to_owned();
    let at = |host: &str, mode: &str, root: &str| {
        format!("postgres://postgres@{host}:{port}/{}?sslmode={mode}&sslrootcert={root}", db.name)
    };
    // The certificate names `localhost`, and is its own CA.
    let out = expect_code(&host_at(&at("localhost", "verify-full", &cert), &[], &["status"]), 0);
    assert!(connection_line(&out).starts_with("connection: encrypted"), "{out}");
    // The same through PGSSLMODE and PGSSLROOTCERT.
    let plain = format!("postgres://postgres@localhost:{port}/{}", db.name);
    let env = [("PGSSLMODE", "verify-full"), ("PGSSLROOTCERT", cert.as_str())];
    expect_code(&host_at(&plain, &env, &["status"]), 0);

    // Another host name: the certificate does not name it.
    let o = host_at(&at("127.0.0.1", "verify-full", &cert), &[], &["status"]);
    expect_code(&o, 2);
    assert!(
        stderr(&o).contains("the server's certificate does not name the host `127.0.0.1`: connect with a host name the certificate carries, or use sslmode=verify-ca"),
        "{}",
        stderr(&o)
    );
    // verify-ca checks the CA only, so the address is fine there.
    expect_code(&host_at(&at("127.0.0.1", "verify-ca", &cert), &[], &["status"]), 0);

    // A CA that did not sign the server's certificate: made here, for this test.
    let dir = std::env::temp_dir().join(format!("vt_tls_ca_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=vytal test CA", "-keyout"])
        .arg(dir.join("ca.key"))
        .arg("-out")
        .arg(&ca)
        .output()
        .expect("openssl makes the test CA");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    for mode in ["verify-ca", "verify-full"] {
        let o = host_at(&at("localhost", mode, ca.to_str().unwrap()), &[], &["status"]);
        expect_code(&o, 2);
        assert!(
            stderr(&o).contains("the server's certificate is not signed by a CA this host trusts"),
            "{mode}: {}",
            stderr(&o)
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
    db.drop().await;
}
