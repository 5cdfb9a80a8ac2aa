//! Personal data at rest: a person's email, names, phone numbers and address never appear in
//! clear in a dump of the database, lookups still work (any letter case) through blind
//! indexes keyed per workspace, and rows written before sealing are sealed online by
//! `identity encryption rotate`, resumably, while lookups keep finding them.

use crate::harness::{envelope, run_cli, tenant};
use crate::scim::setup;
use identity::admin::personal_data_sealing;
use reqwest::Method;
use serde_json::{json, Value};
use std::process::Command;

fn filter_path(expr: &str) -> String {
    format!(
        "/scim/v2/Users?{}",
        serde_urlencoded::to_string([("filter", expr)]).unwrap()
    )
}

/// The whole data database as an operator's `pg_dump --data-only` has it, lower-cased.
fn dump(owner_url: &str) -> String {
    let out = Command::new("pg_dump")
        .args(["--data-only", "--dbname", owner_url])
        .output()
        .expect("pg_dump runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_lowercase()
}

#[tokio::test]
async fn no_email_name_phone_or_address_is_in_a_dump_and_lookups_still_work() {
    let s = setup().await;
    let (status, zed, _) = s
        .call(
            Method::POST,
            "/scim/v2/Users",
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "Zed.Quimby@alpha.example",
                "externalId": "00u1quimby",
                "displayName": "Zebulon Quimbyworth",
                "name": {"givenName": "Zebulon", "familyName": "Quimbyworth"},
                "emails": [{"value": "zed.quimby@alpha.example", "type": "work", "primary": true}],
                "phoneNumbers": [{"value": "+1 555 0142 9876", "type": "work"}],
                "addresses": [{"streetAddress": "77 Lindenquay", "type": "work"}],
                "active": true
            })),
        )
        .await;
    assert_eq!(status, 201, "{zed}");
    let body = json!({"email": "Ottoline.Brackwater@alpha.example",
                      "display_name": "Ottoline Brackwater", "roles": ["member"]});
    let (status, otto) = s
        .app
        .call(&s.admin, Method::POST, "/admin/v1/users", Some(body))
        .await;
    assert_eq!(status, 201, "{otto}");

    // Found by equality in any letter case, and read back in clear.
    let (_, found, _) = s
        .call(
            Method::GET,
            &filter_path("userName eq \"ZED.QUIMBY@ALPHA.EXAMPLE\""),
            None,
        )
        .await;
    assert_eq!(found["totalResults"], 1, "{found}");
    let read = &found["Resources"][0];
    assert_eq!(read["name"]["familyName"], "Quimbyworth");
    assert_eq!(read["phoneNumbers"][0]["value"], "+1 555 0142 9876");
    assert_eq!(read["externalId"], "00u1quimby");
    let (_, by_ext, _) = s
        .call(
            Method::GET,
            &filter_path("externalId eq \"00u1quimby\""),
            None,
        )
        .await;
    assert_eq!(by_ext["totalResults"], 1, "{by_ext}");
    let (status, listed) = s
        .app
        .call(
            &s.admin,
            Method::GET,
            "/admin/v1/users?q=ottoline.BRACKWATER%40alpha.example",
            None,
        )
        .await;
    assert_eq!(status, 200);
    let people: Vec<&Value> = listed["users"].as_array().unwrap().iter().collect();
    assert_eq!(people.len(), 1, "{listed}");
    assert_eq!(people[0]["display_name"], "Ottoline Brackwater");

    let dumped = dump(&s.db.owner_url());
    for id in [zed["id"].as_str().unwrap(), otto["id"].as_str().unwrap()] {
        assert!(dumped.contains(id), "both people are in the dump");
    }
    for clear in [
        "zed.quimby",
        "quimbyworth",
        "zebulon",
        "00u1quimby",
        "555 0142",
        "lindenquay",
        "ottoline",
        "brackwater",
    ] {
        assert!(!dumped.contains(clear), "'{clear}' is in clear in the dump");
    }
    s.app.stop().await;
}

#[tokio::test]
async fn one_email_in_two_workspaces_has_two_unrelated_blind_indexes() {
    let s = setup().await;
    let pool = s.db.db();
    let beta = tenant(&pool, &envelope(&[1]), "beta").await;
    let beta_admin = crate::api_keys::admin_key(&pool, beta.tenant_id, "admin").await;
    let mut ids = Vec::new();
    for key in [&s.admin, &beta_admin] {
        let body = json!({"email": "same.person@shared.example", "roles": ["member"]});
        let (status, made) = s
            .app
            .call(key, Method::POST, "/admin/v1/users", Some(body))
            .await;
        assert_eq!(status, 201, "{made}");
        ids.push(uuid::Uuid::parse_str(made["id"].as_str().unwrap()).unwrap());
    }
    let owner = s.db.owner().await;
    let rows = owner
        .query(
            "SELECT email_index, user_name_index FROM users WHERE id = ANY($1)",
            &[&ids],
        )
        .await
        .unwrap();
    let index = |i: usize, c: usize| rows[i].get::<_, Option<String>>(c).expect("indexed");
    assert_eq!(rows.len(), 2);
    assert_ne!(
        index(0, 0),
        index(1, 0),
        "email indexes differ across workspaces"
    );
    assert_ne!(
        index(0, 1),
        index(1, 1),
        "userName indexes differ across workspaces"
    );
    // Each workspace still finds its own person, whatever the letter case.
    for key in [&s.admin, &beta_admin] {
        let (_, listed) = s
            .app
            .call(
                key,
                Method::GET,
                "/admin/v1/users?q=SAME.Person%40shared.example",
                None,
            )
            .await;
        assert_eq!(listed["users"].as_array().unwrap().len(), 1, "{listed}");
    }
    s.app.stop().await;
}

/// Rows as an older release wrote them: every personal field in clear.
async fn write_clear_rows(s: &crate::scim::Scim, n: usize) {
    let owner = s.db.owner().await;
    for i in 0..n {
        owner
            .execute(
                "INSERT INTO users (id, tenant_id, email, user_name, display_name, status, scim) \
                 VALUES (gen_random_uuid(), $1, $2, $2, $3, 'active', $4)",
                &[
                    &s.alpha.tenant_id.0,
                    &format!("legacy{i}@alpha.example"),
                    &format!("Legacy Person {i}"),
                    &json!({"emails": [{"value": format!("legacy{i}@alpha.example"), "type": "work"}],
                            "phoneNumbers": [{"value": format!("+1 555 0100 {i:04}")}]}),
                ],
            )
            .await
            .unwrap();
    }
}

async fn clear_rows(s: &crate::scim::Scim) -> i64 {
    personal_data_sealing::count_clear(&s.db.db(), None)
        .await
        .unwrap()
}

#[tokio::test]
async fn clear_rows_are_found_meanwhile_and_sealed_by_an_interrupted_then_resumed_rotation() {
    let s = setup().await;
    write_clear_rows(&s, 3).await;
    assert_eq!(clear_rows(&s).await, 3);
    let find = |expr: &'static str| {
        let s = &s;
        async move {
            let (status, body, _) = s.call(Method::GET, &filter_path(expr), None).await;
            assert_eq!(status, 200, "{body}");
            body["totalResults"].as_i64().unwrap()
        }
    };
    assert_eq!(find("userName eq \"LEGACY1@alpha.example\"").await, 1);
    assert_eq!(
        find("emails[type eq \"work\"].value eq \"legacy2@ALPHA.example\"").await,
        1
    );

    // A run stopped after its first batch of one row: that row is sealed, the rest still
    // clear and still found.
    let pool = s.db.db();
    let sealed = personal_data_sealing::seal_batch(&pool, s.alpha.tenant_id, 1).await;
    assert_eq!(sealed.unwrap(), 1);
    assert_eq!(clear_rows(&s).await, 2);
    assert_eq!(find("userName eq \"legacy0@alpha.example\"").await, 1);
    assert_eq!(find("userName eq \"legacy1@alpha.example\"").await, 1);

    let (_, out, _) = run_cli(&s.db.env(), &["encryption", "status"], None);
    assert!(
        out.contains("people and SSO links still in clear: 2"),
        "{out}"
    );

    // Resumed by the operator's command: everything sealed, reported, still found.
    let (code, out, err) = run_cli(
        &s.db.env(),
        &["encryption", "rotate", "--batch-size", "2"],
        None,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(clear_rows(&s).await, 0);
    let (code, out, _) = run_cli(&s.db.env(), &["encryption", "status", "--json"], None);
    assert_eq!(code, 0);
    let status: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["personal_data_in_clear"], 0, "{status}");
    for expr in [
        "userName eq \"legacy0@alpha.example\"",
        "userName eq \"Legacy2@Alpha.Example\"",
        "emails.value eq \"legacy1@alpha.example\"",
    ] {
        assert_eq!(find(expr).await, 1, "{expr}");
    }
    let (_, one, _) = s
        .call(
            Method::GET,
            &filter_path("userName eq \"legacy1@alpha.example\""),
            None,
        )
        .await;
    assert_eq!(
        one["Resources"][0]["phoneNumbers"][0]["value"],
        "+1 555 0100 0001"
    );
    let dumped = dump(&s.db.owner_url());
    assert!(!dumped.contains("legacy person"), "names are sealed");
    assert!(
        !dumped.contains("legacy1@alpha.example"),
        "emails are sealed"
    );
    s.app.stop().await;
}
