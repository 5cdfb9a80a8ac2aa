//! Browser paths an attacker would try, each refused: a sign-out by a cross-site request,
//! extra password guesses through re-authentication, a look-alike address that skips SSO
//! enforcement, a suspended workspace, and reset answers that tell known from unknown.

use crate::browser::{authorize_url, cookies, hidden_fields, PASSWORD, REDIRECT, SIGNED_OUT};
use crate::browser::{Reached, Site};
use crate::harness::{envelope, run_cli};
use identity::oidc::clients::{self, ClientSpec};
use std::time::Instant;

fn cookie_of(res: &reqwest::Response, name: &str) -> Option<String> {
    cookies(res.headers())
        .into_iter()
        .find(|c| c.0 == name)
        .map(|c| c.1)
        .filter(|v| !v.is_empty())
}

async fn signed_in(r: &Site, email: &str, ip: &str) -> String {
    let res = r.sign_in(email, PASSWORD, None, ip).await;
    assert_eq!(res.status(), 303);
    cookie_of(&res, "__Host-identity-session").expect("a session cookie")
}

/// Whether the session cookie still signs in (the authorize endpoint answers with a code).
async fn still_signed_in(r: &Site, session: &str) -> bool {
    let cookie = format!("__Host-identity-session={session}");
    r.get(&authorize_url(&[]), Some(&cookie)).await.status() == 303
}

#[tokio::test]
async fn a_sign_out_without_a_hint_for_this_session_asks_first() {
    let r = Site::start(Reached::ByAddress).await;
    let session = signed_in(&r, "admin@alpha.example", "198.51.100.30").await;
    let cookie = format!("__Host-identity-session={session}");
    // A cross-site image or link: a confirmation page, and nothing ends.
    let res = r.get("/oauth2/logout", Some(&cookie)).await;
    assert_eq!(res.status(), 200);
    let csrf = cookie_of(&res, "__Host-identity-csrf").expect("a CSRF cookie");
    let page = res.text().await.unwrap();
    assert!(page.contains("Sign out?"), "{page}");
    assert!(
        still_signed_in(&r, &session).await,
        "a GET signed the user out"
    );
    // A cross-site form post (no CSRF token): the same.
    let res = r
        .app
        .http
        .post(r.app.url("/oauth2/logout"))
        .header("cookie", &cookie)
        .form(&[("client_id", "crm-web")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        still_signed_in(&r, &session).await,
        "a forged POST signed the user out"
    );
    // The person presses the button: signed out.
    let res = r
        .app
        .http
        .post(r.app.url("/oauth2/logout"))
        .header("cookie", format!("{cookie}; __Host-identity-csrf={csrf}"))
        .form(&hidden_fields(&page))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("You are signed out"));
    assert!(!still_signed_in(&r, &session).await);
    r.app.stop().await;
}

#[tokio::test]
async fn re_authentication_spends_the_same_per_account_budget_as_sign_in() {
    let r = Site::start(Reached::ByAddress).await;
    let session = signed_in(&r, "admin@alpha.example", "198.51.100.31").await;
    // An hour-old sign-in: the account page asks for the password again.
    r.db.owner()
        .await
        .execute(
            "UPDATE sessions SET auth_time = now() - interval '1 hour'",
            &[],
        )
        .await
        .unwrap();
    let csrf = "c".repeat(43);
    let cookie = format!("__Host-identity-session={session}; __Host-identity-csrf={csrf}");
    // One budget of 10 per account: the sign-in above spent one, nine guesses here.
    for _ in 0..9 {
        let res = r
            .app
            .http
            .post(r.app.url("/account/mfa/enrol"))
            .header("cookie", &cookie)
            .form(&[
                ("csrf", csrf.as_str()),
                ("password", "a wrong guess entirely"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    // The right password at the sign-in page is now over the account's budget.
    let res = r
        .sign_in("admin@alpha.example", PASSWORD, None, "198.51.100.32")
        .await;
    assert_eq!(
        res.status(),
        429,
        "re-authentication had a budget of its own"
    );
    r.app.stop().await;
}

#[tokio::test]
async fn a_look_alike_address_cannot_skip_sso_enforcement() {
    let r = Site::start(Reached::ByAddress).await;
    let owner = r.db.owner().await;
    let tenant: uuid::Uuid = owner
        .query_one("SELECT id FROM tenants WHERE slug = 'alpha'", &[])
        .await
        .unwrap()
        .get(0);
    // kelvin.example must sign in through its IdP; its people have passwords from before.
    owner
        .batch_execute(&format!(
            "INSERT INTO tenant_domains (tenant_id, domain, created_at) VALUES ('{tenant}', 'kelvin.example', now());
             INSERT INTO sso_connections (id, tenant_id, kind, name, enabled, password_signin_allowed, settings, created_at, updated_at, configured_by)
             VALUES ('{c}', '{tenant}', 'oidc', 'Kelvin IdP', true, false, '{{}}', now(), now(), 'cli');
             INSERT INTO sso_connection_domains (tenant_id, domain, connection_id, verified) VALUES ('{tenant}', 'kelvin.example', '{c}', false);
             INSERT INTO users (id, tenant_id, email, password_hash, status, created_at, updated_at)
             SELECT gen_random_uuid(), tenant_id, 'sam@kelvin.example', password_hash, 'active', now(), now()
             FROM users WHERE tenant_id = '{tenant}' AND email = 'admin@alpha.example';",
            c = uuid::Uuid::new_v4()
        ))
        .await
        .unwrap();
    // The IdP here is a stub that cannot be reached (the hand-off answers 503): what matters
    // is that every spelling of the address gets the answer the plain one gets, whatever the
    // password, so the password is never checked and nobody is signed in.
    let spellings = [
        "sam@kelvin.example",
        "sam@\u{212A}elvin.example",
        "SAM@KELVIN.EXAMPLE",
    ];
    let mut answers = Vec::new();
    for (n, email) in spellings.into_iter().enumerate() {
        for (m, password) in [PASSWORD, "a wrong password entirely"]
            .into_iter()
            .enumerate()
        {
            let ip = format!("198.51.100.{}", 40 + 2 * n + m);
            let res = r.sign_in(email, password, None, &ip).await;
            assert!(
                cookie_of(&res, "__Host-identity-session").is_none(),
                "{email}: a password signed in past SSO enforcement"
            );
            answers.push((email, m, res.status().as_u16()));
        }
    }
    let plain = answers[0].2;
    for (email, m, status) in &answers {
        assert_eq!(
            *status, plain,
            "{email} (password {m}) answered differently: {answers:?}"
        );
    }
    r.app.stop().await;
}

#[tokio::test]
async fn a_suspended_workspace_signs_nobody_in_until_resumed() {
    let r = Site::start(Reached::ByAddress).await;
    let session = signed_in(&r, "admin@alpha.example", "198.51.100.50").await;
    let form_page = r.get(&authorize_url(&[("prompt", "login")]), None).await;
    let csrf = cookie_of(&form_page, "__Host-identity-csrf").unwrap();
    let mut form = hidden_fields(&form_page.text().await.unwrap());
    form.push(("email".into(), "admin@alpha.example".into()));
    form.push(("password".into(), PASSWORD.into()));
    let (code, _, err) = run_cli(
        &r.db.env(),
        &["tenants", "suspend", "--tenant", "alpha"],
        None,
    );
    assert_eq!(code, 0, "{err}");
    // The sign-in page says so instead of showing a form.
    let res = r.get(&authorize_url(&[]), None).await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("suspended"));
    // A form posted anyway (loaded before the suspension) signs nobody in.
    let res = r
        .app
        .http
        .post(r.app.url("/signin"))
        .header("cookie", format!("__Host-identity-csrf={csrf}"))
        .header("x-forwarded-for", "198.51.100.51")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(cookie_of(&res, "__Host-identity-session").is_none());
    assert!(
        !still_signed_in(&r, &session).await,
        "a session outlived the suspension"
    );
    let (code, _, err) = run_cli(
        &r.db.env(),
        &["tenants", "resume", "--tenant", "alpha"],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        still_signed_in(&r, &session).await,
        "resuming did not restore the session"
    );
    r.app.stop().await;
}

#[tokio::test]
async fn reset_requests_for_known_and_unknown_accounts_take_the_same_time() {
    let r = Site::start(Reached::ByAddress).await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..6 {
        for (email, times) in [
            ("admin@alpha.example".to_string(), &mut known),
            (format!("ghost{i}@alpha.example"), &mut unknown),
        ] {
            let page = r.get("/password/forgot", None).await;
            let csrf = cookie_of(&page, "__Host-identity-csrf").unwrap();
            let started = Instant::now();
            let res = r
                .app
                .http
                .post(r.app.url("/password/forgot"))
                .header("cookie", format!("__Host-identity-csrf={csrf}"))
                .header("x-forwarded-for", format!("198.51.100.{}", 60 + i))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("workspace", "alpha"),
                    ("email", email.as_str()),
                ])
                .send()
                .await
                .unwrap();
            let status = res.status();
            res.text().await.unwrap();
            // The known account's budget (5 an hour) runs out on the 6th: same answer, 429.
            if i < 5 {
                assert_eq!(status, 200);
                times.push(started.elapsed().as_secs_f64());
            }
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    let (k, u) = (median(&mut known), median(&mut unknown));
    println!("reset answers: known {k:.4}s unknown {u:.4}s");
    assert!(
        (k - u).abs() < 0.005,
        "known {k:.4}s and unknown {u:.4}s differ by more than 5 ms"
    );
    r.app.stop().await;
}

/// A lookup the database cannot answer is an outage page (503), never a misleading answer
/// such as "this application belongs to another workspace".
#[tokio::test]
async fn a_failing_lookup_shows_an_outage_page_not_a_wrong_answer() {
    let r = Site::start(Reached::ByAddress).await;
    let pool = r.db.db();
    let alpha = identity::auth::home_realm::tenant_by_slug(&pool, "alpha")
        .await
        .unwrap()
        .unwrap();
    let spec = identity::oidc::clients::ClientSpec {
        tenant: Some(alpha),
        name: "Alpha's own app".into(),
        grant_types: vec!["authorization_code".into()],
        redirect_uris: vec![REDIRECT.into()],
        ..Default::default()
    };
    let now = chrono::Utc::now();
    let env = crate::harness::envelope(&[1]);
    let (client, _) = identity::oidc::clients::create(&pool, &env, spec, 3600, "test", now)
        .await
        .unwrap();
    let page = r
        .get(
            &authorize_url(&[("client_id", &client.client_id), ("tenant", "")]),
            None,
        )
        .await;
    assert_eq!(page.status(), 200);
    let csrf = cookie_of(&page, "__Host-identity-csrf").unwrap();
    let mut form = hidden_fields(&page.text().await.unwrap());
    form.retain(|(k, _)| k != "workspace");
    form.push(("workspace".into(), String::new()));
    form.push(("email".into(), "someone@alpha.example".into()));
    form.push(("password".into(), PASSWORD.into()));
    let post = || async {
        r.app
            .http
            .post(r.app.url("/signin"))
            .header("cookie", format!("__Host-identity-csrf={csrf}"))
            .form(&form)
            .send()
            .await
            .unwrap()
    };
    // The workspace-by-domain lookup fails (as in an outage of that table).
    let owner = r.db.owner().await;
    owner
        .batch_execute("REVOKE SELECT ON tenant_domains FROM identity_app")
        .await
        .unwrap();
    let res = post().await;
    let status = res.status();
    let body = res.text().await.unwrap();
    owner
        .batch_execute("GRANT SELECT ON tenant_domains TO identity_app")
        .await
        .unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(!body.contains("another workspace"), "{body}");
    // With the lookup answering, the same form gets the real answer.
    assert_eq!(post().await.status(), 400);
}

/// `path` with `cookie` while the runtime role cannot read sessions (as in an outage).
async fn get_while_sessions_unreadable(r: &Site, path: &str, cookie: &str) -> (u16, String) {
    let owner = r.db.owner().await;
    owner
        .batch_execute("REVOKE SELECT ON sessions FROM identity_app")
        .await
        .unwrap();
    let res = r.get(path, Some(cookie)).await;
    let status = res.status().as_u16();
    let body = res.text().await.unwrap();
    owner
        .batch_execute("GRANT SELECT ON sessions TO identity_app")
        .await
        .unwrap();
    (status, body)
}

/// A session the database cannot read is an outage (503), not "you are not signed in".
#[tokio::test]
async fn an_unreadable_session_is_an_outage_not_a_sign_out() {
    let r = Site::start(Reached::ByAddress).await;
    let session = signed_in(&r, "admin@alpha.example", "198.51.100.40").await;
    let cookie = format!("__Host-identity-session={session}");
    let (status, body) = get_while_sessions_unreadable(&r, "/account/mfa", &cookie).await;
    assert_eq!(status, 503, "{body}");
    assert!(!body.contains("not signed in"), "{body}");
    assert_eq!(r.get("/account/mfa", Some(&cookie)).await.status(), 200);
    assert_eq!(r.get("/account/mfa", None).await.status(), 401);
}

/// Sign-out with a session the database cannot read is an outage (503), never "you are
/// signed out" while the session lives on.
#[tokio::test]
async fn a_sign_out_that_cannot_read_the_session_says_so_and_ends_nothing() {
    let r = Site::start(Reached::ByAddress).await;
    let session = signed_in(&r, "admin@alpha.example", "198.51.100.41").await;
    let cookie = format!("__Host-identity-session={session}");
    let (status, body) = get_while_sessions_unreadable(&r, "/oauth2/logout", &cookie).await;
    assert_eq!(status, 503, "{body}");
    assert!(!body.contains("signed out"), "{body}");
    assert!(still_signed_in(&r, &session).await, "nothing ended");
}

/// Posts back the "Sign out?" page `path` shows to `cookie`'s browser; the answer.
async fn confirm_sign_out(r: &Site, path: &str, cookie: &str) -> reqwest::Response {
    let res = r.get(path, Some(cookie)).await;
    assert_eq!(res.status(), 200);
    let csrf = cookie_of(&res, "__Host-identity-csrf").expect("a CSRF cookie");
    let page = res.text().await.unwrap();
    assert!(page.contains("Sign out?"), "{page}");
    r.app
        .http
        .post(r.app.url("/oauth2/logout"))
        .header("cookie", format!("{cookie}; __Host-identity-csrf={csrf}"))
        .form(&hidden_fields(&page))
        .send()
        .await
        .unwrap()
}

/// The identity domain is no open redirect: a client's registered sign-out address is used
/// only with an ID token of that client, or when the session that ended had signed in to
/// it. The lure: another application's sign-out address, sent to someone signed in.
#[tokio::test]
async fn sign_out_returns_only_to_an_application_this_session_used() {
    let r = Site::start(Reached::ByAddress).await;
    let spec = ClientSpec {
        name: "Lure".into(),
        client_id: Some("lure-app".into()),
        grant_types: vec!["authorization_code".into()],
        redirect_uris: vec!["https://lure.example/cb".into()],
        post_logout_redirect_uris: vec!["https://lure.example/after".into()],
        ..Default::default()
    };
    let now = chrono::Utc::now();
    clients::create(&r.db.db(), &envelope(&[1]), spec, 3600, "test", now)
        .await
        .unwrap();
    let lure = "/oauth2/logout?client_id=lure-app&post_logout_redirect_uri=https%3A%2F%2Flure.example%2Fafter";
    let res = r.get(lure, None).await;
    assert_eq!(res.status(), 200, "not signed in: the page stays here");

    let session = signed_in(&r, "admin@alpha.example", "198.51.100.50").await;
    let cookie = format!("__Host-identity-session={session}");
    let res = confirm_sign_out(&r, lure, &cookie).await;
    assert_eq!(res.status(), 200, "{:?}", res.headers().get("location"));
    assert!(res.text().await.unwrap().contains("You are signed out"));
    assert!(!still_signed_in(&r, &session).await);

    // The application this session signed in to gets its way back.
    let session = signed_in(&r, "admin@alpha.example", "198.51.100.51").await;
    let cookie = format!("__Host-identity-session={session}");
    let own = format!(
        "/oauth2/logout?client_id=crm-web&post_logout_redirect_uri={}",
        url::form_urlencoded::byte_serialize(SIGNED_OUT.as_bytes()).collect::<String>()
    );
    let res = confirm_sign_out(&r, &own, &cookie).await;
    assert_eq!(res.status(), 303);
    let back = res.headers().get("location").unwrap().to_str().unwrap();
    assert!(back.starts_with(SIGNED_OUT), "{back}");
    r.app.stop().await;
}
