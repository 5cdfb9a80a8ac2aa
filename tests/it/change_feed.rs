//! Memory as a cache (invariant 8): a revocation, a deleted client, a revoked API key or an
//! ended session on one instance shows on another within the feed's bound, with that
//! instance's memory warm; a cut feed connection makes the instance read the database at
//! once, and it recovers; a revoked token stays inactive through the verified-token memory.

use crate::authority::rig;
use crate::harness::{envelope, TestApp, TestDb};
use crate::support::*;
use identity::ids::TenantId;
use identity::jwt::Alg;
use identity::oidc::clients;
use reqwest::Method;
use std::future::Future;
use std::time::{Duration, Instant};

/// What the README promises: visible on every instance within this bound (the feed's
/// heartbeat: one ping interval plus two lag limits), normally within milliseconds.
const BOUND: Duration = Duration::from_millis(1_250);

/// How long until `inactive` holds, polling every two milliseconds; fails past [`BOUND`].
pub async fn time_until<F, Fut>(what: &str, mut inactive: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if inactive().await {
            let took = started.elapsed();
            println!("{what}: seen on the other instance after {took:?}");
            return took;
        }
        assert!(
            started.elapsed() < BOUND,
            "{what}: not seen within {BOUND:?}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Settings whose per-IP budget does not run out while a test polls.
fn roomy(db: &TestDb) -> identity::config::Settings {
    let mut settings = db.settings();
    settings.rate_limits.global_per_ip.limit = 1_000_000;
    settings
}

/// The `jti` and `tid` of a token, to look into an instance's memory.
fn jti_and_tenant(token: &str) -> (String, TenantId) {
    let (_, claims) = peek(token);
    let tenant = claims["tid"]
        .as_str()
        .map(|t| TenantId(uuid::Uuid::parse_str(t).unwrap()))
        .unwrap_or(TenantId::PLATFORM);
    (claims["jti"].as_str().unwrap().to_string(), tenant)
}

/// `b` answers about `token` from memory: its revocation state is remembered.
fn remembered(b: &TestApp, token: &str) -> bool {
    let memory = b.state.db.memory();
    let (jti, tenant) = jti_and_tenant(token);
    memory
        .ticket()
        .is_some_and(|t| memory.revoked(t, tenant, &jti) == Some(false))
}

async fn warm(b: &TestApp, api: &TestClient, token: &str) {
    b.feed_trusted().await;
    assert_eq!(introspect(b, api, token).await["active"], true);
    assert!(remembered(b, token), "B did not remember the token's state");
    assert_eq!(introspect(b, api, token).await["active"], true);
}

#[tokio::test]
async fn revocation_and_client_deletion_show_on_a_warm_instance_within_the_bound() {
    let db = TestDb::new().await;
    let a = TestApp::spawn(roomy(&db)).await;
    let b = TestApp::spawn(roomy(&db)).await;
    let pool = db.db();
    let caller = platform_client(&pool, Alg::EdDSA, &[API], None).await;
    let api = platform_client(&pool, Alg::EdDSA, &[], Some(API)).await;
    let t1 = client_token(&a, &caller, API).await;
    let t2 = client_token(&a, &caller, API).await;
    warm(&b, &api, &t1).await;
    warm(&b, &api, &t2).await;

    assert_eq!(revoke(&a, &caller, &t1).await, 200);
    time_until("revocation", || async {
        introspect(&b, &api, &t1).await["active"] == false
    })
    .await;
    assert_eq!(introspect(&b, &api, &t2).await["active"], true);

    // Deleted by a third party (the CLI's code path): only the feed can tell B.
    let now = chrono::Utc::now();
    clients::delete(&pool, &envelope(&[1]), &caller.id, "test", now)
        .await
        .unwrap();
    time_until("client deletion", || async {
        introspect(&b, &api, &t2).await["active"] == false
    })
    .await;
    let res = token_response(
        &b,
        &caller,
        &[("grant_type", "client_credentials"), ("audience", API)],
    )
    .await;
    assert_eq!(res.status(), 401, "a deleted client still gets tokens");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn api_key_revocation_and_session_end_show_on_a_warm_instance_within_the_bound() {
    let r = rig().await;
    let b = TestApp::spawn(roomy(&r.db)).await;
    let admin_api = platform_client(&r.pool, Alg::EdDSA, &[], Some(ADMIN)).await;
    let crm_api = platform_client(&r.pool, Alg::EdDSA, &[], Some(API)).await;

    // An API key exchanged for a JWT, introspected on B.
    let key = r.key_made_by("cli", "admin").await;
    let form = [
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("subject_token", key.as_str()),
        (
            "subject_token_type",
            "urn:identity:params:oauth:token-type:api-key",
        ),
        ("audience", API),
    ];
    let res = r
        .app
        .http
        .post(r.app.url("/oauth2/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let key_jwt = res.json::<serde_json::Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    warm(&b, &crm_api, &key_jwt).await;
    let (s, keys) = r
        .app
        .call(&r.admin_key, Method::GET, "/admin/v1/api-keys", None)
        .await;
    assert_eq!(s, 200);
    let (_, claims) = peek(&key_jwt);
    let key_id = claims["sub"]
        .as_str()
        .unwrap()
        .trim_start_matches("apikey:")
        .to_string();
    assert!(keys.to_string().contains(&key_id));
    let path = format!("/admin/v1/api-keys/{key_id}");
    let (s, _) = r.app.call(&r.admin_key, Method::DELETE, &path, None).await;
    assert!(s == 204 || s == 200, "revoking the key answered {s}");
    time_until("API key revocation", || async {
        introspect(&b, &crm_api, &key_jwt).await["active"] == false
    })
    .await;

    // A person's token with a session, the session ended on A.
    let user = r.user("dana@acme.example", &[]).await;
    let person = r.person_token(user).await;
    warm(&b, &admin_api, &person).await;
    let (_, claims) = peek(&person);
    let sid = claims["sid"].as_str().unwrap();
    let path = format!("/admin/v1/users/{user}/sessions/{sid}");
    let (s, body) = r.app.call(&r.admin_key, Method::DELETE, &path, None).await;
    assert!(
        s == 204 || s == 200,
        "ending the session answered {s}: {body}"
    );
    time_until("session end", || async {
        introspect(&b, &admin_api, &person).await["active"] == false
    })
    .await;
    b.stop().await;
}

#[tokio::test]
async fn a_cut_feed_reads_the_database_at_once_then_recovers_its_memory() {
    let db = TestDb::new().await;
    let a = TestApp::spawn(roomy(&db)).await;
    let b = TestApp::spawn(roomy(&db)).await;
    let pool = db.db();
    let caller = platform_client(&pool, Alg::EdDSA, &[API], None).await;
    let api = platform_client(&pool, Alg::EdDSA, &[], Some(API)).await;
    let t1 = client_token(&a, &caller, API).await;
    warm(&b, &api, &t1).await;

    let pid = b.state.db.feed().listener_pid().expect("B listens");
    let owner = db.owner().await;
    let cut: bool = owner
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .unwrap()
        .get(0);
    assert!(cut);
    let deadline = Instant::now() + Duration::from_secs(2);
    while b.state.db.memory().is_trusted() {
        assert!(Instant::now() < deadline, "B kept trusting a dead feed");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(revoke(&a, &caller, &t1).await, 200);
    assert_eq!(
        introspect(&b, &api, &t1).await["active"],
        false,
        "without its feed, B must read the database"
    );
    let trusted_gauge = |app: &TestApp| {
        let app = app.url("/metrics");
        async move {
            let text = reqwest::get(app).await.unwrap().text().await.unwrap();
            text.lines()
                .find(|l| l.starts_with("identity_change_feed_trusted "))
                .map(|l| l.trim_end().ends_with(" 1"))
        }
    };
    // Operators see it: the gauge says the instance reads the database, unless it has
    // already reconnected. Trust needs the new listener, so a gauge that says "trusted"
    // was read after the new listener was in place: one read, then a fact that cannot
    // go back (never two reads of a changing state compared).
    let seen = trusted_gauge(&b).await.expect("the gauge is exported");
    let relistened = b.state.db.feed().listener_pid().is_some_and(|p| p != pid);
    assert!(
        !seen || relistened,
        "the gauge said trusted while B had no new listener"
    );

    // B reconnects (a new listener), trusts its memory again and refills it.
    b.feed_trusted().await;
    let new_pid = b.state.db.feed().listener_pid().expect("B listens again");
    assert_ne!(new_pid, pid);
    assert_eq!(trusted_gauge(&b).await, Some(true));
    assert_eq!(introspect(&b, &api, &t1).await["active"], false);
    let t2 = client_token(&a, &caller, API).await;
    warm(&b, &api, &t2).await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_revoked_token_stays_inactive_through_the_verified_token_memory() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let caller = platform_client(&pool, Alg::EdDSA, &[API], None).await;
    let api = platform_client(&pool, Alg::EdDSA, &[], Some(API)).await;
    let billing = platform_client(&pool, Alg::EdDSA, &[], Some(BILLING)).await;
    let token = client_token(&app, &caller, API).await;
    app.feed_trusted().await;
    let before = app.state.keys.verified().len();
    assert_eq!(introspect(&app, &api, &token).await["active"], true);
    assert_eq!(
        app.state.keys.verified().len(),
        before + 1,
        "the checked token is remembered"
    );
    // A remembered check is still bound to the audience it was made for.
    assert_eq!(introspect(&app, &billing, &token).await["active"], false);

    assert_eq!(revoke(&app, &caller, &token).await, 200);
    // Same instance: at once, and every time after.
    for _ in 0..3 {
        assert_eq!(introspect(&app, &api, &token).await["active"], false);
    }
    app.stop().await;
}

#[tokio::test]
async fn an_api_key_answered_from_memory_follows_its_maker_and_its_revocation() {
    let r = rig().await;
    let b = TestApp::spawn(roomy(&r.db)).await;
    let crm_api = platform_client(&r.pool, Alg::EdDSA, &[], Some(API)).await;
    let maker = r.user("maker@acme.example", &["admin"]).await;
    let key = r.key_made_by(&format!("user:{maker}"), "admin").await;
    b.feed_trusted().await;
    let first = introspect(&b, &crm_api, &key).await;
    assert_eq!(first["active"], true);
    assert!(first["scope"].as_str().unwrap().contains("users:write"));
    // Remembered: the key's identity is in B's memory now.
    let memory = b.state.db.memory();
    let (tenant, key_id) = {
        let parsed = identity::apikeys::parse(&key).unwrap();
        (parsed.tenant, parsed.key_id)
    };
    assert!(memory
        .ticket()
        .is_some_and(|t| memory.api_key(t, tenant, key_id).is_some()));

    // The maker is cut down to a member on A: the key shrinks on B too, and no longer
    // names a role its permissions do not cover.
    let path = format!("/admin/v1/users/{maker}/roles");
    let (s, body) = r
        .app
        .call(
            &r.admin_key,
            Method::PUT,
            &path,
            Some(serde_json::json!({"roles": ["member"]})),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    time_until("maker downgrade", || async {
        let seen = introspect(&b, &crm_api, &key).await;
        seen["active"] == true
            && !seen["scope"].as_str().unwrap_or("").contains("users:write")
            && seen["roles"] == serde_json::json!([])
    })
    .await;
    // Cut to nothing: no credential at all.
    let (s, body) = r
        .app
        .call(
            &r.admin_key,
            Method::PUT,
            &path,
            Some(serde_json::json!({"roles": []})),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    time_until("maker left with nothing", || async {
        introspect(&b, &crm_api, &key).await["active"] == false
    })
    .await;

    b.stop().await;
}

/// What instance `b` seals a new value of `tenant` under (`ev2.<version>`).
async fn seals_under(b: &TestApp, tenant: TenantId) -> String {
    let tx = b.state.db.tenant(tenant).await.unwrap();
    let ctx = identity::crypto::SecretContext {
        tenant,
        table: "tenant_secrets",
        column: "value_enc",
        row: "probe",
    };
    let sealed = b
        .state
        .envelope
        .for_tenant(&tx)
        .await
        .unwrap()
        .seal(&ctx, b"x")
        .unwrap();
    tx.commit().await.unwrap();
    sealed.split('.').take(2).collect::<Vec<_>>().join(".")
}

#[tokio::test]
async fn a_new_workspace_key_seals_on_a_warm_instance_within_the_bound() {
    let db = TestDb::new().await;
    let pool = db.db();
    let env = envelope(&[1]);
    let tenant = crate::harness::tenant(&pool, &env, "alpha").await.tenant_id;
    let b = TestApp::spawn(roomy(&db)).await;
    b.feed_trusted().await;
    assert_eq!(seals_under(&b, tenant).await, "ev2.1");
    let memory = b.state.db.memory();
    let ticket = memory.ticket().unwrap();
    assert!(
        memory.tenant_keks(ticket, tenant).is_some(),
        "b remembers the key"
    );

    // Rotated by another process (the CLI's): b, warm, seals under the new version soon.
    identity::admin::encryption_rotation::rotate_workspace(&pool, &env, tenant, 100, |_, _| {})
        .await
        .unwrap();
    time_until("a new workspace key version", || async {
        seals_under(&b, tenant).await == "ev2.2"
    })
    .await;
    b.stop().await;
}
