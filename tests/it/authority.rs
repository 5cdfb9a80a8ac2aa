//! The authority rule end to end over HTTP: no credential reaches further than whoever made
//! it, now. Every action on another account is tried by narrower principals (a person's own
//! token, an API key, a key a narrow person made, an admin-role key a narrow person made)
//! against a wider account and must fail; against an account they reach it must work.

use crate::api_keys::admin_key;
use crate::code_grant::{code_for, REDIRECT, VERIFIER};
use crate::harness::{envelope, TestApp};
use crate::support::{token_response, ADMIN};
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

/// Workspace "acme" with an admin key made by the operator (`admin_key`) and the
/// first-party console client.
pub type Rig = crate::browser::Site;

pub async fn rig() -> Rig {
    Rig::build()
        .workspace("acme")
        .console_client()
        .start()
        .await
}

impl crate::browser::Site {
    pub async fn role(&self, name: &str, permissions: &[&str]) {
        let body = json!({"name": name, "description": name, "permissions": permissions});
        let (s, b) = self
            .app
            .call(&self.admin_key, Method::POST, "/admin/v1/roles", Some(body))
            .await;
        assert_eq!(s, 201, "{b}");
    }

    pub async fn user(&self, email: &str, roles: &[&str]) -> Uuid {
        let body = json!({"email": email, "roles": roles});
        let (s, b) = self
            .app
            .call(&self.admin_key, Method::POST, "/admin/v1/users", Some(body))
            .await;
        assert_eq!(s, 201, "{b}");
        Uuid::parse_str(b["id"].as_str().unwrap()).unwrap()
    }

    /// A key with `role` as if `maker` (an actor string) had made it.
    pub async fn key_made_by(&self, maker: &str, role: &str) -> String {
        crate::api_keys::key_made_by(&self.pool, self.t.tenant_id, maker, role).await
    }

    /// A person's own admin-audience access token, through the code grant of a first-party
    /// console client (made on first use).
    pub async fn person_token(&self, user: Uuid) -> String {
        let console = self
            .console
            .as_ref()
            .expect("a site built with its console client");
        let user = identity::ids::UserId(user);
        let (_, code) = code_for(
            &self.pool,
            self.t.tenant_id,
            user,
            &console.id,
            "openid",
            None,
        )
        .await;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("resource", ADMIN),
        ];
        let res = token_response(&self.app, console, &form).await;
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn get_user(&self, id: Uuid) -> Value {
        let path = format!("/admin/v1/users/{id}");
        let (s, b) = self
            .app
            .call(&self.admin_key, Method::GET, &path, None)
            .await;
        assert_eq!(s, 200, "{b}");
        b
    }
}

/// Every action on another account: (method, path under the user, body, status when allowed).
fn actions(n: usize) -> Vec<(Method, &'static str, Option<Value>, u16)> {
    vec![
        (
            Method::PUT,
            "/mfa-exemption",
            Some(json!({"exempt": true})),
            200,
        ),
        (Method::DELETE, "/mfa", None, 204),
        (
            Method::PATCH,
            "",
            Some(json!({"email": format!("renamed{n}@evil.example")})),
            200,
        ),
        (Method::POST, "/password-reset", None, 202),
        (Method::PUT, "/roles", Some(json!({"roles": []})), 200),
        // A session id that does not exist: past the authority check, it is not found.
        (
            Method::DELETE,
            "/sessions/00000000-0000-4000-8000-000000000000",
            None,
            404,
        ),
        (Method::POST, "/disable", None, 200),
        (Method::POST, "/enable", None, 200),
        (Method::DELETE, "", None, 204),
    ]
}

#[tokio::test]
async fn narrower_principals_act_on_accounts_they_reach_and_never_on_wider_ones() {
    let r = rig().await;
    let helpdesk = [
        "users:read",
        "users:write",
        "roles:write",
        "sessions:read",
        "sessions:write",
        "settings:write",
    ];
    r.role("helpdesk", &helpdesk).await;
    let wide = r.user("owner@acme.example", &["admin"]).await;
    let desk = r.user("desk@acme.example", &["helpdesk"]).await;
    let desk_actor = format!("user:{desk}");
    let principals = [
        (
            "the helpdesk person's own token",
            r.person_token(desk).await,
        ),
        (
            "operator-made helpdesk key",
            admin_key(&r.pool, r.t.tenant_id, "helpdesk").await,
        ),
        (
            "helpdesk key a helpdesk person made",
            r.key_made_by(&desk_actor, "helpdesk").await,
        ),
        // An admin-role key does not lift its maker's ceiling.
        (
            "admin-role key a helpdesk person made",
            r.key_made_by(&desk_actor, "admin").await,
        ),
    ];
    for (n, (who, key)) in principals.iter().enumerate() {
        for (method, suffix, body, _) in actions(n) {
            let path = format!("/admin/v1/users/{wide}{suffix}");
            let (status, answer) = r.app.call(key, method.clone(), &path, body).await;
            assert_eq!(
                status, 403,
                "{who}: {method} {suffix} on an admin: {answer}"
            );
        }
        let owner = r.get_user(wide).await;
        assert_eq!(owner["status"], "active");
        assert_eq!(owner["email"], "owner@acme.example");
        assert_eq!(owner["roles"], json!(["admin"]));
        assert_eq!(owner["mfa_exempt"], false);

        // An account with no roles is within reach: every action goes through.
        let plain = r.user(&format!("plain{n}@acme.example"), &[]).await;
        for (method, suffix, body, ok) in actions(n) {
            let path = format!("/admin/v1/users/{plain}{suffix}");
            let (status, answer) = r.app.call(key, method.clone(), &path, body).await;
            assert_eq!(
                status, ok,
                "{who}: {method} {suffix} on a plain account: {answer}"
            );
        }
    }
    // The same helpdesk person may act on an equal account (another helpdesk member).
    let peer = r.user("peer@acme.example", &["helpdesk"]).await;
    let key = r.key_made_by(&desk_actor, "helpdesk").await;
    let path = format!("/admin/v1/users/{peer}/disable");
    assert_eq!(r.app.call(&key, Method::POST, &path, None).await.0, 200);
    r.app.stop().await;
}

#[tokio::test]
async fn a_makers_downgrade_or_disable_shrinks_their_keys_from_the_next_request() {
    let r = rig().await;
    let maker = r.user("maker@acme.example", &["admin"]).await;
    let key = r.key_made_by(&format!("user:{maker}"), "admin").await;
    let export = "/admin/v1/audit/export";
    assert_eq!(r.app.call(&key, Method::GET, export, None).await.0, 200);
    let path = format!("/admin/v1/users/{maker}/roles");
    let body = Some(json!({"roles": ["member"]}));
    assert_eq!(
        r.app.call(&r.admin_key, Method::PUT, &path, body).await.0,
        200
    );
    // The key's role is still admin, but its maker is a member now.
    assert_eq!(r.app.call(&key, Method::GET, export, None).await.0, 403);
    assert_eq!(
        r.app
            .call(&key, Method::GET, "/admin/v1/users", None)
            .await
            .0,
        200
    );
    r.app.stop().await;
}

#[tokio::test]
async fn credentials_die_with_their_maker_on_every_instance_by_every_path() {
    let r = rig().await;
    let second = TestApp::spawn(r.db.settings()).await;
    let scim_root = scim_token_by(&r, &r.admin_key).await;
    for path in ["admin", "scim"] {
        let maker = r
            .user(&format!("{path}-maker@acme.example"), &["admin"])
            .await;
        let maker_actor = format!("user:{maker}");
        let key = r.key_made_by(&maker_actor, "admin").await;
        let made_by_key = r.key_made_by(&key_actor(&key), "member").await;
        let token = scim_token_made_by(&r, &maker_actor).await;
        for app in [&r.app, &second] {
            assert_eq!(
                app.call(&key, Method::GET, "/admin/v1/users", None).await.0,
                200
            );
            assert_eq!(scim_get(app, &token).await, 200);
        }
        if path == "admin" {
            let p = format!("/admin/v1/users/{maker}/disable");
            assert_eq!(
                r.app.call(&r.admin_key, Method::POST, &p, None).await.0,
                200
            );
        } else {
            let res = r
                .app
                .http
                .patch(r.app.url(&format!("/scim/v2/Users/{maker}")))
                .bearer_auth(&scim_root)
                .json(
                    &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "replace", "path": "active", "value": false}]}),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{:?}", res.text().await);
        }
        for app in [&r.app, &second] {
            for k in [&key, &made_by_key] {
                let status = app.call(k, Method::GET, "/admin/v1/users", None).await.0;
                assert_eq!(status, 401, "{path}: a key outlived its maker");
            }
            assert_eq!(
                scim_get(app, &token).await,
                401,
                "{path}: SCIM token outlived its maker"
            );
        }
    }
    second.stop().await;
    r.app.stop().await;
}

fn key_actor(key: &str) -> String {
    format!("api_key:{}", identity::apikeys::parse(key).unwrap().key_id)
}

pub async fn scim_token_by(r: &Rig, bearer: &str) -> String {
    let body = Some(json!({"name": "idp"}));
    let (s, b) = r
        .app
        .call(bearer, Method::POST, "/admin/v1/scim-tokens", body)
        .await;
    assert_eq!(s, 201, "{b}");
    b["token"].as_str().unwrap().to_string()
}

async fn scim_token_made_by(r: &Rig, maker: &str) -> String {
    let mut tx = r.pool.tenant(r.t.tenant_id).await.unwrap();
    let everything = identity::authority::everything();
    let key = envelope(&[1]);
    let ctx = identity::audit::Context::without_request(&key, maker, chrono::Utc::now());
    let (_, token) = identity::scim::bearer_tokens::create(&mut tx, &ctx, "idp", &everything)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    token
}

async fn scim_get(app: &TestApp, token: &str) -> u16 {
    app.http
        .get(app.url("/scim/v2/Users"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}
