//! The browser sign-in over HTTP, cookies handled by hand as a browser would: authorize →
//! sign-in form (CSRF) → session cookie → code → tokens; single sign-on on the next visit;
//! and the refusals: bad redirect URIs (page, no redirect), PKCE missing or plain, CSRF
//! missing or wrong, wrong password, the 21st attempt from one IP.

use crate::browser::VERIFIER;
use crate::browser::{authorize_url, cookies, hidden_fields, query_of, PASSWORD, REDIRECT};
use crate::browser::{Reached, Site, SIGNED_OUT};
use crate::harness::{envelope, tenant, TestApp, TestDb};
use crate::support::*;
use identity::oidc::clients::{self, ClientSpec};
use reqwest::header::LOCATION;
use serde_json::Value;

type Rig = Site;

async fn rig() -> Rig {
    Site::start(Reached::ByAddress).await
}

async fn session_count(r: &Rig) -> i64 {
    r.db.owner()
        .await
        .query_one("SELECT count(*) FROM sessions", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_browser_signs_in_gets_a_code_and_is_signed_in_on_the_next_visit() {
    let r = rig().await;
    let page = r
        .get(
            &authorize_url(&[("login_hint", "admin@alpha.example")]),
            None,
        )
        .await;
    assert_eq!(page.status(), 200);
    let csrf_cookie = cookies(page.headers())
        .into_iter()
        .find(|c| c.0 == "__Host-identity-csrf")
        .unwrap();
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(
            csrf_cookie.2.contains(attr),
            "CSRF cookie lacks {attr}: {}",
            csrf_cookie.2
        );
    }
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Workspace <strong>alpha</strong>"),
        "the tenant is shown"
    );
    assert!(
        html.contains(r#"value="admin@alpha.example""#),
        "login_hint prefills the email"
    );
    // One same-origin script (passkeys), nothing inline: the CSP forbids the rest.
    let scripts: Vec<&str> = html
        .match_indices("<script")
        .map(|(i, _)| &html[i..])
        .collect();
    assert_eq!(scripts.len(), 1, "{html}");
    assert!(scripts[0].starts_with(r#"<script src="/assets/passkeys.js" defer></script>"#));

    let res = r
        .sign_in("admin@alpha.example", PASSWORD, None, "198.51.100.1")
        .await;
    assert_eq!(res.status(), 303);
    let jar = cookies(res.headers());
    let session = jar
        .iter()
        .find(|c| c.0 == "__Host-identity-session")
        .expect("a session cookie");
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(
            session.2.contains(attr),
            "session cookie lacks {attr}: {}",
            session.2
        );
    }
    assert!(
        !session.2.contains("Domain"),
        "__Host- cookies have no Domain"
    );
    let new_csrf = jar
        .iter()
        .find(|c| c.0 == "__Host-identity-csrf")
        .expect("CSRF rotated at sign-in");
    assert_ne!(new_csrf.1, csrf_cookie.1);
    let location = res.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(location.starts_with(REDIRECT));
    let q = query_of(&location);
    assert_eq!(q["state"], "st-1");
    assert_eq!(q["iss"], ISSUER);

    let res = token_response(
        &r.app,
        &r.web,
        &[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let tokens: Value = res.json().await.unwrap();
    assert_eq!(peek(tokens["id_token"].as_str().unwrap()).1["nonce"], "n-1");

    // Next visit with the session cookie: straight back with a new code.
    let cookie = format!("__Host-identity-session={}", session.1);
    let res = r
        .get(&authorize_url(&[("state", "st-2")]), Some(&cookie))
        .await;
    assert_eq!(res.status(), 303);
    let q2 = query_of(res.headers()[LOCATION].to_str().unwrap());
    assert_eq!(q2["state"], "st-2");
    assert_ne!(q2["code"], q["code"]);
    // prompt=login shows the form even so; prompt=none without a session says login_required.
    assert_eq!(
        r.get(&authorize_url(&[("prompt", "login")]), Some(&cookie))
            .await
            .status(),
        200
    );
    let res = r.get(&authorize_url(&[("prompt", "none")]), None).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        query_of(res.headers()[LOCATION].to_str().unwrap())["error"],
        "login_required"
    );
    r.app.stop().await;
}

#[tokio::test]
async fn bad_redirect_uris_get_a_page_and_are_never_redirected_to() {
    let r = rig().await;
    for uri in [
        "https://evil.example/callback",
        "https://crm.example/callback/../evil",
        "https://crm.example/callbackx",
        "https://crm.example:8443/callback",
    ] {
        let res = r.get(&authorize_url(&[("redirect_uri", uri)]), None).await;
        assert_eq!(res.status(), 400, "{uri}");
        assert!(res.headers().get(LOCATION).is_none(), "redirected to {uri}");
        assert!(res.text().await.unwrap().contains("not registered"));
    }
    let res = r
        .get(&authorize_url(&[("client_id", "nobody")]), None)
        .await;
    assert_eq!(res.status(), 400);
    assert!(res.headers().get(LOCATION).is_none());
    r.app.stop().await;
}

#[tokio::test]
async fn pkce_is_required_and_plain_is_refused() {
    let r = rig().await;
    for extra in [
        vec![("code_challenge", ""), ("code_challenge_method", "")],
        vec![("code_challenge_method", "plain")],
        vec![("code_challenge_method", "")],
    ] {
        let res = r.get(&authorize_url(&extra), None).await;
        assert_eq!(res.status(), 303, "{extra:?}");
        let q = query_of(res.headers()[LOCATION].to_str().unwrap());
        assert_eq!(q["error"], "invalid_request", "{extra:?}");
        assert_eq!(q["state"], "st-1");
    }
    r.app.stop().await;
}

#[tokio::test]
async fn a_missing_or_wrong_csrf_token_changes_nothing() {
    let r = rig().await;
    for cookie in [
        "",
        "__Host-identity-csrf=forged-value-forged-value-forged-value-xx",
    ] {
        let res = r
            .sign_in(
                "admin@alpha.example",
                PASSWORD,
                Some(cookie),
                "198.51.100.2",
            )
            .await;
        assert_eq!(res.status(), 403);
        assert!(cookies(res.headers())
            .iter()
            .all(|c| c.0 != "__Host-identity-session"));
    }
    assert_eq!(
        session_count(&r).await,
        0,
        "a session was created without a valid CSRF token"
    );
    r.app.stop().await;
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let r = rig().await;
    let wrong = r
        .sign_in(
            "admin@alpha.example",
            "not the password at all",
            None,
            "198.51.100.3",
        )
        .await;
    let unknown = r
        .sign_in(
            "nobody@alpha.example",
            "not the password at all",
            None,
            "198.51.100.3",
        )
        .await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    let (a, b) = (wrong.text().await.unwrap(), unknown.text().await.unwrap());
    assert!(a.contains("Email or password is incorrect."));
    let strip = |s: &str| {
        regex::Regex::new(r#"value="[^"]*""#)
            .unwrap()
            .replace_all(s, "")
            .to_string()
    };
    assert_eq!(
        strip(&a).replace("admin@", "X@"),
        strip(&b).replace("nobody@", "X@"),
        "the pages differ"
    );
    assert_eq!(session_count(&r).await, 0);
    r.app.stop().await;
}

#[tokio::test]
async fn the_21st_sign_in_attempt_from_one_ip_is_refused() {
    let r = rig().await;
    for i in 0..20 {
        let res = r
            .sign_in(
                &format!("user{i}@alpha.example"),
                "not the password at all",
                None,
                "203.0.113.21",
            )
            .await;
        assert_eq!(res.status(), 401, "attempt {}", i + 1);
    }
    let res = r
        .sign_in("admin@alpha.example", PASSWORD, None, "203.0.113.21")
        .await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(session_count(&r).await, 0);
    r.app.stop().await;
}

#[tokio::test]
async fn openid_client_runs_the_whole_flow_and_its_checks_pass() {
    let db = TestDb::new().await;
    let app = TestApp::spawn_as_issuer(db.settings()).await;
    let pool = db.db();
    let env = envelope(&[1]);
    tenant(&pool, &env, "alpha").await;
    let spec = ClientSpec {
        name: "CRM web".into(),
        client_id: Some("crm-web".into()),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        redirect_uris: vec![REDIRECT.into()],
        ..Default::default()
    };
    let (_, secret) = clients::create(&pool, &env, spec, 3600, "test", chrono::Utc::now())
        .await
        .unwrap();
    let (ok, out) = run_verifier(
        "node",
        "oidc_flow.mjs",
        &[
            &app.base,
            "crm-web",
            &secret,
            REDIRECT,
            "alpha",
            "admin@alpha.example",
            PASSWORD,
        ],
    );
    assert!(ok, "openid-client refused the flow: {out}");
    let result: Value = serde_json::from_str(out.trim().lines().last().unwrap()).unwrap();
    assert_eq!(result["email"], "admin@alpha.example");
    assert_eq!(result["refreshed"], true);
    assert_eq!(result["sessionCookie"], true);
    assert!(result["sub"].as_str().unwrap().starts_with("user:"));
    app.stop().await;
}

#[tokio::test]
async fn logout_ends_the_session_and_returns_only_to_a_registered_uri() {
    let r = rig().await;
    let res = r
        .sign_in("admin@alpha.example", PASSWORD, None, "198.51.100.9")
        .await;
    assert_eq!(res.status(), 303);
    let session = cookies(res.headers())
        .into_iter()
        .find(|c| c.0 == "__Host-identity-session")
        .unwrap()
        .1;
    let code = query_of(res.headers()[LOCATION].to_str().unwrap())["code"].clone();
    let res = token_response(
        &r.app,
        &r.web,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    let tokens: Value = res.json().await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap().to_string();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let cookie = format!("__Host-identity-session={session}");

    // An unregistered place to go afterwards: a page, no redirect, still signed in.
    let bad = format!(
        "/oauth2/logout?{}",
        serde_urlencoded::to_string([
            ("id_token_hint", id_token.as_str()),
            ("post_logout_redirect_uri", "https://evil.example/")
        ])
        .unwrap()
    );
    let res = r.get(&bad, Some(&cookie)).await;
    assert_eq!(res.status(), 400);
    assert!(res.headers().get(LOCATION).is_none());
    assert_eq!(
        r.get(&authorize_url(&[]), Some(&cookie)).await.status(),
        303,
        "a refused logout signed the user out"
    );

    let good = format!(
        "/oauth2/logout?{}",
        serde_urlencoded::to_string([
            ("id_token_hint", id_token.as_str()),
            ("post_logout_redirect_uri", SIGNED_OUT),
            ("state", "bye")
        ])
        .unwrap()
    );
    let res = r.get(&good, Some(&cookie)).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()[LOCATION],
        format!("{SIGNED_OUT}?state=bye").as_str()
    );
    let cleared = cookies(res.headers())
        .into_iter()
        .find(|c| c.0 == "__Host-identity-session")
        .expect("cookie cleared");
    assert!(
        cleared.1.is_empty() && cleared.2.contains("Max-Age=0"),
        "{}",
        cleared.2
    );
    // The session is over server-side: the old cookie no longer signs in, its refresh token is dead.
    assert_eq!(
        r.get(&authorize_url(&[]), Some(&cookie)).await.status(),
        200
    );
    let res = token_response(
        &r.app,
        &r.web,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(res.status(), 400);
    let ended: i64 =
        r.db.owner()
            .await
            .query_one(
                "SELECT count(*) FROM sessions WHERE end_reason = 'signed_out'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
    assert_eq!(ended, 1);
    r.app.stop().await;
}

#[tokio::test]
async fn headless_chromium_signs_in_and_lands_on_the_redirect_uri_with_a_code() {
    let r = rig().await;
    let artifacts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("signin-page.png");
    let _ = std::fs::remove_file(&shot);
    let url = r.app.url(&authorize_url(&[]));
    let (ok, out) = run_verifier(
        "node",
        "browser_signin.mjs",
        &[
            &url,
            REDIRECT,
            "admin@alpha.example",
            PASSWORD,
            shot.to_str().unwrap(),
        ],
    );
    assert!(ok, "the browser could not sign in: {out}");
    let result: Value = serde_json::from_str(out.trim().lines().last().unwrap()).unwrap();
    let landed = result["landed"].as_str().unwrap();
    assert!(landed.starts_with(REDIRECT), "{landed}");
    let q = query_of(landed);
    assert!(q["code"].starts_with("idc_"));
    assert_eq!(q["state"], "st-1");
    assert_eq!(result["session"]["httpOnly"], true);
    assert_eq!(result["session"]["secure"], true);
    assert_eq!(result["session"]["sameSite"], "Lax");
    let png = std::fs::read(&shot).expect("a screenshot of the sign-in page");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 5_000);
    r.app.stop().await;
}

#[tokio::test]
async fn unknown_and_known_emails_take_the_same_time() {
    let r = rig().await;
    let pool = r.db.db();
    let tenant = identity::auth::home_realm::tenant_by_slug(&pool, "alpha")
        .await
        .unwrap()
        .unwrap();
    // Five known accounts, each tried once (no per-account delay), against five unknown ones.
    let hash = identity::auth::password::PasswordHasher::new(1)
        .hash(PASSWORD)
        .await
        .unwrap();
    let mut tx = pool.tenant(tenant).await.unwrap();
    for i in 0..5 {
        let email = format!("known{i}@alpha.example");
        identity::db::models::users::insert(
            &mut tx,
            &identity::db::models::users::NewUser {
                email: &email,
                display_name: None,
                password_hash: Some(&hash),
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..5 {
        for (email, times) in [
            (format!("known{i}@alpha.example"), &mut known),
            (format!("ghost{i}@alpha.example"), &mut unknown),
        ] {
            let page = r.get(&authorize_url(&[]), None).await;
            let csrf = cookies(page.headers())
                .into_iter()
                .find(|c| c.0 == "__Host-identity-csrf")
                .unwrap()
                .1;
            let mut form = hidden_fields(&page.text().await.unwrap());
            form.push(("email".into(), email));
            form.push(("password".into(), "not the password at all".into()));
            let started = std::time::Instant::now();
            let res = r
                .app
                .http
                .post(r.app.url("/signin"))
                .header("cookie", format!("__Host-identity-csrf={csrf}"))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 401);
            res.text().await.unwrap();
            times.push(started.elapsed().as_secs_f64());
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    let (k, u) = (median(&mut known), median(&mut unknown));
    let gap = (k - u).abs() / k.max(u);
    println!(
        "median known {k:.3}s unknown {u:.3}s gap {:.1}%",
        gap * 100.0
    );
    assert!(
        gap < 0.10,
        "answer times differ by {:.1}% (known {k:.3}s, unknown {u:.3}s)",
        gap * 100.0
    );
    r.app.stop().await;
}

#[tokio::test]
async fn sign_in_is_refused_while_redis_is_down_and_never_let_through() {
    use crate::ratelimit::{free_port, OwnRedis};
    let db = TestDb::new().await;
    let port = free_port();
    let mut redis = OwnRedis::start(port);
    let mut settings = db.settings();
    settings.redis.url = format!("redis://127.0.0.1:{port}").into();
    let app = TestApp::spawn(settings).await;
    let pool = db.db();
    let env = envelope(&[1]);
    tenant(&pool, &env, "alpha").await;
    let spec = ClientSpec {
        name: "CRM web".into(),
        client_id: Some("crm-web".into()),
        grant_types: vec!["authorization_code".into()],
        redirect_uris: vec![REDIRECT.into()],
        ..Default::default()
    };
    clients::create(&pool, &env, spec, 3600, "test", chrono::Utc::now())
        .await
        .unwrap();
    let page = app.get(&authorize_url(&[])).await;
    assert_eq!(page.status(), 200);
    let csrf = cookies(page.headers())
        .into_iter()
        .find(|c| c.0 == "__Host-identity-csrf")
        .unwrap()
        .1;
    let mut form = hidden_fields(&page.text().await.unwrap());
    form.push(("email".into(), "admin@alpha.example".into()));
    form.push(("password".into(), PASSWORD.into()));

    redis.kill();
    for _ in 0..3 {
        let res = app
            .http
            .post(app.url("/signin"))
            .header("cookie", format!("__Host-identity-csrf={csrf}"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            503,
            "a sign-in went through without its limits"
        );
        assert!(res.headers().contains_key("retry-after"));
    }
    let sessions: i64 = db
        .owner()
        .await
        .query_one("SELECT count(*) FROM sessions", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(sessions, 0);
    app.stop().await;
}

#[tokio::test]
async fn a_person_lists_and_ends_their_own_sessions_with_the_csrf_token() {
    let r = rig().await;
    let mut jars = Vec::new();
    for ip in ["198.51.100.20", "198.51.100.21"] {
        let res = r.sign_in("admin@alpha.example", PASSWORD, None, ip).await;
        assert_eq!(res.status(), 303);
        let jar = cookies(res.headers());
        let get = |name: &str| jar.iter().find(|c| c.0 == name).unwrap().1.clone();
        jars.push((get("__Host-identity-session"), get("__Host-identity-csrf")));
    }
    let (mine, my_csrf) = &jars[0];
    let cookie = format!("__Host-identity-session={mine}; __Host-identity-csrf={my_csrf}");
    let listed: Value = r
        .get("/account/sessions", Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    let all = listed["sessions"].as_array().unwrap();
    assert_eq!(all.len(), 2);
    let other = all
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .find(|id| *id != listed["current"].as_str().unwrap())
        .unwrap()
        .to_string();

    let end = |csrf: Option<&str>| {
        let mut req = r
            .app
            .http
            .delete(r.app.url(&format!("/account/sessions/{other}")))
            .header("cookie", &cookie);
        if let Some(c) = csrf {
            req = req.header("x-csrf-token", c);
        }
        req.send()
    };
    assert_eq!(
        end(None).await.unwrap().status(),
        403,
        "ended without the CSRF token"
    );
    assert_eq!(end(Some("forged")).await.unwrap().status(), 403);
    assert_eq!(end(Some(my_csrf)).await.unwrap().status(), 204);
    let listed: Value = r
        .get("/account/sessions", Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 1);
    // The other browser is signed out; without any cookie there is nothing to list.
    let theirs = format!("__Host-identity-session={}", jars[1].0);
    assert_eq!(
        r.get("/account/sessions", Some(&theirs)).await.status(),
        401
    );
    assert_eq!(r.get("/account/sessions", None).await.status(), 401);
    r.app.stop().await;
}
