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
    let users = r.people_with_email(EMAIL).await.len();
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

/// The console's form shows only some settings: saving it keeps every setting made through
/// the API (OIDC claims and scopes, trusting the IdP's MFA; SAML SP entity id and clock
/// skew), and the audit entry names exactly what changed.
#[tokio::test]
async fn a_console_save_keeps_what_the_form_does_not_show() {
    let r = rig().await;
    let oidc = json!({
        "name": "Globex OIDC", "kind": "oidc", "domains": [{"domain": "globex.test"}],
        "idp_mfa_accepted": true,
        "oidc": {"issuer": "https://login.globex.test", "client_id": "crm",
                 "client_secret": "s3cret-value", "scopes": ["openid", "email", "groups"],
                 "groups_claim": "roles", "use_userinfo": true},
    });
    let (status, made) = r
        .admin("POST", "/admin/v1/sso-connections", Some(oidc))
        .await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_str().unwrap().to_string();
    let saml = json!({
        "name": "Acme SAML", "kind": "saml", "domains": [{"domain": "acme.test"}], "enabled": false,
        "saml": {"sp_entity_id": "urn:acme:crm", "clock_skew_secs": 5},
    });
    let (status, draft) = r
        .admin("POST", "/admin/v1/sso-connections", Some(saml))
        .await;
    assert_eq!(status, 201, "{draft}");
    let saml_id = draft["id"].as_str().unwrap().to_string();

    let mut b = Console::new(&r.app);
    console_sign_in(&mut b, "admin@alpha.example").await;
    let form = [
        ("kind", "oidc"),
        ("name", "Globex sign-in"),
        ("issuer", "https://login.globex.test"),
        ("client_id", "crm"),
        ("domains", "globex.test"),
    ];
    let (status, body, _) = b.post(&format!("/console/sso/{id}"), &form).await;
    assert_eq!(status, 303, "{body}");
    let form = [("kind", "saml"), ("name", "Acme"), ("domains", "acme.test")];
    let (status, body, _) = b.post(&format!("/console/sso/{saml_id}"), &form).await;
    assert_eq!(status, 303, "{body}");

    let (_, after) = r
        .admin("GET", &format!("/admin/v1/sso-connections/{id}"), None)
        .await;
    assert_eq!(after["name"], "Globex sign-in");
    assert_eq!(after["idp_mfa_accepted"], true, "{after}");
    assert_eq!(after["oidc"]["groups_claim"], "roles", "{after}");
    assert_eq!(
        after["oidc"]["scopes"],
        json!(["openid", "email", "groups"])
    );
    assert_eq!(after["oidc"]["use_userinfo"], true);
    assert_eq!(after["oidc"]["client_secret_set"], true);
    let path = format!("/admin/v1/sso-connections/{saml_id}");
    let (_, after) = r.admin("GET", &path, None).await;
    assert_eq!(after["saml"]["sp_entity_id"], "urn:acme:crm", "{after}");
    assert_eq!(after["saml"]["clock_skew_secs"], 5);

    // The form's own switches were left unticked: those change, and nothing else.
    let updated = r.audit_rows("sso_connection.updated").await;
    let changed = json!(["name", "enabled", "password_signin_allowed"]);
    assert_eq!(updated[0]["changed"], changed, "{updated:?}");
    r.app.stop().await;
}
