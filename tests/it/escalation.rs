//! Escalation chains inside one workspace, each tried end to end over HTTP, each refused:
//! a narrow credential never becomes (or takes over) a wider one through SCIM tokens, group
//! mappings or SSO connections. And the other side: the same steps by a wide enough maker
//! work.

use crate::authority::{rig, scim_token_by, Rig};
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

async fn scim(r: &Rig, token: &str, method: Method, path: &str, body: Value) -> (u16, Value) {
    let res = r
        .app
        .http
        .request(method, r.app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A provisioning person (SCIM only) and a key they made.
async fn provisioner(r: &Rig) -> (Uuid, String) {
    r.role("provisioner", &["scim:write", "users:read"]).await;
    let prov = r.user("prov@acme.example", &["provisioner"]).await;
    let key = r.key_made_by(&format!("user:{prov}"), "provisioner").await;
    (prov, key)
}

async fn outbox_notices(r: &Rig) -> i64 {
    let owner = r.db.owner().await;
    owner
        .query_one(
            "SELECT count(*) FROM mail_outbox WHERE subject = 'Your sign-in email address was changed'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_narrow_scim_token_cannot_rewrite_an_admins_email_but_may_a_plain_ones() {
    let r = rig().await;
    let (_, key) = provisioner(&r).await;
    let owner = r.user("owner@acme.example", &["admin"]).await;
    let token = scim_token_by(&r, &key).await;
    let rename = |to: &str| {
        json!({"schemas": [PATCH_OP], "Operations": [
            {"op": "replace", "path": "userName", "value": to},
            {"op": "replace", "path": "emails", "value": [{"value": to, "primary": true}]}]})
    };
    let path = format!("/scim/v2/Users/{owner}");
    let (status, body) = scim(
        &r,
        &token,
        Method::PATCH,
        &path,
        rename("owner@evil.example"),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(r.get_user(owner).await["email"], "owner@acme.example");
    // Deactivating or deleting the admin is refused as well.
    let off = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": false}]});
    assert_eq!(scim(&r, &token, Method::PATCH, &path, off).await.0, 403);
    assert_eq!(
        scim(&r, &token, Method::DELETE, &path, json!({})).await.0,
        403
    );
    assert_eq!(r.get_user(owner).await["status"], "active");
    assert_eq!(outbox_notices(&r).await, 0);

    // A plain account is within reach: renamed, and the old address is told.
    let plain = r.user("plain@acme.example", &[]).await;
    let path = format!("/scim/v2/Users/{plain}");
    let (status, body) = scim(
        &r,
        &token,
        Method::PATCH,
        &path,
        rename("plain2@acme.example"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(r.get_user(plain).await["email"], "plain2@acme.example");
    assert_eq!(outbox_notices(&r).await, 1);
    r.app.stop().await;
}

#[tokio::test]
async fn group_mappings_grant_no_more_than_the_scim_tokens_maker_holds() {
    let r = rig().await;
    let (prov, key) = provisioner(&r).await;
    let narrow = scim_token_by(&r, &key).await;
    // Pushed before any mapping exists: allowed, but it vouches only for what prov holds.
    let ops =
        json!({"schemas": [GROUP], "displayName": "Ops", "members": [{"value": prov.to_string()}]});
    assert_eq!(
        scim(&r, &narrow, Method::POST, "/scim/v2/Groups", ops)
            .await
            .0,
        201
    );
    for group in ["Ops", "Admins"] {
        let body = Some(json!({"group": group, "role": "admin"}));
        let (s, b) = r
            .app
            .call(&r.admin_key, Method::POST, "/admin/v1/role-mappings", body)
            .await;
        assert_eq!(s, 201, "{b}");
    }
    assert_eq!(r.get_user(prov).await["roles"], json!(["provisioner"]));
    let export = "/admin/v1/audit/export";
    assert_eq!(r.app.call(&key, Method::GET, export, None).await.0, 403);
    // Writing a group that maps to admin is refused outright...
    let admins = json!({"schemas": [GROUP], "displayName": "Admins", "members": [{"value": prov.to_string()}]});
    let (status, body) = scim(&r, &narrow, Method::POST, "/scim/v2/Groups", admins.clone()).await;
    assert_eq!(status, 403, "{body}");
    // ...and a new SCIM token needs every permission the mappings hand out.
    let body = Some(json!({"name": "another"}));
    assert_eq!(
        r.app
            .call(&key, Method::POST, "/admin/v1/scim-tokens", body)
            .await
            .0,
        403
    );
    assert_eq!(r.get_user(prov).await["roles"], json!(["provisioner"]));

    // The other side: an admin's token pushes the same group, and its members are admins.
    let wide = scim_token_by(&r, &r.admin_key).await;
    let (status, body) = scim(&r, &wide, Method::POST, "/scim/v2/Groups", admins).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        r.get_user(prov).await["roles"],
        json!(["admin", "provisioner"])
    );
    assert_eq!(
        r.app.call(&key, Method::GET, export, None).await.0,
        403,
        "the key's own role still caps it"
    );
    r.app.stop().await;
}

#[tokio::test]
async fn an_sso_write_holder_cannot_configure_an_idp_while_mappings_hand_out_admin() {
    let r = rig().await;
    r.role("sso-admin", &["sso:write", "users:read"]).await;
    let person = r.user("sso@acme.example", &["sso-admin"]).await;
    let key = r.key_made_by(&format!("user:{person}"), "sso-admin").await;
    let body = Some(json!({"group": "Admins", "role": "admin"}));
    assert_eq!(
        r.app
            .call(&r.admin_key, Method::POST, "/admin/v1/role-mappings", body)
            .await
            .0,
        201
    );
    let connection = json!({
        "kind": "oidc", "name": "Corp IdP", "enabled": true, "domains": [],
        "oidc": {"issuer": "https://idp.corp.example", "client_id": "crm", "client_secret": "s3cret"}
    });
    let (status, body) = r
        .app
        .call(
            &key,
            Method::POST,
            "/admin/v1/sso-connections",
            Some(connection),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    r.app.stop().await;
}

#[tokio::test]
async fn deleting_a_connection_needs_the_reach_it_carries() {
    let r = rig().await;
    r.role("sso-admin", &["sso:write", "users:read"]).await;
    let person = r.user("sso@acme.example", &["sso-admin"]).await;
    let key = r.key_made_by(&format!("user:{person}"), "sso-admin").await;
    let connection = json!({
        "kind": "oidc", "name": "Corp IdP", "enabled": true, "domains": [],
        "oidc": {"issuer": "https://idp.corp.example", "client_id": "crm", "client_secret": "s3cret"}
    });
    let (s, made) = r
        .app
        .call(
            &r.admin_key,
            Method::POST,
            "/admin/v1/sso-connections",
            Some(connection),
        )
        .await;
    assert_eq!(s, 201, "{made}");
    let path = format!("/admin/v1/sso-connections/{}", made["id"].as_str().unwrap());

    // Its group rules hand out admin: the narrow key may not drop them.
    let rule = Some(json!({"group": "Admins", "role": "admin"}));
    let (s, b) = r
        .app
        .call(&r.admin_key, Method::POST, "/admin/v1/role-mappings", rule)
        .await;
    assert_eq!(s, 201, "{b}");
    let (status, body) = r.app.call(&key, Method::DELETE, &path, None).await;
    assert_eq!(
        status, 403,
        "an sso:write key deleted an admin-granting connection: {body}"
    );

    // No rules, but the workspace's admin signs in through it: deleting would lock them
    // out, so it needs what they hold.
    let rules = r
        .app
        .call(&r.admin_key, Method::GET, "/admin/v1/role-mappings", None)
        .await
        .1;
    for rule in rules["role_mappings"].as_array().unwrap() {
        let rule_path = format!("/admin/v1/role-mappings/{}", rule["id"].as_str().unwrap());
        assert_eq!(
            r.app
                .call(&r.admin_key, Method::DELETE, &rule_path, None)
                .await
                .0,
            204
        );
    }
    let owner = r.db.owner().await;
    owner
        .execute(
            "INSERT INTO sso_identities (tenant_id, connection_id, subject, user_id, groups, attributes, created_at, last_signin_at)
             VALUES ($1::text::uuid, $2::text::uuid, 'sub-1', $3::text::uuid, '[]', '{}', now(), now())",
            &[
                &r.t.tenant_id.0.to_string(),
                &made["id"].as_str().unwrap(),
                &r.t.admin_user_id.0.to_string(),
            ],
        )
        .await
        .unwrap();
    let (status, body) = r.app.call(&key, Method::DELETE, &path, None).await;
    assert_eq!(
        status, 403,
        "an sso:write key cut off the admin's sign-in: {body}"
    );

    // Someone with that reach may.
    assert_eq!(
        r.app
            .call(&r.admin_key, Method::DELETE, &path, None)
            .await
            .0,
        204
    );
    r.app.stop().await;
}

#[tokio::test]
async fn an_identity_provider_behind_a_translated_or_site_local_address_is_refused() {
    let r = rig().await;
    // As in production: private networks are not allowed.
    let mut settings = r.db.settings();
    settings.sso.allow_private_networks = false;
    let app = crate::harness::TestApp::spawn(settings).await;
    for issuer in [
        "https://[64:ff9b::a9fe:a9fe]",
        "https://[64:ff9b:1::a00:1]",
        "https://[2002:a9fe:a9fe::1]",
        "https://[::a9fe:a9fe]",
        "https://[fec0::1]",
    ] {
        let connection = json!({
            "kind": "oidc", "name": "Internal", "enabled": true, "domains": [],
            "oidc": {"issuer": issuer, "client_id": "crm", "client_secret": "s3cret"}
        });
        let (status, body) = app
            .call(
                &r.admin_key,
                Method::POST,
                "/admin/v1/sso-connections",
                Some(connection),
            )
            .await;
        assert_eq!(status, 400, "{issuer} was accepted: {body}");
    }
    app.stop().await;
    r.app.stop().await;
}

#[tokio::test]
async fn a_narrow_scim_token_cannot_erase_an_admin_nor_rewrite_their_audit_entries() {
    let r = rig().await;
    let (_, key) = provisioner(&r).await;
    let owner = r.user("owner@acme.example", &["admin"]).await;
    let plain = r.user("plain@acme.example", &[]).await;
    let token = scim_token_by(&r, &key).await;
    crate::harness::settle_audit(&r.pool).await;
    let db = r.db.owner().await;
    let mentions = |id: Uuid| {
        let db = &db;
        async move {
            let n: i64 = db
                .query_one(
                    "SELECT count(*) FROM audit_log WHERE actor || target || details::text LIKE $1",
                    &[&format!("%{id}%")],
                )
                .await
                .unwrap()
                .get(0);
            n
        }
    };
    let before = mentions(owner).await;
    assert!(before > 0);

    let path = format!("/scim/v2/Users/{owner}");
    let (status, _) = scim(&r, &token, Method::DELETE, &path, Value::Null).await;
    assert_eq!(status, 403, "the maker does not reach an admin");
    crate::harness::settle_audit(&r.pool).await;
    let erased: i64 = db
        .query_one(
            "SELECT count(*) FROM audit_log WHERE actor || target || details::text LIKE '%erased:%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(erased, 0, "nothing of the admin was rewritten");
    assert!(mentions(owner).await >= before);
    assert_eq!(r.get_user(owner).await["email"], "owner@acme.example");

    let path = format!("/scim/v2/Users/{plain}");
    let (status, _) = scim(&r, &token, Method::DELETE, &path, Value::Null).await;
    assert_eq!(status, 204, "a plain account it reaches is erased");
    crate::harness::settle_audit(&r.pool).await;
    assert_eq!(mentions(plain).await, 0);
    r.app.stop().await;
}
