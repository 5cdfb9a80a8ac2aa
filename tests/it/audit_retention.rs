//! Audit retention: entries older than the window leave the log as a prefix of the chain,
//! the cut is recorded in the chain, and `audit verify` passes from it; entries removed by
//! hand (without a cut the chain vouches for) and edits of kept entries are still caught.

use crate::harness::{envelope, settle_audit, tenant, TestDb};
use identity::audit::chain::Break;
use identity::audit::{self, retention, Action, Origin};
use identity::db::Db;
use identity::ids::TenantId;

const WINDOW_DAYS: i64 = 365;

async fn append(pool: &Db, tenant: TenantId, n: usize) {
    let (env, origin) = (envelope(&[1]), Origin::default());
    for i in 0..n {
        let mut tx = pool.tenant(tenant).await.unwrap();
        let ctx = audit::Context {
            envelope: &env,
            actor: "user:test",
            origin: &origin,
            now: chrono::Utc::now(),
        };
        let details = serde_json::json!({ "i": i });
        ctx.record(&mut tx, Action::UserUpdated, "thing", details)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
}

async fn first_break(pool: &Db, slug: &str) -> Option<Break> {
    let reports = audit::verify::verify(pool, &envelope(&[1]), Some(slug)).await;
    reports.unwrap().remove(0).first_break
}

/// A workspace whose bootstrap entries and 4 more are older than `cut_at`, then 3 newer.
async fn aged(pool: &Db, slug: &str) -> (TenantId, chrono::DateTime<chrono::Utc>) {
    let t = tenant(pool, &envelope(&[1]), slug).await;
    append(pool, t.tenant_id, 4).await;
    settle_audit(pool).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let cut_at = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    append(pool, t.tenant_id, 3).await;
    settle_audit(pool).await;
    (t.tenant_id, cut_at)
}

/// The retention run as of a day `WINDOW_DAYS` after `cut_at`: entries before it are old.
async fn retain(pool: &Db, tenant: TenantId, cut_at: chrono::DateTime<chrono::Utc>) -> i64 {
    let (env, origin) = (envelope(&[1]), Origin::default());
    let window = chrono::Duration::days(WINDOW_DAYS);
    let ctx = audit::Context {
        envelope: &env,
        actor: "system",
        origin: &origin,
        now: cut_at + window,
    };
    let cut = retention::cut(pool, &ctx, tenant, window).await.unwrap();
    settle_audit(pool).await;
    cut.removed
}

async fn seqs(db: &TestDb, tenant: TenantId) -> Vec<i64> {
    let rows = db
        .owner()
        .await
        .query(
            "SELECT seq FROM audit_log WHERE tenant_id = $1 ORDER BY seq",
            &[&tenant.0],
        )
        .await
        .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

#[tokio::test]
async fn old_entries_leave_and_the_chain_verifies_from_the_recorded_cut() {
    let db = TestDb::new().await;
    let pool = db.db();
    let (alpha, cut_at) = aged(&pool, "alpha").await;
    assert_eq!(seqs(&db, alpha).await, (1..=10).collect::<Vec<_>>());

    assert_eq!(
        retain(&pool, alpha, cut_at).await,
        7,
        "bootstrap's 3 and the 4 older"
    );
    assert_eq!(
        seqs(&db, alpha).await,
        vec![8, 9, 10, 11],
        "the 3 newer and the cut"
    );
    let cut = db
        .owner()
        .await
        .query_one(
            "SELECT actor, details FROM audit_log WHERE tenant_id = $1 AND action = 'audit.retention_cut'",
            &[&alpha.0],
        )
        .await
        .unwrap();
    let details: serde_json::Value = cut.get(1);
    assert_eq!(cut.get::<_, String>(0), "system");
    assert_eq!(
        (details["removed"].clone(), details["through_seq"].clone()),
        (7.into(), 7.into())
    );
    assert_eq!(
        first_break(&pool, "alpha").await,
        None,
        "verifies from the cut"
    );
    assert_eq!(
        retain(&pool, alpha, cut_at).await,
        0,
        "a second run finds nothing"
    );

    // An edit of a kept entry is still named.
    db.owner()
        .await
        .execute(
            "UPDATE audit_log SET target = 'other' WHERE tenant_id = $1 AND seq = 9",
            &[&alpha.0],
        )
        .await
        .unwrap();
    assert_eq!(
        first_break(&pool, "alpha").await,
        Some(Break::Altered { seq: 9 })
    );
}

#[tokio::test]
async fn entries_removed_without_a_cut_the_chain_vouches_for_are_a_break() {
    let db = TestDb::new().await;
    let pool = db.db();
    // The oldest entries deleted by hand, as if retention had run: no record in the chain.
    let (beta, _) = aged(&pool, "beta").await;
    db.owner()
        .await
        .execute(
            "DELETE FROM audit_log WHERE tenant_id = $1 AND seq <= 7",
            &[&beta.0],
        )
        .await
        .unwrap();
    assert_eq!(
        first_break(&pool, "beta").await,
        Some(Break::Uncut { first: 8 })
    );

    // A real cut, then one more kept entry deleted by hand: the cut no longer matches.
    let (gamma, cut_at) = aged(&pool, "gamma").await;
    assert_eq!(retain(&pool, gamma, cut_at).await, 7);
    db.owner()
        .await
        .execute(
            "DELETE FROM audit_log WHERE tenant_id = $1 AND seq = 8",
            &[&gamma.0],
        )
        .await
        .unwrap();
    assert_eq!(
        first_break(&pool, "gamma").await,
        Some(Break::Uncut { first: 9 })
    );

    // The head is never removed, however old: the next entry still links to it.
    let (delta, _) = aged(&pool, "delta").await;
    let far = chrono::Utc::now() + chrono::Duration::days(10);
    assert_eq!(retain(&pool, delta, far).await, 9, "all but the head");
    append(&pool, delta, 1).await;
    settle_audit(&pool).await;
    assert_eq!(seqs(&db, delta).await, vec![10, 11, 12]);
    assert_eq!(first_break(&pool, "delta").await, None);
}

/// The purge of expired rows as of `now`: what went, by count.
async fn purge_at(
    pool: &Db,
    tenant: TenantId,
    now: chrono::DateTime<chrono::Utc>,
) -> identity::db::models::expired::Purged {
    let env = envelope(&[1]);
    let ctx = audit::Context::without_request(&env, "system", now);
    retention::purge_expired(pool, &ctx, tenant).await.unwrap()
}

#[tokio::test]
async fn expired_sessions_and_links_are_purged_a_day_after_their_use_ends_and_audited() {
    use crate::browser::{Browser, Reached, Site};
    use reqwest::Method;
    let site = Site::start(Reached::ByAddress).await;
    let (admin, tenant) = (site.t.admin_user_id.0, site.t.tenant_id);
    for _ in 0..2 {
        let mut b = Browser::new(&site.app);
        let (status, _, _) = b.password("admin@alpha.example", &[]).await;
        assert_eq!(status, 303);
    }
    let sessions = format!("/admin/v1/users/{admin}/sessions");
    let (_, listed) = site
        .app
        .call(&site.admin_key, Method::GET, &sessions, None)
        .await;
    let ended = listed["sessions"][0]["id"].as_str().unwrap().to_string();
    let end = format!("{sessions}/{ended}");
    let (status, _) = site
        .app
        .call(&site.admin_key, Method::DELETE, &end, None)
        .await;
    assert_eq!(status, 204);
    let reset = format!("/admin/v1/users/{admin}/password-reset");
    let (status, _) = site
        .app
        .call(&site.admin_key, Method::POST, &reset, None)
        .await;
    assert_eq!(status, 202);

    let now = chrono::Utc::now();
    let kept = purge_at(&site.pool, tenant, now).await;
    assert_eq!(
        kept.total(),
        0,
        "nothing is a day past its use yet: {kept:?}"
    );
    let later = purge_at(&site.pool, tenant, now + chrono::Duration::days(2)).await;
    assert_eq!(
        (later.sessions, later.reset_links),
        (2, 1),
        "the ended session, the one past its 12 hours, and the link: {later:?}"
    );
    let (_, listed) = site
        .app
        .call(&site.admin_key, Method::GET, &sessions, None)
        .await;
    assert_eq!(listed["sessions"], serde_json::json!([]));
    settle_audit(&site.pool).await;
    let owner = site.db.owner().await;
    let row = owner
        .query_one(
            "SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'retention.purged'",
            &[&tenant.0],
        )
        .await
        .unwrap();
    let details: serde_json::Value = row.get(0);
    assert_eq!(
        (details["sessions"].clone(), details["reset_links"].clone()),
        (2.into(), 1.into())
    );
    assert_eq!(first_break(&site.pool, "alpha").await, None);
}
