//! The console adds people and gives roles as the admin API does: a new person gets the
//! role chosen and a link to choose their password; the roles given here are checkboxes,
//! kept apart from those group rules give; a member can do neither.

use crate::browser::{Browser, Reached, Site, PASSWORD};
use crate::console::console_sign_in;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn an_admin_adds_a_person_and_sets_their_roles_and_a_member_cannot() {
    let site = Site::start(Reached::AsIssuer).await;
    let body = json!({"email": "pat@alpha.example", "roles": ["member"], "password": PASSWORD});
    let (status, _) = site
        .app
        .call(&site.admin_key, Method::POST, "/admin/v1/users", Some(body))
        .await;
    assert_eq!(status, 201);
    let mut b = Browser::new(&site.app);
    console_sign_in(&mut b, "admin@alpha.example").await;

    let new = [
        ("email", "new.person@alpha.example"),
        ("display_name", "New Person"),
        ("role", "viewer"),
    ];
    let (status, body, to) = b.post("/console/users", &new).await;
    assert_eq!(status, 303, "{body}");
    let to = to.unwrap();
    assert!(to.ends_with("?done=created"), "{to}");
    let id = to
        .trim_start_matches("/console/users/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let (_, html, _) = b.get(&to).await;
    assert!(html.contains("Added. They got an email"), "{html}");
    assert!(
        html.contains(r#"name="role:viewer" value="true" checked"#),
        "{html}"
    );
    let (status, body, _) = b.post("/console/users", &new).await;
    assert_eq!(status, 409, "the same email twice: {body}");
    let outbox: i64 = site
        .db
        .owner()
        .await
        .query_one("SELECT count(*) FROM mail_outbox", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(outbox, 1, "one invitation (a password link) is on its way");

    let page = format!("/console/users/{id}");
    let (status, _, to) = b
        .post(
            &format!("{page}/roles"),
            &[("role:member", "true"), ("role:viewer", "true")],
        )
        .await;
    assert_eq!(
        (status, to.unwrap()),
        (303, format!("{page}?done=roles-saved"))
    );
    let path = format!("/admin/v1/users/{id}");
    let (_, user) = site
        .app
        .call(&site.admin_key, Method::GET, &path, None)
        .await;
    assert_eq!(user["direct_roles"], json!(["member", "viewer"]), "{user}");
    assert_eq!(user["sso_links"], json!([]));

    // A break-glass account, and back.
    let (status, _, to) = b
        .post(&format!("{page}/mfa-exemption"), &[("exempt", "true")])
        .await;
    assert_eq!((status, to.unwrap()), (303, format!("{page}?done=exempt")));
    let (_, user) = site
        .app
        .call(&site.admin_key, Method::GET, &path, None)
        .await;
    assert_eq!(user["mfa_exempt"], true);
    let (_, html, _) = b.get(&page).await;
    assert!(html.contains("End the break-glass exemption"), "{html}");
    let (status, _, _) = b
        .post(&format!("{page}/mfa-exemption"), &[("exempt", "false")])
        .await;
    assert_eq!(status, 303);
    let (_, user) = site
        .app
        .call(&site.admin_key, Method::GET, &path, None)
        .await;
    assert_eq!(user["mfa_exempt"], false);

    // A member: no roles:write, so nothing changes.
    let mut pats = Browser::new(&site.app);
    console_sign_in(&mut pats, "pat@alpha.example").await;
    let (status, html, _) = pats
        .post(&format!("{page}/roles"), &[("role:admin", "true")])
        .await;
    assert_eq!(status, 403, "{html}");
    let (status, _, _) = pats
        .post("/console/users", &[("email", "mallory@alpha.example")])
        .await;
    assert_eq!(status, 403);
    let (_, user) = site
        .app
        .call(&site.admin_key, Method::GET, &path, None)
        .await;
    assert_eq!(user["direct_roles"], json!(["member", "viewer"]));
    site.app.stop().await;
}

#[tokio::test]
async fn a_persons_page_says_which_group_rule_gives_each_mapped_role() {
    let site = Site::start(Reached::AsIssuer).await;
    let key = &site.admin_key;
    let body = json!({"name": "okta"});
    let (_, scim) = site
        .app
        .call(key, Method::POST, "/admin/v1/scim-tokens", Some(body))
        .await;
    let token = scim["token"].as_str().unwrap();
    let rule = json!({"group": "Sales", "role": "viewer"});
    let (status, _) = site
        .app
        .call(key, Method::POST, "/admin/v1/role-mappings", Some(rule))
        .await;
    assert_eq!(status, 201);
    let scim_post = |path: &str, body: serde_json::Value| {
        site.app
            .http
            .post(site.app.url(path))
            .bearer_auth(token)
            .header("content-type", "application/scim+json")
            .body(body.to_string())
            .send()
    };
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                      "userName": "sam.sales@alpha.example", "active": true});
    let made: serde_json::Value = scim_post("/scim/v2/Users", user)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = made["id"].as_str().unwrap().to_string();
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                       "displayName": "Sales", "members": [{"value": id}]});
    assert_eq!(
        scim_post("/scim/v2/Groups", group).await.unwrap().status(),
        201
    );

    let path = format!("/admin/v1/users/{id}");
    let (_, user) = site.app.call(key, Method::GET, &path, None).await;
    assert_eq!(user["roles"], json!(["viewer"]), "{user}");
    assert_eq!(user["direct_roles"], json!([]));
    assert_eq!(
        user["mapped_roles"],
        json!([{"role": "viewer", "because": "member of group \"Sales\""}])
    );
    let mut b = Browser::new(&site.app);
    console_sign_in(&mut b, "admin@alpha.example").await;
    let (_, html, _) = b.get(&format!("/console/users/{id}")).await;
    let html = crate::browser::unescape(&html);
    assert!(html.contains("viewer: member of group \"Sales\""), "{html}");
    assert!(
        html.contains(r#"name="role:viewer" value="true">"#),
        "not given here: {html}"
    );
    site.app.stop().await;
}
