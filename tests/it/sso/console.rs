//! The console's guided SSO set-up over HTTP with the pysaml2 IdP, as an IT admin follows
//! it: a SAML draft gives the values to copy, the IdP's metadata URL is pasted back, "Test
//! connection" signs in at the IdP and shows what it sent and what sign-in would do while
//! the admin stays signed in as themselves and nothing is created; then it is turned on.

use super::saml::{form_of, next, EMAIL};
use super::*;
use crate::browser::Browser as Console;
use crate::console::console_sign_in;

fn code_of(html: &str, id: &str) -> String {
    let re = regex::Regex::new(&format!(r#"<code id="{id}">([^<]+)</code>"#)).unwrap();
    let found = re
        .captures(html)
        .unwrap_or_else(|| panic!("no {id} in {html}"));
    crate::browser::unescape(&found[1])
}

#[tokio::test]
async fn an_admin_sets_up_saml_in_the_console_tests_it_and_turns_it_on() {
    let r = rig().await;
    let idp = Idp::saml();
    r.map_group("CRM-Admins", "admin").await;
    let mut b = Console::new(&r.app);
    console_sign_in(&mut b, "admin@alpha.example").await;
    let (status, html, _) = b.get("/console/sso").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("No connection yet"), "{html}");

    // 1. A draft: this service's values come first.
    let draft = [
        ("kind", "saml"),
        ("name", "Acme SAML"),
        ("domains", "acme.test"),
    ];
    let (status, body, to) = b.post("/console/sso", &draft).await;
    assert_eq!(status, 303, "{body}");
    let page = to.unwrap();
    let (status, html, _) = b.get(&page).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("set-up not finished"), "{html}");
    assert!(
        !html.contains(">Test connection</button>"),
        "no test before the IdP is in"
    );
    let acs = code_of(&html, "acs-url");
    assert!(
        acs.starts_with(&r.app.url("/sso/saml/")) && acs.ends_with("/acs"),
        "{acs}"
    );
    let sp_metadata = reqwest::get(code_of(&html, "sp-metadata")).await.unwrap();
    let registered = reqwest::Client::new()
        .post(format!("{}/sp", idp.base))
        .body(sp_metadata.text().await.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 204, "the IdP took our SP metadata");

    // 2. The IdP's metadata URL pasted back.
    let md_url = format!("{}/metadata", idp.base);
    let paste = [
        ("kind", "saml"),
        ("name", "Acme SAML"),
        ("idp_metadata_url", md_url.as_str()),
        ("domains", "acme.test"),
        ("password_signin_allowed", "true"),
    ];
    let (status, body, to) = b.post(&page, &paste).await;
    assert_eq!(status, 303, "{body}");
    let (_, html, _) = b.get(&to.unwrap()).await;
    assert!(
        html.contains("Saved.") && html.contains("off: test it"),
        "{html}"
    );

    // 3. Test connection, without the CSRF token first: refused.
    let csrf = b.jar.remove("__Host-identity-csrf").unwrap();
    let (status, _, _) = b.post(&format!("{page}/test"), &[]).await;
    assert_eq!(status, 403, "a test needs the form's CSRF token");
    b.jar.insert("__Host-identity-csrf".into(), csrf);
    next(
        &idp,
        json!({"mode": "ok", "name_id": EMAIL, "email": EMAIL, "given_name": "Jo",
               "family_name": "Jit", "groups": ["CRM-Admins"]}),
    )
    .await;
    let before = b.jar.get("__Host-identity-session").cloned();
    let (status, _, link) = b.post(&format!("{page}/test"), &[]).await;
    assert_eq!(status, 303);
    let link = link.unwrap();
    let (status, html, _) = b.get(&link).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(">Start the test</button>"), "{html}");
    let (status, html, _) = b.post(&link, &[]).await;
    assert_eq!(status, 200, "{html}");
    let to_idp = continue_url(&html).expect("on to the IdP");
    let (_, at_idp, _) = b.get(&to_idp).await;
    let (action, fields) = form_of(&at_idp);
    assert_eq!(action, acs);
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, body, to) = b.post(&action, &fields).await;
    assert_eq!(status, 303, "{body}");
    let (status, html, _) = b.get(&to.unwrap()).await;
    assert_eq!(status, 200, "{html}");
    for shown in [
        "The connection works",
        EMAIL,
        "A new account would be created",
        "CRM-Admins",
    ] {
        assert!(html.contains(shown), "{shown} in {html}");
    }
    assert!(
        html.contains("<strong>admin</strong>"),
        "the role it would give: {html}"
    );
    let session = b.jar.get("__Host-identity-session");
    assert_eq!(
        session,
        before.as_ref(),
        "the admin's own session, untouched"
    );
    assert_eq!(
        b.get("/console").await.0,
        200,
        "still signed in to the console"
    );
    let users: i64 =
        r.db.owner()
            .await
            .query_one("SELECT count(*) FROM users WHERE email_key = $1", &[&EMAIL])
            .await
            .unwrap()
            .get(0);
    assert_eq!(users, 0, "the test created nobody");

    // 4. On.
    let mut on = paste.to_vec();
    on.retain(|(k, _)| *k != "idp_metadata_url");
    on.push(("enabled", "true"));
    let (status, body, to) = b.post(&page, &on).await;
    assert_eq!(status, 303, "{body}");
    let (_, html, _) = b.get(&to.unwrap()).await;
    assert!(html.contains("on: people of its domains"), "{html}");
    let (_, list, _) = b.get("/console/sso").await;
    assert!(
        list.contains("Acme SAML") && list.contains(">on<"),
        "{list}"
    );
    r.app.stop().await;
}
