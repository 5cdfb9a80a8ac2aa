//! The role-mapping engine shared by SCIM groups and enterprise SSO: which of a workspace's
//! declarative rules match a person's identity-provider groups and attributes, and so which
//! roles they give. Pure, so the dry-run endpoint explains exactly what sign-in applies.
//! Names and values compare case-insensitively (IdPs differ in case: "CRM-Admins").

use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// One rule: members of `value` (a group, when `claim` is None) or people whose attribute
/// `claim` has `value` get `role`.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub id: Uuid,
    pub claim: Option<String>,
    pub value: String,
    pub role_id: Uuid,
    pub role: String,
}

/// What an IdP says about a person: group names and attribute values.
#[derive(Debug, Clone, Default)]
pub struct Claims {
    pub groups: Vec<String>,
    pub attributes: BTreeMap<String, Vec<String>>,
}

impl Claims {
    /// Adds the groups and attributes stored for an IdP account (JSON array and object).
    pub fn add_stored(&mut self, groups: &serde_json::Value, attributes: &serde_json::Value) {
        if let Some(list) = groups.as_array() {
            self.groups
                .extend(list.iter().filter_map(|g| g.as_str().map(str::to_string)));
        }
        if let Some(map) = attributes.as_object() {
            for (name, v) in map {
                let entry = self.attributes.entry(name.clone()).or_default();
                match v {
                    serde_json::Value::String(s) => entry.push(s.clone()),
                    serde_json::Value::Array(a) => {
                        entry.extend(a.iter().filter_map(|x| x.as_str().map(str::to_string)))
                    }
                    _ => {}
                }
            }
        }
    }
}

/// A rule that matched, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Match {
    pub rule: Uuid,
    pub role: String,
    pub because: String,
}

fn same(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// Every rule that matches `claims`, in rule order.
pub fn evaluate(rules: &[Rule], claims: &Claims) -> Vec<Match> {
    rules
        .iter()
        .filter_map(|r| {
            let because = match &r.claim {
                None => claims
                    .groups
                    .iter()
                    .find(|g| same(g, &r.value))
                    .map(|g| format!("member of group \"{g}\""))?,
                Some(claim) => claims
                    .attributes
                    .iter()
                    .filter(|(name, _)| same(name, claim))
                    .flat_map(|(name, values)| values.iter().map(move |v| (name, v)))
                    .find(|(_, v)| same(v, &r.value))
                    .map(|(name, v)| format!("attribute \"{name}\" is \"{v}\""))?,
            };
            Some(Match {
                rule: r.id,
                role: r.role.clone(),
                because,
            })
        })
        .collect()
}

/// The distinct role ids the matching rules give.
pub fn role_ids(rules: &[Rule], claims: &Claims) -> Vec<Uuid> {
    let matched: Vec<Uuid> = evaluate(rules, claims).iter().map(|m| m.rule).collect();
    let mut ids: Vec<Uuid> = rules
        .iter()
        .filter(|r| matched.contains(&r.id))
        .map(|r| r.role_id)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(claim: Option<&str>, value: &str, role: &str) -> Rule {
        Rule {
            id: Uuid::new_v4(),
            claim: claim.map(str::to_string),
            value: value.into(),
            role_id: Uuid::new_v4(),
            role: role.into(),
        }
    }

    #[test]
    fn groups_and_attributes_match_ignoring_case_and_say_why() {
        let rules = vec![
            rule(None, "crm-admins", "admin"),
            rule(Some("department"), "Sales", "member"),
            rule(None, "finance", "viewer"),
        ];
        let mut claims = Claims {
            groups: vec!["CRM-Admins".into(), "everyone".into()],
            ..Claims::default()
        };
        claims
            .attributes
            .insert("Department".into(), vec!["sales".into()]);
        let m = evaluate(&rules, &claims);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].role, "admin");
        assert_eq!(m[0].because, "member of group \"CRM-Admins\"");
        assert_eq!(m[1].role, "member");
        assert_eq!(m[1].because, "attribute \"Department\" is \"sales\"");
        assert_eq!(role_ids(&rules, &claims).len(), 2);
    }

    #[test]
    fn an_attribute_rule_does_not_match_a_group_of_that_name_and_vice_versa() {
        let rules = vec![
            rule(Some("role"), "admins", "admin"),
            rule(None, "x", "viewer"),
        ];
        let mut claims = Claims {
            groups: vec!["admins".into()],
            ..Claims::default()
        };
        claims.attributes.insert("group".into(), vec!["x".into()]);
        assert!(evaluate(&rules, &claims).is_empty());
    }

    #[test]
    fn stored_claims_are_read_from_json() {
        let mut c = Claims::default();
        c.add_stored(
            &serde_json::json!(["a", 3, "b"]),
            &serde_json::json!({"dept": "x", "tags": ["y", "z"], "n": 1}),
        );
        assert_eq!(c.groups, vec!["a", "b"]);
        assert_eq!(c.attributes["tags"], vec!["y", "z"]);
        assert_eq!(c.attributes["dept"], vec!["x"]);
        assert!(!c.attributes.contains_key("n") || c.attributes["n"].is_empty());
    }
}
