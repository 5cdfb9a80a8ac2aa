//! OIDC relying party against Node `oidc-provider`: sign-in by redirect with PKCE, state and
//! nonce, JIT provisioning and group mapping; ID tokens with a wrong nonce, issuer or
//! audience, or expired, are refused (the IdP re-signs them with its real key).

use super::*;
use crate::browser::REDIRECT;

const EMAIL: &str = "oidc.user@globex.test";
const SECRET: &str = "rp-secret-4f1c9a";

/// A workspace with an OIDC connection to a fresh provider.
async fn setup() -> (Rig, Idp) {
    let r = rig().await;
    let callback = r.app.url("/sso/oidc/callback");
    let idp = Idp::oidc("crm-rp", SECRET, &callback);
    let (status, conn) = r
        .admin(
            "POST",
            "/admin/v1/sso-connections",
            Some(json!({
                "name": "Globex", "kind": "oidc",
                "oidc": { "issuer": idp.base, "client_id": "crm-rp", "client_secret": SECRET,
                          "scopes": ["openid", "email", "profile", "groups"],
                          "use_userinfo": true },
                "domains": [{ "domain": "globex.test" }],
            })),
        )
        .await;
    assert_eq!(status, 201, "{conn}");
    assert_eq!(conn["oidc"]["redirect_uri"], json!(callback));
    assert_eq!(conn["oidc"]["client_secret_set"], json!(true));
    assert!(
        !conn.to_string().contains(SECRET),
        "the secret is never shown"
    );
    (r, idp)
}

async fn next(idp: &Idp, settings: Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/_control/next", idp.base))
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
}

/// Authorize with a login hint → provider → our callback; the callback's answer.
async fn sign_in(r: &Rig, idp: &Idp, b: &mut Browser) -> Answer {
    let to_idp = start_sso(r, b, EMAIL).await;
    assert!(
        to_idp.starts_with(&format!("{}/auth?", idp.base)),
        "{to_idp}"
    );
    let q = query_of(&to_idp);
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q.contains_key("nonce") && q.contains_key("state"));
    let back = b.follow(&to_idp, &r.app.base).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let callback = back.location.unwrap();
    assert!(
        callback.starts_with(&r.app.url("/sso/oidc/callback?")),
        "{callback}"
    );
    b.get(&callback).await
}

#[tokio::test]
async fn oidc_sign_in_provisions_maps_groups_and_ends_with_tokens() {
    let (r, idp) = setup().await;
    r.map_group("crm-admins", "admin").await;
    next(
        &idp,
        json!({"groups": ["crm-admins"], "given_name": "Olga", "family_name": "Idc"}),
    )
    .await;
    let a = sign_in(&r, &idp, &mut Browser::new()).await;
    assert_eq!(a.status, 303, "{}", a.body);
    let back = a.location.unwrap();
    assert!(back.starts_with(REDIRECT), "{back}");
    let tokens = r.tokens(&back).await;
    assert_eq!(
        roles_of(tokens["access_token"].as_str().unwrap()),
        vec!["admin"]
    );
    let owner = r.db.owner().await;
    let olga = r.people_with_email(EMAIL).await.remove(0);
    assert_eq!(olga.display_name.as_deref(), Some("Olga Idc"));
    let row = owner
        .query_one(
            "SELECT subject, attributes_sealed FROM sso_identities WHERE user_id = $1",
            &[&olga.id.0],
        )
        .await
        .unwrap();
    // The link is keyed by the subject's blind index and its attributes are sealed.
    assert_ne!(row.get::<_, String>(0), "oidc-user-1");
    assert!(row.get::<_, Option<String>>(1).is_some());
    let sealed: String = owner
        .query_one(
            "SELECT value_enc FROM sso_secrets WHERE kind = 'oidc_client_secret'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        sealed.starts_with("ev2.") && !sealed.contains(SECRET),
        "envelope-encrypted"
    );
    r.app.stop().await;
}

async fn refused(mode: &str, reason: &str) {
    let (r, idp) = setup().await;
    next(&idp, json!({ "mode": mode })).await;
    let a = sign_in(&r, &idp, &mut Browser::new()).await;
    assert_eq!(a.status, 403, "{mode}: {}", a.body);
    assert!(a.location.is_none());
    let users = r.people_with_email(EMAIL).await.len();
    assert_eq!(users, 0, "{mode}: nobody provisioned");
    let failures = r.audit_rows("sso.signin_failed").await;
    let said = failures.last().unwrap()["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(said.contains(reason), "{mode}: {said:?}");
    r.app.stop().await;
}

#[tokio::test]
async fn an_id_token_with_a_wrong_nonce_is_refused() {
    refused("wrong_nonce", "nonce").await;
}

#[tokio::test]
async fn an_id_token_from_a_wrong_issuer_is_refused() {
    refused("wrong_issuer", "issuer").await;
}

#[tokio::test]
async fn an_id_token_for_another_audience_is_refused() {
    refused("wrong_audience", "audience").await;
}

#[tokio::test]
async fn an_expired_id_token_is_refused() {
    refused("expired", "expired").await;
}

#[tokio::test]
async fn an_unverified_or_foreign_email_provisions_nobody() {
    let (r, idp) = setup().await;
    // An open IdP could hand out any address: unverified, or in a domain the connection
    // does not serve (here one the workspace serves through no connection at all).
    for person in [
        json!({"email_verified": false}),
        json!({"sub": "oidc-user-2", "email": "ceo@acme.test"}),
    ] {
        next(&idp, person).await;
        let a = sign_in(&r, &idp, &mut Browser::new()).await;
        assert_eq!(a.status, 403, "{}", a.body);
    }
    let users: i64 =
        r.db.owner()
            .await
            .query_one("SELECT count(*) FROM users", &[])
            .await
            .unwrap()
            .get(0);
    assert_eq!(users, 1, "only the bootstrap admin");
    let reasons: Vec<String> = r
        .audit_rows("sso.signin_failed")
        .await
        .iter()
        .map(|d| d["reason"].as_str().unwrap().to_string())
        .collect();
    assert!(
        reasons.iter().all(|x| x.contains("unverified or outside")),
        "{reasons:?}"
    );
    r.app.stop().await;
}

#[tokio::test]
async fn a_connection_test_through_the_openid_provider_shows_its_claims_and_keeps_nothing() {
    let (r, idp) = setup().await;
    r.map_group("crm-admins", "admin").await;
    next(
        &idp,
        json!({"groups": ["crm-admins"], "given_name": "Olga"}),
    )
    .await;
    let (_, all) = r.admin("GET", "/admin/v1/sso-connections", None).await;
    let id = all["connections"][0]["id"].as_str().unwrap().to_string();
    let (status, test) = r
        .admin(
            "POST",
            &format!("/admin/v1/sso-connections/{id}/tests"),
            None,
        )
        .await;
    assert_eq!(status, 201, "{test}");
    let mut b = Browser::new();
    let page = super::testing::press_start(&mut b, test["start_url"].as_str().unwrap()).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let to_idp = continue_url(&page.body).expect("on to the provider");
    assert!(
        to_idp.starts_with(&format!("{}/auth?", idp.base)),
        "{to_idp}"
    );
    let back = b.follow(&to_idp, &r.app.base).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let done = b.get(&back.location.unwrap()).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let test_id = test["id"].as_str().unwrap();
    let shown = format!("/console/sso/{id}/tests/{test_id}");
    assert!(done.location.unwrap().ends_with(&shown));

    let (_, v) = r
        .admin(
            "GET",
            &format!("/admin/v1/sso-connections/{id}/tests/{test_id}"),
            None,
        )
        .await;
    assert_eq!(v["status"], "succeeded", "{v}");
    assert_eq!(v["identity"]["subject"], "oidc-user-1");
    assert_eq!(v["identity"]["email"], EMAIL);
    assert_eq!(v["account"]["result"], "would_be_created");
    assert_eq!(v["roles"], json!(["admin"]));
    let kept = r.people_with_email(EMAIL).await.len();
    assert_eq!(kept, 0, "the test created nobody");
    r.app.stop().await;
}
