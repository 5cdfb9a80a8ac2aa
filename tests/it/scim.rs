//! The SCIM server as identity providers use it: the PyPI checker `scim2-tester`, replays
//! of the request shapes Entra ID and Okta send, deprovisioning that ends every way in,
//! group→role rules, ETags, and the refusals (other workspaces, mass assignment, bad
//! filters and paths, oversized bodies).

use crate::api_keys::admin_key;
use crate::harness::{envelope, settle_audit, tenant, TestApp, TestDb};
use crate::support::*;
use identity::admin::bootstrap::Bootstrapped;
use identity::auth::sessions;
use identity::config::SessionSettings;
use identity::oidc::clients::{self, ClientSpec};
use identity::oidc::codes::{self, CodeGrant};
use serde_json::{json, Value};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

pub(crate) struct Scim {
    pub app: TestApp,
    pub db: TestDb,
    pub alpha: Bootstrapped,
    pub admin: String,
    pub token: String,
}

async fn scim_token(app: &TestApp, admin: &str) -> String {
    let res = app
        .http
        .post(app.url("/admin/v1/scim-tokens"))
        .bearer_auth(admin)
        .json(&json!({"name": "Okta"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string()
}

pub(crate) async fn setup() -> Scim {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let alpha = tenant(&pool, &envelope(&[1]), "alpha").await;
    let admin = admin_key(&pool, alpha.tenant_id, "admin").await;
    let token = scim_token(&app, &admin).await;
    Scim {
        app,
        db,
        alpha,
        admin,
        token,
    }
}

impl Scim {
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        self.call_as(&self.token, method, path, body, None).await
    }

    pub async fn call_as(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut req = self
            .app
            .http
            .request(method, self.app.url(path))
            .bearer_auth(token)
            .header("content-type", "application/scim+json");
        if let Some(b) = body {
            req = req.body(b.to_string());
        }
        if let Some(m) = if_match {
            req = req.header("if-match", m);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::Null),
            headers,
        )
    }

    async fn create_user(&self, user_name: &str) -> Value {
        let (status, body, _) = self
            .call(
                reqwest::Method::POST,
                "/scim/v2/Users",
                Some(json!({
                    "schemas": [USER, ENTERPRISE],
                    "userName": user_name,
                    "externalId": format!("ext-{user_name}"),
                    "name": {"givenName": "Ada", "familyName": "Lovelace"},
                    "emails": [{"value": user_name, "type": "work", "primary": true}],
                    "active": true,
                    ENTERPRISE: {"department": "Engineering", "employeeNumber": "42"}
                })),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body
    }
}

fn q(filter: &str) -> String {
    format!(
        "/scim/v2/Users?{}",
        serde_urlencoded::to_string([("filter", filter)]).unwrap()
    )
}

#[tokio::test]
async fn scim2_tester_finds_no_error_in_users_and_groups() {
    let s = setup().await;
    let python = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/external/.venv/bin/python"
    );
    let base = s.app.url("/scim/v2");
    let (ok, out) = run_verifier(python, "scim_check.py", &[&base, &s.token]);
    assert!(ok, "scim2-tester did not run: {out}");
    let line = out.lines().find(|l| l.starts_with('{')).unwrap_or_default();
    let counts: Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("scim2-tester gave no counts ({e}): {out}"));
    println!("scim2-tester results: {counts}");
    let n = |k: &str| counts[k].as_u64().unwrap_or(0);
    assert!(n("SUCCESS") > 20, "the checker ran its checks: {counts}");
    assert_eq!(n("ERROR") + n("CRITICAL"), 0, "{out}");
    s.app.stop().await;
}

#[tokio::test]
async fn entra_and_okta_request_shapes_work() {
    let s = setup().await;
    // Entra ID: create, then look up by userName (case-insensitively).
    let ada = s.create_user("ada@alpha.example").await;
    let id = ada["id"].as_str().unwrap();
    assert_eq!(ada[ENTERPRISE]["department"], "Engineering");
    let (status, list, _) = s
        .call(
            reqwest::Method::GET,
            &q("userName eq \"ADA@alpha.example\""),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["totalResults"], 1);
    assert_eq!(list["Resources"][0]["id"], id);
    // Entra ID: PATCH with capitalised ops, a string boolean, an extension path and a
    // value filter that creates the element it names.
    let (status, body, _) = s
        .call(
            reqwest::Method::PATCH,
            &format!("/scim/v2/Users/{id}"),
            Some(json!({"schemas": [PATCH], "Operations": [
                {"op": "Replace", "path": "displayName", "value": "Ada L."},
                {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+44 20 7946 0000"},
                {"op": "Replace", "path": format!("{ENTERPRISE}:department"), "value": "Research"},
                {"op": "Replace", "value": {"name.familyName": "Byron", "title": "Countess"}}
            ]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["displayName"], "Ada L.");
    assert_eq!(body["phoneNumbers"][0]["type"], "mobile");
    assert_eq!(body[ENTERPRISE]["department"], "Research");
    assert_eq!(body["name"]["familyName"], "Byron");
    assert_eq!(body["title"], "Countess");
    // Okta: a group with a member, add another, remove one by filter, Entra removal by value.
    let bob = s.create_user("bob@alpha.example").await;
    let bob_id = bob["id"].as_str().unwrap();
    let (status, group, _) = s
        .call(
            reqwest::Method::POST,
            "/scim/v2/Groups",
            Some(json!({"schemas": [GROUP], "displayName": "Engineering", "members": [{"value": id}]})),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let gid = group["id"].as_str().unwrap();
    let patch_group = |ops: Value| {
        let path = format!("/scim/v2/Groups/{gid}");
        let s = &s;
        async move {
            s.call(
                reqwest::Method::PATCH,
                &path,
                Some(json!({"schemas": [PATCH], "Operations": ops})),
            )
            .await
        }
    };
    let (status, g, _) = patch_group(
        json!([{"op": "add", "path": "members", "value": [{"value": bob_id, "display": "Bob"}]}]),
    )
    .await;
    assert_eq!(status, 200, "{g}");
    assert_eq!(g["members"].as_array().unwrap().len(), 2);
    let (_, user, _) = s
        .call(
            reqwest::Method::GET,
            &format!("/scim/v2/Users/{bob_id}"),
            None,
        )
        .await;
    assert_eq!(
        user["groups"][0]["display"], "Engineering",
        "the user shows the group"
    );
    let (_, g, _) =
        patch_group(json!([{"op": "remove", "path": format!("members[value eq \"{id}\"]")}])).await;
    assert_eq!(g["members"].as_array().unwrap().len(), 1);
    let (_, g, _) =
        patch_group(json!([{"op": "Remove", "path": "members", "value": [{"value": bob_id}]}]))
            .await;
    assert!(g.get("members").is_none(), "{g}");
    // Entra ID: deactivation as the string "False".
    let (status, body, _) = s
        .call(
            reqwest::Method::PATCH,
            &format!("/scim/v2/Users/{id}"),
            Some(json!({"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["active"], false);
    let (_, list, _) = s
        .call(reqwest::Method::GET, &q("active eq false"), None)
        .await;
    assert_eq!(list["totalResults"], 1);
    s.app.stop().await;
}

#[tokio::test]
async fn filters_sorting_and_pagination_follow_the_rfc() {
    let s = setup().await;
    for name in [
        "carol@alpha.example",
        "dave@beta.example",
        "erin@alpha.example",
    ] {
        s.create_user(name).await;
    }
    let count = |f: String| {
        let s = &s;
        async move {
            let (status, body, _) = s.call(reqwest::Method::GET, &q(&f), None).await;
            assert_eq!(status, 200, "{f}: {body}");
            body["totalResults"].as_i64().unwrap()
        }
    };
    // Sealed attributes compare for equality through their blind indexes, any letter case.
    assert_eq!(count("userName eq \"ERIN@Alpha.example\"".into()).await, 1);
    assert_eq!(
        count("emails.value eq \"Carol@ALPHA.example\"".into()).await,
        1
    );
    assert_eq!(count("emails eq \"dave@beta.example\"".into()).await, 1);
    assert_eq!(
        count("emails[type eq \"Work\" and value eq \"DAVE@beta.example\"]".into()).await,
        1
    );
    assert_eq!(
        count("emails[type eq \"home\"].value eq \"dave@beta.example\"".into()).await,
        0,
        "the address is a work one"
    );
    assert_eq!(
        count("userName eq \"carol@alpha.example\" or userName eq \"dave@beta.example\"".into())
            .await,
        2
    );
    assert_eq!(
        count("not (userName eq \"carol@alpha.example\")".into()).await,
        3,
        "the admin and two more"
    );
    assert_eq!(
        count(
            "userName ne \"carol@alpha.example\" and meta.created gt \"2020-01-01T00:00:00Z\""
                .into()
        )
        .await,
        3
    );
    assert_eq!(count("externalId pr".into()).await, 3);
    assert_eq!(count("displayName pr".into()).await, 0);
    assert_eq!(
        count("externalId eq \"ext-carol@alpha.example\"".into()).await,
        1
    );
    assert_eq!(
        count("externalId eq \"EXT-carol@alpha.example\"".into()).await,
        0,
        "externalId is case-exact"
    );
    // What encryption at rest rules out is refused with a clear reason, never answered wrong.
    for sealed in [
        "emails co \"@alpha.example\"",
        "emails[type eq \"work\" and value ew \"BETA.example\"]",
        "userName sw \"C\"",
        "displayName eq \"Ada\"",
        "name.givenName eq \"Ada\"",
        &format!("{ENTERPRISE}:employeeNumber eq \"42\""),
    ] {
        let (status, body, _) = s.call(reqwest::Method::GET, &q(sealed), None).await;
        assert_eq!(
            (status, body["scimType"].as_str()),
            (400, Some("invalidFilter")),
            "{sealed}"
        );
        assert!(
            body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("encrypted at rest"),
            "{sealed}: {body}"
        );
    }
    for bad in [
        "userName eq",
        "userName xx \"a\"",
        "roles eq \"admin\"",
        "password pr",
        "(userName eq \"a\"",
    ] {
        let (status, body, _) = s.call(reqwest::Method::GET, &q(bad), None).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["scimType"], "invalidFilter", "{bad}: {body}");
    }
    // Sorting and pages: by creation (userName is sealed, so it cannot be sorted on).
    let (status, body, _) = s
        .call(reqwest::Method::GET, "/scim/v2/Users?sortBy=userName", None)
        .await;
    assert_eq!(
        (status, body["scimType"].as_str()),
        (400, Some("invalidValue")),
        "{body}"
    );
    let (_, page, _) = s
        .call(
            reqwest::Method::GET,
            "/scim/v2/Users?sortBy=meta.created&sortOrder=descending&startIndex=2&count=2",
            None,
        )
        .await;
    assert_eq!(page["totalResults"], 4);
    assert_eq!(page["startIndex"], 2);
    assert_eq!(page["itemsPerPage"], 2);
    let names: Vec<&str> = page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dave@beta.example", "carol@alpha.example"]);
    let (_, only, _) = s
        .call(
            reqwest::Method::GET,
            "/scim/v2/Users?attributes=userName&count=1",
            None,
        )
        .await;
    let first = &only["Resources"][0];
    assert!(
        first.get("userName").is_some()
            && first.get("id").is_some()
            && first.get("emails").is_none(),
        "{first}"
    );
    s.app.stop().await;
}

pub(crate) async fn web_client(s: &Scim) -> TestClient {
    let spec = ClientSpec {
        name: "CRM web".into(),
        client_id: Some("crm-web".into()),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        redirect_uris: vec!["https://crm.example/cb".into()],
        ..Default::default()
    };
    let (_, secret) = clients::create(
        &s.db.db(),
        &envelope(&[1]),
        spec,
        3600,
        "test",
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    TestClient {
        id: "crm-web".into(),
        secret,
    }
}

/// A session, tokens and an API key of `user`, as a signed-in person would have.
pub(crate) async fn signed_in(
    s: &Scim,
    web: &TestClient,
    user: uuid::Uuid,
) -> (String, String, String) {
    let pool = s.db.db();
    let env = envelope(&[1]);
    let mut tx = pool.tenant(s.alpha.tenant_id).await.unwrap();
    let now = chrono::Utc::now();
    let settings = SessionSettings {
        idle_timeout_secs: 3600,
        absolute_timeout_secs: 36_000,
    };
    let uid = identity::ids::UserId(user);
    // A member: the key below acts within its maker's permissions, and a person with no
    // roles would make a key that can do nothing.
    let member = identity::db::models::roles::find_by_name(&mut tx, "member")
        .await
        .unwrap()
        .unwrap();
    identity::db::models::roles::grant(&mut tx, uid, member.id)
        .await
        .unwrap();
    let (session, _) = sessions::start(&mut tx, &settings, uid, &["pwd".into()], now)
        .await
        .unwrap();
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let grant = CodeGrant {
        client_id: "crm-web",
        redirect_uri: "https://crm.example/cb",
        user: uid,
        session: session.id,
        code_challenge: challenge,
        scope: "openid",
        nonce: None,
        auth_time: now,
        amr: &["pwd".to_string()],
    };
    let code = codes::issue(&mut tx, &grant, now).await.unwrap();
    let (actor, origin) = (format!("user:{user}"), identity::audit::Origin::default());
    let ctx = identity::audit::Context {
        envelope: &env,
        actor: &actor,
        origin: &origin,
        now,
    };
    let (_, key) = identity::apikeys::service::create(&mut tx, &ctx, "laptop", "member", None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let res = token_response(
        &s.app,
        web,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://crm.example/cb"),
            (
                "code_verifier",
                "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            ),
        ],
    )
    .await;
    let body: Value = res.json().await.unwrap();
    (
        body["access_token"].as_str().unwrap().into(),
        body["refresh_token"].as_str().unwrap().into(),
        key,
    )
}

#[tokio::test]
async fn deactivation_or_deletion_ends_sessions_refresh_tokens_and_api_keys_at_once() {
    let s = setup().await;
    let web = web_client(&s).await;
    for how in ["deactivate", "delete"] {
        let user = s.create_user(&format!("{how}@alpha.example")).await;
        let id = user["id"].as_str().unwrap().to_string();
        let (access, _refresh, key) =
            signed_in(&s, &web, uuid::Uuid::parse_str(&id).unwrap()).await;
        let userinfo = |token: String| {
            let app = &s.app;
            async move {
                app.http
                    .get(app.url("/oauth2/userinfo"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        assert_eq!(userinfo(access.clone()).await, 200);
        let key_works = |key: String| {
            let app = &s.app;
            async move {
                app.http
                    .get(app.url("/admin/v1/users"))
                    .bearer_auth(key)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        assert_eq!(key_works(key.clone()).await, 200);
        let (status, _, _) = if how == "deactivate" {
            s.call(reqwest::Method::PATCH, &format!("/scim/v2/Users/{id}"),
                Some(json!({"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": false}}]}))).await
        } else {
            s.call(
                reqwest::Method::DELETE,
                &format!("/scim/v2/Users/{id}"),
                None,
            )
            .await
        };
        assert!(status == 200 || status == 204, "{how}: {status}");
        assert_eq!(
            userinfo(access).await,
            401,
            "{how}: the access token is dead at once"
        );
        assert_eq!(
            key_works(key).await,
            401,
            "{how}: the person's API key is revoked"
        );
        let open: i64 =
            s.db.owner()
                .await
                .query_one(
                    "SELECT count(*) FROM sessions WHERE user_id::text = $1 AND ended_at IS NULL",
                    &[&id],
                )
                .await
                .unwrap()
                .get(0);
        assert_eq!(open, 0, "{how}");
    }
    settle_audit(&s.db.db()).await;
    let actions: Vec<String> =
        s.db.owner()
            .await
            .query(
                "SELECT actor || ' ' || action FROM audit_log WHERE action LIKE 'scim.%'",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
    assert!(
        actions.iter().all(|a| a.starts_with("scim_token:")),
        "the SCIM token is the actor: {actions:?}"
    );
    assert!(actions.iter().any(|a| a.ends_with("scim.user.deleted")));
    s.app.stop().await;
}

#[tokio::test]
async fn group_rules_give_roles_on_the_next_token() {
    let s = setup().await;
    let user = s.create_user("gina@alpha.example").await;
    let id = user["id"].as_str().unwrap();
    let res = s
        .app
        .http
        .post(s.app.url("/admin/v1/role-mappings"))
        .bearer_auth(&s.admin)
        .json(&json!({"group": "crm-admins", "role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let roles = || {
        let s = &s;
        async move {
            let res = s
                .app
                .http
                .get(s.app.url(&format!("/admin/v1/users/{id}")))
                .bearer_auth(&s.admin)
                .send()
                .await
                .unwrap();
            res.json::<Value>().await.unwrap()["roles"].clone()
        }
    };
    assert_eq!(roles().await, json!([]), "SCIM gives no roles by itself");
    let (status, _, _) = s.call(reqwest::Method::POST, "/scim/v2/Groups",
        Some(json!({"schemas": [GROUP], "displayName": "CRM-Admins", "members": [{"value": id}]}))).await;
    assert_eq!(status, 201);
    assert_eq!(
        roles().await,
        json!(["admin"]),
        "the rule applies (group names ignore case)"
    );
    s.app.stop().await;
}

#[tokio::test]
async fn another_workspaces_token_sees_and_changes_nothing() {
    let s = setup().await;
    let ada = s.create_user("ada@alpha.example").await;
    let id = ada["id"].as_str().unwrap();
    let (_, g, _) = s
        .call(
            reqwest::Method::POST,
            "/scim/v2/Groups",
            Some(json!({"schemas": [GROUP], "displayName": "Sales"})),
        )
        .await;
    let gid = g["id"].as_str().unwrap();
    let beta = tenant(&s.db.db(), &envelope(&[1]), "beta").await;
    let beta_admin = admin_key(&s.db.db(), beta.tenant_id, "admin").await;
    let other = scim_token(&s.app, &beta_admin).await;
    use reqwest::Method as M;
    for (method, path, body) in [
        (M::GET, format!("/scim/v2/Users/{id}"), None),
        (M::GET, format!("/scim/v2/Groups/{gid}"), None),
        (
            M::PUT,
            format!("/scim/v2/Users/{id}"),
            Some(json!({"schemas": [USER], "userName": "x@beta.example"})),
        ),
        (
            M::PATCH,
            format!("/scim/v2/Users/{id}"),
            Some(
                json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": false}]}),
            ),
        ),
        (
            M::PATCH,
            format!("/scim/v2/Groups/{gid}"),
            Some(
                json!({"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"value": id}]}]}),
            ),
        ),
        (M::DELETE, format!("/scim/v2/Users/{id}"), None),
        (M::DELETE, format!("/scim/v2/Groups/{gid}"), None),
    ] {
        let (status, body, _) = s.call_as(&other, method.clone(), &path, body, None).await;
        assert_eq!(status, 404, "{method} {path}: {body}");
    }
    for path in [
        q("userName eq \"ada@alpha.example\""),
        "/scim/v2/Groups".into(),
        "/scim/v2/Users".into(),
    ] {
        let (_, body, _) = s.call_as(&other, M::GET, &path, None, None).await;
        let leaked = body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == id || r["id"] == gid);
        assert!(!leaked, "{path}: {body}");
    }
    // A beta user cannot be made a member of alpha's group either.
    let (_, beta_user, _) = s
        .call_as(
            &other,
            M::POST,
            "/scim/v2/Users",
            Some(json!({"schemas": [USER], "userName": "b@beta.example"})),
            None,
        )
        .await;
    let (status, body, _) = s.call(M::PATCH, &format!("/scim/v2/Groups/{gid}"),
        Some(json!({"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"value": beta_user["id"]}]}]}))).await;
    assert_eq!(status, 400, "{body}");
    let (status, _, _) = s
        .call_as("idscim_forged", M::GET, "/scim/v2/Users", None, None)
        .await;
    assert_eq!(status, 401);
    let (_, still, _) = s.call(M::GET, &format!("/scim/v2/Users/{id}"), None).await;
    assert_eq!(still["active"], true);
    s.app.stop().await;
}

#[tokio::test]
async fn roles_passwords_and_read_only_attributes_cannot_be_assigned() {
    let s = setup().await;
    use reqwest::Method as M;
    for extra in [
        json!({"roles": [{"value": "admin"}]}),
        json!({"entitlements": [{"value": "admin"}]}),
    ] {
        let mut body = json!({"schemas": [USER], "userName": "mal@alpha.example"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let (status, resp, _) = s.call(M::POST, "/scim/v2/Users", Some(body)).await;
        assert_eq!(status, 400, "{resp}");
        assert_eq!(
            resp["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:Error"
        );
        assert_eq!(resp["scimType"], "mutability", "{resp}");
    }
    // Attributes this service does not know are ignored (RFC 7644), and give nothing.
    let body = json!({"schemas": [USER], "userName": "mal@alpha.example", "admin": true, "isAdmin": "True"});
    let (status, mal, _) = s.call(M::POST, "/scim/v2/Users", Some(body)).await;
    assert_eq!(status, 201, "{mal}");
    assert!(
        mal.get("admin").is_none() && mal.get("isAdmin").is_none(),
        "{mal}"
    );
    let mal_id = uuid::Uuid::parse_str(mal["id"].as_str().unwrap()).unwrap();
    let (status, person) = s
        .app
        .call(&s.admin, M::GET, &format!("/admin/v1/users/{mal_id}"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(person["roles"], json!([]), "{person}");
    let ada = s.create_user("ada@alpha.example").await;
    let path = format!("/scim/v2/Users/{}", ada["id"].as_str().unwrap());
    // A password or roles on a replace or a path-less patch would change protected data.
    let mut put = ada.clone();
    put["password"] = json!("correct horse battery staple");
    let (status, resp, _) = s.call(M::PUT, &path, Some(put)).await;
    assert_eq!(
        (status, resp["scimType"].as_str()),
        (400, Some("mutability")),
        "{resp}"
    );
    for value in [
        json!({"password": "x-y-z-long-enough"}),
        json!({"roles": [{"value": "admin"}]}),
        json!({"id": uuid::Uuid::new_v4()}),
    ] {
        let body = json!({"schemas": [PATCH], "Operations": [{"op": "replace", "value": value}]});
        let (status, resp, _) = s.call(M::PATCH, &path, Some(body)).await;
        assert_eq!(
            (status, resp["scimType"].as_str()),
            (400, Some("mutability")),
            "{value}: {resp}"
        );
    }
    for (op_path, scim_type) in [
        ("roles", "invalidPath"),
        ("password", "invalidPath"),
        ("nosuch.thing", "invalidPath"),
        ("groups", "mutability"),
        ("id", "invalidPath"),
    ] {
        let (status, resp, _) = s.call(M::PATCH, &path,
            Some(json!({"schemas": [PATCH], "Operations": [{"op": "add", "path": op_path, "value": "x"}]}))).await;
        assert_eq!(status, 400, "{op_path}: {resp}");
        assert_eq!(resp["scimType"], scim_type, "{op_path}: {resp}");
    }
    let (_, after, _) = s.call(M::GET, &path, None).await;
    assert!(after.get("roles").is_none() && after.get("password").is_none());
    s.app.stop().await;
}

#[tokio::test]
async fn etags_guard_writes_and_user_names_are_unique_ignoring_case() {
    let s = setup().await;
    use reqwest::Method as M;
    let ada = s.create_user("ada@alpha.example").await;
    let path = format!("/scim/v2/Users/{}", ada["id"].as_str().unwrap());
    let (_, now, headers) = s.call(M::GET, &path, None).await;
    let etag = now["meta"]["version"].as_str().unwrap().to_string();
    assert_eq!(headers["etag"].to_str().unwrap(), etag);
    let put = json!({"schemas": [USER], "userName": "ada@alpha.example", "displayName": "Ada"});
    let (status, body, _) = s
        .call_as(
            &s.token,
            M::PUT,
            &path,
            Some(put.clone()),
            Some("W/\"stale\""),
        )
        .await;
    assert_eq!(status, 412, "{body}");
    let (status, body, _) = s
        .call_as(&s.token, M::PUT, &path, Some(put.clone()), Some(&etag))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_ne!(
        body["meta"]["version"], etag,
        "a change makes a new version"
    );
    assert!(
        body.get("emails").is_none(),
        "PUT replaces the whole resource"
    );
    let (status, _, _) = s
        .call_as(&s.token, M::DELETE, &path, None, Some(&etag))
        .await;
    assert_eq!(status, 412, "the old version no longer matches");
    let (status, body, _) = s
        .call(
            M::POST,
            "/scim/v2/Users",
            Some(json!({"schemas": [USER], "userName": "ADA@Alpha.Example"})),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["scimType"], "uniqueness");
    let big = "x".repeat(70_000);
    let (status, body, _) = s
        .call(
            M::POST,
            "/scim/v2/Users",
            Some(json!({"schemas": [USER], "userName": big})),
        )
        .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    let (status, body, _) = s.call(M::GET, "/scim/v2/NoSuchThing", None).await;
    assert_eq!((status, body["status"].as_str()), (404, Some("404")));
    s.app.stop().await;
}

/// Under row-level security an index on `lower(...)` is never used (lower() is not
/// leakproof), and personal data is sealed, so lookups go through stored columns: the blind
/// index of sealed rows, the lower-case key of rows still in clear. With sequential scans
/// priced out, the service's role must get an index for each, as the service writes them
/// (`db/models/users.rs`, `scim/sealed_filter.rs`), never a scan of the table.
#[tokio::test]
async fn email_and_user_name_lookups_use_an_index_under_row_level_security() {
    let s = setup().await;
    let app = s.db.app().await;
    let tenant = s.alpha.tenant_id.0.to_string();
    let emails_legacy = "EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(u.scim->'emails', \
        '[]'::jsonb)) AS e WHERE lower(normalize(e->>'value', NFKC)) = 'a@alpha.example')";
    for (what, condition) in [
        (
            "sign-in email",
            "(u.email_index = 'x' OR u.email_key = 'a@alpha.example')".to_string(),
        ),
        (
            "SCIM userName eq",
            "(u.user_name_index = 'x' OR u.user_name_key = 'a@alpha.example')".into(),
        ),
        (
            "SCIM emails.value eq",
            format!(
                "(u.id = ANY (ARRAY(SELECT x.user_id FROM user_email_indexes x WHERE \
                 x.tenant_id = $1::uuid AND x.value = 'x')) OR u.email_key = 'a@alpha.example' \
                 OR (u.email_sealed IS NULL AND {emails_legacy}))"
            ),
        ),
        (
            "SCIM externalId eq",
            "(u.external_id_index = 'x' OR (u.email_sealed IS NULL AND u.external_id = 'x'))"
                .into(),
        ),
    ] {
        app.batch_execute(&format!(
            "BEGIN; SET LOCAL enable_seqscan = off; SELECT set_config('app.tenant_id', '{tenant}', true)"
        ))
        .await
        .unwrap();
        let sql = format!(
            "EXPLAIN SELECT u.id FROM users u WHERE u.tenant_id = $1::uuid AND {condition}"
        );
        let plan: String = app
            .query(&sql, &[&s.alpha.tenant_id.0])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect::<Vec<_>>()
            .join("\n");
        app.batch_execute("COMMIT").await.unwrap();
        assert!(
            plan.contains("Index") && !plan.contains("Seq Scan"),
            "{what}: {plan}"
        );
    }
    s.app.stop().await;
}

#[tokio::test]
async fn a_root_search_finds_users_and_groups_at_once() {
    let s = setup().await;
    s.create_user("carol@alpha.example").await;
    let group =
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Sales"});
    let (status, body, _) = s
        .call(reqwest::Method::POST, "/scim/v2/Groups", Some(group))
        .await;
    assert_eq!(status, 201, "{body}");
    let search = |body: Value| {
        let s = &s;
        async move {
            s.call(reqwest::Method::POST, "/scim/v2/.search", Some(body))
                .await
        }
    };
    let request = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
    let (status, all, _) = search(json!({"schemas": [request]})).await;
    assert_eq!(status, 200, "{all}");
    // The workspace's first admin, Carol and the group.
    assert_eq!(all["totalResults"], 3, "{all}");
    // A filter of one type's attribute finds that type only.
    let (status, found, _) = search(json!({"schemas": [request],
        "filter": "displayName eq \"Sales\""}))
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["Resources"][0]["displayName"], "Sales", "{found}");
    // Paged over both: Users first, then Groups.
    let (_, page, _) = search(json!({"schemas": [request], "startIndex": 3, "count": 1})).await;
    assert_eq!(page["totalResults"], 3);
    assert_eq!(page["Resources"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["Resources"][0]["displayName"], "Sales", "{page}");
    s.app.stop().await;
}
