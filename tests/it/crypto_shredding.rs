//! Crypto-shredding: a workspace's purge destroys its key first, so a backup of the database
//! taken before the purge, restored into a fresh database, opens nothing of that workspace,
//! while every other workspace in the same backup opens as before.

use crate::datastore_tls::run;
use crate::harness::{admin_base, connect, envelope, run_cli, settle_audit, tenant, TestDb};
use identity::admin::purge_proof;
use identity::db::{Db, PoolSettings};
use identity::ids::TenantId;
use serde_json::Value;
use std::process::Command;

/// Mail waiting for each workspace: a sealed recipient and body besides its audit secrets.
async fn queue_mail(pool: &Db, tenant: TenantId) {
    let mut tx = pool.tenant(tenant).await.unwrap();
    let now = chrono::Utc::now();
    let to = "pat.doe@customer.example";
    identity::mail::outbox::enqueue(&mut tx, &envelope(&[1]), to, "Hello", "Body text", now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_backup_from_before_the_purge_opens_nothing_of_the_purged_workspace() {
    let db = TestDb::new().await;
    let pool = db.db();
    let env = envelope(&[1]);
    let alpha = tenant(&pool, &env, "alpha").await.tenant_id;
    let bravo = tenant(&pool, &env, "bravo").await.tenant_id;
    for t in [alpha, bravo] {
        queue_mail(&pool, t).await;
    }
    settle_audit(&pool).await;

    // The backup, as an operator takes it: the whole data database.
    let dump = std::env::temp_dir().join(format!("{}.sql", db.name));
    run(Command::new("pg_dump")
        .arg("--dbname")
        .arg(db.owner_url())
        .arg("--file")
        .arg(&dump));

    let cli = |args: &[&str]| run_cli(&db.env(), args, None);
    let (code, _, err) = cli(&["tenants", "cancel", "--tenant", "alpha"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = cli(&[
        "tenants",
        "purge",
        "--tenant",
        "alpha",
        "--now",
        "--confirm",
        "alpha",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 key version(s) destroyed"), "{out}");

    // The backup restored into a fresh database, beside the live keys database.
    let restored = format!("{}_restored", db.name);
    let admin = connect(&format!("{}/postgres", admin_base())).await;
    admin
        .batch_execute(&format!("CREATE DATABASE {restored}"))
        .await
        .unwrap();
    run(Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1", "--dbname"])
        .arg(format!("{}/{restored}", admin_base()))
        .arg("--file")
        .arg(&dump));
    let _ = std::fs::remove_file(&dump);
    let restored_app_url = db.app_url().replace(&db.name, &restored);

    // The report proves it: no key left, no row left, and nothing in the backup opens.
    let (code, out, err) = cli(&[
        "tenants",
        "purge-report",
        "--tenant",
        "alpha",
        "--backup-url",
        &restored_app_url,
    ]);
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["keys"]["destroyed_at_purge"], 1, "{report}");
    assert_eq!(report["keys"]["live_now"], 0, "{report}");
    assert_eq!(report["database"]["values"], 0, "{report}");
    let backup = &report["backup"];
    assert!(backup["values"].as_u64().unwrap() >= 4, "{report}");
    assert_eq!(backup["opened"], 0, "{report}");
    assert_eq!(
        backup["refusals"]["the workspace's key has been destroyed"], backup["values"],
        "{report}"
    );

    // The other workspace in the same backup opens in full.
    let restored_db = Db::connect(&PoolSettings {
        url: restored_app_url.clone().into(),
        keys_url: db.keys_app_url().into(),
        max_size: 2,
        acquire_timeout: std::time::Duration::from_secs(5),
    })
    .unwrap();
    let other = purge_proof::probe(&restored_db, &env, bravo).await.unwrap();
    assert!(other.values >= 4, "{other:?}");
    assert_eq!(other.opened, other.values, "{other:?}");
    // And the purged one, probed directly, the same as the report says.
    let gone = purge_proof::probe(&restored_db, &env, alpha).await.unwrap();
    assert_eq!((gone.values, gone.opened), (other.values, 0), "{gone:?}");
    drop(restored_db);
    admin
        .batch_execute(&format!("DROP DATABASE {restored} WITH (FORCE)"))
        .await
        .unwrap();
}
