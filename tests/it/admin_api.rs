//! The admin API: only bearer JWTs for the admin audience or API keys, permissions checked
//! server-side, and nothing reachable across tenants (404 for the other tenant's ids).

use crate::api_keys::admin_key;
use crate::harness::{envelope, settle_audit, tenant, TestApp, TestDb};
use crate::support::*;
use identity::jwt::Alg;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn tenant_a_admin_can_do_nothing_in_tenant_b() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let env = envelope(&[1]);
    let a = tenant(&pool, &env, "alpha").await;
    let b = tenant(&pool, &env, "bravo").await;
    let a_key = admin_key(&pool, a.tenant_id, "admin").await;
    let b_key = admin_key(&pool, b.tenant_id, "admin").await;
    let b_key_id = identity::apikeys::parse(&b_key).unwrap().key_id;
    // A's admin as an API key and as an exchanged JWT.
    let res = app
        .http
        .post(app.url("/oauth2/token"))
        .form(&[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("subject_token", a_key.as_str()),
            (
                "subject_token_type",
                "urn:identity:params:oauth:token-type:api-key",
            ),
        ])
        .send()
        .await
        .unwrap();
    let a_jwt = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    for bearer in [&a_key, &a_jwt] {
        let b_user = format!("/admin/v1/users/{}", b.admin_user_id);
        assert_eq!(
            app.send(bearer, Method::GET, &b_user, None).await.status(),
            404
        );
        assert_eq!(
            app.send(bearer, Method::POST, &format!("{b_user}/disable"), None)
                .await
                .status(),
            404
        );
        assert_eq!(
            app.send(
                bearer,
                Method::PUT,
                &format!("{b_user}/roles"),
                Some(json!({"roles": ["viewer"]}))
            )
            .await
            .status(),
            404
        );
        assert_eq!(
            app.send(
                bearer,
                Method::POST,
                &format!("/admin/v1/api-keys/{b_key_id}/rotate"),
                None
            )
            .await
            .status(),
            404
        );
        assert_eq!(
            app.send(
                bearer,
                Method::DELETE,
                &format!("/admin/v1/api-keys/{b_key_id}"),
                None
            )
            .await
            .status(),
            404
        );
        let users: Value = app
            .send(bearer, Method::GET, "/admin/v1/users", None)
            .await
            .json()
            .await
            .unwrap();
        assert!(
            !users.to_string().contains("bravo"),
            "B's users listed to A: {users}"
        );
        let keys: Value = app
            .send(bearer, Method::GET, "/admin/v1/api-keys", None)
            .await
            .json()
            .await
            .unwrap();
        assert!(!keys.to_string().contains(&b_key_id.to_string()));
        let csv = app
            .send(bearer, Method::GET, "/admin/v1/audit/export", None)
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !csv.contains(&b.admin_user_id.to_string()),
            "B's audit entries exported to A"
        );
    }
    // B is untouched: its admin and its key still work.
    assert_eq!(
        app.send(
            &b_key,
            Method::GET,
            &format!("/admin/v1/users/{}", b.admin_user_id),
            None
        )
        .await
        .status(),
        200
    );
    app.stop().await;
}

#[tokio::test]
async fn only_admin_audience_jwts_and_api_keys_are_accepted() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let t = tenant(&pool, &envelope(&[1]), "alpha").await;
    // A client_credentials token, even for the admin audience, has no user or key behind it.
    let client = platform_client(&pool, Alg::EdDSA, &[API, ADMIN], None).await;
    let cc = client_token(&app, &client, ADMIN).await;
    assert_eq!(
        app.send(&cc, Method::GET, "/admin/v1/users", None)
            .await
            .status(),
        401
    );
    // A member's JWT for another audience is not an admin token.
    let key = admin_key(&pool, t.tenant_id, "admin").await;
    let other = platform_client(&pool, Alg::EdDSA, &[API], None).await;
    let api_token = client_token(&app, &other, API).await;
    assert_eq!(
        app.send(&api_token, Method::GET, "/admin/v1/users", None)
            .await
            .status(),
        401
    );
    let res = app
        .http
        .get(app.url("/admin/v1/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let res = app
        .http
        .get(app.url("/admin/v1/users"))
        .header("authorization", format!("Basic {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn permissions_are_checked_and_nobody_grants_more_than_they_hold() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let t = tenant(&pool, &envelope(&[1]), "alpha").await;
    let root = admin_key(&pool, t.tenant_id, "admin").await;
    let viewer = admin_key(&pool, t.tenant_id, "viewer").await;

    let new_user =
        json!({"email": "sam@alpha.example", "display_name": "Sam", "roles": ["member"]});
    assert_eq!(
        app.send(
            &viewer,
            Method::POST,
            "/admin/v1/users",
            Some(new_user.clone())
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        app.send(
            &viewer,
            Method::POST,
            "/admin/v1/api-keys",
            Some(json!({"name": "x", "role": "viewer"}))
        )
        .await
        .status(),
        403
    );
    let res = app
        .send(
            &root,
            Method::POST,
            "/admin/v1/users",
            Some(new_user.clone()),
        )
        .await;
    assert_eq!(res.status(), 201);
    let sam: Value = res.json().await.unwrap();
    assert_eq!(sam["roles"], json!(["member"]));
    assert_eq!(
        app.send(
            &root,
            Method::POST,
            "/admin/v1/users",
            Some(json!({"email": "SAM@alpha.example"}))
        )
        .await
        .status(),
        409
    );

    // A key manager may make keys, but not admin keys, and may not grant roles.
    let res = app.send(&root, Method::POST, "/admin/v1/roles", Some(json!({"name": "keymaker", "permissions": ["apikeys:read", "apikeys:write", "users:read"]}))).await;
    assert_eq!(res.status(), 201);
    let res = app
        .send(
            &root,
            Method::POST,
            "/admin/v1/api-keys",
            Some(json!({"name": "km", "role": "keymaker"})),
        )
        .await;
    let keymaker = res.json::<Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.send(
            &keymaker,
            Method::POST,
            "/admin/v1/api-keys",
            Some(json!({"name": "ok", "role": "viewer"}))
        )
        .await
        .status(),
        403,
        "viewer has crm:read, which keymaker lacks"
    );
    assert_eq!(
        app.send(
            &keymaker,
            Method::POST,
            "/admin/v1/api-keys",
            Some(json!({"name": "esc", "role": "admin"}))
        )
        .await
        .status(),
        403
    );
    let sam_roles = format!("/admin/v1/users/{}/roles", sam["id"].as_str().unwrap());
    assert_eq!(
        app.send(
            &keymaker,
            Method::PUT,
            &sam_roles,
            Some(json!({"roles": ["admin"]}))
        )
        .await
        .status(),
        403
    );
    // A role with an unknown permission is refused.
    let res = app
        .send(
            &root,
            Method::POST,
            "/admin/v1/roles",
            Some(json!({"name": "odd", "permissions": ["root:everything"]})),
        )
        .await;
    assert_eq!(res.status(), 400);

    // Admin changes and disables; each step is audited and exportable.
    let res = app
        .send(
            &root,
            Method::PUT,
            &sam_roles,
            Some(json!({"roles": ["viewer"]})),
        )
        .await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["roles"],
        json!(["viewer"])
    );
    let res = app
        .send(
            &root,
            Method::POST,
            &format!("/admin/v1/users/{}/disable", sam["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "disabled");
    let res = app
        .send(&root, Method::GET, "/admin/v1/audit/export", None)
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("seq,occurred_at,actor,action"));
    for action in [
        "user.created",
        "user.roles_changed",
        "user.disabled",
        "role.created",
    ] {
        assert!(csv.contains(action), "{action} missing from export");
    }
    settle_audit(&pool).await;
    let mut tx = pool.tenant(t.tenant_id).await.unwrap();
    let rows = identity::db::models::audit::page(&mut tx, 0, None, 1000)
        .await
        .unwrap();
    assert_eq!(rows.last().unwrap().action, "audit.exported");
    // Malformed input gets a clear 400 problem, not a 500.
    let res = app
        .send(
            &root,
            Method::POST,
            "/admin/v1/users",
            Some(json!({"email": "x@y.example", "is_admin": true})),
        )
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(
        app.send(&root, Method::GET, "/admin/v1/users/not-a-uuid", None)
            .await
            .status(),
        404
    );
    app.stop().await;
}

#[tokio::test]
async fn a_key_manager_cannot_take_over_stronger_keys_or_users() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let t = tenant(&pool, &envelope(&[1]), "alpha").await;
    let root = admin_key(&pool, t.tenant_id, "admin").await;
    let root_id = identity::apikeys::parse(&root).unwrap().key_id;
    let res = app.send(&root, Method::POST, "/admin/v1/roles", Some(json!({"name": "operator", "permissions": ["apikeys:read", "apikeys:write", "users:read", "users:write"]}))).await;
    assert_eq!(res.status(), 201);
    let res = app
        .send(
            &root,
            Method::POST,
            "/admin/v1/api-keys",
            Some(json!({"name": "op", "role": "operator"})),
        )
        .await;
    let operator = res.json::<Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_string();

    // Rotating the admin key would hand the operator an admin secret; revoking it would lock
    // the owner out. Both refused, and the admin key keeps working.
    let rotate = app
        .send(
            &operator,
            Method::POST,
            &format!("/admin/v1/api-keys/{root_id}/rotate"),
            Some(json!({"overlap_secs": 0})),
        )
        .await;
    assert_eq!(rotate.status(), 403);
    assert_eq!(
        app.send(
            &operator,
            Method::DELETE,
            &format!("/admin/v1/api-keys/{root_id}"),
            None
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        app.send(&root, Method::GET, "/admin/v1/users", None)
            .await
            .status(),
        200
    );

    // Disabling the workspace admin needs the admin's permissions.
    let admin_user = format!("/admin/v1/users/{}/disable", t.admin_user_id);
    assert_eq!(
        app.send(&operator, Method::POST, &admin_user, None)
            .await
            .status(),
        403
    );
    // Even an admin cannot disable the last admin.
    let res = app.send(&root, Method::POST, &admin_user, None).await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "conflict");
    app.stop().await;
}

#[tokio::test]
async fn control_characters_get_a_clear_400_not_a_500() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let t = tenant(&pool, &envelope(&[1]), "alpha").await;
    let root = admin_key(&pool, t.tenant_id, "admin").await;
    for body in [
        json!({"email": "nul@alpha.example", "display_name": "bad\u{0}name"}),
        json!({"email": "nul\u{0}@alpha.example"}),
    ] {
        let res = app
            .send(&root, Method::POST, "/admin/v1/users", Some(body))
            .await;
        assert_eq!(res.status(), 400);
    }
    let res = app
        .send(
            &root,
            Method::POST,
            "/admin/v1/api-keys",
            Some(json!({"name": "x\u{0}", "role": "viewer"})),
        )
        .await;
    assert_eq!(res.status(), 400);
    let res = app
        .send(
            &root,
            Method::POST,
            "/admin/v1/roles",
            Some(json!({"name": "r", "description": "a\u{0}b", "permissions": []})),
        )
        .await;
    assert_eq!(res.status(), 400);
    // The OAuth endpoints too: a NUL in a client id is simply an unknown client.
    for path in ["/oauth2/token", "/oauth2/introspect", "/oauth2/revoke"] {
        let res = app
            .http
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials&token=x&client_id=%00abc&client_secret=y")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{path}");
    }
    app.stop().await;
}
