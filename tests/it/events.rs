//! Events out: every event type has its schema and every event written fits it; a change
//! and its events commit or roll back together; deprovisioning over SCIM is one
//! `user.deactivated` and one `session.ended` per live session.

use crate::harness::envelope;
use crate::scim::{setup, signed_in, web_client, Scim};
use identity::audit::{Action, Context};
use identity::db::models::events as model;
use identity::events::catalogue::ALL;
use reqwest::Method;
use serde_json::{json, Value};

const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Every event of the workspace, as receivers get them, oldest first.
async fn events_of(s: &Scim) -> Vec<Value> {
    let pool = s.db.db();
    let mut tx = pool.tenant(s.alpha.tenant_id).await.unwrap();
    let rows = model::after(&mut tx, 0, 10_000).await.unwrap();
    tx.commit().await.unwrap();
    rows.iter()
        .map(|r| identity::events::envelope(s.alpha.tenant_id, r))
        .collect()
}

fn schema_of(kind: &str) -> Value {
    let path = format!("{}/schemas/events/{kind}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("no schema {path}"));
    serde_json::from_str(&text).unwrap()
}

/// Checks `value` against the part of JSON Schema the catalogue's schemas use (type object
/// and string, required, additionalProperties false, const, enum, minLength, the uuid and
/// date-time formats); `Err` names the first place that does not fit.
fn fits(schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(c) = schema.get("const") {
        return (c == value).then_some(()).ok_or(format!("{at}: not {c}"));
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        return options
            .contains(value)
            .then_some(())
            .ok_or(format!("{at}: not one of {options:?}"));
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let obj = value.as_object().ok_or(format!("{at}: not an object"))?;
            let props = schema["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap();
                obj.get(name).ok_or(format!("{at}.{name}: missing"))?;
            }
            for (name, v) in obj {
                match props.get(name) {
                    Some(p) => fits(p, v, &format!("{at}.{name}"))?,
                    None if schema["additionalProperties"] == false => {
                        return Err(format!("{at}.{name}: not in the schema"))
                    }
                    None => {}
                }
            }
            Ok(())
        }
        Some("string") => {
            let s = value.as_str().ok_or(format!("{at}: not a string"))?;
            let min = schema["minLength"].as_u64().unwrap_or(0) as usize;
            let formed = match schema["format"].as_str() {
                Some("uuid") => uuid::Uuid::parse_str(s).is_ok(),
                Some("date-time") => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
                _ => true,
            };
            (s.chars().count() >= min && formed)
                .then_some(())
                .ok_or(format!("{at}: {s:?}"))
        }
        other => Err(format!("{at}: schema type {other:?} is not checked here")),
    }
}

#[test]
fn the_checker_refuses_what_does_not_fit() {
    let schema = schema_of("session.ended");
    let good = json!({"id": uuid::Uuid::nil(), "type": "session.ended", "time": "2026-12-08T00:00:00Z",
        "tenant": uuid::Uuid::nil(), "data": {"user_id": uuid::Uuid::nil(),
        "session_id": uuid::Uuid::nil(), "reason": "signed_out"}});
    assert_eq!(fits(&schema, &good, "event"), Ok(()));
    for (path, bad) in [
        ("/type", json!("user.created")),
        ("/data/session_id", json!("not-a-uuid")),
        ("/data/email", json!("someone@example.com")),
        ("/time", json!("yesterday")),
    ] {
        let mut wrong = good.clone();
        match wrong.pointer_mut(path) {
            Some(v) => *v = bad,
            None => {
                wrong["data"]["email"] = bad;
            }
        }
        assert!(fits(&schema, &wrong, "event").is_err(), "{path}");
    }
}

#[tokio::test]
async fn scim_deprovisioning_tells_once_per_live_session_and_every_event_fits_its_schema() {
    let s = setup().await;
    let (status, made, _) = s
        .call(
            Method::POST,
            "/scim/v2/Users",
            Some(
                json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": "dana@alpha.example", "active": true}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_str().unwrap().to_string();
    let user = uuid::Uuid::parse_str(&id).unwrap();
    let web = web_client(&s).await;
    signed_in(&s, &web, user).await;
    signed_in(&s, &web, user).await;
    let patch =
        json!({"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": false}}]});
    let (status, _, _) = s
        .call(Method::PATCH, &format!("/scim/v2/Users/{id}"), Some(patch))
        .await;
    assert_eq!(status, 200);

    let all = events_of(&s).await;
    let about = |kind: &str| -> Vec<&Value> {
        all.iter()
            .filter(|e| e["type"] == kind && e["data"]["user_id"] == id.as_str())
            .collect()
    };
    assert_eq!(about("user.created").len(), 1, "{all:?}");
    let off = about("user.deactivated");
    assert_eq!(off.len(), 1, "{all:?}");
    assert_eq!(off[0]["data"]["reason"], "deprovisioned");
    let ended = about("session.ended");
    assert_eq!(ended.len(), 2, "one per live session: {all:?}");
    assert_ne!(
        ended[0]["data"]["session_id"],
        ended[1]["data"]["session_id"]
    );
    assert!(ended.iter().all(|e| e["data"]["reason"] == "deprovisioned"));
    let ids: std::collections::BTreeSet<&str> =
        all.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), all.len(), "every event has its own id");
    for e in &all {
        let kind = e["type"].as_str().unwrap();
        assert!(
            ALL.iter().any(|t| t.name() == kind),
            "{kind} is in the catalogue"
        );
        fits(&schema_of(kind), e, kind).unwrap();
        assert!(!e.to_string().contains("dana@"), "no personal data: {e}");
    }
    s.app.stop().await;
}

#[tokio::test]
async fn a_change_that_rolls_back_leaves_no_event_and_one_that_commits_leaves_its_own() {
    let s = setup().await;
    let before = events_of(&s).await.len();
    let pool = s.db.db();
    let env = envelope(&[1]);
    let target = format!("user:{}", s.alpha.admin_user_id);
    let ctx = Context::without_request(&env, "test", chrono::Utc::now());
    let mut tx = pool.tenant(s.alpha.tenant_id).await.unwrap();
    ctx.record(&mut tx, Action::UserRolesChanged, &target, json!({}))
        .await
        .unwrap();
    drop(tx);
    assert_eq!(
        events_of(&s).await.len(),
        before,
        "rolled back with its change"
    );
    let mut tx = pool.tenant(s.alpha.tenant_id).await.unwrap();
    ctx.record(&mut tx, Action::UserRolesChanged, &target, json!({}))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let after = events_of(&s).await;
    assert_eq!(after.len(), before + 1);
    assert_eq!(after.last().unwrap()["type"], "user.roles_changed");
    for t in ALL {
        schema_of(t.name());
    }
    s.app.stop().await;
}
