//! Cancelling a workspace: refused everywhere while its data is kept, resumable in that
//! time, then purged to the last row (and never brought back), with a report of what went.

use crate::browser::{authorize_url, Browser, Reached, Site};
use crate::harness::{envelope, run_cli, settle_audit, tenant};
use identity::admin::tenant_lifecycle;
use identity::audit::{Context, Origin};
use reqwest::Method;
use serde_json::Value;

/// Rows the workspace still has, by table, in every table with a `tenant_id`.
async fn rows_left(site: &Site, tenant: uuid::Uuid) -> Vec<(String, i64)> {
    let owner = site.db.owner().await;
    let tables = owner
        .query(
            "SELECT c.table_name::text FROM information_schema.columns c \
             JOIN information_schema.tables t USING (table_schema, table_name) \
             WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' \
             AND t.table_type = 'BASE TABLE'",
            &[],
        )
        .await
        .unwrap();
    let mut left = Vec::new();
    for t in tables {
        let name: String = t.get(0);
        let sql = format!("SELECT count(*) FROM {name} WHERE tenant_id = $1");
        let n: i64 = owner.query_one(&sql, &[&tenant]).await.unwrap().get(0);
        if n > 0 {
            left.push((name, n));
        }
    }
    left
}

async fn admin_status(site: &Site) -> u16 {
    let path = "/admin/v1/users";
    site.app
        .call(&site.admin_key, Method::GET, path, None)
        .await
        .0
}

#[tokio::test]
async fn a_cancelled_workspace_is_refused_kept_resumable_then_purged_to_the_last_row() {
    let site = Site::start(Reached::ByAddress).await;
    let env = site.db.env();
    let beta = tenant(&site.pool, &envelope(&[1]), "beta").await;
    let alpha = site.t.tenant_id.0;
    let mut b = Browser::new(&site.app);
    assert_eq!(b.password("admin@alpha.example", &[]).await.0, 303);
    assert_eq!(admin_status(&site).await, 200);
    let cli = |args: &[&str]| run_cli(&env, args, None);

    let (code, out, err) = cli(&["tenants", "cancel", "--tenant", "alpha"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("kept 30 days"), "{out}");
    assert_eq!(admin_status(&site).await, 403, "refused while kept");
    let mut late = Browser::new(&site.app);
    let (status, page, _) = late.get(&authorize_url(&[])).await;
    assert_eq!(status, 403, "no sign-in: {page}");
    let (code, _, _) = cli(&["tenants", "purge", "--tenant", "alpha", "--now"]);
    assert_ne!(code, 0, "a purge by hand needs the slug repeated");
    let (code, _, err) = cli(&["tenants", "resume", "--tenant", "alpha"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(admin_status(&site).await, 200, "resumed with everything");

    let (code, _, err) = cli(&["tenants", "cancel", "--tenant", "alpha", "--keep-days", "1"]);
    assert_eq!(code, 0, "{err}");
    let (key, origin) = (envelope(&[1]), Origin::default());
    let at = |now| Context {
        envelope: &key,
        actor: "system",
        origin: &origin,
        now,
    };
    let now = chrono::Utc::now();
    let kept = tenant_lifecycle::purge_due(&site.pool, &at(now), 30)
        .await
        .unwrap();
    assert_eq!(kept, 0, "its day is not over");
    let later = now + chrono::Duration::days(2);
    let purged = tenant_lifecycle::purge_due(&site.pool, &at(later), 30)
        .await
        .unwrap();
    assert_eq!(purged, 1);

    assert_eq!(
        rows_left(&site, alpha).await,
        vec![],
        "nothing of alpha is left"
    );
    let beta_left = rows_left(&site, beta.tenant_id.0).await;
    assert!(
        beta_left.iter().any(|(t, n)| t == "users" && *n == 1),
        "{beta_left:?}"
    );
    assert!([401, 403].contains(&admin_status(&site).await));
    let (code, _, err) = cli(&["tenants", "resume", "--tenant", "alpha"]);
    assert_ne!(code, 0, "a purged workspace is not brought back");
    assert!(err.contains("purged"), "{err}");

    let (code, out, err) = cli(&["tenants", "purge-report", "--tenant", "alpha"]);
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(out.trim()).unwrap();
    let tables = report["tables"].as_array().unwrap();
    let removed = |name: &str| {
        let found = tables.iter().find(|t| t["table_name"] == name);
        found.map_or(0, |t| t["removed"].as_i64().unwrap())
    };
    assert_eq!(removed("users"), 1, "{report}");
    assert!(
        removed("sessions") >= 1 && removed("audit_log") >= 1,
        "{report}"
    );
    assert_eq!(report["purged_by"], "system");
    settle_audit(&site.pool).await;
    let (code, out, err) = cli(&["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
}
