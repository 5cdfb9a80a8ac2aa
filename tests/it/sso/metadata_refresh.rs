//! IdP metadata given by URL is fetched again, on demand and on a schedule. A signing-key
//! rollover at the same URL under the same entity id is taken over: links stay, sign-in
//! works under the new key, the audit entry names the old and new fingerprints. Another
//! entity id at that URL is refused (that is another IdP, which takes an admin's replace),
//! and pasted metadata is never fetched.

use super::saml::{connect, next, sign_in, EMAIL};
use super::*;

async fn rotate(idp: &Idp, body: Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/rotate", idp.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
}

async fn refresh(r: &Rig, connection: &str) -> (u16, Value) {
    let path = format!("/admin/v1/sso-connections/{connection}/metadata-refresh");
    r.admin("POST", &path, None).await
}

async fn links_of(r: &Rig, connection: &str) -> i64 {
    let id = uuid::Uuid::parse_str(connection).unwrap();
    let sql = "SELECT count(*) FROM sso_identities WHERE connection_id = $1";
    r.db.owner()
        .await
        .query_one(sql, &[&id])
        .await
        .unwrap()
        .get(0)
}

/// A connection made from the IdP's metadata URL, with one person signed in (linked).
async fn linked_by_url(r: &Rig, idp: &Idp) -> String {
    let url = format!("{}/metadata", idp.base);
    let connection = connect(r, idp, json!({ "saml": { "idp_metadata_url": url } })).await;
    next(idp, json!({"mode": "ok", "groups": []})).await;
    let (a, _, _) = sign_in(r, idp, &mut Browser::new(), EMAIL).await;
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(links_of(r, &connection).await, 1);
    connection
}

#[tokio::test]
async fn a_key_rollover_at_the_metadata_url_keeps_links_and_another_entity_id_is_refused() {
    let r = rig().await;
    let idp = Idp::saml();
    let connection = linked_by_url(&r, &idp).await;
    let (status, v) = refresh(&r, &connection).await;
    assert_eq!((status, &v["result"]), (200, &json!("unchanged")), "{v}");

    rotate(&idp, json!({})).await;
    let (_, v) = refresh(&r, &connection).await;
    assert_eq!(v["result"], "rolled_over", "{v}");
    assert_ne!(v["old_fingerprints"], v["new_fingerprints"]);
    assert_eq!(links_of(&r, &connection).await, 1, "a rollover keeps links");
    let (a, _, _) = sign_in(&r, &idp, &mut Browser::new(), EMAIL).await;
    assert_eq!(a.status, 303, "signed in under the new key: {}", a.body);
    let audited = r.audit_rows("sso_connection.metadata_refreshed").await;
    assert_eq!(
        audited.last().unwrap()["new_fingerprints"],
        v["new_fingerprints"]
    );

    // The same URL now speaks for another entity: not taken over, links untouched.
    rotate(
        &idp,
        json!({"entity_id": "https://someone-else.example/idp"}),
    )
    .await;
    let (_, v) = refresh(&r, &connection).await;
    assert_eq!(v["result"], "refused", "{v}");
    assert!(v["reason"].as_str().unwrap().contains("entity id"), "{v}");
    assert_eq!(links_of(&r, &connection).await, 1);
    let (a, _, _) = sign_in(&r, &idp, &mut Browser::new(), EMAIL).await;
    assert!(a.location.is_none(), "the other entity signed someone in");
    assert_eq!(
        r.audit_rows("sso_connection.metadata_refresh_refused")
            .await
            .len(),
        1
    );

    // Pasted metadata has no URL to fetch; a key without sso:write may not ask.
    let pasted = connect(&r, &idp, json!({"domains": [{"domain": "globex.test"}]})).await;
    assert_eq!(refresh(&r, &pasted).await.0, 400);
    let role =
        json!({"name": "viewer-sso", "description": "Reads people", "permissions": ["users:read"]});
    assert_eq!(r.admin("POST", "/admin/v1/roles", Some(role)).await.0, 201);
    let narrow = admin_key(&r.db.db(), r.t.tenant_id, "viewer-sso").await;
    let path = format!("/admin/v1/sso-connections/{connection}/metadata-refresh");
    let res = r
        .app
        .http
        .post(r.app.url(&path))
        .bearer_auth(&narrow)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    r.app.stop().await;
}

#[tokio::test]
async fn the_schedule_takes_a_rollover_over_by_itself() {
    let db = crate::harness::TestDb::new().await;
    let mut settings = db.settings();
    settings.sso.metadata_refresh_secs = 2;
    let r = rig_with(settings, db).await;
    let idp = Idp::saml();
    let connection = linked_by_url(&r, &idp).await;
    rotate(&idp, json!({})).await;
    let owner = r.db.owner().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        settle_audit(&r.db.db()).await;
        let sql = "SELECT count(*) FROM audit_log \
                   WHERE action = 'sso_connection.metadata_refreshed' AND actor = 'system'";
        let n: i64 = owner.query_one(sql, &[]).await.unwrap().get(0);
        if n > 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no scheduled refresh");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(links_of(&r, &connection).await, 1);
    let (a, _, _) = sign_in(&r, &idp, &mut Browser::new(), EMAIL).await;
    assert_eq!(a.status, 303, "{}", a.body);
    r.app.stop().await;
}
