//! Multi-factor sign-in over HTTP as a browser does it: enrolment with codes computed by
//! Python `pyotp`, the code step after the password, one use per time step and per
//! recovery code, the workspace's rule (with and without grace, break-glass), step-up by
//! `acr_values`, the MFA step's own budget and its refusal while Redis is down.

use crate::browser::VERIFIER;
use crate::browser::{authorize_url, query_of, Browser, Reached, Site, PASSWORD, REDIRECT};
use crate::harness::{envelope, settle_audit, TestDb};
use crate::support::*;
use identity::audit::Origin;
use identity::mfa::factors::{self, MfaError};
use serde_json::{json, Value};
const EMAIL: &str = "admin@alpha.example";

/// A code from the enrolled secret, computed by pyotp for unix time `t`.
pub(crate) fn pyotp_at(secret: &str, t: i64) -> String {
    let python = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/external/.venv/bin/python"
    );
    let out = std::process::Command::new(python)
        .args([
            "-c",
            "import pyotp, sys; print(pyotp.TOTP(sys.argv[1]).at(int(sys.argv[2])))",
            secret,
            &t.to_string(),
        ])
        .output()
        .expect("pyotp must be installed (tests/external/install.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

type Rig = Site;

async fn rig() -> Rig {
    Site::start(Reached::ByAddress).await
}

async fn rig_with(settings: identity::config::Settings, db: TestDb) -> Rig {
    Site::start_with(Reached::ByAddress, settings, db).await
}

fn secret_of(html: &str) -> String {
    let re = regex::Regex::new(r#"<code id="secret">([A-Z2-7]+)</code>"#).unwrap();
    re.captures(html).expect("the enrolment page shows the key")[1].to_string()
}

fn recovery_codes_of(html: &str) -> Vec<String> {
    let re =
        regex::Regex::new(r"<li><code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code></li>").unwrap();
    re.captures_iter(html).map(|c| c[1].to_string()).collect()
}

/// Exchanges the code in `location` for tokens.
async fn tokens(r: &Rig, location: &str) -> reqwest::Response {
    let code = query_of(location)["code"].clone();
    token_response(
        &r.app,
        &r.web,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}

async fn admin_put(r: &Rig, path: &str, body: Value) -> reqwest::Response {
    r.app
        .http
        .put(r.app.url(path))
        .bearer_auth(&r.admin_key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn audit_actions(r: &Rig) -> Vec<String> {
    settle_audit(&r.db.db()).await;
    r.db.owner()
        .await
        .query("SELECT action FROM audit_log ORDER BY seq", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// Signs in with the password only, enrols through the account page with a pyotp code
/// for time `at`; returns the browser (signed in), the base32 secret and recovery codes.
async fn enrol_via_account<'a>(r: &'a Rig, at: i64) -> (Browser<'a>, String, Vec<String>) {
    let mut b = Browser::new(&r.app);
    let (status, _, location) = b.password(EMAIL, &[]).await;
    assert_eq!(status, 303, "no MFA yet: straight back with a code");
    assert!(query_of(&location.unwrap()).contains_key("code"));
    let (status, html, _) = b.get("/account/mfa").await;
    assert_eq!(status, 200);
    assert!(html.contains("Off."), "{html}");
    let (status, html, _) = b.post("/account/mfa/enrol", &[]).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<svg"), "a QR code rendered on the server");
    assert!(html.contains("otpauth://totp/"), "the otpauth URI is shown");
    let secret = secret_of(&html);
    let (status, html, _) = b.post("/account/mfa/confirm", &[("code", "000000")]).await;
    assert_eq!(
        status, 401,
        "a wrong first code does not turn MFA on: {html}"
    );
    let (status, html, _) = b
        .post("/account/mfa/confirm", &[("code", &pyotp_at(&secret, at))])
        .await;
    assert_eq!(status, 200, "{html}");
    let codes = recovery_codes_of(&html);
    assert_eq!(codes.len(), 10, "ten recovery codes, shown once");
    (b, secret, codes)
}

#[tokio::test]
async fn pyotp_codes_are_accepted_once_and_tokens_say_how_the_person_signed_in() {
    let r = rig().await;
    let t0 = now();
    let (_, secret, _) = enrol_via_account(&r, t0).await;
    let stored: String =
        r.db.owner()
            .await
            .query_one("SELECT secret_enc FROM mfa_totp", &[])
            .await
            .unwrap()
            .get(0);
    assert!(
        !stored.contains(&secret) && stored.starts_with("ev2."),
        "the seed is envelope-encrypted"
    );

    // Password alone gives no session, no code: the code step comes first.
    let mut b = Browser::new(&r.app);
    let (status, html, location) = b.password(EMAIL, &[]).await;
    assert_eq!(status, 200, "{html}");
    assert!(location.is_none() && html.contains("Two-step verification"));
    assert!(
        !b.jar.contains_key("__Host-identity-session"),
        "no session before the second factor"
    );
    let next = pyotp_at(&secret, t0 + 30);
    let (status, _, location) = b.post("/signin/mfa", &[("code", &next)]).await;
    assert_eq!(status, 303);
    let res = tokens(&r, &location.unwrap()).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let (_, id) = peek(body["id_token"].as_str().unwrap());
    assert_eq!(id["amr"], json!(["pwd", "otp"]));
    assert_eq!(id["acr"], "urn:identity:acr:mfa");
    let (_, access) = peek(body["access_token"].as_str().unwrap());
    assert_eq!(access["amr"], json!(["pwd", "otp"]));

    // The same code again, in another browser, inside its window: refused.
    let mut other = Browser::new(&r.app);
    assert_eq!(other.password(EMAIL, &[]).await.0, 200);
    let (status, html, _) = other.post("/signin/mfa", &[("code", &next)]).await;
    assert_eq!(status, 401, "a replayed code is refused: {html}");
    assert!(!other.jar.contains_key("__Host-identity-session"));
    assert!(audit_actions(&r)
        .await
        .contains(&"mfa.enrolled".to_string()));
    r.app.stop().await;
}

#[tokio::test]
async fn one_step_either_side_is_accepted_and_two_are_refused() {
    let r = rig().await;
    let pool = r.db.db();
    let env = envelope(&[1]);
    let user = r.t.admin_user_id;
    let start = chrono::DateTime::from_timestamp(1_900_000_000, 0).unwrap();
    let at = |steps: i64| start + chrono::Duration::seconds(30 * steps);
    let mut tx = pool.tenant(r.t.tenant_id).await.unwrap();
    let enrolment = factors::begin_enrolment(&mut tx, &env, user, "Alpha", EMAIL, start)
        .await
        .unwrap();
    let secret = enrolment.secret_base32;
    let code = |steps: i64| pyotp_at(&secret, at(steps).timestamp());
    factors::confirm_enrolment(&mut tx, &env, user, &code(0), &Origin::default(), at(0))
        .await
        .unwrap();
    let o = Origin::default();
    // (code's step, the time's step, accepted?) in rising order, since a step once used
    // (and every step before it) is never accepted again.
    for (code_step, now_step, ok) in [
        (2, 1, true),   // one step ahead
        (5, 3, false),  // two ahead
        (5, 6, true),   // one behind
        (8, 10, false), // two behind
        (8, 8, true),
        (8, 8, false), // the same code again
    ] {
        let got = factors::verify(&mut tx, &env, user, &code(code_step), &o, at(now_step)).await;
        assert_eq!(
            got.is_ok(),
            ok,
            "code of step +{code_step} at step +{now_step}: {got:?}"
        );
        if !ok {
            assert!(matches!(got, Err(MfaError::WrongCode)));
        }
    }
    tx.commit().await.unwrap();
    r.app.stop().await;
}

#[tokio::test]
async fn each_recovery_code_works_once_and_a_new_set_voids_the_old() {
    let r = rig().await;
    let (mut account, _, codes) = enrol_via_account(&r, now()).await;

    let mut b = Browser::new(&r.app);
    assert_eq!(b.password(EMAIL, &[]).await.0, 200);
    let typed = codes[0].to_uppercase().replace('-', " ");
    let (status, html, _) = b.post("/signin/mfa", &[("code", &typed)]).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("You have 9 left"),
        "the person sees what remains: {html}"
    );
    assert!(b.jar.contains_key("__Host-identity-session"));
    let resume = regex::Regex::new(r#"href="(/oauth2/authorize\?[^"]+)""#).unwrap();
    let next = crate::browser::unescape(&resume.captures(&html).unwrap()[1]);
    let (status, _, location) = b.get(&next).await;
    assert_eq!(status, 303, "continue lands on the client with a code");
    assert!(query_of(&location.unwrap()).contains_key("code"));

    let mut again = Browser::new(&r.app);
    assert_eq!(again.password(EMAIL, &[]).await.0, 200);
    let (status, _, _) = again.post("/signin/mfa", &[("code", &codes[0])]).await;
    assert_eq!(status, 401, "a used recovery code is refused");

    // A new set (the account session is fresh) voids every old code.
    let (status, html, _) = account.post("/account/mfa/recovery-codes", &[]).await;
    assert_eq!(status, 200, "{html}");
    let fresh = recovery_codes_of(&html);
    assert_eq!(fresh.len(), 10);
    let (status, text, _) = account
        .post(
            "/account/mfa/recovery-codes.txt",
            &[("codes", &fresh.join(" "))],
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        fresh.iter().all(|c| text.contains(c)),
        "the download holds the codes"
    );
    let mut old = Browser::new(&r.app);
    assert_eq!(old.password(EMAIL, &[]).await.0, 200);
    assert_eq!(old.post("/signin/mfa", &[("code", &codes[1])]).await.0, 401);
    let mut new = Browser::new(&r.app);
    assert_eq!(new.password(EMAIL, &[]).await.0, 200);
    assert_eq!(new.post("/signin/mfa", &[("code", &fresh[1])]).await.0, 200);
    let actions = audit_actions(&r).await;
    for a in ["mfa.recovery_code_used", "mfa.recovery_codes_regenerated"] {
        assert!(actions.contains(&a.to_string()), "{a} audited");
    }
    r.app.stop().await;
}

#[tokio::test]
async fn under_enforcement_a_person_without_mfa_gets_no_token_by_any_route() {
    let r = rig().await;
    // The console's client: only its tokens are a person's admin credential.
    let console = crate::support::console_client(&r.db.db(), &[REDIRECT]).await;
    // Before the rule: a password-only session with a refresh token and an admin token.
    let mut early = Browser::new(&r.app);
    let as_console = [("client_id", console.id.as_str())];
    let (status, _, location) = early.password(EMAIL, &as_console).await;
    assert_eq!(status, 303);
    let code = query_of(&location.unwrap())["code"].clone();
    let res = token_response(
        &r.app,
        &console,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("resource", ADMIN),
        ],
    )
    .await;
    let body: Value = res.json().await.unwrap();
    let refresh = body["refresh_token"].as_str().unwrap().to_string();
    let admin_token = body["access_token"].as_str().unwrap().to_string();

    let res = admin_put(&r, "/admin/v1/mfa-policy", json!({"required": true})).await;
    assert_eq!(res.status(), 200);

    // Refresh: refused.
    let res = token_response(
        &r.app,
        &console,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    // API-key creation from the password-only session: refused.
    let res = r
        .app
        .http
        .post(r.app.url("/admin/v1/api-keys"))
        .bearer_auth(&admin_token)
        .json(&json!({"name": "ci", "role": "member"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "mfa_required");
    // The same browser asking again: sent to enrolment, no code.
    let (status, html, location) = early.get(&authorize_url(&[])).await;
    assert_eq!(status, 200);
    assert!(location.is_none() && html.contains("Set up two-step verification"));
    // A new sign-in: enrolment, no way to skip, no session.
    let mut b = Browser::new(&r.app);
    let (status, html, _) = b.password(EMAIL, &[]).await;
    assert_eq!(status, 200);
    assert!(html.contains("Set up two-step verification") && !html.contains("Skip for now"));
    assert!(!b.jar.contains_key("__Host-identity-session"));
    assert_eq!(
        b.post("/signin/mfa/skip", &[]).await.0,
        403,
        "no skipping after the grace period"
    );
    // Enrolling finishes the sign-in.
    let secret = secret_of(&html);
    let (status, html, _) = b
        .post("/signin/mfa/enrol", &[("code", &pyotp_at(&secret, now()))])
        .await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(recovery_codes_of(&html).len(), 10);
    let resume = regex::Regex::new(r#"href="(/oauth2/authorize\?[^"]+)""#).unwrap();
    let next = crate::browser::unescape(&resume.captures(&html).unwrap()[1]);
    let (status, _, location) = b.get(&next).await;
    assert_eq!(status, 303);
    assert_eq!(tokens(&r, &location.unwrap()).await.status(), 200);
    let actions = audit_actions(&r).await;
    assert!(actions.contains(&"mfa.policy_changed".to_string()));
    r.app.stop().await;
}

#[tokio::test]
async fn a_grace_period_lets_people_skip_and_break_glass_accounts_are_exempt() {
    let r = rig().await;
    let res = admin_put(
        &r,
        "/admin/v1/mfa-policy",
        json!({"required": true, "grace_period_days": 7}),
    )
    .await;
    let policy: Value = res.json().await.unwrap();
    assert_eq!(policy["grace_period_days"], 7);
    assert!(policy["grace_period_ends_at"].is_string());
    let mut b = Browser::new(&r.app);
    let (status, html, _) = b.password(EMAIL, &[]).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Skip for now"),
        "sent to enrolment, may skip: {html}"
    );
    let (status, _, location) = b.post("/signin/mfa/skip", &[]).await;
    assert_eq!(status, 303);
    assert_eq!(tokens(&r, &location.unwrap()).await.status(), 200);

    // No grace: the break-glass account signs in with its password alone.
    admin_put(&r, "/admin/v1/mfa-policy", json!({"required": false})).await;
    admin_put(&r, "/admin/v1/mfa-policy", json!({"required": true})).await;
    let path = format!("/admin/v1/users/{}/mfa-exemption", r.t.admin_user_id);
    assert_eq!(
        admin_put(&r, &path, json!({"exempt": true})).await.status(),
        200
    );
    let mut glass = Browser::new(&r.app);
    let (status, _, location) = glass.password(EMAIL, &[]).await;
    assert_eq!(status, 303, "exempt: no MFA step");
    assert_eq!(tokens(&r, &location.unwrap()).await.status(), 200);
    assert!(audit_actions(&r)
        .await
        .contains(&"mfa.exemption_changed".to_string()));
    r.app.stop().await;
}

#[tokio::test]
async fn a_client_asking_for_mfa_steps_up_a_password_session_and_admins_can_reset_mfa() {
    let r = rig().await;
    let (mut b, secret, _) = enrol_via_account(&r, now() - 30).await;
    // The browser's session predates the factor's use at sign-in: amr is pwd (+ otp from
    // confirming). A fresh password-only browser shows the step-up.
    let mut pwd_only = Browser::new(&r.app);
    assert_eq!(pwd_only.password(EMAIL, &[]).await.0, 200);
    let (status, _, _) = pwd_only
        .post("/signin/mfa", &[("code", &pyotp_at(&secret, now()))])
        .await;
    assert_eq!(status, 303);
    let (status, _, location) = pwd_only
        .get(&authorize_url(&[("acr_values", "urn:identity:acr:mfa")]))
        .await;
    assert_eq!(status, 303, "an MFA session satisfies acr_values at once");
    let res = tokens(&r, &location.unwrap()).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        peek(body["id_token"].as_str().unwrap()).1["acr"],
        "urn:identity:acr:mfa"
    );

    // The admin resets the person's MFA: their sessions end.
    let res = r
        .app
        .http
        .delete(
            r.app
                .url(&format!("/admin/v1/users/{}/mfa", r.t.admin_user_id)),
        )
        .bearer_auth(&r.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (status, html, _) = b.get("/account/mfa").await;
    assert_eq!(status, 401, "the session ended: {html}");
    let open: i64 =
        r.db.owner()
            .await
            .query_one("SELECT count(*) FROM sessions WHERE ended_at IS NULL", &[])
            .await
            .unwrap()
            .get(0);
    assert_eq!(open, 0);
    assert!(audit_actions(&r)
        .await
        .contains(&"mfa.reset_by_admin".to_string()));

    // Without MFA, a password sign-in then asked for MFA by the client: enrolment first.
    let mut c = Browser::new(&r.app);
    let (status, _, _) = c.password(EMAIL, &[]).await;
    assert_eq!(status, 303);
    let (status, html, location) = c
        .get(&authorize_url(&[("acr_values", "urn:identity:acr:mfa")]))
        .await;
    assert_eq!(status, 200, "step-up, not a code: {location:?}");
    assert!(html.contains("Set up two-step verification") && !html.contains("Skip for now"));
    r.app.stop().await;
}

#[tokio::test]
async fn guessing_at_the_mfa_step_is_stopped_by_its_own_budget() {
    let r = rig().await;
    let (_, secret, _) = enrol_via_account(&r, now() - 30).await;
    let mut b = Browser::new(&r.app);
    assert_eq!(b.password(EMAIL, &[]).await.0, 200);
    for _ in 0..5 {
        assert_eq!(b.post("/signin/mfa", &[("code", "123456")]).await.0, 401);
    }
    let (status, _, _) = b
        .post("/signin/mfa", &[("code", &pyotp_at(&secret, now()))])
        .await;
    assert_eq!(
        status, 429,
        "the sixth try in five minutes is refused, right or wrong"
    );
    assert!(!b.jar.contains_key("__Host-identity-session"));
    r.app.stop().await;
}

#[tokio::test]
async fn the_mfa_step_is_refused_while_redis_is_down() {
    use crate::ratelimit::{free_port, OwnRedis};
    let db = TestDb::new().await;
    let port = free_port();
    let mut redis = OwnRedis::start(port);
    let mut settings = db.settings();
    settings.redis.url = format!("redis://127.0.0.1:{port}").into();
    let r = rig_with(settings, db).await;
    let (_, secret, _) = enrol_via_account(&r, now() - 30).await;
    let mut b = Browser::new(&r.app);
    assert_eq!(b.password(EMAIL, &[]).await.0, 200);
    redis.kill();
    let (status, _, _) = b
        .post("/signin/mfa", &[("code", &pyotp_at(&secret, now()))])
        .await;
    assert_eq!(status, 503, "never let through without its limit");
    assert!(!b.jar.contains_key("__Host-identity-session"));
    r.app.stop().await;
}

#[tokio::test]
async fn headless_chromium_enrols_from_the_qr_page_then_signs_in_with_a_code() {
    let r = rig().await;
    admin_put(&r, "/admin/v1/mfa-policy", json!({"required": true})).await;
    let artifacts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("mfa-enrolment-page.png");
    let _ = std::fs::remove_file(&shot);
    let url = r.app.url(&authorize_url(&[]));
    let (ok, out) = run_verifier(
        "node",
        "browser_mfa.mjs",
        &[&url, REDIRECT, EMAIL, PASSWORD, shot.to_str().unwrap()],
    );
    assert!(ok, "the browser could not enrol and sign in: {out}");
    let result: Value = serde_json::from_str(out.trim().lines().last().unwrap()).unwrap();
    for key in ["enrolled", "signed_in"] {
        let landed = result[key].as_str().unwrap();
        assert!(landed.starts_with(REDIRECT), "{key}: {landed}");
        assert!(query_of(landed)["code"].starts_with("idc_"));
    }
    assert_eq!(result["codes_shown"], 10);
    let png = std::fs::read(&shot).expect("a screenshot of the enrolment page");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 5_000);
    r.app.stop().await;
}

#[tokio::test]
async fn changing_factors_needs_the_password_and_a_current_code_after_five_minutes() {
    let r = rig().await;
    let (mut b, secret, _) = enrol_via_account(&r, now() - 30).await;
    // The sign-in is now older than five minutes.
    r.db.owner()
        .await
        .execute(
            "UPDATE sessions SET auth_time = now() - interval '6 minutes'",
            &[],
        )
        .await
        .unwrap();
    let (_, html, _) = b.get("/account/mfa").await;
    assert!(html.contains("Confirm it is you"), "{html}");
    let (status, _, _) = b.post("/account/mfa/remove", &[]).await;
    assert_eq!(status, 401, "no password: refused");
    let (status, _, _) = b
        .post(
            "/account/mfa/remove",
            &[("password", PASSWORD), ("code", "123456")],
        )
        .await;
    assert_eq!(status, 401, "a wrong code: refused");
    let enrolled: i64 =
        r.db.owner()
            .await
            .query_one(
                "SELECT count(*) FROM mfa_totp WHERE confirmed_at IS NOT NULL",
                &[],
            )
            .await
            .unwrap()
            .get(0);
    assert_eq!(enrolled, 1, "still on");

    // While the workspace requires MFA, turning it off is refused even when proven.
    admin_put(&r, "/admin/v1/mfa-policy", json!({"required": true})).await;
    let code = pyotp_at(&secret, now());
    let (status, _, _) = b
        .post(
            "/account/mfa/remove",
            &[("password", PASSWORD), ("code", &code)],
        )
        .await;
    assert_eq!(status, 409);
    admin_put(&r, "/admin/v1/mfa-policy", json!({"required": false})).await;
    let (status, html, _) = b.post("/account/mfa/remove", &[]).await;
    assert_eq!(
        status, 200,
        "the proof just given is fresh for five minutes: {html}"
    );
    assert!(html.contains("Off."));
    assert!(audit_actions(&r).await.contains(&"mfa.removed".to_string()));
    r.app.stop().await;
}
