//! The admin console: signed in through the service's own sign-in (first-party client,
//! code + PKCE), then pages that check the person's admin token and each page's
//! permission as the admin API does, with CSRF on every change.

use crate::browser::{hidden_fields, unescape, Browser, Reached, Site, PASSWORD};
use reqwest::Method;
use serde_json::json;

/// Opens `/console` in `b` and signs in as `email` in workspace alpha; the console home.
pub(crate) async fn console_sign_in(b: &mut Browser<'_>, email: &str) -> String {
    let home = sign_in_from(b, email, "/console").await;
    assert_eq!(home, "/console");
    assert!(b.jar.contains_key("__Host-identity-console"));
    let (status, html, _) = b.get("/console").await;
    assert_eq!(status, 200, "{html}");
    html
}

/// Opens console page `page` in `b` and signs in as `email` in workspace alpha; where the
/// callback sends the browser back to.
async fn sign_in_from(b: &mut Browser<'_>, email: &str, page: &str) -> String {
    let (status, _, to_signin) = b.get(page).await;
    assert_eq!(status, 303, "not signed in to the console yet");
    let to_signin = to_signin.unwrap();
    assert!(
        to_signin.starts_with("/console/signin?return_to=%2Fconsole"),
        "{to_signin}"
    );
    let (status, _, to_authorize) = b.get(&to_signin).await;
    assert_eq!(status, 303);
    let to_authorize = to_authorize.unwrap();
    assert!(
        to_authorize.contains("client_id=identity-console")
            && to_authorize.contains("code_challenge_method=S256")
    );
    let (status, form, _) = b.get(&to_authorize).await;
    assert_eq!(status, 200, "{form}");
    let hidden = hidden_fields(&form);
    let mut fields: Vec<(&str, &str)> = hidden
        .iter()
        .filter(|(k, _)| k != "csrf")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    fields.extend([
        ("workspace", "alpha"),
        ("email", email),
        ("password", PASSWORD),
    ]);
    let (status, _, back) = b.post("/signin", &fields).await;
    assert_eq!(status, 303);
    let back = back.unwrap();
    assert!(back.contains("/console/callback?"), "{back}");
    let (status, _, home) = b.get(&back).await;
    assert_eq!(status, 303, "the code was redeemed");
    home.unwrap()
}

/// The page to come back to travels in a cookie: whatever it holds (`;` and `,` end or
/// split a cookie value), the cookie stays one valid value and the way back is that page.
#[tokio::test]
async fn sign_in_comes_back_to_the_console_page_asked_for_whatever_its_query_holds() {
    let site = Site::start(Reached::AsIssuer).await;
    let mut b = Browser::new(&site.app);
    let page = "/console/users?q=a;b,c%20d";
    let (_, _, to_signin) = b.get(page).await;
    let started = b
        .app
        .http
        .get(b.app.url(&to_signin.unwrap()))
        .send()
        .await
        .unwrap();
    let flow = started
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("__Host-identity-console-flow="))
        .unwrap();
    let value = flow.split(';').next().unwrap();
    assert!(
        !value.contains([',', '/', ' ']),
        "the page is encoded in the cookie: {flow}"
    );
    let mut b = Browser::new(&site.app);
    let back = sign_in_from(&mut b, "admin@alpha.example", page).await;
    assert_eq!(back, page);
    let (status, html, _) = b.get(&back).await;
    assert_eq!(status, 200, "{html}");
    site.app.stop().await;
}

/// Audit exports recorded in the workspace's log so far.
async fn exports_recorded(site: &Site) -> i64 {
    crate::harness::settle_audit(&site.db.db()).await;
    let owner = site.db.owner().await;
    let sql = "SELECT count(*) FROM audit_log WHERE action = 'audit.exported'";
    owner.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn an_admin_signs_in_finds_people_sets_the_mfa_rule_and_exports_the_audit_log() {
    let site = Site::start(Reached::AsIssuer).await;
    let mut b = Browser::new(&site.app);
    let home = console_sign_in(&mut b, "admin@alpha.example").await;
    assert!(home.contains("Admin console"), "{home}");

    let (status, html, _) = b.get("/console/users").await;
    assert_eq!(status, 200);
    assert!(html.contains("admin@alpha.example"), "{html}");
    let (_, html, _) = b.get("/console/users?q=ADMIN%40Alpha.Example").await;
    assert!(
        html.contains("admin@alpha.example"),
        "search ignores case: {html}"
    );
    // Addresses are sealed at rest: a part of one finds no one.
    let (_, html, _) = b.get("/console/users?q=alpha.ex").await;
    assert!(html.contains("No one matches"), "{html}");
    let (_, html, _) = b.get("/console/users?q=nobody%25").await;
    assert!(html.contains("No one matches"), "{html}");

    // A change without the CSRF token is refused and changes nothing.
    let (status, _, _) = b.get("/console/security").await;
    assert_eq!(status, 200);
    let csrf = b.jar.remove("__Host-identity-csrf").unwrap();
    let (status, _, _) = b
        .post(
            "/console/security",
            &[("required", "true"), ("grace_period_days", "7")],
        )
        .await;
    assert_eq!(status, 403);
    b.jar.insert("__Host-identity-csrf".into(), csrf);
    let (_, policy) = site
        .app
        .call(&site.admin_key, Method::GET, "/admin/v1/mfa-policy", None)
        .await;
    assert_eq!(policy["required"], false);

    let (status, html, _) = b
        .post(
            "/console/security",
            &[("required", "true"), ("grace_period_days", "abc")],
        )
        .await;
    assert_eq!(status, 400);
    assert!(unescape(&html).contains("whole number of days"), "{html}");
    let (status, _, to) = b
        .post(
            "/console/security",
            &[("required", "true"), ("grace_period_days", "7")],
        )
        .await;
    assert_eq!(
        (status, to.as_deref()),
        (303, Some("/console/security?saved=1"))
    );
    let (_, html, _) = b.get("/console/security?saved=1").await;
    assert!(
        html.contains("checked") && html.contains("Required since"),
        "{html}"
    );
    let (_, policy) = site
        .app
        .call(&site.admin_key, Method::GET, "/admin/v1/mfa-policy", None)
        .await;
    assert_eq!(
        (
            policy["required"].as_bool(),
            policy["grace_period_days"].as_i64()
        ),
        (Some(true), Some(7))
    );

    let (status, html, _) = b.get("/console/audit?action=mfa").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("mfa.") && html.contains(&format!("user:{}", site.t.admin_user_id)),
        "{html}"
    );
    assert!(
        !html.contains("<td>user.created</td>"),
        "only the kind asked for: {html}"
    );
    let (status, _, _) = b.get("/console/audit?action=%25").await;
    assert_eq!(status, 400);
    let today = chrono::Utc::now().date_naive().to_string();
    let (status, csv, _) = b
        .post("/console/audit.csv", &[("from", &today), ("to", &today)])
        .await;
    assert_eq!(status, 200);
    let admin = format!("user:{}", site.t.admin_user_id);
    let line = csv
        .lines()
        .find(|l| l.contains("mfa"))
        .unwrap_or_else(|| panic!("{csv}"));
    assert!(
        line.contains(&admin),
        "the change is the person's own: {line}"
    );
    let (status, _, _) = b.post("/console/audit.csv", &[("from", "yesterday")]).await;
    assert_eq!(status, 400);
    // Another site cannot make the browser export (and so write to the audit log): a GET
    // is not an export, and a POST needs the form's CSRF token.
    let exports = exports_recorded(&site).await;
    let (status, _, _) = b.get(&format!("/console/audit.csv?from={today}")).await;
    assert_eq!(status, 405);
    let forged = b
        .app
        .http
        .post(b.app.url("/console/audit.csv"))
        .header("cookie", b.cookie_header())
        .form(&[("from", today.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(exports_recorded(&site).await, exports);

    // Filtered by actor and target, paged back, and exported with the same filter.
    let by_admin = format!("/console/audit?actor={admin}");
    let (_, html, _) = b.get(&by_admin).await;
    assert!(html.contains("mfa.policy_changed"), "{html}");
    assert!(
        !html.contains("<td>operator</td>") && !html.contains("<td>cli</td>"),
        "{html}"
    );
    let (_, html, _) = b.get("/console/audit?target=nothing:here").await;
    assert!(html.contains("No entries."), "{html}");
    let (_, html, _) = b.get("/console/audit?from=2001-01-01&to=2001-01-31").await;
    assert!(
        html.contains("No entries."),
        "a period before anything happened: {html}"
    );
    let (_, html, _) = b
        .get(&format!(
            "/console/audit?from={today}&to={today}&action=mfa."
        ))
        .await;
    assert!(html.contains("mfa.policy_changed"), "today's: {html}");
    let (status, _, _) = b.get("/console/audit?from=01/02/2026").await;
    assert_eq!(status, 400);
    let (status, recent) = site
        .app
        .call(
            &site.admin_key,
            Method::GET,
            "/admin/v1/audit/recent?limit=2",
            None,
        )
        .await;
    assert_eq!(status, 200);
    let second = recent["entries"][1]["seq"].as_i64().unwrap();
    let path = format!("/admin/v1/audit/recent?limit=2&before={second}");
    let (_, older) = site
        .app
        .call(&site.admin_key, Method::GET, &path, None)
        .await;
    let older_seq = older["entries"][0]["seq"].as_i64().unwrap();
    assert!(older_seq < second, "the next page is older: {older}");
    let fields = [
        ("from", &*today),
        ("to", &today),
        ("actor", &admin),
        ("action", "mfa."),
    ];
    let (status, csv, _) = b.post("/console/audit.csv", &fields).await;
    assert_eq!(status, 200);
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert!(
        !rows.is_empty()
            && rows
                .iter()
                .all(|l| l.contains(",mfa.") && l.contains(&admin)),
        "{csv}"
    );

    // Signing out ends the console token and goes through the service's logout.
    let (status, _, to) = b.post("/console/signout", &[]).await;
    assert_eq!(status, 303);
    assert!(to
        .unwrap()
        .starts_with("/oauth2/logout?client_id=identity-console"));
    assert!(!b.jar.contains_key("__Host-identity-console"));
    let (status, _, _) = b.get("/console/users").await;
    assert_eq!(status, 303);
}

#[tokio::test]
async fn a_viewer_reads_but_cannot_change_and_no_other_credential_opens_the_console() {
    let site = Site::start(Reached::AsIssuer).await;
    let body = json!({"email": "viewer@alpha.example", "roles": ["viewer"], "password": PASSWORD});
    let (status, made) = site
        .app
        .call(&site.admin_key, Method::POST, "/admin/v1/users", Some(body))
        .await;
    assert_eq!(status, 201, "{made}");
    let mut b = Browser::new(&site.app);
    console_sign_in(&mut b, "viewer@alpha.example").await;
    let (status, _, _) = b.get("/console/users").await;
    assert_eq!(status, 200);
    let (status, html, _) = b
        .post(
            "/console/security",
            &[("required", "true"), ("grace_period_days", "0")],
        )
        .await;
    assert_eq!(status, 403);
    assert!(
        unescape(&html).contains("do not include \"settings:write\""),
        "{html}"
    );
    let (_, policy) = site
        .app
        .call(&site.admin_key, Method::GET, "/admin/v1/mfa-policy", None)
        .await;
    assert_eq!(policy["required"], false);

    // An admin API key, or a made-up token, in the console cookie is no console session.
    for forged in [site.admin_key.as_str(), "eyJhbGciOiJub25lIn0.e30."] {
        let mut other = Browser::new(&site.app);
        other
            .jar
            .insert("__Host-identity-console".into(), forged.into());
        let (status, _, to) = other.get("/console/users").await;
        assert_eq!(status, 303, "{forged}");
        assert!(to.unwrap().starts_with("/console/signin"));
    }
    // A callback this browser did not start is refused.
    let mut other = Browser::new(&site.app);
    let (status, html, _) = other.get("/console/callback?code=x&state=y").await;
    assert_eq!(status, 400);
    assert!(html.contains("not started in this browser"), "{html}");
}

#[tokio::test]
async fn directory_sync_makes_a_token_shown_once_that_provisions_and_lists_what_it_changed() {
    let site = Site::start(Reached::AsIssuer).await;
    let mut b = Browser::new(&site.app);
    console_sign_in(&mut b, "admin@alpha.example").await;
    let (status, html, _) = b.get("/console/directory").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("{}/scim/v2", site.app.url(""))),
        "the base URL to copy: {html}"
    );
    assert!(html.contains("Microsoft Entra ID") && html.contains("Okta"));
    let (status, html, _) = b
        .post("/console/directory/tokens", &[("name", "Okta")])
        .await;
    assert_eq!(status, 201, "{html}");
    let html = unescape(&html);
    let token = html
        .split("<code id=\"new-token\">")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .unwrap()
        .to_string();
    assert!(token.starts_with("idscim_"), "{token}");
    let (_, again, _) = b.get("/console/directory").await;
    assert!(!again.contains(&token), "the value is shown once");

    // The token works as Okta would use it, and the console shows what it did.
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "okta.person@alpha.example", "active": true});
    let res = site
        .app
        .http
        .post(site.app.url("/scim/v2/Users"))
        .bearer_auth(&token)
        .header("content-type", "application/scim+json")
        .body(user.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    // The same person again is refused (409), and the console lists that request too.
    let res = site
        .app
        .http
        .post(site.app.url("/scim/v2/Users"))
        .bearer_auth(&token)
        .header("content-type", "application/scim+json")
        .body(user.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let (_, html, _) = b.get("/console/directory").await;
    assert!(html.contains("scim.user.created"), "{html}");
    let refused = html
        .find("scim.request_refused")
        .expect("the refused request is listed");
    assert!(
        html[refused..].starts_with("scim.request_refused</td><td>refused"),
        "{html}"
    );
    assert!(
        !html.contains("okta.person@alpha.example"),
        "no personal data in the list"
    );
    let (status, recent) = site
        .app
        .call(
            &site.admin_key,
            Method::GET,
            "/admin/v1/audit/recent?action_prefix=scim.&limit=5",
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        recent["entries"][0]["action"], "scim.request_refused",
        "{recent}"
    );
    assert_eq!(recent["entries"][1]["action"], "scim.user.created");
    let (status, _) = site
        .app
        .call(
            &site.admin_key,
            Method::GET,
            "/admin/v1/audit/recent?action_prefix=%25",
            None,
        )
        .await;
    assert_eq!(status, 400);
    let (_, html, _) = b.get("/console/users?q=okta.person%40alpha.example").await;
    assert!(html.contains("okta.person@alpha.example"), "{html}");

    // Revoking it stops it at once; an id of nothing is a 404 page.
    let id = html_token_id(&again);
    let (status, _, to) = b
        .post(&format!("/console/directory/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!((status, to.as_deref()), (303, Some("/console/directory")));
    let res = site
        .app
        .http
        .get(site.app.url("/scim/v2/Users"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let nothing = uuid::Uuid::new_v4();
    let (status, _, _) = b
        .post(&format!("/console/directory/tokens/{nothing}/revoke"), &[])
        .await;
    assert_eq!(status, 404);
}

/// The id in the first token row's revoke form.
fn html_token_id(html: &str) -> String {
    html.split("/console/directory/tokens/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_persons_page_disables_enables_resets_and_ends_sessions_within_reach() {
    let site = Site::start(Reached::AsIssuer).await;
    let body = json!({"email": "pat@alpha.example", "roles": ["member"], "password": PASSWORD});
    let (_, pat) = site
        .app
        .call(&site.admin_key, Method::POST, "/admin/v1/users", Some(body))
        .await;
    let pat_id = pat["id"].as_str().unwrap().to_string();
    // Pat signs in somewhere, so there is a session to end.
    let mut pats = Browser::new(&site.app);
    console_sign_in(&mut pats, "pat@alpha.example").await;
    let admin_page = format!("/console/users/{}", site.t.admin_user_id);
    let (status, html, _) = pats.post(&format!("{admin_page}/disable"), &[]).await;
    assert_eq!(status, 403, "a member may not disable anyone");
    assert!(unescape(&html).contains("\"users:write\""), "{html}");

    let mut b = Browser::new(&site.app);
    console_sign_in(&mut b, "admin@alpha.example").await;
    let (_, list, _) = b.get("/console/users?q=pat%40alpha.example").await;
    assert!(list.contains(&format!("/console/users/{pat_id}")), "{list}");
    let page = format!("/console/users/{pat_id}");
    let (status, html, _) = b.get(&page).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("pat@alpha.example") && html.contains("member"),
        "{html}"
    );
    let session = html
        .split("/sessions/")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap()
        .to_string();
    let (status, _, to) = b.post(&format!("{page}/sessions/{session}/end"), &[]).await;
    assert_eq!(
        (status, to.unwrap()),
        (303, format!("{page}?done=session-ended"))
    );
    let (status, _, _) = pats.get("/console").await;
    assert_eq!(status, 303, "Pat's console token went with the session");

    let (status, _, _) = b.post(&format!("{page}/disable"), &[]).await;
    assert_eq!(status, 303);
    let (_, html, _) = b.get(&format!("{page}?done=disabled")).await;
    assert!(
        html.contains("Disabled: every session") && html.contains("disabled"),
        "{html}"
    );
    let (_, user) = site
        .app
        .call(
            &site.admin_key,
            Method::GET,
            &format!("/admin/v1/users/{pat_id}"),
            None,
        )
        .await;
    assert_eq!(user["status"], "disabled");
    let (status, _, _) = b.post(&format!("{page}/enable"), &[]).await;
    assert_eq!(status, 303);
    let (status, _, _) = b.post(&format!("{page}/reset-mfa"), &[]).await;
    assert_eq!(status, 303);
    let (_, user) = site
        .app
        .call(
            &site.admin_key,
            Method::GET,
            &format!("/admin/v1/users/{pat_id}"),
            None,
        )
        .await;
    assert_eq!(user["status"], "active");

    let nobody = uuid::Uuid::new_v4();
    let (status, _, _) = b.get(&format!("/console/users/{nobody}")).await;
    assert_eq!(status, 404);
    let (status, _, _) = b
        .post(&format!("/console/users/{nobody}/disable"), &[])
        .await;
    assert_eq!(status, 404);
}

/// The secret in the page's one-time notice.
fn shown_once(html: &str, id: &str) -> String {
    unescape(html)
        .split(&format!("<code id=\"{id}\">"))
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn api_keys_are_made_shown_once_rotated_and_revoked_never_beyond_their_maker() {
    let site = Site::start(Reached::AsIssuer).await;
    let mut b = Browser::new(&site.app);
    console_sign_in(&mut b, "admin@alpha.example").await;
    let (status, html, _) = b.get("/console/api-keys").await;
    assert_eq!(status, 200);
    assert!(html.contains("<option value=\"viewer\">"), "{html}");
    let (status, html, _) = b
        .post(
            "/console/api-keys",
            &[("name", "reporting"), ("role", "viewer")],
        )
        .await;
    assert_eq!(status, 201, "{html}");
    let key = shown_once(&html, "new-key");
    assert!(key.starts_with("idk_"), "{key}");
    let (status, _) = site
        .app
        .call(&key, Method::GET, "/admin/v1/users", None)
        .await;
    assert_eq!(status, 200, "the key works with its role");
    let (_, page, _) = b.get("/console/api-keys").await;
    assert!(!page.contains(&key), "shown once");
    let row = page
        .split("<tr>")
        .find(|r| r.contains("<td>reporting</td>"))
        .unwrap();
    let id = row
        .split("/console/api-keys/")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap()
        .to_string();
    let (status, html, _) = b.post(&format!("/console/api-keys/{id}/rotate"), &[]).await;
    assert_eq!(status, 200);
    let rotated = shown_once(&html, "new-key");
    assert_ne!(rotated, key);
    for (secret, what) in [
        (&rotated, "the new secret"),
        (&key, "the old one, during the overlap"),
    ] {
        let (status, _) = site
            .app
            .call(secret, Method::GET, "/admin/v1/users", None)
            .await;
        assert_eq!(status, 200, "{what}");
    }
    let (status, _, _) = b.post(&format!("/console/api-keys/{id}/revoke"), &[]).await;
    assert_eq!(status, 303);
    let (status, _) = site
        .app
        .call(&rotated, Method::GET, "/admin/v1/users", None)
        .await;
    assert_eq!(status, 401, "revoked at once");

    // A member cannot make a key that reaches further than they do.
    let body = json!({"email": "mo@alpha.example", "roles": ["member"], "password": PASSWORD});
    let (status, _) = site
        .app
        .call(&site.admin_key, Method::POST, "/admin/v1/users", Some(body))
        .await;
    assert_eq!(status, 201);
    let mut mo = Browser::new(&site.app);
    console_sign_in(&mut mo, "mo@alpha.example").await;
    let (status, html, _) = mo
        .post("/console/api-keys", &[("name", "mine"), ("role", "admin")])
        .await;
    assert_eq!(status, 403, "{html}");
    let (_, keys) = site
        .app
        .call(&site.admin_key, Method::GET, "/admin/v1/api-keys", None)
        .await;
    assert!(!keys.to_string().contains("\"mine\""), "{keys}");
}

#[tokio::test]
async fn applications_are_registered_with_a_secret_shown_once_rotated_and_deleted() {
    let site = Site::start(Reached::AsIssuer).await;
    let mut b = Browser::new(&site.app);
    console_sign_in(&mut b, "admin@alpha.example").await;
    let fields = [
        ("name", "Field sales"),
        (
            "redirect_uris",
            "https://sales.example/callback\r\nhttps://sales.example/cb2",
        ),
        ("refresh", "true"),
    ];
    let (status, html, _) = b.post("/console/applications", &fields).await;
    assert_eq!(status, 201, "{html}");
    let secret = shown_once(&html, "client-secret");
    let client_id = unescape(&html)
        .split("Client id <code>")
        .nth(1)
        .and_then(|r| r.split("</code>").next())
        .unwrap()
        .to_string();
    let (status, app) = site
        .app
        .call(
            &site.admin_key,
            Method::GET,
            &format!("/admin/v1/clients/{client_id}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        app["redirect_uris"],
        json!([
            "https://sales.example/callback",
            "https://sales.example/cb2"
        ])
    );
    assert_eq!(
        app["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert!(secret.len() >= 32);

    let (status, html, _) = b
        .post(
            "/console/applications",
            &[
                ("name", "Bad"),
                ("redirect_uris", "http://sales.example/cb"),
            ],
        )
        .await;
    assert_eq!(status, 400, "plain http off localhost is refused: {html}");

    // Its page changes the URIs and drops refresh tokens; a bad URI is refused, nothing kept.
    let page = format!("/console/applications/{client_id}");
    let (status, html, _) = b.get(&page).await;
    assert_eq!(status, 200, "{html}");
    let edit = [
        ("name", "Sales app"),
        (
            "redirect_uris",
            "https://sales.example/cb\nhttps://sales.example/cb2",
        ),
        ("post_logout_redirect_uris", "https://sales.example/bye"),
    ];
    let (status, _, to) = b.post(&page, &edit).await;
    assert_eq!((status, to.unwrap()), (303, format!("{page}?saved=1")));
    let path = format!("/admin/v1/clients/{client_id}");
    let (_, app) = site
        .app
        .call(&site.admin_key, Method::GET, &path, None)
        .await;
    assert_eq!(
        app["redirect_uris"],
        json!(["https://sales.example/cb", "https://sales.example/cb2"])
    );
    assert_eq!(
        app["post_logout_redirect_uris"],
        json!(["https://sales.example/bye"])
    );
    assert_eq!(app["grant_types"], json!(["authorization_code"]));
    let (status, html, _) = b
        .post(
            &page,
            &[
                ("name", "Sales app"),
                ("redirect_uris", "http://sales.example/cb"),
            ],
        )
        .await;
    assert_eq!(status, 400, "{html}");
    let (_, app) = site
        .app
        .call(&site.admin_key, Method::GET, &path, None)
        .await;
    assert_eq!(
        app["redirect_uris"][0], "https://sales.example/cb",
        "unchanged"
    );
    let (status, _, _) = b.post("/console/applications/crm-web", &edit).await;
    assert_eq!(status, 404, "the operator's client cannot be edited here");

    let (status, html, _) = b
        .post(&format!("/console/applications/{client_id}/rotate"), &[])
        .await;
    assert_eq!(status, 200);
    assert_ne!(shown_once(&html, "client-secret"), secret);
    let (status, _, _) = b
        .post(&format!("/console/applications/{client_id}/delete"), &[])
        .await;
    assert_eq!(status, 303);
    let (status, _) = site
        .app
        .call(
            &site.admin_key,
            Method::GET,
            &format!("/admin/v1/clients/{client_id}"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _, _) = b.post("/console/applications/crm-web/delete", &[]).await;
    assert_eq!(
        status, 404,
        "the operator's platform client is not the workspace's"
    );
}

#[tokio::test]
async fn group_rules_are_added_tried_and_removed_from_the_roles_screen() {
    let site = Site::start(Reached::AsIssuer).await;
    let mut b = Browser::new(&site.app);
    console_sign_in(&mut b, "admin@alpha.example").await;
    let (status, html, _) = b.get("/console/roles").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("users:read") && html.contains("No rules yet"),
        "{html}"
    );
    let (status, _, _) = b
        .post(
            "/console/roles/rules",
            &[("group", "Engineering"), ("role", "member")],
        )
        .await;
    assert_eq!(status, 303);
    let (_, html, _) = b.get("/console/roles?groups=engineering%0ASales").await;
    let html = unescape(&html);
    assert!(html.contains("Roles: <strong>member</strong>"), "{html}");
    assert!(html.contains("member: "), "why the rule matched: {html}");
    let (_, none, _) = b.get("/console/roles?groups=Sales").await;
    assert!(none.contains("No role: no rule matches"), "{none}");
    let (_, rules) = site
        .app
        .call(
            &site.admin_key,
            Method::GET,
            "/admin/v1/role-mappings",
            None,
        )
        .await;
    let id = rules["role_mappings"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(rules["role_mappings"][0]["group"], "Engineering");
    let (status, _, _) = b
        .post("/console/roles/rules", &[("group", ""), ("role", "member")])
        .await;
    assert_eq!(status, 400);
    let (status, _, _) = b
        .post(&format!("/console/roles/rules/{id}/delete"), &[])
        .await;
    assert_eq!(status, 303);
    let (_, rules) = site
        .app
        .call(
            &site.admin_key,
            Method::GET,
            "/admin/v1/role-mappings",
            None,
        )
        .await;
    assert_eq!(rules["role_mappings"], json!([]));
}
