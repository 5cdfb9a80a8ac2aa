//! A person's erasure (GDPR article 17), through the admin API and SCIM's hard delete: the
//! account and everything of it go, their email address and id appear nowhere in a dump of
//! the database, sign-in and SCIM lookups find nobody, mail to them is dropped, and the
//! audit chain, rewritten under a pseudonym, still verifies.

use crate::api_keys::key_made_by;
use crate::authority::scim_token_by;
use crate::browser::{Browser, Reached, Site, PASSWORD};
use crate::harness::{run_cli, settle_audit};
use reqwest::Method;
use serde_json::json;
use std::process::Command;

/// The data database as a backup would hold it (rows only), in lower case, but the waiting
/// events (see [`events_about`]).
fn dump(site: &Site) -> String {
    let (_, rest) = split_events(&full_dump(site));
    rest
}

/// (the events table's rows, the rest of a dump).
fn split_events(all: &str) -> (String, String) {
    let start = all
        .find("copy public.events ")
        .expect("the events table is dumped");
    let end = start + all[start..].find("\n\\.\n").expect("its rows end");
    (
        all[start..end].to_string(),
        format!("{}{}", &all[..start], &all[end..]),
    )
}

/// The types of the waiting events that name `id`. After an erasure it is only the
/// `user.deleted` that tells CRM services to forget the account too (GDPR article 19).
fn events_about(site: &Site, id: &str) -> Vec<String> {
    let (events, _) = split_events(&full_dump(site));
    let kinds = [
        "user.deleted",
        "user.created",
        "user.updated",
        "session.ended",
        "user.roles_changed",
        "user.deactivated",
        "mfa.enrolled",
        "mfa.reset",
    ];
    events
        .lines()
        .filter(|l| l.contains(id))
        .map(|l| {
            kinds
                .iter()
                .find(|k| l.contains(*k))
                .unwrap_or(&"?")
                .to_string()
        })
        .collect()
}

fn full_dump(site: &Site) -> String {
    let out = Command::new("pg_dump")
        .args(["--data-only", "--dbname"])
        .arg(site.db.owner_url())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_lowercase()
}

/// A person with a password, holding `role`.
async fn create(site: &Site, email: &str, name: &str, role: &str) -> String {
    let body = json!({"email": email, "display_name": name, "roles": [role], "password": PASSWORD});
    let (status, made) = site
        .app
        .call(&site.admin_key, Method::POST, "/admin/v1/users", Some(body))
        .await;
    assert_eq!(status, 201, "{made}");
    made["id"].as_str().unwrap().to_string()
}

fn verify(site: &Site) -> (i32, String) {
    let (code, out, err) = run_cli(
        &site.db.env(),
        &["audit", "verify", "--tenant", "alpha"],
        None,
    );
    (code, format!("{out}{err}"))
}

#[tokio::test]
async fn an_erased_person_is_nowhere_in_the_dump_and_the_chain_still_verifies() {
    let site = Site::start(Reached::AsIssuer).await;
    let id = create(
        &site,
        "Pat.Doe@alpha.example",
        "Patricia Doe-Erasmus",
        "member",
    )
    .await;
    let pats_key = key_made_by(
        &site.pool,
        site.t.tenant_id,
        &format!("user:{id}"),
        "member",
    )
    .await;
    let mut pat = Browser::new(&site.app);
    assert_eq!(
        pat.password("pat.doe@alpha.example", &[]).await.0,
        303,
        "pat signs in"
    );
    let reset = format!("/admin/v1/users/{id}/password-reset");
    let (status, body) = site
        .app
        .call(&site.admin_key, Method::POST, &reset, None)
        .await;
    assert!(status < 300, "{status} {body}");
    settle_audit(&site.pool).await;
    // Sealed at rest, the address was never in the dump; the id is, until the erasure.
    assert!(dump(&site).contains(&id));

    // The person's own key (a member's) cannot erase anyone; a wrong value is a clear 400.
    let admin_path = format!("/admin/v1/users/{}?erase=true", site.t.admin_user_id);
    let (status, _) = site
        .app
        .call(&pats_key, Method::DELETE, &admin_path, None)
        .await;
    assert_eq!(status, 403);
    let path = format!("/admin/v1/users/{id}?erase=maybe");
    let (status, _) = site
        .app
        .call(&site.admin_key, Method::DELETE, &path, None)
        .await;
    assert_eq!(status, 400);

    let path = format!("/admin/v1/users/{id}?erase=true");
    let (status, body) = site
        .app
        .call(&site.admin_key, Method::DELETE, &path, None)
        .await;
    assert_eq!(status, 204, "{body}");
    settle_audit(&site.pool).await;

    let after = dump(&site);
    assert!(!after.contains(&id), "the id is gone from every row");
    assert_eq!(
        events_about(&site, &id),
        ["user.deleted"],
        "only the deletion is told"
    );
    assert!(
        !after.contains("pat.doe@alpha.example"),
        "the address is gone"
    );
    assert!(!after.contains("patricia doe-erasmus"), "the name is gone");
    assert!(
        after.contains("erased:"),
        "the chain names a pseudonym instead"
    );
    let (code, out) = verify(&site);
    assert_eq!(code, 0, "the rewritten chain verifies: {out}");
    let owner = site.db.owner().await;
    let mail: i64 = owner
        .query_one("SELECT count(*) FROM mail_outbox", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(mail, 0, "the reset mail to pat is dropped");
    let erased: String = owner
        .query_one(
            "SELECT details::text FROM audit_log WHERE action = 'user.erased'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(erased.contains("entries_changed"), "{erased}");

    // Nothing signs in, the key pat made is dead, and an edit after the rewrite is caught.
    let mut again = Browser::new(&site.app);
    assert_ne!(again.password("pat.doe@alpha.example", &[]).await.0, 303);
    let (status, _) = site
        .app
        .call(&pats_key, Method::GET, "/admin/v1/users", None)
        .await;
    assert_eq!(status, 401);
    owner
        .execute(
            "UPDATE audit_log SET actor = 'someone' WHERE seq = (SELECT min(seq) FROM audit_log WHERE actor LIKE '%erased:%')",
            &[],
        )
        .await
        .unwrap();
    assert_ne!(
        verify(&site).0,
        0,
        "the rewritten chain is still tamper-evident"
    );
}

#[tokio::test]
async fn a_scim_hard_delete_erases_the_person() {
    let site = Site::start(Reached::AsIssuer).await;
    let token = scim_token_by(&site, &site.admin_key).await;
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "sam.roe@alpha.example",
        "name": {"givenName": "Sam", "familyName": "Roe"},
        "emails": [{"value": "sam.roe@alpha.example", "primary": true}],
        "active": true
    });
    let (status, made) = site
        .app
        .call(&token, Method::POST, "/scim/v2/Users", Some(user))
        .await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_str().unwrap().to_string();
    settle_audit(&site.pool).await;
    assert!(dump(&site).contains(&id));

    let path = format!("/scim/v2/Users/{id}");
    let (status, _) = site.app.call(&token, Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
    settle_audit(&site.pool).await;
    let after = dump(&site);
    assert!(!after.contains(&id) && !after.contains("sam.roe@alpha.example"));
    let filter = "/scim/v2/Users?filter=userName%20eq%20%22sam.roe%40alpha.example%22";
    let (status, found) = site.app.call(&token, Method::GET, filter, None).await;
    assert_eq!(
        (status, found["totalResults"].as_i64()),
        (200, Some(0)),
        "{found}"
    );
    assert_eq!(verify(&site).0, 0);
}

#[tokio::test]
async fn the_runtime_role_can_turn_a_chained_actor_into_a_pseudonym_only() {
    let site = Site::start(Reached::AsIssuer).await;
    settle_audit(&site.pool).await;
    let app = site.db.app().await;
    let tenant = site.t.tenant_id.to_string();
    let set = format!("BEGIN; SELECT set_config('app.tenant_id', '{tenant}', true)");
    let rewrite = |actor: &str| {
        format!(
            "SELECT audit_chain_rewrite('{tenant}', (SELECT jsonb_agg(jsonb_build_object('seq', seq, \
             'actor', '{actor}', 'target', target, 'details', details, 'prev_hash', prev_hash, \
             'hash', hash)) FROM audit_log WHERE seq = 1))"
        )
    };
    app.batch_execute(&set).await.unwrap();
    let forged = app.batch_execute(&rewrite("user:someone-else")).await;
    assert!(forged.is_err(), "an actor cannot become someone else");
    app.batch_execute("ROLLBACK").await.unwrap();
    app.batch_execute(&set).await.unwrap();
    app.batch_execute(&rewrite("erased:0123")).await.unwrap();
    app.batch_execute("ROLLBACK").await.unwrap();
    // And only in the transaction's own workspace.
    app.batch_execute(
        "BEGIN; SELECT set_config('app.tenant_id', '00000000-0000-0000-0000-000000000001', true)",
    )
    .await
    .unwrap();
    assert!(app.batch_execute(&rewrite("erased:0123")).await.is_err());
    app.batch_execute("ROLLBACK").await.unwrap();
}

#[tokio::test]
async fn the_console_erases_once_the_address_is_typed() {
    let site = Site::start(Reached::AsIssuer).await;
    let id = create(&site, "lee@alpha.example", "Lee", "member").await;
    let mut admin = Browser::new(&site.app);
    crate::console::console_sign_in(&mut admin, "admin@alpha.example").await;
    let page = format!("/console/users/{id}");
    let (status, html, _) = admin.get(&page).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!(r#"action="/console/users/{id}/erase""#)),
        "{html}"
    );

    let erase = format!("/console/users/{id}/erase");
    let (status, html, _) = admin
        .post(&erase, &[("confirm", "someone@alpha.example")])
        .await;
    assert_eq!(status, 400, "a wrong address erases nothing: {html}");
    let user = format!("/admin/v1/users/{id}");
    assert_eq!(
        site.app
            .call(&site.admin_key, Method::GET, &user, None)
            .await
            .0,
        200
    );

    let (status, _, _) = admin
        .post(&erase, &[("confirm", "LEE@alpha.example")])
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        site.app
            .call(&site.admin_key, Method::GET, &user, None)
            .await
            .0,
        404
    );
    settle_audit(&site.pool).await;
    assert!(!dump(&site).contains("lee@alpha.example"));
    assert_eq!(verify(&site).0, 0);
}

#[tokio::test]
async fn an_admin_erasing_their_own_account_is_not_named_by_the_record_of_it() {
    let site = Site::start(Reached::AsIssuer).await;
    let id = create(&site, "kim@alpha.example", "Kim", "admin").await;
    let mut kim = Browser::new(&site.app);
    crate::console::console_sign_in(&mut kim, "kim@alpha.example").await;
    let erase = format!("/console/users/{id}/erase");
    let (status, _, _) = kim.post(&erase, &[("confirm", "kim@alpha.example")]).await;
    assert_eq!(status, 303);
    settle_audit(&site.pool).await;
    let after = dump(&site);
    assert!(!after.contains(&id) && !after.contains("kim@alpha.example"));
    assert_eq!(verify(&site).0, 0);
}

#[tokio::test]
async fn an_erasure_stopped_after_its_first_step_is_finished_by_asking_again() {
    let site = Site::start(Reached::AsIssuer).await;
    let id = create(&site, "max@alpha.example", "Max", "member").await;
    settle_audit(&site.pool).await;
    // The first step alone, as if the process stopped right after it.
    let mut tx = site.pool.tenant(site.t.tenant_id).await.unwrap();
    let uid = identity::ids::UserId(uuid::Uuid::parse_str(&id).unwrap());
    let user = identity::db::models::users::get(&mut tx, uid)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let key = crate::harness::envelope(&[1]);
    let ctx = identity::audit::Context::without_request(&key, "test", chrono::Utc::now());
    identity::admin::person_erasure::prepare(&site.pool, &ctx, site.t.tenant_id, &user)
        .await
        .unwrap();
    let user_path = format!("/admin/v1/users/{id}");
    let (status, _) = site
        .app
        .call(&site.admin_key, Method::GET, &user_path, None)
        .await;
    assert_eq!(status, 200, "the account is still there");
    assert_eq!(verify(&site).0, 0, "and the chain verifies meanwhile");

    let path = format!("/admin/v1/users/{id}?erase=true");
    let (status, _) = site
        .app
        .call(&site.admin_key, Method::DELETE, &path, None)
        .await;
    assert_eq!(status, 204);
    settle_audit(&site.pool).await;
    let after = dump(&site);
    assert!(!after.contains(&id) && !after.contains("max@alpha.example"));
    assert_eq!(verify(&site).0, 0);
}
