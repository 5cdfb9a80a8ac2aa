//! The audit hash chain: honest chains verify; an owner's edit, deletion or reordering is
//! named; concurrent writers never fork the chain.

use crate::harness::{envelope, run_cli, settle_audit, tenant, TestDb};
use identity::audit::chain::Break;
use identity::audit::{self, Action, Origin};
use identity::db::Db;
use identity::ids::TenantId;

async fn append(pool: &Db, tenant: TenantId, n: usize) {
    let env = envelope(&[1]);
    for i in 0..n {
        let mut tx = pool.tenant(tenant).await.unwrap();
        let origin = Origin {
            trace_id: format!("trace-{i}"),
            ip: Some("198.51.100.4".parse().unwrap()),
        };
        let ctx = audit::Context {
            envelope: &env,
            actor: "user:test",
            origin: &origin,
            now: chrono::Utc::now(),
        };
        ctx.record(
            &mut tx,
            Action::UserUpdated,
            "thing",
            serde_json::json!({"i": i, "nested": {"b": 1, "a": [1, 2]}}),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
}

async fn first_break(pool: &Db, slug: &str) -> Option<Break> {
    audit::verify::verify(pool, &envelope(&[1]), Some(slug))
        .await
        .unwrap()
        .remove(0)
        .first_break
}

#[tokio::test]
async fn verify_passes_an_honest_chain_and_names_tampered_entries() {
    let db = TestDb::new().await;
    let pool = db.db();
    let env = envelope(&[1]);
    let edited = tenant(&pool, &env, "edited").await;
    let deleted = tenant(&pool, &env, "deleted").await;
    let reordered = tenant(&pool, &env, "reordered").await;
    let honest = tenant(&pool, &env, "honest").await;
    for t in [&edited, &deleted, &reordered, &honest] {
        append(&pool, t.tenant_id, 8).await;
    }
    for slug in ["edited", "deleted", "reordered", "honest"] {
        assert_eq!(
            first_break(&pool, slug).await,
            None,
            "{slug} should verify before tampering"
        );
    }
    // IPs are stored only as salted hashes.
    let owner = db.owner().await;
    let ips: i64 = owner
        .query_one("SELECT count(*) FROM audit_log WHERE ip_hash LIKE '%198.51%' OR details::text LIKE '%198.51%'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(ips, 0);

    let t = |b: &identity::admin::bootstrap::Bootstrapped| b.tenant_id.to_string();
    owner
        .execute(
            "UPDATE audit_log SET details = '{\"i\": 100}' WHERE tenant_id = $1::text::uuid AND seq = 6",
            &[&t(&edited)],
        )
        .await
        .unwrap();
    owner
        .execute(
            "DELETE FROM audit_log WHERE tenant_id = $1::text::uuid AND seq = 5",
            &[&t(&deleted)],
        )
        .await
        .unwrap();
    for (from, to) in [(4, 1_000_004), (5, 4), (1_000_004, 5)] {
        owner
            .execute(
                "UPDATE audit_log SET seq = $2 WHERE tenant_id = $1::text::uuid AND seq = $3",
                &[&t(&reordered), &(to as i64), &(from as i64)],
            )
            .await
            .unwrap();
    }

    assert_eq!(
        first_break(&pool, "edited").await,
        Some(Break::Altered { seq: 6 })
    );
    assert_eq!(
        first_break(&pool, "deleted").await,
        Some(Break::Missing {
            expected: 5,
            found: 6
        })
    );
    assert_eq!(
        first_break(&pool, "reordered").await,
        Some(Break::Altered { seq: 4 })
    );
    assert_eq!(first_break(&pool, "honest").await, None);

    // The CLI says the same and fails.
    let (code, out, _) = run_cli(&db.env(), &["audit", "verify", "--tenant", "edited"], None);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("BROKEN at entry 6"), "{out}");
    let (code, out, _) = run_cli(&db.env(), &["audit", "verify", "--tenant", "honest"], None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("honest: ok (11 entries)"), "{out}");
}

#[tokio::test]
async fn a_rewritten_entry_with_a_recomputed_hash_breaks_the_next_link() {
    let db = TestDb::new().await;
    let pool = db.db();
    let env = envelope(&[1]);
    let t = tenant(&pool, &env, "alpha").await;
    append(&pool, t.tenant_id, 4).await;
    settle_audit(&pool).await;
    let mut tx = pool.tenant(t.tenant_id).await.unwrap();
    let mut rows = identity::db::models::audit::page(&mut tx, 0, None, 100)
        .await
        .unwrap();
    // The database owner sees only the sealed chain key, so it has to guess one.
    let sealed = identity::db::models::secrets::get(&mut tx, audit::CHAIN_KEY)
        .await
        .unwrap()
        .unwrap();
    let real_key = env
        .for_tenant(&tx)
        .await
        .unwrap()
        .open(&audit::secret_context(&tx, audit::CHAIN_KEY), &sealed)
        .unwrap()
        .to_vec();
    drop(tx);
    let owner = db.owner().await;
    let rewrite = |row: &identity::db::models::audit::AuditRow, hash: String| {
        let owner = &owner;
        let actor = row.actor.clone();
        let tenant = t.tenant_id.to_string();
        async move {
            owner
                .execute(
                    "UPDATE audit_log SET actor = $1, hash = $2 WHERE tenant_id = $3::text::uuid AND seq = 2",
                    &[&actor, &hash, &tenant],
                )
                .await
                .unwrap();
        }
    };
    let row = &mut rows[1];
    row.actor = "someone-else".into();
    let guessed = audit::chain::entry_hash(b"guessed key", &row.prev_hash, row);
    rewrite(row, guessed).await;
    assert_eq!(
        first_break(&pool, "alpha").await,
        Some(Break::Altered { seq: 2 })
    );
    // Even with the real key (which only the service holds), the next link gives it away.
    let with_key = audit::chain::entry_hash(&real_key, &row.prev_hash, row);
    rewrite(row, with_key).await;
    assert_eq!(
        first_break(&pool, "alpha").await,
        Some(Break::Unlinked { seq: 3 })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_writers_produce_one_valid_chain() {
    let db = TestDb::new().await;
    let pool = db.db();
    let t = tenant(&pool, &envelope(&[1]), "alpha").await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let pool = pool.clone();
        let tenant = t.tenant_id;
        tasks.push(tokio::spawn(async move {
            let env = envelope(&[1]);
            let mut tx = pool.tenant(tenant).await.unwrap();
            let ctx = audit::Context::without_request(&env, "user:test", chrono::Utc::now());
            ctx.record(
                &mut tx,
                Action::UserUpdated,
                "",
                serde_json::json!({"writer": i}),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }));
    }
    // Three chainers (as on three instances) race the writers and each other.
    let chainers: Vec<_> = (0..3)
        .map(|_| {
            let pool = pool.clone();
            let tenant = t.tenant_id;
            tokio::spawn(async move {
                for _ in 0..20 {
                    audit::chainer::settle(&pool, &envelope(&[1]), tenant)
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for task in tasks.into_iter().chain(chainers) {
        task.await.unwrap();
    }
    let report = audit::verify::verify(&pool, &envelope(&[1]), Some("alpha"))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(report.first_break, None);
    // tenant.created, user.created, role.granted + 50 writers
    assert_eq!(report.checked, 53);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_entries_hold_no_clear_ip_and_forged_edited_or_replayed_ones_are_refused() {
    let db = TestDb::new().await;
    let pool = db.db();
    let t = tenant(&pool, &envelope(&[1]), "alpha").await;
    settle_audit(&pool).await;
    append(&pool, t.tenant_id, 3).await;
    let owner = db.owner().await;
    let tid = t.tenant_id.to_string();
    let count = |sql: &'static str| {
        let owner = &owner;
        let tid = tid.clone();
        async move {
            owner
                .query_one(sql, &[&tid])
                .await
                .unwrap()
                .get::<_, i64>(0)
        }
    };
    const WAITING: &str = "SELECT count(*) FROM audit_pending WHERE tenant_id = $1::text::uuid";
    // Nothing runs the chainer yet: the entries wait, their IP only inside the seal.
    assert_eq!(count(WAITING).await, 3);
    let clear: i64 = owner
        .query_one(
            "SELECT count(*) FROM audit_pending p WHERE p::text LIKE '%198.51%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(clear, 0, "an IP stored in clear");
    let replay_copy = owner
        .query_one(
            "SELECT id, occurred_at, actor, action, target, trace_id, details, seal \
             FROM audit_pending WHERE trace_id = 'trace-2'",
            &[],
        )
        .await
        .unwrap();

    // The runtime role can write waiting entries, but cannot edit or remove them...
    let app = db.app().await;
    let as_app = |sql: String| {
        format!("BEGIN; SELECT set_config('app.tenant_id', '{tid}', true); {sql}; COMMIT")
    };
    for sql in [
        "UPDATE audit_pending SET action = 'nothing happened'",
        "DELETE FROM audit_pending",
    ] {
        let err = app.batch_execute(&as_app(sql.into())).await.unwrap_err();
        assert!(
            format!("{err:?}").contains("permission denied"),
            "{sql}: {err:?}"
        );
        app.batch_execute("ROLLBACK").await.unwrap();
    }
    // ...and what it forges (here with a real seal lifted from another entry) is refused.
    app.batch_execute(&as_app(
        "INSERT INTO audit_pending (id, tenant_id, occurred_at, actor, action, seal) \
         SELECT gen_random_uuid(), tenant_id, now(), 'user:attacker', 'forged.action', seal \
         FROM audit_pending WHERE trace_id = 'trace-0'"
            .into(),
    ))
    .await
    .unwrap();
    // An owner's edit of a waiting entry is refused too.
    owner
        .execute(
            "UPDATE audit_pending SET details = '{\"i\": 99}' WHERE trace_id = 'trace-1'",
            &[],
        )
        .await
        .unwrap();

    // The service's chainer finds the entries by itself (its sweep); a new commit is chained
    // without anyone asking.
    identity::audit::chainer::spawn(&pool, envelope(&[1])).unwrap();
    append(&pool, t.tenant_id, 1).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while count(WAITING).await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "entries still waiting"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let chained = || {
        let owner = &owner;
        let tid = tid.clone();
        async move {
            owner
                .query(
                    "SELECT action, trace_id, ip_hash, details FROM audit_log \
                     WHERE tenant_id = $1::text::uuid AND seq > 3 ORDER BY seq",
                    &[&tid],
                )
                .await
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r.get::<_, String>(0),
                        r.get::<_, String>(1),
                        r.get::<_, Option<String>>(2),
                        r.get::<_, serde_json::Value>(3),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let rows = chained().await;
    let actions: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert!(!actions.contains(&"forged.action"), "{actions:?}");
    let refusals: Vec<&str> = rows
        .iter()
        .filter(|r| r.0 == audit::chainer::REFUSED_ACTION)
        .map(|r| r.3["reason"].as_str().unwrap())
        .collect();
    assert_eq!(refusals.len(), 2, "{rows:?}");
    assert!(refusals.contains(&"seal does not open"), "{refusals:?}");
    assert!(
        refusals.contains(&"entry does not match its seal"),
        "{refusals:?}"
    );
    let honest: Vec<_> = rows
        .iter()
        .filter(|r| r.0 == Action::UserUpdated.as_str())
        .collect();
    assert_eq!(
        honest.len(),
        3,
        "trace-0, trace-2 and the later entry: {rows:?}"
    );
    // The same IP hashes alike (salted per tenant), never to the IP itself.
    let hash = honest[0].2.clone().unwrap();
    assert_eq!(hash.len(), 64);
    assert!(honest.iter().all(|r| r.2.as_deref() == Some(hash.as_str())));
    assert_eq!(first_break(&pool, "alpha").await, None);

    // A copy of an entry that was chained already, put back: refused, not chained twice.
    owner
        .execute(
            "INSERT INTO audit_pending (id, tenant_id, occurred_at, actor, action, target, trace_id, details, seal) \
             VALUES ($1, $2::text::uuid, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &replay_copy.get::<_, uuid::Uuid>(0),
                &tid,
                &replay_copy.get::<_, chrono::DateTime<chrono::Utc>>(1),
                &replay_copy.get::<_, String>(2),
                &replay_copy.get::<_, String>(3),
                &replay_copy.get::<_, String>(4),
                &replay_copy.get::<_, String>(5),
                &replay_copy.get::<_, serde_json::Value>(6),
                &replay_copy.get::<_, String>(7),
            ],
        )
        .await
        .unwrap();
    audit::chainer::settle(&pool, &envelope(&[1]), t.tenant_id)
        .await
        .unwrap();
    let rows = chained().await;
    assert_eq!(rows.iter().filter(|r| r.1 == "trace-2").count(), 1);
    assert_eq!(
        rows.last().unwrap().3["reason"].as_str(),
        Some("entry already chained")
    );
    assert_eq!(first_break(&pool, "alpha").await, None);
}

#[tokio::test]
async fn the_append_function_cannot_remove_a_waiting_entry_unseen() {
    let db = TestDb::new().await;
    let pool = db.db();
    let t = tenant(&pool, &envelope(&[1]), "alpha").await;
    settle_audit(&pool).await;
    append(&pool, t.tenant_id, 1).await;
    let tid = t.tenant_id.to_string();
    let app = db.app().await;
    let id: uuid::Uuid = db
        .owner()
        .await
        .query_one("SELECT id FROM audit_pending", &[])
        .await
        .unwrap()
        .get(0);
    // Someone with the runtime role's password takes the entry out through the only door,
    // which must put a row in the chain; without the chain key its hash cannot be right.
    let call = format!(
        "BEGIN; SELECT set_config('app.tenant_id', '{tid}', true); \
         SELECT audit_chain_append('{tid}', '[{{\"taken\": \"{id}\", \"entry_id\": \"{id}\", \"seq\": 4, \
         \"occurred_at\": \"2026-01-01T00:00:00Z\", \"actor\": \"x\", \"action\": \"nothing\", \"target\": \"\", \
         \"trace_id\": \"\", \"ip_hash\": null, \"details\": {{}}, \"prev_hash\": \"0\", \"hash\": \"0\"}}]'); COMMIT"
    );
    app.batch_execute(&call).await.unwrap();
    assert!(matches!(
        first_break(&pool, "alpha").await,
        Some(Break::Altered { seq: 4 })
    ));
    // Rows for entries that are not waiting, or another tenant's, are refused outright.
    let other = tenant(&pool, &envelope(&[1]), "bravo").await;
    for (as_tenant, arg) in [(&tid, tid.clone()), (&tid, other.tenant_id.to_string())] {
        let call = format!(
            "BEGIN; SELECT set_config('app.tenant_id', '{as_tenant}', true); \
             SELECT audit_chain_append('{arg}', '[{{\"taken\": \"{}\"}}]'); COMMIT",
            uuid::Uuid::now_v7()
        );
        assert!(app.batch_execute(&call).await.is_err());
        app.batch_execute("ROLLBACK").await.unwrap();
    }
}

/// The CSV export streams page by page with no row cap: every entry of the period chained
/// when it began, in order, and not the export's own entry (written first, chained after).
#[tokio::test]
async fn the_csv_export_streams_every_page_of_the_period() {
    let site = crate::browser::Site::start(crate::browser::Reached::ByAddress).await;
    append(&site.pool, site.t.tenant_id, 2_100).await;
    settle_audit(&site.pool).await;
    let res = site
        .app
        .send(
            &site.admin_key,
            reqwest::Method::GET,
            "/admin/v1/audit/export",
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("seq,occurred_at"));
    let seqs: Vec<i64> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    let chained: i64 = site
        .db
        .owner()
        .await
        .query_one(
            "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action <> 'audit.exported'",
            &[&site.t.tenant_id.0],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(seqs.len() as i64, chained, "every entry, over three pages");
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "in chain order, none twice"
    );
    assert!(
        !csv.contains("audit.exported"),
        "the export's own entry comes after it"
    );
}
