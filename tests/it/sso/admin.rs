//! Connections through the admin API (domains, isolation, audit), the role-mapping dry run,
//! SSO enforcement and account linking, the MFA rule after SSO, and the SAML round trip in
//! headless Chromium from our sign-in page.

use super::saml::{connect, metadata_of, next, reconfigure, sign_in, EMAIL};
use super::*;
use crate::browser::{PASSWORD, REDIRECT};

#[tokio::test]
async fn the_dry_run_explains_which_rule_gives_which_role() {
    let r = rig().await;
    r.map_group("CRM-Admins", "admin").await;
    let (s, v) = r
        .admin(
            "POST",
            "/admin/v1/role-mappings",
            Some(json!({"attribute": "department", "value": "Sales", "role": "member"})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["attribute"], "department");
    let (s, v) = r
        .admin(
            "POST",
            "/admin/v1/role-mappings",
            Some(json!({"group": "x", "attribute": "y", "value": "z", "role": "member"})),
        )
        .await;
    assert_eq!(
        s, 400,
        "a rule matches a group or an attribute, not both: {v}"
    );
    let (s, v) = r
        .admin(
            "POST",
            "/admin/v1/role-mappings/dry-run",
            Some(json!({"groups": ["crm-admins", "staff"], "attributes": {"Department": "sales"}})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["roles"], json!(["admin", "member"]));
    let because: Vec<&str> = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["because"].as_str().unwrap())
        .collect();
    assert!(because.contains(&"member of group \"crm-admins\""), "{v}");
    assert!(
        because.contains(&"attribute \"Department\" is \"sales\""),
        "{v}"
    );
    let (_, v) = r
        .admin(
            "POST",
            "/admin/v1/role-mappings/dry-run",
            Some(json!({"groups": ["staff"]})),
        )
        .await;
    assert_eq!(v["roles"], json!([]), "no rule, no role");
    r.app.stop().await;
}

#[tokio::test]
async fn connections_need_claimed_domains_stay_in_their_workspace_and_are_audited() {
    let r = rig().await;
    let idp = Idp::saml();
    let md = metadata_of(&idp).await;
    let body = |domain: &str| {
        json!({"name": "Acme", "kind": "saml", "saml": {"idp_metadata": md},
               "domains": [{"domain": domain, "verified": true}]})
    };
    let (s, v) = r
        .admin(
            "POST",
            "/admin/v1/sso-connections",
            Some(body("unclaimed.test")),
        )
        .await;
    assert_eq!(s, 400, "a domain the workspace has not claimed: {v}");
    let (s, first) = r
        .admin("POST", "/admin/v1/sso-connections", Some(body("acme.test")))
        .await;
    assert_eq!(s, 201, "{first}");
    let (s, v) = r
        .admin("POST", "/admin/v1/sso-connections", Some(body("acme.test")))
        .await;
    assert_eq!(s, 409, "one connection per domain: {v}");
    let (s, v) = r
        .admin(
            "POST",
            "/admin/v1/sso-connections",
            Some(json!({"name": "x", "kind": "saml", "saml": {"idp_metadata": "<not-xml"}})),
        )
        .await;
    assert_eq!(s, 400, "{v}");

    // Another workspace's admin sees nothing and changes nothing.
    let pool = r.db.db();
    let beta = tenant(&pool, &envelope(&[1]), "beta").await;
    let beta_key = admin_key(&pool, beta.tenant_id, "admin").await;
    let id = first["id"].as_str().unwrap();
    let path = format!("/admin/v1/sso-connections/{id}");
    for method in ["GET", "PUT", "DELETE"] {
        let req = match method {
            "GET" => r.app.http.get(r.app.url(&path)),
            "PUT" => r.app.http.put(r.app.url(&path)).json(&body("acme.test")),
            _ => r.app.http.delete(r.app.url(&path)),
        };
        let res = req.bearer_auth(&beta_key).send().await.unwrap();
        assert_eq!(res.status(), 404, "{method} across workspaces");
    }
    let list: Value = r
        .app
        .http
        .get(r.app.url("/admin/v1/sso-connections"))
        .bearer_auth(&beta_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["connections"], json!([]));
    let foreign = r
        .app
        .http
        .get(
            r.app
                .url(&format!("/sso/saml/{}/{id}/metadata", beta.tenant_id.0)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 404, "A's connection under B's tenant id");

    // `sso:write` alone may not make a connection that links accounts or vouches for MFA.
    let (s, v) = r
        .admin(
            "POST",
            "/admin/v1/roles",
            Some(json!({"name": "sso-only", "permissions": ["sso:write"]})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let sso_only = admin_key(&pool, r.t.tenant_id, "sso-only").await;
    let mut unverified = body("globex.test");
    unverified["domains"][0]["verified"] = json!(false);
    let mut trusting = unverified.clone();
    trusting["idp_mfa_accepted"] = json!(true);
    for (payload, expected) in [
        (body("globex.test"), 403),
        (trusting, 403),
        (unverified, 201),
    ] {
        let res = r
            .app
            .http
            .post(r.app.url("/admin/v1/sso-connections"))
            .bearer_auth(&sso_only)
            .json(&payload)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), expected, "{payload}");
    }

    let mut renamed = body("acme.test");
    renamed["name"] = json!("Acme Okta");
    renamed["password_signin_allowed"] = json!(false);
    let (s, v) = r.admin("PUT", &path, Some(renamed)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["password_signin_allowed"], json!(false));
    let (s, _) = r.admin("DELETE", &path, None).await;
    assert_eq!(s, 204);
    for (action, n) in [
        ("sso_connection.created", 2),
        ("sso_connection.updated", 1),
        ("sso_connection.deleted", 1),
    ] {
        assert_eq!(r.audit_rows(action).await.len(), n, "{action}");
    }
    r.app.stop().await;
}

/// Posts the sign-in form for `email` with `password` (empty: none).
async fn post_sign_in(r: &Rig, b: &mut Browser, email: &str, password: &str) -> Answer {
    let page = b.get(&r.app.url(&authorize_url(&[]))).await;
    assert_eq!(page.status, 200, "{}", page.body);
    submit_email(r, b, &page.body, email, password).await
}

#[tokio::test]
async fn enforcement_sends_passwords_to_the_idp_and_linking_needs_a_verified_domain() {
    let r = rig().await;
    let idp = Idp::saml();
    let pat = "pat@acme.test";
    let (s, v) = r
        .admin(
            "POST",
            "/admin/v1/users",
            Some(json!({"email": pat, "password": PASSWORD})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let id = connect(&r, &idp, json!({"password_signin_allowed": true})).await;

    // Passwords still allowed: a password signs in; an empty one goes to the IdP.
    let a = post_sign_in(&r, &mut Browser::new(), pat, PASSWORD).await;
    assert_eq!(a.status, 303, "{}", a.body);
    assert!(a.location.unwrap().starts_with(REDIRECT));
    let a = post_sign_in(&r, &mut Browser::new(), pat, "").await;
    assert_eq!(a.status, 200);
    assert!(
        a.body.contains(&format!("{}/sso?SAMLRequest=", idp.base)),
        "{}",
        a.body
    );

    // The IdP asserts pat's address, but the domain is not marked verified: no takeover.
    next(&idp, json!({"mode": "ok", "name_id": pat, "email": pat})).await;
    let (a, _, _) = sign_in(&r, &idp, &mut Browser::new(), pat).await;
    assert_eq!(a.status, 409, "{}", a.body);

    let verified = json!({"domains": [{"domain": "acme.test", "verified": true}],
                          "password_signin_allowed": false});
    reconfigure(&r, &id, &idp, verified.clone()).await;

    // Enforced: the right password no longer signs in, it hands off to the IdP.
    let a = post_sign_in(&r, &mut Browser::new(), pat, PASSWORD).await;
    assert_eq!(a.status, 200);
    assert!(a.body.contains("SAMLRequest"), "{}", a.body);
    assert!(a.location.is_none());
    let (a, _, _) = sign_in(&r, &idp, &mut Browser::new(), pat).await;
    assert_eq!(
        a.status, 303,
        "a verified domain links the account: {}",
        a.body
    );
    let n = r.people_with_email(pat).await.len();
    assert_eq!(n, 1, "linked, not duplicated");
    assert_eq!(r.audit_rows("sso.account_linked").await.len(), 1);

    // The right password typed with a Unicode twin in the domain (the Kelvin sign folds to
    // "k") finds the account but still may not sign in with a password.
    let kim = "kim@kontoso.test";
    r.claim_domain("kontoso.test").await;
    let (s, v) = r
        .admin(
            "POST",
            "/admin/v1/users",
            Some(json!({"email": kim, "password": PASSWORD})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = r
        .admin(
            "POST",
            "/admin/v1/sso-connections",
            Some(
                json!({"name": "Kontoso", "kind": "saml", "saml": {"idp_metadata": metadata_of(&idp).await},
                        "domains": [{"domain": "kontoso.test"}], "password_signin_allowed": false}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let a = post_sign_in(&r, &mut Browser::new(), "kim@\u{212A}ontoso.test", PASSWORD).await;
    assert!(
        a.location.is_none(),
        "no code for a password: {:?}",
        a.location
    );
    assert!(
        continue_url(&a.body).is_some(),
        "handed to the IdP: {}",
        a.body
    );

    // Another IdP behind the connection: its subjects are other people, links are dropped.
    let other = Idp::saml();
    reconfigure(&r, &id, &other, verified).await;
    let links: i64 =
        r.db.owner()
            .await
            .query_one(
                "SELECT count(*) FROM sso_identities WHERE connection_id = $1::text::uuid",
                &[&id],
            )
            .await
            .unwrap()
            .get(0);
    assert_eq!(links, 0);
    let updates = r.audit_rows("sso_connection.updated").await;
    assert_eq!(updates.last().unwrap()["idp_changed"], json!(true));
    r.app.stop().await;
}

#[tokio::test]
async fn the_mfa_rule_applies_after_sso_unless_the_idp_factor_is_trusted() {
    let r = rig().await;
    let idp = Idp::saml();
    let (s, v) = r
        .admin(
            "PUT",
            "/admin/v1/mfa-policy",
            Some(json!({"required": true, "grace_period_days": 0})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let id = connect(&r, &idp, json!({"idp_mfa_accepted": false})).await;
    let two_factor = "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract";
    next(&idp, json!({"mode": "ok", "authn_context": two_factor})).await;
    let (a, _, _) = sign_in(&r, &idp, &mut Browser::new(), EMAIL).await;
    assert_eq!(a.status, 200, "the IdP's factor is not trusted: enrol here");
    assert!(
        a.body.contains("Set up two-step verification"),
        "{}",
        a.body
    );
    assert!(a.location.is_none());

    reconfigure(&r, &id, &idp, json!({"idp_mfa_accepted": true})).await;
    let (a, _, _) = sign_in(&r, &idp, &mut Browser::new(), EMAIL).await;
    assert_eq!(a.status, 303, "{}", a.body);
    let tokens = r.tokens(&a.location.unwrap()).await;
    let (_, claims) = peek(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["amr"], json!(["fed", "mfa"]));

    // A password-only context from the IdP still needs the local factor.
    next(&idp, json!({"mode": "ok"})).await;
    let (a, _, _) = sign_in(&r, &idp, &mut Browser::new(), EMAIL).await;
    assert_eq!(a.status, 200, "{}", a.body);
    r.app.stop().await;
}

#[tokio::test]
async fn headless_chromium_signs_in_through_the_saml_idp_from_our_sign_in_page() {
    let r = rig().await;
    let idp = Idp::saml();
    connect(&r, &idp, json!({"password_signin_allowed": false})).await;
    r.map_group("crm-admins", "admin").await;
    let url = r.app.url(&authorize_url(&[]));
    let (ok, out) = run_verifier("node", "browser_sso.mjs", &[&url, REDIRECT, EMAIL]);
    assert!(ok, "the browser could not sign in through the IdP: {out}");
    let landed: Value = serde_json::from_str(out.trim().lines().last().unwrap()).unwrap();
    let back = landed["landed"].as_str().unwrap();
    assert!(back.starts_with(REDIRECT), "{back}");
    let tokens = r.tokens(back).await;
    assert_eq!(
        roles_of(tokens["access_token"].as_str().unwrap()),
        vec!["admin"]
    );
    r.app.stop().await;
}
