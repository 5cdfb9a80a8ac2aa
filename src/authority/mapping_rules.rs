//! The workspace's role-mapping rules and what was asserted about a person, read from the
//! database rows into the mapping engine's terms.

use super::mapping_engine::{Claims, Rule};
use crate::db::models::role_mappings;
use crate::db::{DbError, TenantTx};
use uuid::Uuid;

/// The workspace's rules in the engine's form.
pub async fn rules(tx: &mut TenantTx) -> Result<Vec<Rule>, DbError> {
    Ok(role_mappings::rule_rows(tx)
        .await?
        .into_iter()
        .map(|(id, claim, value, role_id, role)| Rule {
            id,
            claim,
            value,
            role_id,
            role,
        })
        .collect())
}

/// What was asserted about `user`, grouped by who vouched for it: the SCIM groups (by the
/// creator of the token that last wrote each group) and the groups and attributes each
/// enabled SSO connection's IdP sent at their last sign-in (by the admin who last
/// configured the connection).
pub async fn claim_sources(
    tx: &mut TenantTx,
    user: Uuid,
) -> Result<Vec<(String, Claims)>, DbError> {
    let (scim, sso) = role_mappings::asserted_about(tx, user).await?;
    let mut out: Vec<(String, Claims)> = scim
        .into_iter()
        .map(|(asserter, groups)| {
            let claims = Claims {
                groups,
                ..Claims::default()
            };
            (asserter, claims)
        })
        .collect();
    for (groups, attributes, configured_by) in sso {
        let mut claims = Claims::default();
        claims.add_stored(&groups, &attributes);
        out.push((configured_by, claims));
    }
    Ok(out)
}
