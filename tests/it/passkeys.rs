//! Passkeys end to end. In headless Chromium with a CDP virtual authenticator (internal
//! transport, resident keys, user verification): a passkey is added on the account page,
//! then signs in passwordless and as the second factor, with `amr`/`acr` saying so; an
//! answer made on another origin, a replayed answer and a removed passkey are refused.
//! Over HTTP: an administrator lists and resets a person's passkeys, and the pages need
//! what they claim (a signed-in browser, a fresh sign-in, the CSRF token).

use crate::api_keys::admin_key;
use crate::browser::{authorize_url, query_of, Reached, Site, PASSWORD, VERIFIER};
use crate::harness::settle_audit;
use crate::support::*;
use serde_json::{json, Value};

const EMAIL: &str = "admin@alpha.example";

type Rig = Site;

async fn rig() -> Rig {
    Site::start(Reached::OnLocalhost).await
}

/// The client's loopback redirect URI on the service itself (`/healthz`), so the browser
/// lands on a page that loads.
fn callback(r: &Rig) -> String {
    r.app.url("/healthz")
}

/// The methods and class of the sign-in behind the code in `location`.
async fn amr_acr(r: &Rig, location: &str) -> (Value, Value) {
    let (code, callback) = (query_of(location)["code"].clone(), callback(r));
    let grant = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", callback.as_str()),
        ("code_verifier", VERIFIER),
    ];
    let resp = token_response(&r.app, &r.web, &grant).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    let (_, id) = peek(body["id_token"].as_str().unwrap());
    (id["amr"].clone(), id["acr"].clone())
}

async fn audit_actions(r: &Rig) -> Vec<String> {
    settle_audit(&r.db.db()).await;
    let rows = r.db.owner().await;
    let rows = rows
        .query("SELECT action FROM audit_log ORDER BY seq", &[])
        .await
        .unwrap();
    rows.iter().map(|row| row.get(0)).collect()
}

#[tokio::test]
async fn a_browser_adds_a_passkey_signs_in_with_it_and_attacks_on_it_fail() {
    let r = rig().await;
    let shots = artifacts_dir();
    let (ok, out) = run_verifier(
        "node",
        "browser_passkeys.mjs",
        &[
            &r.app.base,
            &authorize_url(&[("redirect_uri", &callback(&r))]),
            &callback(&r),
            EMAIL,
            PASSWORD,
            shots.to_str().unwrap(),
        ],
    );
    assert!(ok, "the browser run failed: {out}");
    let result: Value = serde_json::from_str(out.trim().lines().last().unwrap()).unwrap();
    assert!(result["password"]
        .as_str()
        .unwrap()
        .starts_with(&callback(&r)));
    assert_eq!(
        result["listed"], 1,
        "the account page lists the new passkey"
    );
    assert_eq!(
        result["resident"], true,
        "a discoverable credential: {result}"
    );

    // Passwordless (autofill and button): a whole sign-in, which satisfies two-step
    // verification.
    for how in ["autofill", "passwordless"] {
        let landed = result[how]
            .as_str()
            .unwrap_or_else(|| panic!("{how}: no code: {result}"));
        let (amr, acr) = amr_acr(&r, landed).await;
        assert_eq!(amr, json!(["hwk", "mfa"]), "{how}");
        assert_eq!(acr, "urn:identity:acr:mfa", "{how}");
    }

    // As the second factor after the password.
    let second = result["second_factor"].as_str().unwrap();
    let (amr, acr) = amr_acr(&r, second).await;
    assert_eq!(amr, json!(["pwd", "hwk", "mfa"]));
    assert_eq!(acr, "urn:identity:acr:mfa");

    // The refusals: no code, the passkey page's message.
    for case in ["replayed", "wrong_origin", "removed"] {
        assert_eq!(result[case]["status"], 401, "{case}: {result}");
        let text = result[case]["text"].as_str().unwrap();
        assert!(
            text.contains("That passkey was not accepted"),
            "{case}: {text}"
        );
        assert!(!text.contains("code="), "{case}");
    }
    // A copy whose counter went backwards.
    assert!(
        result["counter_before_copy"].as_u64().unwrap() > 1,
        "{result}"
    );
    assert_eq!(result["cloned"]["status"], 403, "{result}");
    let text = result["cloned"]["text"].as_str().unwrap();
    assert!(text.contains("may have been copied"), "{text}");
    let actions = audit_actions(&r).await;
    for action in [
        "passkey.registered",
        "passkey.clone_suspected",
        "passkey.removed",
    ] {
        assert!(
            actions.contains(&action.to_string()),
            "{action}: {actions:?}"
        );
    }
    for shot in ["passkeys-account-page.png", "passkeys-second-factor.png"] {
        let png = std::fs::read(shots.join(shot)).expect("a screenshot");
        assert!(png.starts_with(b"\x89PNG") && png.len() > 5_000, "{shot}");
    }
    r.app.stop().await;
}

/// A stored passkey of `user`, as webauthn-rs would have kept it (no browser needed to
/// test who may see and reset it).
async fn stored_passkey(r: &Rig, name: &str) {
    let credential = json!({ "cred": { "backup_eligible": true } });
    r.db.owner()
        .await
        .execute(
            "INSERT INTO passkeys (tenant_id, id, user_id, credential_id, name, credential, created_at) \
             SELECT tenant_id, gen_random_uuid(), id, uuid_send(gen_random_uuid()), $2, $3, now() \
             FROM users WHERE id = $1",
            &[&r.t.admin_user_id.0, &name, &credential],
        )
        .await
        .unwrap();
}

async fn admin(r: &Rig, method: reqwest::Method, key: &str) -> reqwest::Response {
    let path = format!("/admin/v1/users/{}/passkeys", r.t.admin_user_id);
    let req = r
        .app
        .http
        .request(method, r.app.url(&path))
        .bearer_auth(key);
    req.send().await.unwrap()
}

#[tokio::test]
async fn an_administrator_lists_and_resets_passkeys_and_a_viewer_cannot_reset() {
    let r = rig().await;
    stored_passkey(&r, "Phone").await;
    let resp = admin(&r, reqwest::Method::GET, &r.admin_key).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["passkeys"][0]["name"], "Phone");
    assert_eq!(body["passkeys"][0]["synced"], true);
    assert!(
        body["passkeys"][0].get("credential").is_none(),
        "no key material"
    );

    let viewer = admin_key(&r.db.db(), r.t.tenant_id, "viewer").await;
    let refused = admin(&r, reqwest::Method::DELETE, &viewer).await;
    assert_eq!(refused.status(), 403, "a viewer may not reset factors");

    let reset = admin(&r, reqwest::Method::DELETE, &r.admin_key).await;
    assert_eq!(reset.status(), 204);
    let after: Value = admin(&r, reqwest::Method::GET, &r.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["passkeys"], json!([]));
    assert!(audit_actions(&r)
        .await
        .contains(&"passkey.reset_by_admin".to_string()));
    r.app.stop().await;
}
