//! The one permission table, walked over HTTP: for every person action the admin API and the
//! console share, a key whose role lacks any one of the action's permissions is refused, and
//! a key whose role holds exactly them gets through. A new action without a route here
//! fails the walk, so the table and the front door cannot drift apart.

use crate::authority::{rig, Rig};
use identity::admin::permissions::{Deed, TABLE};
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

/// The admin API's route for `deed` on person `user`; `None` for the workspace-level deeds,
/// whose screens check their permission by name (see the closing note of issue 22).
fn route(deed: Deed, user: Uuid) -> Option<(Method, String, Option<Value>)> {
    let on = |tail: &str| format!("/admin/v1/users/{user}{tail}");
    Some(match deed {
        Deed::DisableUser => (Method::POST, on("/disable"), None),
        Deed::EnableUser => (Method::POST, on("/enable"), None),
        Deed::SetRoles => (Method::PUT, on("/roles"), Some(json!({"roles": []}))),
        Deed::ResetMfa => (Method::DELETE, on("/mfa"), None),
        Deed::ResetPasskeys => (Method::DELETE, on("/passkeys"), None),
        Deed::SetMfaExemption => (
            Method::PUT,
            on("/mfa-exemption"),
            Some(json!({"exempt": false})),
        ),
        Deed::ReadSessions => (Method::GET, on("/sessions"), None),
        Deed::ExportUser => (Method::GET, on("/export"), None),
        Deed::EndSession => (
            Method::DELETE,
            on(&format!("/sessions/{}", Uuid::new_v4())),
            None,
        ),
        Deed::ReadUser | Deed::ManageClients | Deed::ManageSso | Deed::SetMfaRule => return None,
    })
}

async fn status_with(r: &Rig, role: &str, permissions: &[&str], deed: Deed, user: Uuid) -> u16 {
    r.role(role, permissions).await;
    let key = r.key_made_by("cli", role).await;
    let (method, path, body) = route(deed, user).unwrap();
    r.app.call(&key, method, &path, body).await.0
}

#[tokio::test]
async fn every_person_action_needs_exactly_the_permissions_the_table_names() {
    let r = rig().await;
    let user = r.user("plain@acme.example", &[]).await;
    let mut walked = 0;
    for (n, (deed, needs)) in TABLE.iter().enumerate() {
        if route(*deed, user).is_none() {
            continue;
        }
        let status = status_with(&r, &format!("exact{n}"), needs, *deed, user).await;
        assert!(
            ![401, 403].contains(&status),
            "{deed:?} with {needs:?}: {status}"
        );
        for (m, missing) in needs.iter().enumerate() {
            let mut fewer: Vec<&str> = needs.to_vec();
            fewer.retain(|p| p != missing);
            if fewer.is_empty() {
                fewer.push("audit:read");
            }
            let status = status_with(&r, &format!("less{n}x{m}"), &fewer, *deed, user).await;
            assert_eq!(status, 403, "{deed:?} without {missing}");
        }
        walked += 1;
    }
    assert_eq!(
        walked, 9,
        "every person action of the table has its route here"
    );
    r.app.stop().await;
}
