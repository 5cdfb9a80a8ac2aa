//! Changing what a connection trusts is changing the IdP. The attack: someone with
//! `sso:write` alone swaps the IdP's signing certificate for one of their own, keeping the
//! entity id and SSO URL, and signs in as the admin linked to that IdP account. Refused: the
//! swap drops every link, and the attacker's IdP then meets an existing account it may not
//! link to.

use super::saml::{connect, metadata_of, next, sign_in, EMAIL};
use super::*;
use base64::Engine;

fn certs_in(xml: &str) -> Vec<String> {
    regex::Regex::new(r"<(?:\w+:)?X509Certificate>([^<]+)</(?:\w+:)?X509Certificate>")
        .unwrap()
        .captures_iter(xml)
        .map(|c| c[1].to_string())
        .collect()
}

/// The certificate the IdP signed its last response with (the attacker's own, in
/// `other_key` mode).
async fn last_signing_cert(idp: &Idp) -> String {
    let last: Value = reqwest::get(format!("{}/last", idp.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(last["saml_response"].as_str().unwrap())
        .unwrap();
    certs_in(&String::from_utf8(raw).unwrap())
        .into_iter()
        .next()
        .expect("a certificate in the signature")
}

async fn put_as(r: &Rig, bearer: &str, connection: &str, body: &Value) -> u16 {
    r.app
        .http
        .put(
            r.app
                .url(&format!("/admin/v1/sso-connections/{connection}")),
        )
        .bearer_auth(bearer)
        .json(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn links_of(r: &Rig, connection: &str) -> i64 {
    let id = uuid::Uuid::parse_str(connection).unwrap();
    r.db.owner()
        .await
        .query_one(
            "SELECT count(*) FROM sso_identities WHERE connection_id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_swapped_idp_certificate_drops_links_and_signs_nobody_in_as_a_linked_admin() {
    let r = rig().await;
    let idp = Idp::saml();
    let connection = connect(&r, &idp, json!({})).await;
    // A person signs in through the IdP (now linked) and is made an admin.
    next(&idp, json!({"mode": "ok", "groups": []})).await;
    let (a, _, _) = sign_in(&r, &idp, &mut Browser::new(), EMAIL).await;
    assert_eq!(a.status, 303, "{}", a.body);
    let admin = r.people_with_email(EMAIL).await[0].id.0;
    let body = Some(json!({"roles": ["admin"]}));
    let path = format!("/admin/v1/users/{admin}/roles");
    assert_eq!(r.admin("PUT", &path, body).await.0, 200);
    assert_eq!(links_of(&r, &connection).await, 1);

    // The attacker holds sso:write only, and a key pair the IdP will sign with.
    let role = json!({"name": "sso-only", "description": "SSO", "permissions": ["sso:write"]});
    assert_eq!(r.admin("POST", "/admin/v1/roles", Some(role)).await.0, 201);
    let attacker = admin_key(&r.db.db(), r.t.tenant_id, "sso-only").await;
    next(&idp, json!({"mode": "other_key", "groups": []})).await;
    let (a, _, _) = sign_in(&r, &idp, &mut Browser::new(), EMAIL).await;
    assert!(
        a.location.is_none(),
        "a response under another key signed in"
    );
    let evil = last_signing_cert(&idp).await;
    let genuine = metadata_of(&idp).await;
    let mut swapped = genuine.clone();
    for cert in certs_in(&genuine) {
        swapped = swapped.replace(&cert, &evil);
    }
    assert_ne!(swapped, genuine);
    let put = json!({"name": "Acme SAML", "kind": "saml", "saml": {"idp_metadata": swapped},
                     "domains": [{"domain": "acme.test"}]});
    assert_eq!(
        put_as(&r, &attacker, &connection, &put).await,
        200,
        "no mapping hands out admin: sso:write may configure"
    );
    assert_eq!(
        links_of(&r, &connection).await,
        0,
        "the links survived an IdP change"
    );
    let updated = r.audit_rows("sso_connection.updated").await;
    assert_eq!(updated.last().unwrap()["idp_changed"], true);

    // The attacker's IdP asserts the admin's subject: no link, and no way to link.
    let (a, _, _) = sign_in(&r, &idp, &mut Browser::new(), EMAIL).await;
    assert_eq!(a.status, 409, "{}", a.body);
    assert!(a.location.is_none());

    // Once a mapping hands out admin, sso:write alone may not touch the connection at all.
    r.map_group("CRM-Admins", "admin").await;
    assert_eq!(put_as(&r, &attacker, &connection, &put).await, 403);
    r.app.stop().await;
}
