//! The event catalogue: stable names, each with a JSON schema in `schemas/events/<name>.json`,
//! and which audited changes produce which events. An event carries ids and the minimum its
//! type needs (a reason, a role list), never personal data.

use serde_json::{json, Value};

/// Every event type the service sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    UserCreated,
    UserUpdated,
    UserDeactivated,
    UserDeleted,
    UserRolesChanged,
    SessionEnded,
    MfaEnrolled,
    MfaReset,
    ApiKeyRevoked,
    SsoConnectionChanged,
    TenantSuspended,
}

/// The whole catalogue, in the order the README lists it.
pub const ALL: &[EventType] = &[
    EventType::UserCreated,
    EventType::UserUpdated,
    EventType::UserDeactivated,
    EventType::UserDeleted,
    EventType::UserRolesChanged,
    EventType::SessionEnded,
    EventType::MfaEnrolled,
    EventType::MfaReset,
    EventType::ApiKeyRevoked,
    EventType::SsoConnectionChanged,
    EventType::TenantSuspended,
];

impl EventType {
    pub fn name(self) -> &'static str {
        match self {
            EventType::UserCreated => "user.created",
            EventType::UserUpdated => "user.updated",
            EventType::UserDeactivated => "user.deactivated",
            EventType::UserDeleted => "user.deleted",
            EventType::UserRolesChanged => "user.roles_changed",
            EventType::SessionEnded => "session.ended",
            EventType::MfaEnrolled => "mfa.enrolled",
            EventType::MfaReset => "mfa.reset",
            EventType::ApiKeyRevoked => "apikey.revoked",
            EventType::SsoConnectionChanged => "sso.connection_changed",
            EventType::TenantSuspended => "tenant.suspended",
        }
    }
}

/// The id in an audit target `kind:<id>` when its kind is `kind`.
fn id_of<'a>(target: &'a str, kind: &str) -> Option<&'a str> {
    target
        .strip_prefix(kind)
        .and_then(|rest| rest.strip_prefix(':'))
        .filter(|id| uuid::Uuid::parse_str(id).is_ok())
}

fn user(kind: EventType, target: &str, extra: Value) -> Vec<(EventType, Value)> {
    let Some(id) = id_of(target, "user") else {
        return Vec::new();
    };
    let mut data = json!({ "user_id": id });
    if let (Some(d), Value::Object(more)) = (data.as_object_mut(), extra) {
        d.extend(more);
    }
    vec![(kind, data)]
}

/// One `session.ended` per session an audited end names (`session`, or `ended` for several).
fn sessions_ended(target: &str, details: &Value) -> Vec<(EventType, Value)> {
    let Some(id) = id_of(target, "user") else {
        return Vec::new();
    };
    let reason = details.get("reason").cloned().unwrap_or(Value::Null);
    let one = details.get("session").into_iter();
    let many = details
        .get("ended")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    one.chain(many)
        .map(|session| {
            let data = json!({"user_id": id, "session_id": session, "reason": reason});
            (EventType::SessionEnded, data)
        })
        .collect()
}

/// The events an audited change produces: `action` is the audit action's name.
pub fn events_of(action: &str, target: &str, details: &Value) -> Vec<(EventType, Value)> {
    use EventType::*;
    let deactivated = details.get("deactivated") == Some(&Value::Bool(true));
    match action {
        "user.created" | "scim.user.created" | "sso.user_provisioned" => {
            user(UserCreated, target, json!({}))
        }
        "scim.user.replaced" | "scim.user.patched" if deactivated => {
            user(UserDeactivated, target, json!({"reason": "deprovisioned"}))
        }
        "user.updated" | "user.email_changed" | "user.enabled" | "sso.user_updated"
        | "scim.user.replaced" | "scim.user.patched" => user(UserUpdated, target, json!({})),
        "user.disabled" => user(UserDeactivated, target, json!({"reason": "disabled"})),
        "user.deleted" | "scim.user.deleted" => user(UserDeleted, target, json!({})),
        "user.roles_changed" => user(UserRolesChanged, target, json!({})),
        "session.ended" | "session.ended_all" => sessions_ended(target, details),
        "mfa.enrolled" | "passkey.registered" => user(MfaEnrolled, target, json!({})),
        "mfa.reset_by_admin" | "mfa.removed" | "passkey.reset_by_admin" => {
            user(MfaReset, target, json!({}))
        }
        "api_key.revoked" => id_of(target, "api_key")
            .map(|id| vec![(ApiKeyRevoked, json!({"api_key_id": id}))])
            .unwrap_or_default(),
        "sso_connection.created" | "sso_connection.updated" | "sso_connection.deleted" => {
            let change = action.trim_start_matches("sso_connection.");
            id_of(target, "sso_connection")
                .map(|id| {
                    vec![(
                        SsoConnectionChanged,
                        json!({"connection_id": id, "change": change}),
                    )]
                })
                .unwrap_or_default()
        }
        "tenant.suspended" => vec![(TenantSuspended, json!({}))],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

    #[test]
    fn a_scim_write_that_deactivates_is_a_deactivation_and_others_an_update() {
        let target = format!("user:{ID}");
        let off = events_of("scim.user.patched", &target, &json!({"deactivated": true}));
        assert_eq!(off.len(), 1);
        assert_eq!(off[0].0, EventType::UserDeactivated);
        assert_eq!(off[0].1, json!({"user_id": ID, "reason": "deprovisioned"}));
        let edit = events_of("scim.user.patched", &target, &json!({"deactivated": false}));
        assert_eq!(edit[0].0, EventType::UserUpdated);
    }

    #[test]
    fn every_ended_session_is_an_event_and_unknown_targets_none() {
        let target = format!("user:{ID}");
        let details = json!({"ended": ["a", "b"], "reason": "deprovisioned"});
        let ended = events_of("session.ended_all", &target, &details);
        assert_eq!(ended.len(), 2);
        assert!(events_of("user.created", "erased:x", &json!({})).is_empty());
        assert!(events_of("signin.succeeded", &target, &json!({})).is_empty());
    }
}
