//! A signed-in person changes their own password on the account page: only with the
//! current one (a borrowed session is not enough, and guessing runs into the account's
//! budget), under the same rules as everywhere; other sessions end, this one stays, a
//! notice is queued for their address and the change is audited.

use crate::browser::{Browser, Reached, Site, PASSWORD};

const NEW: &str = "a quite different passphrase 42";
const EMAIL: &str = "admin@alpha.example";

/// Whether `password` signs `EMAIL` in (a fresh browser).
async fn signs_in(site: &Site, password: &str) -> bool {
    let mut b = Browser::new(&site.app);
    let (status, html, _) = b.get(&crate::browser::authorize_url(&[])).await;
    assert_eq!(status, 200, "{html}");
    let hidden = crate::browser::hidden_fields(&html);
    let mut fields: Vec<(&str, &str)> = hidden
        .iter()
        .filter(|(k, _)| k != "csrf")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    fields.extend([("email", EMAIL), ("password", password)]);
    let (status, _, _) = b.post("/signin", &fields).await;
    status == 303
}

async fn change<'a>(b: &mut Browser<'a>, current: &str, new: &str) -> (u16, String) {
    let (status, html, _) = b
        .post("/account/password", &[("current", current), ("new", new)])
        .await;
    (status, html)
}

#[tokio::test]
async fn a_person_changes_their_password_with_the_current_one_and_other_sessions_end() {
    let site = Site::start(Reached::ByAddress).await;
    let (mut here, mut elsewhere) = (Browser::new(&site.app), Browser::new(&site.app));
    for b in [&mut here, &mut elsewhere] {
        let (status, _, _) = b.password(EMAIL, &[]).await;
        assert_eq!(status, 303);
    }
    let (status, html, _) = here.get("/account/password").await;
    assert_eq!(status, 200);
    assert!(html.contains("autocomplete=\"current-password\""), "{html}");

    // Someone holding the session but not the password changes nothing.
    let (status, html) = change(&mut here, "not my password at all", NEW).await;
    assert_eq!(status, 401, "{html}");
    // The rules of every password: length, common passwords; nothing is cut at 72 bytes.
    let (status, html) = change(&mut here, PASSWORD, "short").await;
    assert_eq!(status, 400);
    assert!(html.contains("at least 12"), "{html}");
    let (status, html) = change(&mut here, PASSWORD, "1Q2W3E4R5T6Y").await;
    assert_eq!(status, 400);
    assert!(html.contains("too common"), "{html}");
    let long = format!("{}{}", "x".repeat(72), "tail-that-counts");
    let (status, html) = change(&mut here, PASSWORD, &long).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        !signs_in(&site, &"x".repeat(72)).await,
        "every character counts"
    );
    let (status, html) = change(&mut here, &long, NEW).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Password changed"), "{html}");

    // This session stays; the other one is over.
    let (status, _, _) = here.get("/account/password").await;
    assert_eq!(status, 200);
    let (status, _, _) = elsewhere.get("/account/password").await;
    assert_eq!(status, 401, "the other session was signed out");
    assert!(signs_in(&site, NEW).await);
    assert!(!signs_in(&site, PASSWORD).await);

    let owner = site.db.owner().await;
    let notices: i64 = owner
        .query_one(
            "SELECT count(*) FROM mail_outbox WHERE subject = 'Your password was changed'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(notices, 2, "a notice for each change");
    crate::harness::settle_audit(&site.db.db()).await;
    let via: Vec<String> = owner
        .query(
            "SELECT details->>'via' FROM audit_log WHERE action = 'password.changed'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(via, ["account_page", "account_page"]);

    // Guessing the current password runs into the account's sign-in budget.
    let mut refused = None;
    for attempt in 0..12 {
        let (status, _) = change(&mut here, "another wrong guess", "brand new passphrase 7").await;
        if status == 429 {
            refused = Some(attempt);
            break;
        }
        assert_eq!(status, 401);
    }
    assert!(
        refused.is_some(),
        "no limit on guessing the current password"
    );
    site.app.stop().await;
}
