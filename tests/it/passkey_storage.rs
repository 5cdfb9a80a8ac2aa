//! A stored passkey that no longer parses (a format the WebAuthn library stopped reading)
//! cannot be used, but it is never dropped in silence: it is logged and counted on
//! `/metrics`, and the person can still add a passkey.

use crate::browser::{Browser, Reached, Site};

fn lost_passkeys(metrics: &str) -> u64 {
    metrics
        .lines()
        .find(|l| l.starts_with("identity_events_lost_total{what=\"stored_credential\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn an_unreadable_stored_passkey_is_counted_and_the_person_can_still_add_one() {
    let site = Site::start(Reached::OnLocalhost).await;
    let mut b = Browser::new(&site.app);
    let (status, _, _) = b.password("admin@alpha.example", &[]).await;
    assert_eq!(status, 303);
    site.db
        .owner()
        .await
        .execute(
            "INSERT INTO passkeys (tenant_id, id, user_id, credential_id, name, credential, created_at, sign_count)
             VALUES ($1::text::uuid, gen_random_uuid(), $2::text::uuid, '\\x02', 'old key', '{\"not\": \"a passkey\"}', now(), 0)",
            &[
                &site.t.tenant_id.0.to_string(),
                &site.t.admin_user_id.0.to_string(),
            ],
        )
        .await
        .unwrap();
    let before = lost_passkeys(&site.app.get("/metrics").await.text().await.unwrap());

    let csrf = b.jar.get("__Host-identity-csrf").cloned().unwrap();
    let res = site
        .app
        .http
        .post(site.app.url("/account/passkeys/options"))
        .header("cookie", b.cookie_header())
        .header("x-csrf-token", csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let after = lost_passkeys(&site.app.get("/metrics").await.text().await.unwrap());
    assert!(
        after > before,
        "the unreadable passkey went uncounted ({before} -> {after})"
    );
    site.app.stop().await;
}
