//! SAML SP against a pysaml2 IdP (RSA-SHA256): SP-initiated sign-in with JIT provisioning
//! and group→role mapping ending in tokens; the accepted signing layouts; and each attack
//! the issue names, each its own test, refused with its reason in the audit log.

use super::*;
use crate::browser::unescape;
use crate::browser::REDIRECT;

pub(crate) const EMAIL: &str = "jit.user@acme.test";

/// Creates a SAML connection from the IdP's metadata (serving acme.test), registers our SP
/// metadata with the IdP; returns the connection id.
pub(crate) async fn metadata_of(idp: &Idp) -> String {
    reqwest::get(format!("{}/metadata", idp.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Replaces connection `id` with the IdP's metadata, serving acme.test, plus `extra`.
pub(crate) async fn reconfigure(r: &Rig, id: &str, idp: &Idp, extra: Value) -> Value {
    let mut body = json!({
        "name": "Acme SAML", "kind": "saml", "saml": { "idp_metadata": metadata_of(idp).await },
        "domains": [{ "domain": "acme.test" }],
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let (status, v) = r
        .admin(
            "PUT",
            &format!("/admin/v1/sso-connections/{id}"),
            Some(body),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    v
}

pub(crate) async fn connect(r: &Rig, idp: &Idp, extra: Value) -> String {
    let md = metadata_of(idp).await;
    let mut body = json!({
        "name": "Acme SAML", "kind": "saml", "saml": { "idp_metadata": md },
        "domains": [{ "domain": "acme.test" }],
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let (status, conn) = r
        .admin("POST", "/admin/v1/sso-connections", Some(body))
        .await;
    assert_eq!(status, 201, "{conn}");
    let sp = r
        .app
        .http
        .get(conn["saml"]["metadata_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(sp.status(), 200);
    let sp_md = sp.text().await.unwrap();
    assert!(sp_md.contains(conn["saml"]["acs_url"].as_str().unwrap()));
    assert!(sp_md.contains("use=\"encryption\""), "{sp_md}");
    let reg = reqwest::Client::new()
        .post(format!("{}/sp", idp.base))
        .body(sp_md)
        .send()
        .await
        .unwrap();
    assert_eq!(reg.status(), 204);
    conn["id"].as_str().unwrap().to_string()
}

/// What the IdP answers next (mode and person).
pub(crate) async fn next(idp: &Idp, settings: Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/next", idp.base))
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
}

/// The IdP's auto-posting form: (action, fields).
pub(crate) fn form_of(html: &str) -> (String, Vec<(String, String)>) {
    let action = regex::Regex::new(r#"action="([^"]+)""#)
        .unwrap()
        .captures(html)
        .unwrap_or_else(|| panic!("no form in {html}"))[1]
        .to_string();
    let field = |name: &str| {
        regex::Regex::new(&format!(r#"name="{name}" value="([^"]*)""#))
            .unwrap()
            .captures(html)
            .map(|c| unescape(&c[1]))
    };
    let mut fields = vec![("SAMLResponse".to_string(), field("SAMLResponse").unwrap())];
    if let Some(rs) = field("RelayState") {
        fields.push(("RelayState".to_string(), rs));
    }
    (unescape(&action), fields)
}

/// An SP-initiated sign-in: our authorize URL with a login hint of the connection's
/// domain → the IdP → its form posted to our ACS. Returns the ACS answer and the post.
pub(crate) async fn sign_in(
    r: &Rig,
    idp: &Idp,
    b: &mut Browser,
    hint: &str,
) -> (Answer, String, Vec<(String, String)>) {
    let to_idp = start_sso(r, b, hint).await;
    assert!(
        to_idp.starts_with(&format!("{}/sso?SAMLRequest=", idp.base)),
        "{to_idp}"
    );
    assert!(b.cookie(&r.app.base, "__Host-identity-sso").is_some());
    let page = b.get(&to_idp).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let (action, fields) = form_of(&page.body);
    let answer = b.post(&action, &fields).await;
    (answer, action, fields)
}

/// The whole flow with one mode; the ACS answer.
async fn attempt(mode: &str) -> (Rig, Answer) {
    let r = rig().await;
    let idp = Idp::saml();
    connect(&r, &idp, json!({})).await;
    next(&idp, json!({ "mode": mode })).await;
    let (answer, _, _) = sign_in(&r, &idp, &mut Browser::new(), EMAIL).await;
    (r, answer)
}

/// The flow with `mode` is refused: a page, no code, no user, the reason audited.
async fn refused(mode: &str, reason: &str) {
    let (r, a) = attempt(mode).await;
    assert!(
        matches!(a.status, 400 | 403),
        "{mode}: status {} {}",
        a.status,
        a.body
    );
    assert!(a.location.is_none(), "{mode}: no redirect to the client");
    let users = r.people_at("acme.test").await + r.people_at("evil.test").await;
    assert_eq!(users, 0, "{mode}: nobody was provisioned");
    let failures = r.audit_rows("sso.signin_failed").await;
    let last = failures
        .last()
        .unwrap_or_else(|| panic!("{mode}: failure not audited"));
    let said = last["reason"].as_str().unwrap();
    assert!(
        said.contains(reason),
        "{mode}: audited reason {said:?}, expected {reason:?}"
    );
    r.app.stop().await;
}

#[tokio::test]
async fn sp_initiated_sign_in_provisions_maps_groups_to_roles_and_ends_with_tokens() {
    let r = rig().await;
    let idp = Idp::saml();
    connect(&r, &idp, json!({})).await;
    r.map_group("CRM-Admins", "admin").await;
    next(
        &idp,
        json!({"mode": "ok", "name_id": EMAIL, "email": EMAIL, "given_name": "Jo",
               "family_name": "Jit", "groups": ["crm-admins", "everyone"]}),
    )
    .await;
    let mut b = Browser::new();
    let (a, _, _) = sign_in(&r, &idp, &mut b, EMAIL).await;
    assert_eq!(a.status, 303, "{}", a.body);
    let back = a.location.unwrap();
    assert!(back.starts_with(REDIRECT), "{back}");
    let tokens = r.tokens(&back).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(roles_of(access), vec!["admin"], "crm-admins maps to admin");
    let (_, claims) = peek(access);
    assert_eq!(claims["amr"], json!(["fed"]));
    let owner = r.db.owner().await;
    let jo = r.people_with_email(EMAIL).await.remove(0);
    assert_eq!(jo.display_name.as_deref(), Some("Jo Jit"));
    let row = owner
        .query_one(
            "SELECT groups FROM sso_identities WHERE user_id = $1",
            &[&jo.id.0],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, Value>(0), json!(["crm-admins", "everyone"]));
    assert_eq!(r.audit_rows("sso.user_provisioned").await.len(), 1);

    // The next sign-in refreshes email, name and groups: the admin group is gone, so is
    // the role. The NameID stays the key of the IdP account.
    let renamed = "joanne.jit@acme.test";
    next(
        &idp,
        json!({"mode": "ok", "name_id": EMAIL, "email": renamed, "given_name": "Joanne",
               "family_name": "Jit", "groups": ["everyone"]}),
    )
    .await;
    let (a, _, _) = sign_in(&r, &idp, &mut Browser::new(), EMAIL).await;
    assert_eq!(a.status, 303, "{}", a.body);
    let tokens = r.tokens(&a.location.unwrap()).await;
    assert!(roles_of(tokens["access_token"].as_str().unwrap()).is_empty());
    let name = r.people_with_email(renamed).await[0].display_name.clone();
    assert_eq!(name.as_deref(), Some("Joanne Jit"));
    let users: i64 = owner
        .query_one("SELECT count(*) FROM users", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        users, 2,
        "the bootstrap admin and one SSO user: no duplicate"
    );
    assert_eq!(r.audit_rows("sso.user_updated").await.len(), 1);
    r.app.stop().await;
}

#[tokio::test]
async fn assertion_only_response_only_and_encrypted_signing_layouts_are_accepted() {
    for mode in ["ok_assertion_only", "ok_response_only", "encrypted"] {
        let (r, a) = attempt(mode).await;
        assert_eq!(a.status, 303, "{mode}: {}", a.body);
        assert!(a.location.unwrap().starts_with(REDIRECT), "{mode}");
        r.app.stop().await;
    }
}

#[tokio::test]
async fn an_unsigned_response_is_refused() {
    refused("unsigned", "signature is missing or invalid").await;
}

#[tokio::test]
async fn a_signature_by_another_key_is_refused() {
    refused("other_key", "signature is missing or invalid").await;
}

#[tokio::test]
async fn an_rsa_sha1_signature_is_refused() {
    refused("sha1", "signature is missing or invalid").await;
}

#[tokio::test]
async fn signature_wrapping_with_an_unsigned_sibling_assertion_is_refused() {
    refused("wrap_sibling", "exactly one assertion").await;
}

#[tokio::test]
async fn signature_wrapping_with_the_signed_assertion_inside_an_unsigned_one_is_refused() {
    refused("wrap_wrapper", "exactly one assertion").await;
}

#[tokio::test]
async fn two_separately_signed_assertions_are_refused() {
    refused("two_assertions_signed", "exactly one assertion").await;
}

#[tokio::test]
async fn a_nameid_altered_after_signing_is_refused() {
    refused("nameid_altered", "signature is missing or invalid").await;
}

#[tokio::test]
async fn a_wrong_audience_is_refused() {
    refused("wrong_audience", "Audience is not this SP").await;
}

#[tokio::test]
async fn a_missing_audience_is_refused() {
    refused("no_audience", "Audience is not this SP").await;
}

#[tokio::test]
async fn a_wrong_recipient_and_destination_are_refused() {
    refused("wrong_recipient", "this ACS").await;
}

#[tokio::test]
async fn an_expired_assertion_is_refused() {
    refused("expired", "expired").await;
}

#[tokio::test]
async fn in_response_to_another_request_is_refused() {
    refused("other_request", "InResponseTo names another request").await;
}

#[tokio::test]
async fn another_issuer_is_refused() {
    refused("wrong_issuer", "Issuer is not the connection's IdP").await;
}

#[tokio::test]
async fn a_failed_status_is_refused() {
    refused("failed_status", "did not report success").await;
}

#[tokio::test]
async fn an_encrypted_assertion_without_its_own_signature_is_refused() {
    refused(
        "encrypted_unsigned_assertion",
        "signature is missing or invalid",
    )
    .await;
}

#[tokio::test]
async fn a_replayed_response_and_a_response_in_another_browser_are_refused() {
    let r = rig().await;
    let idp = Idp::saml();
    connect(&r, &idp, json!({})).await;
    let mut b = Browser::new();
    let (a, acs, fields) = sign_in(&r, &idp, &mut b, EMAIL).await;
    assert_eq!(a.status, 303, "{}", a.body);
    let replay = b.post(&acs, &fields).await;
    assert_eq!(
        replay.status, 400,
        "the same response again: {}",
        replay.body
    );
    assert!(replay.body.contains("already used"), "{}", replay.body);
    let seen: i64 =
        r.db.owner()
            .await
            .query_one("SELECT count(*) FROM saml_seen_assertions", &[])
            .await
            .unwrap()
            .get(0);
    assert_eq!(seen, 1, "the assertion id is remembered until it expires");

    // Login CSRF: a response for a sign-in started in another browser does not sign this
    // one in, even fresh from the IdP.
    let mut victim = Browser::new();
    let mut attacker = Browser::new();
    let to_idp = start_sso(&r, &mut attacker, EMAIL).await;
    let page = attacker.get(&to_idp).await;
    let (action, fields) = form_of(&page.body);
    let forced = victim.post(&action, &fields).await;
    assert_eq!(forced.status, 400, "{}", forced.body);
    assert!(forced.location.is_none());
    r.app.stop().await;
}

#[tokio::test]
async fn idp_initiated_responses_are_refused() {
    let r = rig().await;
    let idp = Idp::saml();
    let id = connect(&r, &idp, json!({})).await;
    let (_, conn) = r
        .admin("GET", &format!("/admin/v1/sso-connections/{id}"), None)
        .await;
    let url = format!(
        "{}/idp-initiated?{}",
        idp.base,
        serde_urlencoded::to_string([
            ("sp", conn["saml"]["sp_entity_id"].as_str().unwrap()),
            ("acs", conn["saml"]["acs_url"].as_str().unwrap()),
        ])
        .unwrap()
    );
    let mut b = Browser::new();
    let page = b.get(&url).await;
    let (action, fields) = form_of(&page.body);
    let a = b.post(&action, &fields).await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(
        a.body.contains("must start from the application"),
        "{}",
        a.body
    );
    r.app.stop().await;
}

#[tokio::test]
async fn a_connection_without_a_signing_certificate_is_refused_and_never_used() {
    let r = rig().await;
    let idp = Idp::saml();
    let bare = reqwest::get(format!("{}/metadata?nocert=1", idp.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (status, problem) = r
        .admin(
            "POST",
            "/admin/v1/sso-connections",
            Some(json!({"name": "No cert", "kind": "saml", "saml": {"idp_metadata": bare}})),
        )
        .await;
    assert_eq!(status, 400, "{problem}");
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("no signing certificate"));

    // A connection whose stored metadata lost its certificate (edited in the database)
    // refuses sign-in rather than skipping the signature check.
    connect(&r, &idp, json!({})).await;
    r.db.owner()
        .await
        .execute(
            "UPDATE sso_connections SET settings = jsonb_set(settings, '{idp_metadata}', to_jsonb($1::text))",
            &[&bare],
        )
        .await
        .unwrap();
    let mut b = Browser::new();
    let page = b.get(&r.app.url(&authorize_url(&[]))).await;
    let a = submit_email(&r, &mut b, &page.body, EMAIL, "").await;
    assert_eq!(a.status, 503, "no AuthnRequest is sent: {}", a.body);
    assert!(continue_url(&a.body).is_none());
    r.app.stop().await;
}
