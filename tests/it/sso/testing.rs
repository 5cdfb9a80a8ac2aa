//! "Test connection" over HTTP with the pysaml2 IdP: an admin's one-time link signs in at
//! the IdP (even while the connection is disabled) and the outcome shows what the IdP sent,
//! the account sign-in would create and the roles it would give, while nothing is kept: no
//! user, no link, no session. A refused answer shows its reason; a link works once; another
//! workspace's admin cannot read the outcome.

use super::saml::{connect, form_of, next, EMAIL};
use super::*;

/// Creates a test of `connection`; its id and start link.
async fn start(r: &Rig, connection: &str) -> (String, String) {
    let path = format!("/admin/v1/sso-connections/{connection}/tests");
    let (status, v) = r.admin("POST", &path, None).await;
    assert_eq!(status, 201, "{v}");
    let link = v["start_url"].as_str().unwrap().to_string();
    assert!(link.starts_with(&r.app.url("/sso/test/")), "{link}");
    (v["id"].as_str().unwrap().to_string(), link)
}

/// Opens the link (twice, as a chat preview and then the admin), presses "Start the test",
/// signs in at the IdP and posts its answer; the ACS answer.
async fn run(idp: &Idp, b: &mut Browser, link: &str) -> Answer {
    let page = press_start(b, link).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let to_idp = continue_url(&page.body).expect("a page that moves on to the IdP");
    assert!(
        to_idp.starts_with(&format!("{}/sso?", idp.base)),
        "{to_idp}"
    );
    let at_idp = b.get(&to_idp).await;
    let (action, fields) = form_of(&at_idp.body);
    b.post(&action, &fields).await
}

/// What a person does with a test link: open it (a link preview may have opened it
/// before), then press "Start the test".
pub(super) async fn press_start(b: &mut Browser, link: &str) -> Answer {
    for _ in 0..2 {
        let page = b.get(link).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains(">Start the test</button>"),
            "{}",
            page.body
        );
        assert!(
            continue_url(&page.body).is_none(),
            "opening the link starts nothing"
        );
    }
    b.post(link, &[]).await
}

async fn outcome(r: &Rig, connection: &str, test: &str) -> Value {
    let path = format!("/admin/v1/sso-connections/{connection}/tests/{test}");
    let (status, v) = r.admin("GET", &path, None).await;
    assert_eq!(status, 200, "{v}");
    v
}

async fn count(r: &Rig, sql: &str) -> i64 {
    r.db.owner().await.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn a_test_shows_what_the_idp_sent_and_what_sign_in_would_do_and_keeps_nothing() {
    let r = rig().await;
    let idp = Idp::saml();
    let connection = connect(&r, &idp, json!({ "enabled": false })).await;
    r.map_group("CRM-Admins", "admin").await;
    next(
        &idp,
        json!({"mode": "ok", "name_id": EMAIL, "email": EMAIL, "given_name": "Jo",
               "family_name": "Jit", "groups": ["crm-admins", "everyone"]}),
    )
    .await;
    let (test, link) = start(&r, &connection).await;
    assert_eq!(outcome(&r, &connection, &test).await["status"], "pending");
    // Another site's form cannot start it (and does not spend it).
    let forged = reqwest::Client::new()
        .post(&link)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);

    let mut b = Browser::new();
    let back = run(&idp, &mut b, &link).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let to = back.location.unwrap();
    assert_eq!(
        to,
        r.app
            .url(&format!("/console/sso/{connection}/tests/{test}"))
    );
    assert!(
        b.cookie(&r.app.base, "__Host-identity-session").is_none(),
        "no session"
    );

    let v = outcome(&r, &connection, &test).await;
    assert_eq!(v["status"], "succeeded", "{v}");
    assert_eq!(v["identity"]["email"], EMAIL);
    assert_eq!(v["identity"]["subject"], EMAIL);
    assert_eq!(v["identity"]["groups"], json!(["crm-admins", "everyone"]));
    assert_eq!(v["identity"]["given_name"], "Jo");
    assert_eq!(v["account"]["result"], "would_be_created", "{v}");
    assert_eq!(v["account"]["user_id"], Value::Null);
    assert_eq!(v["matches"][0]["role"], "admin", "{v}");
    assert_eq!(v["roles"], json!(["admin"]), "{v}");
    assert!(v["matches"][0]["because"]
        .as_str()
        .unwrap()
        .contains("crm-admins"));
    assert_eq!(r.people_at("acme.test").await, 0, "nobody provisioned");
    assert_eq!(
        count(&r, "SELECT count(*) FROM sso_identities").await,
        0,
        "no link"
    );
    assert!(r.audit_rows("sso.user_provisioned").await.is_empty());
    let tested = r.audit_rows("sso_connection.tested").await;
    assert_eq!(tested.last().unwrap()["status"], "succeeded");

    // The link is spent: starting it again starts nothing.
    let again = Browser::new().post(&link, &[]).await;
    assert_eq!(again.status, 400, "{}", again.body);
    r.app.stop().await;
}

#[tokio::test]
async fn a_refused_answer_is_shown_with_its_reason_and_other_workspaces_cannot_read_it() {
    let r = rig().await;
    let idp = Idp::saml();
    let connection = connect(&r, &idp, json!({})).await;
    next(&idp, json!({ "mode": "unsigned" })).await;
    let (test, link) = start(&r, &connection).await;
    let back = run(&idp, &mut Browser::new(), &link).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let v = outcome(&r, &connection, &test).await;
    assert_eq!(v["status"], "refused", "{v}");
    assert!(v["reason"].as_str().unwrap().contains("signature"), "{v}");
    assert!(
        v.get("identity").is_none(),
        "nothing unverified is shown: {v}"
    );

    // Another workspace's admin: the test is not there for them.
    let other = tenant(&r.db.db(), &envelope(&[1]), "beta").await;
    let key = admin_key(&r.db.db(), other.tenant_id, "admin").await;
    let res = r
        .app
        .http
        .get(r.app.url(&format!(
            "/admin/v1/sso-connections/{connection}/tests/{test}"
        )))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = r
        .app
        .http
        .post(
            r.app
                .url(&format!("/admin/v1/sso-connections/{connection}/tests")),
        )
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        404,
        "no test of another workspace's connection"
    );
    r.app.stop().await;
}

#[tokio::test]
async fn a_draft_gives_its_sp_values_first_then_takes_the_idp_from_its_metadata_url() {
    let r = rig().await;
    let idp = Idp::saml();
    let draft = json!({ "name": "Acme", "kind": "saml", "enabled": false, "saml": {},
                        "domains": [{ "domain": "acme.test" }] });
    let (status, v) = r
        .admin("POST", "/admin/v1/sso-connections", Some(draft))
        .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["saml"]["configured"], false);
    let acs = v["saml"]["acs_url"].as_str().unwrap();
    assert!(acs.ends_with("/acs"), "{v}");
    let id = v["id"].as_str().unwrap();
    let path = format!("/admin/v1/sso-connections/{id}");

    // Enabling needs an IdP; a metadata URL that is not one is refused with a reason.
    let enable = json!({ "name": "Acme", "kind": "saml", "saml": {} });
    let (status, v) = r.admin("PUT", &path, Some(enable)).await;
    assert_eq!(status, 400, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("metadata"), "{v}");
    let nowhere = format!("{}/no-such-document", idp.base);
    let body = json!({ "name": "Acme", "kind": "saml", "saml": { "idp_metadata_url": nowhere } });
    let (status, v) = r.admin("PUT", &path, Some(body)).await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("could not be fetched"),
        "{v}"
    );

    let url = format!("{}/metadata", idp.base);
    let body = json!({ "name": "Acme", "kind": "saml", "saml": { "idp_metadata_url": url },
                       "domains": [{ "domain": "acme.test" }] });
    let (status, v) = r.admin("PUT", &path, Some(body)).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["saml"]["configured"], true);
    assert_eq!(v["saml"]["idp_metadata_url"], url);
    assert!(
        v["saml"]["idp_sso_url"]
            .as_str()
            .unwrap()
            .starts_with(&idp.base),
        "{v}"
    );
    assert_eq!(
        v["saml"]["acs_url"], acs,
        "the SP values given to the IdP stay"
    );
    r.app.stop().await;
}
